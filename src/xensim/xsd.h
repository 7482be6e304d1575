/* xensim's xenstore: the tree, permissions, watches, transactions and the wire server. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct xsd;

/*
 * Listens on the Unix socket `path` and speaks the wire protocol of
 * xen/io/xs_wire.h, so the real libxenstore and xenstore-* tools work
 * through XENSTORED_PATH. Every socket connection acts as domain 0.
 * The tree starts with "/", "/local", "/local/domain" (owned by dom0).
 */
int xsd_new(struct xsd **out, struct event_base *base, const char *path);
/* Closes every connection and the socket, unlinks it; NULL is fine; returns NULL. */
struct xsd *xsd_free(struct xsd *x);

/*
 * The simulated hypervisor and toolstack act on the tree through these,
 * outside any transaction, as dom0; watches fire as for a client's request.
 * Return 0 or -errno (-ENOENT, -EINVAL).
 */
int xsd_write(struct xsd *x, const char *path, const char *value);
/* perms in xenstore-chmod's form, owner first: "n0 r5", "b5". */
int xsd_set_perms(struct xsd *x, const char *path, const char *perms);
/* Removes path and everything below it. */
int xsd_rm(struct xsd *x, const char *path);
/* Fires a special watch: "@introduceDomain" or "@releaseDomain". */
void xsd_fire_special(struct xsd *x, const char *special);

/*
 * Restarts the server as a xenstored restart would look to its clients:
 * every connection is dropped (their watches and transactions with them),
 * the socket refuses connections (ECONNREFUSED) for down_ms, then listens
 * again. The tree stays, as the store of a restarted xenstored does
 * (nodes, values and permissions), and the API above keeps working while
 * it is down: domains are still created, their @introduceDomain reaches
 * no one. Returns 0 or -errno (listening again is retried every second).
 */
int xsd_restart(struct xsd *x, unsigned down_ms);
/*
 * Stops answering for ms: connections stay open and requests are read,
 * but no reply or watch event is sent until the stall ends.
 */
int xsd_stall(struct xsd *x, unsigned ms);

/* Counts of requests served, by kind, for xensim's view. */
struct xsd_stats {
	uint64_t requests;
	uint64_t writes; /* WRITE, MKDIR, RM, SET_PERMS that succeeded */
	uint64_t watch_events;
	unsigned connections;
	unsigned watches;
};
void xsd_get_stats(const struct xsd *x, struct xsd_stats *out);
