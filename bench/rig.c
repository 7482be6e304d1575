/* The benchmarks' rig: xensim and poold in a temp dir, their sockets, cleanup on any exit. */
#include "rig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

const char *rig_prog = "bench", *rig_exe_poolctl, *rig_exe_xensim;
bool rig_poold_failed, rig_keep;
static struct rig *current; /* for the exit handlers: nothing may stay running */

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", rig_prog);
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

/* Kills the daemons and removes the temp dir, with async-signal-safe calls. */
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

void rig_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sleep_us(unsigned us)
{
	struct timespec ts = {us / 1000000u, (long)(us % 1000000u) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	/* The smallest value that at least p % of the samples do not exceed. */
	rank = (size_t)(p / 100 * (double)n + 0.999999);
	return v[rank == 0 ? 0 : rank > n ? n - 1 : rank - 1];
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

json_t *rig_call(struct rig *r, int fd, json_t *req)
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

json_t *rig_sim(struct rig *r, json_t *req)
{
	json_t *rep = rig_call(r, r->hv, req), *ok = json_incref(json_object_get(rep, "ok"));

	if (ok == NULL)
		die("xensim: %s",
		    json_string_value(json_object_get(json_object_get(rep, "error"), "desc")));
	json_decref(rep);
	return ok;
}

json_t *rig_ctl(struct rig *r, const char *cmd)
{
	json_t *rep, *ret;

	for (;;) {
		rep = rig_call(r, r->ctl, json_pack("{s:s}", "execute", cmd));
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

struct counts rig_counts_of(json_t *view)
{
	json_t *k = json_object_get(view, "counters"), *x = json_object_get(view, "xenstore");

	return (struct counts){
	    .reads = json_integer_value(json_object_get(k, "reads")),
	    .writes = json_integer_value(json_object_get(k, "writes")),
	    .listings = json_integer_value(json_object_get(k, "domains")),
	    .set_sched = json_integer_value(json_object_get(k, "set_sched")),
	    .xs_requests = json_integer_value(json_object_get(x, "requests")),
	};
}

struct counts rig_counts(struct rig *r)
{
	json_t *v = rig_sim(r, json_pack("{s:s}", "op", "show"));
	struct counts c = rig_counts_of(v);

	json_decref(v);
	return c;
}

struct counts rig_settle(struct rig *r)
{
	struct counts c = rig_counts(r), d;
	uint64_t still = now_us(), end = still + WAIT_MAX_MS * 1000ull;

	for (;;) {
		sleep_us(10000);
		d = rig_counts(r);
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

void rig_count_pinned(struct rig *r, const char *prefix, const char *cpus, size_t *n,
                      size_t *pinned)
{
	json_t *v = rig_sim(r, json_pack("{s:s}", "op", "show")), *d, *vc;
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

uint64_t rig_wait_pinned(struct rig *r, const char *prefix, const char *cpus, size_t want,
                         unsigned poll_us)
{
	uint64_t end = now_us() + WAIT_MAX_MS * 1000ull;
	size_t n, pinned;

	for (;;) {
		rig_count_pinned(r, prefix, cpus, &n, &pinned);
		if (n == want && pinned == want)
			return now_us();
		if (now_us() > end)
			die("%zu of %zu domains %s* pinned to %s after %d ms", pinned, want, prefix,
			    cpus, WAIT_MAX_MS);
		sleep_us(poll_us);
	}
}

void rig_pool_cpus(struct rig *r, const char *pool, char *out, size_t len)
{
	json_t *ret = rig_ctl(r, "pool-list"), *p;
	size_t i;

	out[0] = '\0';
	json_array_foreach (json_object_get(ret, "pools"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), pool) == 0)
			snprintf(out, len, "%s", json_string_value(json_object_get(p, "cpus")));
	json_decref(ret);
	if (out[0] == '\0')
		die("no pool %s", pool);
}

uint64_t rig_poolctl(struct rig *r, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)rig_exe_poolctl,
	                "-s",
	                r->path[P_CTL],
	                (char *)a1,
	                (char *)a2,
	                (char *)a3,
	                NULL};
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

int rig_ctl_connect(struct rig *r)
{
	/* poold listens only after its first pass, which takes seconds at 10000 domains. */
	int fd = unix_connect(r->path[P_CTL], WAIT_MAX_MS);
	json_t *greet;

	read_line(r, fd);
	greet = json_loadb(r->buf, r->len, 0, NULL);
	if (json_object_get(greet, "poold") == NULL)
		die("no greeting from poold: %s", r->buf);
	json_decref(greet);
	return fd;
}

void rig_notify_open(struct rig *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (r->notify >= 0)
		close(r->notify);
	unlink(r->path[P_NOTIFY]);
	if (strlen(r->path[P_NOTIFY]) >= sizeof(sa.sun_path))
		die("%s: path too long for a socket", r->path[P_NOTIFY]);
	memcpy(sa.sun_path, r->path[P_NOTIFY], strlen(r->path[P_NOTIFY]) + 1);
	r->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->notify < 0 || bind(r->notify, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("sd_notify socket %s: %s", r->path[P_NOTIFY], strerror(errno));
	setenv("NOTIFY_SOCKET", r->path[P_NOTIFY], 1);
}

void rig_notify_close(struct rig *r)
{
	if (r->notify >= 0)
		close(r->notify);
	r->notify = -1;
	unlink(r->path[P_NOTIFY]);
}

uint64_t rig_notify_wait(struct rig *r, const char *line, unsigned wait_ms)
{
	uint64_t end = now_us() + wait_ms * 1000ull;
	size_t len = strlen(line);
	char msg[4096];

	for (;;) {
		struct pollfd p = {.fd = r->notify, .events = POLLIN};
		uint64_t now = now_us();
		ssize_t n;

		if (now >= end)
			return 0;
		if (poll(&p, 1, (int)((end - now) / 1000 + 1)) <= 0)
			continue;
		n = recv(r->notify, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		now = now_us();
		msg[n] = '\0';
		/* One assignment per line. */
		for (char *p0 = msg; p0 != NULL; p0 = strchr(p0, '\n')) {
			p0 += *p0 == '\n';
			if (strncmp(p0, line, len) == 0 && (p0[len] == '\n' || p0[len] == '\0'))
				return now;
		}
	}
}

void rig_proc_mem(pid_t pid, long *rss, long *hwm)
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

void rig_open(struct rig *r, const char *conf)
{
	static const char *const names[] = {"hv.sock",    "xenstore.sock", "poold.sock",
	                                    "state.json", "poold.conf",    "notify.sock"};

	memset(r, 0, sizeof(*r));
	r->hv = r->ctl = r->notify = -1;
	snprintf(r->dir, sizeof(r->dir), "%s/poold-bench.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(r->dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	current = r;
	for (int i = 0; i < 6; i++)
		snprintf(r->path[i], sizeof(r->path[i]), "%s/%s", r->dir, names[i]);
	rig_write_conf(r, conf);
}

void rig_write_conf(struct rig *r, const char *conf)
{
	FILE *f = fopen(r->path[P_CONF], "w");

	if (f == NULL)
		die("%s: %s", r->path[P_CONF], strerror(errno));
	fputs(conf, f);
	if (fclose(f) != 0)
		die("%s: %s", r->path[P_CONF], strerror(errno));
}

void rig_xensim_start(struct rig *r, const struct rig_host *host)
{
	char log[128];

	snprintf(log, sizeof(log), "%s/xensim.log", r->dir);
	r->xensim = spawn((char *[]){(char *)rig_exe_xensim, "--dir", r->dir, "--topology",
	                             (char *)host->topology, "--nodes", (char *)host->nodes,
	                             "--sched", (char *)host->sched, NULL},
	                  log);
	r->hv = unix_connect(r->path[P_HV], 10000);
	setenv("XENSTORED_PATH", r->path[P_XS], 1);
}

void rig_poold_start(struct rig *r, const char *poold_exe)
{
	rig_poold_spawn(r, poold_exe);
	rig_poold_connect(r);
}

void rig_poold_spawn(struct rig *r, const char *poold_exe)
{
	char log[128], *argv[20];
	size_t n = 0;

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
}

void rig_poold_connect(struct rig *r)
{
	r->ctl = rig_ctl_connect(r);
}

void rig_poold_stop(struct rig *r)
{
	char cmd[256];

	if (r->ctl >= 0)
		close(r->ctl);
	r->ctl = -1;
	if (r->poold > 0) {
		int st = 0;

		kill(r->poold, SIGTERM);
		/* A poold that crashed or leaked under a sanitizer must not pass unseen. */
		if (waitpid(r->poold, &st, 0) == r->poold &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			fprintf(stderr, "%s: poold exited with status %#x:\n", rig_prog, st);
			snprintf(cmd, sizeof(cmd), "tail -n 30 '%s/poold.log' >&2", r->dir);
			if (system(cmd) != 0)
				fprintf(stderr, "%s: no poold log\n", rig_prog);
			rig_poold_failed = true;
		}
	}
	r->poold = 0;
}

void rig_start(struct rig *r, const char *poold_exe, const char *conf, const struct rig_host *host)
{
	rig_open(r, conf);
	rig_xensim_start(r, host);
	rig_poold_start(r, poold_exe);
	r->xs = xs_open(0);
	if (r->xs == NULL)
		die("cannot connect to xensim's xenstore: %s", strerror(errno));
}

void rig_stop(struct rig *r)
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
	if (r->notify >= 0)
		close(r->notify);
	r->ctl = r->hv = r->notify = -1;
	rig_poold_stop(r);
	if (r->xensim > 0) {
		kill(r->xensim, SIGTERM);
		waitpid(r->xensim, NULL, 0);
	}
	r->xensim = 0;
	if (r->dir[0] != '\0' && rig_keep) {
		fprintf(stderr, "%s: kept %s\n", rig_prog, r->dir);
	} else if (r->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "%s: cannot remove %s\n", rig_prog, r->dir);
	}
	r->dir[0] = '\0';
	free(r->buf);
	r->buf = NULL;
	r->alloc = r->len = 0;
}
