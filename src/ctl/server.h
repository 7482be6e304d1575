/* The control socket: framing, clients, limits, greeting, dispatch. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct engine;
struct ctl_server;
struct engine_event;

/* Listens on a new Unix socket at path (mode 0600 under umask 077). */
int ctl_server_new(struct ctl_server **out, struct event_base *base, const char *path,
                   struct engine *eng);
/* Serves an already listening socket (systemd socket activation). */
int ctl_server_new_fd(struct ctl_server **out, struct event_base *base, int fd, struct engine *eng);
/*
 * Also listens on a read-only socket at path (mode 0666: any local user),
 * where commands flagged CTL_CMD_MUTATING are refused with PermissionDenied.
 * Its clients share the server's limit and events; the file is unlinked on free.
 */
int ctl_server_listen_ro(struct ctl_server *s, const char *path);
/* Closes clients and the socket, unlinks a socket it created; NULL is fine; returns NULL. */
struct ctl_server *ctl_server_free(struct ctl_server *s);
/* Sends an event to subscribed clients; takes the reference to data. */
void ctl_server_event(struct ctl_server *s, const char *name, json_t *data);
/*
 * Lets the members of group gid change things on the main socket, as root
 * may; poold's own socket becomes 0660 in that group (systemd's, under
 * socket activation, is poold.socket's SocketGroup=/SocketMode=). Others
 * who can connect may only read. 0 or -errno.
 */
int ctl_server_set_group(struct ctl_server *s, gid_t gid);
/* How long a client may send nothing before it is closed, unless subscribed (tests). */
void ctl_server_set_idle(struct ctl_server *s, unsigned ms);
/*
 * The engine says the changes of requests up to seq are durable (or were
 * undone, msg says why): their held replies go out (or StateError in their
 * place); s may be NULL.
 */
void ctl_server_commits(struct ctl_server *s, uint64_t seq, bool durable, const char *msg);
/* Sends an engine event to subscribers in the protocol's words (event.c); s may be NULL. */
void ctl_server_engine_event(struct ctl_server *s, const struct engine *eng,
                             const struct engine_event *ev);
