/* The xenstore side of poold: watches, domain names and trusted `pool` keys. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct xsw;

/* What a batch of watch events was about (they carry no domid and can be spurious). */
enum {
	XSW_INTRODUCED = 0x1, /* @introduceDomain: a domain came */
	XSW_RELEASED = 0x2,   /* @releaseDomain: a domain went */
	XSW_KEY = 0x4,        /* a watched pool key (xsw_key_changed() says whose) */
};
/* Called once per batch of watch events, with the XSW_* they were. */
typedef void (*xsw_changed_fn)(void *arg, unsigned what);

/*
 * Connects with xs_open() (XENSTORED_PATH selects the socket), watches
 * @introduceDomain and @releaseDomain, and adds xs_fileno() to base.
 */
int xsw_open(struct xsw **out, struct event_base *base, xsw_changed_fn fn, void *arg);
struct xsw *xsw_close(struct xsw *x);

/* Watches /local/domain/<domid>/pool; idempotent. */
int xsw_watch_domain(struct xsw *x, uint32_t domid);
int xsw_unwatch_domain(struct xsw *x, uint32_t domid);

/* Tells whether the xenstore connection broke (the event loop was stopped). */
bool xsw_lost(const struct xsw *x);

/*
 * Tells how many watch events for the pool key of domid came since the last
 * call, 0, 1 or 2 (two or more), and forgets them: a rescan re-reads only the
 * keys that changed, and the key's trust (reconcile.c) counts the events
 * one read of the key stands for.
 */
unsigned xsw_key_events(struct xsw *x, uint32_t domid);
/*
 * The lowest domid >= from whose watched key had an event not yet asked for
 * with xsw_key_events(), or UINT32_MAX: a key event then costs the keys
 * that changed, not a look at every domain.
 */
uint32_t xsw_next_changed(const struct xsw *x, uint32_t from);

/*
 * Asks xenstored one cheap question (dom0's name), so that a lost
 * connection is noticed now, not when the next guest comes: on a broken
 * one the loop stops (xsw_lost()). Returns 0 or -errno.
 */
int xsw_ping(struct xsw *x);
/* Reads /local/domain/<domid>/name; -ENOENT when absent. */
int xsw_read_name(struct xsw *x, uint32_t domid, char *buf, size_t len);

/*
 * Reads /local/domain/<domid>/pool and its permissions in one transaction
 * (tried again while xenstored ends it with EAGAIN). -ENOENT when absent.
 * *trusted is true only when dom0 owns the node and no other domain can
 * write it (xs_get_permissions).
 */
int xsw_read_pool_key(struct xsw *x, uint32_t domid, char *buf, size_t len, bool *trusted);
