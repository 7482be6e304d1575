/* The weight and cap poold writes for each domain, per scheduler. */
#include "core/weight.h"

#include <errno.h>
#include <math.h>
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
	uint64_t scale_q; /* the credit1 scale in 32.32 fixed point */
	unsigned ncpus;   /* the pool's pCPUs, counted once a pass */
};

/* What the credit1 scales are computed from: the pool sums and the host's totals. */
struct host_sum {
	struct pool_sum *sum; /* one per pool */
	size_t *pidx;         /* each domain's pool index, SIZE_MAX for none */
	unsigned total_vcpus; /* A */
	unsigned total_cpus;  /* N */
	unsigned credit_cpus; /* the pCPUs of credit1's credit total: all online ones */
};

static bool writes_sched(enum sched_kind k)
{
	return k == SCHED_CREDIT || k == SCHED_CREDIT2;
}

static void host_sum_fini(struct host_sum *h)
{
	free(h->sum);
	free(h->pidx);
}

/* Sums masses per pool and counts A and N; -ENOMEM leaves nothing to free. */
static int host_sum_init(struct host_sum *h, const struct pool_table *t, const struct dom *doms,
                         size_t n)
{
	unsigned online = cpumap_count(&t->online);

	memset(h, 0, sizeof(*h));
	h->sum = calloc(t->n ? t->n : 1, sizeof(*h->sum));
	h->pidx = calloc(n ? n : 1, sizeof(*h->pidx));
	if (h->sum == NULL || h->pidx == NULL) {
		host_sum_fini(h);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dom *d = &doms[i];
		const struct pool *p = pool_find_id(t, d->pool_id);
		uint64_t mass = (uint64_t)user_weight(d->weight) * d->nr_vcpus;
		size_t j = p ? (size_t)(p - t->pools) : SIZE_MAX;

		h->pidx[i] = j;
		if (d->sched == SCHED_CREDIT)
			h->total_vcpus += d->nr_vcpus;
		if (p == NULL || !writes_sched(d->sched))
			continue;
		h->sum[j].mass_all += mass;
		if (d->sched == SCHED_CREDIT) {
			h->sum[j].mass_credit1 += mass;
			h->sum[j].has_credit1 = true;
		}
	}
	for (size_t j = 0; j < t->n; j++) {
		h->sum[j].ncpus = cpumap_count(&t->pools[j].cpus);
		if (h->sum[j].has_credit1)
			h->total_cpus += h->sum[j].ncpus;
	}
	h->credit_cpus = online > h->total_cpus ? online : h->total_cpus;
	return 0;
}

/* The ideal credit1 scale of pool j, K * n_P / U_P; 1 with nothing to scale against. */
static double pool_ideal(const struct host_sum *h, const struct pool_table *t, size_t j)
{
	uint64_t mass = h->sum[j].mass_credit1;

	if (mass == 0 || h->total_cpus == 0)
		return 1.0;
	return 256.0 * h->total_vcpus * cpumap_count(&t->pools[j].cpus) /
	       ((double)h->total_cpus * (double)mass);
}

/* Where a scale lies on the grid, in steps, within the grid's ends. */
static double scale_pos(double scale)
{
	double x;

	if (!(scale > 0))
		return WEIGHT_SCALE_STEP_MIN;
	x = WEIGHT_SCALE_STEPS * log2(scale);
	if (x < WEIGHT_SCALE_STEP_MIN)
		return WEIGHT_SCALE_STEP_MIN;
	return x > WEIGHT_SCALE_STEP_MAX ? WEIGHT_SCALE_STEP_MAX : x;
}

/* The scale of a grid step in 32.32 fixed point, so that weights are integer arithmetic. */
static uint64_t scale_q(int step)
{
	return (uint64_t)llround(ldexp(exp2((double)step / WEIGHT_SCALE_STEPS), 32));
}

/* round(scale * u), rounded half up, clamped to 1..wmax. */
static unsigned scaled_weight(uint64_t q, unsigned u, unsigned wmax)
{
	uint64_t w = (uint64_t)(((unsigned __int128)q * u + (1ull << 31)) >> 32);

	if (w < DOM_WEIGHT_MIN)
		w = DOM_WEIGHT_MIN;
	return w > wmax ? wmax : (unsigned)w;
}

/* Keeps the held step while the ideal is in its band, else takes the ideal's nearest. */
static int scale_choose(struct pool_scale *s, double ideal)
{
	double x = scale_pos(ideal);

	if (!s->set || fabs(x - s->step) > WEIGHT_SCALE_BAND) {
		s->step = (int)lround(x);
		s->set = true;
	}
	return s->step;
}

bool weight_scale_adopt(double ideal, unsigned credit_cpus, const struct weight_seen *m, size_t n,
                        int *step)
{
	double x = scale_pos(ideal);
	int lo = (int)ceil(x - WEIGHT_SCALE_BAND), hi = (int)floor(x + WEIGHT_SCALE_BAND);
	bool found = false;
	int best = 0;

	if (n == 0)
		return false;
	if (lo < WEIGHT_SCALE_STEP_MIN)
		lo = WEIGHT_SCALE_STEP_MIN;
	if (hi > WEIGHT_SCALE_STEP_MAX)
		hi = WEIGHT_SCALE_STEP_MAX;
	for (int k = lo; k <= hi; k++) {
		uint64_t q = scale_q(k);
		size_t i;

		for (i = 0; i < n; i++)
			if (scaled_weight(q, user_weight(m[i].user),
			                  weight_credit1_max(credit_cpus, m[i].vcpus)) !=
			    m[i].weight)
				break;
		/* Small weights can fit neighbouring steps alike: the ideal's nearest wins. */
		if (i == n && (!found || fabs(k - x) < fabs(best - x))) {
			best = k;
			found = true;
		}
	}
	if (found)
		*step = best;
	return found;
}

/* Whether doms[i] is a credit1 member of a pool whose weight was read back. */
static bool adopt_counts(const struct host_sum *h, const struct dom *doms, const unsigned *seen,
                         size_t i)
{
	return h->pidx[i] != SIZE_MAX && doms[i].sched == SCHED_CREDIT && seen[i] != 0;
}

size_t weight_adopt(struct pool_table *t, const struct dom *doms, size_t n, const unsigned *seen)
{
	struct host_sum h;
	struct weight_seen *m = NULL;
	size_t *start = NULL, *fill = NULL, adopted = 0;

	if (host_sum_init(&h, t, doms, n) != 0)
		return 0;
	m = calloc(n ? n : 1, sizeof(*m));
	start = calloc(t->n + 1, sizeof(*start));
	fill = calloc(t->n ? t->n : 1, sizeof(*fill));
	if (m == NULL || start == NULL || fill == NULL)
		goto out;

	/* The read members grouped by pool: pool j's are m[start[j]..start[j + 1]). */
	for (size_t i = 0; i < n; i++)
		if (adopt_counts(&h, doms, seen, i))
			start[h.pidx[i] + 1]++;
	for (size_t j = 0; j < t->n; j++)
		start[j + 1] += start[j];
	for (size_t i = 0; i < n; i++) {
		size_t j = h.pidx[i];

		if (adopt_counts(&h, doms, seen, i))
			m[start[j] + fill[j]++] = (struct weight_seen){
			    .user = doms[i].weight, .vcpus = doms[i].nr_vcpus, .weight = seen[i]};
	}

	for (size_t j = 0; j < t->n; j++) {
		struct pool_scale *s = &t->pools[j].scale;
		int step;

		if (s->set || !h.sum[j].has_credit1)
			continue;
		if (weight_scale_adopt(pool_ideal(&h, t, j), h.credit_cpus, &m[start[j]],
		                       start[j + 1] - start[j], &step)) {
			*s = (struct pool_scale){.step = step, .set = true};
			adopted++;
		}
	}
out:
	free(m);
	free(start);
	free(fill);
	host_sum_fini(&h);
	return adopted;
}

void weight_compute(struct pool_table *t, const struct dom *doms, size_t n,
                    struct sched_params *out)
{
	struct host_sum h;

	if (host_sum_init(&h, t, doms, n) != 0) {
		/* Without memory, write nothing rather than something wrong. */
		for (size_t i = 0; i < n; i++)
			out[i] = (struct sched_params){0};
		return;
	}

	for (size_t j = 0; j < t->n; j++) {
		struct pool_scale *s = &t->pools[j].scale;

		if (!h.sum[j].has_credit1) {
			s->set = false;
			continue;
		}
		h.sum[j].scale_q = scale_q(scale_choose(s, pool_ideal(&h, t, j)));
	}

	for (size_t i = 0; i < n; i++) {
		const struct dom *d = &doms[i];
		const struct pool *p = h.pidx[i] != SIZE_MAX ? &t->pools[h.pidx[i]] : NULL;
		const struct pool_sum *ps = p ? &h.sum[h.pidx[i]] : NULL;
		unsigned n_p = p ? ps->ncpus : 0;
		unsigned cap = d->cap;
		struct sched_params *o = &out[i];

		memset(o, 0, sizeof(*o));
		if (!writes_sched(d->sched))
			continue;
		o->write = true;

		if (d->sched == SCHED_CREDIT2)
			o->weight = user_weight(d->weight);
		else
			/* A domain in no pool has nothing to scale against: scale 1. */
			o->weight =
			    scaled_weight(ps ? ps->scale_q : scale_q(0), user_weight(d->weight),
			                  weight_credit1_max(h.credit_cpus, d->nr_vcpus));

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
	host_sum_fini(&h);
}
