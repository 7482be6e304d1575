/* poolctl apply: a whole pool layout checked, then changed as one transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"
#include "poold/engine-int.h"
#include "poold/reconcile.h"
#include "util/log.h"

/* The domain a layout entry names: by uuid, by name, or by both (which must agree). */
static int find_dom(struct engine *eng, const struct engine_layout_dom *ld, size_t *at,
                    struct perr *e)
{
	char u[UUID_TEXT_LEN + 1];

	uuid_format(ld->uuid, u);
	for (size_t i = 0; i < eng->ndoms; i++) {
		const struct dom *d = &eng->doms[i];

		if (ld->by_uuid ? memcmp(d->uuid, ld->uuid, sizeof(d->uuid)) != 0
		                : strcmp(d->name, ld->name) != 0)
			continue;
		if (ld->by_uuid && ld->name[0] != '\0' && strcmp(d->name, ld->name) != 0)
			return perr_set(e, POOLD_E_INVALID,
			                "domain %s: uuid %s is domain %" PRIu32
			                " named \"%s\": fix the name or the uuid",
			                ld->name, u, d->domid, d->name);
		*at = i;
		return 0;
	}
	if (ld->by_uuid)
		return perr_set(e, POOLD_E_NOTFOUND,
		                "domain %s: no running domain has this uuid: start it, or take "
		                "it out of the layout (poolctl domain-list shows the uuids)",
		                ld->name[0] != '\0' ? ld->name : u);
	return perr_set(e, POOLD_E_NOTFOUND,
	                "domain %s: no running domain has this name: start it, or take it out "
	                "of the layout (poolctl domain-list shows the names)",
	                ld->name);
}

/* The layout's entry for a pool name, NULL when it names none. */
static const struct engine_layout_pool *layout_pool(const struct engine_layout *l, const char *name)
{
	for (size_t i = 0; i < l->npools; i++)
		if (strcmp(l->pools[i].name, name) == 0)
			return &l->pools[i];
	return NULL;
}

/* The pool a live domain would be placed in by the layout's domain entries. */
static const char *target_of(const struct engine *eng, const struct engine_layout *l,
                             const size_t *at, size_t i)
{
	for (size_t k = 0; k < l->ndoms; k++)
		if (at[k] == i && l->doms[k].pool[0] != '\0')
			return l->doms[k].pool;
	return NULL;
}

/*
 * Checks what can be checked before any change: names, duplicates, pool0,
 * the domains named and their settings, what prune would destroy. at[k]
 * gets the index of domain entry k.
 */
static int check_layout(struct engine *eng, const struct engine_layout *l, size_t *at,
                        struct perr *e)
{
	int r;

	for (size_t i = 0; i < l->npools; i++) {
		const struct engine_layout_pool *lp = &l->pools[i];
		const struct pool *p = pool_find(&eng->pools, lp->name);

		if (!pool_name_valid(lp->name))
			return perr_set(e, POOLD_E_INVALID,
			                "pool \"%.64s\": not a valid pool name: use 1 to 64 of A-Z "
			                "a-z 0-9 _ . -",
			                lp->name);
		if (layout_pool(l, lp->name) != lp)
			return perr_set(e, POOLD_E_INVALID,
			                "pool %s is in the layout twice: merge the two entries",
			                lp->name);
		if (p != NULL && p->id == POOL0_ID && lp->cpus_given)
			return perr_set(
			    e, POOLD_E_PROTECTED,
			    "pool %s: pool0's pCPUs can't be given: it holds every pCPU "
			    "no other pool has; leave out its cpus and ncpu",
			    lp->name);
		if (p == NULL && !lp->cpus_given)
			return perr_set(e, POOLD_E_INVALID,
			                "pool %s is new: give it cpus (a list) or ncpu (a count)",
			                lp->name);
	}
	for (size_t k = 0; k < l->ndoms; k++) {
		const struct engine_layout_dom *ld = &l->doms[k];
		const struct dom *d;

		if ((r = find_dom(eng, ld, &at[k], e)) != 0)
			return r;
		d = &eng->doms[at[k]];
		for (size_t j = 0; j < k; j++)
			if (at[j] == at[k])
				return perr_set(e, POOLD_E_INVALID,
				                "domain %s is in the layout twice (entries %zu and "
				                "%zu): merge them",
				                d->name, j + 1, k + 1);
		if (ld->pool[0] != '\0' && d->domid == 0 && strcmp(ld->pool, POOL0_NAME) != 0)
			return perr_set(e, POOLD_E_PROTECTED,
			                "domain %s: domain 0 always stays in pool0: leave out its "
			                "pool",
			                d->name);
		if (ld->pool[0] != '\0' && layout_pool(l, ld->pool) == NULL &&
		    (pool_find(&eng->pools, ld->pool) == NULL ||
		     (l->prune && strcmp(ld->pool, POOL0_NAME) != 0)))
			return perr_set(
			    e, POOLD_E_NOTFOUND,
			    "domain %s: pool %s is neither in the layout nor kept on the "
			    "host: add it to the layout's pools",
			    d->name, ld->pool);
		if (ld->cap >= 0 && (unsigned)ld->cap > 100 * d->nr_vcpus)
			return perr_set(e, POOLD_E_INVALID,
			                "domain %s: cap %d is out of range for its %u vCPUs: use 0 "
			                "(no cap) to %u (%% of one pCPU)",
			                d->name, ld->cap, d->nr_vcpus, 100 * d->nr_vcpus);
	}
	for (size_t j = 0; l->prune && j < eng->pools.n; j++) {
		const struct pool *p = &eng->pools.pools[j];

		if (p->id == POOL0_ID || layout_pool(l, p->name) != NULL)
			continue;
		for (size_t i = 0; i < eng->ndoms; i++) {
			const char *to = target_of(eng, l, at, i);

			if (eng->doms[i].pool_id == p->id &&
			    (to == NULL || strcmp(to, p->name) == 0))
				return perr_set(
				    e, POOLD_E_BUSY,
				    "pool %s would be pruned but holds domain %s: give the domain "
				    "another pool in the layout, or add the pool to it",
				    p->name, eng->doms[i].name);
		}
	}
	return 0;
}

/* Says which part a message is about, unless it says so already. */
static int part_fail(struct perr *e, int r, const char *name, const struct perr *why)
{
	if (strncmp(why->msg, "pool ", 5) == 0 || strncmp(why->msg, "pool0", 5) == 0)
		return perr_set(e, r, "%s", why->msg);
	return perr_set(e, r, "pool %s: %s", name, why->msg);
}

/* Gives a pool the cpus of a spec (resolved against the table as it is now). */
static int pool_take(struct engine *eng, const struct engine_layout_pool *lp, struct perr *e)
{
	struct pool *p = pool_find(&eng->pools, lp->name);
	struct cpumap cpus;
	struct perr why = {0};
	int r;

	r = pool_resolve_cpus(&eng->pools, eng->topo, p, &lp->spec, &cpus, &why);
	if (r == 0 && p == NULL)
		r = pool_create(&eng->pools, lp->name, &cpus, 0, &p, &why);
	else if (r == 0 && !cpumap_equal(&p->cpus, &cpus))
		r = pool_resize(&eng->pools, lp->name, &cpus, engine_pool_members(eng, p->id),
		                &why);
	return r != 0 ? part_fail(e, r, lp->name, &why) : 0;
}

/*
 * The pools' part, in an order that frees pCPUs before they are taken:
 * pruned pools destroyed, each pool shrunk to what it keeps, then the
 * listed cpus taken, then the counted ones (so that a count never takes a
 * pCPU another entry lists).
 */
static int change_pools(struct engine *eng, const struct engine_layout *l, struct perr *e)
{
	struct perr why = {0};
	int r;

	for (size_t j = eng->pools.n; l->prune && j-- > 1;) {
		char name[POOL_NAME_MAX + 1];

		if (layout_pool(l, eng->pools.pools[j].name) != NULL)
			continue;
		snprintf(name, sizeof(name), "%s", eng->pools.pools[j].name);
		if ((r = pool_destroy(&eng->pools, name, 0, &why)) != 0)
			return part_fail(e, r, name, &why);
	}
	for (size_t i = 0; i < l->npools; i++) {
		const struct engine_layout_pool *lp = &l->pools[i];
		struct pool *p = pool_find(&eng->pools, lp->name);
		struct cpumap keep;

		if (p == NULL || !lp->cpus_given)
			continue;
		if (lp->spec.by_count) {
			if (lp->spec.ncpu < cpumap_count(&p->cpus) &&
			    (r = pool_take(eng, lp, e)) != 0)
				return r;
			continue;
		}
		cpumap_and(&keep, &p->cpus, &lp->spec.cpus);
		if (cpumap_equal(&keep, &p->cpus) ||
		    (cpumap_empty(&keep) && engine_pool_members(eng, p->id) > 0))
			continue;
		r = pool_resize(&eng->pools, lp->name, &keep, engine_pool_members(eng, p->id),
		                &why);
		if (r != 0)
			return part_fail(e, r, lp->name, &why);
	}
	for (int counted = 0; counted < 2; counted++) {
		for (size_t i = 0; i < l->npools; i++) {
			const struct engine_layout_pool *lp = &l->pools[i];

			if (lp->cpus_given && lp->spec.by_count == (counted == 1) &&
			    (r = pool_take(eng, lp, e)) != 0)
				return r;
		}
	}
	for (size_t i = 0; i < l->npools; i++) {
		struct pool *p = pool_find(&eng->pools, l->pools[i].name);

		if (l->pools[i].cap >= 0)
			p->cap = (unsigned)l->pools[i].cap;
		if (l->pools[i].share >= 0)
			p->share_off = l->pools[i].share == SHARE_OFF;
	}
	return 0;
}

/* The domains' part: their wanted pool, weight and cap. */
static int change_doms(struct engine *eng, const struct engine_layout *l, const size_t *at,
                       struct perr *e)
{
	for (size_t k = 0; k < l->ndoms; k++) {
		const struct engine_layout_dom *ld = &l->doms[k];
		struct dom *d = &eng->doms[at[k]];

		if (ld->pool[0] != '\0' && d->domid != 0) {
			const struct pool *p = pool_find(&eng->pools, ld->pool);

			if (p == NULL || cpumap_empty(&p->cpus))
				return perr_set(
				    e, POOLD_E_NOCPU,
				    "domain %s: pool %s has no pCPUs: give it cpus or ncpu "
				    "in the layout",
				    d->name, ld->pool);
			snprintf(d->want, sizeof(d->want), "%s", ld->pool);
		}
		if (ld->weight >= 0)
			d->weight = (unsigned)ld->weight;
		if (ld->cap >= 0)
			d->cap = (unsigned)ld->cap;
	}
	return 0;
}

/* Whether the change left the model as it was: pools and domain settings alike. */
static bool unchanged(const struct engine *eng, const struct engine_snap *s)
{
	if (eng->pools.n != s->pools.n)
		return false;
	for (size_t j = 0; j < eng->pools.n; j++) {
		const struct pool *p = &eng->pools.pools[j], *q = &s->pools.pools[j];

		if (p->id != q->id || strcmp(p->name, q->name) != 0 ||
		    !cpumap_equal(&p->cpus, &q->cpus) || p->cap != q->cap ||
		    p->share_off != q->share_off)
			return false;
	}
	for (size_t i = 0; i < eng->ndoms; i++) {
		const struct dom *d = &eng->doms[i], *w = &s->doms[i];

		if (strcmp(d->want, w->want) != 0 || d->weight != w->weight || d->cap != w->cap)
			return false;
	}
	return true;
}

int engine_apply(struct engine *eng, const struct engine_layout *l, struct perr *e)
{
	size_t *at = calloc(l->ndoms + 1, sizeof(*at));
	struct pool_table was = {0};
	struct engine_snap s;
	struct dom *before;
	size_t nchanged = 0;
	int r;

	if (at == NULL)
		return perr_set(e, -ENOMEM, "out of memory");
	if ((r = check_layout(eng, l, at, e)) != 0)
		goto out;
	if ((r = engine_snap_take(eng, &s)) < 0) {
		r = perr_set(e, r, "out of memory");
		goto out;
	}
	r = change_pools(eng, l, e);
	if (r == 0)
		r = change_doms(eng, l, at, e);
	if (r != 0) {
		engine_snap_restore(eng, &s);
		goto out;
	}
	if (unchanged(eng, &s)) {
		/*
		 * The host has the layout already: nothing is saved, settled or announced,
		 * and a dry run plans nothing either (the settle it would show is not run).
		 */
		engine_snap_drop(&s);
		if (eng->dry == NULL)
			log_info("apply: the layout is in place already");
		eng->dry = NULL;
		goto out;
	}
	/* The table before, for the events: the commit keeps the snapshot's for an undo. */
	was = s.pools;
	was.pools = malloc((s.pools.n + 1) * sizeof(*was.pools));
	before = malloc((s.ndoms + 1) * sizeof(*before));
	if (was.pools == NULL || before == NULL) {
		free(was.pools);
		free(before);
		was.pools = NULL;
		engine_snap_restore(eng, &s);
		r = perr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(was.pools, s.pools.pools, s.pools.n * sizeof(*was.pools));
	if (s.ndoms > 0)
		memcpy(before, s.doms, s.ndoms * sizeof(*before));
	if ((r = engine_commit_change(eng, &s, e)) != 0) {
		free(before);
		r = r == ENGINE_DRY ? 0 : r;
		goto out;
	}
	for (size_t i = 0; i < eng->ndoms; i++)
		nchanged += strcmp(eng->doms[i].want, before[i].want) != 0 ||
		            eng->doms[i].weight != before[i].weight ||
		            eng->doms[i].cap != before[i].cap;
	log_notice("layout applied: %zu pool%s, %zu domain%s changed", l->npools,
	           l->npools == 1 ? "" : "s", nchanged, nchanged == 1 ? "" : "s");
	/* The pools first: subscribers hear of a pool before the domains placed into it. */
	engine_announce_pools(eng, &was);
	for (size_t i = 0; i < eng->ndoms; i++) {
		const struct dom *d = &eng->doms[i];

		if (d->weight != before[i].weight || d->cap != before[i].cap)
			reconcile_emit(eng, &(struct engine_event){
			                        .kind = ENGINE_EV_DOMAIN_CHANGED,
			                        .dom = d,
			                        .pool = pool_find_id(&eng->pools, d->pool_id)});
	}
	free(before);
	reconcile_status(eng);
	r = engine_settle(eng, e);
out:
	free(was.pools);
	free(at);
	return r;
}
