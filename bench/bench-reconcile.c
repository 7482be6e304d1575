/* Benchmark of real poold + poolctl against xensim: bursts, pool changes, spurious rescans, RSS. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

/* The simulated host: 4 sockets x 8 cores x 2 threads = 64 pCPUs, 2 NUMA nodes. */
#define HOST_TOPOLOGY     "4x8x2"
#define HOST_NODES        "2"
#define DOM_VCPUS         2
/* Spurious key rewrites per run; each is one sample. */
#define REWRITES          3
/* How long poold's hypervisor and xenstore traffic must stay still for it to count as idle. */
#define SETTLE_MS         150
/* No single wait of the benchmark may take longer (it must stay well under 60 s). */
#define WAIT_MAX_MS       40000
/* The pause between a trigger and the control request that waits for its rescan. */
#define SENTINEL_DELAY_US 2000

struct rig {
	char dir[64];
	char path[5][128]; /* hv, xenstore, poold socket, state, conf */
	pid_t xensim, poold;
	int hv;  /* xensim's hypervisor socket */
	int ctl; /* poold's control socket, greeting read */
	struct xs_handle *xs;
	char *buf;
	size_t len, alloc;
	char pool0_cpus[128];
};

enum { P_HV, P_XS, P_CTL, P_STATE, P_CONF };

static const char *exe_poold, *exe_poolctl, *exe_xensim;
static struct rig *current; /* for the exit handler: nothing may stay running */
static bool verbose;
static bool poold_failed; /* a poold did not exit 0 on SIGTERM: the benchmark fails */

static void rig_stop(struct rig *r);

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-reconcile: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (current != NULL) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "tail -n 20 %s/poold.log %s/xensim.log >&2",
		         current->dir, current->dir);
		if (system(cmd) < 0)
			perror("system");
		rig_stop(current);
	}
	exit(1);
}

/* Kills the daemons and removes the temp dir on SIGINT/SIGTERM, with async-signal-safe calls. */
static void on_signal(int sig)
{
	if (current != NULL) {
		char *const argv[] = {"rm", "-rf", current->dir, NULL}, *const envp[] = {NULL};
		pid_t rm;

		if (current->poold > 0 && kill(current->poold, SIGKILL) == 0)
			waitpid(current->poold, NULL, 0);
		if (current->xensim > 0 && kill(current->xensim, SIGKILL) == 0)
			waitpid(current->xensim, NULL, 0);
		rm = fork();
		if (rm == 0) {
			execve("/bin/rm", argv, envp);
			_exit(127);
		}
		if (rm > 0)
			waitpid(rm, NULL, 0);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = {us / 1000000u, (long)(us % 1000000u) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Starts argv with stdout and stderr appended to log; returns the pid. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		/* Even if the benchmark is killed outright, its daemons die with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Connects to a Unix socket, retrying while it does not exist yet. */
static int unix_connect(const char *path, unsigned wait_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t end = now_us() + wait_ms * 1000ull;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if (now_us() > end)
			die("cannot connect to %s: %s", path, strerror(errno));
		sleep_us(10000);
	}
}

/* Reads one line from fd into r->buf (NUL-terminated, no newline). */
static void read_line(struct rig *r, int fd)
{
	r->len = 0;
	for (;;) {
		ssize_t n;

		if (r->alloc - r->len < 65536) {
			r->alloc = r->alloc ? r->alloc * 2 : 1 << 20;
			r->buf = realloc(r->buf, r->alloc);
			if (r->buf == NULL)
				die("out of memory");
		}
		n = read(fd, r->buf + r->len, r->alloc - r->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("connection closed: %s", n < 0 ? strerror(errno) : "EOF");
		r->len += (size_t)n;
		if (r->buf[r->len - 1] == '\n') {
			r->buf[--r->len] = '\0';
			return;
		}
	}
}

/* Sends a JSON request (taken) as one line and parses the reply line. */
static json_t *call(struct rig *r, int fd, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;
	json_error_t jerr;
	json_t *rep;

	json_decref(req);
	if (text == NULL)
		die("out of memory");
	len = strlen(text);
	text[len++] = '\n'; /* json_dumps' NUL becomes the newline; length is explicit */
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write: %s", strerror(errno));
		off += (size_t)n;
	}
	free(text);
	read_line(r, fd);
	rep = json_loadb(r->buf, r->len, 0, &jerr);
	if (rep == NULL)
		die("reply is not JSON: %s", jerr.text);
	return rep;
}

/* Calls a xensim op; returns its "ok" object (new reference) or dies. */
static json_t *sim(struct rig *r, json_t *req)
{
	json_t *rep = call(r, r->hv, req), *ok = json_incref(json_object_get(rep, "ok"));

	if (ok == NULL)
		die("xensim: %s",
		    json_string_value(json_object_get(json_object_get(rep, "error"), "desc")));
	json_decref(rep);
	return ok;
}

/* Calls a poold command over the control socket; returns "return" or dies. */
static json_t *ctl(struct rig *r, const char *cmd)
{
	json_t *rep, *ret;

	for (;;) {
		rep = call(r, r->ctl, json_pack("{s:s}", "execute", cmd));
		if (json_object_get(rep, "event") == NULL)
			break;
		json_decref(rep);
	}
	ret = json_incref(json_object_get(rep, "return"));
	if (ret == NULL)
		die("poold %s: %s", cmd, r->buf);
	json_decref(rep);
	return ret;
}

/* Counters of xensim's view: hypervisor reads and writes, xenstore requests. */
struct counts {
	int64_t reads, writes, xs_requests;
};

static struct counts counts_of(json_t *view)
{
	json_t *k = json_object_get(view, "counters"), *x = json_object_get(view, "xenstore");

	return (struct counts){
	    .reads = json_integer_value(json_object_get(k, "reads")),
	    .writes = json_integer_value(json_object_get(k, "writes")),
	    .xs_requests = json_integer_value(json_object_get(x, "requests")),
	};
}

static struct counts sim_counts(struct rig *r)
{
	json_t *v = sim(r, json_pack("{s:s}", "op", "show"));
	struct counts c = counts_of(v);

	json_decref(v);
	return c;
}

/* Waits until poold's hypervisor and xenstore traffic has been still for SETTLE_MS. */
static struct counts settle(struct rig *r)
{
	struct counts c = sim_counts(r), d;
	uint64_t still = now_us(), end = still + WAIT_MAX_MS * 1000ull;

	for (;;) {
		sleep_us(10000);
		d = sim_counts(r);
		if (d.reads != c.reads || d.writes != c.writes || d.xs_requests != c.xs_requests) {
			c = d;
			still = now_us();
		} else if (now_us() - still >= SETTLE_MS * 1000ull) {
			return d;
		}
		if (now_us() > end)
			die("poold never went idle");
	}
}

/* Counts the domains named prefix* and how many have every vCPU pinned to cpus. */
static void count_pinned(struct rig *r, const char *prefix, const char *cpus, size_t *n,
                         size_t *pinned)
{
	json_t *v = sim(r, json_pack("{s:s}", "op", "show")), *d, *vc;
	size_t i, j;

	*n = *pinned = 0;
	json_array_foreach (json_object_get(v, "domains"), i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));
		bool ok = true;

		if (name == NULL || strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		(*n)++;
		json_array_foreach (json_object_get(d, "vcpus"), j, vc)
			ok &= strcmp(json_string_value(json_object_get(vc, "hard")), cpus) == 0;
		*pinned += ok;
	}
	json_decref(v);
}

/* Waits until want domains named prefix* are all pinned to cpus; returns when, in us. */
static uint64_t wait_pinned(struct rig *r, const char *prefix, const char *cpus, size_t want,
                            unsigned poll_us)
{
	uint64_t end = now_us() + WAIT_MAX_MS * 1000ull;
	size_t n, pinned;

	for (;;) {
		count_pinned(r, prefix, cpus, &n, &pinned);
		if (n == want && pinned == want)
			return now_us();
		if (now_us() > end)
			die("%zu of %zu domains %s* pinned to %s after %d ms", pinned, want, prefix,
			    cpus, WAIT_MAX_MS);
		sleep_us(poll_us);
	}
}

/* The cpus poold gives a pool, in canonical xl syntax. */
static void pool_cpus(struct rig *r, const char *pool, char *out, size_t len)
{
	json_t *ret = ctl(r, "pool-list"), *p;
	size_t i;

	out[0] = '\0';
	json_array_foreach (json_object_get(ret, "pools"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), pool) == 0)
			snprintf(out, len, "%s", json_string_value(json_object_get(p, "cpus")));
	json_decref(ret);
	if (out[0] == '\0')
		die("no pool %s", pool);
}

/* Runs poolctl with arguments; returns its wall time in us, dies unless it exits 0. */
static uint64_t poolctl(struct rig *r, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)exe_poolctl, "-s", r->path[P_CTL], (char *)a1, (char *)a2,
	                (char *)a3,          NULL};
	char log[128];
	uint64_t t0 = now_us();
	int st;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/poolctl.log", r->dir);
	pid = spawn(argv, log);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("poolctl %s %s %s failed", a1, a2, a3);
	return now_us() - t0;
}

/* Reads VmRSS and VmHWM of pid, in KiB. */
static void proc_mem(pid_t pid, long *rss, long *hwm)
{
	char path[64], line[256];
	FILE *f;

	*rss = *hwm = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "VmRSS: %ld", rss);
		sscanf(line, "VmHWM: %ld", hwm);
	}
	fclose(f);
}

/* Starts xensim and poold in a fresh temp dir, with the control socket open. */
static void rig_start(struct rig *r, const char *poold_exe, const char *conf)
{
	static const char *const names[] = {"hv.sock", "xenstore.sock", "poold.sock", "state.json",
	                                    "poold.conf"};
	char log[128], *argv[20];
	json_t *greet;
	size_t n = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->hv = r->ctl = -1;
	snprintf(r->dir, sizeof(r->dir), "%s/poold-bench.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(r->dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	current = r;
	for (int i = 0; i < 5; i++)
		snprintf(r->path[i], sizeof(r->path[i]), "%s/%s", r->dir, names[i]);
	f = fopen(r->path[P_CONF], "w");
	if (f == NULL)
		die("%s: %s", r->path[P_CONF], strerror(errno));
	fputs(conf, f);
	fclose(f);

	snprintf(log, sizeof(log), "%s/xensim.log", r->dir);
	r->xensim =
	    spawn((char *[]){(char *)exe_xensim, "--dir", r->dir, "--topology", HOST_TOPOLOGY,
	                     "--nodes", HOST_NODES, "--sched", "credit2", NULL},
	          log);
	r->hv = unix_connect(r->path[P_HV], 10000);
	setenv("XENSTORED_PATH", r->path[P_XS], 1);

	argv[n++] = (char *)poold_exe;
	argv[n++] = "-d";
	argv[n++] = "-f";
	argv[n++] = r->path[P_CONF];
	argv[n++] = "--backend";
	argv[n++] = "sim";
	argv[n++] = "--sim-socket";
	argv[n++] = r->path[P_HV];
	argv[n++] = "--xenstore";
	argv[n++] = r->path[P_XS];
	argv[n++] = "-s";
	argv[n++] = r->path[P_CTL];
	argv[n++] = "--state";
	argv[n++] = r->path[P_STATE];
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/poold.log", r->dir);
	r->poold = spawn(argv, log);
	r->ctl = unix_connect(r->path[P_CTL], 10000);
	read_line(r, r->ctl);
	greet = json_loadb(r->buf, r->len, 0, NULL);
	if (json_object_get(greet, "poold") == NULL)
		die("no greeting from poold: %s", r->buf);
	json_decref(greet);
	r->xs = xs_open(0);
	if (r->xs == NULL)
		die("cannot connect to xensim's xenstore: %s", strerror(errno));
}

/* Stops poold and xensim and removes the temp dir; safe to call twice. */
static void rig_stop(struct rig *r)
{
	char cmd[256];

	current = NULL;
	if (r->xs != NULL)
		xs_close(r->xs);
	r->xs = NULL;
	if (r->ctl >= 0)
		close(r->ctl);
	if (r->hv >= 0)
		close(r->hv);
	r->ctl = r->hv = -1;
	if (r->poold > 0) {
		int st = 0;

		kill(r->poold, SIGTERM);
		/* A poold that crashed or leaked under a sanitizer must not pass unseen. */
		if (waitpid(r->poold, &st, 0) == r->poold &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			fprintf(stderr, "bench-reconcile: poold exited with status %#x:\n", st);
			snprintf(cmd, sizeof(cmd), "tail -n 30 '%s/poold.log' >&2", r->dir);
			if (system(cmd) != 0)
				fprintf(stderr, "bench-reconcile: no poold log\n");
			poold_failed = true;
		}
	}
	if (r->xensim > 0) {
		kill(r->xensim, SIGTERM);
		waitpid(r->xensim, NULL, 0);
	}
	r->poold = r->xensim = 0;
	if (r->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-reconcile: cannot remove %s\n", r->dir);
	}
	r->dir[0] = '\0';
	free(r->buf);
	r->buf = NULL;
	r->alloc = r->len = 0;
}

/* What one run measured. Times in us. */
struct sample {
	double burst, burst_send;
	double create, modify;
	int64_t create_reads, modify_reads;
	double rewrite[REWRITES];
	int64_t rewrite_reads[REWRITES], rewrite_xs[REWRITES];
	double one;
	int64_t one_reads, one_xs;
	long rss, hwm;
	unsigned late; /* rescans still reading after their sentinel reply */
};

/*
 * Times a poolctl command on pool pB that re-pins its `members` domains:
 * its wall time and the hypervisor reads it cost after `before`.
 */
static struct counts time_repin(struct rig *r, const char *cmd, const char *arg, unsigned members,
                                struct counts before, double *us, int64_t *reads)
{
	char pb[128];
	size_t total, pinned;
	struct counts after;

	*us = (double)poolctl(r, cmd, "pB", arg);
	pool_cpus(r, "pB", pb, sizeof(pb));
	count_pinned(r, "b", pb, &total, &pinned);
	if (pinned != members)
		die("%s pB returned with %zu of %u domains pinned to %s", cmd, pinned, members, pb);
	after = settle(r);
	*reads = after.reads - before.reads;
	return after;
}

/*
 * Triggers nothing new for poold: rewrites a domain's pool key with the value
 * it has. The wall time ends with the reply to a status request sent just
 * after: poold answers it only once the rescan is done. A sample where poold
 * answered first (the machine was too busy to deliver the watch within
 * SENTINEL_DELAY_US) is seen by counters moving after the reply, and retried.
 */
static void spurious_rewrite(struct rig *r, uint32_t domid, const char *pool, struct sample *s,
                             unsigned k)
{
	struct counts c0, c1, c2;
	char path[64];
	uint64_t t0;

	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/pool", domid);
	for (unsigned attempt = 0;; attempt++) {
		c0 = sim_counts(r);
		t0 = now_us();
		if (!xs_write(r->xs, XBT_NULL, path, pool, strlen(pool)))
			die("xenstore write %s: %s", path, strerror(errno));
		sleep_us(SENTINEL_DELAY_US);
		json_decref(ctl(r, "status"));
		s->rewrite[k] = (double)(now_us() - t0);
		c1 = sim_counts(r);
		c2 = settle(r);
		if (c1.reads == c2.reads && c1.xs_requests == c2.xs_requests)
			break;
		s->late++;
		if (attempt == 4)
			die("poold never answered after its rescan in 5 attempts");
	}
	s->rewrite_reads[k] = c2.reads - c0.reads;
	/* Our own write is one request; the rest are poold's. */
	s->rewrite_xs[k] = c2.xs_requests - c0.xs_requests - 1;
}

/* One run: a fresh host, a burst of n creates, the spurious rescans, pool changes, memory. */
static void run_once(const char *poold_exe, const char *conf, unsigned n, struct sample *s)
{
	char name[32];
	struct counts c0, c1;
	uint32_t domid0 = 0;
	size_t total, pinned;
	struct rig r;
	uint64_t t0;

	memset(s, 0, sizeof(*s));
	rig_start(&r, poold_exe, conf);
	/* pool0 must differ from "all" so that placing a domain takes writes. */
	poolctl(&r, "pool-create", "pA", "ncpu=8");
	pool_cpus(&r, "pool0", r.pool0_cpus, sizeof(r.pool0_cpus));
	settle(&r);

	/* The burst: every domain wants pB, which does not exist yet, so lands in pool0. */
	t0 = now_us();
	for (unsigned i = 0; i < n; i++) {
		json_t *ok;

		snprintf(name, sizeof(name), "b%u", i);
		ok = sim(&r, json_pack("{s:s, s:s, s:i, s:s}", "op", "create", "name", name,
		                       "vcpus", DOM_VCPUS, "pool", "pB"));
		if (i == 0)
			domid0 = (uint32_t)json_integer_value(json_object_get(ok, "domid"));
		json_decref(ok);
	}
	s->burst_send = (double)(now_us() - t0);
	s->burst = (double)(wait_pinned(&r, "b", r.pool0_cpus, n, 5000) - t0);
	settle(&r);

	for (unsigned k = 0; k < REWRITES; k++)
		spurious_rewrite(&r, domid0, "pB", s, k);

	/* One more domain: placed by the first rescan, watched, rescanned again. */
	c0 = sim_counts(&r);
	t0 = now_us();
	snprintf(name, sizeof(name), "b%u", n);
	json_decref(sim(&r, json_pack("{s:s, s:s, s:i, s:s}", "op", "create", "name", name, "vcpus",
	                              DOM_VCPUS, "pool", "pB")));
	sleep_us(SENTINEL_DELAY_US);
	json_decref(ctl(&r, "status"));
	count_pinned(&r, "b", r.pool0_cpus, &total, &pinned);
	if (pinned != n + 1)
		wait_pinned(&r, "b", r.pool0_cpus, n + 1, 1000);
	s->one = (double)(now_us() - t0);
	c1 = settle(&r);
	s->one_reads = c1.reads - c0.reads;
	s->one_xs = c1.xs_requests - c0.xs_requests;

	/* pool-create with n + 1 members waiting for it, then a resize that re-pins them all. */
	c1 = time_repin(&r, "pool-create", "ncpu=16", n + 1, c1, &s->create, &s->create_reads);
	c1 = time_repin(&r, "pool-modify", "ncpu=8", n + 1, c1, &s->modify, &s->modify_reads);

	proc_mem(r.poold, &s->rss, &s->hwm);
	rig_stop(&r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The medians of a set of runs, one field of struct sample at a time. */
struct row {
	double burst, create, modify, create_reads, modify_reads, rewrite, rewrite_reads,
	    rewrite_xs, one, one_reads, one_xs, rss, hwm;
	unsigned late;
};

#define MEDIAN_OF(runs, n, expr)                                                                   \
	({                                                                                         \
		double v_[64];                                                                     \
		for (size_t i_ = 0; i_ < (n); i_++)                                                \
			v_[i_] = (double)(runs)[i_].expr;                                          \
		median(v_, (n));                                                                   \
	})

static void row_of(const struct sample *runs, size_t n, struct row *o)
{
	double v[64 * REWRITES], rd[64 * REWRITES], xs[64 * REWRITES];
	size_t k = 0;

	memset(o, 0, sizeof(*o));
	o->burst = MEDIAN_OF(runs, n, burst) / 1000;
	o->create = MEDIAN_OF(runs, n, create) / 1000;
	o->modify = MEDIAN_OF(runs, n, modify) / 1000;
	o->create_reads = MEDIAN_OF(runs, n, create_reads);
	o->modify_reads = MEDIAN_OF(runs, n, modify_reads);
	o->one = MEDIAN_OF(runs, n, one) / 1000;
	o->one_reads = MEDIAN_OF(runs, n, one_reads);
	o->one_xs = MEDIAN_OF(runs, n, one_xs);
	o->rss = MEDIAN_OF(runs, n, rss);
	o->hwm = MEDIAN_OF(runs, n, hwm);
	for (size_t i = 0; i < n; i++) {
		o->late += runs[i].late;
		for (unsigned j = 0; j < REWRITES; j++, k++) {
			v[k] = runs[i].rewrite[j];
			rd[k] = (double)runs[i].rewrite_reads[j];
			xs[k] = (double)runs[i].rewrite_xs[j];
		}
	}
	o->rewrite = median(v, k) / 1000;
	o->rewrite_reads = median(rd, k);
	o->rewrite_xs = median(xs, k);
}

static void print_header(void)
{
	printf("%-7s %5s %9s %9s %7s %9s %7s %9s %7s %7s %9s %7s %7s %8s %8s\n", "poold", "N",
	       "burst-ms", "create-ms", "c-reads", "modify-ms", "m-reads", "rescan-ms", "r-reads",
	       "r-xsreq", "+1dom-ms", "+1reads", "+1xsreq", "rss-KiB", "hwm-KiB");
}

static void print_row(const char *label, unsigned n, const struct row *o)
{
	printf("%-7s %5u %9.1f %9.1f %7.0f %9.1f %7.0f %9.2f %7.0f %7.0f %9.2f %7.0f %7.0f %8.0f "
	       "%8.0f\n",
	       label, n, o->burst, o->create, o->create_reads, o->modify, o->modify_reads,
	       o->rewrite, o->rewrite_reads, o->rewrite_xs, o->one, o->one_reads, o->one_xs, o->rss,
	       o->hwm);
	if (o->late > 0)
		printf("# %s N=%u: %u rescan samples retried (poold answered before the rescan)\n",
		       label, n, o->late);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* Prints before / after for each column: how many times faster or smaller "after" is. */
static void print_ratio(unsigned n, const struct row *b, const struct row *a)
{
	printf("%-7s %5u %9.2f %9.2f %7.2f %9.2f %7.2f %9.2f %7.2f %7.2f %9.2f %7.2f %7.2f %8.2f "
	       "%8.2f\n",
	       "ratio", n, ratio(b->burst, a->burst), ratio(b->create, a->create),
	       ratio(b->create_reads, a->create_reads), ratio(b->modify, a->modify),
	       ratio(b->modify_reads, a->modify_reads), ratio(b->rewrite, a->rewrite),
	       ratio(b->rewrite_reads, a->rewrite_reads), ratio(b->rewrite_xs, a->rewrite_xs),
	       ratio(b->one, a->one), ratio(b->one_reads, a->one_reads),
	       ratio(b->one_xs, a->one_xs), ratio(b->rss, a->rss), ratio(b->hwm, a->hwm));
}

static void print_sample(const char *label, unsigned n, unsigned run, const struct sample *s)
{
	fprintf(stderr,
	        "# %s N=%u run %u: burst %.1f ms (sent in %.1f), create %.1f ms, modify %.1f ms, "
	        "rescans %.2f/%.2f/%.2f ms %" PRId64 " reads, +1 %.2f ms %" PRId64
	        " reads, rss %ld hwm %ld\n",
	        label, n, run, s->burst / 1000, s->burst_send / 1000, s->create / 1000,
	        s->modify / 1000, s->rewrite[0] / 1000, s->rewrite[1] / 1000, s->rewrite[2] / 1000,
	        s->rewrite_reads[0], s->one / 1000, s->one_reads, s->rss, s->hwm);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench-reconcile [-r RUNS] [-b POOLD_BEFORE] [-c CONF_LINE] [-v] N...\n"
	        "  POOLD, POOLCTL and XENSIM name the binaries (environment).\n"
	        "  -b runs a second poold alternately with $POOLD and prints both and the\n"
	        "     ratio before/after; -c adds a line to poold.conf (both).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *before = NULL;
	char conf[1024] = "";
	unsigned runs = 5;
	int opt;

	while ((opt = getopt(argc, argv, "r:b:c:v")) != -1) {
		switch (opt) {
		case 'r':
			runs = (unsigned)atoi(optarg);
			break;
		case 'b':
			before = optarg;
			break;
		case 'c':
			snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf), "%s\n", optarg);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	exe_poold = getenv("POOLD");
	exe_poolctl = getenv("POOLCTL");
	exe_xensim = getenv("XENSIM");
	if (optind >= argc || runs < 1 || runs > 64 || !exe_poold || !exe_poolctl || !exe_xensim)
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	printf("# bench-reconcile: xensim %s (64 pCPUs, %s NUMA nodes, credit2), guests of %d "
	       "vCPUs, medians of %u runs\n",
	       HOST_TOPOLOGY, HOST_NODES, DOM_VCPUS, runs);
	printf("# burst: N creates until all placed; create/modify: poolctl pool-create/-modify "
	       "with N+1 members (re-pin), c-/m-reads its hypervisor reads;\n"
	       "# rescan: a pool key rewritten with its own value (spurious event), r-reads "
	       "hypervisor reads, r-xsreq xenstore requests (ms include a %d us wait); +1dom: one "
	       "more "
	       "create\n",
	       SENTINEL_DELAY_US);
	print_header();
	fflush(stdout);
	for (int a = optind; a < argc; a++) {
		unsigned n = (unsigned)atoi(argv[a]);
		struct sample sa[64], sb[64];
		struct row ra, rb;

		if (n < 1 || n > 4000)
			usage();
		for (unsigned i = 0; i < runs; i++) {
			/* Alternate, so that noise from the shared machine hits both alike. */
			if (before != NULL) {
				run_once(before, conf, n, &sb[i]);
				if (verbose)
					print_sample("before", n, i, &sb[i]);
			}
			run_once(exe_poold, conf, n, &sa[i]);
			if (verbose)
				print_sample("poold", n, i, &sa[i]);
		}
		row_of(sa, runs, &ra);
		if (before != NULL) {
			row_of(sb, runs, &rb);
			print_row("before", n, &rb);
			print_row("after", n, &ra);
			print_ratio(n, &rb, &ra);
		} else {
			print_row("poold", n, &ra);
		}
		fflush(stdout);
	}
	return poold_failed ? 1 : 0;
}
