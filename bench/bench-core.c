/* Benchmarks of the pure core: weights, the plan diff, ncpu selection, cpu list syntax. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpumap.h"
#include "core/dom.h"
#include "core/plan.h"
#include "core/pool.h"
#include "core/topo.h"
#include "core/weight.h"

/* Samples per operation; the median and p90 are taken over them. */
#define SAMPLES       31
/* A sample times a batch lasting at least this long, to stay above the clock's noise. */
#define SAMPLE_MIN_NS 2000000ull

/* The big host: 4 sockets x 128 cores x 2 threads, 4 NUMA nodes. */
#define HOST_SOCKETS 4
#define HOST_CORES   128
#define HOST_THREADS 2
#define HOST_CPUS    (HOST_SOCKETS * HOST_CORES * HOST_THREADS)
#define NR_POOLS     8
#define NR_DOMS      1000
#define DOM_VCPUS    4

typedef void (*bench_fn)(void *arg);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Keeps the compiler from dropping work whose result nobody reads. */
static volatile uint64_t sink;

/*
 * Times fn: finds a batch size lasting SAMPLE_MIN_NS, then takes SAMPLES
 * batches and prints the median and p90 of ns per call, and ns per item
 * when one call handles `items` things.
 */
static void bench_run(const char *name, unsigned long items, bench_fn fn, void *arg)
{
	double per[SAMPLES];
	unsigned long batch = 1;
	uint64_t t0, dt;

	fn(arg); /* warm caches and allocations */
	for (;;) {
		t0 = now_ns();
		for (unsigned long i = 0; i < batch; i++)
			fn(arg);
		dt = now_ns() - t0;
		if (dt >= SAMPLE_MIN_NS || batch >= (1ul << 30))
			break;
		batch *= dt < SAMPLE_MIN_NS / 16 ? 8 : 2;
	}
	for (unsigned s = 0; s < SAMPLES; s++) {
		t0 = now_ns();
		for (unsigned long i = 0; i < batch; i++)
			fn(arg);
		per[s] = (double)(now_ns() - t0) / (double)batch;
	}
	qsort(per, SAMPLES, sizeof(per[0]), cmp_double);
	printf("%-44s %6lu %14.0f %14.0f %12.1f\n", name, items, per[SAMPLES / 2],
	       per[SAMPLES * 9 / 10], per[SAMPLES / 2] / (double)items);
}

/* The model of a big host: pools, domains, what the hypervisor reports. */
struct host {
	struct topo topo;
	struct pool_table pools;
	struct dom *doms;
	struct sched_params *sp;
	struct cpumap *hard; /* NR_DOMS * DOM_VCPUS, as the hypervisor reports */
	struct plan plan;
	enum sched_kind kind;
	bool converged; /* hard already matches: the diff finds nothing */
};

/* Sets up NR_POOLS equal pools of whole cores and NR_DOMS domains spread over them. */
static void host_init(struct host *h, enum sched_kind kind)
{
	unsigned per_pool = HOST_CPUS / NR_POOLS;
	struct pool *p;
	struct perr e;

	memset(h, 0, sizeof(*h));
	h->kind = kind;
	if (topo_uniform(&h->topo, HOST_SOCKETS, HOST_CORES, HOST_THREADS, 4) != 0 ||
	    pool_table_init(&h->pools, &h->topo) != 0) {
		fprintf(stderr, "bench-core: cannot set up the host\n");
		exit(1);
	}
	/* pool0 keeps the first slice; pools 1..7 take the others. */
	for (unsigned i = 1; i < NR_POOLS; i++) {
		struct cpumap cpus;
		char name[16];

		cpumap_zero(&cpus);
		for (unsigned c = i * per_pool; c < (i + 1) * per_pool; c++)
			cpumap_set(&cpus, c);
		snprintf(name, sizeof(name), "pool%u", i);
		if (pool_create(&h->pools, name, &cpus, i % 3 == 0 ? 400 : 0, &p, &e) != 0) {
			fprintf(stderr, "bench-core: pool_create: %s\n", e.msg);
			exit(1);
		}
	}
	h->doms = calloc(NR_DOMS, sizeof(*h->doms));
	h->sp = calloc(NR_DOMS, sizeof(*h->sp));
	h->hard = calloc((size_t)NR_DOMS * DOM_VCPUS, sizeof(*h->hard));
	if (h->doms == NULL || h->sp == NULL || h->hard == NULL) {
		fprintf(stderr, "bench-core: out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < NR_DOMS; i++) {
		struct dom *d = &h->doms[i];

		d->domid = i;
		d->nr_vcpus = DOM_VCPUS;
		d->sched = kind;
		d->pool_id = h->pools.pools[i % h->pools.n].id;
		d->weight = 128 + (i * 37) % 1024;
		d->cap = i % 5 == 0 ? 150 : 0;
		for (unsigned v = 0; v < DOM_VCPUS; v++)
			cpumap_fill(&h->hard[i * DOM_VCPUS + v], HOST_CPUS);
	}
	weight_compute(&h->pools, h->doms, NR_DOMS, h->sp);
}

static void host_fini(struct host *h)
{
	pool_table_fini(&h->pools);
	plan_fini(&h->plan);
	free(h->doms);
	free(h->sp);
	free(h->hard);
}

static void run_weight(void *arg)
{
	struct host *h = arg;

	weight_compute(&h->pools, h->doms, NR_DOMS, h->sp);
	sink += h->sp[NR_DOMS - 1].weight;
}

/* One reconcile's worth of diffs: every domain against what the hypervisor reports. */
static void run_plan(void *arg)
{
	struct host *h = arg;

	for (unsigned i = 0; i < NR_DOMS; i++) {
		const struct dom *d = &h->doms[i];
		const struct pool *p = pool_find_id(&h->pools, d->pool_id);
		struct dom_desired want = {.domid = d->domid, .sched = h->sp[i], .kind = h->kind};
		struct dom_actual act = {.domid = d->domid,
		                         .nr_vcpus = d->nr_vcpus,
		                         .hard = &h->hard[i * DOM_VCPUS],
		                         .sched_known = true};

		want.cpus = p->cpus;
		if (h->converged) {
			act.weight = h->sp[i].weight;
			act.cap = h->sp[i].cap;
		} else {
			act.weight = 256;
		}
		plan_reset(&h->plan);
		if (plan_diff(&h->plan, &want, &act, &h->pools.online) < 0) {
			fprintf(stderr, "bench-core: plan_diff: out of memory\n");
			exit(1);
		}
		sink += h->plan.n;
	}
}

/* Pins every vCPU to its pool, as a converged host has it. */
static void host_converge(struct host *h)
{
	for (unsigned i = 0; i < NR_DOMS; i++) {
		const struct pool *p = pool_find_id(&h->pools, h->doms[i].pool_id);

		for (unsigned v = 0; v < DOM_VCPUS; v++)
			h->hard[i * DOM_VCPUS + v] = p->cpus;
	}
	h->converged = true;
}

struct select_case {
	struct topo topo;
	struct cpumap free;
	unsigned n;
};

static void run_select(void *arg)
{
	struct select_case *c = arg;
	struct cpumap out;
	struct perr e;

	if (ncpu_select(&c->topo, &c->free, NULL, c->n, 1, &out, &e) != 0) {
		fprintf(stderr, "bench-core: ncpu_select(%u): %s\n", c->n, e.msg);
		exit(1);
	}
	sink += out.w[0];
}

/* A fragmented pool0: every fourth core of each socket already taken by other pools. */
static void select_case_init(struct select_case *c, unsigned sockets, unsigned cores,
                             unsigned threads, unsigned nodes, unsigned n)
{
	memset(c, 0, sizeof(*c));
	topo_uniform(&c->topo, sockets, cores, threads, nodes);
	topo_online(&c->topo, &c->free);
	for (unsigned cpu = 0; cpu < c->topo.nr_cpus; cpu++)
		if (c->topo.cpu[cpu].core % 4 == 3)
			cpumap_clear(&c->free, cpu);
	c->n = n;
}

struct text_case {
	char text[CPUMAP_TEXT_MAX];
	struct cpumap map;
};

static void run_parse(void *arg)
{
	struct text_case *c = arg;
	struct cpumap m;
	struct perr e;

	if (cpumap_parse(&m, c->text, CPUMAP_MAX, &e) != 0) {
		fprintf(stderr, "bench-core: cpumap_parse: %s\n", e.msg);
		exit(1);
	}
	sink += m.w[0];
}

static void run_format(void *arg)
{
	struct text_case *c = arg;
	char buf[CPUMAP_TEXT_MAX];

	sink += (uint64_t)cpumap_format(&c->map, buf, sizeof(buf));
}

/* Builds a text case from a map; the text is the canonical form of it. */
static void text_case_map(struct text_case *c, const struct cpumap *m)
{
	c->map = *m;
	cpumap_format(m, c->text, sizeof(c->text));
}

static void bench_texts(void)
{
	static struct text_case c;
	struct perr e;
	struct cpumap m;

	cpumap_fill(&m, CPUMAP_MAX);
	text_case_map(&c, &m);
	bench_run("cpumap_parse \"0-1023\"", 1, run_parse, &c);
	bench_run("cpumap_format 0-1023", 1, run_format, &c);

	cpumap_zero(&m);
	for (unsigned i = 0; i < CPUMAP_MAX; i += 2)
		cpumap_set(&m, i);
	text_case_map(&c, &m);
	bench_run("cpumap_parse \"0,2,...,1022\" (512 items)", 512, run_parse, &c);
	bench_run("cpumap_format 0,2,...,1022 (512 items)", 512, run_format, &c);

	snprintf(c.text, sizeof(c.text), "0-511,^3,^100-200,700-900,^750");
	if (cpumap_parse(&c.map, c.text, CPUMAP_MAX, &e) != 0) {
		fprintf(stderr, "bench-core: %s\n", e.msg);
		exit(1);
	}
	bench_run("cpumap_parse \"0-511,^3,^100-200,...\"", 1, run_parse, &c);
	bench_run("cpumap_format (6 ranges)", 1, run_format, &c);
}

static void bench_selects(void)
{
	static const struct {
		unsigned s, c, t, nodes, n;
	} cases[] = {
	    {4, 128, 2, 4, 4},   {4, 128, 2, 4, 64}, {4, 128, 2, 4, 256},
	    {4, 128, 2, 4, 600}, {8, 32, 4, 8, 16},  {16, 32, 2, 16, 100},
	};
	static struct select_case c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];

		select_case_init(&c, cases[i].s, cases[i].c, cases[i].t, cases[i].nodes,
		                 cases[i].n);
		snprintf(name, sizeof(name), "ncpu_select %ux%ux%u/%un ncpu=%u", cases[i].s,
		         cases[i].c, cases[i].t, cases[i].nodes, cases[i].n);
		bench_run(name, 1, run_select, &c);
	}
}

int main(void)
{
	static struct host h;

	printf("# bench-core: %d pCPUs, %d pools, %d domains x %d vCPUs; %d samples per row\n",
	       HOST_CPUS, NR_POOLS, NR_DOMS, DOM_VCPUS, SAMPLES);
	printf("%-44s %6s %14s %14s %12s\n", "operation", "n", "median ns/op", "p90 ns/op",
	       "ns/item");

	host_init(&h, SCHED_CREDIT);
	bench_run("weight_compute credit1 (n = domains)", NR_DOMS, run_weight, &h);
	bench_run("plan_diff all doms, all vCPUs to write", NR_DOMS, run_plan, &h);
	host_converge(&h);
	bench_run("plan_diff all doms, converged", NR_DOMS, run_plan, &h);
	host_fini(&h);

	host_init(&h, SCHED_CREDIT2);
	bench_run("weight_compute credit2 (n = domains)", NR_DOMS, run_weight, &h);
	host_converge(&h);
	bench_run("plan_diff all doms credit2, converged", NR_DOMS, run_plan, &h);
	host_fini(&h);

	bench_selects();
	bench_texts();
	return 0;
}
