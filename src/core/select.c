/* ncpu_select(): choosing pCPUs for a pool by topology, whole cores first. */
#include "core/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * A unit is the part of one core (socket, core) that can be taken. Its
 * class says what taking it does to the core:
 *   KEEP   completes a core the pool already owns part of;
 *   WHOLE  takes a core that is entirely free;
 *   SPLIT  takes from a core that is shared with another pool already;
 *   FRESH  would split a core that is whole in pool0 now (only part of it
 *          is a candidate, e.g. the sibling of cpu 0).
 */
enum unit_class { U_KEEP, U_WHOLE, U_SPLIT, U_FRESH };

struct unit {
	uint32_t socket, core, node;
	int first;     /* lowest candidate cpu */
	unsigned size; /* candidate cpus */
	enum unit_class cls;
	bool cpu0;     /* the core of cpu 0, which pool0 prefers to keep */
	unsigned rank; /* order of the unit's cell within the group being tried */
	unsigned take; /* cpus chosen from it, lowest first */
};

/*
 * What a selection may use: whole cores only; anything but the core of
 * cpu 0 (which pool0 keeps whole for dom0); anything.
 */
enum tier { TIER_WHOLE, TIER_NO_FRESH, TIER_ANY };

#define LEVELS 4

struct sel {
	const struct topo *topo;
	const struct cpumap *free;
	const struct cpumap *keep;
	struct cpumap cands;
	struct unit *u;
	size_t nu;
	unsigned need;
	size_t *idx; /* scratch: units of the group being tried */
};

/*
 * Locality levels, tightest first: one socket within one node, one node,
 * one socket, the whole host. Nested topologies make two of them equal;
 * trying a level twice costs nothing.
 */
static uint64_t level_key(const struct topo *topo, unsigned level, unsigned cpu)
{
	const struct topo_cpu *c = &topo->cpu[cpu];

	switch (level) {
	case 0:
		return ((uint64_t)c->socket << 32) | c->node;
	case 1:
		return c->node;
	case 2:
		return c->socket;
	default:
		return 0;
	}
}

static uint64_t cell_key(const struct unit *u)
{
	return ((uint64_t)u->socket << 32) | u->node;
}

/* Groups the candidates into per-core units and classifies each. */
static int build_units(struct sel *s)
{
	const struct topo *topo = s->topo;
	unsigned nr = topo->nr_cpus < CPUMAP_MAX ? topo->nr_cpus : CPUMAP_MAX;

	s->nu = 0;
	s->u = calloc(CPUMAP_MAX, sizeof(*s->u));
	s->idx = calloc(CPUMAP_MAX, sizeof(*s->idx));
	if (s->u == NULL || s->idx == NULL)
		return -ENOMEM;

	cpumap_for_each (cpu, &s->cands) {
		const struct topo_cpu *tc = &topo->cpu[cpu];
		struct unit *u = NULL;

		for (size_t i = 0; i < s->nu; i++) {
			if (s->u[i].socket == tc->socket && s->u[i].core == tc->core) {
				u = &s->u[i];
				break;
			}
		}
		if (u == NULL) {
			u = &s->u[s->nu++];
			u->socket = tc->socket;
			u->core = tc->core;
			u->node = tc->node;
			u->first = cpu;
		}
		u->size++;
	}

	for (size_t i = 0; i < s->nu; i++) {
		struct unit *u = &s->u[i];
		bool outside = false, other_pool = false, ours = false;

		for (unsigned cpu = 0; cpu < nr; cpu++) {
			const struct topo_cpu *tc = &topo->cpu[cpu];

			if (!tc->online || tc->socket != u->socket || tc->core != u->core)
				continue;
			if (cpu == 0)
				u->cpu0 = true;
			if (cpumap_test(s->keep, cpu)) {
				ours = true;
			} else if (!cpumap_test(&s->cands, cpu)) {
				outside = true;
				if (!cpumap_test(s->free, cpu))
					other_pool = true;
			}
		}
		if (!outside)
			u->cls = ours ? U_KEEP : U_WHOLE;
		else
			u->cls = other_pool || ours ? U_SPLIT : U_FRESH;
	}
	return 0;
}

static bool usable(const struct unit *u, enum tier tier)
{
	switch (tier) {
	case TIER_WHOLE:
		return u->cls == U_KEEP || u->cls == U_WHOLE;
	case TIER_NO_FRESH:
		return u->cls != U_FRESH;
	default:
		return true;
	}
}

/* True when some keep cpu lies in the group `key` of `level`. */
static bool group_has_keep(const struct sel *s, unsigned level, uint64_t key)
{
	cpumap_for_each (cpu, s->keep) {
		if ((unsigned)cpu < s->topo->nr_cpus && level_key(s->topo, level, cpu) == key)
			return true;
	}
	return false;
}

struct cell {
	uint64_t key;
	unsigned free;
	int first;
	bool keep;
};

/* Largest first, then lowest id. */
static int cell_cmp(const void *pa, const void *pb)
{
	const struct cell *a = pa, *b = pb;

	if (a->free != b->free)
		return a->free > b->free ? -1 : 1;
	return a->first - b->first;
}

/*
 * Orders the cells of the units in s->idx[0..n) into each unit's rank:
 * cells holding the pool's cpus first; then, while no single cell can
 * hold what is left, the largest (so few cells are touched); then the
 * one that best fits the rest, so big holes stay big; then the others.
 */
static int rank_cells(struct sel *s, size_t n)
{
	struct cell *cells = calloc(n ? n : 1, sizeof(*cells));
	unsigned *order = calloc(n ? n : 1, sizeof(*order));
	size_t nc = 0, done = 0;
	unsigned left = s->need;

	if (cells == NULL || order == NULL) {
		free(cells);
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct unit *u = &s->u[s->idx[i]];
		size_t c;

		for (c = 0; c < nc; c++)
			if (cells[c].key == cell_key(u))
				break;
		if (c == nc) {
			cells[nc].key = cell_key(u);
			cells[nc].first = u->first;
			cells[nc].keep = group_has_keep(s, 0, cell_key(u));
			nc++;
		}
		cells[c].free += u->size;
		if (u->first < cells[c].first)
			cells[c].first = u->first;
	}
	qsort(cells, nc, sizeof(*cells), cell_cmp);

	/* order[c] is the rank of cells[c]; ranks start at 1, 0 = not ranked yet. */
	for (size_t c = 0; c < nc; c++) {
		if (cells[c].keep) {
			order[c] = (unsigned)++done;
			left = left > cells[c].free ? left - cells[c].free : 0;
		}
	}
	while (done < nc) {
		size_t pick = SIZE_MAX;

		for (size_t c = 0; c < nc; c++) {
			if (order[c])
				continue;
			if (pick == SIZE_MAX)
				pick = c; /* the largest: cells are sorted that way */
			if (left > 0 && cells[c].free >= left &&
			    (cells[pick].free < left || cells[c].free <= cells[pick].free))
				pick = c;
		}
		/* Among equal sizes the sort put the lowest id first; keep it. */
		for (size_t c = 0; c < pick; c++)
			if (!order[c] && cells[c].free == cells[pick].free)
				pick = c;
		order[pick] = (unsigned)++done;
		left = left > cells[pick].free ? left - cells[pick].free : 0;
	}

	for (size_t i = 0; i < n; i++) {
		struct unit *u = &s->u[s->idx[i]];

		for (size_t c = 0; c < nc; c++)
			if (cells[c].key == cell_key(u))
				u->rank = order[c];
	}
	free(cells);
	free(order);
	return 0;
}

/* The order units are taken in: cores the pool completes, then by cell, then by id. */
static int unit_cmp(const void *pa, const void *pb, void *arg)
{
	const struct unit *units = arg;
	const struct unit *a = &units[*(const size_t *)pa], *b = &units[*(const size_t *)pb];

	if ((a->cls == U_KEEP) != (b->cls == U_KEEP))
		return a->cls == U_KEEP ? -1 : 1;
	if (a->cpu0 != b->cpu0)
		return a->cpu0 ? 1 : -1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->first - b->first;
}

/*
 * Picks whole units summing to exactly need, earliest in order first:
 * a unit is taken when the units after it can still make up the rest
 * (subset sums of the suffixes, as bitsets).
 */
static int pick_whole(struct sel *s, size_t n, bool *ok)
{
	size_t words = s->need / 64 + 1;
	uint64_t *reach = calloc((n + 1) * words, sizeof(*reach));
	unsigned r = s->need;

	*ok = false;
	if (reach == NULL)
		return -ENOMEM;
	reach[n * words] = 1;
	for (size_t i = n; i-- > 0;) {
		const uint64_t *next = &reach[(i + 1) * words];
		uint64_t *cur = &reach[i * words];
		unsigned sh = s->u[s->idx[i]].size;

		for (size_t w = 0; w < words; w++) {
			uint64_t v = next[w];
			size_t q = sh / 64, b = sh % 64;

			/* cur = next | next << sh, word by word. */
			if (w >= q) {
				v |= next[w - q] << b;
				if (b && w > q)
					v |= next[w - q - 1] >> (64 - b);
			}
			cur[w] = v;
		}
		if (s->need % 64 != 63)
			cur[words - 1] &= (UINT64_C(1) << (s->need % 64 + 1)) - 1;
	}

	if (reach[r / 64] >> (r % 64) & 1) {
		for (size_t i = 0; i < n && r > 0; i++) {
			struct unit *u = &s->u[s->idx[i]];
			const uint64_t *next = &reach[(i + 1) * words];

			if (u->size <= r &&
			    (next[(r - u->size) / 64] >> ((r - u->size) % 64) & 1)) {
				u->take = u->size;
				r -= u->size;
			}
		}
		*ok = r == 0;
	}
	free(reach);
	return 0;
}

/*
 * Picks need cpus when whole units can't make it: whole units first,
 * then cores that are split already, then as few new splits as possible,
 * each the core that best fits what is left.
 */
static void pick_any(struct sel *s, size_t n)
{
	unsigned r = s->need;

	for (size_t i = 0; i < n && r > 0; i++) {
		struct unit *u = &s->u[s->idx[i]];

		if ((u->cls == U_KEEP || u->cls == U_WHOLE) && u->size <= r) {
			u->take = u->size;
			r -= u->size;
		}
	}
	for (size_t i = 0; i < n && r > 0; i++) {
		struct unit *u = &s->u[s->idx[i]];

		if (u->cls == U_SPLIT) {
			u->take = u->size <= r ? u->size : r;
			r -= u->take;
		}
	}
	while (r > 0) {
		struct unit *best = NULL;

		for (size_t i = 0; i < n; i++) {
			struct unit *u = &s->u[s->idx[i]];

			if (u->take)
				continue;
			if (best == NULL || (best->cpu0 && !u->cpu0)) {
				best = u;
				continue;
			}
			if (u->cpu0 && !best->cpu0)
				continue;
			/* Smallest that fits; failing that, the largest. */
			if (best->size >= r ? (u->size >= r && u->size < best->size)
			                    : u->size > best->size)
				best = u;
		}
		if (best == NULL)
			break;
		best->take = best->size <= r ? best->size : r;
		r -= best->take;
	}
}

/* Tries to satisfy the request inside one group; fills out on success. */
static int try_group(struct sel *s, unsigned level, uint64_t key, enum tier tier,
                     struct cpumap *out, bool *ok)
{
	unsigned avail = 0;
	size_t n = 0;
	int r;

	*ok = false;
	for (size_t i = 0; i < s->nu; i++) {
		s->u[i].take = 0;
		if (usable(&s->u[i], tier) &&
		    level_key(s->topo, level, (unsigned)s->u[i].first) == key) {
			s->idx[n++] = i;
			avail += s->u[i].size;
		}
	}
	if (avail < s->need)
		return 0;
	r = rank_cells(s, n);
	if (r)
		return r;
	qsort_r(s->idx, n, sizeof(*s->idx), unit_cmp, s->u);

	if (tier == TIER_WHOLE) {
		r = pick_whole(s, n, ok);
		if (r || !*ok)
			return r;
	} else {
		pick_any(s, n);
		*ok = true;
	}

	cpumap_zero(out);
	for (size_t i = 0; i < n; i++) {
		const struct unit *u = &s->u[s->idx[i]];
		unsigned left = u->take;

		for (int cpu = u->first; cpu >= 0 && left > 0;
		     cpu = cpumap_next(&s->cands, cpu + 1)) {
			const struct topo_cpu *tc = &s->topo->cpu[cpu];

			if (tc->socket == u->socket && tc->core == u->core) {
				cpumap_set(out, (unsigned)cpu);
				left--;
			}
		}
	}
	return 0;
}

struct group {
	uint64_t key;
	unsigned free;
	int first;
	bool keep;
	bool cpu0; /* holds the core of cpu 0 */
};

/*
 * The pool's own groups first; then groups away from cpu 0, so that dom0's
 * socket and node stay with pool0 while anything else fits; then best fit:
 * the fewest free cpus, so big holes stay big; then the lowest id.
 */
static int group_cmp(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;

	if (a->keep != b->keep)
		return a->keep ? -1 : 1;
	if (a->cpu0 != b->cpu0)
		return a->cpu0 ? 1 : -1;
	if (a->free != b->free)
		return a->free < b->free ? -1 : 1;
	return a->first - b->first;
}

/* Tries every group of one level in preference order. */
static int try_level(struct sel *s, unsigned level, enum tier tier, struct cpumap *out, bool *ok)
{
	struct group *g = calloc(s->nu ? s->nu : 1, sizeof(*g));
	size_t ng = 0;
	int r = 0;

	*ok = false;
	if (g == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->nu; i++) {
		const struct unit *u = &s->u[i];
		uint64_t key = level_key(s->topo, level, (unsigned)u->first);
		size_t j;

		if (!usable(u, tier))
			continue;
		for (j = 0; j < ng; j++)
			if (g[j].key == key)
				break;
		if (j == ng) {
			g[ng].key = key;
			g[ng].first = u->first;
			g[ng].keep = group_has_keep(s, level, key);
			g[ng].cpu0 = key == level_key(s->topo, level, 0);
			ng++;
		}
		g[j].free += u->size;
		if (u->first < g[j].first)
			g[j].first = u->first;
	}
	qsort(g, ng, sizeof(*g), group_cmp);
	for (size_t j = 0; j < ng && !*ok && r == 0; j++)
		if (g[j].free >= s->need)
			r = try_group(s, level, g[j].key, tier, out, ok);
	free(g);
	return r;
}

/* Chooses s->need cpus out of s->cands, trying tiers and levels in order. */
static int select_from(struct sel *s, struct cpumap *out, bool *ok)
{
	int r;

	*ok = false;
	r = build_units(s);
	for (unsigned tier = TIER_WHOLE; r == 0 && !*ok && tier <= TIER_ANY; tier++)
		for (unsigned level = 0; r == 0 && !*ok && level < LEVELS; level++)
			r = try_level(s, level, tier, out, ok);
	free(s->u);
	free(s->idx);
	s->u = NULL;
	s->idx = NULL;
	return r;
}

int ncpu_select(const struct topo *topo, const struct cpumap *free_cpus, const struct cpumap *keep,
                unsigned n, unsigned reserve, struct cpumap *out, struct perr *e)
{
	struct cpumap none, online, avail, chosen;
	struct sel s = {.topo = topo, .free = free_cpus};
	unsigned have, nr_avail, can;
	bool ok = false;
	int r;

	cpumap_zero(&none);
	if (keep == NULL)
		keep = &none;
	topo_online(topo, &online);
	have = cpumap_count(keep);

	/* Shrinking: choose what to keep among the pool's own cpus, the same way. */
	if (have >= n) {
		if (have == n) {
			*out = *keep;
			return 0;
		}
		return ncpu_select(topo, keep, NULL, n, 0, out, e);
	}

	cpumap_and(&avail, free_cpus, &online);
	cpumap_andnot(&avail, &avail, keep);
	nr_avail = cpumap_count(&avail);
	can = nr_avail > reserve ? nr_avail - reserve : 0;
	if (n - have > can)
		return perr_set(e, POOLD_E_NOCPU,
		                "not enough free pCPUs: %u more wanted, but pool0 has %u and must "
		                "keep %u, so at most %u can be taken; shrink or destroy another "
		                "pool first",
		                n - have, nr_avail, reserve, can);

	s.keep = keep;
	s.need = n - have;
	/* cpu 0 stays with pool0 (dom0 usually runs there) unless nothing else fits. */
	s.cands = avail;
	cpumap_clear(&s.cands, 0);
	if (cpumap_count(&s.cands) >= s.need) {
		r = select_from(&s, &chosen, &ok);
		if (r)
			return r;
	}
	if (!ok) {
		s.cands = avail;
		r = select_from(&s, &chosen, &ok);
		if (r)
			return r;
	}
	if (!ok)
		return perr_set(e, POOLD_E_NOCPU, "could not choose %u free pCPUs", s.need);
	cpumap_or(out, &chosen, keep);
	return 0;
}
