/* Unit tests of domain placement: the `pool` key, the default pool, dom0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/dom.h"

struct fix {
	struct topo topo;
	struct pool_table t;
};

/* pool0 = 0-3, web (id 1) = 4-7, batch (id 2) = 8-11. */
static int setup(void **state)
{
	static struct fix f;
	struct cpumap m;

	memset(&f, 0, sizeof(f));
	assert_int_equal(topo_uniform(&f.topo, 1, 16, 1, 1), 0);
	assert_int_equal(pool_table_init(&f.t, &f.topo), 0);
	assert_int_equal(cpumap_parse(&m, "4-7", 16, NULL), 0);
	assert_int_equal(pool_create(&f.t, "web", &m, 0, NULL, NULL), 0);
	assert_int_equal(cpumap_parse(&m, "8-11", 16, NULL), 0);
	assert_int_equal(pool_create(&f.t, "batch", &m, 0, NULL, NULL), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	pool_table_fini(&f->t);
	return 0;
}

static struct dom mkdom(uint32_t domid)
{
	struct dom d;

	memset(&d, 0, sizeof(d));
	d.domid = domid;
	d.weight = DOM_WEIGHT_DEFAULT;
	return d;
}

static void test_sched_names(void **state)
{
	assert_string_equal(sched_kind_name(SCHED_CREDIT), "credit");
	assert_string_equal(sched_kind_name(SCHED_CREDIT2), "credit2");
	assert_string_equal(sched_kind_name(SCHED_OTHERS), "other");
	assert_string_equal(sched_kind_name(SCHED_UNKNOWN), "unknown");
	assert_string_equal(sched_kind_name((enum sched_kind)42), "unknown");
}

static void test_take_key(void **state)
{
	struct dom d = mkdom(5);
	char longkey[100];

	assert_false(dom_take_key(&d, NULL));
	assert_true(dom_take_key(&d, "web"));
	assert_string_equal(d.want, "web");
	assert_string_equal(d.key_seen, "web");
	/* Rereading the same key does nothing, even after a pool-migrate. */
	assert_false(dom_take_key(&d, "web"));
	strcpy(d.want, "batch");
	assert_false(dom_take_key(&d, "web"));
	assert_string_equal(d.want, "batch");
	/* A new value wins again. */
	assert_true(dom_take_key(&d, "pool0"));
	assert_string_equal(d.want, "pool0");
	/* The key removed: the domain stays; the same value written again acts. */
	assert_false(dom_take_key(&d, NULL));
	assert_string_equal(d.want, "pool0");
	assert_string_equal(d.key_seen, "");
	strcpy(d.want, "batch");
	assert_true(dom_take_key(&d, "pool0"));
	assert_string_equal(d.want, "pool0");
	assert_false(dom_take_key(&d, NULL));
	/* Key changes to what is wanted already: seen, but want unchanged. */
	strcpy(d.want, "web");
	assert_false(dom_take_key(&d, "web"));
	assert_string_equal(d.key_seen, "web");

	/* A key too long for a name is kept recognisably, and can't match a pool. */
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_true(dom_take_key(&d, longkey));
	assert_int_equal(strlen(d.want), POOL_NAME_MAX);
	assert_int_equal(d.want[POOL_NAME_MAX - 1], '~');
	assert_false(pool_name_valid(d.want));
	assert_false(dom_take_key(&d, longkey));
}

static void test_place(void **state)
{
	struct fix *f = *state;
	struct dom d = mkdom(5);

	/* No wish: the default pool, not misplaced. */
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_int_equal(d.pool_id, 2);
	assert_false(d.misplaced);
	assert_false(dom_place(&d, &f->t, "batch"));

	dom_take_key(&d, "web");
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_int_equal(d.pool_id, 1);
	assert_false(d.misplaced);

	/* Unknown pool: held in the default pool, misplaced, wish kept. */
	dom_take_key(&d, "gpu");
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_int_equal(d.pool_id, 2);
	assert_true(d.misplaced);
	assert_string_equal(d.want, "gpu");
	/* Only misplaced changes: still reported as a change. */
	d.want[0] = '\0';
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_false(d.misplaced);
	assert_int_equal(d.pool_id, 2);

	/* The default pool itself is missing: pool0. */
	strcpy(d.want, "gpu");
	assert_true(dom_place(&d, &f->t, "nope"));
	assert_int_equal(d.pool_id, POOL0_ID);
	assert_true(d.misplaced);
	d.want[0] = '\0';
	assert_true(dom_place(&d, &f->t, NULL));
	assert_int_equal(d.pool_id, POOL0_ID);
	assert_false(d.misplaced);
	assert_false(dom_place(&d, &f->t, ""));

	/* Creating the wanted pool later places the domain. */
	struct cpumap m;
	strcpy(d.want, "gpu");
	assert_true(dom_place(&d, &f->t, "pool0"));
	assert_true(d.misplaced);
	assert_int_equal(cpumap_parse(&m, "12-13", 16, NULL), 0);
	assert_int_equal(pool_create(&f->t, "gpu", &m, 0, NULL, NULL), 0);
	assert_true(dom_place(&d, &f->t, "pool0"));
	assert_int_equal(d.pool_id, 3);
	assert_false(d.misplaced);

	/* A pool emptied of pCPUs holds no one: misplaced, in the default pool. */
	cpumap_zero(&m);
	assert_int_equal(pool_resize(&f->t, "gpu", &m, 0, NULL), 0);
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_int_equal(d.pool_id, 2);
	assert_true(d.misplaced);
	/* ...and an empty default pool sends it to pool0. */
	assert_int_equal(pool_resize(&f->t, "batch", &m, 0, NULL), 0);
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_int_equal(d.pool_id, POOL0_ID);
	assert_true(d.misplaced);
}

static void test_dom0(void **state)
{
	struct fix *f = *state;
	struct dom d = mkdom(0);

	d.pool_id = 1;
	dom_take_key(&d, "web");
	assert_true(dom_place(&d, &f->t, "batch"));
	assert_int_equal(d.pool_id, POOL0_ID);
	assert_false(d.misplaced);
	dom_take_key(&d, "nonexistent");
	assert_false(dom_place(&d, &f->t, "batch"));
	assert_false(d.misplaced);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_names),
	    cmocka_unit_test(test_take_key),
	    cmocka_unit_test_setup_teardown(test_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dom0, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
