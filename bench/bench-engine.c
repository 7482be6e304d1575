/*
 * Benchmark of poold's engine, black-box through xensim and the control socket: placement
 * latency, the writes one new domain costs, control requests stalled by the full verify, a
 * restart with nothing to change, request rates of concurrent clients, memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rig.h"

/* The simulated host: 2 sockets x 64 cores x 2 threads = 256 pCPUs, 2 NUMA nodes. */
#define HOST_TOPOLOGY "2x64x2"
#define HOST_NODES    "2"
#define HOST_CPUS     256
/* p1 and p2 get this many pCPUs each; pool0 keeps the rest. */
#define POOL_CPUS     "64"
#define NPOOLS        3
#define DOM_VCPUS     4
/* The vCPUs of the one domain whose writes are counted. */
#define NEW_VCPUS     8
/* Concurrent clients of the request-rate rows; poold takes 64. */
#define CLIENTS       16
/* verify_interval outside the verify-stall row: no verify may fall into another row. */
#define VERIFY_QUIET  3600

static const char *const pool_names[NPOOLS] = {"pool0", "p1", "p2"};

enum row {
	ROW_PLACE,
	ROW_NEW8,
	ROW_VERIFY,
	ROW_RESTART,
	ROW_DOMAIN_LIST,
	ROW_POOL_LIST,
	ROW_LIST_STALL,
	ROW_RSS,
	ROW_N
};

static const char *const row_names[ROW_N] = {
    [ROW_PLACE] = "place",
    [ROW_NEW8] = "writes-new8",
    [ROW_VERIFY] = "verify-stall",
    [ROW_RESTART] = "restart",
    [ROW_DOMAIN_LIST] = "domain-list",
    [ROW_POOL_LIST] = "pool-list",
    [ROW_LIST_STALL] = "list-stall",
    [ROW_RSS] = "rss",
};

static const char *exe_poold, *label = ""; /* the poold of this run; "before"/"after" with -b */
static char conf_extra[512];
static bool rows[ROW_N], verbose, failed;
static unsigned places = 20, verify_s = 2;
static double load_s = 2;

/* A growing array of samples, in ms. */
struct samples {
	double *v;
	size_t n, alloc;
};

static void samples_add(struct samples *s, double ms)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 256;
		s->v = realloc(s->v, s->alloc * sizeof(*s->v));
		if (s->v == NULL)
			die("out of memory");
	}
	s->v[s->n++] = ms;
}

static double samples_max(const struct samples *s)
{
	double m = 0;

	for (size_t i = 0; i < s->n; i++)
		m = s->v[i] > m ? s->v[i] : m;
	return m;
}

/* A control connection read line by line: events and replies may share one read. */
struct conn {
	int fd;
	char *buf;
	size_t len, alloc, scanned;
	uint64_t sent; /* when the request in flight went out, us; 0: none */
};

static void conn_open(struct rig *r, struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = rig_ctl_connect(r);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn_send(struct conn *c, const char *line)
{
	size_t len = strlen(line), off = 0;

	c->sent = now_us();
	while (off < len) {
		ssize_t n = write(c->fd, line + off, len - off);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die("write to poold: %s", strerror(errno));
		off += (size_t)n;
	}
}

/*
 * Reads what is there (blocking only when block) and returns the length of
 * the first complete line, newline included, or 0 when there is none yet.
 */
static size_t conn_fill(struct conn *c, bool block)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned);
		if (nl != NULL)
			return (size_t)(nl - c->buf) + 1;
		c->scanned = c->len;
		if (c->alloc - c->len < 65536) {
			c->alloc = c->alloc ? 2 * c->alloc : 1 << 20;
			c->buf = realloc(c->buf, c->alloc);
			if (c->buf == NULL)
				die("out of memory");
		}
		n = recv(c->fd, c->buf + c->len, c->alloc - c->len, block ? 0 : MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !block)
			return 0;
		if (n <= 0)
			die("poold closed a control connection: %s",
			    n < 0 ? strerror(errno) : "EOF");
		c->len += (size_t)n;
	}
}

/* Drops the first len bytes (a line handled). */
static void conn_consume(struct conn *c, size_t len)
{
	memmove(c->buf, c->buf + len, c->len - len);
	c->len -= len;
	c->scanned = 0;
}

/* Reads one whole line as JSON, waiting for it. */
static json_t *conn_read_json(struct conn *c)
{
	size_t len = conn_fill(c, true);
	json_error_t jerr;
	json_t *j = json_loadb(c->buf, len, 0, &jerr);

	if (j == NULL)
		die("poold sent a line that is not JSON: %s", jerr.text);
	conn_consume(c, len);
	return j;
}

/* Sends subscribe and waits for its reply (no event can come before it). */
static void conn_subscribe(struct conn *c)
{
	json_t *rep;

	conn_send(c, "{\"execute\":\"subscribe\"}\n");
	rep = conn_read_json(c);
	if (json_object_get(rep, "return") == NULL)
		die("subscribe refused");
	json_decref(rep);
}

/*
 * Waits for the domain-placed event of domid on a subscribed connection;
 * returns when it arrived (us) and fills pool with the pool it names.
 */
static uint64_t wait_placed(struct conn *c, uint32_t domid, char *pool, size_t pool_len)
{
	uint64_t end = now_us() + WAIT_MAX_MS * 1000ull;

	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		size_t len = conn_fill(c, false);
		uint64_t at = now_us();
		json_t *ev, *data;

		if (len == 0) {
			if (at > end)
				die("no domain-placed event for domain %" PRIu32 " in %d ms", domid,
				    WAIT_MAX_MS);
			poll(&p, 1, 100);
			continue;
		}
		ev = json_loadb(c->buf, len, 0, NULL);
		conn_consume(c, len);
		data = json_object_get(ev, "data");
		if (ev != NULL &&
		    strcmp(json_string_value(json_object_get(ev, "event")) ?: "",
		           "domain-placed") == 0 &&
		    json_integer_value(json_object_get(data, "domid")) == (json_int_t)domid) {
			snprintf(pool, pool_len, "%s",
			         json_string_value(json_object_get(data, "pool")) ?: "?");
			if (json_is_true(json_object_get(data, "misplaced")))
				snprintf(pool, pool_len, "misplaced");
			json_decref(ev);
			return at;
		}
		json_decref(ev);
	}
}

/* Creates a paused guest with a dom0-owned pool key, as a toolstack does; returns its domid. */
static uint32_t create_guest(struct rig *r, const char *name, unsigned vcpus, const char *pool)
{
	json_t *ok = rig_sim(r, json_pack("{s:s, s:s, s:i, s:s, s:b}", "op", "create", "name", name,
	                                  "vcpus", (int)vcpus, "pool", pool, "paused", 1));
	uint32_t domid = (uint32_t)json_integer_value(json_object_get(ok, "domid"));

	json_decref(ok);
	return domid;
}

/* Checks what poold must keep: its domain-placed named the pool the key asked for. */
static void check_pool(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		printf("FAIL: %s was placed in %s, its pool key says %s\n", what, got, want);
		failed = true;
	}
}

static void print_row(const char *sched, unsigned n, enum row row, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One line per row: scheduler, N, row, then name-value pairs. */
static void print_row(const char *sched, unsigned n, enum row row, const char *fmt, ...)
{
	va_list ap;

	printf("%s%-7s %6u %-12s ", label, sched, n, row_names[row]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* place: creates `places` guests one at a time, each timed from the create to its event. */
static void row_place(struct rig *r, struct conn *sub, const char *sched, unsigned n,
                      char cpus[NPOOLS][1024])
{
	struct samples lat = {0};
	char name[32], pool[80], prefix[8];
	size_t want[NPOOLS] = {0};

	for (unsigned k = 0; k < places; k++) {
		int p = (int)(k % NPOOLS);
		uint64_t t_ret, t_ev;
		uint32_t domid;

		snprintf(name, sizeof(name), "e%d.%u", p, k);
		domid = create_guest(r, name, DOM_VCPUS, pool_names[p]);
		t_ret = now_us();
		t_ev = wait_placed(sub, domid, pool, sizeof(pool));
		check_pool(name, pool, pool_names[p]);
		samples_add(&lat, (double)(t_ev - t_ret) / 1000);
		want[p]++;
		if (verbose)
			fprintf(stderr, "# %s N=%u place %s: %.2f ms\n", sched, n, name,
			        lat.v[lat.n - 1]);
		/*
		 * Each create alone: the pass the new key watch fires must be over
		 * before the next (a settle each time would cost more than the row).
		 */
		sleep_us((unsigned)(t_ev - t_ret) * 2 + 10000);
	}
	rig_settle(r);
	/* The event says where; xensim says whether every vCPU is pinned there. */
	for (int p = 0; p < NPOOLS; p++) {
		snprintf(prefix, sizeof(prefix), "e%d.", p);
		rig_wait_pinned(r, prefix, cpus[p], want[p], 20000);
	}
	print_row(sched, n, ROW_PLACE, "p50-ms %.2f p99-ms %.2f max-ms %.2f samples %zu",
	          percentile(lat.v, lat.n, 50), percentile(lat.v, lat.n, 99), samples_max(&lat),
	          lat.n);
	free(lat.v);
}

/* writes-new8: what one new 8-vCPU guest in p1 (which has members) costs the hypervisor. */
static void row_new8(struct rig *r, struct conn *sub, const char *sched, unsigned n,
                     char cpus[NPOOLS][1024])
{
	struct counts c0 = rig_settle(r), c1;
	json_t *show0 = rig_sim(r, json_pack("{s:s}", "op", "show")), *show1;
	json_t *k0 = json_object_get(show0, "counters"), *k1;
	char pool[80];
	uint32_t domid;
	uint64_t t0;

	domid = create_guest(r, "w8", NEW_VCPUS, pool_names[1]);
	t0 = now_us();
	wait_placed(sub, domid, pool, sizeof(pool));
	check_pool("w8", pool, pool_names[1]);
	rig_wait_pinned(r, "w8", cpus[1], 1, 2000);
	c1 = rig_settle(r);
	show1 = rig_sim(r, json_pack("{s:s}", "op", "show"));
	k1 = json_object_get(show1, "counters");
	print_row(sched, n, ROW_NEW8,
	          "writes %" PRId64 " set_affinity %" PRId64 " set_sched %" PRId64 " reads %" PRId64
	          " listings %" PRId64 " xs-requests %" PRId64 " settled-ms %.1f samples 1",
	          c1.writes - c0.writes,
	          (int64_t)(json_integer_value(json_object_get(k1, "set_affinity")) -
	                    json_integer_value(json_object_get(k0, "set_affinity"))),
	          c1.set_sched - c0.set_sched, c1.reads - c0.reads, c1.listings - c0.listings,
	          c1.xs_requests - c0.xs_requests, (double)(now_us() - t0) / 1000);
	json_decref(show0);
	json_decref(show1);
}

/* The conf the rig writes, with a verify_interval. */
static void conf_text(char *out, size_t len, unsigned verify)
{
	snprintf(out, len, "verify_interval = %u\n%s", verify, conf_extra);
}

/* Rewrites poold.conf and has poold read it again (SIGHUP: it verifies everything once). */
static void reload(struct rig *r, unsigned verify)
{
	char conf[1024];

	conf_text(conf, sizeof(conf), verify);
	rig_write_conf(r, conf);
	if (kill(r->poold, SIGHUP) < 0)
		die("kill poold: %s", strerror(errno));
}

/*
 * verify-stall: status back to back on one connection while the full verify
 * runs every verify_s seconds. A verify is seen in status as hv_reads moving
 * by 4 reads per domain (a guest's 4 vCPUs), in one pass or over a sweep.
 */
static void row_verify(struct rig *r, const char *sched, unsigned n)
{
	struct samples lat = {0};
	uint64_t end, t0;
	int64_t reads0, ndoms = 0;
	json_t *st;
	unsigned verifies = 0;
	struct conn c;

	conn_open(r, &c);
	/* The reads before the reload, so that its own verify counts too. */
	st = rig_ctl(r, "status");
	reads0 = json_integer_value(json_object_get(st, "hv_reads"));
	json_decref(st);
	reload(r, verify_s);
	/* The reload's verify, then at least one timed (two unless a verify is slow). */
	end = now_us() + (uint64_t)(2 * verify_s * 1e6) + 1000000u;
	while ((t0 = now_us()) < end) {
		json_t *rep, *ret;
		int64_t reads;

		conn_send(&c, "{\"execute\":\"status\"}\n");
		rep = conn_read_json(&c);
		samples_add(&lat, (double)(now_us() - t0) / 1000);
		ret = json_object_get(rep, "return");
		if (ret == NULL)
			die("status refused");
		reads = json_integer_value(json_object_get(ret, "hv_reads"));
		ndoms = json_integer_value(json_object_get(ret, "domains"));
		/*
		 * A verify reads each guest's 4 vCPUs and its weight: whether in one
		 * pass or spread as a sweep between answers, 4 reads per domain
		 * since the last one counted make one more.
		 */
		if (ndoms > 0 && reads - reads0 >= 4 * ndoms) {
			verifies++;
			reads0 = reads;
		}
		json_decref(rep);
	}
	conn_close(&c);
	reload(r, VERIFY_QUIET);
	rig_settle(r);
	print_row(sched, n, ROW_VERIFY,
	          "max-ms %.1f p99-ms %.2f p50-ms %.3f samples %zu verifies %u interval-s %u",
	          samples_max(&lat), percentile(lat.v, lat.n, 99), percentile(lat.v, lat.n, 50),
	          lat.n, verifies, verify_s);
	if (verifies < 2)
		printf("# %s N=%u verify-stall: only %u verifies seen in the window (want >= 2): "
		       "the machine was slow, or a verify takes longer than its interval\n",
		       sched, n, verifies);
	free(lat.v);
}

/*
 * domain-list / pool-list: CLIENTS connections, each sending cmd as soon as
 * its last reply is in, for load_s seconds; one thread drives them all.
 */
static void row_load(struct rig *r, const char *sched, unsigned n, enum row row, const char *cmd)
{
	struct conn c[CLIENTS];
	struct pollfd p[CLIENTS];
	struct samples lat = {0};
	char req[128];
	uint64_t t0, end, t1;
	struct counts c0, c1;

	snprintf(req, sizeof(req), "{\"execute\":\"%s\"}\n", cmd);
	c0 = rig_settle(r);
	for (int i = 0; i < CLIENTS; i++) {
		conn_open(r, &c[i]);
		if (fcntl(c[i].fd, F_SETFL, fcntl(c[i].fd, F_GETFL) | O_NONBLOCK) < 0)
			die("fcntl: %s", strerror(errno));
	}
	t0 = now_us();
	end = t0 + (uint64_t)(load_s * 1e6);
	for (int i = 0; i < CLIENTS; i++)
		conn_send(&c[i], req);
	for (;;) {
		bool busy = false;

		for (int i = 0; i < CLIENTS; i++)
			p[i] = (struct pollfd){.fd = c[i].fd, .events = POLLIN};
		if (poll(p, CLIENTS, 1000) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < CLIENTS; i++) {
			size_t len;

			if (c[i].sent == 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			len = conn_fill(&c[i], false);
			if (len == 0)
				continue;
			if (strncmp(c[i].buf, "{\"return\"", 9) != 0)
				die("%s refused: %.200s", cmd, c[i].buf);
			samples_add(&lat, (double)(now_us() - c[i].sent) / 1000);
			conn_consume(&c[i], len);
			c[i].sent = 0;
			if (now_us() < end)
				conn_send(&c[i], req);
		}
		for (int i = 0; i < CLIENTS; i++)
			busy |= c[i].sent != 0;
		if (!busy)
			break;
	}
	t1 = now_us();
	for (int i = 0; i < CLIENTS; i++)
		conn_close(&c[i]);
	c1 = rig_counts(r);
	print_row(sched, n, row,
	          "req/s %.0f p50-ms %.2f p99-ms %.2f max-ms %.2f samples %zu clients %d s %.1f "
	          "hv-reads %" PRId64 " hv-writes %" PRId64,
	          (double)lat.n / ((double)(t1 - t0) / 1e6), percentile(lat.v, lat.n, 50),
	          percentile(lat.v, lat.n, 99), samples_max(&lat), lat.n, CLIENTS,
	          (double)(t1 - t0) / 1e6, c1.reads - c0.reads, c1.writes - c0.writes);
	free(lat.v);
}

/* Rounds of list-stall: each a change, then a domain-list made anew. */
#define LIST_ROUNDS 10

/*
 * list-stall: a change moves the model (dom0's weight, one write), then one
 * client asks for domain-list, which must be made anew, while another sends
 * status back to back until the listing is in: how long status waits.
 */
static void row_list_stall(struct rig *r, const char *sched, unsigned n)
{
	struct samples lat = {0}, list = {0};
	struct conn s, l;

	conn_open(r, &s);
	conn_open(r, &l);
	for (int k = 0; k < LIST_ROUNDS; k++) {
		char req[128];
		json_t *rep;
		size_t len;

		snprintf(
		    req, sizeof(req),
		    "{\"execute\":\"domain-set\",\"arguments\":{\"domain\":0,\"weight\":%d}}\n",
		    256 + k % 2);
		conn_send(&s, req);
		rep = conn_read_json(&s);
		if (json_object_get(rep, "return") == NULL)
			die("domain-set refused");
		json_decref(rep);
		conn_send(&l, "{\"execute\":\"domain-list\"}\n");
		while ((len = conn_fill(&l, false)) == 0) {
			conn_send(&s, "{\"execute\":\"status\"}\n");
			rep = conn_read_json(&s);
			samples_add(&lat, (double)(now_us() - s.sent) / 1000);
			if (json_object_get(rep, "return") == NULL)
				die("status refused");
			json_decref(rep);
		}
		samples_add(&list, (double)(now_us() - l.sent) / 1000);
		if (strncmp(l.buf, "{\"return\"", 9) != 0)
			die("domain-list refused: %.200s", l.buf);
		conn_consume(&l, len);
	}
	conn_close(&s);
	conn_close(&l);
	print_row(sched, n, ROW_LIST_STALL,
	          "status-max-ms %.2f status-p50-ms %.3f list-p50-ms %.1f list-max-ms %.1f "
	          "samples %zu rounds %d",
	          samples_max(&lat), percentile(lat.v, lat.n, 50), percentile(list.v, list.n, 50),
	          samples_max(&list), lat.n, LIST_ROUNDS);
	free(lat.v);
	free(list.v);
}

/*
 * restart: SIGTERM, then the same poold again on a host that needs nothing:
 * from exec to READY=1 (sd_notify) and to the first status, and what it
 * costs the hypervisor. Writing anything breaks the contract.
 */
static void row_restart(struct rig *r, const char *sched, unsigned n, int64_t ndoms, long *rss,
                        long *hwm)
{
	struct counts c0 = rig_settle(r), c1;
	uint64_t t0, t_ready, t_status, t_done;
	json_t *st;
	bool ready;
	int64_t got;

	rig_poold_stop(r);
	rig_notify_open(r);
	t0 = now_us();
	rig_poold_spawn(r, exe_poold);
	t_ready = rig_notify_wait(r, "READY=1", WAIT_MAX_MS);
	rig_notify_close(r);
	if (t_ready == 0) {
		printf("FAIL: %s N=%u restart: no READY=1 from poold in %d ms\n", sched, n,
		       WAIT_MAX_MS);
		failed = true;
	}
	rig_poold_connect(r);
	st = rig_ctl(r, "status");
	t_status = now_us();
	ready = json_is_true(json_object_get(st, "ready"));
	got = json_integer_value(json_object_get(st, "domains"));
	/*
	 * A poold that reports pending (domains with work left) may be ready
	 * before its first verify is through: the counts wait for it to be done.
	 */
	t_done = t_status;
	while (json_integer_value(json_object_get(st, "pending")) > 0 &&
	       now_us() - t_status < (uint64_t)WAIT_MAX_MS * 1000) {
		json_decref(st);
		usleep(2000);
		st = rig_ctl(r, "status");
		t_done = now_us();
	}
	json_decref(st);
	c1 = rig_settle(r);
	rig_proc_mem(r->poold, rss, hwm);
	print_row(sched, n, ROW_RESTART,
	          "ready-ms %.1f status-ms %.1f verified-ms %.1f writes %" PRId64 " reads %" PRId64
	          " listings %" PRId64 " xs-requests %" PRId64 " samples 1",
	          t_ready ? (double)(t_ready - t0) / 1000 : -1, (double)(t_status - t0) / 1000,
	          (double)(t_done - t0) / 1000, c1.writes - c0.writes, c1.reads - c0.reads,
	          c1.listings - c0.listings, c1.xs_requests - c0.xs_requests);
	if (!ready) {
		printf("FAIL: %s N=%u restart: the first status answered says ready false\n", sched,
		       n);
		failed = true;
	}
	if (c1.writes != c0.writes) {
		printf(
		    "FAIL: %s N=%u restart with nothing to change wrote to the hypervisor %" PRId64
		    " times (want 0)\n",
		    sched, n, c1.writes - c0.writes);
		failed = true;
	}
	if (got != ndoms) {
		printf("FAIL: %s N=%u restart: poold holds %" PRId64 " domains, xensim %" PRId64
		       "\n",
		       sched, n, got, ndoms);
		failed = true;
	}
}

/* Counts the live domains xensim lists, dom0 included. */
static int64_t live_domains(struct rig *r)
{
	json_t *v = rig_sim(r, json_pack("{s:s}", "op", "show")), *d;
	int64_t live = 0;
	size_t i;

	json_array_foreach (json_object_get(v, "domains"), i, d)
		live += !json_is_true(json_object_get(d, "dying"));
	json_decref(v);
	return live;
}

/* One host and one scheduler: pools, N guests with poold stopped, poold's start, the rows. */
static void run_once(const char *sched, unsigned n)
{
	const struct rig_host host = {HOST_TOPOLOGY, HOST_NODES, sched};
	char cpus[NPOOLS][1024], name[32], prefix[8], conf[1024];
	size_t members[NPOOLS] = {0};
	long rss = -1, hwm = -1, rss2 = -1, hwm2 = -1;
	struct conn sub = {.fd = -1};
	uint64_t t0, t1;
	struct rig r;

	conf_text(conf, sizeof(conf), VERIFY_QUIET);
	rig_open(&r, conf);
	rig_xensim_start(&r, &host);
	/* The pools first, kept in poold's state file across its restart. */
	rig_poold_start(&r, exe_poold);
	rig_poolctl(&r, "pool-create", "p1", "ncpu=" POOL_CPUS);
	rig_poolctl(&r, "pool-create", "p2", "ncpu=" POOL_CPUS);
	for (int p = 0; p < NPOOLS; p++)
		rig_pool_cpus(&r, pool_names[p], cpus[p], sizeof(cpus[p]));
	rig_settle(&r);
	rig_poold_stop(&r);

	/* N guests while poold is stopped (one pass then places them all): a third per pool. */
	t0 = now_us();
	for (unsigned i = 0; i < n; i++) {
		int p = (int)(i % NPOOLS);

		snprintf(name, sizeof(name), "g%d.%u", p, i);
		create_guest(&r, name, DOM_VCPUS, pool_names[p]);
		members[p]++;
	}
	t1 = now_us();
	rig_poold_start(&r, exe_poold);
	for (int p = 0; p < NPOOLS; p++) {
		snprintf(prefix, sizeof(prefix), "g%d.", p);
		rig_wait_pinned(&r, prefix, cpus[p], members[p], n > 1000 ? 50000 : 10000);
	}
	printf("# %s N=%u: %u guests created in %.0f ms, poold placed them all in %.0f ms\n", sched,
	       n, n, (double)(t1 - t0) / 1000, (double)(now_us() - t1) / 1000);
	rig_settle(&r);

	conn_open(&r, &sub);
	conn_subscribe(&sub);
	if (rows[ROW_PLACE])
		row_place(&r, &sub, sched, n, cpus);
	if (rows[ROW_NEW8])
		row_new8(&r, &sub, sched, n, cpus);
	conn_close(&sub);
	if (rows[ROW_DOMAIN_LIST])
		row_load(&r, sched, n, ROW_DOMAIN_LIST, "domain-list");
	if (rows[ROW_POOL_LIST])
		row_load(&r, sched, n, ROW_POOL_LIST, "pool-list");
	if (rows[ROW_LIST_STALL])
		row_list_stall(&r, sched, n);
	if (rows[ROW_VERIFY])
		row_verify(&r, sched, n);
	rig_proc_mem(r.poold, &rss, &hwm);
	if (rows[ROW_RESTART])
		row_restart(&r, sched, n, live_domains(&r), &rss2, &hwm2);
	if (rows[ROW_RSS])
		print_row(sched, n, ROW_RSS,
		          "rss-KiB %ld hwm-KiB %ld restarted-rss-KiB %ld restarted-hwm-KiB %ld "
		          "samples 1",
		          rss, hwm, rss2, hwm2);
	rig_stop(&r);
}

/* Parses -r's comma-separated row names. */
static bool parse_rows(const char *text)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", text);
	memset(rows, 0, sizeof(rows));
	for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		int k = 0;

		while (k < ROW_N && strcmp(w, row_names[k]) != 0)
			k++;
		if (k == ROW_N)
			return false;
		rows[k] = true;
	}
	return true;
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: bench-engine [-s credit|credit2]... [-r ROW,...] [-p PLACES] [-l SECONDS]\n"
	    "                    [-V SECONDS] [-b POOLD_BEFORE] [-c CONF_LINE] [-K] [-v] N...\n"
	    "  POOLD, POOLCTL and XENSIM name the binaries (environment).\n"
	    "  -b runs a second poold before $POOLD at each N and scheduler, rows labelled\n"
	    "     before/after;\n"
	    "  -s one scheduler (repeatable; default credit2 then credit); -r the rows (default\n"
	    "     all: place,writes-new8,domain-list,pool-list,list-stall,verify-stall,\n"
	    "     restart,rss);\n"
	    "  -p creates timed by place (default 20); -l seconds of each request-rate row\n"
	    "     (default 2); -V verify_interval of verify-stall (default 2; the window is\n"
	    "     2 intervals + 1 s); -c adds a line to poold.conf; -K keeps each run's temp dir\n"
	    "     (logs); -v prints every placement.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *scheds[4], *before = NULL, *after;
	unsigned nsched = 0;
	int opt;

	rig_prog = "bench-engine";
	for (int k = 0; k < ROW_N; k++)
		rows[k] = true;
	while ((opt = getopt(argc, argv, "s:r:p:l:V:b:c:Kv")) != -1) {
		switch (opt) {
		case 'b':
			before = optarg;
			break;
		case 's':
			if (nsched == 4 ||
			    (strcmp(optarg, "credit") != 0 && strcmp(optarg, "credit2") != 0))
				usage();
			scheds[nsched++] = optarg;
			break;
		case 'r':
			if (!parse_rows(optarg))
				usage();
			break;
		case 'p':
			places = (unsigned)atoi(optarg);
			break;
		case 'l':
			load_s = atof(optarg);
			break;
		case 'V':
			verify_s = (unsigned)atoi(optarg);
			break;
		case 'c':
			snprintf(conf_extra + strlen(conf_extra),
			         sizeof(conf_extra) - strlen(conf_extra), "%s\n", optarg);
			break;
		case 'K':
			rig_keep = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (nsched == 0) {
		scheds[nsched++] = "credit2";
		scheds[nsched++] = "credit";
	}
	exe_poold = after = getenv("POOLD");
	rig_exe_poolctl = getenv("POOLCTL");
	rig_exe_xensim = getenv("XENSIM");
	if (optind >= argc || places < 1 || load_s <= 0 || verify_s < 1 || !exe_poold ||
	    !rig_exe_poolctl || !rig_exe_xensim)
		usage();
	rig_signals();

	printf("# bench-engine: xensim %s (%d pCPUs, %s NUMA nodes): pool0 %d, p1 and p2 %s "
	       "pCPUs; N paused guests of %d vCPUs, a third per pool by their pool key; %ld CPUs "
	       "online\n",
	       HOST_TOPOLOGY, HOST_CPUS, HOST_NODES, HOST_CPUS - 2 * atoi(POOL_CPUS), POOL_CPUS,
	       DOM_VCPUS, sysconf(_SC_NPROCESSORS_ONLN));
	printf("# place: create returned -> domain-placed event, %u creates; writes-new8: one "
	       "%d-vCPU guest into p1; domain-list/pool-list: %d clients back to back for %.1f s;\n"
	       "# list-stall: status back to back while a domain-list is made anew after a "
	       "change, %d rounds;\n"
	       "# verify-stall: status back to back while the full verify runs every %u s; "
	       "restart: SIGTERM, exec -> READY=1 and -> first status; rss: before the restart, "
	       "and after it\n",
	       places, NEW_VCPUS, CLIENTS, load_s, LIST_ROUNDS, verify_s);
	fflush(stdout);
	for (int a = optind; a < argc; a++) {
		unsigned n = (unsigned)atoi(argv[a]);

		if (n < NPOOLS || n > 20000)
			usage();
		for (unsigned s = 0; s < nsched; s++) {
			/* Alternate, so that noise from the shared machine hits both alike. */
			if (before != NULL) {
				exe_poold = before;
				label = "before ";
				run_once(scheds[s], n);
				exe_poold = after;
				label = "after  ";
			}
			run_once(scheds[s], n);
		}
	}
	if (failed)
		printf("FAIL: a contract was broken (see FAIL lines above)\n");
	return failed || rig_poold_failed ? 1 : 0;
}
