/* Unit tests of the control socket: framing, limits, events, socket file handling. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "poold-protocol.h"
#include "ctl/proto.h"
#include "ctl/server.h"
#include "fake-engine.h"
#include "util/log.h"

/* A test client: a blocking-free socket and what it has received but not consumed. */
struct tc {
	int fd;
	char *buf;
	size_t len;
	bool eof;
	bool reset; /* the connection ended with an error, not a clean EOF */
};

static struct engine eng;
static struct topo topo;
static struct event_base *base;
static char dir[64];
static char path[128];
static char ro_path[128];

static int setup(void **state)
{
	fake_poold_init(&eng, &topo);
	base = event_base_new();
	snprintf(dir, sizeof(dir), "/tmp/test-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/poold.sock", dir);
	snprintf(ro_path, sizeof(ro_path), "%s/poold-ro.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	unlink(ro_path);
	rmdir(dir);
	event_base_free(base);
	fake_poold_fini(&eng);
	return 0;
}

/* Lets the server run whatever is ready, a few rounds. */
static void pump(void)
{
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Connects to the socket at p. */
static int tc_connect_to(struct tc *c, const char *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	strcpy(sa.sun_path, p);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(c->fd >= 0);
	return connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
}

static int tc_connect(struct tc *c)
{
	return tc_connect_to(c, path);
}

static void tc_close(struct tc *c)
{
	close(c->fd);
	free(c->buf);
	c->buf = NULL;
	c->fd = -1;
}

static void tc_send(struct tc *c, const char *s)
{
	assert_int_equal(send(c->fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads what is there without waiting; returns bytes read. */
static size_t tc_fill(struct tc *c)
{
	char tmp[65536];
	ssize_t n;
	size_t total = 0;

	while ((n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0) {
		c->buf = realloc(c->buf, c->len + n + 1);
		memcpy(c->buf + c->len, tmp, n);
		c->len += n;
		c->buf[c->len] = '\0';
		total += n;
	}
	if (n < 0 && errno != EAGAIN)
		c->reset = true;
	if (n == 0 || c->reset)
		c->eof = true;
	return total;
}

/* Waits up to 2 s for a whole line and parses it; NULL at EOF or timeout. */
static json_t *tc_recv(struct tc *c)
{
	for (int i = 0; i < 2000; i++) {
		char *nl = c->buf != NULL ? memchr(c->buf, '\n', c->len) : NULL;

		if (nl != NULL) {
			size_t n = nl - c->buf + 1;
			json_t *msg = json_loadb(c->buf, n - 1, 0, NULL);

			assert_non_null(msg);
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return msg;
		}
		if (c->eof)
			return NULL;
		pump();
		tc_fill(c);
		if (c->buf == NULL || memchr(c->buf, '\n', c->len) == NULL)
			usleep(1000);
	}
	return NULL;
}

/* Waits up to 2 s for the server to close c. */
static bool tc_wait_eof(struct tc *c)
{
	for (int i = 0; i < 2000 && !c->eof; i++) {
		pump();
		tc_fill(c);
		usleep(1000);
	}
	return c->eof;
}

static void expect_greeting(struct tc *c)
{
	json_t *g = tc_recv(c);

	assert_non_null(g);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(g, "poold"), "protocol")),
	    POOLD_PROTOCOL_VERSION);
	json_decref(g);
}

static const char *err_class(json_t *m)
{
	return json_string_value(json_object_get(json_object_get(m, "error"), "class"));
}

static void test_requests(void **state)
{
	struct ctl_server *s = NULL;
	struct stat st;
	struct tc c;
	json_t *m;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	/* Two requests in one write, one with CRLF, a blank line between: answered in order. */
	tc_send(&c,
	        "{\"execute\":\"status\",\"id\":1}\r\n\n{\"execute\":\"nope\",\"id\":\"two\"}\n");
	m = tc_recv(&c);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	assert_non_null(json_object_get(json_object_get(m, "return"), "version"));
	json_decref(m);
	m = tc_recv(&c);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "id")), "two");
	assert_string_equal(err_class(m), "CommandNotFound");
	json_decref(m);
	/* A request split over writes is framed whole. */
	tc_send(&c, "{\"execute\":\"pool-");
	pump();
	tc_send(&c, "list\",\"id\":3}\n");
	m = tc_recv(&c);
	assert_non_null(m);
	assert_int_equal(json_array_size(json_object_get(json_object_get(m, "return"), "pools")),
	                 3);
	json_decref(m);
	/* Not JSON: an error, and the connection stays. */
	tc_send(&c, "hello\n{\"execute\":\"status\"}\n");
	m = tc_recv(&c);
	assert_string_equal(err_class(m), "ProtocolError");
	json_decref(m);
	m = tc_recv(&c);
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);

	/* Half-closed after the request: the reply still comes, then EOF. */
	tc_send(&c, "{\"execute\":\"status\",\"id\":4}\n");
	shutdown(c.fd, SHUT_WR);
	m = tc_recv(&c);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 4);
	json_decref(m);
	assert_true(tc_wait_eof(&c));
	tc_close(&c);

	/* A last line ended by EOF instead of a newline is still answered. */
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	tc_send(&c, "{\"execute\":\"status\",\"id\":5}");
	shutdown(c.fd, SHUT_WR);
	m = tc_recv(&c);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 5);
	json_decref(m);
	tc_close(&c);

	assert_null(ctl_server_free(s));
	/* The socket it created is gone. */
	assert_int_equal(stat(path, &st), -1);
	assert_null(ctl_server_free(NULL));
}

/*
 * Listings are encoded once per engine generation: the same text again,
 * each with its own id, until the model moves; then the new model.
 */
static void test_listing_cache(void **state)
{
	struct ctl_server *s = NULL;
	struct tc c;
	json_t *m, *first;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	tc_send(&c, "{\"execute\":\"domain-list\",\"id\":1}\n");
	first = tc_recv(&c);
	assert_non_null(first);
	assert_int_equal(json_integer_value(json_object_get(first, "id")), 1);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(first, "return"), "domains")), 3);

	/* Behind the engine's back: a cached reply does not see it... */
	snprintf(eng.doms[1].name, sizeof(eng.doms[1].name), "renamed");
	tc_send(&c, "{\"execute\":\"domain-list\",\"id\":{\"k\":[2]}}\n{\"execute\":"
	            "\"domain-list\"}\n");
	m = tc_recv(&c);
	assert_non_null(m);
	assert_int_equal(
	    json_integer_value(json_array_get(json_object_get(json_object_get(m, "id"), "k"), 0)),
	    2);
	assert_true(json_equal(json_object_get(m, "return"), json_object_get(first, "return")));
	json_decref(m);
	m = tc_recv(&c);
	assert_non_null(m);
	assert_null(json_object_get(m, "id"));
	assert_true(json_equal(json_object_get(m, "return"), json_object_get(first, "return")));
	json_decref(m);

	/* ...a new generation does. */
	eng.generation++;
	tc_send(&c, "{\"execute\":\"domain-list\",\"id\":3}\n");
	m = tc_recv(&c);
	assert_non_null(m);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(json_object_get(m, "return"), "domains"), 1),
	        "name")),
	    "renamed");
	json_decref(m);
	/* A listing with arguments is refused as before, not served from the cache. */
	tc_send(&c, "{\"execute\":\"pool-list\",\"arguments\":{\"x\":1},\"id\":4}\n");
	m = tc_recv(&c);
	assert_string_equal(err_class(m), "InvalidArgument");
	json_decref(m);
	json_decref(first);
	tc_close(&c);
	assert_null(ctl_server_free(s));
}

/*
 * A listing made in slices: the client's next lines and its EOF wait behind it, another
 * client is answered between the slices, and both askers get the same whole listing.
 */
static void test_listing_slices(void **state)
{
	struct ctl_server *s = NULL;
	struct tc a, b;
	json_t *m, *first;
	size_t n0 = eng.ndoms;

	eng.doms = realloc(eng.doms, (n0 + 3 * CTL_SLICE_ITEMS) * sizeof(*eng.doms));
	assert_non_null(eng.doms);
	for (size_t i = 0; i < 3 * CTL_SLICE_ITEMS; i++) {
		struct dom *d = &eng.doms[eng.ndoms++];

		memset(d, 0, sizeof(*d));
		d->domid = (uint32_t)(100 + i);
		snprintf(d->name, sizeof(d->name), "g%zu", i);
		d->used = d->entitled = -1;
	}
	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&a), 0);
	expect_greeting(&a);
	assert_int_equal(tc_connect(&b), 0);
	expect_greeting(&b);
	tc_send(&a, "{\"execute\":\"domain-list\",\"id\":1}\n{\"execute\":\"status\",\"id\":2}\n"
	            "{\"execute\":\"domain-list\",\"id\":3}\n");
	shutdown(a.fd, SHUT_WR);
	/* One turn: the first slice is made, a waits. */
	event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	tc_fill(&a);
	assert_int_equal(a.len, 0);
	tc_send(&b, "{\"execute\":\"domain-list\",\"id\":9}\n");
	first = tc_recv(&a);
	assert_non_null(first);
	assert_int_equal(json_integer_value(json_object_get(first, "id")), 1);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(first, "return"), "domains")),
	    eng.ndoms);
	m = tc_recv(&a);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
	m = tc_recv(&a);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
	assert_true(json_equal(json_object_get(m, "return"), json_object_get(first, "return")));
	json_decref(m);
	assert_true(tc_wait_eof(&a));
	m = tc_recv(&b);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 9);
	assert_true(json_equal(json_object_get(m, "return"), json_object_get(first, "return")));
	json_decref(m);
	json_decref(first);
	tc_close(&a);
	/* A client that hangs up while it waits for a listing is only forgotten. */
	eng.generation++;
	tc_send(&b, "{\"execute\":\"domain-list\",\"id\":10}\n");
	event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	tc_close(&b);
	pump();
	pump();
	assert_int_equal(tc_connect(&b), 0);
	expect_greeting(&b);
	tc_send(&b, "{\"execute\":\"status\",\"id\":11}\n");
	m = tc_recv(&b);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 11);
	json_decref(m);
	tc_close(&b);
	assert_null(ctl_server_free(s));
}

/*
 * Sends buf[*off..len) as the server drains it (it stops reading past the
 * line limit), until all is sent, c sees EOF, or 2000 rounds.
 */
static void tc_feed(struct tc *c, const char *buf, size_t len, size_t *off)
{
	for (int i = 0; i < 2000 && *off < len && !c->eof; i++) {
		ssize_t n = send(c->fd, buf + *off, len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			*off += (size_t)n;
		pump();
		tc_fill(c);
	}
}

static void test_line_too_long(void **state)
{
	struct ctl_server *s = NULL;
	size_t len = POOLD_LINE_MAX + 100;
	char *big = malloc(len + 1);
	struct tc c;
	size_t off = 0;
	json_t *m;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	memset(big, 'x', len);
	big[len] = '\0';
	/* The server stops reading past the limit: feed it as it drains. */
	tc_feed(&c, big, len, &off);
	m = tc_recv(&c);
	assert_non_null(m);
	assert_string_equal(err_class(m), "ProtocolError");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(m, "error"), "desc")),
	           "longer than"));
	json_decref(m);
	/* A clean EOF after the reply, even though the rest of the line was never read. */
	tc_feed(&c, big, len, &off);
	assert_true(tc_wait_eof(&c));
	assert_false(c.reset);
	tc_close(&c);
	free(big);
	ctl_server_free(s);
}

/* Warnings about clients are rate-limited: 20 too-long lines log at most 10 of them. */
static void test_client_warnings_limited(void **state)
{
	struct ctl_server *s = NULL;
	size_t len = POOLD_LINE_MAX + 100;
	char *big = malloc(len + 1), logpath[] = "/tmp/test-ctl-log.XXXXXX", line[512];
	int logfd = mkstemp(logpath), saved = dup(2), warned = 0;
	FILE *f;

	assert_true(logfd >= 0 && saved >= 0);
	memset(big, 'x', len);
	big[len] = '\0';
	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	fflush(stderr);
	dup2(logfd, 2);
	log_set_level(LOG_LEVEL_WARNING);
	for (int k = 0; k < 20; k++) {
		struct tc c;
		size_t off = 0;

		assert_int_equal(tc_connect(&c), 0);
		tc_feed(&c, big, len, &off);
		tc_close(&c);
	}
	pump();
	log_set_level(LOG_LEVEL_ERR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(logfd, "r");
	assert_non_null(f);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		warned += strstr(line, "longer than") != NULL;
	fclose(f);
	unlink(logpath);
	assert_true(warned >= 1);
	assert_true(warned <= 10);
	free(big);
	ctl_server_free(s);
}

static void test_too_many_clients(void **state)
{
	struct ctl_server *s = NULL;
	struct tc *cs = calloc(POOLD_CLIENTS_MAX + 2, sizeof(*cs));
	json_t *m;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	for (int i = 0; i < POOLD_CLIENTS_MAX; i++) {
		assert_int_equal(tc_connect(&cs[i]), 0);
		expect_greeting(&cs[i]);
	}
	/* One too many: told why, then closed. */
	struct tc *extra = &cs[POOLD_CLIENTS_MAX];
	assert_int_equal(tc_connect(extra), 0);
	m = tc_recv(extra);
	assert_non_null(m);
	assert_string_equal(err_class(m), "TooManyClients");
	assert_null(json_object_get(m, "poold"));
	json_decref(m);
	assert_true(tc_wait_eof(extra));
	tc_close(extra);

	/* The others still work; once one leaves, a newcomer is welcome. */
	tc_send(&cs[3], "{\"execute\":\"status\"}\n");
	m = tc_recv(&cs[3]);
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
	tc_close(&cs[0]);
	pump();
	assert_int_equal(tc_connect(extra), 0);
	expect_greeting(extra);
	tc_close(extra);
	for (int i = 1; i < POOLD_CLIENTS_MAX; i++)
		tc_close(&cs[i]);
	free(cs);
	ctl_server_free(s);
}

static json_t *tc_ask(struct tc *c, const char *line);

/*
 * Each socket has its own limit: clients of the read-only socket can't lock
 * out the main one; an idle client is closed, a subscriber is not.
 */
static void test_limits_apart_and_idle(void **state)
{
	struct ctl_server *s = NULL;
	struct tc *ro = calloc(POOLD_CLIENTS_RO_MAX + 1, sizeof(*ro));
	struct tc rw, idle, sub;
	json_t *m;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(ctl_server_listen_ro(s, ro_path), 0);
	for (int i = 0; i < POOLD_CLIENTS_RO_MAX; i++) {
		assert_int_equal(tc_connect_to(&ro[i], ro_path), 0);
		expect_greeting(&ro[i]);
	}
	assert_int_equal(tc_connect_to(&ro[POOLD_CLIENTS_RO_MAX], ro_path), 0);
	m = tc_recv(&ro[POOLD_CLIENTS_RO_MAX]);
	assert_string_equal(err_class(m), "TooManyClients");
	json_decref(m);
	/* The main socket still takes root's request. */
	assert_int_equal(tc_connect(&rw), 0);
	expect_greeting(&rw);
	m = tc_ask(&rw, "{\"execute\":\"status\",\"id\":1}\n");
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
	for (int i = 0; i <= POOLD_CLIENTS_RO_MAX; i++)
		tc_close(&ro[i]);
	free(ro);
	tc_close(&rw);

	/* Idle for longer than the timeout: closed; a subscriber stays. */
	ctl_server_set_idle(s, 200);
	assert_int_equal(tc_connect(&idle), 0);
	assert_int_equal(tc_connect(&sub), 0);
	expect_greeting(&idle);
	expect_greeting(&sub);
	m = tc_ask(&sub, "{\"execute\":\"subscribe\"}\n");
	json_decref(m);
	assert_true(tc_wait_eof(&idle));
	tc_fill(&sub);
	assert_false(sub.eof);
	m = tc_ask(&sub, "{\"execute\":\"status\",\"id\":2}\n");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	json_decref(m);
	tc_close(&idle);
	tc_close(&sub);
	ctl_server_free(s);
}

static void test_events(void **state)
{
	struct ctl_server *s = NULL;
	struct tc sub, other;
	json_t *m;

	/* No server: the event is just released. */
	ctl_server_event(NULL, POOLD_EV_POOL_CHANGED, json_object());

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&sub), 0);
	assert_int_equal(tc_connect(&other), 0);
	expect_greeting(&sub);
	expect_greeting(&other);
	tc_send(&sub, "{\"execute\":\"subscribe\",\"id\":\"s\"}\n");
	m = tc_recv(&sub);
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);

	ctl_server_event(s, POOLD_EV_POOL_CHANGED,
	                 json_pack("{s:s,s:s}", "pool", "pool1", "action", "created"));
	m = tc_recv(&sub);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "event")), "pool-changed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "data"), "pool")),
	                    "pool1");
	assert_true(json_integer_value(
	                json_object_get(json_object_get(m, "timestamp"), "seconds")) > 1600000000);
	assert_non_null(json_object_get(json_object_get(m, "timestamp"), "microseconds"));
	json_decref(m);

	/* The client that did not subscribe got nothing: its next line is its reply. */
	tc_send(&other, "{\"execute\":\"status\",\"id\":7}\n");
	m = tc_recv(&other);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 7);
	json_decref(m);
	tc_close(&sub);
	tc_close(&other);
	ctl_server_free(s);
}

static void test_slow_reader_dropped(void **state)
{
	struct ctl_server *s = NULL;
	char *blob = malloc(65536 + 1);
	struct tc c, ok;
	size_t got = 0;
	json_t *m, *last = NULL;
	int events = 0;

	memset(blob, 'e', 65536);
	blob[65536] = '\0';
	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	tc_send(&c, "{\"execute\":\"subscribe\"}\n");
	json_decref(tc_recv(&c));
	/* 8 MiB of events to a client that reads none of them. */
	for (int i = 0; i < 128; i++) {
		ctl_server_event(s, "blob", json_pack("{s:s}", "x", blob));
		pump();
	}
	/*
	 * Dropped: what it can still read is whole lines, well short of all that
	 * was sent, then the event that says why, then EOF.
	 */
	for (int i = 0; i < 4000 && !c.eof; i++) {
		pump();
		tc_fill(&c);
	}
	assert_true(c.eof);
	got = c.len;
	assert_true(got < (size_t)3 << 20);
	for (;;) {
		json_t *next = tc_recv(&c);

		if (next == NULL)
			break;
		json_decref(last);
		last = next;
		events++;
	}
	assert_int_equal(c.len, 0); /* no line cut short */
	assert_non_null(last);
	assert_string_equal(json_string_value(json_object_get(last, "event")),
	                    POOLD_EV_SUBSCRIPTION_DROPPED);
	m = json_object_get(last, "data");
	assert_string_equal(json_string_value(json_object_get(m, "reason")), POOLD_DROP_EVENTS);
	assert_int_equal(json_integer_value(json_object_get(m, "limit")), 1 << 20);
	/*
	 * What it got and what was discarded unsent: more than 1 MiB of them (16)
	 * (then it was dropped, and the rest never queued for it), some unsent.
	 */
	assert_true(json_integer_value(json_object_get(m, "dropped")) > 0);
	assert_true(json_integer_value(json_object_get(m, "dropped")) + events - 1 >= 16);
	assert_true(json_integer_value(json_object_get(m, "dropped")) + events - 1 < 128);
	json_decref(last);
	tc_close(&c);
	/* The server carries on. */
	assert_int_equal(tc_connect(&ok), 0);
	expect_greeting(&ok);
	tc_send(&ok, "{\"execute\":\"status\"}\n");
	m = tc_recv(&ok);
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
	tc_close(&ok);
	free(blob);
	ctl_server_free(s);
}

static void test_socket_file(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_server *s = NULL, *s2 = NULL;
	struct stat st;
	struct tc c;
	int fd;

	/* A stale socket (nobody listens) is replaced. */
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	tc_close(&c);

	/* A live one is not: the first server keeps its socket. */
	assert_int_equal(ctl_server_new(&s2, base, path, &eng), -EADDRINUSE);
	assert_null(s2);
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	tc_close(&c);
	ctl_server_free(s);

	/* Something that is not a socket is left alone. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_server_new(&s, base, path, &eng), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(path);

	/* A path that does not fit sockaddr_un. */
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(ctl_server_new(&s, base, longpath, &eng), -ENAMETOOLONG);

	/* An inherited socket (systemd) is served and not unlinked on free. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(ctl_server_new_fd(&s, base, fd, &eng), 0);
	assert_int_equal(tc_connect(&c), 0);
	expect_greeting(&c);
	tc_close(&c);
	ctl_server_free(s);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
}

/* Sends one request and returns its reply. */
static json_t *tc_ask(struct tc *c, const char *line)
{
	json_t *m;

	tc_send(c, line);
	m = tc_recv(c);
	assert_non_null(m);
	return m;
}

/*
 * Group commit: a change's reply waits until it is durable, the client's
 * next line waits behind it, other clients are served meanwhile; a change
 * undone gets StateError in place of its reply.
 */
static void test_held_until_durable(void **state)
{
	struct ctl_server *s = NULL;
	struct tc a, b;
	json_t *m;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(tc_connect(&a), 0);
	assert_int_equal(tc_connect(&b), 0);
	pump();
	expect_greeting(&a);
	expect_greeting(&b);
	fake.async = true;
	tc_send(&a, "{\"execute\":\"pool-create\",\"arguments\":{\"name\":\"p9\","
	            "\"cpus\":\"4-5\"},\"id\":1}\n{\"execute\":\"status\",\"id\":2}\n");
	for (int i = 0; i < 20; i++) {
		pump();
		usleep(1000);
	}
	assert_int_equal(tc_fill(&a), 0); /* neither reply yet: not durable */
	m = tc_ask(&b, "{\"execute\":\"status\",\"id\":7}\n");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 7);
	json_decref(m);

	eng.durable_seq = eng.commit_seq;
	ctl_server_commits(s, eng.commit_seq, true, NULL);
	m = tc_recv(&a);
	assert_non_null(json_object_get(m, "return"));
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	json_decref(m);
	m = tc_recv(&a);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	json_decref(m);

	/* Undone: StateError with its id, and the connection goes on. */
	tc_send(&a, "{\"execute\":\"pool-destroy\",\"arguments\":{\"name\":\"p9\"},"
	            "\"id\":3}\n");
	for (int i = 0; i < 20; i++)
		pump();
	assert_int_equal(tc_fill(&a), 0);
	ctl_server_commits(s, eng.commit_seq, false, "writing the state file failed");
	m = tc_recv(&a);
	assert_string_equal(err_class(m), POOLD_ERR_STATE);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
	json_decref(m);
	m = tc_ask(&a, "{\"execute\":\"status\",\"id\":4}\n");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 4);
	json_decref(m);

	/* A client that half-closes after its change still gets the reply, then EOF. */
	tc_send(&a, "{\"execute\":\"pool-destroy\",\"arguments\":{\"name\":\"p9\"},"
	            "\"id\":5}\n");
	shutdown(a.fd, SHUT_WR);
	for (int i = 0; i < 20; i++)
		pump();
	assert_int_equal(tc_fill(&a), 0);
	eng.durable_seq = eng.commit_seq;
	ctl_server_commits(s, eng.commit_seq, true, NULL);
	m = tc_recv(&a);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 5);
	json_decref(m);
	assert_true(tc_wait_eof(&a));

	fake.async = false;
	tc_close(&a);
	tc_close(&b);
	ctl_server_free(s);
}

static void test_readonly_socket(void **state)
{
	static const char *const allowed[] = {"status", "pool-list", "domain-list",
	                                      "query-commands"};
	struct ctl_server *s = NULL;
	struct stat st;
	struct tc ro, rw;
	unsigned calls;
	int level;
	json_t *m;

	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(ctl_server_listen_ro(s, ro_path), 0);
	/* The main socket stays root's; the read-only one is open to every user. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(ro_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);
	/* One read-only socket per server, and never the main socket's path. */
	assert_int_equal(ctl_server_listen_ro(s, ro_path), -EBUSY);

	assert_int_equal(tc_connect_to(&ro, ro_path), 0);
	assert_int_equal(tc_connect(&rw), 0);
	expect_greeting(&ro);
	expect_greeting(&rw);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		char line[128];

		snprintf(line, sizeof(line), "{\"execute\":\"%s\",\"id\":%zu}\n", allowed[i], i);
		m = tc_ask(&ro, line);
		if (json_object_get(m, "return") == NULL)
			fail_msg("%s on the read-only socket: %s", allowed[i],
			         err_class(m) ? err_class(m) : "no return");
		assert_int_equal(json_integer_value(json_object_get(m, "id")), (json_int_t)i);
		json_decref(m);
	}

	/* Mutating commands are refused with a stable class and where to go instead. */
	calls = fake.calls;
	m = tc_ask(&ro, "{\"execute\":\"pool-create\",\"arguments\":{\"name\":\"p9\","
	                "\"ncpu\":1},\"id\":\"c\"}\n");
	assert_string_equal(err_class(m), "PermissionDenied");
	assert_string_equal(json_string_value(json_object_get(m, "id")), "c");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(m, "error"), "desc")),
	           "main control socket"));
	json_decref(m);
	assert_int_equal(fake.calls, calls);
	level = log_get_level();
	m = tc_ask(&ro, "{\"execute\":\"log-level\",\"arguments\":{\"level\":\"debug\"}}\n");
	assert_string_equal(err_class(m), "PermissionDenied");
	json_decref(m);
	assert_int_equal(log_get_level(), level);

	/* A read-only subscriber gets the events the main socket's changes cause. */
	m = tc_ask(&ro, "{\"execute\":\"subscribe\"}\n");
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
	m = tc_ask(&rw, "{\"execute\":\"pool-create\",\"arguments\":{\"name\":\"p9\","
	                "\"ncpu\":1}}\n");
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
	assert_int_equal(fake.calls, calls + 1);
	ctl_server_event(s, POOLD_EV_POOL_CHANGED,
	                 json_pack("{s:s,s:s}", "pool", "p9", "action", "created"));
	m = tc_recv(&ro);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "event")), "pool-changed");
	json_decref(m);
	tc_close(&ro);
	tc_close(&rw);

	ctl_server_free(s);
	/* Both socket files are gone. */
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(stat(ro_path, &st), -1);

	/* The main socket's path can't be the read-only one too. */
	assert_int_equal(ctl_server_new(&s, base, path, &eng), 0);
	assert_int_equal(ctl_server_listen_ro(s, path), -EINVAL);
	ctl_server_free(s);

	/* Beside an inherited socket (systemd) it works the same, and only it is unlinked. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(ctl_server_new_fd(&s, base, fd, &eng), 0);
	assert_int_equal(ctl_server_listen_ro(s, ro_path), 0);
	assert_int_equal(tc_connect_to(&ro, ro_path), 0);
	expect_greeting(&ro);
	m = tc_ask(&ro, "{\"execute\":\"pool-destroy\",\"arguments\":{\"name\":\"pool1\"}}\n");
	assert_string_equal(err_class(m), "PermissionDenied");
	json_decref(m);
	tc_close(&ro);
	ctl_server_free(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(ro_path, &st), -1);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_slices, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_reader_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_held_until_durable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits_apart_and_idle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_warnings_limited, setup, teardown),
	};

	log_init("test-ctl-server", LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
