/* Unit tests of the engine and reconcile against a fake hypervisor and xenstore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakes.h"
#include "poold-protocol.h"
#include "poold/engine.h"
#include "poold/reconcile.h"
#include "poold/state.h"

struct env {
	char dir[64];
	char state[128];
	struct fake_hv hv;
	struct xsw xs;
	struct fake_sink ctl;
	struct engine eng;
};

static int env_setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(fake_dir_new(t->dir, t->state, "engine"), 0);
	*state = t;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *t = *state;

	fake_poold_fini(&t->eng);
	assert_int_equal(fake_dir_remove(t->dir), 0);
	free(t);
	return 0;
}

/* Starts poold's model over the fake host. */
static void env_start(struct env *t)
{
	fake_poold(&t->eng, &t->hv, &t->xs, &t->ctl, t->state);
}

/* Starts it as poold_init does: a first rescan that finds the domains, then requests. */
static void env_start_ready(struct env *t)
{
	struct perr e = {0};

	env_start(t);
	t->eng.verify_all = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
}

static struct dom *dom_of(struct engine *eng, uint32_t domid)
{
	for (size_t i = 0; i < eng->ndoms; i++)
		if (eng->doms[i].domid == domid)
			return &eng->doms[i];
	fail_msg("domain %u not found", domid);
	return NULL;
}

static struct cpumap cpus(const char *text)
{
	struct cpumap m;

	assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

static struct pool_cpus_spec spec_cpus(const char *text)
{
	struct pool_cpus_spec s = {.by_count = false, .cpus = cpus(text)};

	return s;
}

/* Affinity as Xen would report it, restricted to the host's pCPUs. */
static void assert_pinned(struct env *t, uint32_t domid, const char *want)
{
	struct cpumap w = cpus(want), online, have;

	topo_online(&t->hv.topo, &online);
	for (unsigned i = 0; i < FAKE_DOMS; i++) {
		struct fake_dom *d = &t->hv.doms[i];

		if (!d->exists || d->domid != domid)
			continue;
		for (unsigned v = 0; v < d->nr_vcpus; v++) {
			cpumap_and(&have, &d->hard[v], &online);
			assert_true(cpumap_equal(&have, &w));
		}
		return;
	}
	fail_msg("domain %u not in the fake", domid);
}

static void test_converged_writes_nothing(void **state)
{
	struct env *t = *state;
	struct perr e = {0};

	fake_init(&t->hv, 4, 4, SCHED_CREDIT2);
	struct fake_dom *vm = fake_add(&t->hv, 1, "vm1", 2, NULL);
	vm->hard[0] = vm->hard[1] = cpus("3");
	env_start(t);

	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->hv.affinity_writes, 2);
	assert_true(fake_written(&t->hv, 1, 0) && fake_written(&t->hv, 1, 1));
	assert_pinned(t, 1, "0-3");
	assert_int_equal(t->eng.hv_writes, 2);

	fake_reset_counts(&t->hv);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->hv.affinity_writes, 0);
	assert_int_equal(t->hv.sched_writes, 0);
	assert_int_equal(t->eng.hv_writes, 2);
	/* the first pass made the state file: first start */
	assert_int_equal(access(t->state, R_OK), 0);
}

static void test_new_pool_repins_exactly(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("4-7");

	fake_init(&t->hv, 8, 2, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, "pool1");
	fake_add(&t->hv, 2, "vm2", 2, NULL);
	env_start(t);

	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(dom_of(&t->eng, 1)->misplaced);
	assert_string_equal(dom_of(&t->eng, 1)->want, "pool1");
	assert_int_equal(dom_of(&t->eng, 1)->pool_id, POOL0_ID);
	fake_reset_counts(&t->hv);
	t->ctl.n = 0;

	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	/* vm1 moves in; pool0's members shrink to 0-3: every vCPU once, no weights (credit2) */
	assert_int_equal(t->hv.affinity_writes, 6);
	assert_int_equal(t->hv.sched_writes, 0);
	assert_pinned(t, 1, "4-7");
	assert_pinned(t, 0, "0-3");
	assert_pinned(t, 2, "0-3");
	assert_false(dom_of(&t->eng, 1)->misplaced);
	/* pool1 created, pool0 gave it 4-7; then vm1 placed in pool1, in that order */
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_POOL_CHANGED), 2);
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_DOMAIN_PLACED), 1);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "pool1"), 0);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "pool0"), 1);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_DOMAIN_PLACED, "vm1"), 2);

	/* a domain's weight and cap are an event of their own */
	t->ctl.n = 0;
	assert_int_equal(engine_domain_set(&t->eng, "vm1", 512, -1, &e), 0);
	assert_int_equal(t->ctl.n, 1);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_DOMAIN_CHANGED, "vm1"), 0);
	assert_int_equal(engine_domain_set(&t->eng, "vm1", 256, -1, &e), 0);

	/* migrating vm2 touches exactly vm2's vCPUs */
	fake_reset_counts(&t->hv);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm2", "pool1", &e), 0);
	assert_int_equal(t->hv.affinity_writes, 2);
	assert_true(fake_written(&t->hv, 2, 0) && fake_written(&t->hv, 2, 1));
	assert_pinned(t, 2, "4-7");
	assert_int_equal(engine_pool_members(&t->eng, pool_find(&t->eng.pools, "pool1")->id), 2);

	fake_reset_counts(&t->hv);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
}

/* A pool of a layout: listed cpus, a count (ncpu > 0), or neither (cap and share only). */
static struct engine_layout_pool lpool(const char *name, const char *list, unsigned ncpu, int cap)
{
	struct engine_layout_pool p = {.cap = cap, .share = -1};

	snprintf(p.name, sizeof(p.name), "%s", name);
	if (list != NULL)
		p.spec = spec_cpus(list);
	else if (ncpu > 0)
		p.spec = (struct pool_cpus_spec){.by_count = true, .ncpu = ncpu};
	p.cpus_given = list != NULL || ncpu > 0;
	return p;
}

static struct engine_layout_dom ldom(const char *name, const char *pool, int weight)
{
	struct engine_layout_dom d = {.weight = weight, .cap = -1};

	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.pool, sizeof(d.pool), "%s", pool != NULL ? pool : "");
	return d;
}

/* The state file's inode: a save renames a new file over it. 0: none. */
static ino_t state_ino(const struct env *t)
{
	struct stat st;

	return stat(t->state, &st) == 0 ? st.st_ino : 0;
}

static void test_apply(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct engine_layout_pool pools[3];
	struct engine_layout_dom doms[2];
	struct engine_layout l = {.pools = pools, .npools = 2, .doms = doms, .ndoms = 2};
	struct engine_plan plan = {0};
	char text[CPUMAP_TEXT_MAX];
	ino_t saved;
	size_t aff = 0;

	fake_init(&t->hv, 8, 2, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, NULL);
	fake_add(&t->hv, 2, "vm2", 1, NULL);
	env_start_ready(t);
	pools[0] = lpool("web", "2-3", 0, -1);
	pools[1] = lpool("batch", NULL, 2, 100);
	doms[0] = ldom("vm1", "web", 512);
	doms[1] = ldom("vm2", "batch", -1);

	/* A dry run: the plan, and nothing written, saved or announced. */
	fake_reset_counts(&t->hv);
	t->ctl.n = 0;
	saved = state_ino(t);
	assert_int_not_equal(saved, 0);
	engine_dry_run(&t->eng, &plan);
	assert_int_equal(engine_apply(&t->eng, &l, &e), 0);
	engine_dry_run(&t->eng, NULL);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
	assert_int_equal(t->ctl.n, 0);
	assert_int_equal(state_ino(t), saved);
	assert_null(pool_find(&t->eng.pools, "web"));
	assert_string_equal(dom_of(&t->eng, 1)->want, "");
	assert_int_equal(plan.npools, 3); /* pool0 gives up 2-3 and two more; web, batch */
	assert_string_equal(plan.pools[1].name, "web");
	assert_string_equal(plan.pools[1].action, "created");
	assert_int_equal(plan.ndoms, 3); /* dom0 re-pinned, vm1 and vm2 moved */
	for (size_t i = 0; i < plan.writes.n; i++)
		aff += plan.writes.ops[i].kind == PLAN_SET_AFFINITY;
	assert_int_equal(aff, 2 + 2 + 1); /* dom0's vCPUs, vm1's, vm2's */

	/* The real one: one save, what the plan said. */
	assert_int_equal(engine_apply(&t->eng, &l, &e), 0);
	assert_int_not_equal(state_ino(t), saved);
	saved = state_ino(t);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, plan.writes.n);
	assert_pinned(t, 1, "2-3");
	assert_true(cpumap_equal(&pool_find(&t->eng.pools, "batch")->cpus, &plan.pools[2].cpus));
	cpumap_format(&plan.pools[2].cpus, text, sizeof(text));
	assert_pinned(t, 2, text);
	assert_int_equal(pool_find(&t->eng.pools, "batch")->cap, 100);
	assert_int_equal(dom_of(&t->eng, 1)->weight, 512);
	/* web and batch created before the domains placed into them */
	assert_true(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "web") <
	            fake_event_at(&t->ctl, POOLD_EV_DOMAIN_PLACED, "vm1"));
	assert_true(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "batch") <
	            fake_event_at(&t->ctl, POOLD_EV_DOMAIN_PLACED, "vm2"));
	engine_plan_fini(&plan);

	/* Again: nothing to do, no save, no write, no event. */
	fake_reset_counts(&t->hv);
	t->ctl.n = 0;
	assert_int_equal(engine_apply(&t->eng, &l, &e), 0);
	assert_int_equal(state_ino(t), saved);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
	assert_int_equal(t->ctl.n, 0);
	engine_dry_run(&t->eng, &plan);
	assert_int_equal(engine_apply(&t->eng, &l, &e), 0);
	engine_dry_run(&t->eng, NULL);
	assert_int_equal(plan.npools + plan.ndoms + plan.writes.n, 0);
	engine_plan_fini(&plan);

	/* One part wrong refuses all of it: the message names the part. */
	pools[2] = lpool("more", "3", 0, -1);
	l.npools = 3;
	doms[0].weight = 100;
	assert_int_equal(engine_apply(&t->eng, &l, &e), POOLD_E_BUSY);
	assert_non_null(strstr(e.msg, "more"));
	assert_null(pool_find(&t->eng.pools, "more"));
	assert_int_equal(dom_of(&t->eng, 1)->weight, 512);
	assert_int_equal(state_ino(t), saved);
	pools[2] = lpool("pool0", "0", 0, -1);
	assert_int_equal(engine_apply(&t->eng, &l, &e), POOLD_E_PROTECTED);
	pools[2] = lpool("new", NULL, 0, -1);
	assert_int_equal(engine_apply(&t->eng, &l, &e), POOLD_E_INVALID);
	assert_non_null(strstr(e.msg, "pool new is new"));
	l.npools = 2;
	doms[1] = ldom("vm9", "web", -1);
	assert_int_equal(engine_apply(&t->eng, &l, &e), POOLD_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "vm9"));
	doms[1] = ldom("vm1", NULL, 7);
	assert_int_equal(engine_apply(&t->eng, &l, &e), POOLD_E_INVALID);
	assert_non_null(strstr(e.msg, "twice"));
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);

	/* Prune: a pool left out with a member refuses; moved elsewhere, it goes. */
	l.prune = true;
	l.npools = 1;
	l.ndoms = 1;
	doms[0] = ldom("vm1", "web", 512);
	assert_int_equal(engine_apply(&t->eng, &l, &e), POOLD_E_BUSY);
	assert_non_null(strstr(e.msg, "batch would be pruned but holds domain vm2"));
	doms[1] = ldom("vm2", "web", -1);
	l.ndoms = 2;
	assert_int_equal(engine_apply(&t->eng, &l, &e), 0);
	assert_null(pool_find(&t->eng.pools, "batch"));
	assert_pinned(t, 2, "2-3");
}

static void test_credit1_weights_written(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");
	unsigned w[3];

	fake_init(&t->hv, 4, 1, SCHED_CREDIT);
	fake_add(&t->hv, 1, "vm1", 1, "pool1");
	fake_add(&t->hv, 2, "vm2", 1, NULL);
	env_start(t);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);

	/*
	 * A = 3 vCPUs, N = 4 pCPUs, K = 256 * 3 / 4 = 192. pool0 (2 pCPUs, dom0 + vm2,
	 * U = 512): ideal scale 192 * 2 / 512 = 0.75, nearest grid step
	 * round(16 * log2(0.75)) = -7: 256 * 2^(-7/16) = 189.0; pool1 (2 pCPUs, vm1
	 * alone): 1.5, step round(9.36) = 9: 256 * 2^(9/16) = 377.8.
	 */
	for (unsigned i = 0; i < 3; i++)
		w[t->hv.doms[i].domid] = t->hv.doms[i].weight;
	assert_int_equal(w[0], 189);
	assert_int_equal(w[2], 189);
	assert_int_equal(w[1], 378);
	assert_int_equal(dom_of(&t->eng, 1)->hv_weight, 378);
	/* the user weight stays what the admin set */
	assert_int_equal(dom_of(&t->eng, 1)->weight, 256);

	fake_reset_counts(&t->hv);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);

	/* a user weight change writes the rescaled weights of that pool only */
	assert_int_equal(engine_domain_set(&t->eng, "vm2", 768, -1, &e), 0);
	assert_int_equal(dom_of(&t->eng, 2)->weight, 768);
	assert_int_equal(t->hv.affinity_writes, 0);
	for (unsigned i = 0; i < 3; i++)
		w[t->hv.doms[i].domid] = t->hv.doms[i].weight;
	/*
	 * U = 256 + 768 = 1024: ideal 192 * 2 / 1024 = 0.375, out of the band of
	 * step -7; step round(-22.64) = -23, 2^(-23/16) = 0.36921: dom0 94.5, vm2 283.6
	 */
	assert_int_equal(w[0], 95);
	assert_int_equal(w[2], 284);
	assert_int_equal(w[1], 378);
}

static void test_esrch_tolerated(void **state)
{
	struct env *t = *state;
	struct perr e = {0};

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	struct fake_dom *vm1 = fake_add(&t->hv, 1, "vm1", 2, NULL);
	struct fake_dom *vm2 = fake_add(&t->hv, 2, "vm2", 2, NULL);
	vm1->hard[0] = vm2->hard[0] = vm2->hard[1] = cpus("1");
	vm1->fail_set_affinity = ESRCH;
	env_start(t);

	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 2, "0-3");
	assert_int_equal(t->hv.affinity_writes, 2);
}

static void test_hypervisor_error_reported(void **state)
{
	struct env *t = *state;
	struct perr e = {0};

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	struct fake_dom *vm1 = fake_add(&t->hv, 1, "vm1", 2, NULL);
	struct fake_dom *vm2 = fake_add(&t->hv, 2, "vm2", 2, NULL);
	vm1->hard[0] = vm2->hard[0] = vm2->hard[1] = cpus("1");
	vm1->fail_set_affinity = EPERM;
	env_start(t);

	assert_int_equal(engine_reconcile(&t->eng, &e), POOLD_E_HYPERVISOR);
	assert_int_equal(e.code, POOLD_E_HYPERVISOR);
	assert_non_null(strstr(e.msg, "domain 1 (vm1) vCPU 0"));
	assert_non_null(strstr(e.msg, "cpus 0-3"));
	assert_non_null(strstr(e.msg, strerror(EPERM)));
	/* the others still converge */
	assert_pinned(t, 2, "0-3");
	/* and once Xen lets it, the next pass finishes the job */
	vm1->fail_set_affinity = 0;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 1, "0-3");
}

static void test_state_failure_rolls_back(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");
	char blocker[128];
	FILE *f;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 1, NULL);
	env_start(t);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);

	/* a state file under a regular file can't be written, even by root */
	snprintf(blocker, sizeof(blocker), "%s/blocker", t->dir);
	f = fopen(blocker, "w");
	assert_non_null(f);
	fclose(f);
	free(t->eng.cfg.state_file);
	t->eng.cfg.state_file = malloc(160);
	snprintf(t->eng.cfg.state_file, 160, "%s/state.json", blocker);

	fake_reset_counts(&t->hv);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), POOLD_E_STATE);
	assert_non_null(strstr(e.msg, t->eng.cfg.state_file));
	assert_null(pool_find(&t->eng.pools, "pool1"));
	assert_int_equal(t->eng.pools.n, 1);
	assert_true(cpumap_equal(&t->eng.pools.pools[0].cpus, &t->eng.pools.online));
	assert_int_equal(t->hv.affinity_writes, 0);

	assert_int_equal(engine_domain_set(&t->eng, "vm1", 512, -1, &e), POOLD_E_STATE);
	assert_int_equal(dom_of(&t->eng, 1)->weight, 256);
	assert_int_equal(engine_domain_migrate(&t->eng, "1", "pool0", &e), POOLD_E_STATE);
	assert_string_equal(dom_of(&t->eng, 1)->want, "");
}

static void test_destroy(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");
	struct pool_table loaded;
	struct state_dom *recs;
	size_t n;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, "pool1");
	env_start_ready(t);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	assert_pinned(t, 1, "2-3");

	assert_int_equal(engine_pool_destroy(&t->eng, "pool1", false, &e), POOLD_E_BUSY);
	assert_non_null(strstr(e.msg, "--force"));
	assert_non_null(pool_find(&t->eng.pools, "pool1"));
	assert_int_equal(engine_pool_destroy(&t->eng, "pool0", true, &e), POOLD_E_PROTECTED);
	assert_int_equal(engine_pool_destroy(&t->eng, "nope", true, &e), POOLD_E_NOTFOUND);

	t->ctl.n = 0;
	assert_int_equal(engine_pool_destroy(&t->eng, "pool1", true, &e), 0);
	assert_null(pool_find(&t->eng.pools, "pool1"));
	assert_pinned(t, 1, "0-3");
	assert_string_equal(dom_of(&t->eng, 1)->want, "pool0");
	assert_false(dom_of(&t->eng, 1)->misplaced);
	/* pool1 destroyed, pool0 given its pCPUs back, then its member placed in pool0 */
	assert_int_equal(t->ctl.n, 3);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "pool1"), 0);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "pool0"), 1);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_DOMAIN_PLACED, "vm1"), 2);

	/* durable: the file says so */
	assert_int_equal(state_load(t->state, &loaded, &recs, &n, &e), 0);
	assert_int_equal(loaded.n, 1);
	assert_int_equal(loaded.next_id, 2);
	assert_int_equal(n, 2);
	free(recs);
	pool_table_fini(&loaded);
}

static void test_protected_and_refused(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");
	struct pool_cpus_spec all = spec_cpus("0-3");

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, NULL);
	env_start(t);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	fake_reset_counts(&t->hv);

	assert_int_equal(engine_domain_migrate(&t->eng, "0", "pool1", &e), POOLD_E_PROTECTED);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm9", "pool1", &e), POOLD_E_NOTFOUND);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm1", "pool9", &e), POOLD_E_NOTFOUND);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), POOLD_E_EXISTS);
	assert_int_equal(engine_pool_create(&t->eng, "bad name", &s, 0, -1, &e), POOLD_E_INVALID);
	assert_int_not_equal(engine_pool_create(&t->eng, "pool2", &all, 0, -1, &e), 0);
	assert_int_equal(engine_pool_modify(&t->eng, "pool0", &s, -1, -1, &e), POOLD_E_PROTECTED);
	assert_int_equal(engine_pool_modify(&t->eng, "pool1", NULL, -1, -1, &e), POOLD_E_INVALID);
	assert_int_equal(engine_domain_set(&t->eng, "vm1", 0, -1, &e), POOLD_E_INVALID);
	assert_non_null(strstr(e.msg, "1..65535"));
	assert_int_equal(engine_domain_set(&t->eng, "vm1", 70000, -1, &e), POOLD_E_INVALID);
	assert_int_equal(engine_domain_set(&t->eng, "vm1", -1, 201, &e), POOLD_E_INVALID);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
	assert_int_equal(t->eng.pools.n, 2);
}

static void test_modify_resizes_live(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("4-7");
	struct pool_cpus_spec smaller = spec_cpus("6-7");

	fake_init(&t->hv, 8, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, "pool1");
	env_start_ready(t);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	assert_pinned(t, 1, "4-7");
	assert_int_equal(engine_pool_modify(&t->eng, "pool1", &smaller, 50, -1, &e), 0);
	assert_pinned(t, 1, "6-7");
	assert_pinned(t, 0, "0-5");
	assert_int_equal(pool_find(&t->eng.pools, "pool1")->cap, 50);
}

static void test_keys_trust_and_gone(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	struct fake_dom *vm1 = fake_add(&t->hv, 1, "vm1", 1, "pool1");
	struct fake_dom *vm2 = fake_add(&t->hv, 2, "vm2", 1, "pool1");
	vm2->guest_writable = true;
	vm1->weight = 512;
	env_start_ready(t);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	/* a key the guest could have written is ignored */
	assert_int_equal(dom_of(&t->eng, 1)->pool_id, pool_find(&t->eng.pools, "pool1")->id);
	assert_int_equal(dom_of(&t->eng, 2)->pool_id, POOL0_ID);
	assert_false(dom_of(&t->eng, 2)->misplaced);
	/* dom0 takes the node over (one event): the guest's value still does not count ... */
	vm2->guest_writable = false;
	vm2->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(dom_of(&t->eng, 2)->pool_id, POOL0_ID);
	/* ... until dom0 writes it: the next event */
	vm2->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 2, "2-3");
	/* the chmod's event and the write's, read once, count as two */
	vm2->guest_writable = true;
	snprintf(vm2->key, sizeof(vm2->key), "pool0");
	vm2->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 2, "2-3");
	vm2->guest_writable = false;
	vm2->key_events += 2;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 2, "0-1");
	/* the weight libxl set is taken as the user's */
	assert_int_equal(dom_of(&t->eng, 1)->weight, 512);
	assert_int_equal(vm1->weight, 512);

	/* a toolstack rewriting the key moves the domain */
	snprintf(vm1->key, sizeof(vm1->key), "pool0");
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 1, "0-1");

	vm2->exists = false;
	t->ctl.n = 0;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.ndoms, 2);
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_DOMAIN_GONE), 1);
	/* a shut-down domain keeps its place and choices, and is left alone until it resumes */
	assert_int_equal(engine_domain_migrate(&t->eng, "vm1", "pool1", &e), 0);
	assert_pinned(t, 1, "2-3");
	vm1->shutdown = true;
	vm1->hard[0] = cpus("0");
	fake_reset_counts(&t->hv);
	t->eng.verify_all = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.ndoms, 2);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_DOMAIN_GONE), 1);
	vm1->shutdown = false;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 1, "2-3");
	assert_string_equal(dom_of(&t->eng, 1)->want, "pool1");
	/* a dying domain is left alone and forgotten */
	vm1->dying = true;
	vm1->hard[0] = cpus("3");
	fake_reset_counts(&t->hv);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.ndoms, 1);
	assert_int_equal(t->hv.affinity_writes, 0);
}

static void test_restart_restores_records(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 1, NULL);
	fake_add(&t->hv, 2, "vm2", 1, NULL);
	env_start_ready(t);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm2", "pool1", &e), 0);
	assert_int_equal(engine_domain_set(&t->eng, "vm2", 1000, -1, &e), 0);
	fake_poold_fini(&t->eng);
	/*
	 * vm1 dies while poold is down: its record says nothing the next domain
	 * of its uuid would not get anyway (no pool wanted, default weight), so it goes.
	 */
	t->hv.doms[1].exists = false;

	/* a new poold: pools and records from the file, nothing to rewrite */
	memset(&t->eng, 0, sizeof(t->eng));
	fake_poold(&t->eng, &t->hv, &t->xs, &t->ctl, t->state);
	pool_table_fini(&t->eng.pools);
	assert_int_equal(state_load(t->state, &t->eng.pools, &t->eng.saved, &t->eng.nsaved, &e), 0);
	assert_int_equal(t->eng.nsaved, 3);
	/*
	 * While the domains can't be listed, a change keeps every record. A
	 * request works from the model, without a listing, so it succeeds.
	 */
	t->hv.fail_list = EIO;
	assert_int_equal(engine_reconcile(&t->eng, &e), -EIO);
	assert_int_equal(engine_pool_create(&t->eng, "pool2",
	                                    &(struct pool_cpus_spec){.by_count = true, .ncpu = 1},
	                                    0, -1, &e),
	                 0);
	assert_non_null(pool_find(&t->eng.pools, "pool2"));
	{
		struct pool_table t2;
		struct state_dom *recs = NULL;
		size_t nrecs = 0;

		assert_int_equal(state_load(t->state, &t2, &recs, &nrecs, &e), 0);
		assert_int_equal(nrecs, 3);
		pool_table_fini(&t2);
		free(recs);
	}
	assert_int_equal(engine_pool_destroy(&t->eng, "pool2", false, &e), 0);
	t->hv.fail_list = 0;
	fake_reset_counts(&t->hv);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
	assert_int_equal(t->eng.ndoms, 2);
	assert_int_equal(dom_of(&t->eng, 2)->weight, 1000);
	assert_string_equal(dom_of(&t->eng, 2)->want, "pool1");
	assert_int_equal(t->eng.nsaved, 0);
	pool_table_fini(&t->eng.pools);
	free(t->eng.saved);
	t->eng.saved = NULL;
	assert_int_equal(state_load(t->state, &t->eng.pools, &t->eng.saved, &t->eng.nsaved, &e), 0);
	assert_int_equal(t->eng.nsaved, 2);
}

/* Kills domid in the fake and returns its uuid. */
static void fake_kill(struct env *t, uint32_t domid, uint8_t uuid[16])
{
	for (unsigned i = 0; i < FAKE_DOMS; i++) {
		if (t->hv.doms[i].exists && t->hv.doms[i].domid == domid) {
			memcpy(uuid, t->hv.doms[i].uuid, 16);
			t->hv.doms[i].exists = false;
			return;
		}
	}
	fail_msg("domain %u not in the fake", domid);
}

/* The guest as a toolstack recreates it: a new domid, the same uuid, no pool key. */
static void fake_reborn(struct env *t, uint32_t domid, const char *name, const uint8_t uuid[16])
{
	struct fake_dom *d = fake_add(&t->hv, domid, name, 2, NULL);

	assert_non_null(d);
	memcpy(d->uuid, uuid, 16);
}

/*
 * A guest that reboots (same uuid, new domid) comes back to the pool it was
 * moved to, with its weight and cap: while poold runs, and across a restart
 * of poold while the guest is down. A record of a gone domain ages out.
 */
static void test_reboot_keeps_settings(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");
	uint8_t uuid[16];
	struct dom *d;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, NULL);
	env_start_ready(t);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm1", "pool1", &e), 0);
	assert_int_equal(engine_domain_set(&t->eng, "vm1", 700, 60, &e), 0);
	assert_pinned(t, 1, "2-3");

	/* Rebooted while poold runs. */
	fake_kill(t, 1, uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.nsaved, 1);
	assert_true(t->eng.saved[0].gone > 0);
	fake_reborn(t, 5, "vm1", uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	d = dom_of(&t->eng, 5);
	assert_int_equal(d->pool_id, pool_find(&t->eng.pools, "pool1")->id);
	assert_int_equal(d->weight, 700);
	assert_int_equal(d->cap, 60);
	assert_pinned(t, 5, "2-3");
	assert_int_equal(t->eng.nsaved, 0);

	/* Down while poold restarts: the record is in the state file, marked gone. */
	fake_kill(t, 5, uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	reconcile_save_due(&t->eng);
	fake_poold_fini(&t->eng);
	env_start(t);
	pool_table_fini(&t->eng.pools);
	assert_int_equal(state_load(t->state, &t->eng.pools, &t->eng.saved, &t->eng.nsaved, &e), 0);
	t->eng.asaved = t->eng.nsaved;
	assert_int_equal(t->eng.nsaved, 2); /* dom0 and the gone vm1 */
	t->eng.verify_all = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.nsaved, 1);
	fake_reborn(t, 9, "vm1", uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	d = dom_of(&t->eng, 9);
	assert_int_equal(d->weight, 700);
	assert_pinned(t, 9, "2-3");

	/* Gone for more than a week: the record goes. */
	fake_kill(t, 9, uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.nsaved, 1);
	t->eng.saved[0].gone -= 8 * 86400;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.nsaved, 0);
	fake_reborn(t, 11, "vm1", uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_pinned(t, 11, "0-1");
	assert_int_equal(dom_of(&t->eng, 11)->weight, 256);
}

/*
 * pool-rename keeps the pool's id, pCPUs and members; what wanted it follows,
 * records of gone domains too; the pool key the toolstack wrote is left as it
 * is and moves nothing until it changes; a refused save undoes it all.
 */
static void test_rename(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3");
	char warn[PERR_MSG_MAX], blocker[128], *state_file;
	struct pool_table loaded;
	struct state_dom *recs;
	uint8_t uuid[16];
	uint64_t saves;
	uint32_t id;
	size_t n;
	FILE *f;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	struct fake_dom *vm1 = fake_add(&t->hv, 1, "vm1", 2, "web");
	fake_add(&t->hv, 2, "vm2", 2, NULL);
	fake_add(&t->hv, 3, "vm3", 2, NULL);
	fake_add(&t->hv, 4, "vm4", 1, "front"); /* misplaced until a pool is named so */
	env_start_ready(t);
	assert_true(dom_of(&t->eng, 4)->misplaced);
	assert_int_equal(engine_pool_create(&t->eng, "web", &s, 40, -1, &e), 0);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm2", "web", &e), 0);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm3", "web", &e), 0);
	id = pool_find(&t->eng.pools, "web")->id;
	assert_int_equal(dom_of(&t->eng, 1)->pool_id, id);
	/* vm3 goes: its record wants web */
	fake_kill(t, 3, uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.nsaved, 1);

	/* refusals, the messages naming the fix */
	assert_int_equal(engine_pool_rename(&t->eng, "pool0", "base", warn, sizeof(warn), &e),
	                 POOLD_E_PROTECTED);
	assert_non_null(strstr(e.msg, "dom0"));
	assert_int_equal(engine_pool_rename(&t->eng, "web", "pool0", warn, sizeof(warn), &e),
	                 POOLD_E_EXISTS);
	assert_int_equal(engine_pool_rename(&t->eng, "web", "a b", warn, sizeof(warn), &e),
	                 POOLD_E_INVALID);
	assert_non_null(strstr(e.msg, "use 1 to 64 of A-Z a-z 0-9 _ . -"));
	assert_int_equal(engine_pool_rename(&t->eng, "nope", "x", warn, sizeof(warn), &e),
	                 POOLD_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "pool-list"));
	/* to its own name: nothing written, nothing said */
	saves = t->eng.state_saves;
	t->ctl.n = 0;
	assert_int_equal(engine_pool_rename(&t->eng, "web", "web", warn, sizeof(warn), &e), 0);
	assert_int_equal(t->eng.state_saves, saves);
	assert_int_equal(t->ctl.n, 0);

	fake_reset_counts(&t->hv);
	t->ctl.n = 0;
	assert_int_equal(engine_pool_rename(&t->eng, "web", "front", warn, sizeof(warn), &e), 0);
	assert_string_equal(warn, "");
	assert_null(pool_find(&t->eng.pools, "web"));
	assert_int_equal(pool_find(&t->eng.pools, "front")->id, id);
	assert_true(cpumap_equal(&pool_find(&t->eng.pools, "front")->cpus, &s.cpus));
	assert_int_equal(pool_find(&t->eng.pools, "front")->cap, 40);
	assert_int_equal(t->eng.state_saves, saves + 1);
	/* front announced, then vm4, which wanted front, placed in it: its only writes */
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_POOL_CHANGED, "front"), 0);
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_DOMAIN_PLACED), 1);
	assert_int_equal(fake_event_at(&t->ctl, POOLD_EV_DOMAIN_PLACED, "vm4"), 1);
	assert_false(dom_of(&t->eng, 4)->misplaced);
	assert_int_equal(dom_of(&t->eng, 4)->pool_id, id);
	assert_pinned(t, 4, "2-3");
	assert_true(fake_written(&t->hv, 4, 0));
	assert_false(fake_written(&t->hv, 1, 0) || fake_written(&t->hv, 2, 0));
	assert_string_equal(dom_of(&t->eng, 1)->want, "front");
	assert_string_equal(dom_of(&t->eng, 2)->want, "front");
	assert_string_equal(t->eng.saved[0].want, "front");
	/* the toolstack's key still says web: acted on already, it moves nothing */
	assert_string_equal(dom_of(&t->eng, 1)->key_seen, "web");
	vm1->key_events++;
	t->eng.verify_all = true;
	t->eng.keys_stale = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(dom_of(&t->eng, 1)->pool_id, id);
	assert_false(dom_of(&t->eng, 1)->misplaced);
	assert_pinned(t, 1, "2-3");
	/* the gone guest comes back to the renamed pool */
	fake_reborn(t, 7, "vm3", uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(dom_of(&t->eng, 7)->pool_id, id);
	assert_pinned(t, 7, "2-3");
	/* durable under the new name, the id kept */
	assert_int_equal(state_load(t->state, &loaded, &recs, &n, &e), 0);
	assert_non_null(pool_find(&loaded, "front"));
	assert_int_equal(pool_find(&loaded, "front")->id, id);
	assert_null(pool_find(&loaded, "web"));
	free(recs);
	pool_table_fini(&loaded);
	/* the key written anew with the old name is a wish for a pool there is not */
	vm1->has_key = false;
	vm1->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	vm1->has_key = true;
	vm1->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(dom_of(&t->eng, 1)->misplaced);
	assert_string_equal(dom_of(&t->eng, 1)->want, "web");
	assert_int_equal(dom_of(&t->eng, 1)->pool_id, POOL0_ID);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm1", "front", &e), 0);

	/* default_pool named it: it follows, and the warning says to edit poold.conf */
	free(t->eng.cfg.default_pool);
	t->eng.cfg.default_pool = strdup("front");
	assert_int_equal(engine_pool_rename(&t->eng, "front", "edge", warn, sizeof(warn), &e), 0);
	assert_non_null(strstr(warn, "poold.conf"));
	assert_non_null(strstr(warn, "default_pool"));
	assert_string_equal(t->eng.cfg.default_pool, "edge");

	/* a save refused: the name, the wishes, the records and default_pool come back */
	snprintf(blocker, sizeof(blocker), "%s/blocker", t->dir);
	f = fopen(blocker, "w");
	assert_non_null(f);
	fclose(f);
	state_file = t->eng.cfg.state_file;
	t->eng.cfg.state_file = malloc(160);
	snprintf(t->eng.cfg.state_file, 160, "%s/state.json", blocker);
	fake_kill(t, 2, uuid);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.nsaved, 1);
	assert_int_equal(engine_pool_rename(&t->eng, "edge", "rim", warn, sizeof(warn), &e),
	                 POOLD_E_STATE);
	assert_non_null(pool_find(&t->eng.pools, "edge"));
	assert_null(pool_find(&t->eng.pools, "rim"));
	assert_string_equal(dom_of(&t->eng, 1)->want, "edge");
	assert_string_equal(t->eng.saved[0].want, "edge");
	assert_string_equal(t->eng.cfg.default_pool, "edge");
	free(t->eng.cfg.state_file);
	t->eng.cfg.state_file = state_file;
}

/* pool-migrate --all: every member but dom0, one save; the same pool or none to move, no save. */
static void test_migrate_all(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = spec_cpus("2-3"), s2 = spec_cpus("1");
	uint32_t moved[8];
	uint64_t saves;
	size_t n;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, NULL);
	fake_add(&t->hv, 2, "vm2", 2, NULL);
	fake_add(&t->hv, 3, "vm3", 1, NULL);
	env_start_ready(t);
	assert_int_equal(engine_pool_create(&t->eng, "web", &s, 0, -1, &e), 0);
	assert_int_equal(engine_pool_create(&t->eng, "db", &s2, 0, -1, &e), 0);
	assert_int_equal(engine_pool_modify(&t->eng, "db",
	                                    &(struct pool_cpus_spec){.by_count = true}, -1, -1, &e),
	                 0);
	assert_int_equal(engine_pool_migrate_all(&t->eng, "pool0", "nope", moved, &n, &e),
	                 POOLD_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "nope"));
	assert_int_equal(engine_pool_migrate_all(&t->eng, "nope", "web", moved, &n, &e),
	                 POOLD_E_NOTFOUND);
	assert_int_equal(engine_pool_migrate_all(&t->eng, "pool0", "db", moved, &n, &e),
	                 POOLD_E_NOCPU);
	saves = t->eng.state_saves;
	assert_int_equal(engine_pool_migrate_all(&t->eng, "pool0", "pool0", moved, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(engine_pool_migrate_all(&t->eng, "web", "pool0", moved, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(t->eng.state_saves, saves);

	t->ctl.n = 0;
	assert_int_equal(engine_pool_migrate_all(&t->eng, "pool0", "web", moved, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(moved[0], 1);
	assert_int_equal(moved[2], 3);
	assert_int_equal(t->eng.state_saves, saves + 1);
	assert_int_equal(dom_of(&t->eng, 0)->pool_id, POOL0_ID);
	for (uint32_t d = 1; d <= 3; d++) {
		assert_int_equal(dom_of(&t->eng, d)->pool_id, pool_find(&t->eng.pools, "web")->id);
		assert_string_equal(dom_of(&t->eng, d)->want, "web");
		assert_pinned(t, d, "2-3");
	}
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_DOMAIN_PLACED), 3);
	assert_int_equal(fake_events(&t->ctl, POOLD_EV_POOL_CHANGED), 0);
	/* and back: all of them, no dom0 to skip */
	assert_int_equal(engine_pool_migrate_all(&t->eng, "web", "pool0", moved, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_pinned(t, 2, "0-1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_converged_writes_nothing, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_new_pool_repins_exactly, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_credit1_weights_written, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_apply, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_esrch_tolerated, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_hypervisor_error_reported, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_state_failure_rolls_back, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_destroy, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_protected_and_refused, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_modify_resizes_live, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_keys_trust_and_gone, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_restart_restores_records, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reboot_keeps_settings, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_rename, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_all, env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
