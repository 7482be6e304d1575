/* xensim's hypervisor socket: simproto.h requests decoded, run against the sim, answered. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct event_base;
struct sim;
struct simctl;
struct xsd;

/*
 * Answers one request object of simproto.h: returns a new {"ok": {...}} or
 * {"error": {"errno": N, "desc": TEXT}} object (NULL only when out of
 * memory). x (may be NULL) adds xenstore statistics to "show".
 */
json_t *simctl_dispatch(struct sim *s, struct xsd *x, json_t *req);

/*
 * Answers one request line (without its newline): returns a malloc'ed reply
 * line without the newline, or NULL when out of memory.
 */
char *simctl_answer(struct sim *s, struct xsd *x, const char *line, size_t len);

/*
 * Listens on the Unix socket path (a stale socket is replaced) and answers
 * requests on base. Returns 0 or -errno.
 */
int simctl_new(struct simctl **out, struct event_base *base, struct sim *s, struct xsd *x,
               const char *path);
/* Closes every connection and the socket, unlinks it; NULL is fine; returns NULL. */
struct simctl *simctl_free(struct simctl *c);
