/* What poold does on request: validate, change the model, make it durable, apply, announce. */
#include "poold/engine.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poold/engine-int.h"
#include "poold/reconcile.h"
#include "poold/saver.h"
#include "poold/shares.h"
#include "poold/state.h"
#include "util/log.h"

/* Copies the pool table, the domains and the records of gone ones. */
int engine_snap_take(const struct engine *eng, struct engine_snap *s)
{
	*s = (struct engine_snap){0};
	s->pools = eng->pools;
	s->pools.pools = calloc(eng->pools.n + 1, sizeof(*s->pools.pools));
	s->doms = calloc(eng->ndoms + 1, sizeof(*s->doms));
	s->saved = calloc(eng->nsaved + 1, sizeof(*s->saved));
	if (s->pools.pools == NULL || s->doms == NULL || s->saved == NULL) {
		free(s->pools.pools);
		free(s->doms);
		free(s->saved);
		return -ENOMEM;
	}
	memcpy(s->pools.pools, eng->pools.pools, eng->pools.n * sizeof(*s->pools.pools));
	s->pools.alloc = eng->pools.n + 1;
	if (eng->ndoms > 0)
		memcpy(s->doms, eng->doms, eng->ndoms * sizeof(*s->doms));
	s->ndoms = eng->ndoms;
	if (eng->nsaved > 0)
		memcpy(s->saved, eng->saved, eng->nsaved * sizeof(*s->saved));
	s->nsaved = eng->nsaved;
	s->state_dirty = eng->state_dirty;
	return 0;
}

void engine_snap_drop(struct engine_snap *s)
{
	free(s->pools.pools);
	free(s->doms);
	free(s->saved);
	free(s->default_was);
}

/* Puts default_pool back as it was before a rename made it follow; takes was. */
static void default_restore(struct engine *eng, char *was)
{
	if (was == NULL)
		return;
	free(eng->cfg.default_pool);
	eng->cfg.default_pool = was;
}

void engine_snap_restore(struct engine *eng, struct engine_snap *s)
{
	free(eng->pools.pools);
	eng->pools = s->pools;
	/* A host without domains or records has no arrays to copy into (memcpy wants them). */
	if (s->ndoms > 0)
		memcpy(eng->doms, s->doms, s->ndoms * sizeof(*s->doms));
	if (s->nsaved > 0)
		memcpy(eng->saved, s->saved, s->nsaved * sizeof(*s->saved));
	default_restore(eng, s->default_was);
	eng->state_dirty = s->state_dirty;
	free(s->doms);
	free(s->saved);
}

/* Notes, in the commit c, each domain setting the change altered, as it was before. */
static int commit_undo(struct engine_commit *c, const struct engine_snap *s,
                       const struct engine *eng)
{
	c->undo = calloc(s->ndoms + s->nsaved + 1, sizeof(*c->undo));
	if (c->undo == NULL)
		return -ENOMEM;
	/* Records of gone domains: only pool-rename changes them, and only their want. */
	for (size_t i = 0; i < s->nsaved && i < eng->nsaved; i++) {
		struct dom_undo *u;

		if (strcmp(s->saved[i].want, eng->saved[i].want) == 0)
			continue;
		u = &c->undo[c->nundo++];
		memcpy(u->uuid, s->saved[i].uuid, sizeof(u->uuid));
		memcpy(u->want, s->saved[i].want, sizeof(u->want));
		u->weight = s->saved[i].weight;
		u->cap = s->saved[i].cap;
	}
	/* Nothing rescans inside a request: the domains are where the snapshot had them. */
	for (size_t i = 0; i < s->ndoms && i < eng->ndoms; i++) {
		const struct dom *was = &s->doms[i], *now = &eng->doms[i];
		struct dom_undo *u;

		if (strcmp(was->want, now->want) == 0 && was->weight == now->weight &&
		    was->cap == now->cap)
			continue;
		u = &c->undo[c->nundo++];
		memcpy(u->uuid, was->uuid, sizeof(u->uuid));
		memcpy(u->want, was->want, sizeof(u->want));
		u->weight = was->weight;
		u->cap = was->cap;
	}
	return 0;
}

/*
 * Hands a model change to the writer (group commit): the request is
 * answered once it is durable (ENGINE_EV_DURABLE), or undone with the others
 * not durable yet should the write fail (engine_saved()).
 */
static int engine_commit_async(struct engine *eng, struct engine_snap *s, struct perr *e)
{
	struct state_image *img = reconcile_image(eng);
	struct engine_commit *c;

	if (img != NULL && eng->ncommits == eng->acommits) {
		size_t a = eng->acommits > 0 ? 2 * eng->acommits : 8;

		c = realloc(eng->commits, a * sizeof(*c));
		if (c != NULL) {
			eng->commits = c;
			eng->acommits = a;
		}
	}
	if (img == NULL || eng->ncommits == eng->acommits) {
		state_image_free(img);
		engine_snap_restore(eng, s);
		return perr_set(e, POOLD_E_STATE, "the change was not saved: out of memory");
	}
	c = &eng->commits[eng->ncommits];
	*c = (struct engine_commit){.pools = s->pools};
	if (commit_undo(c, s, eng) < 0) {
		state_image_free(img);
		engine_snap_restore(eng, s);
		return perr_set(e, POOLD_E_STATE, "the change was not saved: out of memory");
	}
	free(s->doms);
	free(s->saved);
	c->default_was = s->default_was;
	c->seq = saver_submit(eng->saver, img);
	eng->ncommits++;
	eng->commit_seq = c->seq;
	eng->state_dirty = false;
	return 0;
}

/* Adds a pool's entry to a plan; NULL: no memory. */
static struct engine_plan_pool *plan_pool_add(struct engine_plan *pl)
{
	struct engine_plan_pool *p = realloc(pl->pools, (pl->npools + 1) * sizeof(*p));

	if (p == NULL)
		return NULL;
	pl->pools = p;
	p = &pl->pools[pl->npools++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Whether a pool's saved settings differ (what pool-changed announces). */
static bool pool_differs(const struct pool *a, const struct pool *b)
{
	return strcmp(a->name, b->name) != 0 || !cpumap_equal(&a->cpus, &b->cpus) ||
	       a->cap != b->cap || a->share_off != b->share_off;
}

/* The pools of the plan: those the model changed against the snapshot's, in pool-changed's order. */
static int plan_pools(const struct engine *eng, const struct engine_snap *s, struct engine_plan *pl)
{
	struct engine_plan_pool *pp;

	for (size_t i = 0; i < s->pools.n; i++) {
		const struct pool *was = &s->pools.pools[i];

		if (pool_find_id(&eng->pools, was->id) != NULL)
			continue;
		if ((pp = plan_pool_add(pl)) == NULL)
			return -ENOMEM;
		snprintf(pp->name, sizeof(pp->name), "%s", was->name);
		pp->action = "destroyed";
		pp->lost = was->cpus;
	}
	for (size_t i = 0; i < eng->pools.n; i++) {
		const struct pool *p = &eng->pools.pools[i], *was = pool_find_id(&s->pools, p->id);

		if (was != NULL && !pool_differs(p, was))
			continue;
		if ((pp = plan_pool_add(pl)) == NULL)
			return -ENOMEM;
		snprintf(pp->name, sizeof(pp->name), "%s", p->name);
		pp->action = was != NULL ? "modified" : "created";
		pp->cpus = p->cpus;
		pp->cap = p->cap;
		pp->share_off = p->share_off;
		pp->gained = p->cpus;
		if (was != NULL) {
			cpumap_andnot(&pp->gained, &p->cpus, &was->cpus);
			cpumap_andnot(&pp->lost, &was->cpus, &p->cpus);
		}
	}
	return 0;
}

/* Whether the plan's writes touch a domain. */
static bool plan_writes_dom(const struct plan *w, uint32_t domid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->ops[i].domid == domid)
			return true;
	return false;
}

/* The name of pool id in t, "" when there is none. */
static const char *pool_name_of(const struct pool_table *t, uint32_t id)
{
	const struct pool *p = pool_find_id(t, id);

	return p != NULL ? p->name : "";
}

/*
 * Fills eng->dry from the model as a change left it against the snapshot:
 * its pools, the settle's writes (the preview places the domains), then
 * the domains moved, set or re-pinned.
 */
static int plan_fill(struct engine *eng, const struct engine_snap *s, struct perr *e)
{
	struct engine_plan *pl = eng->dry;
	int r;

	if (plan_pools(eng, s, pl) < 0)
		return perr_set(e, -ENOMEM, "out of memory");
	if ((r = reconcile_preview(eng, &pl->writes, e)) != 0)
		return r;
	/* Nothing rescans inside a request: the domains are where the snapshot had them. */
	for (size_t i = 0; i < eng->ndoms && i < s->ndoms; i++) {
		const struct dom *d = &eng->doms[i], *was = &s->doms[i];
		struct engine_plan_dom *pd;

		if (d->pool_id == was->pool_id && d->weight == was->weight && d->cap == was->cap &&
		    strcmp(d->want, was->want) == 0 && !plan_writes_dom(&pl->writes, d->domid))
			continue;
		pd = realloc(pl->doms, (pl->ndoms + 1) * sizeof(*pd));
		if (pd == NULL)
			return perr_set(e, -ENOMEM, "out of memory");
		pl->doms = pd;
		pd = &pl->doms[pl->ndoms++];
		memset(pd, 0, sizeof(*pd));
		pd->domid = d->domid;
		snprintf(pd->name, sizeof(pd->name), "%s", d->name);
		snprintf(pd->pool_was, sizeof(pd->pool_was), "%s",
		         pool_name_of(&s->pools, was->pool_id));
		snprintf(pd->pool, sizeof(pd->pool), "%s", pool_name_of(&eng->pools, d->pool_id));
		pd->weight = d->weight;
		pd->cap = d->cap;
	}
	return 0;
}

void engine_dry_run(struct engine *eng, struct engine_plan *plan)
{
	eng->dry = plan;
}

void engine_plan_fini(struct engine_plan *plan)
{
	free(plan->pools);
	free(plan->doms);
	plan_fini(&plan->writes);
	memset(plan, 0, sizeof(*plan));
}

int engine_commit_change(struct engine *eng, struct engine_snap *s, struct perr *e)
{
	int r;

	if (eng->dry != NULL) {
		/* A dry run: the plan of the change, then the model as it was. */
		r = plan_fill(eng, s, e);
		engine_snap_restore(eng, s);
		eng->dry = NULL;
		return r != 0 ? r : ENGINE_DRY;
	}
	eng->generation++;
	if (eng->saver != NULL)
		return engine_commit_async(eng, s, e);
	r = reconcile_save(eng, e);
	if (r != 0) {
		log_warnx("%s", e != NULL ? e->msg : "state file not written");
		engine_snap_restore(eng, s);
		/* The file may hold the refused change already (renamed, the directory
		 * not synced): the next save must write the rolled-back model. */
		eng->state_dirty = true;
		return r;
	}
	engine_snap_drop(s);
	return 0;
}

/*
 * Announces a pool's change, and pool0's when its pCPUs moved with it
 * (they come from and go back to pool0), before the settle that follows:
 * subscribers hear of a pool before the domains placed into it.
 */
static void engine_pool_event(struct engine *eng, const char *name, const char *action,
                              const struct cpumap *pool0_was)
{
	const struct pool *p0 = pool_find_id(&eng->pools, POOL0_ID);

	reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_POOL_CHANGED,
	                                           .pool_name = name,
	                                           .action = action,
	                                           .pool = pool_find(&eng->pools, name)});
	if (p0 != NULL && strcmp(name, p0->name) != 0 && !cpumap_equal(&p0->cpus, pool0_was))
		reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_POOL_CHANGED,
		                                           .pool_name = p0->name,
		                                           .action = "modified",
		                                           .pool = p0});
	reconcile_status(eng);
}

/* pool0's pCPUs now, to tell afterwards whether a change moved them. */
static struct cpumap pool0_cpus(const struct engine *eng)
{
	const struct pool *p0 = pool_find_id(&eng->pools, POOL0_ID);

	return p0 != NULL ? p0->cpus : (struct cpumap){0};
}

/* Finds a pool, or says how to list them. */
static struct pool *engine_pool_find(struct engine *eng, const char *name, struct perr *e)
{
	struct pool *p = pool_find(&eng->pools, name);

	if (p == NULL)
		perr_set(e, POOLD_E_NOTFOUND, "no pool named \"%.64s\": see poolctl pool-list",
		         name);
	return p;
}

int engine_pool_create(struct engine *eng, const char *name, const struct pool_cpus_spec *spec,
                       unsigned cap, int share, struct perr *e)
{
	struct pool *p;
	struct cpumap cpus, was;
	struct engine_snap s;
	int r;

	if (!pool_name_valid(name))
		return perr_set(
		    e, POOLD_E_INVALID,
		    "\"%.64s\" is not a valid pool name: use 1 to 64 of A-Z a-z 0-9 _ . -", name);
	if (pool_find(&eng->pools, name) != NULL)
		return perr_set(e, POOLD_E_EXISTS,
		                "pool \"%s\" already exists: pick another name, or change it with "
		                "pool-modify",
		                name);
	r = pool_resolve_cpus(&eng->pools, eng->topo, NULL, spec, &cpus, e);
	if (r != 0)
		return r;
	was = pool0_cpus(eng);
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	r = pool_create(&eng->pools, name, &cpus, cap, &p, e);
	if (r != 0) {
		engine_snap_drop(&s);
		return r;
	}
	p->share_off = share == SHARE_OFF;
	if ((r = engine_commit_change(eng, &s, e)) != 0)
		return r == ENGINE_DRY ? 0 : r;
	log_about(LOG_LEVEL_NOTICE, -1, name, "pool %s created", name);
	engine_pool_event(eng, name, "created", &was);
	/* Misplaced domains that wanted this pool move in now. */
	return engine_settle(eng, e);
}

int engine_pool_modify(struct engine *eng, const char *name, const struct pool_cpus_spec *spec,
                       int cap, int share, struct perr *e)
{
	struct cpumap cpus, was;
	struct pool *p;
	struct engine_snap s;
	int r;

	if ((p = engine_pool_find(eng, name, e)) == NULL)
		return POOLD_E_NOTFOUND;
	if (spec == NULL && cap < 0 && share < 0)
		return perr_set(e, POOLD_E_INVALID,
		                "nothing to change for pool %s: give ncpu=N, cpu=LIST, cap=C or "
		                "share=auto|off",
		                name);
	if (spec != NULL && p->id == POOL0_ID)
		return perr_set(
		    e, POOLD_E_PROTECTED,
		    "pool0 can't be resized directly: it holds every pCPU no other pool "
		    "has; create, resize or destroy other pools instead");
	if (spec != NULL) {
		r = pool_resolve_cpus(&eng->pools, eng->topo, p, spec, &cpus, e);
		if (r != 0)
			return r;
	}
	was = pool0_cpus(eng);
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	if (spec != NULL) {
		r = pool_resize(&eng->pools, name, &cpus, engine_pool_members(eng, p->id), e);
		if (r != 0) {
			engine_snap_drop(&s);
			return r;
		}
	}
	if (cap >= 0)
		pool_find(&eng->pools, name)->cap = (unsigned)cap;
	if (share >= 0)
		pool_find(&eng->pools, name)->share_off = share == SHARE_OFF;
	if ((r = engine_commit_change(eng, &s, e)) != 0)
		return r == ENGINE_DRY ? 0 : r;
	log_about(LOG_LEVEL_NOTICE, -1, name, "pool %s modified", name);
	engine_pool_event(eng, name, "modified", &was);
	return engine_settle(eng, e);
}

int engine_pool_destroy(struct engine *eng, const char *name, bool force, struct perr *e)
{
	struct cpumap was;
	struct pool *p;
	struct engine_snap s;
	size_t members;
	uint32_t id;
	int r;

	if ((p = engine_pool_find(eng, name, e)) == NULL)
		return POOLD_E_NOTFOUND;
	if (p->id == POOL0_ID)
		return perr_set(e, POOLD_E_PROTECTED,
		                "pool0 can't be destroyed: it holds dom0 and every free pCPU");
	id = p->id;
	members = engine_pool_members(eng, id);
	if (members > 0 && !force)
		return perr_set(e, POOLD_E_BUSY,
		                "pool %s has %zu domain%s: move them with pool-migrate, or use "
		                "--force to move them to pool0",
		                name, members, members == 1 ? "" : "s");
	was = pool0_cpus(eng);
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	/* Wanting pool0 keeps them there even if a pool of this name comes back. */
	for (size_t i = 0; i < eng->ndoms; i++)
		if (eng->doms[i].pool_id == id)
			snprintf(eng->doms[i].want, sizeof(eng->doms[i].want), "%s", POOL0_NAME);
	r = pool_destroy(&eng->pools, name, 0, e);
	if (r != 0) {
		engine_snap_restore(eng, &s);
		return r;
	}
	if ((r = engine_commit_change(eng, &s, e)) != 0)
		return r == ENGINE_DRY ? 0 : r;
	log_about(LOG_LEVEL_NOTICE, -1, name, "pool %s destroyed%s", name,
	          members > 0 ? ", its domains moved to pool0" : "");
	/* Its members are placed in pool0 by the settle, announced after the pool. */
	engine_pool_event(eng, name, "destroyed", &was);
	return engine_settle(eng, e);
}

int engine_pool_rename(struct engine *eng, const char *name, const char *new_name, char *warning,
                       size_t warnlen, struct perr *e)
{
	struct pool *p;
	struct engine_snap s;
	size_t follow = 0;
	int r;

	if (warnlen > 0)
		warning[0] = '\0';
	if ((p = engine_pool_find(eng, name, e)) == NULL)
		return POOLD_E_NOTFOUND;
	/* Already so named: nothing to change, nothing written, nothing announced. */
	if (strcmp(name, new_name) == 0)
		return 0;
	if (p->id == POOL0_ID)
		/* doc/design.md, invariant 2: the state file and every tool find it so. */
		return perr_set(e, POOLD_E_PROTECTED,
		                "pool0 can't be renamed: it always holds dom0 and every free pCPU "
		                "under that name; rename other pools");
	if (!pool_name_valid(new_name))
		return perr_set(
		    e, POOLD_E_INVALID,
		    "\"%.64s\" is not a valid pool name: use 1 to 64 of A-Z a-z 0-9 _ . -",
		    new_name);
	if (pool_find(&eng->pools, new_name) != NULL)
		return perr_set(
		    e, POOLD_E_EXISTS,
		    "pool \"%s\" already exists: pick another name, or destroy that pool "
		    "first",
		    new_name);
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	p = pool_find(&eng->pools, name);
	snprintf(p->name, sizeof(p->name), "%s", new_name);
	/*
	 * What wanted the pool wants it under its new name, live domains and the
	 * records of gone ones alike: a guest that reboots comes back to it. The
	 * key a domain's want came from stays as the toolstack wrote it (key_seen):
	 * acted on already, it moves nothing until it changes (poold(8), PLACEMENT).
	 */
	for (size_t i = 0; i < eng->ndoms; i++)
		if (strcmp(eng->doms[i].want, name) == 0) {
			snprintf(eng->doms[i].want, sizeof(eng->doms[i].want), "%s", new_name);
			follow++;
		}
	for (size_t i = 0; i < eng->nsaved; i++)
		if (strcmp(eng->saved[i].want, name) == 0) {
			snprintf(eng->saved[i].want, sizeof(eng->saved[i].want), "%s", new_name);
			follow++;
		}
	/* Domains placed by default stay: default_pool follows until the config is read again. */
	if (eng->cfg.default_pool != NULL && strcmp(eng->cfg.default_pool, name) == 0) {
		char *now = strdup(new_name);

		if (now == NULL) {
			engine_snap_restore(eng, &s);
			return perr_set(e, -ENOMEM, "out of memory");
		}
		s.default_was = eng->cfg.default_pool;
		eng->cfg.default_pool = now;
		snprintf(
		    warning, warnlen,
		    "default_pool names \"%s\": poold uses \"%s\" until it reads its "
		    "configuration again; set default_pool = %s in poold.conf (or --default-pool)",
		    name, new_name, new_name);
	}
	if ((r = engine_commit_change(eng, &s, e)) != 0)
		return r == ENGINE_DRY ? 0 : r;
	log_about(LOG_LEVEL_NOTICE, -1, new_name,
	          "pool %s renamed to %s, id %" PRIu32 ", %zu domain record%s follow%s", name,
	          new_name, p->id, follow, follow == 1 ? "" : "s", follow == 1 ? "s" : "");
	if (warning[0] != '\0')
		log_about(LOG_LEVEL_WARNING, -1, new_name, "%s", warning);
	reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_POOL_CHANGED,
	                                           .pool_name = new_name,
	                                           .action = "renamed",
	                                           .renamed_from = name,
	                                           .pool = p});
	reconcile_status(eng);
	/* Misplaced domains that wanted the new name move in now, as on pool-create. */
	return engine_settle(eng, e);
}

int engine_pool_migrate_all(struct engine *eng, const char *from, const char *to, uint32_t *moved,
                            size_t *nmoved, struct perr *e)
{
	const struct pool *f, *t;
	struct engine_snap s;
	size_t n = 0;
	int r;

	*nmoved = 0;
	if ((f = engine_pool_find(eng, from, e)) == NULL)
		return POOLD_E_NOTFOUND;
	if ((t = engine_pool_find(eng, to, e)) == NULL)
		return POOLD_E_NOTFOUND;
	if (f == t)
		return 0;
	if (cpumap_empty(&t->cpus))
		return perr_set(e, POOLD_E_NOCPU,
		                "pool %s has no pCPUs: give it some first (poolctl pool-modify %s "
		                "ncpu=N)",
		                t->name, t->name);
	for (size_t i = 0; i < eng->ndoms; i++)
		n += eng->doms[i].pool_id == f->id && eng->doms[i].domid != 0;
	if (n == 0)
		return 0;
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	/* One change for all: one save, one reply; dom0 stays in pool0 (invariant 5). */
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct dom *d = &eng->doms[i];

		if (d->pool_id != f->id || d->domid == 0)
			continue;
		snprintf(d->want, sizeof(d->want), "%s", to);
		moved[(*nmoved)++] = d->domid;
	}
	if ((r = engine_commit_change(eng, &s, e)) != 0) {
		/* A dry run reports what would move; a refused change moved nothing. */
		if (r == ENGINE_DRY)
			return 0;
		*nmoved = 0;
		return r;
	}
	log_about(LOG_LEVEL_NOTICE, -1, to, "%zu domain%s of %s migrate%s to %s", n,
	          n == 1 ? "" : "s", from, n == 1 ? "s" : "", to);
	/* Each as pool-migrate logs it, for the journal's fields of that domain. */
	for (size_t k = 0; k < *nmoved; k++) {
		struct dom *d = NULL;

		for (size_t i = 0; i < eng->ndoms && d == NULL; i++)
			if (eng->doms[i].domid == moved[k])
				d = &eng->doms[i];
		if (d != NULL)
			log_about(LOG_LEVEL_NOTICE, d->domid, to,
			          "domain %" PRIu32 " (%s) migrates to %s", d->domid, d->name, to);
	}
	return engine_settle(eng, e);
}

int engine_domain_find(struct engine *eng, const char *ref, struct dom **out, struct perr *e)
{
	bool numeric = ref[0] != '\0';

	for (const char *c = ref; *c != '\0'; c++)
		numeric &= isdigit((unsigned char)*c) != 0;
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct dom *d = &eng->doms[i];

		if ((numeric && strtoul(ref, NULL, 10) == d->domid && strlen(ref) < 11) ||
		    (!numeric && strcmp(ref, d->name) == 0)) {
			*out = d;
			return 0;
		}
	}
	/* A domain may be named with digits only; try the names too. */
	for (size_t i = 0; numeric && i < eng->ndoms; i++) {
		if (strcmp(ref, eng->doms[i].name) == 0) {
			*out = &eng->doms[i];
			return 0;
		}
	}
	return perr_set(e, POOLD_E_NOTFOUND,
	                "no domain \"%.64s\": give a name or domid shown by poolctl domain-list",
	                ref);
}

int engine_domain_migrate(struct engine *eng, const char *ref, const char *pool, struct perr *e)
{
	const struct pool *p;
	struct dom *d;
	struct engine_snap s;
	uint32_t domid;
	int r;

	if ((r = engine_domain_find(eng, ref, &d, e)) != 0)
		return r;
	if (d->domid == 0)
		return perr_set(e, POOLD_E_PROTECTED, "domain 0 always stays in pool0");
	if ((p = engine_pool_find(eng, pool, e)) == NULL)
		return POOLD_E_NOTFOUND;
	if (cpumap_empty(&p->cpus))
		return perr_set(e, POOLD_E_NOCPU,
		                "pool %s has no pCPUs: give it some first (poolctl pool-modify %s "
		                "ncpu=N)",
		                p->name, p->name);
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	domid = d->domid;
	snprintf(d->want, sizeof(d->want), "%s", pool);
	if ((r = engine_commit_change(eng, &s, e)) != 0)
		return r == ENGINE_DRY ? 0 : r;
	log_about(LOG_LEVEL_NOTICE, domid, pool, "domain %" PRIu32 " (%s) migrates to %s", domid,
	          d->name, pool);
	return engine_settle(eng, e);
}

int engine_domain_set(struct engine *eng, const char *ref, int weight, int cap, struct perr *e)
{
	struct dom *d;
	struct engine_snap s;
	int r;

	if ((r = engine_domain_find(eng, ref, &d, e)) != 0)
		return r;
	if (weight < 0 && cap < 0)
		return perr_set(e, POOLD_E_INVALID,
		                "nothing to change: give weight=W and/or cap=C");
	if (weight >= 0 && (weight < DOM_WEIGHT_MIN || weight > DOM_WEIGHT_MAX))
		return perr_set(e, POOLD_E_INVALID,
		                "weight %d is out of range: use 1..65535 (256 is the default)",
		                weight);
	if (cap >= 0 && (unsigned)cap > 100 * d->nr_vcpus)
		return perr_set(e, POOLD_E_INVALID,
		                "cap %d is out of range for %s (%u vCPUs): use 0 (no cap) to %u "
		                "(%% of one pCPU)",
		                cap, d->name, d->nr_vcpus, 100 * d->nr_vcpus);
	if ((r = engine_snap_take(eng, &s)) < 0)
		return perr_set(e, r, "out of memory");
	if (weight >= 0)
		d->weight = (unsigned)weight;
	if (cap >= 0)
		d->cap = (unsigned)cap;
	if ((r = engine_commit_change(eng, &s, e)) != 0)
		return r == ENGINE_DRY ? 0 : r;
	const struct pool *in = pool_find_id(&eng->pools, d->pool_id);

	log_about(LOG_LEVEL_NOTICE, d->domid, in != NULL ? in->name : NULL,
	          "domain %" PRIu32 " (%s): weight %u cap %u", d->domid, d->name, d->weight,
	          d->cap);
	reconcile_emit(
	    eng, &(struct engine_event){.kind = ENGINE_EV_DOMAIN_CHANGED, .dom = d, .pool = in});
	return engine_settle(eng, e);
}

void engine_set_log_level(struct engine *eng, int level)
{
	log_set_level(level);
	log_notice("log level set to %s", log_level_name(level));
	reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_LOG_LEVEL, .level = level});
}

size_t engine_pool_members(const struct engine *eng, uint32_t pool_id)
{
	size_t n = 0;

	for (size_t i = 0; i < eng->ndoms; i++)
		n += eng->doms[i].pool_id == pool_id;
	return n;
}

enum engine_share_state engine_pool_share_state(const struct engine *eng, const struct pool *p)
{
	if (!shares_enabled(eng, p) || cpumap_empty(&p->cpus))
		return ENGINE_SHARE_OFF;
	if (!p->share.active)
		return ENGINE_SHARE_IDLE;
	return p->share.grace ? ENGINE_SHARE_GRACE : ENGINE_SHARE_ACTIVE;
}

double engine_share_saturated(void)
{
	struct share_tuning t;

	share_tuning_default(&t);
	return t.saturated;
}

enum sched_kind engine_pool_sched(const struct engine *eng, const struct pool *p)
{
	/* Members report the scheduler of their Xen cpupool; a pool without any uses cpupool 0's. */
	for (size_t i = 0; i < eng->ndoms; i++)
		if (eng->doms[i].pool_id == p->id && eng->doms[i].sched != SCHED_UNKNOWN)
			return eng->doms[i].sched;
	return eng->sched0;
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

static void commit_free(struct engine_commit *c)
{
	free(c->pools.pools);
	free(c->undo);
	free(c->default_was);
}

/* Puts back a domain setting a request changed, wherever the domain's record is now. */
static void undo_one(struct engine *eng, const struct dom_undo *u)
{
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct dom *d = &eng->doms[i];

		if (memcmp(d->uuid, u->uuid, sizeof(u->uuid)) != 0)
			continue;
		memcpy(d->want, u->want, sizeof(d->want));
		d->weight = u->weight;
		d->cap = u->cap;
		return;
	}
	for (size_t i = 0; i < eng->nsaved; i++) {
		struct state_dom *rec = &eng->saved[i];

		if (memcmp(rec->uuid, u->uuid, sizeof(u->uuid)) != 0)
			continue;
		memcpy(rec->want, u->want, sizeof(rec->want));
		rec->weight = u->weight;
		rec->cap = u->cap;
		return;
	}
}

void engine_announce_pools(struct engine *eng, const struct pool_table *was)
{
	for (size_t i = 0; i < was->n; i++)
		if (pool_find_id(&eng->pools, was->pools[i].id) == NULL)
			reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_POOL_CHANGED,
			                                           .pool_name = was->pools[i].name,
			                                           .action = "destroyed"});
	for (size_t i = 0; i < eng->pools.n; i++) {
		const struct pool *p = &eng->pools.pools[i], *q = pool_find_id(was, p->id);

		if (q != NULL && strcmp(p->name, q->name) == 0 &&
		    cpumap_equal(&p->cpus, &q->cpus) && p->cap == q->cap &&
		    p->share_off == q->share_off)
			continue;
		/* A pool that only changed its name (a rename undone) says so. */
		if (q != NULL && strcmp(p->name, q->name) != 0 &&
		    cpumap_equal(&p->cpus, &q->cpus) && p->cap == q->cap &&
		    p->share_off == q->share_off) {
			reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_POOL_CHANGED,
			                                           .pool_name = p->name,
			                                           .action = "renamed",
			                                           .renamed_from = q->name,
			                                           .pool = p});
			continue;
		}
		reconcile_emit(eng,
		               &(struct engine_event){.kind = ENGINE_EV_POOL_CHANGED,
		                                      .pool_name = p->name,
		                                      .action = q != NULL ? "modified" : "created",
		                                      .pool = p});
	}
}

/*
 * Announces an undo: the pools as they are again (was: the table undone),
 * then each live domain whose weight or cap went back (settings: what they
 * were before, by index; NULL when there was no memory to keep them).
 */
static void announce_undone(struct engine *eng, const struct pool_table *was,
                            const struct dom_undo *settings)
{
	engine_announce_pools(eng, was);
	for (size_t i = 0; settings != NULL && i < eng->ndoms; i++) {
		const struct dom *d = &eng->doms[i];

		if (d->weight != settings[i].weight || d->cap != settings[i].cap)
			reconcile_emit(eng, &(struct engine_event){
			                        .kind = ENGINE_EV_DOMAIN_CHANGED,
			                        .dom = d,
			                        .pool = pool_find_id(&eng->pools, d->pool_id)});
	}
}

void engine_saved(void *arg, uint64_t seq, int err, const char *msg)
{
	struct engine *eng = arg;
	struct dom_undo *settings;
	struct pool_table undone;
	struct perr e = {0};
	uint64_t upto;
	size_t k = 0;

	if (err == 0) {
		eng->state_saves++;
		while (k < eng->ncommits && eng->commits[k].seq <= seq)
			commit_free(&eng->commits[k++]);
		if (k == 0)
			return;
		eng->ncommits -= k;
		memmove(eng->commits, eng->commits + k, eng->ncommits * sizeof(*eng->commits));
		reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_DURABLE, .seq = seq});
		return;
	}
	log_warnx("%s", msg);
	/* What that write held is written again with the next change. */
	eng->state_dirty = true;
	if (eng->ncommits == 0)
		return;
	/*
	 * Every request's change not durable yet is undone, the newest first:
	 * the failed write held them, or the ones after it build on them.
	 */
	upto = eng->commits[eng->ncommits - 1].seq;
	settings = calloc(eng->ndoms + 1, sizeof(*settings));
	for (size_t i = 0; settings != NULL && i < eng->ndoms; i++)
		settings[i] =
		    (struct dom_undo){.weight = eng->doms[i].weight, .cap = eng->doms[i].cap};
	for (size_t i = eng->ncommits; i-- > 0;) {
		for (size_t j = 0; j < eng->commits[i].nundo; j++)
			undo_one(eng, &eng->commits[i].undo[j]);
		default_restore(eng, eng->commits[i].default_was);
		eng->commits[i].default_was = NULL;
	}
	undone = eng->pools;
	eng->pools = eng->commits[0].pools;
	eng->commits[0].pools.pools = NULL;
	/* Subscribers were told of the changes: they hear of their undoing too. */
	announce_undone(eng, &undone, settings);
	free(undone.pools);
	free(settings);
	log_warnx("%zu change%s not saved, undone (the state file says what poold does)",
	          eng->ncommits, eng->ncommits == 1 ? "" : "s");
	for (size_t i = 0; i < eng->ncommits; i++)
		commit_free(&eng->commits[i]);
	eng->ncommits = 0;
	eng->generation++;
	/* The file must say the rolled-back model, and the hypervisor have it. */
	reconcile_save_due(eng);
	if (engine_settle(eng, &e) != 0)
		log_warnx("after undoing: %s", e.msg);
	reconcile_emit(eng,
	               &(struct engine_event){.kind = ENGINE_EV_UNDONE, .seq = upto, .msg = msg});
	reconcile_status(eng);
}

/* The monotonic clock, in us. */
static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t engine_commit_seq(const struct engine *eng)
{
	return eng->commit_seq;
}

uint64_t engine_durable_seq(const struct engine *eng)
{
	return eng->saver != NULL ? saver_durable(eng->saver) : eng->commit_seq;
}

void engine_saver_attach(struct engine *eng, struct saver *s)
{
	eng->saver = s;
}

void engine_note(struct engine *eng, enum engine_cause cause)
{
	eng->causes |= cause;
}

uint64_t engine_generation(const struct engine *eng)
{
	return eng->generation;
}

void engine_stats(const struct engine *eng, struct engine_stats *out)
{
	*out = (struct engine_stats){
	    .backend = eng->cfg.hv_backend != NULL ? eng->cfg.hv_backend : "",
	    .pools = eng->pools.n,
	    .domains = eng->ndoms,
	    .hv_writes = eng->hv_writes,
	    .hv_reads = eng->hv_reads,
	    .ready = eng->ready,
	    .share_control = eng->cfg.share_control,
	    .share_period_ms =
	        eng->cfg.share_period_ms > 0 ? (unsigned)eng->cfg.share_period_ms : 0,
	    .share_periods = eng->share_periods,
	    .share_changes = eng->share_changes,
	    .share_pass_us = eng->share_pass_us,
	    .state_saves = eng->state_saves,
	    .share_window_us = eng->share_window_ns / 1000,
	    .share_age_us = eng->share_mono_us > 0 ? mono_us() - eng->share_mono_us : UINT64_MAX,
	    .pending = reconcile_pending(eng),
	};
}
