/* The xenstore watcher: domain introduce/release watches and trusted `pool` keys. */
#include "xs/xsw.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "util/log.h"

/* Domids at or above DOMID_FIRST_RESERVED (0x7FF0) are never guests. */
#define XSW_DOMID_LIMIT   0x8000u
/* Room for dom0's name when xsw_ping() reads it. */
#define DOM_NAME_PING_MAX 256

#define XSW_TOKEN_INTRODUCE "poold:introduce"
#define XSW_TOKEN_RELEASE   "poold:release"
#define XSW_TOKEN_POOL      "poold:pool"

struct xsw {
	struct xs_handle *h;
	struct event *ev;
	xsw_changed_fn fn;
	void *arg;
	/* Which domains have their pool key watched, so watching is idempotent. */
	uint64_t watched[XSW_DOMID_LIMIT / 64];
	/* The connection broke; poold exits (xsw_lost). */
	bool lost;
	/* Which watched keys had an event since xsw_key_changed() last asked. */
	uint64_t changed[XSW_DOMID_LIMIT / 64];
};

/*
 * Notes a failed xenstore call: a broken connection (libxenstore closes its
 * socket when a read fails, and says nothing on the watch pipe) would leave
 * new domains unplaced for good, so the loop stops with an error and poold
 * exits for its service manager to start it again on a fresh connection.
 * Returns -err.
 */
static int xsw_fail(struct xsw *x, int err)
{
	if (err == 0)
		err = EIO;
	if ((err == EBADF || err == ECONNRESET || err == EPIPE || err == ENOTCONN) && !x->lost) {
		errno = err;
		log_warn("xenstore connection lost; exiting");
		x->lost = true;
		if (x->ev != NULL) {
			event_del(x->ev);
			event_base_loopbreak(event_get_base(x->ev));
		}
	}
	return -err;
}

/*
 * Marks the key an event names as changed; an event that names none marks
 * them all. Returns the XSW_* the event was.
 */
static unsigned xsw_note(struct xsw *x, const char *path, const char *token)
{
	unsigned domid;
	int end = 0;

	if (strcmp(token, XSW_TOKEN_INTRODUCE) == 0)
		return XSW_INTRODUCED;
	if (strcmp(token, XSW_TOKEN_POOL) != 0)
		return XSW_RELEASED; /* @releaseDomain, or a token of no watch of ours: all */
	if (sscanf(path, "/local/domain/%u/pool%n", &domid, &end) == 1 && path[end] == '\0' &&
	    domid < XSW_DOMID_LIMIT) {
		x->changed[domid / 64] |= UINT64_C(1) << (domid % 64);
		return XSW_KEY;
	}
	memcpy(x->changed, x->watched, sizeof(x->changed));
	return XSW_KEY;
}

/* Drains every pending watch event, then tells the owner once for the batch. */
static void xsw_readable(evutil_socket_t fd, short what, void *arg)
{
	struct xsw *x = arg;
	unsigned n = 0, about = 0;
	char **vec;

	while ((vec = xs_check_watch(x->h)) != NULL) {
		log_debug("xenstore watch %s (%s)", vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		about |= xsw_note(x, vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		free(vec);
		n++;
	}
	if (errno != EAGAIN) {
		xsw_fail(x, errno);
		if (!x->lost) {
			/* Nothing more can be read from it: stop polling rather than spin. */
			log_warn("reading xenstore watch events");
			event_del(x->ev);
		}
		return;
	}
	if (n > 0)
		x->fn(x->arg, about);
}

int xsw_open(struct xsw **out, struct event_base *base, xsw_changed_fn fn, void *arg)
{
	struct xsw *x;
	int r;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->fn = fn;
	x->arg = arg;
	x->h = xs_open(0);
	if (x->h == NULL) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	if (!xs_watch(x->h, "@introduceDomain", XSW_TOKEN_INTRODUCE) ||
	    !xs_watch(x->h, "@releaseDomain", XSW_TOKEN_RELEASE)) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	x->ev = event_new(base, xs_fileno(x->h), EV_READ | EV_PERSIST, xsw_readable, x);
	if (x->ev == NULL || event_add(x->ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	*out = x;
	return 0;
fail:
	xsw_close(x);
	return r;
}

struct xsw *xsw_close(struct xsw *x)
{
	if (x == NULL)
		return NULL;
	if (x->ev != NULL)
		event_free(x->ev);
	if (x->h != NULL)
		xs_close(x->h);
	free(x);
	return NULL;
}

static bool xsw_is_watched(const struct xsw *x, uint32_t domid)
{
	return (x->watched[domid / 64] >> (domid % 64)) & 1;
}

int xsw_watch_domain(struct xsw *x, uint32_t domid)
{
	char path[64];

	if (domid >= XSW_DOMID_LIMIT)
		return -EINVAL;
	if (xsw_is_watched(x, domid))
		return 0;
	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/pool", domid);
	if (!xs_watch(x->h, path, XSW_TOKEN_POOL))
		return xsw_fail(x, errno);
	x->watched[domid / 64] |= UINT64_C(1) << (domid % 64);
	return 0;
}

int xsw_unwatch_domain(struct xsw *x, uint32_t domid)
{
	char path[64];

	if (domid >= XSW_DOMID_LIMIT || !xsw_is_watched(x, domid))
		return 0;
	x->watched[domid / 64] &= ~(UINT64_C(1) << (domid % 64));
	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/pool", domid);
	if (!xs_unwatch(x->h, path, XSW_TOKEN_POOL))
		return errno ? -errno : -EIO;
	return 0;
}

bool xsw_lost(const struct xsw *x)
{
	return x != NULL && x->lost;
}

bool xsw_key_changed(struct xsw *x, uint32_t domid)
{
	uint64_t bit = UINT64_C(1) << (domid % 64);
	bool was;

	if (domid >= XSW_DOMID_LIMIT)
		return true;
	was = (x->changed[domid / 64] & bit) != 0;
	x->changed[domid / 64] &= ~bit;
	return was;
}

uint32_t xsw_next_changed(const struct xsw *x, uint32_t from)
{
	for (uint32_t w = from / 64; w < XSW_DOMID_LIMIT / 64; w++) {
		uint64_t bits = x->changed[w];

		if (w == from / 64)
			bits &= ~UINT64_C(0) << (from % 64);
		if (bits != 0)
			return w * 64 + (uint32_t)__builtin_ctzll(bits);
	}
	return UINT32_MAX;
}

/* Reads a node into buf; -ENOENT when absent, -ENAMETOOLONG when it does not fit. */
static int xsw_read(struct xsw *x, const char *path, char *buf, size_t len)
{
	unsigned int n;
	char *v;

	v = xs_read(x->h, XBT_NULL, path, &n);
	if (v == NULL)
		return xsw_fail(x, errno);
	if (n >= len || memchr(v, '\0', n) != NULL) {
		free(v);
		return -ENAMETOOLONG;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	free(v);
	return 0;
}

int xsw_ping(struct xsw *x)
{
	char name[DOM_NAME_PING_MAX];
	int r = xsw_read(x, "/local/domain/0/name", name, sizeof(name));

	/* No name, or a long one, is an answer all the same. */
	return r == -ENOENT || r == -ENAMETOOLONG ? 0 : r;
}

int xsw_read_name(struct xsw *x, uint32_t domid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/name", domid);
	return xsw_read(x, path, buf, len);
}

/*
 * Decides whether a guest could have written its own key: the first entry is
 * the owner and the default for everyone else, later entries are explicit.
 */
static bool xsw_perms_trusted(const struct xs_permissions *p, unsigned n, uint32_t domid)
{
	if (n == 0 || p[0].id != 0)
		return false;
	if (domid == 0)
		return true;
	/* Every domain not listed may write: the guest, or another guest on its behalf. */
	if (p[0].perms & XS_PERM_WRITE)
		return false;
	/* Nor may any listed domain but dom0: a third domain must not move the guest either. */
	for (unsigned i = 1; i < n; i++)
		if (p[i].id != 0 && (p[i].perms & XS_PERM_WRITE))
			return false;
	return true;
}

int xsw_read_pool_key(struct xsw *x, uint32_t domid, char *buf, size_t len, bool *trusted)
{
	struct xs_permissions *p;
	unsigned int n;
	char path[64];
	int r;

	*trusted = false;
	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/pool", domid);
	r = xsw_read(x, path, buf, len);
	if (r < 0)
		return r;
	p = xs_get_permissions(x->h, XBT_NULL, path, &n);
	if (p == NULL)
		return xsw_fail(x, errno);
	*trusted = xsw_perms_trusted(p, n, domid);
	free(p);
	if (!*trusted)
		log_debug("domain %" PRIu32
		          ": ignoring %s: not owned by dom0 or writable by the guest",
		          domid, path);
	return 0;
}
