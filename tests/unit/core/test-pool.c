/* Unit tests of the pool table: doc/design.md, invariants 1-4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/pool.h"

struct fix {
	struct topo topo;
	struct pool_table t;
};

/* 16 cpus: 2 sockets x 4 cores x 2 threads, 2 nodes. */
static int setup(void **state)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(topo_uniform(&f.topo, 2, 4, 2, 2), 0);
	assert_int_equal(pool_table_init(&f.t, &f.topo), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	pool_table_fini(&f->t);
	return 0;
}

static struct cpumap cpus_of(const char *text)
{
	struct cpumap m;

	assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

static const char *fmt(const struct cpumap *m)
{
	static char buf[CPUMAP_TEXT_MAX];

	assert_true(cpumap_format(m, buf, sizeof(buf)) >= 0);
	return buf;
}

/* Every test ends with a table that passes the checker. */
static void check_ok(const struct pool_table *t)
{
	struct perr e = {0};

	if (pool_table_check(t, &e) != 0)
		fail_msg("table broken: %s", e.msg);
}

static void expect_msg(const struct perr *e, const char *want)
{
	if (strstr(e->msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e->msg, want);
}

static struct pool *create(struct pool_table *t, const char *name, const char *cpus)
{
	struct cpumap m = cpus_of(cpus);
	struct pool *p = NULL;
	struct perr e = {0};

	if (pool_create(t, name, &m, 0, &p, &e) != 0)
		fail_msg("create %s: %s", name, e.msg);
	return p;
}

static void test_init(void **state)
{
	struct fix *f = *state;
	struct pool_table t;

	assert_int_equal(f->t.n, 1);
	assert_string_equal(f->t.pools[0].name, POOL0_NAME);
	assert_int_equal(f->t.pools[0].id, POOL0_ID);
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-15");
	assert_int_equal(f->t.next_id, 1);
	check_ok(&f->t);

	/* Offline cpus are in no pool. */
	f->topo.cpu[5].online = false;
	assert_int_equal(pool_table_init(&t, &f->topo), 0);
	assert_string_equal(fmt(&t.pools[0].cpus), "0-4,6-15");
	check_ok(&t);
	pool_table_fini(&t);
	pool_table_fini(&t); /* twice is fine */

	/* A host with no online cpu has nothing for pool0. */
	for (unsigned c = 0; c < f->topo.nr_cpus; c++)
		f->topo.cpu[c].online = false;
	assert_true(pool_table_init(&t, &f->topo) < 0);
}

static void test_names(void **state)
{
	struct fix *f = *state;
	struct cpumap m = cpus_of("8");
	struct perr e = {0};
	char longest[POOL_NAME_MAX + 2];

	assert_true(pool_name_valid("web"));
	assert_true(pool_name_valid("A-z_0.9"));
	assert_false(pool_name_valid(""));
	assert_false(pool_name_valid(NULL));
	assert_false(pool_name_valid("a b"));
	assert_false(pool_name_valid("a/b"));
	assert_false(pool_name_valid("caf\xc3\xa9"));
	memset(longest, 'x', sizeof(longest));
	longest[POOL_NAME_MAX] = '\0';
	assert_true(pool_name_valid(longest));
	longest[POOL_NAME_MAX] = 'x';
	longest[POOL_NAME_MAX + 1] = '\0';
	assert_false(pool_name_valid(longest));

	assert_int_equal(pool_create(&f->t, "bad name", &m, 0, NULL, &e), POOLD_E_INVALID);
	expect_msg(&e, "pool name \"bad name\" is invalid");
	assert_int_equal(pool_create(&f->t, longest, &m, 0, NULL, &e), POOLD_E_INVALID);
	assert_int_equal(pool_create(&f->t, POOL0_NAME, &m, 0, NULL, &e), POOLD_E_EXISTS);
	expect_msg(&e, "pool \"pool0\" already exists");
	create(&f->t, "pool1", "8");
	m = cpus_of("9");
	assert_int_equal(pool_create(&f->t, "pool1", &m, 0, NULL, &e), POOLD_E_EXISTS);
	expect_msg(&e, "pool \"pool1\" already exists");
	assert_int_equal(f->t.n, 2);
	check_ok(&f->t);
}

static void test_create_takes_from_pool0(void **state)
{
	struct fix *f = *state;
	struct pool *p = create(&f->t, "pool1", "8-11");

	assert_int_equal(p->id, 1);
	assert_string_equal(fmt(&p->cpus), "8-11");
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-7,12-15");
	assert_ptr_equal(pool_find(&f->t, "pool1"), p);
	assert_ptr_equal(pool_find_id(&f->t, 1), p);
	assert_ptr_equal(pool_of_cpu(&f->t, 9), p);
	assert_ptr_equal(pool_of_cpu(&f->t, 0), &f->t.pools[0]);
	assert_null(pool_find(&f->t, "nope"));
	assert_null(pool_find_id(&f->t, 7));
	assert_null(pool_of_cpu(&f->t, 16));
	check_ok(&f->t);
}

static void test_cpus_not_free(void **state)
{
	struct fix *f = *state;
	struct cpumap m;
	struct perr e = {0};

	create(&f->t, "pool1", "3,5");
	create(&f->t, "pool2", "6");
	m = cpus_of("2-5");
	assert_int_equal(pool_create(&f->t, "pool3", &m, 0, NULL, &e), POOLD_E_BUSY);
	assert_string_equal(e.msg, "cpus 3,5 are not free: they belong to pool1; free them with "
	                           "pool-modify or pool-destroy");
	m = cpus_of("5-6");
	assert_int_equal(pool_create(&f->t, "pool3", &m, 0, NULL, &e), POOLD_E_BUSY);
	expect_msg(&e, "they belong to pool1, pool2");
	m = cpus_of("6,7");
	assert_int_equal(pool_create(&f->t, "pool3", &m, 0, NULL, &e), POOLD_E_BUSY);
	assert_string_equal(e.msg, "cpu 6 is not free: it belongs to pool2; free it with "
	                           "pool-modify or pool-destroy");
	assert_int_equal(f->t.n, 3);
	check_ok(&f->t);
}

static void test_offline_and_empty_refused(void **state)
{
	struct fix *f = *state;
	struct pool_table t;
	struct cpumap m;
	struct perr e = {0};

	f->topo.cpu[7].online = false;
	assert_int_equal(pool_table_init(&t, &f->topo), 0);
	m = cpus_of("6-7");
	assert_int_equal(pool_create(&t, "p", &m, 0, NULL, &e), POOLD_E_INVALID);
	expect_msg(&e, "cpu 7 is offline");
	cpumap_zero(&m);
	assert_int_equal(pool_create(&t, "p", &m, 0, NULL, &e), POOLD_E_INVALID);
	expect_msg(&e, "needs at least one pCPU");
	assert_int_equal(t.n, 1);
	check_ok(&t);
	pool_table_fini(&t);
}

static void test_pool0_keeps_one(void **state)
{
	struct fix *f = *state;
	struct cpumap m = cpus_of("0-15");
	struct perr e = {0};

	assert_int_equal(pool_create(&f->t, "big", &m, 0, NULL, &e), POOLD_E_NOCPU);
	expect_msg(&e, "pool0 must keep at least one pCPU");
	create(&f->t, "big", "1-15");
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0");
	/* Growing into pool0's last cpu is refused too. */
	m = cpus_of("0-15");
	assert_int_equal(pool_resize(&f->t, "big", &m, 0, &e), POOLD_E_NOCPU);
	expect_msg(&e, "pool0 must keep at least one pCPU");
	check_ok(&f->t);
}

static void test_pool0_protected(void **state)
{
	struct fix *f = *state;
	struct cpumap m = cpus_of("0-3");
	struct pool_cpus_spec spec = {.by_count = true, .ncpu = 2};
	struct perr e = {0};

	assert_int_equal(pool_destroy(&f->t, POOL0_NAME, 0, &e), POOLD_E_PROTECTED);
	expect_msg(&e, "pool0 can't be destroyed");
	assert_int_equal(pool_resize(&f->t, POOL0_NAME, &m, 0, &e), POOLD_E_PROTECTED);
	expect_msg(&e, "pool0 can't be resized");
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, &f->t.pools[0], &spec, &m, &e),
	                 POOLD_E_PROTECTED);
	assert_int_equal(pool_destroy(&f->t, "ghost", 0, &e), POOLD_E_NOTFOUND);
	expect_msg(&e, "no pool named \"ghost\"");
	assert_int_equal(pool_resize(&f->t, "ghost", &m, 0, &e), POOLD_E_NOTFOUND);
	assert_int_equal(f->t.n, 1);
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-15");
	check_ok(&f->t);
}

static void test_resize(void **state)
{
	struct fix *f = *state;
	struct cpumap m;
	struct perr e = {0};

	create(&f->t, "a", "8-11");
	create(&f->t, "b", "12-13");

	m = cpus_of("10-11,14-15"); /* frees 8-9, takes 14-15 */
	assert_int_equal(pool_resize(&f->t, "a", &m, 2, &e), 0);
	assert_string_equal(fmt(&pool_find(&f->t, "a")->cpus), "10-11,14-15");
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-9");
	check_ok(&f->t);

	m = cpus_of("10-13");
	assert_int_equal(pool_resize(&f->t, "a", &m, 2, &e), POOLD_E_BUSY);
	expect_msg(&e, "cpus 12-13 are not free: they belong to b");
	assert_string_equal(fmt(&pool_find(&f->t, "a")->cpus), "10-11,14-15");

	/* With members a pool can't go to zero cpus; without, it can. */
	cpumap_zero(&m);
	assert_int_equal(pool_resize(&f->t, "b", &m, 1, &e), POOLD_E_BUSY);
	expect_msg(&e, "pool \"b\" has 1 domain and can't go to 0 pCPUs");
	assert_string_equal(fmt(&pool_find(&f->t, "b")->cpus), "12-13");
	assert_int_equal(pool_resize(&f->t, "b", &m, 0, &e), 0);
	assert_true(cpumap_empty(&pool_find(&f->t, "b")->cpus));
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-9,12-13");
	check_ok(&f->t);
}

static void test_destroy_and_ids(void **state)
{
	struct fix *f = *state;
	struct perr e = {0};
	struct pool *p;

	create(&f->t, "a", "8-9");
	create(&f->t, "b", "10-11");
	create(&f->t, "c", "12-13");
	assert_int_equal(pool_destroy(&f->t, "b", 3, &e), POOLD_E_BUSY);
	expect_msg(&e, "pool \"b\" has 3 domains");
	expect_msg(&e, "--force");
	assert_int_equal(pool_destroy(&f->t, "b", 0, &e), 0);
	assert_null(pool_find(&f->t, "b"));
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-7,10-11,14-15");
	/* The others keep their ids and cpus. */
	assert_int_equal(pool_find(&f->t, "a")->id, 1);
	assert_int_equal(pool_find(&f->t, "c")->id, 3);
	assert_string_equal(fmt(&pool_find(&f->t, "c")->cpus), "12-13");
	check_ok(&f->t);

	/* Ids are never reused, not even for the same name. */
	p = create(&f->t, "b", "10");
	assert_int_equal(p->id, 4);
	assert_int_equal(pool_destroy(&f->t, "c", 0, &e), 0);
	p = create(&f->t, "d", "12");
	assert_int_equal(p->id, 5);
	assert_int_equal(f->t.next_id, 6);
	check_ok(&f->t);

	/* Many pools: the array grows, pointers are found again by name. */
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x%d", i);
		p = create(&f->t, name, i == 0 ? "0" : "1");
		assert_int_equal(p->id, 6 + (uint32_t)i);
		assert_int_equal(pool_destroy(&f->t, name, 0, &e), 0);
	}
	check_ok(&f->t);
}

static void test_set_online(void **state)
{
	struct fix *f = *state;
	struct perr e = {0};

	create(&f->t, "a", "8-9");
	f->topo.cpu[9].online = false;
	f->topo.cpu[3].online = false;
	assert_int_equal(pool_table_set_online(&f->t, &f->topo, &e), 0);
	assert_string_equal(fmt(&pool_find(&f->t, "a")->cpus), "8");
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-2,4-7,10-15");
	check_ok(&f->t);

	/* Back online: they join pool0, not their old pool. */
	f->topo.cpu[9].online = true;
	f->topo.cpu[3].online = true;
	assert_int_equal(pool_table_set_online(&f->t, &f->topo, &e), 0);
	assert_string_equal(fmt(&pool_find(&f->t, "a")->cpus), "8");
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0-7,9-15");
	check_ok(&f->t);

	/* A pool other than pool0 may become empty. */
	f->topo.cpu[8].online = false;
	assert_int_equal(pool_table_set_online(&f->t, &f->topo, &e), 0);
	assert_true(cpumap_empty(&pool_find(&f->t, "a")->cpus));
	check_ok(&f->t);

	/* pool0 refuses to; then nothing changes. */
	struct pool_table before;
	create(&f->t, "rest", "1-7,9-15");
	before = f->t;
	for (unsigned c = 0; c < 16; c++)
		f->topo.cpu[c].online = c >= 1 && c != 8;
	assert_int_equal(pool_table_set_online(&f->t, &f->topo, &e), POOLD_E_BUSY);
	expect_msg(&e, "pool0 would have no online pCPU");
	assert_true(cpumap_equal(&f->t.online, &before.online));
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0");
	check_ok(&f->t);

	/* More cpus than before (hotplug): they join pool0. */
	f->topo.nr_cpus = 20;
	for (unsigned c = 0; c < 20; c++)
		f->topo.cpu[c].online = true;
	assert_int_equal(pool_table_set_online(&f->t, &f->topo, &e), 0);
	assert_string_equal(fmt(&f->t.pools[0].cpus), "0,8,16-19");
	check_ok(&f->t);
}

static void test_check_detects(void **state)
{
	struct fix *f = *state;
	struct perr e = {0};
	struct pool *a;

	create(&f->t, "a", "8-9");
	create(&f->t, "b", "10-11");
	a = pool_find(&f->t, "a");

	cpumap_set(&a->cpus, 10); /* overlap with b */
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	expect_msg(&e, "another pool");
	cpumap_clear(&a->cpus, 10);
	cpumap_clear(&a->cpus, 9); /* cpu 9 in no pool */
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	expect_msg(&e, "online cpus 9 belong to no pool");
	cpumap_set(&a->cpus, 9);
	check_ok(&f->t);

	cpumap_set(&a->cpus, 40); /* offline */
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	expect_msg(&e, "offline");
	cpumap_clear(&a->cpus, 40);

	strcpy(a->name, "b");
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	strcpy(a->name, "a a");
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	strcpy(a->name, "a");
	a->id = 2;
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	expect_msg(&e, "share id 2");
	a->id = f->t.next_id;
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	a->id = 1;
	check_ok(&f->t);

	struct cpumap p0 = f->t.pools[0].cpus;
	cpumap_or(&a->cpus, &a->cpus, &p0);
	cpumap_zero(&f->t.pools[0].cpus);
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	expect_msg(&e, "pool0 has no pCPUs");
	f->t.pools[0].cpus = p0;
	cpumap_andnot(&a->cpus, &a->cpus, &p0);
	f->t.pools[0].id = 7;
	assert_int_equal(pool_table_check(&f->t, &e), POOLD_E_CORRUPT);
	f->t.pools[0].id = 0;
	check_ok(&f->t);
}

static void test_resolve(void **state)
{
	struct fix *f = *state;
	struct pool_cpus_spec spec = {.by_count = true, .ncpu = 4};
	struct cpumap out;
	struct perr e = {0};
	struct pool *p;

	/* New pool by count: socket 1, away from dom0's cpu 0, lowest whole cores. */
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, NULL, &spec, &out, &e), 0);
	assert_int_equal(cpumap_count(&out), 4);
	assert_false(cpumap_test(&out, 0));
	p = create(&f->t, "a", fmt(&out));
	assert_string_equal(fmt(&p->cpus), "8-11");

	/* Growing keeps what it has. */
	spec.ncpu = 6;
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, p, &spec, &out, &e), 0);
	assert_string_equal(fmt(&out), "8-13");
	/* Shrinking picks among its own cpus, whole cores. */
	spec.ncpu = 2;
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, p, &spec, &out, &e), 0);
	assert_int_equal(cpumap_count(&out), 2);
	assert_true(cpumap_subset(&out, &p->cpus));
	assert_int_equal(cpumap_next(&out, 0) % 2, 0);
	/* Too many. */
	spec.ncpu = 16;
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, p, &spec, &out, &e), POOLD_E_NOCPU);
	expect_msg(&e, "not enough free pCPUs");
	spec.ncpu = 15;
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, p, &spec, &out, &e), 0);
	assert_string_equal(fmt(&out), "1-15");

	/* By list: own cpus and pool0's are fine, others' are named. */
	create(&f->t, "b", "12-13");
	spec.by_count = false;
	spec.cpus = cpus_of("4-9");
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, p, &spec, &out, &e), 0);
	assert_string_equal(fmt(&out), "4-9");
	spec.cpus = cpus_of("4-5,12");
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, p, &spec, &out, &e), POOLD_E_BUSY);
	assert_string_equal(e.msg, "cpu 12 is not free: it belongs to b; free it with "
	                           "pool-modify or pool-destroy");
	spec.cpus = cpus_of("8-9,12");
	assert_int_equal(pool_resolve_cpus(&f->t, &f->topo, NULL, &spec, &out, &e), POOLD_E_BUSY);
	expect_msg(&e, "cpus 8-9,12 are not free: they belong to a, b");
	check_ok(&f->t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_takes_from_pool0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cpus_not_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offline_and_empty_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool0_keeps_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool0_protected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_and_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_online, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_detects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
