/* run(): shares each simulated pCPU among the runnable vCPUs, credit2 or credit1 style. */
#include "xensim/sim-run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/*
 * pCPUs that the same vCPUs may run on see the same contest, so the share is
 * worked out once per class of such pCPUs, not once per pCPU: vCPUs are
 * grouped by their effective cpumap, pCPUs by the groups that cover them.
 * A host cut into pools has one class per pool, whatever its size.
 */

/* One runnable vCPU's claim for a run(). */
struct claim {
	struct sim_vcpu *v;
	const struct sim_dom *d;
	unsigned group;
	unsigned k;    /* cpus of its group */
	double demand; /* ns it can use in all, after its load and its domain's cap */
	double credit; /* credit1: ns of credit csched_acct() gives it */
	double weight;
};

/* The claims whose effective cpumap (online cpus of the hard affinity) is eff. */
struct group {
	struct cpumap eff;
	unsigned k; /* cpus in eff: each of its vCPUs is spread evenly over them */
	uint64_t hash;
	int next;        /* hash chain */
	size_t first, n; /* its claims: ord[first .. first + n) */
};

/* pCPUs that the same groups cover. */
struct class
{
	unsigned rep;   /* one of its cpus, whose cover list is the class's */
	unsigned count; /* its cpus */
	uint64_t hash;
};

/* The part on each pCPU of a class of m claims alike: a domain's vCPUs in one group. */
struct part {
	struct claim *c; /* the first; the others follow it in ord */
	size_t at;       /* its index in ord */
	unsigned m;
	double limit; /* per claim, as all below */
	double full;  /* credit1: the limit before credit */
	double weight;
	double key; /* limit / weight: the order in which parts are satisfied */
	double got;
	double total;
};

struct sim_run_buf {
	struct claim *cl;
	size_t *ord;
	struct part *p;
	struct part **sorted;
	size_t cap; /* of each of the four above: vCPUs */
	struct group *g;
	size_t ng, cap_g;
	int *bucket; /* heads of the group hash chains */
	size_t nbucket;
	unsigned *cover; /* per cpu, the groups covering it: cover[start[c] .. start[c + 1]) */
	size_t cap_cover;
	size_t start[CPUMAP_MAX + 1];
	struct class cls[CPUMAP_MAX];
	int cls_slot[2 * CPUMAP_MAX]; /* open addressing over class hashes; -1 empty */
};

struct sim_run_buf *sim_run_buf_free(struct sim_run_buf *b)
{
	if (b != NULL) {
		free(b->cl);
		free(b->ord);
		free(b->p);
		free(b->sorted);
		free(b->g);
		free(b->bucket);
		free(b->cover);
		free(b);
	}
	return NULL;
}

/* Grows *p to hold n items of size sz; keeps what it has when that is enough. */
static int grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void **pp = p;
	void *np;

	if (n <= *cap && *pp != NULL)
		return 0;
	np = realloc(*pp, (n ? n : 1) * sz);
	if (np == NULL)
		return -ENOMEM;
	*pp = np;
	*cap = n;
	return 0;
}

/* Makes room for nv claims. */
static int buf_reserve(struct sim_run_buf *b, size_t nv)
{
	size_t cap = b->cap, c2 = b->cap, c3 = b->cap, c4 = b->cap, nb;

	if (grow(&b->cl, &cap, nv, sizeof(*b->cl)) < 0 ||
	    grow(&b->ord, &c2, nv, sizeof(*b->ord)) < 0 ||
	    grow(&b->p, &c3, nv, sizeof(*b->p)) < 0 ||
	    grow(&b->sorted, &c4, nv, sizeof(*b->sorted)) < 0)
		return -ENOMEM;
	b->cap = cap;
	for (nb = 64; nb < 2 * nv; nb *= 2)
		;
	if (nb > b->nbucket) {
		int *p = realloc(b->bucket, nb * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		b->bucket = p;
		b->nbucket = nb;
	}
	memset(b->bucket, -1, b->nbucket * sizeof(*b->bucket));
	b->ng = 0;
	return 0;
}

/* Mixes 64 bits into a hash (splitmix64's finaliser). */
static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static uint64_t cpumap_hash(const struct cpumap *m)
{
	uint64_t h = 0;

	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		h = mix(h, m->w[i]);
	return h;
}

/* Returns the group of eff, made if new; -ENOMEM. */
static int group_of(struct sim_run_buf *b, const struct cpumap *eff)
{
	uint64_t h = cpumap_hash(eff);
	size_t slot = h & (b->nbucket - 1);
	struct group *g;

	for (int i = b->bucket[slot]; i >= 0; i = b->g[i].next)
		if (b->g[i].hash == h && cpumap_equal(&b->g[i].eff, eff))
			return i;
	if (grow(&b->g, &b->cap_g, b->ng + 1 > b->cap_g ? 2 * b->ng + 16 : b->cap_g,
	         sizeof(*b->g)) < 0)
		return -ENOMEM;
	g = &b->g[b->ng];
	g->eff = *eff;
	g->k = cpumap_count(eff);
	g->hash = h;
	g->n = 0;
	g->next = b->bucket[slot];
	b->bucket[slot] = (int)b->ng;
	return (int)b->ng++;
}

/* Collects the claims of runnable vCPUs, grouped; returns their number or -ENOMEM. */
static ssize_t collect(struct sim_run_buf *b, const struct cpumap *online,
                       struct sim_dom *const *dom, size_t nr_dom, double ns)
{
	double mass = 0, total = (double)cpumap_count(online) * ns;
	int last = -1;
	size_t n = 0;

	for (size_t i = 0; i < nr_dom; i++) {
		struct sim_dom *d = dom[i];
		double demand = ns * d->load / 100.0;

		if (d->pause_count || d->dying || d->load == 0)
			continue;
		if (d->cap)
			demand = fmin(demand, ns * d->cap / 100.0 / d->nr_vcpus);
		mass += (double)d->weight * d->nr_vcpus;
		for (unsigned v = 0; v < d->nr_vcpus; v++) {
			struct claim *c = &b->cl[n];
			struct cpumap eff;

			cpumap_and(&eff, &d->vcpu[v].hard, online);
			/* vCPUs of a domain are mostly pinned alike: try the last group first */
			if (last < 0 || !cpumap_equal(&b->g[last].eff, &eff)) {
				if (cpumap_empty(&eff))
					continue;
				last = group_of(b, &eff);
				if (last < 0)
					return last;
			}
			c->v = &d->vcpu[v];
			c->d = d;
			c->group = (unsigned)last;
			c->k = b->g[last].k;
			c->demand = demand;
			c->weight = d->weight;
			b->g[last].n++;
			n++;
		}
	}
	for (size_t i = 0; i < n; i++)
		b->cl[i].credit = total * b->cl[i].weight / mass;
	return (ssize_t)n;
}

/* Lists each group's claims together in ord (a counting sort). */
static void order_claims(struct sim_run_buf *b, size_t n)
{
	size_t at = 0;

	for (size_t g = 0; g < b->ng; g++) {
		b->g[g].first = at;
		at += b->g[g].n;
		b->g[g].n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct group *g = &b->g[b->cl[i].group];

		b->ord[g->first + g->n++] = i;
	}
}

/* Fills the cover lists: per online cpu, the groups whose eff holds it, ascending. */
static int cover_cpus(struct sim_run_buf *b, const struct cpumap *online)
{
	size_t total = 0, at[CPUMAP_MAX];

	memset(b->start, 0, sizeof(b->start));
	for (size_t g = 0; g < b->ng; g++) {
		cpumap_for_each (cpu, &b->g[g].eff)
			b->start[cpu + 1]++;
		total += b->g[g].k;
	}
	for (unsigned c = 0; c < CPUMAP_MAX; c++)
		b->start[c + 1] += b->start[c];
	if (grow(&b->cover, &b->cap_cover, total, sizeof(*b->cover)) < 0)
		return -ENOMEM;
	memcpy(at, b->start, sizeof(at));
	for (size_t g = 0; g < b->ng; g++)
		cpumap_for_each (cpu, &b->g[g].eff)
			b->cover[at[cpu]++] = (unsigned)g;
	return 0;
}

/* True when cpus a and b are covered by the same groups. */
static bool same_cover(const struct sim_run_buf *b, unsigned x, unsigned y)
{
	size_t n = b->start[x + 1] - b->start[x];

	return n == b->start[y + 1] - b->start[y] &&
	       memcmp(&b->cover[b->start[x]], &b->cover[b->start[y]], n * sizeof(*b->cover)) == 0;
}

/* Sorts the online cpus that anything covers into classes; returns their number. */
static size_t classify(struct sim_run_buf *b, const struct cpumap *online)
{
	size_t nc = 0, mask = sizeof(b->cls_slot) / sizeof(b->cls_slot[0]) - 1;

	memset(b->cls_slot, -1, sizeof(b->cls_slot));
	cpumap_for_each (cpu, online) {
		uint64_t h = 0;
		size_t slot;

		if (b->start[cpu + 1] == b->start[cpu])
			continue;
		for (size_t i = b->start[cpu]; i < b->start[cpu + 1]; i++)
			h = mix(h, b->cover[i]);
		for (slot = h & mask; b->cls_slot[slot] >= 0; slot = (slot + 1) & mask) {
			struct class *k = &b->cls[b->cls_slot[slot]];

			if (k->hash == h && same_cover(b, k->rep, (unsigned)cpu))
				break;
		}
		if (b->cls_slot[slot] >= 0) {
			b->cls[b->cls_slot[slot]].count++;
			continue;
		}
		b->cls[nc] = (struct class){.rep = (unsigned)cpu, .count = 1, .hash = h};
		b->cls_slot[slot] = (int)nc++;
	}
	return nc;
}

static int key_cmp(const void *a, const void *b)
{
	const struct part *x = *(struct part *const *)a, *y = *(struct part *const *)b;

	return (x->key > y->key) - (x->key < y->key);
}

/*
 * Splits capacity among the claims of the parts by weight, none beyond its
 * limit, work-conserving; returns the use. Parts are met in the order of
 * limit / weight: while one needs no more than its share at the current
 * level it takes all it needs, which only raises the level for the rest.
 */
static double waterfill(struct part **sorted, struct part *p, size_t n, double capacity)
{
	double left = capacity, w = 0, want = 0;
	size_t m = 0, i;

	for (i = 0; i < n; i++) {
		p[i].got = 0;
		if (p[i].limit > 0 && p[i].weight > 0) {
			p[i].key = p[i].limit / p[i].weight;
			w += p[i].weight * p[i].m;
			want += p[i].limit * p[i].m;
			sorted[m++] = &p[i];
		}
	}
	if (capacity <= 0)
		return 0;
	/* Room for all: no order needed (most pCPUs of a host that is not saturated). */
	if (want <= capacity) {
		for (i = 0; i < m; i++)
			sorted[i]->got = sorted[i]->limit;
		return want;
	}
	qsort(sorted, m, sizeof(*sorted), key_cmp);
	for (i = 0; i < m && left > 0 && w > 0; i++) {
		struct part *q = sorted[i];

		if (q->limit > left * q->weight / w)
			break;
		q->got = q->limit;
		left -= q->limit * q->m;
		w -= q->weight * q->m;
	}
	if (i == m || left <= 0 || w <= 0)
		return capacity - left;
	for (; i < m; i++)
		sorted[i]->got = left * sorted[i]->weight / w;
	return capacity;
}

/* Shares one pCPU of a class among the parts for `ns`: sets each part's total. */
static void share_pcpu(enum sim_sched sched, struct part **sorted, struct part *p, size_t n,
                       double ns)
{
	double used;

	if (sched == SIM_SCHED_CREDIT2) {
		waterfill(sorted, p, n, ns);
		for (size_t i = 0; i < n; i++)
			p[i].total = p[i].got;
		return;
	}
	/* credit1: UNDER vCPUs round-robin up to their credit, then OVER ones share the rest. */
	for (size_t i = 0; i < n; i++) {
		p[i].full = p[i].limit;
		p[i].weight = 1;
		p[i].limit = fmin(p[i].full, p[i].c->credit / p[i].c->k);
	}
	used = waterfill(sorted, p, n, ns);
	for (size_t i = 0; i < n; i++) {
		p[i].total = p[i].got;
		p[i].limit = p[i].full - p[i].got;
	}
	waterfill(sorted, p, n, ns - used);
	for (size_t i = 0; i < n; i++)
		p[i].total += p[i].got;
}

int sim_share(struct sim_run_buf **buf, enum sim_sched sched, const struct cpumap *online,
              struct sim_dom *const *dom, size_t nr_dom, double ns)
{
	struct sim_run_buf *b = *buf;
	size_t nv = 0, nc;
	ssize_t n;

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		*buf = b;
	}
	for (size_t i = 0; i < nr_dom; i++)
		nv += dom[i]->nr_vcpus;
	if (buf_reserve(b, nv) < 0)
		return -ENOMEM;
	n = collect(b, online, dom, nr_dom, ns);
	if (n < 0)
		return (int)n;
	order_claims(b, (size_t)n);
	if (cover_cpus(b, online) < 0)
		return -ENOMEM;
	nc = classify(b, online);
	for (size_t k = 0; k < nc; k++) {
		const struct class *cls = &b->cls[k];
		size_t np = 0;

		for (size_t i = b->start[cls->rep]; i < b->start[cls->rep + 1]; i++) {
			const struct group *g = &b->g[b->cover[i]];

			for (size_t j = g->first; j < g->first + g->n; j++) {
				struct claim *c = &b->cl[b->ord[j]];

				/* A domain's vCPUs in a group are next to each other, and alike. */
				if (j > g->first && c->d == b->p[np - 1].c->d) {
					b->p[np - 1].m++;
					continue;
				}
				b->p[np++] = (struct part){.c = c,
				                           .at = j,
				                           .m = 1,
				                           .limit = c->demand / c->k,
				                           .weight = c->weight};
			}
		}
		share_pcpu(sched, b->sorted, b->p, np, ns);
		/* Every cpu of the class gives each claim of a part the same. */
		for (size_t i = 0; i < np; i++)
			for (size_t j = b->p[i].at; j < b->p[i].at + b->p[i].m; j++)
				b->cl[b->ord[j]].v->time_ns += b->p[i].total * cls->count;
	}
	return 0;
}
