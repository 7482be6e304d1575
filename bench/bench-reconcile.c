/* Benchmark of real poold + poolctl against xensim: bursts, pool changes, spurious rescans, RSS. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "rig.h"

/* The simulated host: 4 sockets x 8 cores x 2 threads = 64 pCPUs, 2 NUMA nodes. */
static const struct rig_host host = {"4x8x2", "2", "credit2"};
/* vCPUs per guest. */
#define DOM_VCPUS         2
/* Spurious key rewrites per run; each is one sample. */
#define REWRITES          3
/* The pause between a trigger and the control request that waits for its rescan. */
#define SENTINEL_DELAY_US 2000

static const char *exe_poold;
static bool verbose;

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

	*us = (double)rig_poolctl(r, cmd, "pB", arg);
	rig_pool_cpus(r, "pB", pb, sizeof(pb));
	rig_count_pinned(r, "b", pb, &total, &pinned);
	if (pinned != members)
		die("%s pB returned with %zu of %u domains pinned to %s", cmd, pinned, members, pb);
	after = rig_settle(r);
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
		c0 = rig_counts(r);
		t0 = now_us();
		if (!xs_write(r->xs, XBT_NULL, path, pool, strlen(pool)))
			die("xenstore write %s: %s", path, strerror(errno));
		sleep_us(SENTINEL_DELAY_US);
		json_decref(rig_ctl(r, "status"));
		s->rewrite[k] = (double)(now_us() - t0);
		c1 = rig_counts(r);
		c2 = rig_settle(r);
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
	char name[32], pool0_cpus[128];
	struct counts c0, c1;
	uint32_t domid0 = 0;
	size_t total, pinned;
	struct rig r;
	uint64_t t0;

	memset(s, 0, sizeof(*s));
	rig_start(&r, poold_exe, conf, &host);
	/* pool0 must differ from "all" so that placing a domain takes writes. */
	rig_poolctl(&r, "pool-create", "pA", "ncpu=8");
	rig_pool_cpus(&r, "pool0", pool0_cpus, sizeof(pool0_cpus));
	rig_settle(&r);

	/* The burst: every domain wants pB, which does not exist yet, so lands in pool0. */
	t0 = now_us();
	for (unsigned i = 0; i < n; i++) {
		json_t *ok;

		snprintf(name, sizeof(name), "b%u", i);
		ok = rig_sim(&r, json_pack("{s:s, s:s, s:i, s:s}", "op", "create", "name", name,
		                           "vcpus", DOM_VCPUS, "pool", "pB"));
		if (i == 0)
			domid0 = (uint32_t)json_integer_value(json_object_get(ok, "domid"));
		json_decref(ok);
	}
	s->burst_send = (double)(now_us() - t0);
	s->burst = (double)(rig_wait_pinned(&r, "b", pool0_cpus, n, 5000) - t0);
	rig_settle(&r);

	for (unsigned k = 0; k < REWRITES; k++)
		spurious_rewrite(&r, domid0, "pB", s, k);

	/* One more domain: placed by the first rescan, watched, rescanned again. */
	c0 = rig_counts(&r);
	t0 = now_us();
	snprintf(name, sizeof(name), "b%u", n);
	json_decref(rig_sim(&r, json_pack("{s:s, s:s, s:i, s:s}", "op", "create", "name", name,
	                                  "vcpus", DOM_VCPUS, "pool", "pB")));
	sleep_us(SENTINEL_DELAY_US);
	json_decref(rig_ctl(&r, "status"));
	rig_count_pinned(&r, "b", pool0_cpus, &total, &pinned);
	if (pinned != n + 1)
		rig_wait_pinned(&r, "b", pool0_cpus, n + 1, 1000);
	s->one = (double)(now_us() - t0);
	c1 = rig_settle(&r);
	s->one_reads = c1.reads - c0.reads;
	s->one_xs = c1.xs_requests - c0.xs_requests;

	/* pool-create with n + 1 members waiting for it, then a resize that re-pins them all. */
	c1 = time_repin(&r, "pool-create", "ncpu=16", n + 1, c1, &s->create, &s->create_reads);
	c1 = time_repin(&r, "pool-modify", "ncpu=8", n + 1, c1, &s->modify, &s->modify_reads);

	rig_proc_mem(r.poold, &s->rss, &s->hwm);
	rig_stop(&r);
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

	rig_prog = "bench-reconcile";
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
	rig_exe_poolctl = getenv("POOLCTL");
	rig_exe_xensim = getenv("XENSIM");
	if (optind >= argc || runs < 1 || runs > 64 || !exe_poold || !rig_exe_poolctl ||
	    !rig_exe_xensim)
		usage();
	rig_signals();

	printf("# bench-reconcile: xensim %s (64 pCPUs, %s NUMA nodes, credit2), guests of %d "
	       "vCPUs, medians of %u runs\n",
	       host.topology, host.nodes, DOM_VCPUS, runs);
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
	return rig_poold_failed ? 1 : 0;
}
