/*
 * Benchmark of poold's share controller: what one period costs at N guests on xensim (credit1
 * and credit2), and the contract that a period on a steady load writes nothing.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
/* Simulated time each period sees, in ms. */
#define RUN_MS        1000
#define STEADY_MAX    32
/* Domain listings the bench times itself at the end. */
#define LISTINGS      5

static const char *const pool_names[NPOOLS] = {"pool0", "p1", "p2"};

/* One snapshot of xensim: its counters, and every guest's cap and pool (by its name). */
struct view {
	struct counts c;
	int64_t now_ns; /* the simulated clock */
	size_t n;
	uint32_t *domid;
	int *cap, *pool, *weight; /* weight: the one it was created with */
	int64_t *cpu_ns;
};

/* What one period (or the placement) cost. */
struct period {
	struct counts d; /* xensim's counters, after - before */
	int64_t changes; /* poold's share_changes, after - before */
	int64_t periods; /* poold's share_periods, after - before */
	double ms;       /* poold's share_pass_us, in ms (the placement: wall time) */
	size_t diff[2];  /* guests whose cap xensim shows changed: in the pool watched, elsewhere */
	size_t capped[3]; /* guests with a cap per pool, after */
	long rss;         /* poold's VmRSS after, KiB */
};

static const char *exe_poold;
static bool verbose, failed;
static unsigned steady = 3;
static char period_s[16] = "1";

static void view_take(struct rig *r, struct view *v)
{
	json_t *show = rig_sim(r, json_pack("{s:s}", "op", "show")), *d;
	json_t *doms = json_object_get(show, "domains");
	size_t i;

	v->c = rig_counts_of(show);
	v->now_ns = json_integer_value(json_object_get(show, "now_ns"));
	v->n = 0;
	v->domid = calloc(json_array_size(doms) + 1, sizeof(*v->domid));
	v->cap = calloc(json_array_size(doms) + 1, sizeof(*v->cap));
	v->pool = calloc(json_array_size(doms) + 1, sizeof(*v->pool));
	v->weight = calloc(json_array_size(doms) + 1, sizeof(*v->weight));
	v->cpu_ns = calloc(json_array_size(doms) + 1, sizeof(*v->cpu_ns));
	if (v->domid == NULL || v->cap == NULL || v->pool == NULL || v->weight == NULL ||
	    v->cpu_ns == NULL)
		die("out of memory");
	json_array_foreach (doms, i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));

		/* Guests are g<pool>.<i>; domain 0 is not one. */
		if (name == NULL || name[0] != 'g' || name[1] < '0' || name[1] >= '0' + NPOOLS)
			continue;
		v->domid[v->n] = (uint32_t)json_integer_value(json_object_get(d, "domid"));
		v->cap[v->n] = (int)json_integer_value(json_object_get(d, "cap"));
		v->pool[v->n] = name[1] - '0';
		/* The weight it was created with (poold writes its own under credit1). */
		v->weight[v->n] = 256 * (1 + (int)(strtoul(name + 3, NULL, 10) / NPOOLS % 3));
		v->cpu_ns[v->n] = json_integer_value(json_object_get(d, "cpu_time"));
		v->n++;
	}
	json_decref(show);
}

static void view_free(struct view *v)
{
	free(v->domid);
	free(v->cap);
	free(v->pool);
	free(v->weight);
	free(v->cpu_ns);
	memset(v, 0, sizeof(*v));
}

/* poold's status: periods run, caps changed, the last period's pass time. */
static void share_status(struct rig *r, int64_t *periods, int64_t *changes, int64_t *pass_us)
{
	json_t *st = rig_ctl(r, "status");

	*periods = json_integer_value(json_object_get(st, "share_periods"));
	*changes = json_integer_value(json_object_get(st, "share_changes"));
	if (pass_us != NULL)
		*pass_us = json_integer_value(json_object_get(st, "share_pass_us"));
	json_decref(st);
}

/* Fills the differences between two views into p; watch is the pool a change was made in. */
static void view_diff(const struct view *a, const struct view *b, int watch, struct period *p)
{
	p->d = (struct counts){
	    .reads = b->c.reads - a->c.reads,
	    .writes = b->c.writes - a->c.writes,
	    .listings = b->c.listings - a->c.listings,
	    .set_sched = b->c.set_sched - a->c.set_sched,
	    .xs_requests = b->c.xs_requests - a->c.xs_requests,
	};
	if (a->n != b->n)
		die("the guests changed during a period (%zu, then %zu)", a->n, b->n);
	memset(p->diff, 0, sizeof(p->diff));
	memset(p->capped, 0, sizeof(p->capped));
	for (size_t i = 0; i < b->n; i++) {
		if (a->domid[i] != b->domid[i])
			die("the guests changed during a period");
		if (a->cap[i] != b->cap[i])
			p->diff[watch >= 0 && b->pool[i] != watch]++;
		p->capped[b->pool[i]] += b->cap[i] != 0;
	}
}

/*
 * Runs RUN_MS of simulated time and waits for poold's period that sees it.
 * The window is from the view *v (taken at the end of the last one) to a
 * view taken as soon as status shows the period: poold answers status only
 * between passes, so that is after the period's pass and its writes. One
 * timer tick falls in each window as long as a pass is well under the period.
 * The view before goes to *prev if asked, else is freed.
 */
static void one_period(struct rig *r, struct view *v, struct view *prev, int watch,
                       struct period *p)
{
	int64_t per0, chg0, per1, chg1, pass_us;
	uint64_t end;
	struct view after;

	share_status(r, &per0, &chg0, NULL);
	json_decref(rig_sim(r, json_pack("{s:s, s:i}", "op", "run", "ms", RUN_MS)));
	end = now_us() + (uint64_t)(atof(period_s) * 5e6) + 10000000u;
	for (;;) {
		share_status(r, &per1, &chg1, &pass_us);
		if (per1 != per0)
			break;
		if (now_us() > end)
			die("no share period within %s s x 5 + 10 s of running the clock",
			    period_s);
		sleep_us(2000);
	}
	view_take(r, &after);
	view_diff(v, &after, watch, p);
	p->periods = per1 - per0;
	p->changes = chg1 - chg0;
	p->ms = (double)pass_us / 1000;
	rig_proc_mem(r->poold, &p->rss, &(long){0});
	if (prev != NULL)
		*prev = *v;
	else
		view_free(v);
	*v = after;
	if (p->periods != 1)
		die("%" PRId64 " share periods counted for one run of the clock", p->periods);
}

/*
 * Prints what the guests of one pool got between two views, as the mean %
 * of one pCPU per guest of each weight, their ratio (the weights are 1:2:3)
 * and the mean cap of each weight.
 */
static void print_use(const char *sched, unsigned n, const char *phase, const struct view *a,
                      const struct view *b, int pool)
{
	double use[3] = {0}, cap[3] = {0}, dt = (double)(b->now_ns - a->now_ns);
	size_t cnt[3] = {0};

	if (dt <= 0)
		return;
	for (size_t i = 0; i < b->n; i++) {
		int w = b->weight[i] / 256 - 1;

		if (b->pool[i] != pool || w < 0 || w > 2 || a->domid[i] != b->domid[i])
			continue;
		use[w] += 100.0 * (double)(b->cpu_ns[i] - a->cpu_ns[i]) / dt;
		cap[w] += b->cap[i];
		cnt[w]++;
	}
	for (int w = 0; w < 3; w++) {
		use[w] /= cnt[w] ? (double)cnt[w] : 1;
		cap[w] /= cnt[w] ? (double)cnt[w] : 1;
	}
	printf("# %s N=%u %s: %s's guests of weight 256/512/768 got %.2f/%.2f/%.2f %% each "
	       "(1:%.2f:%.2f), caps after %.1f/%.1f/%.1f\n",
	       sched, n, phase, pool_names[pool], use[0], use[1], use[2],
	       use[0] > 0 ? use[1] / use[0] : 0, use[0] > 0 ? use[2] / use[0] : 0, cap[0], cap[1],
	       cap[2]);
}

/*
 * Waits for a tick of poold's period timer (its pass lists domains even when
 * the clock stands still, and then counts no period) and for that pass to
 * end, so that the next window starts a whole period before the next tick.
 */
/*
 * The listings of one walk over n guests and dom0: poold lists every domain
 * WALK_CHUNK (64) a step, the last step the one that comes back short.
 */
static int64_t walk_steps(unsigned n)
{
	return (int64_t)(n + 1) / 64 + 1;
}

static void align_tick(struct rig *r)
{
	struct counts c0 = rig_counts(r), c;
	uint64_t end = now_us() + (uint64_t)(atof(period_s) * 5e6) + 10000000u;

	do {
		if (now_us() > end)
			die("no pass of poold's period timer within %s s x 5 + 10 s", period_s);
		sleep_us(5000);
		c = rig_counts(r);
	} while (c.listings == c0.listings);
	json_decref(rig_ctl(r, "status"));
}

static void print_header(void)
{
	printf("%-7s %6s %-9s %8s %6s %6s %7s %7s %8s %7s %-16s %8s %7s\n", "sched", "N", "phase",
	       "listings", "reads", "writes", "set_sch", "changes", "cap-diff", "elsewhr",
	       "capped p0/p1/p2", "ms", "rss-KiB");
}

static void print_row(const char *sched, unsigned n, const char *phase, const struct period *p)
{
	char capped[32];

	snprintf(capped, sizeof(capped), "%zu/%zu/%zu", p->capped[0], p->capped[1], p->capped[2]);
	printf("%-7s %6u %-9s %8" PRId64 " %6" PRId64 " %6" PRId64 " %7" PRId64 " %7" PRId64
	       " %8zu %7zu %-16s %8.2f %7ld\n",
	       sched, n, phase, p->d.listings, p->d.reads, p->d.writes, p->d.set_sched, p->changes,
	       p->diff[0], p->diff[1], capped, p->ms, p->rss);
	fflush(stdout);
}

/* The medians of the steady periods, field by field. */
static void steady_median(const struct period *s, size_t k, struct period *o)
{
	double v[STEADY_MAX];

#define MED(field)                                                                                 \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < k; i_++)                                                  \
			v[i_] = (double)s[i_].field;                                               \
		o->field = median(v, k);                                                           \
	} while (0)
	memset(o, 0, sizeof(*o));
	MED(d.listings);
	MED(d.reads);
	MED(d.writes);
	MED(d.set_sched);
	MED(changes);
	MED(diff[0]);
	MED(diff[1]);
	MED(capped[0]);
	MED(capped[1]);
	MED(capped[2]);
	MED(ms);
	MED(rss);
#undef MED
}

/* One host: pools, N guests with poold stopped, poold's placement, then the periods. */
static void run_once(const char *sched, unsigned n, const char *conf)
{
	const struct rig_host host = {HOST_TOPOLOGY, HOST_NODES, sched};
	char cpus[NPOOLS][1024], name[32], prefix[8];
	struct period place = {0}, sample, first, st[STEADY_MAX], med, change, after;
	size_t members[NPOOLS] = {0};
	int64_t periods, changes;
	uint32_t idle_domid = 0;
	double lt[LISTINGS];
	struct view v0, v;
	struct rig r;
	uint64_t t0;

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

	/* N guests while poold is stopped: a third per pool, weights 256/512/768 in each. */
	for (unsigned i = 0; i < n; i++) {
		int p = (int)(i % NPOOLS);
		json_t *ok;

		snprintf(name, sizeof(name), "g%d.%u", p, i);
		ok = rig_sim(&r, json_pack("{s:s, s:s, s:i, s:s, s:i}", "op", "create", "name",
		                           name, "vcpus", DOM_VCPUS, "pool", pool_names[p],
		                           "weight", 256 * (1 + (int)(i / NPOOLS % 3))));
		/* The guest that goes idle in the change: p1's first. */
		if (i == 1)
			idle_domid = (uint32_t)json_integer_value(json_object_get(ok, "domid"));
		json_decref(ok);
		members[p]++;
	}

	/* poold's first pass places them all at once. */
	view_take(&r, &v0);
	t0 = now_us();
	rig_poold_start(&r, exe_poold);
	for (int p = 0; p < NPOOLS; p++) {
		snprintf(prefix, sizeof(prefix), "g%d.", p);
		rig_wait_pinned(&r, prefix, cpus[p], members[p], n > 1000 ? 50000 : 10000);
	}
	place.ms = (double)(now_us() - t0) / 1000;
	rig_settle(&r);
	share_status(&r, &periods, &changes, NULL);
	if (periods != 0)
		die("%" PRId64 " share periods before the clock moved", periods);
	view_take(&r, &v);
	view_diff(&v0, &v, -1, &place);
	view_free(&v0);
	rig_proc_mem(r.poold, &place.rss, &(long){0});
	print_row(sched, n, "place", &place);

	/* The first period after the clock moved (it measures from the starting pass), then one more. */
	align_tick(&r);
	view_free(&v);
	view_take(&r, &v);
	one_period(&r, &v, &v0, -1, &sample);
	print_row(sched, n, "first", &sample);
	for (int p = 0; p < NPOOLS; p++)
		if (verbose || p == 1)
			print_use(sched, n, "first (no caps)", &v0, &v, p);
	view_free(&v0);
	one_period(&r, &v, NULL, -1, &first);
	print_row(sched, n, "second", &first);

	for (unsigned k = 0; k < steady; k++) {
		one_period(&r, &v, k + 1 == steady ? &v0 : NULL, -1, &st[k]);
		if (verbose) {
			snprintf(name, sizeof(name), "steady.%u", k);
			print_row(sched, n, name, &st[k]);
		}
		if (st[k].d.writes != 0 || st[k].d.listings > walk_steps(n)) {
			printf("FAIL: %s N=%u steady period %u: %" PRId64
			       " hypervisor writes, %" PRId64 " listings (want 0, and one walk:"
			       " at most %" PRId64 ")\n",
			       sched, n, k, st[k].d.writes, st[k].d.listings, walk_steps(n));
			failed = true;
		}
	}
	steady_median(st, steady, &med);
	print_row(sched, n, "steady", &med);
	for (int p = 0; p < NPOOLS; p++)
		if (verbose || p == 1)
			print_use(sched, n, "steady", &v0, &v, p);
	view_free(&v0);

	/* One guest of p1 goes idle: only p1's caps may move. */
	json_decref(rig_sim(
	    &r, json_pack("{s:s, s:i, s:i}", "op", "load", "domid", (int)idle_domid, "load", 0)));
	one_period(&r, &v, NULL, 1, &change);
	print_row(sched, n, "change", &change);
	one_period(&r, &v, NULL, 1, &after);
	print_row(sched, n, "change+1", &after);
	/* What the listing alone costs, as a yardstick for the pass (after the periods: it counts). */
	for (int k = 0; k < LISTINGS; k++) {
		t0 = now_us();
		json_decref(rig_sim(&r, json_pack("{s:s}", "op", "domains")));
		lt[k] = (double)(now_us() - t0) / 1000;
	}
	printf("# %s N=%u: one domain listing timed from the bench (xensim answers, the bench "
	       "parses): %.2f ms, median of %d\n",
	       sched, n, median(lt, LISTINGS), LISTINGS);
	if (change.diff[1] != 0 || after.diff[1] != 0)
		printf("# %s N=%u: caps changed outside p1 after a p1 guest went idle: %zu, %zu\n",
		       sched, n, change.diff[1], after.diff[1]);
	view_free(&v);
	rig_stop(&r);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench-share [-s credit|credit2]... [-k STEADY] [-p PERIOD] [-c CONF_LINE] "
	        "[-K] [-v] N...\n"
	        "  POOLD, POOLCTL and XENSIM name the binaries (environment).\n"
	        "  -s one scheduler (repeatable; default credit then credit2); -k steady periods\n"
	        "     (default 3); -p share_period in s (default 1); -c adds a line to\n"
	        "     poold.conf; -K keeps each run's temp dir (logs); -v prints every steady\n"
	        "     period.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *scheds[4];
	char conf[1024], extra[512] = "", load[128] = "?";
	unsigned nsched = 0;
	FILE *f;
	int opt;

	rig_prog = "bench-share";
	while ((opt = getopt(argc, argv, "s:k:p:c:Kv")) != -1) {
		switch (opt) {
		case 's':
			if (nsched == 4 ||
			    (strcmp(optarg, "credit") != 0 && strcmp(optarg, "credit2") != 0))
				usage();
			scheds[nsched++] = optarg;
			break;
		case 'k':
			steady = (unsigned)atoi(optarg);
			break;
		case 'p':
			snprintf(period_s, sizeof(period_s), "%s", optarg);
			break;
		case 'c':
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%s\n",
			         optarg);
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
		scheds[nsched++] = "credit";
		scheds[nsched++] = "credit2";
	}
	exe_poold = getenv("POOLD");
	rig_exe_poolctl = getenv("POOLCTL");
	rig_exe_xensim = getenv("XENSIM");
	if (optind >= argc || steady < 1 || steady > STEADY_MAX || atof(period_s) <= 0 ||
	    !exe_poold || !rig_exe_poolctl || !rig_exe_xensim)
		usage();
	/* No periodic full verify may fall into a measured period (the benchmark is < 1 h). */
	snprintf(conf, sizeof(conf), "share_period = \"%s\"\nverify_interval = 3600\n%s", period_s,
	         extra);
	rig_signals();

	f = fopen("/proc/loadavg", "r");
	if (f != NULL) {
		/* The 1, 5 and 15 minute averages. */
		if (fgets(load, sizeof(load), f) != NULL) {
			char *end = load;

			for (int k = 0; k < 3 && end != NULL; k++)
				end = strchr(end + 1, ' ');
			if (end != NULL)
				*end = '\0';
		}
		fclose(f);
	}
	printf(
	    "# bench-share: xensim %s (%d pCPUs, %s NUMA nodes): pool0 %d, p1 and p2 %s pCPUs; N "
	    "guests of %d vCPUs, fully busy, a third per pool, weights 256/512/768; "
	    "share_period %s s, run %d ms per period\n",
	    HOST_TOPOLOGY, HOST_CPUS, HOST_NODES, HOST_CPUS - 2 * atoi(POOL_CPUS), POOL_CPUS,
	    DOM_VCPUS, period_s, RUN_MS);
	printf("# machine: loadavg %s at start, %ld CPUs online\n", load,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("# place: poold started on N guests, until all pinned (ms: wall time); first: the "
	       "first period after the clock moved (use measured from the starting pass: caps, if "
	       "any, "
	       "are written);\n"
	       "# second: the period after; steady: medians of %u more (no "
	       "write and one walk of listings each, or FAIL); change: one p1 guest went idle;\n"
	       "# change+1: the period after. listings/reads/writes/set_sch: xensim's counters "
	       "over the period; changes: poold's share_changes;\n"
	       "# cap-diff: guests whose cap xensim shows changed (elsewhr: of them outside p1, in "
	       "change); capped: guests with a cap after, per pool;\n"
	       "# ms: share_pass_us, poold's whole pass of that period; rss-KiB: poold's VmRSS "
	       "after. \"got\": CPU per guest over the period's run, from cpu_time.\n",
	       steady);
	print_header();
	fflush(stdout);
	for (int a = optind; a < argc; a++) {
		unsigned n = (unsigned)atoi(argv[a]);

		if (n < NPOOLS || n > 20000)
			usage();
		for (unsigned s = 0; s < nsched; s++)
			run_once(scheds[s], n, conf);
	}
	if (failed)
		printf("FAIL: a steady period wrote to the hypervisor or listed domains more than "
		       "once\n");
	return failed || rig_poold_failed ? 1 : 0;
}
