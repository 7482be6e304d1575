/* A stand-in for the daemon's engine: records what the ctl handlers ask of it. */
#include "fake-engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct fake_engine fake;

/* Counts a mutating call and returns the outcome the test chose. */
static int record(struct engine *eng, const char *fn, const char *name, struct perr *e)
{
	fake.calls++;
	/* A dry run changes nothing: no commit, no model change (the callers check was_dry). */
	fake.was_dry = eng->dry != NULL;
	eng->dry = NULL;
	fake.dry_calls += fake.was_dry;
	snprintf(fake.last, sizeof(fake.last), "%s", fn);
	snprintf(fake.name, sizeof(fake.name), "%s", name);
	if (fake.ret != 0)
		return perr_set(e, fake.ret, "%s", fake.msg);
	if (fake.was_dry)
		return 0;
	eng->generation++;
	eng->commit_seq++;
	if (!fake.async)
		eng->durable_seq = eng->commit_seq;
	snprintf(fake.last, sizeof(fake.last), "%s", fn);
	snprintf(fake.name, sizeof(fake.name), "%s", name);
	if (fake.ret != 0)
		return perr_set(e, fake.ret, "%s", fake.msg);
	return 0;
}

static void add_pool(struct pool_table *t, uint32_t id, const char *name, const char *cpus,
                     unsigned nr)
{
	struct pool *p;

	t->pools = realloc(t->pools, (t->n + 1) * sizeof(*t->pools));
	p = &t->pools[t->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name);
	cpumap_parse(&p->cpus, cpus, nr, NULL);
	if (id >= t->next_id)
		t->next_id = id + 1;
}

static void add_dom(struct engine *eng, uint32_t domid, const char *name, uint32_t pool)
{
	struct dom *d;

	eng->doms = realloc(eng->doms, (eng->ndoms + 1) * sizeof(*eng->doms));
	d = &eng->doms[eng->ndoms++];
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->nr_vcpus = 2;
	d->pool_id = pool;
	d->weight = DOM_WEIGHT_DEFAULT;
	d->hv_weight = DOM_WEIGHT_DEFAULT;
}

void fake_poold_init(struct engine *eng, struct topo *topo)
{
	memset(eng, 0, sizeof(*eng));
	memset(topo, 0, sizeof(*topo));
	memset(&fake, 0, sizeof(fake));
	topo->nr_cpus = 16;
	for (unsigned i = 0; i < 16; i++)
		topo->cpu[i].online = true;
	eng->topo = topo;
	add_pool(&eng->pools, 0, "pool0", "0-7", 16);
	add_pool(&eng->pools, 1, "pool1", "8-11", 16);
	add_pool(&eng->pools, 2, "pool2", "12-15", 16);
	add_dom(eng, 0, "Domain-0", 0);
	add_dom(eng, 1, "web1", 1);
	add_dom(eng, 2, "db", 0);
	eng->doms[2].misplaced = true;
	snprintf(eng->doms[2].want, sizeof(eng->doms[2].want), "pool9");
	eng->hv_writes = 42;
	eng->hv_reads = 4242;
}

void fake_poold_fini(struct engine *eng)
{
	free(eng->pools.pools);
	free(eng->doms);
	eng->pools.pools = NULL;
	eng->doms = NULL;
}

int engine_pool_create(struct engine *eng, const char *name, const struct pool_cpus_spec *spec,
                       unsigned cap, int share, struct perr *e)
{
	char cpus[CPUMAP_TEXT_MAX];
	struct cpumap m = spec->cpus;
	int r = record(eng, "pool_create", name, e);

	fake.has_spec = true;
	fake.spec = *spec;
	fake.cap = (int)cap;
	fake.share = share;
	if (r != 0 || fake.was_dry)
		return r;
	if (spec->by_count) {
		cpumap_zero(&m);
		for (unsigned i = 0; i < spec->ncpu; i++)
			cpumap_set(&m, 4 + i);
	}
	cpumap_format(&m, cpus, sizeof(cpus));
	add_pool(&eng->pools, eng->pools.next_id, name, cpus, eng->topo->nr_cpus);
	eng->pools.pools[eng->pools.n - 1].cap = cap;
	eng->pools.pools[eng->pools.n - 1].share_off = share == SHARE_OFF;
	return 0;
}

int engine_pool_modify(struct engine *eng, const char *name, const struct pool_cpus_spec *spec,
                       int cap, int share, struct perr *e)
{
	struct pool *p;
	int r = record(eng, "pool_modify", name, e);

	fake.has_spec = spec != NULL;
	if (spec != NULL)
		fake.spec = *spec;
	fake.cap = cap;
	fake.share = share;
	if (r != 0 || fake.was_dry)
		return r;
	p = pool_find(&eng->pools, name);
	if (p == NULL)
		return perr_set(e, POOLD_E_NOTFOUND, "no pool %s", name);
	if (spec != NULL && !spec->by_count)
		p->cpus = spec->cpus;
	if (cap >= 0)
		p->cap = (unsigned)cap;
	if (share >= 0)
		p->share_off = share == SHARE_OFF;
	return 0;
}

int engine_pool_destroy(struct engine *eng, const char *name, bool force, struct perr *e)
{
	fake.force = force;
	return record(eng, "pool_destroy", name, e);
}

int engine_pool_rename(struct engine *eng, const char *name, const char *new_name, char *warning,
                       size_t warnlen, struct perr *e)
{
	struct pool *p;
	int r = record(eng, "pool_rename", name, e);

	snprintf(fake.pool, sizeof(fake.pool), "%s", new_name);
	snprintf(warning, warnlen, "%s", fake.warning);
	if (r != 0)
		return r;
	p = pool_find(&eng->pools, name);
	if (p == NULL)
		return perr_set(e, POOLD_E_NOTFOUND, "no pool %s", name);
	snprintf(p->name, sizeof(p->name), "%s", new_name);
	return 0;
}

int engine_pool_migrate_all(struct engine *eng, const char *from, const char *to, uint32_t *moved,
                            size_t *nmoved, struct perr *e)
{
	struct pool *f, *t;
	int r = record(eng, "pool_migrate_all", from, e);

	*nmoved = 0;
	snprintf(fake.pool, sizeof(fake.pool), "%s", to);
	if (r != 0)
		return r;
	f = pool_find(&eng->pools, from);
	t = pool_find(&eng->pools, to);
	if (f == NULL || t == NULL)
		return perr_set(e, POOLD_E_NOTFOUND, "no pool %s", f == NULL ? from : to);
	for (size_t i = 0; f != t && i < eng->ndoms; i++)
		if (eng->doms[i].pool_id == f->id && eng->doms[i].domid != 0) {
			eng->doms[i].pool_id = t->id;
			moved[(*nmoved)++] = eng->doms[i].domid;
		}
	return 0;
}

int engine_domain_find(struct engine *eng, const char *ref, struct dom **out, struct perr *e)
{
	char id[16];

	for (size_t i = 0; i < eng->ndoms; i++) {
		snprintf(id, sizeof(id), "%u", eng->doms[i].domid);
		if (strcmp(eng->doms[i].name, ref) == 0 || strcmp(id, ref) == 0) {
			*out = &eng->doms[i];
			return 0;
		}
	}
	return perr_set(e, POOLD_E_NOTFOUND, "no domain %s", ref);
}

int engine_domain_migrate(struct engine *eng, const char *ref, const char *pool, struct perr *e)
{
	struct dom *d;
	struct pool *p;
	int r = record(eng, "domain_migrate", ref, e);

	snprintf(fake.pool, sizeof(fake.pool), "%s", pool);
	if (r != 0 || fake.was_dry)
		return r;
	r = engine_domain_find(eng, ref, &d, e);
	if (r != 0)
		return r;
	p = pool_find(&eng->pools, pool);
	if (p == NULL)
		return perr_set(e, POOLD_E_NOTFOUND, "no pool %s", pool);
	d->pool_id = p->id;
	return 0;
}

int engine_domain_set(struct engine *eng, const char *ref, int weight, int cap, struct perr *e)
{
	struct dom *d;
	int r = record(eng, "domain_set", ref, e);

	fake.weight = weight;
	fake.cap = cap;
	if (r != 0 || fake.was_dry)
		return r;
	r = engine_domain_find(eng, ref, &d, e);
	if (r != 0)
		return r;
	if (weight >= 0)
		d->weight = (unsigned)weight;
	if (cap >= 0)
		d->cap = (unsigned)cap;
	return 0;
}

int engine_apply(struct engine *eng, const struct engine_layout *l, struct perr *e)
{
	int r = record(eng, "apply", l->npools > 0 ? l->pools[0].name : "", e);

	fake.npools = l->npools;
	fake.ndoms = l->ndoms;
	fake.prune = l->prune;
	return r;
}

void engine_dry_run(struct engine *eng, struct engine_plan *plan)
{
	eng->dry = plan;
	/* The plan the fake fills: one pool created, one write, to see them in the reply. */
	if (plan != NULL) {
		plan->pools = calloc(1, sizeof(*plan->pools));
		plan->npools = 1;
		snprintf(plan->pools[0].name, sizeof(plan->pools[0].name), "planned");
		plan->pools[0].action = "created";
		cpumap_set(&plan->pools[0].cpus, 5);
		cpumap_set(&plan->pools[0].gained, 5);
		plan_add(&plan->writes, &(struct plan_op){.kind = PLAN_SET_AFFINITY,
		                                          .domid = 1,
		                                          .vcpu = 0,
		                                          .cpus = plan->pools[0].cpus});
	}
}

void engine_plan_fini(struct engine_plan *plan)
{
	free(plan->pools);
	free(plan->doms);
	plan_fini(&plan->writes);
	memset(plan, 0, sizeof(*plan));
}

void engine_set_log_level(struct engine *eng, int level)
{
	log_set_level(level);
}

size_t engine_pool_members(const struct engine *eng, uint32_t pool_id)
{
	size_t n = 0;

	for (size_t i = 0; i < eng->ndoms; i++)
		n += eng->doms[i].pool_id == pool_id;
	return n;
}

enum sched_kind engine_pool_sched(const struct engine *eng, const struct pool *p)
{
	return p->id == 2 ? SCHED_CREDIT2 : SCHED_CREDIT;
}

int engine_reconcile(struct engine *eng, struct perr *e)
{
	return 0;
}

uint64_t engine_commit_seq(const struct engine *eng)
{
	return eng->commit_seq;
}

uint64_t engine_durable_seq(const struct engine *eng)
{
	return eng->durable_seq;
}

uint64_t engine_generation(const struct engine *eng)
{
	return eng->generation;
}

const struct pool_table *engine_pools(const struct engine *eng)
{
	return &eng->pools;
}

const struct topo *engine_topo(const struct engine *eng)
{
	return eng->topo;
}

const struct dom *engine_doms(const struct engine *eng, size_t *n)
{
	*n = eng->ndoms;
	return eng->doms;
}

void engine_stats(const struct engine *eng, struct engine_stats *out)
{
	*out = (struct engine_stats){.backend = "sim",
	                             .pools = eng->pools.n,
	                             .domains = eng->ndoms,
	                             .hv_writes = eng->hv_writes,
	                             .hv_reads = eng->hv_reads,
	                             .share_control = SHARE_AUTO,
	                             .share_period_ms = 1000};
}

enum engine_share_state engine_pool_share_state(const struct engine *eng, const struct pool *p)
{
	if (p->share_off)
		return ENGINE_SHARE_OFF;
	return p->share.active ? ENGINE_SHARE_ACTIVE : ENGINE_SHARE_IDLE;
}

double engine_share_saturated(void)
{
	return 0.95;
}
