/* The share controller's wiring: each pool's members, their CPU use, and the caps to write. */
#include "poold/shares.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/share.h"
#include "util/log.h"

bool shares_enabled(const struct engine *eng, const struct pool *p)
{
	return eng->cfg.share_control == SHARE_AUTO && !p->share_off;
}

/*
 * The % of one pCPU a domain used between its last sample and its last
 * listing (each domain has its own clock reading: a walk lists them in
 * steps); < 0 = unknown.
 */
static double dom_use(const struct dom *d, uint32_t pool_id)
{
	if (!d->share_sampled || d->share_pool != pool_id || d->cpu_at <= d->share_at ||
	    d->cpu_ns < d->share_ns)
		return -1;
	return 100.0 * (double)(d->cpu_ns - d->share_ns) / (double)(d->cpu_at - d->share_at);
}

/* Takes the sample the next period measures a domain's use from. */
static void sample(struct dom *d)
{
	d->share_ns = d->cpu_ns;
	d->share_at = d->cpu_at;
	d->share_pool = d->pool_id;
	d->share_sampled = true;
}

/* The pool a domain's caps are decided in, or NULL if the controller has no say. */
static struct pool *dom_share_pool(struct engine *eng, const struct dom *d,
                                   const struct sched_params *sp)
{
	struct pool *p;

	if (d->shutdown || !sp->write)
		return NULL;
	p = pool_find_id(&eng->pools, d->pool_id);
	if (p == NULL || cpumap_empty(&p->cpus) || !shares_enabled(eng, p))
		return NULL;
	return p;
}

/* Fills one member from its domain; cap is what was decided for it, if anything. */
static void member_fill(struct share_member *m, const struct dom *d, const struct pool *p,
                        const struct sched_params *sp, double use)
{
	unsigned w = d->weight ? d->weight : DOM_WEIGHT_DEFAULT;
	bool held = p->share.active && d->share_sampled && d->share_pool == p->id;

	*m = (struct share_member){
	    .id = d->domid,
	    .mass = (uint64_t)w * d->nr_vcpus,
	    .vcpus = d->nr_vcpus,
	    .user_cap = d->cap,
	    .base_cap = sp->cap,
	    .nocap = d->domid == 0,
	    .use = use,
	    .cap = held ? d->share_cap : sp->cap,
	    .entitled = held ? d->entitled : -1,
	    .wanting = held && d->share_wanting,
	};
}

/* Runs the controller (period) or checks its caps still apply (between periods) in one pool. */
static size_t pool_apply(struct engine *eng, struct pool *p, struct share_member *m, size_t n,
                         const struct share_tuning *t, bool period)
{
	unsigned ncpus = cpumap_count(&p->cpus);

	if (period)
		return share_step(&p->share, ncpus, p->cap, m, n, t);
	if (p->share.active && (p->share.ncpus != ncpus || p->share.pool_cap != p->cap)) {
		/* The pool changed under its caps: the static ones hold until the next period. */
		log_debug("pool %s changed: share caps lifted until the next period", p->name);
		return share_reset(&p->share, m, n);
	}
	return 0;
}

size_t shares_apply(struct engine *eng, struct sched_params *sp, uint64_t now_ns, bool period)
{
	struct share_member *m = calloc(eng->ndoms + 1, sizeof(*m));
	size_t *idx = calloc(eng->ndoms + 1, sizeof(*idx));
	size_t *start = calloc(eng->pools.n + 1, sizeof(*start));
	size_t changed = 0, k = 0;
	uint64_t window = 0;
	struct share_tuning t;

	if (m == NULL || idx == NULL || start == NULL) {
		/* Nothing decided: the caps weight_compute() gave are written. */
		log_warnx("share controller: out of memory; this period is skipped");
		goto out;
	}
	share_tuning_default(&t);
	/* No time passed (a clock that only moves on request, as xensim's can): nothing to see. */
	if (period && now_ns <= eng->share_now)
		period = false;
	/* Members grouped by pool, in table order: a counting sort of the domains. */
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct pool *p = dom_share_pool(eng, &eng->doms[i], &sp[i]);

		if (p != NULL)
			start[p - eng->pools.pools + 1]++;
	}
	for (size_t j = 0; j < eng->pools.n; j++)
		start[j + 1] += start[j];
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct dom *d = &eng->doms[i];
		struct pool *p = dom_share_pool(eng, d, &sp[i]);
		double use = -1;

		if (period) {
			if (d->share_sampled && d->cpu_at > d->share_at &&
			    d->cpu_at - d->share_at > window)
				window = d->cpu_at - d->share_at;
			d->used = -1;
			if (p != NULL)
				use = d->used = dom_use(d, p->id);
			else
				d->used = dom_use(d, d->share_pool);
			sample(d);
		} else if (!d->share_sampled || d->share_pool != d->pool_id) {
			/* New, or moved: measured in its pool from now on, its static cap till then. */
			sample(d);
			d->share_cap = sp[i].cap;
		}
		if (p == NULL) {
			d->share_cap = 0;
			d->entitled = -1;
			continue;
		}
		k = start[p - eng->pools.pools]++;
		idx[k] = i;
		member_fill(&m[k], d, p, &sp[i], use);
	}
	/* start[j] now ends pool j's members; each pool's run is [end of j-1, end of j). */
	k = 0;
	for (size_t j = 0; j < eng->pools.n; j++) {
		struct pool *p = &eng->pools.pools[j];
		size_t n = start[j] - k;
		unsigned ncpus = cpumap_count(&p->cpus);

		if (!shares_enabled(eng, p) || cpumap_empty(&p->cpus)) {
			memset(&p->share, 0, sizeof(p->share));
			continue;
		}
		changed += pool_apply(eng, p, &m[k], n, &t, period);
		for (size_t q = k; q < start[j]; q++) {
			struct dom *d = &eng->doms[idx[q]];
			unsigned user = cap_effective(d->cap, d->nr_vcpus, ncpus);
			unsigned cap = m[q].cap;

			d->share_cap = p->share.active ? cap : 0;
			d->entitled = p->share.active ? m[q].entitled : -1;
			d->share_wanting = p->share.active && m[q].wanting;
			/* A user cap set since the period bounds the result at once. */
			if (user != 0 && (cap == 0 || cap > user))
				cap = user;
			if (!p->share.active)
				continue;
			sp[idx[q]].cap = cap;
			if (period && cap != d->hv_cap)
				log_debug("pool %s: domain %" PRIu32
				          " (%s) used %.1f %%, wants %s, "
				          "part %.1f %%, cap %u -> %u",
				          p->name, d->domid, d->name, d->used,
				          d->share_wanting ? "more" : "no more", d->entitled,
				          d->hv_cap, cap);
		}
		k = start[j];
	}
	if (period) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		eng->share_mono_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
		eng->share_window_ns = window;
		eng->share_now = now_ns;
		eng->share_periods++;
		eng->share_changes += changed;
	}
out:
	free(m);
	free(idx);
	free(start);
	return changed;
}
