/* The control socket: framing, clients, limits, greeting, dispatch. */
#include "ctl/server.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "poold-protocol.h"
#include "ctl/cmd.h"
#include "ctl/proto.h"
#include "poold/engine.h"
#include "util/log.h"

/*
 * What poold queues for one client before giving up on it: far more than
 * the largest listing, so only a client that stopped reading hits it.
 */
#define CTL_OUTBUF_MAX        (4u << 20)
/* ... and of events a subscriber has not read (64 such on a socket: 64 MiB at most). */
#define CTL_EVENT_BACKLOG_MAX (1u << 20)
/* How long a closing client may keep sending before we stop waiting for its EOF. */
#define CTL_LINGER_SEC        5
/* At most this many warnings about clients in that time. */
#define CTL_WARN_BURST        10
/* Refused clients are logged at most this often (s). */
#define CTL_REFUSE_LOG_SEC    10
/* How long accept stays paused after the process ran out of descriptors. */
#define CTL_ACCEPT_RETRY_SEC  1
/*
 * Descriptors below the open-file limit that clients never take: poold's
 * own work needs some at once (the state file's temporary and its
 * directory, sd_notify's socket for each heartbeat, poold.conf on SIGHUP,
 * reconnecting to xensim), and must not fail for want of them.
 */
#define CTL_FD_RESERVE        16
/*
 * How long a dropped subscriber may read nothing before it is closed without
 * the event that says why: long enough for a slow reader, short enough that
 * one that never reads keeps its place only briefly.
 */
#define CTL_DROP_FLUSH_SEC    10
/*
 * Lines of one client run in one turn of the loop: a client that sends
 * thousands at once waits its turn again, so that the others (root's
 * status) are not kept waiting behind it.
 */
#define CTL_LINES_PER_TURN    32

struct ctl_client {
	TAILQ_ENTRY(ctl_client) entry;
	struct ctl_server *srv;
	struct bufferevent *bev;
	struct event *more; /* its lines past CTL_LINES_PER_TURN, in a later turn */
	unsigned id;
	bool subscribed;
	bool closing;   /* free once the output is flushed */
	bool lingering; /* flushed and shut down for writing: discarding input until EOF */
	bool got_eof;   /* the client shut down its side */
	bool in_read;   /* inside client_read: freeing is deferred to its end */
	bool drop;      /* free at the end of client_read */
	bool readonly;  /* came in on the read-only socket: only non-mutating commands */
	bool peer;      /* on the main socket, neither root nor in socket_group: the same */
	/*
	 * A reply held until the change it acknowledges is durable (the
	 * engine's ENGINE_EV_DURABLE); the client's next lines wait behind it.
	 */
	char *held;
	size_t held_len;
	uint64_t held_seq;
	unsigned held_out; /* CTL_OUT_* of its line */
	/*
	 * A line whose listing is being made a slice per turn (CTL_OUT_WAIT),
	 * run again once it is; the client's next lines wait behind it.
	 */
	char *wait_line;
	size_t wait_len;
	/* Bytes of events queued since its output was last all sent (a listing does not count). */
	size_t event_bytes;
	/* Who it is, as the kernel said at connect: "uid U, pid P" (the audit trail). */
	char who[48];
	long uid, pid; /* SO_PEERCRED's, -1 where the kernel did not say */
};

/* One listening socket: the main one, or the read-only one (0666, no mutating commands). */
struct ctl_listener {
	struct ctl_server *srv;
	struct evconnlistener *lev;
	char *path; /* the socket we created, unlinked on free; NULL for an inherited one */
	bool readonly;
};

/* The main listener, and the read-only one if asked for. */
#define CTL_LISTENERS 2

struct ctl_server {
	struct event_base *base;
	struct engine *eng;
	struct ctl_listener lis[CTL_LISTENERS];
	size_t nlis;
	struct event *resume;
	TAILQ_HEAD(, ctl_client) clients;
	size_t nclients;
	size_t nro; /* of them, on the read-only socket */
	/* Closes a client that sends nothing and has not subscribed (POOLD_IDLE_SEC). */
	struct timeval idle;
	/* The group whose members may change things on the main socket, besides root. */
	bool has_group;
	gid_t group;
	/* Client warnings in the current window, held back, and when it began (s). */
	unsigned warns, warn_held;
	time_t warn_window;
	/* Refusals since the last one logged, and when that was (s, monotonic). */
	unsigned refused;
	time_t refuse_logged;
	unsigned next_id;
	bool paused; /* every listener, as they share the process's descriptors */
	/*
	 * Out of descriptors since the last accept that worked: the retries of
	 * one shortage are one pause, logged at most every CTL_REFUSE_LOG_SEC.
	 */
	bool starved;
	bool starve_told; /* this pause was logged: so is its end */
	unsigned pauses;  /* since the last pause logged */
	time_t pause_logged;
	/* The listings' encoded replies, one slot per command (proto.h). */
	struct ctl_cache *cache;
	size_t ncache;
	struct event *slice; /* the next slice of the listings being made */
};

/*
 * A warning about one client: at most CTL_WARN_BURST in CTL_REFUSE_LOG_SEC,
 * then how many were held back, so that a local user can't flood the log.
 */
static void client_warn(struct ctl_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void client_warn(struct ctl_server *s, const char *fmt, ...)
{
	struct timespec now;
	char msg[256];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - s->warn_window >= CTL_REFUSE_LOG_SEC) {
		if (s->warn_held > 0)
			log_warnx("%u warnings about clients held back in the last %d s",
			          s->warn_held, CTL_REFUSE_LOG_SEC);
		s->warn_window = now.tv_sec;
		s->warns = s->warn_held = 0;
	}
	if (s->warns >= CTL_WARN_BURST) {
		s->warn_held++;
		return;
	}
	s->warns++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
}

/* Turns accept on or off on every listener. */
static void server_accepting(struct ctl_server *s, bool on)
{
	for (size_t i = 0; i < s->nlis; i++) {
		if (on)
			evconnlistener_enable(s->lis[i].lev);
		else
			evconnlistener_disable(s->lis[i].lev);
	}
}

/* Closes a client's connection and forgets it. */
static void client_free(struct ctl_client *c)
{
	struct ctl_server *s = c->srv;

	TAILQ_REMOVE(&s->clients, c, entry);
	s->nclients--;
	s->nro -= c->readonly;
	bufferevent_free(c->bev);
	if (c->more != NULL)
		event_free(c->more);
	free(c->held);
	free(c->wait_line);
	log_debug("client %u gone", c->id);
	free(c);
	/* A descriptor is free again: no reason to wait for the retry timer. */
	if (s->paused) {
		s->paused = false;
		event_del(s->resume);
		server_accepting(s, true);
	}
}

/* Frees c now, or at the end of its read callback if it is inside one. */
static void client_drop(struct ctl_client *c)
{
	if (c->in_read)
		c->drop = true;
	else
		client_free(c);
}

/* Its next lines wait: for a change to be durable, or for a listing to be made. */
static bool client_waits(const struct ctl_client *c)
{
	return c->held != NULL || c->wait_line != NULL;
}

/* A subscriber waits for events as long as it likes: no idle timeout. */
static void client_subscribed(struct ctl_client *c)
{
	c->subscribed = true;
	bufferevent_set_timeouts(c->bev, NULL, NULL);
}

static void client_close_after_flush(struct ctl_client *c);

/*
 * Counts the lines of out after its first one, which may be sent in part
 * already and so stays; *keep gets that first line's length.
 */
static size_t lines_after_first(struct evbuffer *out, size_t *keep)
{
	struct evbuffer_ptr p = evbuffer_search(out, "\n", 1, NULL);
	size_t n = 0;

	*keep = p.pos < 0 ? evbuffer_get_length(out) : (size_t)p.pos + 1;
	while (p.pos >= 0) {
		if (evbuffer_ptr_set(out, &p, 1, EVBUFFER_PTR_ADD) < 0)
			break;
		p = evbuffer_search(out, "\n", 1, &p);
		n += p.pos >= 0;
	}
	return n;
}

/*
 * Drops a subscriber that fell too far behind, telling it why: what is
 * queued for it goes (but the line being sent, which it may have begun to
 * read), one subscription-dropped event takes its place, and the connection
 * closes once that is sent, or after CTL_DROP_FLUSH_SEC of reading nothing.
 */
static void client_drop_behind(struct ctl_client *c, const char *reason, unsigned limit)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer *head = evbuffer_new();
	struct timeval tv = {CTL_DROP_FLUSH_SEC, 0};
	size_t keep, dropped, len;
	json_t *msg;
	char *buf;
	bool r;

	dropped = lines_after_first(out, &keep);
	/*
	 * A socket bufferevent keeps the front of its output to itself (frozen
	 * but while it writes): thawed here, between its callbacks, to cut it.
	 */
	evbuffer_unfreeze(out, 1);
	r = head == NULL || evbuffer_remove_buffer(out, head, keep) < 0 ||
	    evbuffer_drain(out, evbuffer_get_length(out)) < 0 || evbuffer_add_buffer(out, head) < 0;
	evbuffer_freeze(out, 1);
	if (head != NULL)
		evbuffer_free(head);
	if (r) {
		client_warn(c->srv, "client %u: cannot discard its backlog, dropped", c->id);
		client_drop(c);
		return;
	}
	client_warn(c->srv,
	            "client %u: a subscriber more than %u bytes behind (%s), dropped with %zu "
	            "messages unsent",
	            c->id, limit, reason, dropped);
	msg = ctl_event_new(POOLD_EV_SUBSCRIPTION_DROPPED,
	                    json_pack("{s:s, s:I, s:I}", "reason", reason, "dropped",
	                              (json_int_t)dropped, "limit", (json_int_t)limit));
	buf = msg != NULL ? ctl_encode(msg, &len) : NULL;
	json_decref(msg);
	if (buf == NULL || bufferevent_write(c->bev, buf, len) != 0) {
		free(buf);
		client_drop(c);
		return;
	}
	free(buf);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	client_close_after_flush(c);
}

/*
 * Queues bytes for c; drops a client whose unread output outgrew the bound
 * (a subscriber told why, with client_drop_behind()).
 */
static void client_write(struct ctl_client *c, const char *buf, size_t len)
{
	if (c->drop || c->closing)
		return;
	if (bufferevent_write(c->bev, buf, len) != 0) {
		client_warn(c->srv, "client %u: cannot queue output, dropped", c->id);
		client_drop(c);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) <= CTL_OUTBUF_MAX)
		return;
	if (c->subscribed) {
		client_drop_behind(c, POOLD_DROP_OUTPUT, CTL_OUTBUF_MAX);
		return;
	}
	client_warn(c->srv, "client %u: more than %u bytes unread, dropped", c->id, CTL_OUTBUF_MAX);
	client_drop(c);
}

/* Sends one message; takes msg. */
static void client_send(struct ctl_client *c, json_t *msg)
{
	size_t len;
	char *buf = msg != NULL ? ctl_encode(msg, &len) : NULL;

	json_decref(msg);
	if (buf == NULL) {
		log_warnx("client %u: cannot encode a reply, dropped", c->id);
		client_drop(c);
		return;
	}
	client_write(c, buf, len);
	free(buf);
}

/*
 * Ends the conversation without losing the last reply: closing a socket
 * with unread input makes the kernel reset the connection, and the client
 * would see ECONNRESET instead of our reply and EOF. So shut down our side,
 * then discard what the client still sends until its EOF or a timeout.
 */
static void client_linger(struct ctl_client *c)
{
	struct timeval tv = {CTL_LINGER_SEC, 0};

	if (c->got_eof) {
		client_drop(c);
		return;
	}
	c->lingering = true;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev),
	               evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ);
}

/* Stops answering c and lets it go once what was queued has been sent. */
static void client_close_after_flush(struct ctl_client *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_linger(c);
}

/* Refuses a line past the limit: the rest of it can't be framed, so the connection ends. */
static void client_too_long(struct ctl_client *c)
{
	struct perr e;

	perr_set(&e, CTL_E_PROTOCOL, "request line longer than %d bytes: connection closed",
	         POOLD_LINE_MAX);
	client_warn(c->srv, "client %u: %s", c->id, e.msg);
	client_send(c, ctl_reply_error(CTL_E_PROTOCOL, &e, NULL));
	if (!c->drop)
		client_close_after_flush(c);
}

/*
 * Runs one complete line; built: it waited for its listing, made now.
 * Returns true when the line waits for a listing (the caller keeps it).
 */
static bool client_line(struct ctl_client *c, char *line, size_t len, bool built)
{
	struct engine *eng = c->srv->eng;
	uint64_t seq = engine_commit_seq(eng);
	unsigned out;
	size_t n;
	char *reply;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (strspn(line, " \t\r") >= len)
		return false; /* blank lines keep interactive sessions (socat) friendly */
	log_set_actor(c->who, c->uid, c->pid);
	reply = ctl_handle_line_encoded(eng, line, len,
	                                c->readonly ? CTL_ACCESS_READONLY
	                                : c->peer   ? CTL_ACCESS_PEER
	                                            : CTL_ACCESS_FULL,
	                                c->srv->cache, built, &n, &out);
	log_set_actor(NULL, -1, -1);
	if (out & CTL_OUT_WAIT) {
		bufferevent_disable(c->bev, EV_READ);
		if (!evtimer_pending(c->srv->slice, NULL)) {
			const struct timeval now = {0, 0};

			/* A timer: the next slice runs after the loop polled the others. */
			evtimer_add(c->srv->slice, &now);
		}
		return true;
	}
	if (reply == NULL) {
		log_warnx("client %u: cannot encode a reply, dropped", c->id);
		client_drop(c);
		return false;
	}
	if (engine_commit_seq(eng) != seq && engine_durable_seq(eng) < engine_commit_seq(eng)) {
		/* It changed the model: the reply waits until the change is durable. */
		c->held = reply;
		c->held_len = n;
		c->held_seq = engine_commit_seq(eng);
		c->held_out = out;
		bufferevent_disable(c->bev, EV_READ);
		return false;
	}
	client_write(c, reply, n);
	free(reply);
	if (c->drop || c->closing)
		return false;
	if (out & CTL_OUT_SUBSCRIBE)
		client_subscribed(c);
	if (out & CTL_OUT_CLOSE)
		client_close_after_flush(c);
	return false;
}

static void client_last_line(struct ctl_client *c);
static void client_read(struct bufferevent *bev, void *arg);

/* Serves the lines a client sent past CTL_LINES_PER_TURN; may free c. */
static void client_more(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *c = arg;

	client_read(c->bev, c);
}

/* Frames input into lines and answers each in order. */
static void client_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t eol_len, len;
	const struct timeval now = {0, 0};
	bool yielded = false;
	char *line;

	if (c->lingering) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	c->in_read = true;
	for (unsigned n = 0; !c->closing && !c->drop && !client_waits(c); n++) {
		if (n == CTL_LINES_PER_TURN) {
			/* A timer, not event_active(): it runs after the loop polled the others. */
			evtimer_add(c->more, &now);
			yielded = true;
			break;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		/* One byte of slack for the '\r' of a CRLF line. */
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > POOLD_LINE_MAX + 1)
				client_too_long(c);
			break;
		}
		len = (size_t)eol.pos;
		if (len > POOLD_LINE_MAX + 1) {
			client_too_long(c);
			break;
		}
		line = malloc(len + 1);
		if (line == NULL) {
			log_warnx("client %u: out of memory, dropped", c->id);
			client_drop(c);
			break;
		}
		evbuffer_remove(in, line, len);
		evbuffer_drain(in, eol_len);
		line[len] = '\0';
		if (client_line(c, line, len, false)) {
			c->wait_line = line;
			c->wait_len = len;
		} else {
			free(line);
		}
	}
	c->in_read = false;
	if (c->drop) {
		client_free(c);
		return;
	}
	if (yielded)
		return;
	/* An EOF that came while a reply was held, or lines waited: what it does now. */
	if (c->got_eof && !client_waits(c) && !c->closing) {
		client_last_line(c);
		if (c->drop)
			client_free(c);
		else if (!c->closing && !client_waits(c))
			client_close_after_flush(c);
	}
}

/* Runs a last line that EOF ended instead of a newline (printf '...' | socat). */
static void client_last_line(struct ctl_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in);
	char *line;

	if (c->closing || len == 0 || len > POOLD_LINE_MAX + 1)
		return;
	line = malloc(len + 1);
	if (line == NULL)
		return;
	evbuffer_remove(in, line, len);
	line[len] = '\0';
	c->in_read = true;
	if (client_line(c, line, len, false)) {
		c->wait_line = line;
		c->wait_len = len;
	} else {
		free(line);
	}
	c->in_read = false;
}

/* Finishes a closing client once its output is flushed. */
static void client_written(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	c->event_bytes = 0; /* all sent: the subscriber keeps up */
	if (c->closing && !c->lingering)
		client_linger(c);
}

/* Ends a client on error, or on EOF once its replies are out (clients may half-close). */
static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;

	if (c->lingering || (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) {
		if (what & BEV_EVENT_ERROR)
			log_debug("client %u: %s", c->id, strerror(errno));
		else if ((what & BEV_EVENT_WRITING) && c->closing)
			log_debug("client %u: read nothing for %d s after it was dropped, closed",
			          c->id, CTL_DROP_FLUSH_SEC);
		else if ((what & BEV_EVENT_TIMEOUT) && !c->lingering)
			log_debug("client %u: idle for %ld s, closed", c->id,
			          (long)c->srv->idle.tv_sec);
		client_free(c);
	} else if (what & BEV_EVENT_EOF) {
		c->got_eof = true;
		if (client_waits(c))
			return; /* client_release() or client_unwait() goes on from here */
		if (evtimer_pending(c->more, NULL))
			return; /* client_more() goes on from here */
		client_last_line(c);
		if (c->drop)
			client_free(c);
		else if (!c->closing && !client_waits(c))
			client_close_after_flush(c);
	}
}

/* Runs a line again once its listing is made; then its next lines, and its EOF. */
static void client_unwait(struct ctl_client *c)
{
	char *line = c->wait_line;

	c->wait_line = NULL;
	c->in_read = true;
	if (client_line(c, line, c->wait_len, true)) {
		c->wait_line = line; /* its listing is still being made */
		c->in_read = false;
		return;
	}
	free(line);
	c->in_read = false;
	if (c->drop) {
		client_free(c);
		return;
	}
	if (c->closing)
		return;
	if (!c->got_eof)
		bufferevent_enable(c->bev, EV_READ);
	client_read(c->bev, c); /* the lines that waited, then an EOF that did; may free c */
}

/* Adds a slice to the listings being made, and serves the lines they finished. */
static void server_slice(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_client *c, *next;
	bool more = ctl_cache_step(s->eng, s->cache, s->ncache);

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&s->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->wait_line != NULL)
			client_unwait(c);
	}
	if (more && !evtimer_pending(s->slice, NULL)) {
		const struct timeval now = {0, 0};

		evtimer_add(s->slice, &now);
	}
}

/*
 * Sends a held reply once its change is durable, or in its place the
 * StateError of a change that could not be made durable and was undone;
 * then the client's waiting lines, and its EOF, are served.
 */
static void client_release(struct ctl_client *c, bool durable, const char *msg)
{
	char *reply = c->held;
	unsigned out = c->held_out;
	c->held = NULL;
	c->in_read = true;
	if (durable) {
		client_write(c, reply, c->held_len);
	} else {
		json_t *old = json_loadb(reply, c->held_len, 0, NULL);
		struct perr e;

		perr_set(&e, POOLD_E_STATE, "%s (the change was undone)", msg);
		client_send(c, ctl_reply_error(POOLD_E_STATE, &e,
		                               old != NULL ? json_object_get(old, "id") : NULL));
		json_decref(old);
		out &= ~(unsigned)CTL_OUT_SUBSCRIBE;
	}
	free(reply);
	c->in_read = false;
	if (c->drop) {
		client_free(c);
		return;
	}
	if (c->closing)
		return; /* dropped for its backlog: what is left is the event saying so */
	if (out & CTL_OUT_SUBSCRIBE)
		client_subscribed(c);
	if (out & CTL_OUT_CLOSE) {
		client_close_after_flush(c);
		return;
	}
	if (!c->got_eof)
		bufferevent_enable(c->bev, EV_READ);
	client_read(c->bev, c); /* the lines that waited, then an EOF that did; may free c */
}

int ctl_server_set_group(struct ctl_server *s, gid_t gid)
{
	s->has_group = true;
	s->group = gid;
	/* A socket poold made: its group may connect; systemd's is poold.socket's to set. */
	for (size_t i = 0; i < s->nlis; i++) {
		if (s->lis[i].readonly || s->lis[i].path == NULL)
			continue;
		if (chown(s->lis[i].path, (uid_t)-1, gid) < 0 || chmod(s->lis[i].path, 0660) < 0)
			return -errno;
	}
	return 0;
}

void ctl_server_set_idle(struct ctl_server *s, unsigned ms)
{
	s->idle = (struct timeval){(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
}

void ctl_server_commits(struct ctl_server *s, uint64_t seq, bool durable, const char *msg)
{
	struct ctl_client *c, *next;

	if (s == NULL)
		return;
	for (c = TAILQ_FIRST(&s->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->held != NULL && c->held_seq <= seq)
			client_release(c, durable, msg);
	}
}

/* Tells a client past the limit why it is refused, without blocking or keeping it. */
static void refuse_client(int fd, const char *why)
{
	struct perr e;
	json_t *msg;
	size_t len;
	char *buf;

	perr_set(&e, CTL_E_TOOMANY, "%s: try again later", why);
	msg = ctl_reply_error(CTL_E_TOOMANY, &e, NULL);
	buf = msg != NULL ? ctl_encode(msg, &len) : NULL;
	/* A fresh socket's buffer takes this short line: no need to queue it. */
	if (buf != NULL && send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("cannot tell a refused client why: %s", strerror(errno));
	free(buf);
	json_decref(msg);
	close(fd);
}

/*
 * Logs a refused client, at most once every CTL_REFUSE_LOG_SEC with how
 * many were refused meanwhile: a local user must not flood the log.
 */
static void log_ratelimited_refusal(struct ctl_server *s, const char *why, const struct ucred *cred)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s->refused++;
	if (s->refuse_logged != 0 && now.tv_sec - s->refuse_logged < CTL_REFUSE_LOG_SEC)
		return;
	log_warnx("refusing a client (uid %d, pid %d): %s (%u refused since the last such "
	          "message)",
	          (int)cred->uid, (int)cred->pid, why, s->refused);
	s->refused = 0;
	s->refuse_logged = now.tv_sec;
}

/* True when the peer may change things: root, or a member of the socket's group. */
static bool peer_may_mutate(const struct ctl_server *s, const struct ucred *cred)
{
	struct passwd pw, *found = NULL;
	gid_t groups[256];
	int n = (int)(sizeof(groups) / sizeof(groups[0]));
	char buf[4096];

	if (cred->uid == 0)
		return true;
	if (!s->has_group || cred->pid == 0)
		return false;
	if (cred->gid == s->group)
		return true;
	if (getpwuid_r(cred->uid, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == s->group)
			return true;
	return false;
}

/* Logs who connected, as far as the kernel says (cred->pid 0: it did not say). */
static void log_peer(unsigned id, const struct ucred *cred, bool readonly)
{
	const char *how = readonly ? ", read-only" : "";

	if (cred->pid != 0)
		log_debug("client %u connected (pid %d, uid %u%s)", id, (int)cred->pid,
		          (unsigned)cred->uid, how);
	else
		log_debug("client %u connected%s", id, how);
}

/*
 * Whether the client limits leave room for one more on listener l: each
 * socket counts apart, so that users of the read-only socket never lock
 * out the main one, and the main one keeps its last POOLD_CLIENTS_ROOT
 * places for root. NULL when there is room, else why not.
 */
static const char *server_full(const struct ctl_server *s, const struct ctl_listener *l,
                               const struct ucred *cred)
{
	size_t main = s->nclients - s->nro;

	if (l->readonly)
		return s->nro >= POOLD_CLIENTS_RO_MAX ? "the read-only socket has its most clients"
		                                      : NULL;
	if (main >= POOLD_CLIENTS_MAX)
		return "the control socket has its most clients";
	if (main >= POOLD_CLIENTS_MAX - POOLD_CLIENTS_ROOT && cred->uid != 0)
		return "the control socket's last places are kept for root";
	return NULL;
}

/*
 * Logs the start of a pause for lack of descriptors: once per shortage, however
 * many retries fail, and at most once every CTL_REFUSE_LOG_SEC with the count.
 */
static void log_starved(struct ctl_server *s, const char *why)
{
	struct timespec now;

	if (s->starved)
		return;
	s->starved = true;
	s->pauses++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (s->pause_logged != 0 && now.tv_sec - s->pause_logged < CTL_REFUSE_LOG_SEC)
		return;
	log_warnx("control socket: %s; pausing accept until a client leaves or a retry (every "
	          "%d s) works (%u pauses since the last such message)",
	          why, CTL_ACCEPT_RETRY_SEC, s->pauses);
	s->pauses = 0;
	s->pause_logged = now.tv_sec;
	s->starve_told = true;
}

/* Stops accepting on every listener until a client leaves or CTL_ACCEPT_RETRY_SEC pass. */
static void server_pause(struct ctl_server *s, const char *why)
{
	struct timeval tv = {CTL_ACCEPT_RETRY_SEC, 0};

	log_starved(s, why);
	s->paused = true;
	server_accepting(s, false);
	evtimer_add(s->resume, &tv);
}

/*
 * True when fd leaves fewer than CTL_FD_RESERVE descriptors under the limit:
 * descriptors are allocated lowest first, so every one below fd is taken.
 */
static bool fd_in_reserve(int fd)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return false;
	return (rlim_t)fd + CTL_FD_RESERVE >= rl.rlim_cur;
}

/* Takes a new connection: greets it, or refuses it past the client limit. */
static void server_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
	struct ctl_listener *l = arg;
	struct ctl_server *s = l->srv;
	struct ucred cred = {.uid = (uid_t)-1};
	socklen_t len = sizeof(cred);
	struct ctl_client *c;
	const char *full;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		cred = (struct ucred){.pid = 0, .uid = (uid_t)-1};
	if (fd_in_reserve(fd)) {
		full = "poold is short of file descriptors";
		log_ratelimited_refusal(s, full, &cred);
		refuse_client(fd, full);
		server_pause(s, "only the descriptors kept for poold itself are left");
		return;
	}
	if (s->starved) {
		if (s->starve_told)
			log_notice("control socket: accepting again");
		s->starved = s->starve_told = false;
	}
	full = server_full(s, l, &cred);
	if (full != NULL) {
		log_ratelimited_refusal(s, full, &cred);
		refuse_client(fd, full);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->more = evtimer_new(s->base, client_more, c);
	if (c->bev == NULL || c->more == NULL) {
		if (c->more != NULL)
			event_free(c->more);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	c->srv = s;
	c->readonly = l->readonly;
	c->peer = !l->readonly && !peer_may_mutate(s, &cred);
	c->id = ++s->next_id;
	c->uid = c->pid = -1;
	if (cred.pid != 0) {
		snprintf(c->who, sizeof(c->who), "uid %u, pid %d", (unsigned)cred.uid,
		         (int)cred.pid);
		c->uid = (long)cred.uid;
		c->pid = (long)cred.pid;
	} else {
		snprintf(c->who, sizeof(c->who), "client %u", c->id);
	}
	TAILQ_INSERT_TAIL(&s->clients, c, entry);
	s->nclients++;
	s->nro += c->readonly;
	log_peer(c->id, &cred, l->readonly);
	bufferevent_setcb(c->bev, client_read, client_written, client_event, c);
	/* Sending nothing for that long, and not subscribed: closed (client_event). */
	bufferevent_set_timeouts(c->bev, &s->idle, NULL);
	/* Reading stops at a line and a bit, so a client can't make us buffer more. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, POOLD_LINE_MAX + 2);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	client_send(c, ctl_greeting());
}

/* Re-enables accept after a pause for lack of descriptors. */
static void server_resume(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *s = arg;

	s->paused = false;
	server_accepting(s, true);
}

/* Pauses accept when out of descriptors, so that the listener does not spin. */
static void server_accept_error(struct evconnlistener *lev, void *arg)
{
	struct ctl_listener *l = arg;
	struct ctl_server *s = l->srv;
	int err = EVUTIL_SOCKET_ERROR();
	char why[128];

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		snprintf(why, sizeof(why), "cannot accept: %s", strerror(err));
		server_pause(s, why);
		return;
	}
	log_warnx("control socket: accept: %s", strerror(err));
}

/* Builds a server with no listener yet. */
static int server_alloc(struct ctl_server **out, struct event_base *base, struct engine *eng)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	struct sigaction sa;

	if (s == NULL)
		return -ENOMEM;
	s->base = base;
	s->eng = eng;
	TAILQ_INIT(&s->clients);
	s->idle = (struct timeval){POOLD_IDLE_SEC, 0};
	s->ncache = ctl_cmd_count();
	s->cache = calloc(s->ncache, sizeof(*s->cache));
	s->resume = evtimer_new(base, server_resume, s);
	s->slice = evtimer_new(base, server_slice, s);
	if (s->resume == NULL || s->slice == NULL || s->cache == NULL) {
		if (s->resume != NULL)
			event_free(s->resume);
		if (s->slice != NULL)
			event_free(s->slice);
		free(s->cache);
		free(s);
		return -ENOMEM;
	}
	/* A client that hangs up before its reply must not kill the daemon. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	*out = s;
	return 0;
}

/*
 * Serves a listening, non-blocking socket. Takes fd and path (the socket file
 * we created, or NULL): on failure fd is closed and the file removed.
 */
static int server_add_listener(struct ctl_server *s, int fd, char *path, bool readonly)
{
	struct ctl_listener *l = NULL;

	if (s->nlis < CTL_LISTENERS) {
		l = &s->lis[s->nlis];
		l->srv = s;
		l->readonly = readonly;
		l->lev = evconnlistener_new(s->base, server_accept, l,
		                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	}
	if (l == NULL || l->lev == NULL) {
		close(fd);
		if (path != NULL)
			unlink(path);
		free(path);
		return l == NULL ? -EBUSY : -ENOMEM;
	}
	evconnlistener_set_error_cb(l->lev, server_accept_error);
	l->path = path;
	s->nlis++;
	/* A listener added while accept is paused waits for the resume like the others. */
	if (s->paused)
		evconnlistener_disable(l->lev);
	return 0;
}

/* Removes a socket left by a dead poold; refuses when someone still listens there. */
static int unlink_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s exists and is not a socket: move it away or choose another socket path",
		        path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : errno;
	close(fd);
	if (err != ECONNREFUSED) {
		/* EAGAIN is a full backlog: somebody is listening, just busy. */
		log_err("%s: another poold is listening there: stop it first, or give this one "
		        "another socket path",
		        path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0)
		return -errno;
	log_notice("%s: removed a stale socket", path);
	return 0;
}

/*
 * Binds with the socket file created with exactly mode: 0600 for the main
 * socket (only root may talk to poold), 0666 for the read-only one.
 */
static int bind_mode(int fd, const struct sockaddr_un *sa, mode_t mode)
{
	mode_t old = umask(~mode & 0777);
	int r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int err = errno;

	umask(old);
	return r < 0 ? -err : 0;
}

/* Creates a listening socket file at path; *copy gets the path to unlink later. */
static int listen_path(const char *path, mode_t mode, int *out, char **copy)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("%s: socket path longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	*copy = strdup(path);
	if (*copy == NULL)
		return -ENOMEM;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = bind_mode(fd, &sa, mode);
	if (r == -EADDRINUSE) {
		r = unlink_stale(path, &sa);
		if (r == 0)
			r = bind_mode(fd, &sa, mode);
	}
	if (r == 0 && listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		unlink(path);
	}
	if (r == 0) {
		*out = fd;
		return 0;
	}
	if (r != -EADDRINUSE && r != -EEXIST)
		log_err("%s: cannot listen: %s", path, strerror(-r));
	close(fd);
fail:
	free(*copy);
	*copy = NULL;
	return r;
}

/*
 * Makes a server around one listening socket. On failure the socket is
 * closed, and removed when `path` (owned, may be NULL) says poold made it.
 */
static int server_new(struct ctl_server **out, struct event_base *base, struct engine *eng, int fd,
                      char *path)
{
	struct ctl_server *s;
	int r;

	r = server_alloc(&s, base, eng);
	if (r < 0) {
		close(fd);
		if (path != NULL)
			unlink(path);
		free(path);
		return r;
	}
	r = server_add_listener(s, fd, path, false);
	if (r < 0) {
		ctl_server_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int ctl_server_new(struct ctl_server **out, struct event_base *base, const char *path,
                   struct engine *eng)
{
	char *copy;
	int fd, r;

	r = listen_path(path, 0600, &fd, &copy);
	if (r < 0)
		return r;
	r = server_new(out, base, eng, fd, copy);
	if (r == 0)
		log_info("listening on %s", path);
	return r;
}

int ctl_server_new_fd(struct ctl_server **out, struct event_base *base, int fd, struct engine *eng)
{
	if (evutil_make_socket_nonblocking(fd) < 0 || evutil_make_socket_closeonexec(fd) < 0)
		return -errno;
	return server_new(out, base, eng, fd, NULL);
}

int ctl_server_listen_ro(struct ctl_server *s, const char *path)
{
	char *copy;
	int fd, r;

	for (size_t i = 0; i < s->nlis; i++) {
		if (s->lis[i].readonly)
			return -EBUSY;
		if (s->lis[i].path != NULL && strcmp(s->lis[i].path, path) == 0) {
			log_err("%s is the main control socket: give the read-only socket a path "
			        "of its own",
			        path);
			return -EINVAL;
		}
	}
	r = listen_path(path, 0666, &fd, &copy);
	if (r < 0)
		return r;
	r = server_add_listener(s, fd, copy, true);
	if (r < 0)
		return r;
	log_info("listening on %s (read-only)", path);
	return 0;
}

struct ctl_server *ctl_server_free(struct ctl_server *s)
{
	struct ctl_client *c;

	if (s == NULL)
		return NULL;
	while ((c = TAILQ_FIRST(&s->clients)) != NULL)
		client_free(c);
	for (size_t i = 0; i < s->nlis; i++) {
		evconnlistener_free(s->lis[i].lev);
		if (s->lis[i].path != NULL) {
			unlink(s->lis[i].path);
			free(s->lis[i].path);
		}
	}
	if (s->resume != NULL)
		event_free(s->resume);
	if (s->slice != NULL)
		event_free(s->slice);
	ctl_cache_fini(s->cache, s->ncache);
	free(s->cache);
	free(s);
	return NULL;
}

void ctl_server_event(struct ctl_server *s, const char *name, json_t *data)
{
	struct ctl_client *c, *next;
	json_t *msg;
	size_t len;
	char *buf;

	if (s == NULL) {
		json_decref(data);
		return;
	}
	msg = ctl_event_new(name, data);
	buf = msg != NULL ? ctl_encode(msg, &len) : NULL;
	json_decref(msg);
	if (buf == NULL) {
		log_warnx("cannot encode event %s", name);
		return;
	}
	for (c = TAILQ_FIRST(&s->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->subscribed || c->closing)
			continue;
		/* A subscriber that reads nothing holds at most this much of poold's memory. */
		if (c->event_bytes > CTL_EVENT_BACKLOG_MAX) {
			client_drop_behind(c, POOLD_DROP_EVENTS, CTL_EVENT_BACKLOG_MAX);
			continue;
		}
		c->event_bytes += len;
		client_write(c, buf, len);
	}
	free(buf);
}
