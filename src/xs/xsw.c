/* The xenstore watcher: domain introduce/release watches and trusted `pool` keys. */
#include "xs/xsw.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>

#include "util/log.h"

/* Domids at or above DOMID_FIRST_RESERVED (0x7FF0) are never guests. */
#define XSW_DOMID_LIMIT   0x8000u
/* Room for dom0's name when xsw_ping() reads it. */
#define DOM_NAME_PING_MAX 256

#define XSW_TOKEN_INTRODUCE "poold:introduce"
#define XSW_TOKEN_RELEASE   "poold:release"
#define XSW_TOKEN_POOL      "poold:pool"

/*
 * How long one xenstore call may take (ms). libxenstore waits for a reply
 * without a bound; past this the guard shuts the socket down, the call
 * fails, and poold exits for its service manager to restart it.
 */
#define XSW_CALL_TIMEOUT_MS 5000

/* Descriptors looked at when finding libxenstore's socket (xsw_find_socket). */
#define XSW_FD_SCAN 1024

struct xsw {
	struct xs_handle *h;
	struct event *ev;
	/*
	 * A duplicate of libxenstore's socket, polled only for the peer's
	 * hangup (EV_CLOSED), so that a xenstored gone is noticed the moment
	 * its end closes; -1 when xenstore is a device (xenbus), not a socket.
	 */
	int sock;
	struct event *hup;
	/* The guard: a thread that bounds each call (xsw_begin/xsw_end) by shutting sock down. */
	pthread_t guard;
	bool guarded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t deadline; /* CLOCK_MONOTONIC ms the call in progress must end by; 0: none */
	bool idle;         /* the guard waits with no deadline: only a call's start wakes it */
	bool stop;
	atomic_bool timed_out;
	xsw_changed_fn fn;
	void *arg;
	/* Which domains have their pool key watched, so watching is idempotent. */
	uint64_t watched[XSW_DOMID_LIMIT / 64];
	/* The connection broke; poold exits (xsw_lost). */
	bool lost;
	/* Which watched keys had an event since xsw_key_events() last asked, and which more. */
	uint64_t changed[XSW_DOMID_LIMIT / 64];
	uint64_t again[XSW_DOMID_LIMIT / 64];
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
	if (atomic_load(&x->timed_out) && !x->lost) {
		log_warnx("xenstore did not answer in %d ms; exiting", XSW_CALL_TIMEOUT_MS);
		err = ETIMEDOUT;
	}
	if ((err == ETIMEDOUT || err == EBADF || err == ECONNRESET || err == EPIPE ||
	     err == ENOTCONN) &&
	    !x->lost) {
		errno = err;
		log_warn("xenstore connection lost; exiting");
		x->lost = true;
		if (x->hup != NULL)
			event_del(x->hup);
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
		uint64_t bit = UINT64_C(1) << (domid % 64);

		x->again[domid / 64] |= x->changed[domid / 64] & bit;
		x->changed[domid / 64] |= bit;
		return XSW_KEY;
	}
	/* Not an event of one key: each is read again, none counts one more event. */
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

/* Reads CLOCK_MONOTONIC in ms. */
static uint64_t xsw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The guard thread: while a call is in progress past its deadline, shuts
 * the socket down, so that libxenstore's wait for the reply ends in an
 * error (its reader sees end of file) instead of holding the loop.
 */
static void *xsw_guard(void *arg)
{
	struct xsw *x = arg;

	pthread_mutex_lock(&x->mu);
	while (!x->stop) {
		uint64_t now = xsw_now_ms();
		struct timespec ts;

		if (x->deadline == 0) {
			x->idle = true;
			pthread_cond_wait(&x->cv, &x->mu);
			x->idle = false;
			continue;
		}
		if (now >= x->deadline) {
			atomic_store(&x->timed_out, true);
			shutdown(x->sock, SHUT_RDWR);
			x->deadline = 0;
			continue;
		}
		ts.tv_sec = (time_t)(x->deadline / 1000);
		ts.tv_nsec = (long)(x->deadline % 1000) * 1000000;
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* Starts the guard, if there is a socket to shut down. */
static int xsw_guard_start(struct xsw *x)
{
	pthread_condattr_t ca;

	if (x->sock < 0)
		return 0;
	pthread_mutex_init(&x->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&x->guard, NULL, xsw_guard, x) != 0) {
		pthread_cond_destroy(&x->cv);
		pthread_mutex_destroy(&x->mu);
		return -EAGAIN;
	}
	x->guarded = true;
	return 0;
}

static void xsw_guard_stop(struct xsw *x)
{
	if (!x->guarded)
		return;
	pthread_mutex_lock(&x->mu);
	x->stop = true;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->guard, NULL);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	x->guarded = false;
}

/*
 * A xenstore call starts: the guard bounds it. It is woken only from its
 * wait without a deadline; one waiting for an earlier deadline finds the
 * later one when it wakes, so a burst of calls wakes it once.
 */
static void xsw_begin(struct xsw *x)
{
	if (!x->guarded)
		return;
	pthread_mutex_lock(&x->mu);
	x->deadline = xsw_now_ms() + XSW_CALL_TIMEOUT_MS;
	if (x->idle)
		pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

/* The call ended. */
static void xsw_end(struct xsw *x)
{
	int saved = errno;

	if (!x->guarded)
		return;
	pthread_mutex_lock(&x->mu);
	x->deadline = 0;
	pthread_mutex_unlock(&x->mu);
	errno = saved;
}

/* Marks the descriptors open now that are sockets in set (XSW_FD_SCAN bits). */
static void xsw_sockets(uint64_t *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	memset(set, 0, XSW_FD_SCAN / 8);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		int fd = atoi(de->d_name);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd >= XSW_FD_SCAN ||
		    fd == dirfd(d) || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		set[fd / 64] |= UINT64_C(1) << (fd % 64);
	}
	closedir(d);
}

/*
 * Finds the socket xs_open() made: the one socket that was not there
 * before (poold opens xenstore before any other thread runs). Returns a
 * duplicate of it, or -1 (xenstore is the xenbus device, or it is unclear).
 */
static int xsw_find_socket(const uint64_t *before)
{
	uint64_t after[XSW_FD_SCAN / 64];
	int found = -1;

	xsw_sockets(after);
	for (int fd = 0; fd < XSW_FD_SCAN; fd++) {
		uint64_t bit = UINT64_C(1) << (fd % 64);

		if (!(after[fd / 64] & bit) || (before[fd / 64] & bit))
			continue;
		if (found >= 0)
			return -1;
		found = fd;
	}
	return found < 0 ? -1 : fcntl(found, F_DUPFD_CLOEXEC, 0);
}

/* xenstored closed its end: every later call would fail, and no watch will ever fire. */
static void xsw_hangup(evutil_socket_t fd, short what, void *arg)
{
	struct xsw *x = arg;

	event_del(x->hup);
	xsw_fail(x, ECONNRESET);
}

/* Polls the duplicate socket for the peer's hangup, if the loop's backend can tell. */
static int xsw_watch_hangup(struct xsw *x, struct event_base *base)
{
	if (x->sock < 0) {
		log_info("xenstore is not a socket: a lost xenstored is noticed by the heartbeat");
		return 0;
	}
	if (!(event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)) {
		log_info("event backend %s cannot report a hangup: a lost xenstored is noticed "
		         "by the heartbeat",
		         event_base_get_method(base));
		return 0;
	}
	x->hup = event_new(base, x->sock, EV_CLOSED | EV_PERSIST, xsw_hangup, x);
	if (x->hup == NULL || event_add(x->hup, NULL) < 0)
		return -ENOMEM;
	return 0;
}

int xsw_open(struct xsw **out, struct event_base *base, xsw_changed_fn fn, void *arg)
{
	uint64_t before[XSW_FD_SCAN / 64];
	struct xsw *x;
	int r;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->fn = fn;
	x->arg = arg;
	x->sock = -1;
	xsw_sockets(before);
	x->h = xs_open(0);
	if (x->h == NULL) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	x->sock = xsw_find_socket(before);
	if ((r = xsw_guard_start(x)) < 0)
		goto fail;
	xsw_begin(x);
	if (!xs_watch(x->h, "@introduceDomain", XSW_TOKEN_INTRODUCE) ||
	    !xs_watch(x->h, "@releaseDomain", XSW_TOKEN_RELEASE)) {
		xsw_end(x);
		r = atomic_load(&x->timed_out) ? -ETIMEDOUT : errno ? -errno : -EIO;
		goto fail;
	}
	xsw_end(x);
	x->ev = event_new(base, xs_fileno(x->h), EV_READ | EV_PERSIST, xsw_readable, x);
	if (x->ev == NULL || event_add(x->ev, NULL) < 0 || xsw_watch_hangup(x, base) < 0) {
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
	if (x->hup != NULL)
		event_free(x->hup);
	if (x->h != NULL)
		xs_close(x->h);
	/* After xs_close: no call is in progress, and the guard's socket is closed last. */
	xsw_guard_stop(x);
	if (x->sock >= 0)
		close(x->sock);
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
	xsw_begin(x);
	if (!xs_watch(x->h, path, XSW_TOKEN_POOL)) {
		xsw_end(x);
		return xsw_fail(x, errno);
	}
	xsw_end(x);
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
	xsw_begin(x);
	if (!xs_unwatch(x->h, path, XSW_TOKEN_POOL)) {
		xsw_end(x);
		return xsw_fail(x, errno);
	}
	xsw_end(x);
	return 0;
}

bool xsw_lost(const struct xsw *x)
{
	return x != NULL && x->lost;
}

unsigned xsw_key_events(struct xsw *x, uint32_t domid)
{
	uint64_t bit = UINT64_C(1) << (domid % 64);
	unsigned n;

	if (domid >= XSW_DOMID_LIMIT)
		return 1;
	n = (x->changed[domid / 64] & bit) != 0;
	n += (x->again[domid / 64] & bit) != 0;
	x->changed[domid / 64] &= ~bit;
	x->again[domid / 64] &= ~bit;
	return n;
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

	xsw_begin(x);
	v = xs_read(x->h, XBT_NULL, path, &n);
	xsw_end(x);
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

/* Tries of a key's transaction that xenstored ends with EAGAIN (a write raced it). */
#define XSW_TX_TRIES 8

/*
 * Reads the key and its permissions in one transaction, so that the value
 * judged is the one the permissions guarded. 0, -EAGAIN to try again, or
 * -errno.
 */
static int xsw_read_key_tx(struct xsw *x, const char *path, char *buf, size_t len,
                           struct xs_permissions **perms, unsigned *nperms)
{
	xs_transaction_t t;
	unsigned int n;
	char *v = NULL;
	int r = 0;

	*perms = NULL;
	xsw_begin(x);
	t = xs_transaction_start(x->h);
	if (t == XBT_NULL) {
		xsw_end(x);
		return xsw_fail(x, errno);
	}
	v = xs_read(x->h, t, path, &n);
	if (v == NULL)
		r = -(errno ? errno : EIO);
	else if ((*perms = xs_get_permissions(x->h, t, path, nperms)) == NULL)
		r = -(errno ? errno : EIO);
	/* A read-only transaction commits too: EAGAIN says a write came between the two reads. */
	if (!xs_transaction_end(x->h, t, r != 0) && r == 0)
		r = -(errno ? errno : EIO);
	xsw_end(x);
	if (r == 0 && (n >= len || memchr(v, '\0', n) != NULL))
		r = -ENAMETOOLONG;
	if (r == 0) {
		memcpy(buf, v, n);
		buf[n] = '\0';
	}
	free(v);
	if (r != 0) {
		free(*perms);
		*perms = NULL;
	}
	if (r == -EAGAIN || r == -ENOENT || r == -ENAMETOOLONG)
		return r;
	return r < 0 ? xsw_fail(x, -r) : 0;
}

int xsw_read_pool_key(struct xsw *x, uint32_t domid, char *buf, size_t len, bool *trusted)
{
	struct xs_permissions *p = NULL;
	unsigned int n = 0;
	char path[64];
	int r = -EAGAIN;

	*trusted = false;
	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/pool", domid);
	for (int i = 0; i < XSW_TX_TRIES && r == -EAGAIN && !x->lost; i++)
		r = xsw_read_key_tx(x, path, buf, len, &p, &n);
	if (r < 0)
		return r;
	*trusted = xsw_perms_trusted(p, n, domid);
	free(p);
	if (!*trusted)
		log_debug("domain %" PRIu32
		          ": ignoring %s: not owned by dom0 or writable by another domain",
		          domid, path);
	return 0;
}
