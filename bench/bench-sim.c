/* Benchmark of xensim's run model: one advance of a big host, as --clock real makes per request. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xensim/sim.h"

/* 4 sockets x 32 cores x 2 threads; 2000 guests of 4 vCPUs. */
#define HOST_CPUS 256
#define NR_DOMS   2000
#define DOM_VCPUS 4
#define SAMPLES   31
/* Simulated time per advance: what a busy hypervisor socket sees between requests. */
#define STEP_NS   100000

/* How the guests are pinned. */
enum layout {
	ALL,    /* libxl's default: every vCPU on every pCPU */
	POOLS,  /* poold's: 8 pools of 32 pCPUs, every vCPU on its pool's */
	WINDOW, /* each domain on 8 pCPUs at its own offset: overlapping sets */
	RANDOM, /* each vCPU on its own 32 random pCPUs: the worst case */
};

static const char *const layout_name[] = {"all", "pools", "windows", "random"};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void die(const char *what, const struct perr *e)
{
	fprintf(stderr, "bench-sim: %s: %s\n", what, e->msg);
	exit(1);
}

/* Boots the host and creates the guests: mixed weights, some capped, a third half busy. */
static struct sim *build(enum sim_sched sched, enum layout l)
{
	struct perr e = {0};
	struct topo t;
	struct sim *s;

	srand(1);
	if (topo_uniform(&t, 4, 32, 2, 4) != 0 || sim_new(&s, &t, sched, NULL, NULL) != 0) {
		fprintf(stderr, "bench-sim: cannot boot the host\n");
		exit(1);
	}
	for (unsigned i = 0; i < NR_DOMS; i++) {
		unsigned load = i % 3 ? 100 : 50;
		char name[16];
		struct cpumap m;
		struct sim_create c = {.name = name,
		                       .vcpus = DOM_VCPUS,
		                       .weight = 256 + i % 7 * 100,
		                       .cap = i % 5 ? 0 : 150,
		                       .load = &load};
		uint32_t id;

		snprintf(name, sizeof(name), "d%u", i);
		cpumap_zero(&m);
		if (l == POOLS)
			for (unsigned k = 0; k < 32; k++)
				cpumap_set(&m, i % 8 * 32 + k);
		if (l == WINDOW)
			for (unsigned k = 0; k < 8; k++)
				cpumap_set(&m, i * 37 % (HOST_CPUS - 8) + k);
		c.hard = l == POOLS || l == WINDOW ? &m : NULL;
		if (sim_create(s, &c, &id, &e) != 0)
			die("create", &e);
		for (unsigned v = 0; l == RANDOM && v < DOM_VCPUS; v++) {
			cpumap_zero(&m);
			for (unsigned k = 0; k < 32; k++)
				cpumap_set(&m, (unsigned)rand() % HOST_CPUS);
			if (sim_set_affinity(s, id, v, &m, NULL, &e) != 0)
				die("set_affinity", &e);
		}
	}
	return s;
}

/* Times SAMPLES advances of STEP_NS and prints the median and p90. */
static void bench(enum sim_sched sched, enum layout l)
{
	struct sim *s = build(sched, l);
	uint64_t per[SAMPLES];
	struct perr e = {0};

	if (sim_run_ns(s, STEP_NS, &e) != 0) /* warm the scratch memory */
		die("run", &e);
	for (unsigned i = 0; i < SAMPLES; i++) {
		uint64_t t0 = now_ns();

		if (sim_run_ns(s, STEP_NS, &e) != 0)
			die("run", &e);
		per[i] = now_ns() - t0;
	}
	qsort(per, SAMPLES, sizeof(per[0]), cmp_u64);
	printf("%-8s %-8s %6u %10.3f %10.3f\n", sim_sched_name(sched), layout_name[l],
	       NR_DOMS * DOM_VCPUS, (double)per[SAMPLES / 2] / 1e6,
	       (double)per[SAMPLES * 9 / 10] / 1e6);
	sim_free(s);
}

int main(void)
{
	printf("one advance, %u domains x %u vCPUs on %u pCPUs\n", NR_DOMS, DOM_VCPUS, HOST_CPUS);
	printf("%-8s %-8s %6s %10s %10s\n", "sched", "affinity", "vcpus", "median-ms", "p90-ms");
	for (int k = 0; k < 2; k++)
		for (enum layout l = ALL; l <= RANDOM; l++)
			bench(k ? SIM_SCHED_CREDIT : SIM_SCHED_CREDIT2, l);
	return 0;
}
