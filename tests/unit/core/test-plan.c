/* Unit tests of plan_diff(): only what differs becomes a write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/plan.h"

static struct cpumap cpus_of(const char *text)
{
	struct cpumap m;

	cpumap_zero(&m);
	if (*text)
		assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

struct fix {
	struct cpumap online;
	struct cpumap hard[4];
	struct dom_actual a;
	struct dom_desired d;
	struct plan p;
};

/* A converged 4-vCPU credit1 domain 7 on cpus 4-7 of a 16-cpu host. */
static int setup(void **state)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	f.online = cpus_of("0-15");
	for (int v = 0; v < 4; v++)
		f.hard[v] = cpus_of("4-7");
	f.a = (struct dom_actual){.domid = 7,
	                          .nr_vcpus = 4,
	                          .hard = f.hard,
	                          .weight = 384,
	                          .cap = 0,
	                          .sched_known = true};
	f.d.domid = 7;
	f.d.cpus = cpus_of("4-7");
	f.d.sched = (struct sched_params){.weight = 384, .cap = 0, .write = true};
	f.d.kind = SCHED_CREDIT;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	plan_fini(&f->p);
	plan_fini(&f->p); /* twice is fine */
	return 0;
}

static void test_converged(void **state)
{
	struct fix *f = *state;

	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);
	/* "all" as Xen reports it (every bit) counts as the online set. */
	f->d.cpus = f->online;
	for (int v = 0; v < 4; v++)
		memset(&f->hard[v], 0xff, sizeof(f->hard[v]));
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);
	/* Offline bits in the actual map don't matter either. */
	f->online = cpus_of("0-5,7-15");
	f->d.cpus = cpus_of("4-5,7");
	for (int v = 0; v < 4; v++)
		f->hard[v] = cpus_of("4-7,20");
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);
}

static void test_affinity_only_differing(void **state)
{
	struct fix *f = *state;

	f->hard[1] = cpus_of("0-15");
	f->hard[3] = cpus_of("4-6");
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->p.ops[0].kind, PLAN_SET_AFFINITY);
	assert_int_equal(f->p.ops[0].domid, 7);
	assert_int_equal(f->p.ops[0].vcpu, 1);
	assert_true(cpumap_equal(&f->p.ops[0].cpus, &f->d.cpus));
	assert_int_equal(f->p.ops[1].kind, PLAN_SET_AFFINITY);
	assert_int_equal(f->p.ops[1].vcpu, 3);
	assert_true(cpumap_equal(&f->p.ops[1].cpus, &f->d.cpus));

	/* Plans accumulate until reset. */
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 4);
	plan_reset(&f->p);
	assert_int_equal(f->p.n, 0);
}

static void test_affinity_empty_after_mask(void **state)
{
	struct fix *f = *state;

	/* A vCPU pinned only to cpus that went offline differs. */
	f->online = cpus_of("0-3,8-15");
	f->d.cpus = cpus_of("8-11");
	for (int v = 0; v < 4; v++)
		f->hard[v] = cpus_of("8-11");
	f->hard[2] = cpus_of("4-7");
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].vcpu, 2);
	assert_true(cpumap_equal(&f->p.ops[0].cpus, &f->d.cpus));

	/* A vCPU with an empty map differs too. */
	plan_reset(&f->p);
	cpumap_zero(&f->hard[0]);
	f->hard[2] = f->d.cpus;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].vcpu, 0);

	/* Nothing to pin to: no affinity write (Xen would refuse an empty map). */
	plan_reset(&f->p);
	f->d.cpus = cpus_of("4-7");
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);
}

/* With numa, soft affinity rides with the hard one and node affinity comes last. */
static void test_numa(void **state)
{
	struct fix *f = *state;
	struct cpumap soft[4];

	f->d.numa = true;
	f->d.soft = cpus_of("4-7");
	f->d.nodes = cpus_of("1");
	for (int v = 0; v < 4; v++)
		soft[v] = cpus_of("4-7");
	f->a.soft = soft;
	f->a.nodes = cpus_of("1");
	f->a.nodes_known = true;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);

	/* Only the soft affinity of vCPU 2 differs (libxl's placement on node 0). */
	soft[2] = cpus_of("0-3");
	/* "all" as Xen reports it counts as the online set, as for hard affinity. */
	memset(&soft[3], 0xff, sizeof(soft[3]));
	f->d.soft = f->online;
	soft[0] = soft[1] = f->online;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].kind, PLAN_SET_AFFINITY);
	assert_int_equal(f->p.ops[0].vcpu, 2);
	assert_true(f->p.ops[0].with_soft);
	assert_true(cpumap_equal(&f->p.ops[0].soft, &f->online));
	assert_true(cpumap_equal(&f->p.ops[0].cpus, &f->d.cpus));
	plan_reset(&f->p);

	/* A hard write carries the soft one; the node affinity follows the affinities. */
	f->d.soft = cpus_of("4-7");
	for (int v = 0; v < 4; v++)
		soft[v] = cpus_of("4-7");
	f->hard[0] = cpus_of("0-3");
	f->a.nodes = cpus_of("0");
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->p.ops[0].kind, PLAN_SET_AFFINITY);
	assert_true(f->p.ops[0].with_soft);
	assert_int_equal(f->p.ops[1].kind, PLAN_SET_NODES);
	assert_int_equal(f->p.ops[1].domid, 7);
	assert_true(cpumap_equal(&f->p.ops[1].nodes, &f->d.nodes));
	plan_reset(&f->p);

	/* Unread soft and node affinity (trusted) are not written for themselves. */
	f->hard[0] = cpus_of("4-7");
	f->a.soft = NULL;
	f->a.nodes_known = false;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);

	/* Without numa nothing but the pinning is looked at. */
	f->d.numa = false;
	f->a.soft = soft;
	soft[1] = cpus_of("0");
	f->a.nodes = cpus_of("0");
	f->a.nodes_known = true;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);
}

static void test_sched(void **state)
{
	struct fix *f = *state;

	f->a.weight = 256;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].kind, PLAN_SET_SCHED);
	assert_int_equal(f->p.ops[0].domid, 7);
	assert_int_equal(f->p.ops[0].sched, SCHED_CREDIT);
	assert_int_equal(f->p.ops[0].weight, 384);
	assert_int_equal(f->p.ops[0].cap, 0);

	/* Cap differs; credit2 kind travels with the op. */
	plan_reset(&f->p);
	f->a.weight = 384;
	f->a.cap = 50;
	f->d.kind = SCHED_CREDIT2;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].sched, SCHED_CREDIT2);
	assert_int_equal(f->p.ops[0].cap, 0);

	/* Not read: written. */
	plan_reset(&f->p);
	f->a.cap = 0;
	f->a.sched_known = false;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].kind, PLAN_SET_SCHED);

	/* Nothing to write for other schedulers, whatever was read. */
	plan_reset(&f->p);
	f->d.sched.write = false;
	f->a.weight = 1;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);

	/* Weight 0 means "leave it": only the cap is compared. */
	plan_reset(&f->p);
	f->a.sched_known = true;
	f->d.sched = (struct sched_params){.weight = 0, .cap = 0, .write = true};
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 0);
	f->d.sched.cap = 20;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->p.ops[0].weight, 0);
	assert_int_equal(f->p.ops[0].cap, 20);
}

static void test_both_and_growth(void **state)
{
	struct fix *f = *state;
	struct cpumap hard[64];

	/* Everything differs: 4 affinity ops then one sched op. */
	for (int v = 0; v < 4; v++)
		f->hard[v] = cpus_of("0-3");
	f->a.weight = 1;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 5);
	for (int v = 0; v < 4; v++) {
		assert_int_equal(f->p.ops[v].kind, PLAN_SET_AFFINITY);
		assert_int_equal(f->p.ops[v].vcpu, (unsigned)v);
	}
	assert_int_equal(f->p.ops[4].kind, PLAN_SET_SCHED);

	/* Many vCPUs: the plan grows past its first allocation. */
	plan_reset(&f->p);
	for (int v = 0; v < 64; v++)
		hard[v] = cpus_of("0-15");
	f->a.hard = hard;
	f->a.nr_vcpus = 64;
	assert_int_equal(plan_diff(&f->p, &f->d, &f->a, &f->online), 0);
	assert_int_equal(f->p.n, 65);
	assert_int_equal(f->p.ops[63].vcpu, 63);
	assert_true(f->p.alloc >= 65);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_converged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_affinity_only_differing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_affinity_empty_after_mask, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_numa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_both_and_growth, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
