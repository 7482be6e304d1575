/* Unit tests of weight_compute(): credit1 rescale and its scales, credit2 pass-through, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/weight.h"

static struct topo topo;

static struct cpumap cpus_of(const char *text)
{
	struct cpumap m;

	assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

static struct dom mkdom(uint32_t domid, unsigned vcpus, unsigned weight, unsigned cap,
                        enum sched_kind sched, uint32_t pool_id)
{
	struct dom d;

	memset(&d, 0, sizeof(d));
	d.domid = domid;
	d.nr_vcpus = vcpus;
	d.weight = weight;
	d.cap = cap;
	d.sched = sched;
	d.pool_id = pool_id;
	return d;
}

/* 16 cpus; pool0 = 0-3, web = 4-15 (id 1). */
static void host16(struct pool_table *t, unsigned web_cap)
{
	struct cpumap m = cpus_of("4-15");

	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 2), 0);
	assert_int_equal(pool_table_init(t, &topo), 0);
	assert_int_equal(pool_create(t, "web", &m, web_cap, NULL, NULL), 0);
}

static void test_credit1_formula(void **state)
{
	/* K = 256 * A / N = 256 * 8 / 16 = 128; pool0: U = 1024, web: U = 2048. */
	assert_int_equal(weight_credit1(256, 4, 1024, 8, 16, 4), 128);
	assert_int_equal(weight_credit1(256, 12, 2048, 8, 16, 2), 192);
	assert_int_equal(weight_credit1(768, 12, 2048, 8, 16, 2), 576);
	/* Rounding half up: 256 * u / 512 for u = 3, 5, 7 is 1.5, 2.5, 3.5. */
	assert_int_equal(weight_credit1(3, 1, 512, 1, 1, 1), 2);
	assert_int_equal(weight_credit1(5, 1, 512, 1, 1, 1), 3);
	assert_int_equal(weight_credit1(7, 1, 512, 1, 1, 1), 4);
	assert_int_equal(weight_credit1(12, 1, 1280, 1, 1, 1), 2); /* 2.4 */
	assert_int_equal(weight_credit1(13, 1, 1280, 1, 1, 1), 3); /* 2.6 */
	/* Never below 1, never above 65535. */
	assert_int_equal(weight_credit1(1, 1, 1024, 1, 1, 1), 1); /* 0.25 */
	assert_int_equal(weight_credit1(1, 0, 1024, 1, 1, 1), 1);
	assert_int_equal(weight_credit1(65535, 1000, 65535, 1000, 1, 1), 65535);
	/* Nothing to scale against: no division by zero. */
	assert_int_equal(weight_credit1(300, 4, 0, 8, 16, 1), 300);
	assert_int_equal(weight_credit1(300, 4, 1024, 8, 0, 1), 300);
}

static void test_credit1_max(void **state)
{
	/* 2^32 - 1 / (300 * 1024 * 64) = 218.45 */
	assert_int_equal(weight_credit1_max(1024, 64), 218);
	assert_true(300ULL * 1024 * 64 * 218 <= UINT32_MAX);
	assert_true(300ULL * 1024 * 64 * 219 > UINT32_MAX);
	assert_int_equal(weight_credit1_max(16, 4), 65535);
	assert_int_equal(weight_credit1_max(0, 4), 65535);
	assert_int_equal(weight_credit1_max(1024, 65535), 1);
	/* A 64-vCPU domain alone on a big pool would get 256: clamped. */
	assert_int_equal(weight_credit1(256, 1024, 256 * 64, 64, 1024, 64), 218);

	/* Every product stays in 32 bits across a range of hosts. */
	for (unsigned n = 1; n <= CPUMAP_MAX; n *= 2)
		for (unsigned a = 1; a <= 512; a *= 2)
			assert_true((uint64_t)300 * n * a * weight_credit1_max(n, a) <=
			                UINT32_MAX ||
			            weight_credit1_max(n, a) == 1);
}

static void test_compute_credit1(void **state)
{
	struct pool_table t;
	struct dom d[3];
	struct sched_params out[3];

	host16(&t, 0);
	d[0] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	d[1] = mkdom(1, 2, 256, 0, SCHED_CREDIT, 1);
	d[2] = mkdom(2, 2, 768, 0, SCHED_CREDIT, 1);
	weight_compute(&t, d, 3, out);
	assert_true(out[0].write && out[1].write && out[2].write);
	/*
	 * Ideal scales K * n_P / U_P: pool0 128 * 4 / 1024 = 0.5, on the grid
	 * (step -16): 128. web 128 * 12 / 2048 = 0.75: the nearest step is
	 * round(16 * log2(0.75)) = round(-6.64) = -7, scale 2^(-7/16) = 0.73837:
	 * 256 -> 189.02, 768 -> 567.07.
	 */
	assert_int_equal(out[0].weight, 128);
	assert_int_equal(out[1].weight, 189);
	assert_int_equal(out[2].weight, 567);
	assert_true(t.pools[0].scale.set && t.pools[1].scale.set);
	assert_int_equal(t.pools[0].scale.step, -16);
	assert_int_equal(t.pools[1].scale.step, -7);
	/* Weight mass per pool follows its cpus, 4:12, within half a grid step each. */
	assert_true(
	    fabs(log2((out[1].weight * 2.0 + out[2].weight * 2.0) / (out[0].weight * 4.0 * 3)) *
	         WEIGHT_SCALE_STEPS) <= 1.0);
	assert_int_equal(out[0].cap + out[1].cap + out[2].cap, 0);

	/* Default weight for an unset user weight. */
	d[2].weight = 0;
	weight_compute(&t, d, 3, out);
	assert_int_equal(out[1].weight, out[2].weight);
	pool_table_fini(&t);
}

static void test_compute_clamp_big_host(void **state)
{
	struct pool_table t;
	struct cpumap m;
	struct dom d[1];
	struct sched_params out[1];

	/* 1024 cpus; dom0 with 64 vCPUs alone in a 1-cpu pool0, the rest idle in "big". */
	assert_int_equal(topo_uniform(&topo, 4, 128, 2, 4), 0);
	assert_int_equal(pool_table_init(&t, &topo), 0);
	m = cpus_of("1-1023");
	assert_int_equal(pool_create(&t, "big", &m, 0, NULL, NULL), 0);
	d[0] = mkdom(0, 64, 256, 0, SCHED_CREDIT, 0);
	weight_compute(&t, d, 1, out);
	/* The formula says 256; Xen's credit total spans all 1024 online cpus. */
	assert_int_equal(out[0].weight, 218);
	assert_true(300ULL * 1024 * out[0].weight * 64 <= UINT32_MAX);
	pool_table_fini(&t);
}

static void test_compute_credit2_and_other(void **state)
{
	struct pool_table t;
	struct dom d[5];
	struct sched_params out[5];

	host16(&t, 0);
	d[0] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	d[1] = mkdom(1, 2, 256, 0, SCHED_CREDIT2, 1);
	d[2] = mkdom(2, 2, 768, 0, SCHED_CREDIT2, 1);
	d[3] = mkdom(3, 2, 512, 50, SCHED_OTHERS, 1);
	d[4] = mkdom(4, 2, 512, 50, SCHED_UNKNOWN, 1);
	weight_compute(&t, d, 5, out);
	/* Only dom0 is credit1: A = 4, N = 4 (pool0 alone), K = 256. */
	assert_int_equal(out[0].weight, 256);
	assert_int_equal(out[1].weight, 256);
	assert_int_equal(out[2].weight, 768);
	assert_true(out[1].write && out[2].write);
	assert_false(out[3].write);
	assert_false(out[4].write);
	assert_int_equal(out[3].weight + out[3].cap + out[4].weight + out[4].cap, 0);

	d[1].weight = 70000;
	d[2].weight = 0;
	weight_compute(&t, d, 5, out);
	assert_int_equal(out[1].weight, DOM_WEIGHT_MAX);
	assert_int_equal(out[2].weight, DOM_WEIGHT_DEFAULT);
	pool_table_fini(&t);
}

static void test_cap_effective(void **state)
{
	assert_int_equal(cap_effective(0, 2, 4), 0);
	assert_int_equal(cap_effective(50, 1, 4), 50);
	assert_int_equal(cap_effective(99, 1, 4), 99);
	assert_int_equal(cap_effective(100, 1, 4), 0);
	assert_int_equal(cap_effective(150, 2, 4), 150);
	assert_int_equal(cap_effective(200, 2, 4), 0);
	/* Pinning to one cpu bounds a 4-vCPU domain at 100 already. */
	assert_int_equal(cap_effective(99, 4, 1), 99);
	assert_int_equal(cap_effective(100, 4, 1), 0);
	assert_int_equal(cap_effective(50, 0, 4), 0);
	assert_int_equal(cap_effective(50, 4, 0), 0);
	/* Never the credit1 "unchanged" value. */
	assert_int_equal(cap_effective(70000, 1000, 1000), CREDIT1_CAP_UNCHANGED - 1);
}

static void test_compute_caps(void **state)
{
	struct pool_table t;
	struct dom d[3];
	struct sched_params out[3];

	host16(&t, 100);
	d[0] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	d[1] = mkdom(1, 2, 256, 0, SCHED_CREDIT, 1);
	d[2] = mkdom(2, 2, 768, 0, SCHED_CREDIT2, 1);
	weight_compute(&t, d, 3, out);
	/* Pool cap 100 split by u*a: 512 and 1536 of 2048. */
	assert_int_equal(out[0].cap, 0);
	assert_int_equal(out[1].cap, 25);
	assert_int_equal(out[2].cap, 75);

	/* The smaller of user cap and pool share wins. */
	d[2].cap = 50;
	d[1].cap = 30;
	weight_compute(&t, d, 3, out);
	assert_int_equal(out[1].cap, 25);
	assert_int_equal(out[2].cap, 50);

	/* A tiny pool cap still gives every member at least 1. */
	t.pools[1].cap = 1;
	d[1].cap = d[2].cap = 0;
	weight_compute(&t, d, 3, out);
	assert_int_equal(out[1].cap, 1);
	assert_int_equal(out[2].cap, 1);

	/* A share at or above what pinning allows is no cap. */
	t.pools[1].cap = 1000;
	weight_compute(&t, d, 3, out);
	assert_int_equal(out[1].cap, 0); /* 250 >= 200 */
	assert_int_equal(out[2].cap, 0); /* 750 >= 200 */

	/* User caps alone. */
	t.pools[1].cap = 0;
	d[0].cap = 150;
	d[1].cap = 200;
	d[2].cap = 199;
	weight_compute(&t, d, 3, out);
	assert_int_equal(out[0].cap, 150);
	assert_int_equal(out[1].cap, 0);
	assert_int_equal(out[2].cap, 199);
	pool_table_fini(&t);
}

static void test_compute_edge(void **state)
{
	struct pool_table t;
	struct dom d[3];
	struct sched_params out[3];

	host16(&t, 50);
	/* web lost all its cpus but still has a member; a domain of a vanished pool. */
	cpumap_zero(&t.pools[1].cpus);
	d[0] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	d[1] = mkdom(1, 2, 256, 40, SCHED_CREDIT, 1);
	d[2] = mkdom(2, 0, 256, 40, SCHED_CREDIT, 42);
	weight_compute(&t, d, 3, out);
	assert_true(out[1].weight >= 1 && out[1].weight <= 65535);
	assert_int_equal(out[1].weight, 1);
	assert_int_equal(out[1].cap, 0);
	assert_true(out[2].weight >= 1);
	assert_int_equal(out[2].cap, 0);
	weight_compute(&t, d, 0, out);
	pool_table_fini(&t);
}

/* The grid's ratio between neighbouring steps, 2^(1/16). */
#define GRID_RATIO exp2(1.0 / WEIGHT_SCALE_STEPS)

/* 64 cpus; pool0 = 0-3 (id 0), web = 4-51 (id 1, 48 cpus), db = 52-63 (id 2, 12 cpus). */
static void host64(struct pool_table *t)
{
	struct cpumap web = cpus_of("4-51"), db = cpus_of("52-63");

	assert_int_equal(topo_uniform(&topo, 2, 16, 2, 2), 0);
	assert_int_equal(pool_table_init(t, &topo), 0);
	assert_int_equal(pool_create(t, "web", &web, 0, NULL, NULL), 0);
	assert_int_equal(pool_create(t, "db", &db, 0, NULL, NULL), 0);
}

/* Member i of a populated pool: weights 128..1024 and 1..4 vCPUs, mixed. */
static struct dom member(uint32_t domid, unsigned i, uint32_t pool_id)
{
	static const unsigned w[] = {128, 256, 384, 512, 1024, 300, 700};

	return mkdom(domid, 1 + i % 4, w[i % 7], 0, SCHED_CREDIT, pool_id);
}

/* The ideal scale K * n_P / U_P of a pool, from the doms alone (every one credit1). */
static double ideal_of(const struct pool_table *t, const struct dom *d, size_t n, uint32_t pool_id)
{
	double a = 0, u = 0, ncpus = 0;
	bool has[8] = {false};

	for (size_t i = 0; i < n; i++) {
		a += d[i].nr_vcpus;
		has[d[i].pool_id] = true;
		if (d[i].pool_id == pool_id)
			u += (d[i].weight ? d[i].weight : 256) * (double)d[i].nr_vcpus;
	}
	for (size_t j = 0; j < t->n; j++)
		if (has[t->pools[j].id])
			ncpus += cpumap_count(&t->pools[j].cpus);
	return 256.0 * a / ncpus * cpumap_count(&pool_find_id(t, pool_id)->cpus) / u;
}

/* The grid step nearest a scale, and the weight a step gives: the rule, independently. */
static int nearest_step(double scale)
{
	return (int)lround(WEIGHT_SCALE_STEPS * log2(scale));
}

static unsigned grid_weight(int step, unsigned u)
{
	long w = lround(exp2((double)step / WEIGHT_SCALE_STEPS) * u);

	return w < 1 ? 1 : (unsigned)w;
}

/* Counts the weights of pool_id's domains (all when pool_id is UINT32_MAX) that differ. */
static size_t changed_in(const struct dom *d, const struct sched_params *a,
                         const struct sched_params *b, size_t n, uint32_t pool_id)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if ((pool_id == UINT32_MAX || d[i].pool_id == pool_id) &&
		    a[i].weight != b[i].weight)
			c++;
	return c;
}

static size_t members_of(const struct dom *d, size_t n, uint32_t pool_id)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += d[i].pool_id == pool_id;
	return c;
}

/*
 * Checks that the pool's weight mass sum(w * a) is within the band of its
 * ideal K * n_P (a factor 2^(1/16) either way), allowing each weight's rounding.
 */
static void assert_in_band(const struct pool_table *t, const struct dom *d,
                           const struct sched_params *out, size_t n, uint32_t pool_id)
{
	double mass = 0, u = 0, slack = 0, want;

	for (size_t i = 0; i < n; i++) {
		if (d[i].pool_id != pool_id)
			continue;
		mass += (double)out[i].weight * d[i].nr_vcpus;
		u += (double)d[i].weight * d[i].nr_vcpus;
		slack += 0.5 * d[i].nr_vcpus;
	}
	want = ideal_of(t, d, n, pool_id) * u;
	assert_true(mass <= want * GRID_RATIO + slack);
	assert_true(mass >= want / GRID_RATIO - slack);
}

/* Checks that one scale serves the whole pool: w_i / u_i agree within rounding. */
static void assert_one_scale(const struct dom *d, const struct sched_params *out, size_t n,
                             uint32_t pool_id)
{
	size_t ref = SIZE_MAX;

	for (size_t i = 0; i < n; i++)
		if (d[i].pool_id == pool_id && (ref == SIZE_MAX || d[i].weight > d[ref].weight))
			ref = i;
	assert_true(ref != SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		double si = (double)out[i].weight / d[i].weight;
		double sr = (double)out[ref].weight / d[ref].weight;

		if (d[i].pool_id != pool_id)
			continue;
		assert_true(fabs(si - sr) <= 0.5 / d[i].weight + 0.5 / d[ref].weight + 1e-12);
	}
}

/* A populated web: dom0 (4 vCPUs) in pool0, 200 members in web, 10 in db. */
#define POP_WEB 200
#define POP_DB  10
#define POP_MAX (1 + POP_WEB + POP_DB + 400)

static size_t populate(struct dom *d)
{
	size_t n = 0;

	d[n++] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	for (unsigned i = 0; i < POP_WEB; i++, n++)
		d[n] = member((uint32_t)n, i, 1);
	for (unsigned i = 0; i < POP_DB; i++, n++)
		d[n] = member((uint32_t)n, i, 2);
	return n;
}

static void test_join_rewrites_only_its_own(void **state)
{
	struct pool_table t;
	struct dom *d = calloc(POP_MAX, sizeof(*d));
	struct sched_params *a = calloc(POP_MAX, sizeof(*a)), *b = calloc(POP_MAX, sizeof(*b));
	size_t n;
	int step;

	host64(&t);
	n = populate(d);
	weight_compute(&t, d, n, a);
	/* A fresh start takes each pool's nearest step. */
	step = nearest_step(ideal_of(&t, d, n, 1));
	assert_int_equal(t.pools[1].scale.step, step);
	assert_int_equal(t.pools[0].scale.step, nearest_step(ideal_of(&t, d, n, 0)));
	assert_int_equal(a[1].weight, grid_weight(step, d[1].weight));
	assert_one_scale(d, a, n, 1);
	assert_in_band(&t, d, a, n, 1);

	/* One more web member, 1 vCPU of weight 256: only its own weight is new. */
	d[n] = mkdom(1000, 1, 256, 0, SCHED_CREDIT, 1);
	weight_compute(&t, d, n + 1, b);
	assert_int_equal(changed_in(d, a, b, n, UINT32_MAX), 0);
	assert_int_equal(t.pools[1].scale.step, step);
	assert_int_equal(b[n].weight, grid_weight(step, 256));
	assert_int_equal(b[n].weight, b[2].weight); /* member 1 has weight 256 too */
	/* The ideal did move, by less than the band. */
	assert_true(ideal_of(&t, d, n + 1, 1) != ideal_of(&t, d, n, 1));
	n++;
	assert_one_scale(d, b, n, 1);
	assert_in_band(&t, d, b, n, 1);

	/* One leaves (member 100): nobody else is rewritten. */
	memmove(&d[100], &d[101], (n - 101) * sizeof(*d));
	memmove(&b[100], &b[101], (n - 101) * sizeof(*b));
	n--;
	weight_compute(&t, d, n, a);
	assert_int_equal(changed_in(d, b, a, n, UINT32_MAX), 0);
	assert_int_equal(t.pools[1].scale.step, step);

	/* A domain created in db changes no weight in web, nor dom0's. */
	d[n] = mkdom(1001, 2, 512, 0, SCHED_CREDIT, 2);
	weight_compute(&t, d, n + 1, b);
	assert_int_equal(changed_in(d, a, b, n, 1), 0);
	assert_int_equal(changed_in(d, a, b, n, 0), 0);
	/* db had 10 members: its ideal moved 10 %, out of the band, so db was rescaled. */
	assert_int_equal(changed_in(d, a, b, n, 2), POP_DB);
	assert_int_equal(t.pools[2].scale.step, nearest_step(ideal_of(&t, d, n + 1, 2)));
	assert_in_band(&t, d, b, n + 1, 2);

	pool_table_fini(&t);
	free(d);
	free(a);
	free(b);
}

static void test_drift_one_rescale_then_quiet(void **state)
{
	struct pool_table t;
	struct dom *d = calloc(POP_MAX, sizeof(*d));
	struct sched_params *a = calloc(POP_MAX, sizeof(*a)), *b = calloc(POP_MAX, sizeof(*b));
	size_t n, rescales = 0, first = 0, next = 0;
	int held, after = 0;

	host64(&t);
	n = populate(d);
	weight_compute(&t, d, n, a);
	held = t.pools[1].scale.step;

	/* Where the rule says the first and the second rescale fall, joins of 1 vCPU, 256. */
	for (size_t j = 1, k = n; next == 0 && k < POP_MAX; j++, k++) {
		double x;

		d[k] = mkdom((uint32_t)(1000 + j), 1, 256, 0, SCHED_CREDIT, 1);
		x = WEIGHT_SCALE_STEPS * log2(ideal_of(&t, d, k + 1, 1));
		if (first == 0 && fabs(x - held) > WEIGHT_SCALE_BAND) {
			first = j;
			after = (int)lround(x);
		} else if (first != 0 && fabs(x - after) > WEIGHT_SCALE_BAND) {
			next = j;
		}
	}
	assert_true(first > 1);
	assert_true(next > first + 5);

	for (size_t j = 1; j < next; j++) {
		size_t web = members_of(d, n, 1), c;

		weight_compute(&t, d, n + 1, b);
		c = changed_in(d, a, b, n, 1);
		if (j == first) {
			/* Every member of web is rewritten, once, with the new nearest step. */
			assert_int_equal(c, web);
			assert_int_equal(t.pools[1].scale.step, after);
			rescales++;
		} else {
			assert_int_equal(c, 0);
			assert_int_equal(t.pools[1].scale.step, j < first ? held : after);
		}
		assert_int_equal(b[n].weight, grid_weight(j < first ? held : after, 256));
		n++;
		assert_in_band(&t, d, b, n, 1);
		assert_one_scale(d, b, n, 1);
		memcpy(a, b, n * sizeof(*a));
	}
	assert_int_equal(rescales, 1);

	pool_table_fini(&t);
	free(d);
	free(a);
	free(b);
}

static void test_pools_of_very_different_sizes(void **state)
{
	struct pool_table t;
	struct cpumap tiny = cpus_of("4-5"), huge = cpus_of("6-63");
	struct dom d[400];
	struct sched_params out[400];
	size_t n = 0;

	/* pool0 4 cpus, tiny 2 cpus with 3 members, huge 58 cpus with 300. */
	assert_int_equal(topo_uniform(&topo, 2, 16, 2, 2), 0);
	assert_int_equal(pool_table_init(&t, &topo), 0);
	assert_int_equal(pool_create(&t, "tiny", &tiny, 0, NULL, NULL), 0);
	assert_int_equal(pool_create(&t, "huge", &huge, 0, NULL, NULL), 0);
	d[n++] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	for (unsigned i = 0; i < 3; i++, n++)
		d[n] = member((uint32_t)n, i, 1);
	for (unsigned i = 0; i < 300; i++, n++)
		d[n] = member((uint32_t)n, i, 2);

	/* Joins into huge, one in five into tiny: every pool stays in its band. */
	for (unsigned j = 0; j < 90; j++, n++) {
		double per_cpu_tiny = 0, per_cpu_huge = 0;

		weight_compute(&t, d, n, out);
		for (uint32_t p = 0; p < 3; p++)
			assert_in_band(&t, d, out, n, p);
		for (size_t i = 0; i < n; i++) {
			double m = (double)out[i].weight * d[i].nr_vcpus;

			if (d[i].pool_id == 1)
				per_cpu_tiny += m / 2;
			if (d[i].pool_id == 2)
				per_cpu_huge += m / 58;
		}
		/* Each within a step of its ideal: the two within two steps (plus rounding). */
		assert_true(per_cpu_tiny / per_cpu_huge <= GRID_RATIO * GRID_RATIO * 1.01);
		assert_true(per_cpu_tiny / per_cpu_huge >= 1 / (GRID_RATIO * GRID_RATIO * 1.01));
		d[n] = member((uint32_t)n, j, j % 5 == 0 ? 1 : 2);
	}
	pool_table_fini(&t);
}

static void test_fresh_start_and_adopt(void **state)
{
	struct pool_table t;
	struct dom *d = calloc(POP_MAX, sizeof(*d));
	struct sched_params *a = calloc(POP_MAX, sizeof(*a)), *b = calloc(POP_MAX, sizeof(*b));
	unsigned *seen = calloc(POP_MAX, sizeof(*seen));
	size_t n, joins = 0;

	host64(&t);
	n = populate(d);
	weight_compute(&t, d, n, a);

	/* Nothing changed: a start afresh (no scales) writes the same weights. */
	for (size_t j = 0; j < t.n; j++)
		t.pools[j].scale.set = false;
	weight_compute(&t, d, n, b);
	assert_int_equal(changed_in(d, a, b, n, UINT32_MAX), 0);

	/* Joins until web's ideal is more than half a step from its scale, still in the band. */
	while (fabs(WEIGHT_SCALE_STEPS * log2(ideal_of(&t, d, n, 1)) - t.pools[1].scale.step) <=
	       0.5) {
		d[n] = mkdom((uint32_t)(1000 + n), 1, 256, 0, SCHED_CREDIT, 1);
		weight_compute(&t, d, ++n, a);
		joins++;
	}
	assert_true(joins > 1);
	assert_int_equal(t.pools[1].scale.step, nearest_step(ideal_of(&t, d, n - joins, 1)));
	assert_true(fabs(WEIGHT_SCALE_STEPS * log2(ideal_of(&t, d, n, 1)) -
	                 t.pools[1].scale.step) <= WEIGHT_SCALE_BAND);

	/* A start afresh would now rewrite web: its nearest step is another one. */
	for (size_t j = 0; j < t.n; j++)
		t.pools[j].scale.set = false;
	weight_compute(&t, d, n, b);
	assert_int_equal(changed_in(d, a, b, n, 1), members_of(d, n, 1));

	/* Adopting from the weights read back recovers the scales: nothing to write. */
	for (size_t i = 0; i < n; i++)
		seen[i] = a[i].weight;
	for (size_t j = 0; j < t.n; j++)
		t.pools[j].scale.set = false;
	assert_int_equal(weight_adopt(&t, d, n, seen), 3);
	weight_compute(&t, d, n, b);
	assert_int_equal(changed_in(d, a, b, n, UINT32_MAX), 0);
	/* Pools with a scale are left alone. */
	assert_int_equal(weight_adopt(&t, d, n, seen), 0);

	/* One web weight changed behind poold's back: no one scale, web adopts none. */
	for (size_t j = 0; j < t.n; j++)
		t.pools[j].scale.set = false;
	seen[5] += 7;
	assert_int_equal(weight_adopt(&t, d, n, seen), 2);
	assert_false(t.pools[1].scale.set);
	assert_true(t.pools[0].scale.set && t.pools[2].scale.set);
	/* Weights not read (0) are left out: the rest agree. */
	seen[5] = 0;
	assert_int_equal(weight_adopt(&t, d, n, seen), 1);
	assert_true(t.pools[1].scale.set);

	/*
	 * web halved, its cpus back to pool0: web's ideal halved (16 steps) and
	 * pool0's grew 7-fold, so their weights are out of the band; db's still fit.
	 */
	seen[5] = a[5].weight;
	for (size_t j = 0; j < t.n; j++)
		t.pools[j].scale.set = false;
	{
		struct cpumap half = cpus_of("4-27");

		assert_int_equal(pool_resize(&t, "web", &half, members_of(d, n, 1), NULL), 0);
	}
	assert_int_equal(weight_adopt(&t, d, n, seen), 1);
	assert_false(t.pools[0].scale.set || t.pools[1].scale.set);
	assert_true(t.pools[2].scale.set);

	pool_table_fini(&t);
	free(d);
	free(a);
	free(b);
	free(seen);
}

static void test_scale_adopt(void **state)
{
	struct weight_seen m[3] = {{0}};
	int step = 99;

	/* Nothing read: nothing to adopt. */
	assert_false(weight_scale_adopt(1.0, 16, m, 0, &step));
	assert_int_equal(step, 99);

	/* 2^(3/16) = 1.13879: 256 -> 291.53, 100 -> 113.88, default (256) -> 291.53. */
	m[0] = (struct weight_seen){.user = 256, .vcpus = 1, .weight = 292};
	m[1] = (struct weight_seen){.user = 100, .vcpus = 2, .weight = 114};
	m[2] = (struct weight_seen){.user = 0, .vcpus = 1, .weight = 292};
	assert_true(weight_scale_adopt(exp2(2.2 / 16), 16, m, 3, &step));
	assert_int_equal(step, 3);
	/* The same weights against an ideal more than a step away: not adopted. */
	step = 99;
	assert_false(weight_scale_adopt(exp2(4.5 / 16), 16, m, 3, &step));
	assert_false(weight_scale_adopt(exp2(1.9 / 16), 16, m, 3, &step));
	assert_int_equal(step, 99);
	/* Off by one: no step gives them all. */
	m[1].weight = 115;
	assert_false(weight_scale_adopt(exp2(3.0 / 16), 16, m, 3, &step));

	/* Weight 1 fits neighbouring steps alike: the ideal's nearest is taken. */
	m[0] = (struct weight_seen){.user = 1, .vcpus = 1, .weight = 1};
	assert_true(weight_scale_adopt(exp2(0.7 / 16), 16, m, 1, &step));
	assert_int_equal(step, 1);
	assert_true(weight_scale_adopt(exp2(-0.2 / 16), 16, m, 1, &step));
	assert_int_equal(step, 0);

	/* A member clamped to Wmax agrees with the scale the others show. */
	m[0] = (struct weight_seen){.user = 256, .vcpus = 64, .weight = 218};
	m[1] = (struct weight_seen){.user = 100, .vcpus = 1, .weight = 100};
	assert_true(weight_scale_adopt(1.01, 1024, m, 2, &step));
	assert_int_equal(step, 0);
	/* A pool without pCPUs (ideal 0): every weight 1, the grid's lowest step. */
	m[0] = (struct weight_seen){.user = 65535, .vcpus = 1, .weight = 1};
	assert_true(weight_scale_adopt(0, 16, m, 1, &step));
	assert_int_equal(step, WEIGHT_SCALE_STEP_MIN);
}

static void test_empty_pool_forgets_scale(void **state)
{
	struct pool_table t;
	struct dom d[3];
	struct sched_params out[3];

	host16(&t, 0);
	d[0] = mkdom(0, 4, 256, 0, SCHED_CREDIT, 0);
	d[1] = mkdom(1, 2, 256, 0, SCHED_CREDIT, 1);
	d[2] = mkdom(2, 2, 768, 0, SCHED_CREDIT2, 1);
	weight_compute(&t, d, 3, out);
	assert_true(t.pools[1].scale.set);
	/* web's last credit1 member leaves; a credit2 member needs no scale. */
	weight_compute(&t, d, 1, out);
	assert_false(t.pools[1].scale.set);
	weight_compute(&t, d + 2, 1, out);
	assert_false(t.pools[1].scale.set);
	assert_int_equal(out[0].weight, 768);
	pool_table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_credit1_formula),
	    cmocka_unit_test(test_credit1_max),
	    cmocka_unit_test(test_compute_credit1),
	    cmocka_unit_test(test_compute_clamp_big_host),
	    cmocka_unit_test(test_compute_credit2_and_other),
	    cmocka_unit_test(test_cap_effective),
	    cmocka_unit_test(test_compute_caps),
	    cmocka_unit_test(test_compute_edge),
	    cmocka_unit_test(test_join_rewrites_only_its_own),
	    cmocka_unit_test(test_drift_one_rescale_then_quiet),
	    cmocka_unit_test(test_pools_of_very_different_sizes),
	    cmocka_unit_test(test_fresh_start_and_adopt),
	    cmocka_unit_test(test_scale_adopt),
	    cmocka_unit_test(test_empty_pool_forgets_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
