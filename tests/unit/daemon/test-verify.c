/* Unit tests of incremental rescans: what a pass reads back, and when it verifies everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakes.h"
#include "poold/config.h"
#include "poold/engine.h"
#include "poold/reconcile.h"
#include "util/log.h"

/* The fake hypervisor behind a layer that counts reads, per domain. */
struct counted {
	struct hv hv;
	struct fake_hv *f;
	unsigned get_affinity[1000]; /* by domid */
	unsigned get_sched[1000];
	unsigned lists;
	unsigned lists_from; /* of the new domains only */
	uint32_t last_first; /* the domid the last of those started at */
	unsigned cpupools;
};

struct env {
	char dir[64];
	char state[128];
	struct fake_hv hv;
	struct counted c;
	struct xsw xs;
	struct fake_sink ctl;
	struct engine eng;
};

static struct counted *counted_of(struct hv *hv)
{
	return (struct counted *)((char *)hv - offsetof(struct counted, hv));
}

static int c_topology(struct hv *hv, struct topo *out)
{
	struct counted *c = counted_of(hv);

	return c->f->hv.ops->topology(&c->f->hv, out);
}

static int c_list(struct hv *hv, struct hv_dominfo **out, size_t *n, uint64_t *now_ns)
{
	struct counted *c = counted_of(hv);

	c->lists++;
	return c->f->hv.ops->list_domains(&c->f->hv, out, n, now_ns);
}

static int c_list_from(struct hv *hv, uint32_t first, size_t max, struct hv_dominfo **out,
                       size_t *n, uint64_t *now_ns)
{
	struct counted *c = counted_of(hv);

	c->lists_from++;
	c->last_first = first;
	return c->f->hv.ops->list_domains_from(&c->f->hv, first, max, out, n, now_ns);
}

static int c_cpupool_sched(struct hv *hv, uint32_t cpupool, enum sched_kind *out)
{
	struct counted *c = counted_of(hv);

	c->cpupools++;
	return c->f->hv.ops->cpupool_sched(&c->f->hv, cpupool, out);
}

static int c_get_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, struct cpumap *hard,
                          struct cpumap *soft)
{
	struct counted *c = counted_of(hv);

	c->get_affinity[domid]++;
	return c->f->hv.ops->get_affinity(&c->f->hv, domid, vcpu, hard, soft);
}

static int c_set_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, const struct cpumap *hard,
                          const struct cpumap *soft)
{
	struct counted *c = counted_of(hv);

	return c->f->hv.ops->set_affinity(&c->f->hv, domid, vcpu, hard, soft);
}

static int c_get_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned *weight,
                       unsigned *cap)
{
	struct counted *c = counted_of(hv);

	c->get_sched[domid]++;
	return c->f->hv.ops->get_sched(&c->f->hv, domid, kind, weight, cap);
}

static int c_set_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned weight,
                       unsigned cap)
{
	struct counted *c = counted_of(hv);

	return c->f->hv.ops->set_sched(&c->f->hv, domid, kind, weight, cap);
}

static void c_close(struct hv *hv)
{
}

static const struct hv_ops counted_ops = {
    .name = "counted",
    .topology = c_topology,
    .list_domains = c_list,
    .list_domains_from = c_list_from,
    .cpupool_sched = c_cpupool_sched,
    .get_affinity = c_get_affinity,
    .set_affinity = c_set_affinity,
    .get_sched = c_get_sched,
    .set_sched = c_set_sched,
    .close = c_close,
};

static int env_setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(fake_dir_new(t->dir, t->state, "verify"), 0);
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

/* Starts poold's model over the counting fake, verifying every `interval` seconds. */
static void env_start(struct env *t, int interval)
{
	fake_poold(&t->eng, &t->hv, &t->xs, &t->ctl, t->state);
	t->c.hv.ops = &counted_ops;
	t->c.f = &t->hv;
	t->eng.hv = &t->c.hv;
	t->eng.cfg.verify_interval = interval;
	/* As poold_init does: the first pass verifies everything. */
	t->eng.verify_all = true;
}

static void reset_reads(struct env *t)
{
	memset(t->c.get_affinity, 0, sizeof(t->c.get_affinity));
	memset(t->c.get_sched, 0, sizeof(t->c.get_sched));
	t->c.lists = t->c.cpupools = 0;
	fake_reset_counts(&t->hv);
}

/* Reads of affinity and weight over every domain. */
static unsigned reads_total(const struct env *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 1000; i++)
		n += t->c.get_affinity[i] + t->c.get_sched[i];
	return n;
}

static struct cpumap cpus(const char *text)
{
	struct cpumap m;

	assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

static bool pinned(struct env *t, struct fake_dom *d, const char *want)
{
	struct cpumap w = cpus(want), online, have;

	topo_online(&t->hv.topo, &online);
	for (unsigned v = 0; v < d->nr_vcpus; v++) {
		cpumap_and(&have, &d->hard[v], &online);
		if (!cpumap_equal(&have, &w))
			return false;
	}
	return true;
}

/* A host of dom0 (2 vCPUs), vm1 (2) and vm2 (3), converged by a first full pass. */
static void converged_host(struct env *t, int interval)
{
	struct perr e = {0};

	fake_init(&t->hv, 4, 2, SCHED_CREDIT2);
	fake_add(&t->hv, 1, "vm1", 2, NULL);
	fake_add(&t->hv, 2, "vm2", 3, NULL);
	env_start(t, interval);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	/* the first pass read everyone: 7 affinities and 3 weights */
	assert_int_equal(t->c.get_affinity[0] + t->c.get_affinity[1] + t->c.get_affinity[2], 7);
	assert_int_equal(t->c.get_sched[1], 2); /* dom_new's, then the verify's */
	reset_reads(t);
}

static void test_converged_rescan_reads_nothing(void **state)
{
	struct env *t = *state;
	struct perr e = {0};

	converged_host(t, 60);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.lists, 1);
	assert_int_equal(reads_total(t), 0);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
}

static void test_new_domain_reads_only_itself(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct fake_dom *vm3;

	converged_host(t, 60);
	vm3 = fake_add(&t->hv, 3, "vm3", 4, NULL);
	vm3->hard[2] = cpus("1");
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.get_affinity[3], 4);
	assert_int_equal(reads_total(t), 4 + t->c.get_sched[3]);
	assert_true(t->c.get_sched[3] >= 1);
	/* only its drifted vCPU is written, as before */
	assert_int_equal(t->hv.affinity_writes, 1);
	assert_true(fake_written(&t->hv, 3, 2));
	assert_true(pinned(t, vm3, "0-3"));
}

static void test_changed_domain_reads_only_itself(void **state)
{
	struct env *t = *state;
	struct perr e = {0};

	converged_host(t, 60);
	/* A new weight of a domain verified before: one write, no read back. */
	assert_int_equal(engine_domain_set(&t->eng, "vm2", 512, -1, &e), 0);
	assert_int_equal(reads_total(t), 0);
	assert_int_equal(t->hv.sched_writes, 1);
	assert_int_equal(t->hv.affinity_writes, 0);
	assert_int_equal(t->hv.doms[2].weight, 512);
	/* A move of a domain verified before: its vCPUs' writes, nothing read back. */
	assert_int_equal(engine_pool_create(&t->eng, "p1",
	                                    &(struct pool_cpus_spec){.cpus = cpus("3")}, 0, -1, &e),
	                 0);
	reset_reads(t);
	assert_int_equal(engine_domain_migrate(&t->eng, "vm2", "p1", &e), 0);
	assert_int_equal(reads_total(t), 0);
	assert_int_equal(t->hv.affinity_writes, 3);
	assert_true(pinned(t, &t->hv.doms[2], "3"));
	/* Drift behind poold's back is the verify's to find: it reads vm2 back and repairs it. */
	t->hv.doms[2].hard[0] = cpus("0-3");
	t->eng.verify_all = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(t->c.get_affinity[2] >= 3);
	assert_true(pinned(t, &t->hv.doms[2], "3"));
}

static void test_drift_repaired_at_full_verify(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct fake_dom *vm1;

	converged_host(t, 60);
	vm1 = &t->hv.doms[1];
	/* xl vcpu-pin and xl sched-credit2 behind poold's back */
	vm1->hard[1] = cpus("2");
	vm1->weight = 1000;

	/* an ordinary rescan trusts what it verified */
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_false(pinned(t, vm1, "0-3"));
	assert_int_equal(vm1->weight, 1000);

	/* the timer (or SIGHUP) asks for a full verify: read back, repaired */
	t->eng.verify_all = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.get_affinity[0] + t->c.get_affinity[1] + t->c.get_affinity[2], 7);
	assert_true(pinned(t, vm1, "0-3"));
	assert_int_equal(vm1->weight, 256);
	assert_int_equal(t->hv.affinity_writes, 1);
	assert_true(fake_written(&t->hv, 1, 1));
	assert_int_equal(t->hv.sched_writes, 1);
	assert_false(t->eng.verify_all);

	/* and the next ordinary rescan is quiet again */
	reset_reads(t);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(reads_total(t) + t->hv.affinity_writes + t->hv.sched_writes, 0);
}

static void test_error_makes_next_pass_full(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct fake_dom *vm1;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	vm1 = fake_add(&t->hv, 1, "vm1", 2, NULL);
	fake_add(&t->hv, 2, "vm2", 1, NULL);
	vm1->hard[0] = cpus("3");
	vm1->fail_set_affinity = EPERM;
	env_start(t, 60);
	assert_int_equal(engine_reconcile(&t->eng, &e), POOLD_E_HYPERVISOR);
	assert_true(t->eng.verify_all);

	vm1->fail_set_affinity = 0;
	reset_reads(t);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	/* every domain is read back, not only the one that failed */
	assert_int_equal(t->c.get_affinity[0], 1);
	assert_int_equal(t->c.get_affinity[1], 2);
	assert_int_equal(t->c.get_affinity[2], 1);
	assert_true(pinned(t, vm1, "0-3"));
	assert_false(t->eng.verify_all);
}

static void test_interval_zero_verifies_every_pass(void **state)
{
	struct env *t = *state;
	struct perr e = {0};

	converged_host(t, 0);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.get_affinity[0] + t->c.get_affinity[1] + t->c.get_affinity[2], 7);
	assert_int_equal(t->hv.affinity_writes + t->hv.sched_writes, 0);
	/* drift is repaired by the very next rescan */
	t->hv.doms[2].hard[0] = cpus("0");
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(pinned(t, &t->hv.doms[2], "0-3"));
}

static void test_keys_reread_on_xenstore_event(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = {.by_count = false, .cpus = cpus("2-3")};
	struct fake_dom *vm1, *vm2;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	vm1 = fake_add(&t->hv, 1, "vm1", 1, NULL);
	vm2 = fake_add(&t->hv, 2, "vm2", 1, NULL);
	env_start(t, 60);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0); /* as poold_init does */
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);
	assert_true(pinned(t, vm1, "0-1"));

	/* a toolstack writes the key: until its watch fires, poold has no reason to look */
	vm1->has_key = true;
	snprintf(vm1->key, sizeof(vm1->key), "pool1");
	assert_int_equal(engine_domain_set(&t->eng, "vm1", 300, -1, &e), 0);
	assert_true(pinned(t, vm1, "0-1"));

	/* another domain's key watch fires: vm1's key is still not looked at */
	vm2->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(pinned(t, vm1, "0-1"));

	/* vm1's key watch fires: its key is read and acted on */
	vm1->key_events++;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(pinned(t, vm1, "2-3"));
	assert_int_equal(vm1->key_events, 0);

	/* a full verify re-reads every key */
	vm1->has_key = false;
	vm2->has_key = true;
	snprintf(vm2->key, sizeof(vm2->key), "pool1");
	t->eng.keys_stale = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_true(pinned(t, vm2, "2-3"));
	assert_false(t->eng.keys_stale);
}

/*
 * What an event costs in listings: a new domain lists the domains past the
 * highest domid known, a pool key event none, a domain gone all of them;
 * a new domain below every known domid (they wrapped) is found all the same.
 */
static void test_listing_by_cause(void **state)
{
	struct env *t = *state;
	struct perr e = {0};
	struct pool_cpus_spec s = {.by_count = false, .cpus = cpus("2-3")};
	struct fake_dom *vm3, *vm7;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT2);
	fake_add(&t->hv, 5, "vm5", 1, NULL);
	env_start(t, 60);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(engine_pool_create(&t->eng, "pool1", &s, 0, -1, &e), 0);

	/* A new domain: one listing, from domid 6 on. */
	t->c.lists = t->c.lists_from = 0;
	vm7 = fake_add(&t->hv, 7, "vm7", 1, "pool1");
	engine_note(&t->eng, ENGINE_CAUSE_NEW_DOMAIN);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.lists, 0);
	assert_int_equal(t->c.lists_from, 1);
	assert_int_equal(t->c.last_first, 6);
	assert_true(pinned(t, vm7, "2-3"));

	/* Its key's watch fires on registration: no listing at all, the key is read. */
	t->hv.doms[2].key_events++;
	engine_note(&t->eng, ENGINE_CAUSE_KEY);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.lists + t->c.lists_from, 1);

	/* Below every known domid: the listing past them finds none, so all are listed. */
	vm3 = fake_add(&t->hv, 3, "vm3", 1, "pool1");
	engine_note(&t->eng, ENGINE_CAUSE_NEW_DOMAIN);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.lists_from, 2);
	assert_int_equal(t->c.lists, 1);
	assert_true(pinned(t, vm3, "2-3"));

	/* A domain went: every domain is listed, and it is gone. */
	t->hv.doms[1].exists = false;
	engine_note(&t->eng, ENGINE_CAUSE_OTHER);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->c.lists, 2);
	assert_int_equal(t->eng.ndoms, 3);
}

/* Writes text to a temp file and reads it as poold.conf. */
static int read_conf(const char *text, struct poold_config *c, struct perr *e)
{
	char path[64] = "/tmp/poold-test-verify-conf.XXXXXX";
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	config_init(c);
	r = config_read(c, path, CONFIG_MUST_EXIST, e);
	unlink(path);
	return r;
}

static void test_config_verify_interval(void **state)
{
	struct poold_config c, cli;
	struct perr e = {0};

	config_init(&c);
	assert_int_equal(c.verify_interval, -1);
	assert_int_equal(config_defaults(&c), 0);
	assert_int_equal(c.verify_interval, 10);
	config_fini(&c);

	assert_int_equal(read_conf("verify_interval = 0\n", &c, &e), 0);
	assert_int_equal(c.verify_interval, 0);
	assert_int_equal(config_defaults(&c), 0);
	assert_int_equal(c.verify_interval, 0);
	/* an unset command line leaves the file's value */
	config_init(&cli);
	assert_int_equal(config_merge(&c, &cli), 0);
	assert_int_equal(c.verify_interval, 0);
	config_fini(&c);

	assert_int_equal(read_conf("verify_interval = 300\n", &c, &e), 0);
	assert_int_equal(c.verify_interval, 300);
	config_fini(&c);

	/* xl syntax has no negative numbers; past a day is refused with the range */
	assert_int_equal(read_conf("verify_interval = 86401\n", &c, &e), POOLD_E_INVALID);
	assert_non_null(strstr(e.msg, "verify_interval"));
	assert_non_null(strstr(e.msg, "86400"));
	config_fini(&c);
	assert_int_equal(read_conf("verify_interval = \"often\"\n", &c, &e), POOLD_E_INVALID);
	config_fini(&c);
}

/* Lets a second of the hypervisor's clock pass, a and b using ua and ub % of a pCPU; one period. */
static void share_period(struct env *t, struct fake_dom *a, unsigned ua, struct fake_dom *b,
                         unsigned ub)
{
	struct perr e = {0};

	a->cpu_time += ua * 10000000ull;
	b->cpu_time += ub * 10000000ull;
	t->hv.now_ns += 1000000000ull;
	t->eng.share_due = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
}

/*
 * The controller through the daemon: caps 1:3 on credit1 from the CPU times
 * of the listing, one listing and no other read per period, nothing written
 * on a steady load, an idle member's share to the other, off lifts the caps.
 */
static void test_share_periods(void **state)
{
	struct env *t = *state;
	struct pool_cpus_spec s = {.cpus = cpus("3")};
	struct perr e = {0};
	struct fake_dom *a, *b;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT);
	a = fake_add(&t->hv, 1, "a", 1, "p1");
	b = fake_add(&t->hv, 2, "b", 1, "p1");
	env_start(t, 10);
	t->eng.cfg.share_control = SHARE_AUTO;
	t->hv.now_ns = 5000000000ull;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(engine_pool_create(&t->eng, "p1", &s, 0, -1, &e), 0);
	assert_int_equal(engine_domain_set(&t->eng, "a", 256, -1, &e), 0);
	assert_int_equal(engine_domain_set(&t->eng, "b", 768, -1, &e), 0);
	assert_true(pinned(t, a, "3") && pinned(t, b, "3"));

	/* The first period only samples; the clock standing still is no period. */
	share_period(t, a, 0, b, 0);
	t->eng.share_due = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.share_periods, 1);
	assert_int_equal(a->cap, 0);

	/* Pinned credit1 splits 1:1: the pool is saturated, the caps make it 1:3. */
	reset_reads(t);
	share_period(t, a, 50, b, 50);
	assert_int_equal(t->c.lists, 1);
	assert_int_equal(t->c.cpupools, 0);
	assert_int_equal(reads_total(t), 0);
	assert_int_equal(a->cap, 25);
	assert_int_equal(b->cap, 75);
	assert_int_equal(t->hv.sched_writes, 2);
	assert_true(t->eng.pools.pools[1].share.active);

	/* They hold: nothing to write. */
	reset_reads(t);
	share_period(t, a, 25, b, 75);
	share_period(t, a, 25, b, 74);
	assert_int_equal(t->hv.sched_writes, 0);
	assert_int_equal(t->c.lists, 2);
	assert_int_equal(reads_total(t), 0);

	/* b goes idle: a is held at 25 while the pCPU has room; it gets it all. */
	share_period(t, a, 25, b, 0);
	assert_int_equal(a->cap, 0);
	assert_true(b->cap >= 1 && b->cap <= 5);

	/* b comes back, held at its headroom: it wants more, both get their part again. */
	share_period(t, a, 100 - b->cap, b, b->cap);
	assert_int_equal(a->cap, 25);
	assert_int_equal(b->cap, 75);

	/* A user cap bounds the controller's at once, without waiting for a period. */
	assert_int_equal(engine_domain_set(&t->eng, "b", -1, 40, &e), 0);
	assert_int_equal(b->cap, 40);
	assert_int_equal(engine_domain_set(&t->eng, "b", -1, 0, &e), 0);

	/* A pool cap put on between periods: the static split holds until the next one. */
	assert_int_equal(engine_pool_modify(&t->eng, "p1", NULL, 40, -1, &e), 0);
	assert_int_equal(a->cap, 10);
	assert_int_equal(b->cap, 30);
	assert_int_equal(engine_pool_modify(&t->eng, "p1", NULL, 0, -1, &e), 0);

	/* share=off for the pool: its caps are lifted on the spot, and stay lifted. */
	share_period(t, a, 10, b, 30);
	share_period(t, a, 50, b, 50);
	assert_int_equal(a->cap, 25);
	assert_int_equal(engine_pool_modify(&t->eng, "p1", NULL, -1, SHARE_OFF, &e), 0);
	assert_int_equal(a->cap, 0);
	assert_int_equal(b->cap, 0);
	share_period(t, a, 50, b, 50);
	assert_int_equal(a->cap, 0);
	assert_false(t->eng.pools.pools[1].share.active);
}

/*
 * Once poold runs, a listing of every domain is a walk: walk_chunk domains a
 * step, each merged as it comes; a share period then decides the same caps,
 * a verify reads everyone back, and domains that went or came below the
 * highest domid are found.
 */
static void test_walks(void **state)
{
	struct env *t = *state;
	struct pool_cpus_spec s = {.cpus = cpus("3")};
	struct perr e = {0};
	struct fake_dom *a, *b, *c, *d;

	fake_init(&t->hv, 4, 1, SCHED_CREDIT);
	a = fake_add(&t->hv, 1, "a", 1, "p1");
	b = fake_add(&t->hv, 2, "b", 1, "p1");
	d = fake_add(&t->hv, 4, "d", 1, NULL);
	fake_add(&t->hv, 5, "e", 2, NULL);
	env_start(t, 10);
	t->eng.cfg.share_control = SHARE_AUTO;
	t->hv.now_ns = 5000000000ull;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(engine_pool_create(&t->eng, "p1", &s, 0, -1, &e), 0);
	assert_int_equal(engine_domain_set(&t->eng, "b", 768, -1, &e), 0);
	t->eng.ready = true;
	t->eng.walk_chunk = 2;

	/* Domains 0-1, 2-4, 5 and the end of the list: four steps, no listing of all. */
	share_period(t, a, 0, b, 0);
	reset_reads(t);
	t->c.lists_from = 0;
	share_period(t, a, 50, b, 50);
	assert_int_equal(t->c.lists, 0);
	assert_int_equal(t->c.lists_from, 3);
	assert_int_equal(t->eng.walk, 0);
	assert_int_equal(reads_total(t), 0);
	assert_int_equal(a->cap, 25);
	assert_int_equal(b->cap, 75);

	/* A domain below the highest domid came, one went: the walk finds both. */
	c = fake_add(&t->hv, 3, "c", 1, "p1");
	d->exists = false;
	engine_note(&t->eng, ENGINE_CAUSE_OTHER);
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	assert_int_equal(t->eng.ndoms, 5);
	assert_true(pinned(t, c, "3"));

	/* A verify: each step marks its domains, and everyone is read back. */
	reset_reads(t);
	t->eng.verify_all = true;
	assert_int_equal(engine_reconcile(&t->eng, &e), 0);
	for (uint32_t id = 0; id < 6; id++)
		if (id != 4)
			assert_true(t->c.get_affinity[id] > 0);
	assert_int_equal(reconcile_pending(&t->eng), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_converged_rescan_reads_nothing, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_new_domain_reads_only_itself, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_changed_domain_reads_only_itself, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_drift_repaired_at_full_verify, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_error_makes_next_pass_full, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_interval_zero_verifies_every_pass, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_listing_by_cause, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_keys_reread_on_xenstore_event, env_setup,
	                                    env_teardown),
	    cmocka_unit_test(test_config_verify_interval),
	    cmocka_unit_test_setup_teardown(test_share_periods, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_walks, env_setup, env_teardown),
	};

	log_init("test-verify", LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
