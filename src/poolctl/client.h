/* poolctl's side of the control socket: connect, greeting, one message per line. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The longest line poolctl takes from poold. Requests are capped at
 * POOLD_LINE_MAX but replies are not: a domain-list of 32,000 domains is a
 * few MiB. The greeting is a request-sized line.
 */
#define CLIENT_REPLY_MAX (16u << 20)

struct client {
	int fd;
	char *buf; /* what was read past the last whole line */
	size_t len, cap;
};

/* A point in time on the monotonic clock, in ms; CLIENT_NEVER for no limit. */
#define CLIENT_NEVER INT64_MAX
/* The deadline timeout_ms from now; timeout_ms 0 means none (CLIENT_NEVER). */
int64_t client_deadline(unsigned timeout_ms);

/*
 * Connects to poold's socket, waiting until deadline at most (a poold that
 * does not accept fills its backlog). Returns 0 or -errno (-ETIMEDOUT).
 */
int client_connect(struct client *c, const char *path, int64_t deadline);
void client_close(struct client *c);
/* Sends one message as a line; returns 0 or -errno (-ETIMEDOUT if poold does not read). */
int client_send(struct client *c, const json_t *msg);
/*
 * Reads one message of at most max bytes by deadline. Returns 0, -EPIPE at
 * the end of the stream, -EPROTO when it ends inside a line, -EBADMSG for
 * a line that is not a JSON object, -EMSGSIZE for a longer one, -ETIMEDOUT,
 * -EINTR when a signal came, or another -errno.
 */
int client_recv(struct client *c, json_t **msg, size_t max, int64_t deadline);
/*
 * Checks the greeting poold sends first: its protocol must be ours.
 * Returns 0, or -1 with err saying what is wrong (poold refused us, or
 * speaks another protocol version).
 */
int client_check_greeting(json_t *msg, char *err, size_t errlen);
