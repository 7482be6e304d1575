/* xensim's xenstore server: the socket, connections, framing, watch delivery and the API. */
#include "xensim/xsd.h"
#include "xensim/xsd-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "util/log.h"

/* Beyond this many clients new ones are refused: the simulator serves a handful. */
#define XSD_MAX_CONNS 256
/* A client that lets this much output pile up is not reading: drop it, as xenstored does. */
#define XSD_OUT_MAX   (1024 * 1024)

/* Frees a connection; callers unlink it first. */
static void conn_free(struct xsd_conn *c)
{
	while (c->watches) {
		struct xsd_watch *w = c->watches;

		c->watches = w->next;
		xsd_watch_free(w);
		c->x->nwatches--;
	}
	while (c->txs) {
		struct xsd_tx *tx = c->txs;

		c->txs = tx->next;
		xsd_tx_free(tx);
	}
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->pending)
		evbuffer_free(c->pending);
	free(c);
}

/* Marks a connection for closing; it is freed by reap() once no callback uses it. */
static void conn_drop(struct xsd_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	c->x->nconns--;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
}

/* Frees the connections marked dead. */
static void reap(struct xsd *x)
{
	struct xsd_conn **pp = &x->conns;

	while (*pp) {
		struct xsd_conn *c = *pp;

		if (c->dead) {
			*pp = c->next;
			conn_free(c);
		} else {
			pp = &c->next;
		}
	}
}

/* Drops a connection whose client stopped reading. */
static void check_backlog(struct xsd_conn *c)
{
	if (c->dead || evbuffer_get_length(bufferevent_get_output(c->bev)) <= XSD_OUT_MAX)
		return;
	log_warnx("xsd: dropping a client with more than %d bytes unread", XSD_OUT_MAX);
	conn_drop(c);
}

/* Sends every watch event queued while the last request or API call ran. */
static void flush_events(struct xsd *x)
{
	for (struct xsd_conn *c = x->conns; c; c = c->next) {
		if (c->dead || x->stalled || !evbuffer_get_length(c->pending))
			continue;
		bufferevent_write_buffer(c->bev, c->pending);
		check_backlog(c);
	}
}

/* Queues one framed message on the connection's output. */
static void send_msg(struct xsd_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                     const void *data, size_t len)
{
	struct xsd_sockmsg hdr = {.type = type, .req_id = req_id, .tx_id = tx_id, .len = len};
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->dead)
		return;
	if (evbuffer_add(out, &hdr, sizeof(hdr)) < 0 || evbuffer_add(out, data, len) < 0) {
		log_warnx("xsd: out of memory queueing a reply");
		conn_drop(c);
		return;
	}
	check_backlog(c);
}

/* Returns the wire name of an errno, which is how XS_ERROR carries it. */
static const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EIO";
}

void xsd_reply(struct xsd_req *r, const void *data, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX) {
		/* libxenstore then falls back to DIRECTORY_PART for a long listing. */
		xsd_reply_error(r, E2BIG);
		return;
	}
	r->replied = true;
	send_msg(r->c, r->type, r->req_id, r->tx_id, data, len);
}

void xsd_reply_error(struct xsd_req *r, int err)
{
	const char *name = errno_name(err);

	r->replied = true;
	send_msg(r->c, XS_ERROR, r->req_id, r->tx_id, name, strlen(name) + 1);
}

void xsd_reply_ok(struct xsd_req *r)
{
	xsd_reply(r, "OK", sizeof("OK"));
}

void xsd_queue_event(struct xsd_conn *c, const struct xsd_watch *w, const char *path)
{
	size_t plen, tlen = strlen(w->token) + 1;
	struct xsd_sockmsg hdr = {.type = XS_WATCH_EVENT};

	if (c->dead)
		return;
	if (w->relative && xsd_path_under(path, XSD_HOME) && path[strlen(XSD_HOME)] == '/')
		path += strlen(XSD_HOME) + 1;
	plen = strlen(path) + 1;
	if (plen + tlen > XENSTORE_PAYLOAD_MAX) {
		/* libxenstore would reject it and close the connection. */
		log_debug("xsd: event %s too long for token %s, not sent", path, w->token);
		return;
	}
	hdr.len = plen + tlen;
	if (evbuffer_add(c->pending, &hdr, sizeof(hdr)) < 0 ||
	    evbuffer_add(c->pending, path, plen) < 0 ||
	    evbuffer_add(c->pending, w->token, tlen) < 0) {
		conn_drop(c);
		return;
	}
	c->x->stats.watch_events++;
}

/* Raises the events of a change in the live tree for every matching watch. */
static void on_change(void *arg, const char *path, bool exact)
{
	struct xsd *x = arg;

	for (struct xsd_conn *c = x->conns; c; c = c->next) {
		for (struct xsd_watch *w = c->watches; w; w = w->next) {
			bool hit =
			    exact ? strcmp(w->path, path) == 0 : xsd_path_under(path, w->path);

			if (hit)
				xsd_queue_event(c, w, path);
		}
	}
}

/* Reads and serves every complete request in the connection's input. */
static void conn_read(struct bufferevent *bev, void *arg)
{
	struct xsd_conn *c = arg;
	struct xsd *x = c->x;
	struct evbuffer *in = bufferevent_get_input(bev);
	char body[XENSTORE_PAYLOAD_MAX + 1];

	while (!c->dead && !x->stalled) {
		struct xsd_sockmsg hdr;
		struct xsd_req r = {.x = x, .c = c};

		if (evbuffer_get_length(in) < sizeof(hdr))
			break;
		evbuffer_copyout(in, &hdr, sizeof(hdr));
		if (hdr.len > XENSTORE_PAYLOAD_MAX) {
			log_warnx("xsd: dropping a client that sent a %u-byte payload", hdr.len);
			conn_drop(c);
			break;
		}
		if (evbuffer_get_length(in) < sizeof(hdr) + hdr.len)
			break;
		evbuffer_drain(in, sizeof(hdr));
		evbuffer_remove(in, body, hdr.len);
		body[hdr.len] = '\0';
		r.type = hdr.type;
		r.req_id = hdr.req_id;
		r.tx_id = hdr.tx_id;
		r.body = body;
		r.len = hdr.len;
		xsd_dispatch(&r);
		flush_events(x);
	}
	reap(x);
}

/* Closes a connection on EOF or error. */
static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct xsd_conn *c = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (what & BEV_EVENT_ERROR)
		log_debug("xsd: client error: %s", strerror(EVUTIL_SOCKET_ERROR()));
	conn_drop(c);
	reap(c->x);
}

/* Takes a new client. */
static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
	struct xsd *x = arg;
	struct xsd_conn *c;

	if (x->nconns >= XSD_MAX_CONNS) {
		log_warnx("xsd: %d clients already, refusing another", XSD_MAX_CONNS);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->x = x;
	c->pending = evbuffer_new();
	c->bev = bufferevent_socket_new(x->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->pending || !c->bev)
		goto fail;
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	if (bufferevent_enable(c->bev, EV_READ) < 0)
		goto fail;
	c->next = x->conns;
	x->conns = c;
	x->nconns++;
	log_debug("xsd: client connected (%u)", x->nconns);
	return;
fail:
	log_warnx("xsd: out of memory accepting a client");
	if (c && c->bev)
		fd = -1; /* the bufferevent owns it now */
	if (c)
		conn_free(c);
	if (fd >= 0)
		close(fd);
}

/* Accepting again after a pause. */
static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct xsd *x = arg;

	evconnlistener_enable(x->listener);
}

/* Pauses accepting for a second when out of descriptors, rather than spinning on accept. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct xsd *x = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval second = {1, 0};

	log_warnx("xsd: accept: %s", strerror(err));
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		evconnlistener_disable(l);
		evtimer_add(x->resume, &second);
	}
}

/* Binds the listening socket at path, replacing a stale socket but nothing else. */
static int listen_at(const char *path, int *out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (lstat(path, &st) == 0) {
		/* A socket someone still answers on is not stale: never steal a live server's. */
		if (!S_ISSOCK(st.st_mode))
			r = -EEXIST;
		else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN)
			r = -EADDRINUSE;
		else
			r = unlink(path) < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	}
	/* Only root may talk to the store: tighten the mode before the path exists. */
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

/* Listens at x->path again; 0 or -errno. */
static int xsd_listen(struct xsd *x)
{
	int fd = -1, r;

	r = listen_at(x->path, &fd);
	if (r < 0)
		return r;
	x->listener = evconnlistener_new(x->base, on_accept, x,
	                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!x->listener) {
		close(fd);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(x->listener, on_accept_error);
	return 0;
}

/* A restart's downtime or a stall is over. */
static void on_back(evutil_socket_t fd, short what, void *arg)
{
	struct xsd *x = arg;
	struct timeval second = {1, 0};
	int r;

	if (x->stalled) {
		x->stalled = false;
		log_info("xsd: stall over");
		/* What arrived meanwhile is served from the loop, as if it came now. */
		for (struct xsd_conn *c = x->conns; c; c = c->next)
			if (!c->dead)
				bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
		flush_events(x);
	}
	if (x->down) {
		r = xsd_listen(x);
		if (r < 0) {
			log_warnx("xsd: cannot listen on %s again: %s; retrying in 1 s", x->path,
			          strerror(-r));
			evtimer_add(x->back, &second);
			return;
		}
		x->down = false;
		log_info("xsd: restarted: listening on %s", x->path);
	}
}

int xsd_restart(struct xsd *x, unsigned down_ms)
{
	struct timeval tv = {down_ms / 1000, (down_ms % 1000) * 1000};

	for (struct xsd_conn *c = x->conns; c; c = c->next)
		conn_drop(c);
	reap(x);
	x->stalled = false;
	if (x->listener) {
		/* The socket file stays: connecting to it is refused until it listens again. */
		evconnlistener_free(x->listener);
		x->listener = NULL;
	}
	event_del(x->resume);
	x->down = true;
	log_info("xsd: restarting: every connection dropped, refusing for %u ms", down_ms);
	return evtimer_add(x->back, &tv) < 0 ? -ENOMEM : 0;
}

int xsd_stall(struct xsd *x, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (x->down)
		return -ENOTCONN;
	x->stalled = true;
	log_info("xsd: stalling for %u ms", ms);
	return evtimer_add(x->back, &tv) < 0 ? -ENOMEM : 0;
}

int xsd_new(struct xsd **out, struct event_base *base, const char *path)
{
	struct xsd *x = calloc(1, sizeof(*x));
	int fd = -1, r;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	x->base = base;
	x->next_txid = 1;
	r = xsd_tree_new(&x->tree);
	if (r < 0)
		goto fail;
	xsd_tree_set_notify(x->tree, on_change, x);
	x->resume = evtimer_new(base, on_resume, x);
	x->back = evtimer_new(base, on_back, x);
	x->path = strdup(path);
	if (!x->resume || !x->back || !x->path) {
		r = -ENOMEM;
		goto fail;
	}
	r = listen_at(path, &fd);
	if (r < 0)
		goto fail;
	x->listener = evconnlistener_new(base, on_accept, x,
	                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!x->listener) {
		close(fd);
		unlink(path);
		r = -ENOMEM;
		goto fail;
	}
	evconnlistener_set_error_cb(x->listener, on_accept_error);
	*out = x;
	return 0;
fail:
	free(x->path);
	x->path = NULL; /* nothing of ours to unlink */
	xsd_free(x);
	return r;
}

struct xsd *xsd_free(struct xsd *x)
{
	if (!x)
		return NULL;
	for (struct xsd_conn *c = x->conns; c; c = c->next)
		c->dead = true;
	reap(x);
	if (x->listener)
		evconnlistener_free(x->listener);
	if (x->resume)
		event_free(x->resume);
	if (x->back)
		event_free(x->back);
	if (x->path) {
		unlink(x->path);
		free(x->path);
	}
	xsd_tree_free(x->tree);
	free(x);
	return NULL;
}

/* Finishes an API call: its events go out now, since no reply has to precede them. */
static int api_done(struct xsd *x, int r)
{
	flush_events(x);
	reap(x);
	return r;
}

int xsd_write(struct xsd *x, const char *path, const char *value)
{
	return api_done(x, xsd_tree_write(x->tree, path, value, strlen(value)));
}

int xsd_set_perms(struct xsd *x, const char *path, const char *perms)
{
	struct xsd_perm p[64];
	size_t n = 0;
	char *copy = strdup(perms), *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == sizeof(p) / sizeof(p[0]) || !xsd_perm_parse(tok, &p[n])) {
			r = -EINVAL;
			break;
		}
		n++;
	}
	free(copy);
	if (r == 0 && n == 0)
		r = -EINVAL;
	if (r < 0)
		return r;
	return api_done(x, xsd_tree_set_perms(x->tree, path, p, n));
}

int xsd_rm(struct xsd *x, const char *path)
{
	return api_done(x, xsd_tree_rm(x->tree, path));
}

void xsd_fire_special(struct xsd *x, const char *special)
{
	for (struct xsd_conn *c = x->conns; c; c = c->next)
		for (struct xsd_watch *w = c->watches; w; w = w->next)
			if (strcmp(w->path, special) == 0)
				xsd_queue_event(c, w, special);
	api_done(x, 0);
}

void xsd_get_stats(const struct xsd *x, struct xsd_stats *out)
{
	*out = x->stats;
	out->connections = x->nconns;
	out->watches = x->nwatches;
}
