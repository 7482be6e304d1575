/* The share controller: weighted water-filling of a pool's capacity, turned into caps. */
#include "core/share.h"

#include <math.h>
#include <stdlib.h>

#include "core/weight.h"

void share_tuning_default(struct share_tuning *t)
{
	*t = (struct share_tuning){
	    .saturated = 0.95,
	    .headroom_min = 3.0,
	    .headroom_rel = 0.10,
	    .at_cap_min = 1.5,
	    .at_cap_rel = 0.04,
	    .presume_share = 0.5,
	    .reach_rel = 0.15,
	    .split_min = 1.0,
	    .split_rel = 0.03,
	    .deadband = 1,
	};
}

/* What a member was last period, before this one reclassifies it. */
struct prev {
	bool wanting;
	double entitled;
	unsigned cap;
};

/* One member's part in a fill. */
struct fill {
	struct share_member *m;
	double mass;
	double demand;
	double got;
	double frac; /* got - floor(got), for rounding */
};

static double headroom(const struct share_tuning *t, double use)
{
	return fmax(t->headroom_min, use * t->headroom_rel);
}

/* True when a member using `use` is held at `limit` (within the margin). */
static bool at_limit(const struct share_tuning *t, double use, double limit)
{
	return use >= limit - fmax(t->at_cap_min, limit * t->at_cap_rel);
}

/* What pinning allows a member anyway: one pCPU per vCPU, at most the pool. */
static double phys_bound(const struct share_member *m, unsigned ncpus)
{
	return 100.0 * (m->vcpus < ncpus ? m->vcpus : ncpus);
}

/* The most a member may have: pinning, then its user cap. */
static double member_bound(const struct share_member *m, unsigned ncpus)
{
	double b = phys_bound(m, ncpus);

	return m->user_cap > 0 && m->user_cap < b ? m->user_cap : b;
}

/* The cap to write for an entitlement: none where pinning bounds it anyway. */
static unsigned cap_of(const struct share_member *m, unsigned ncpus, unsigned cap)
{
	if (cap < 1)
		cap = 1;
	if (cap >= phys_bound(m, ncpus))
		return m->user_cap > 0 && m->user_cap < phys_bound(m, ncpus) ? m->user_cap : 0;
	return cap > SCHED_CAP_MAX ? SCHED_CAP_MAX : cap;
}

/* A signature of the member set that does not depend on its order. */
static uint64_t member_sig(const struct share_member *m, size_t n)
{
	uint64_t s = n;

	for (size_t i = 0; i < n; i++) {
		uint64_t x = (m[i].id + 1) * 0x9E3779B97F4A7C15ull;

		x ^= x >> 31;
		s += x * 0xBF58476D1CE4E5B9ull;
	}
	return s;
}

static int fill_by_level(const void *a, const void *b)
{
	const struct fill *x = a, *y = b;
	double lx = x->demand / x->mass, ly = y->demand / y->mass;

	return lx < ly ? -1 : lx > ly;
}

static int fill_by_frac(const void *a, const void *b)
{
	const struct fill *x = a, *y = b;

	return x->frac > y->frac ? -1 : x->frac < y->frac;
}

/*
 * Weighted water-filling: got = min(demand, level * mass) with one level for
 * all, so that the sum is min(capacity, sum of demands). Sorted by
 * demand/mass, whoever needs less than the level gets all it needs, and the
 * level only rises as they drop out. Returns the level, INFINITY when every
 * demand fits.
 */
static double waterfill(struct fill *f, size_t k, double capacity)
{
	double mass = 0, left = capacity;

	for (size_t i = 0; i < k; i++)
		mass += f[i].mass;
	qsort(f, k, sizeof(*f), fill_by_level);
	for (size_t i = 0; i < k; i++) {
		double level = left > 0 ? left / mass : 0;

		if (f[i].demand <= level * f[i].mass) {
			f[i].got = f[i].demand;
			left -= f[i].demand;
			mass -= f[i].mass;
			continue;
		}
		for (size_t j = i; j < k; j++)
			f[j].got = level * f[j].mass;
		return level;
	}
	return INFINITY;
}

/* Rounds entitlements down to whole %, handing the units lost to the largest remainders. */
static void round_caps(struct fill *f, size_t k, unsigned *caps_out)
{
	double sum = 0;
	unsigned whole = 0, target;

	for (size_t i = 0; i < k; i++) {
		double g = floor(f[i].got + 1e-9);

		sum += f[i].got;
		f[i].frac = f[i].got - g;
		whole += (unsigned)g;
	}
	target = (unsigned)floor(sum + 1e-9);
	qsort(f, k, sizeof(*f), fill_by_frac);
	for (size_t i = 0; i < k; i++) {
		unsigned c = (unsigned)floor(f[i].got + 1e-9);

		if (whole < target) {
			c++;
			whole++;
		}
		caps_out[i] = c;
	}
}

size_t share_reset(struct share_pool *p, struct share_member *m, size_t n)
{
	size_t changed = 0;

	for (size_t i = 0; i < n; i++) {
		changed += m[i].cap != m[i].base_cap;
		m[i].cap = m[i].base_cap;
		m[i].entitled = -1;
		m[i].wanting = false;
	}
	p->active = p->in_force = p->grace = false;
	return changed;
}

/* Sets a new cap unless it is within the deadband of the old one. */
static void set_cap(struct share_member *m, unsigned cap, unsigned deadband)
{
	unsigned old = m->cap;

	if (old != 0 && cap != 0 && (cap > old ? cap - old : old - cap) <= deadband)
		return;
	m->cap = cap;
}

/* A member joined (no use measured yet): its weighted part of the pool, until measured. */
static void share_join(struct share_pool *p, unsigned ncpus, double capacity,
                       struct share_member *m, size_t n)
{
	double mass = 0;

	for (size_t i = 0; i < n; i++)
		mass += (double)m[i].mass;
	for (size_t i = 0; i < n; i++) {
		unsigned cap;

		if (m[i].use >= 0 && p->active)
			continue;
		if (!p->active || m[i].nocap) {
			cap = m[i].base_cap;
		} else {
			double e =
			    fmin(capacity * (double)m[i].mass / mass, member_bound(&m[i], ncpus));

			cap = cap_of(&m[i], ncpus, (unsigned)floor(e));
		}
		m[i].cap = cap;
	}
	/* The caps of the next period are not all the controller's own. */
	p->in_force = false;
}

/*
 * The cap of a member that keeps wanting more: it follows the entitlement's
 * moves, and corrects what the scheduler made of it last period, so that the
 * use, not the cap, ends up at the entitlement. Inside the tolerance it
 * stays, so a steady load writes nothing.
 */
static unsigned track(const struct share_member *x, const struct share_tuning *t, unsigned ncpus,
                      double e, double e0)
{
	double c = x->cap, err = e - x->use;

	if (fabs(err) > fmax(t->split_min, e * t->split_rel))
		c += err;
	else if (fabs(e - e0) > t->deadband)
		c += e - e0;
	else
		return x->cap;
	/*
	 * No further than the scheduler's shortfall can explain: a member that
	 * simply wants a little less than its part stops the cap there.
	 */
	c = fmin(fmax(c, fmax(1, e / 2)), e * (1 + t->reach_rel) + t->headroom_min);
	return cap_of(x, ncpus, (unsigned)lround(c));
}

/* True when a member's use is off its entitlement by more than the tolerance. */
static bool split_off(const struct fill *f, size_t k, const struct share_tuning *t)
{
	for (size_t i = 0; i < k; i++) {
		double e = f[i].got, u = f[i].m->use;

		if (fabs(u - e) > fmax(t->split_min, e * t->split_rel))
			return true;
	}
	return false;
}

/* One period of one pool; the caller counts what changed. */
static void step(struct share_pool *p, unsigned ncpus, unsigned pool_cap, struct share_member *m,
                 size_t n, const struct share_tuning *t)
{
	double capacity = 100.0 * ncpus, use = 0, reserved = 0, level;
	unsigned vcpus = 0, *caps;
	bool capped = false, sat, binding = false, held = false, known;
	struct prev *prev;
	uint64_t sig = member_sig(m, n);
	size_t k = 0;
	struct fill *f;

	if (pool_cap > 0 && pool_cap < capacity) {
		capacity = pool_cap;
		capped = true;
	}
	known = p->in_force && p->active && p->sig == sig && p->ncpus == ncpus &&
	        p->pool_cap == pool_cap;
	p->sig = sig;
	p->ncpus = ncpus;
	p->pool_cap = pool_cap;
	if (n == 0 || ncpus == 0) {
		share_reset(p, m, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].use < 0) {
			share_join(p, ncpus, capacity, m, n);
			return;
		}
	}

	f = calloc(n, sizeof(*f));
	caps = calloc(n, sizeof(*caps));
	prev = calloc(n, sizeof(*prev));
	if (f == NULL || caps == NULL || prev == NULL) {
		/* Keep the caps as they are: the next period tries again. */
		free(f);
		free(caps);
		free(prev);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		double limit = p->active ? m[i].cap : m[i].base_cap;
		bool at;

		if (limit == 0)
			limit = phys_bound(&m[i], ncpus);
		use += m[i].use;
		vcpus += m[i].vcpus;
		prev[i] = (struct prev){
		    .wanting = m[i].wanting, .entitled = m[i].entitled, .cap = m[i].cap};
		at = at_limit(t, m[i].use, limit);
		/* Held below what it could have by a cap, not by pinning or its user cap. */
		binding |= !m[i].nocap && at && limit < member_bound(&m[i], ncpus) - t->at_cap_min;
		/*
		 * One that wanted more and ran near its part still does: the
		 * scheduler may deliver a cap short (credit1 parks capped vCPUs
		 * per 30 ms), and that is no sign of wanting less.
		 */
		m[i].wanting =
		    at || (known && prev[i].wanting && prev[i].entitled >= 0 &&
		           m[i].use >=
		               (1 - t->reach_rel) * fmin(prev[i].entitled, limit) - t->at_cap_min);
		held |= known && !m[i].nocap && m[i].wanting;
	}
	sat = use >= t->saturated * capacity;
	if (!sat && !binding && !held) {
		/*
		 * Nobody reached its cap nor its part. A member that went idle
		 * leaves the others at their caps, so this is either the whole pool
		 * wanting less or the scheduler delivering every cap short for a
		 * period (seen on credit1 under load). Lifting the caps on such a
		 * hiccup costs seconds of a wrong split; keeping them one period
		 * costs nothing (nobody fills them): lift only when it repeats.
		 */
		bool wanted = false;

		for (size_t i = 0; i < n; i++)
			wanted |= !m[i].nocap && prev[i].wanting;
		if (known && wanted && !p->grace) {
			for (size_t i = 0; i < n; i++)
				m[i].wanting = prev[i].wanting;
			p->grace = true;
			free(f);
			free(caps);
			free(prev);
			return;
		}
		free(f);
		free(caps);
		free(prev);
		share_reset(p, m, n);
		return;
	}
	p->grace = false;
	for (size_t i = 0; i < n; i++) {
		struct share_member *x = &m[i];
		double h = headroom(t, x->use);

		/*
		 * With the controller's caps in force every member could reach its
		 * cap, so one below it wants no more. Otherwise contention may be
		 * what holds it down: presume a member with a fair part of an equal
		 * split wants more; a wrong guess shows as a cap it stays under.
		 */
		if (!known && !x->nocap && vcpus > 0)
			x->wanting |= x->use >= t->presume_share * use * x->vcpus / vcpus;
		if (x->nocap) {
			x->wanting = false;
			reserved += x->use + (capped ? h : 0);
			continue;
		}
		f[k] = (struct fill){.m = x, .mass = (double)x->mass};
		if (x->wanting)
			f[k].demand = member_bound(x, ncpus);
		else if (capped)
			f[k].demand = fmin(member_bound(x, ncpus), x->use + h);
		else
			f[k].demand = fmin(member_bound(x, ncpus), x->use);
		k++;
	}
	level = waterfill(f, k, fmax(0, capacity - reserved));
	if (!p->active && !binding && !split_off(f, k, t)) {
		/*
		 * The scheduler splits the pool as the weights say already (credit2,
		 * or credit1 on a host busy everywhere): whole-% caps would only add
		 * their rounding to small parts, and writes.
		 */
		free(f);
		free(caps);
		free(prev);
		share_reset(p, m, n);
		return;
	}
	round_caps(f, k, caps);
	for (size_t i = 0; i < k; i++) {
		struct share_member *x = f[i].m;
		unsigned c = caps[i];

		x->entitled = f[i].got;
		if (!x->wanting && !capped) {
			/*
			 * Room to grow into, up to about its part at the level the
			 * others get: one that reaches it wants more next period, and
			 * one that uses more than that part is held to it.
			 */
			double h = headroom(t, x->use);
			double room =
			    fmin(fmin(member_bound(x, ncpus), x->use + h), level * f[i].mass);

			if (p->active && x->cap != 0 && x->cap <= room &&
			    x->cap >= fmin(room, x->use + t->at_cap_min) &&
			    x->cap <= x->use + 2 * h)
				continue;
			set_cap(x, cap_of(x, ncpus, (unsigned)ceil(room)), 0);
			continue;
		}
		if (known && prev[x - m].wanting && prev[x - m].entitled >= 0 && x->cap != 0) {
			set_cap(x, track(x, t, ncpus, f[i].got, prev[x - m].entitled), t->deadband);
			continue;
		}
		set_cap(x, cap_of(x, ncpus, c), p->active ? t->deadband : 0);
	}
	if (capped) {
		/*
		 * The pool cap bounds what the members use. The caps may sum past
		 * it by what the scheduler delivered short last period, up to 15 %;
		 * never more, whatever the deadband or the tracking left.
		 */
		double allow = pool_cap, before = 0;
		unsigned sum = 0;

		for (size_t i = 0; i < k; i++) {
			sum += f[i].m->cap;
			before += prev[f[i].m - m].cap;
		}
		if (known) {
			allow = fmax(before, pool_cap);
			if (fabs(pool_cap - use) > fmax(t->split_min, pool_cap * t->split_rel))
				allow += pool_cap - use;
			allow = fmin(fmax(allow, pool_cap), pool_cap * (1 + t->reach_rel));
		}
		if (sum > allow + t->deadband) {
			for (size_t i = 0; i < k; i++)
				set_cap(f[i].m, cap_of(f[i].m, ncpus, caps[i]), 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].nocap) {
			m[i].cap = m[i].base_cap;
			m[i].entitled = -1;
		}
	}
	p->active = p->in_force = true;
	free(f);
	free(caps);
	free(prev);
}

size_t share_step(struct share_pool *p, unsigned ncpus, unsigned pool_cap, struct share_member *m,
                  size_t n, const struct share_tuning *t)
{
	unsigned *old = calloc(n ? n : 1, sizeof(*old));
	size_t changed = 0;

	if (old == NULL)
		return 0; /* the caps stay as they are; the next period tries again */
	for (size_t i = 0; i < n; i++)
		old[i] = m[i].cap;
	step(p, ncpus, pool_cap, m, n, t);
	for (size_t i = 0; i < n; i++)
		changed += m[i].cap != old[i];
	free(old);
	return changed;
}
