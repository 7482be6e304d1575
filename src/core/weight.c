/* The weight and cap poold writes for each domain, per scheduler. */
#include "core/weight.h"

#include <stdlib.h>
#include <string.h>

static unsigned user_weight(unsigned w)
{
	if (w == 0)
		return DOM_WEIGHT_DEFAULT;
	return w > DOM_WEIGHT_MAX ? DOM_WEIGHT_MAX : w;
}

/*
 * csched_acct() multiplies credit_total * weight * active vCPUs in 32-bit
 * arithmetic; keep that product representable.
 */
unsigned weight_credit1_max(unsigned total_cpus, unsigned dom_vcpus)
{
	uint64_t prod = (uint64_t)CREDIT1_CREDITS_PER_CPU * total_cpus * dom_vcpus;
	uint64_t w;

	if (prod == 0)
		return DOM_WEIGHT_MAX;
	w = UINT32_MAX / prod;
	if (w < DOM_WEIGHT_MIN)
		return DOM_WEIGHT_MIN;
	return w > DOM_WEIGHT_MAX ? DOM_WEIGHT_MAX : (unsigned)w;
}

/* w = clamp(round(256 * A / N * n_P * u_d / U_P), 1, Wmax_d), rounded half up. */
unsigned weight_credit1(unsigned user_weight_in, unsigned n_pool_cpus, uint64_t pool_user_mass,
                        unsigned total_vcpus, unsigned total_cpus, unsigned dom_vcpus)
{
	unsigned wmax = weight_credit1_max(total_cpus, dom_vcpus);
	unsigned u = user_weight(user_weight_in);
	unsigned __int128 num, den;
	uint64_t w;

	/* Nothing to scale against: a pool without vCPUs or a host without pCPUs. */
	if (pool_user_mass == 0 || total_cpus == 0) {
		w = u;
	} else {
		num = (unsigned __int128)256 * total_vcpus * n_pool_cpus * u;
		den = (unsigned __int128)total_cpus * pool_user_mass;
		num = (2 * num + den) / (2 * den);
		w = num > UINT64_MAX ? UINT64_MAX : (uint64_t)num;
	}
	if (w < DOM_WEIGHT_MIN)
		w = DOM_WEIGHT_MIN;
	return w > wmax ? wmax : (unsigned)w;
}

unsigned cap_effective(unsigned user_cap, unsigned vcpus, unsigned n_pool_cpus)
{
	uint64_t limit = 100ULL * (vcpus < n_pool_cpus ? vcpus : n_pool_cpus);

	/* At or above what pinning allows anyway, a cap only costs accounting. */
	if (user_cap == 0 || user_cap >= limit)
		return 0;
	return user_cap > SCHED_CAP_MAX ? SCHED_CAP_MAX : user_cap;
}

/* Per-pool sums over its members. */
struct pool_sum {
	uint64_t mass_credit1; /* sum u_d * a_d over credit1 members */
	uint64_t mass_all;     /* the same over every member poold writes to */
	bool has_credit1;
};

static bool writes_sched(enum sched_kind k)
{
	return k == SCHED_CREDIT || k == SCHED_CREDIT2;
}

void weight_compute(const struct pool_table *t, const struct dom *doms, size_t n,
                    struct sched_params *out)
{
	struct pool_sum *sum = calloc(t->n ? t->n : 1, sizeof(*sum));
	unsigned total_vcpus = 0, total_cpus = 0, online = cpumap_count(&t->online);
	size_t *pidx = calloc(n ? n : 1, sizeof(*pidx));

	if (sum == NULL || pidx == NULL) {
		/* Without memory, write nothing rather than something wrong. */
		for (size_t i = 0; i < n; i++)
			out[i] = (struct sched_params){0};
		free(sum);
		free(pidx);
		return;
	}

	for (size_t i = 0; i < n; i++) {
		const struct dom *d = &doms[i];
		const struct pool *p = pool_find_id(t, d->pool_id);
		uint64_t mass = (uint64_t)user_weight(d->weight) * d->nr_vcpus;

		pidx[i] = p ? (size_t)(p - t->pools) : SIZE_MAX;
		if (p == NULL || !writes_sched(d->sched))
			continue;
		sum[pidx[i]].mass_all += mass;
		if (d->sched == SCHED_CREDIT) {
			sum[pidx[i]].mass_credit1 += mass;
			sum[pidx[i]].has_credit1 = true;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (doms[i].sched == SCHED_CREDIT)
			total_vcpus += doms[i].nr_vcpus;
	for (size_t j = 0; j < t->n; j++)
		if (sum[j].has_credit1)
			total_cpus += cpumap_count(&t->pools[j].cpus);

	for (size_t i = 0; i < n; i++) {
		const struct dom *d = &doms[i];
		const struct pool *p = pidx[i] != SIZE_MAX ? &t->pools[pidx[i]] : NULL;
		const struct pool_sum *ps = p ? &sum[pidx[i]] : NULL;
		unsigned n_p = p ? cpumap_count(&p->cpus) : 0;
		unsigned cap = d->cap;
		struct sched_params *o = &out[i];

		memset(o, 0, sizeof(*o));
		if (!writes_sched(d->sched))
			continue;
		o->write = true;

		if (d->sched == SCHED_CREDIT2) {
			o->weight = user_weight(d->weight);
		} else {
			unsigned w = weight_credit1(d->weight, n_p, ps ? ps->mass_credit1 : 0,
			                            total_vcpus, total_cpus, d->nr_vcpus);
			/* Xen's credit total counts every online pCPU, not only ours. */
			unsigned wmax = weight_credit1_max(online, d->nr_vcpus);

			o->weight = w > wmax ? wmax : w;
		}

		if (p && p->cap > 0 && ps->mass_all > 0) {
			/* share <= p->cap, as a member's mass is part of mass_all. */
			uint64_t share =
			    (uint64_t)((unsigned __int128)p->cap * user_weight(d->weight) *
			               d->nr_vcpus / ps->mass_all);

			if (share == 0)
				share = 1;
			if (cap == 0 || share < cap)
				cap = (unsigned)share;
		}
		o->cap = cap_effective(cap, d->nr_vcpus, n_p);
	}
	free(sum);
	free(pidx);
}
