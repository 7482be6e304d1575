/* Unit tests of weight_compute(): credit1 rescale, credit2 pass-through, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
	assert_int_equal(out[0].weight, 128);
	assert_int_equal(out[1].weight, 192);
	assert_int_equal(out[2].weight, 576);
	/* Weight mass per pool is proportional to its cpus: 4:12. */
	assert_int_equal(out[0].weight * 4 * 3, out[1].weight * 2 + out[2].weight * 2);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
