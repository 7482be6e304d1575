/* The pool table: create, resize and destroy pools while keeping every invariant. */
#include "core/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pool_table_init(struct pool_table *t, const struct topo *topo)
{
	memset(t, 0, sizeof(*t));
	topo_online(topo, &t->online);
	if (cpumap_empty(&t->online))
		return -EINVAL;
	t->pools = calloc(4, sizeof(*t->pools));
	if (t->pools == NULL)
		return -ENOMEM;
	t->alloc = 4;
	t->n = 1;
	t->pools[0].id = POOL0_ID;
	snprintf(t->pools[0].name, sizeof(t->pools[0].name), "%s", POOL0_NAME);
	t->pools[0].cpus = t->online;
	t->next_id = POOL0_ID + 1;
	return 0;
}

void pool_table_fini(struct pool_table *t)
{
	free(t->pools);
	t->pools = NULL;
	t->n = 0;
	t->alloc = 0;
}

bool pool_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > POOL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int pool_table_check(const struct pool_table *t, struct perr *e)
{
	struct cpumap seen;
	char buf[CPUMAP_TEXT_MAX];

	if (t->n == 0 || t->pools[0].id != POOL0_ID || strcmp(t->pools[0].name, POOL0_NAME) != 0)
		return perr_set(e, POOLD_E_CORRUPT, "the first pool is not pool0 with id 0");
	if (cpumap_empty(&t->pools[0].cpus))
		return perr_set(e, POOLD_E_CORRUPT, "pool0 has no pCPUs");

	cpumap_zero(&seen);
	for (size_t i = 0; i < t->n; i++) {
		const struct pool *p = &t->pools[i];
		struct cpumap both;

		if (!pool_name_valid(p->name))
			return perr_set(e, POOLD_E_CORRUPT, "pool name \"%s\" is invalid", p->name);
		if (p->id >= t->next_id)
			return perr_set(e, POOLD_E_CORRUPT,
			                "pool %s has id %u, not below the next id %u", p->name,
			                p->id, t->next_id);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(t->pools[j].name, p->name) == 0)
				return perr_set(e, POOLD_E_CORRUPT, "pool name %s is used twice",
				                p->name);
			if (t->pools[j].id == p->id)
				return perr_set(e, POOLD_E_CORRUPT, "pools %s and %s share id %u",
				                t->pools[j].name, p->name, p->id);
		}
		cpumap_andnot(&both, &p->cpus, &t->online);
		if (!cpumap_empty(&both)) {
			cpumap_format(&both, buf, sizeof(buf));
			return perr_set(e, POOLD_E_CORRUPT, "pool %s holds offline cpus %s",
			                p->name, buf);
		}
		cpumap_and(&both, &p->cpus, &seen);
		if (!cpumap_empty(&both)) {
			cpumap_format(&both, buf, sizeof(buf));
			return perr_set(e, POOLD_E_CORRUPT,
			                "cpus %s of pool %s belong to another pool too", buf,
			                p->name);
		}
		cpumap_or(&seen, &seen, &p->cpus);
	}
	if (!cpumap_equal(&seen, &t->online)) {
		cpumap_andnot(&seen, &t->online, &seen);
		cpumap_format(&seen, buf, sizeof(buf));
		return perr_set(e, POOLD_E_CORRUPT, "online cpus %s belong to no pool", buf);
	}
	return 0;
}

struct pool *pool_find(const struct pool_table *t, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->pools[i].name, name) == 0)
			return &t->pools[i];
	return NULL;
}

struct pool *pool_find_id(const struct pool_table *t, uint32_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pools[i].id == id)
			return &t->pools[i];
	return NULL;
}

struct pool *pool_of_cpu(const struct pool_table *t, unsigned cpu)
{
	for (size_t i = 0; i < t->n; i++)
		if (cpumap_test(&t->pools[i].cpus, cpu))
			return &t->pools[i];
	return NULL;
}

/* Says that `cpus` may not be taken, naming them and the pools that own them. */
static int not_free(const struct pool_table *t, const struct cpumap *cpus, struct perr *e)
{
	char list[CPUMAP_TEXT_MAX];
	char owners[PERR_MSG_MAX] = "";
	size_t pos = 0;
	bool many = cpumap_count(cpus) > 1;

	cpumap_format(cpus, list, sizeof(list));
	for (size_t i = 0; i < t->n; i++) {
		if (!cpumap_intersects(&t->pools[i].cpus, cpus))
			continue;
		int n = snprintf(owners + pos, sizeof(owners) - pos, "%s%s", pos ? ", " : "",
		                 t->pools[i].name);
		if (n < 0 || (size_t)n >= sizeof(owners) - pos)
			break;
		pos += (size_t)n;
	}
	return perr_set(e, POOLD_E_BUSY,
	                "%s %s %s not free: %s to %s; free %s with pool-modify or pool-destroy",
	                many ? "cpus" : "cpu", list, many ? "are" : "is",
	                many ? "they belong" : "it belongs", owners, many ? "them" : "it");
}

/* Checks that a pool may own exactly `cpus`: online, and each from pool0 or `self`. */
static int check_cpus(const struct pool_table *t, const struct pool *self,
                      const struct cpumap *cpus, struct perr *e)
{
	const struct pool *p0 = &t->pools[0];
	char list[CPUMAP_TEXT_MAX];
	struct cpumap bad, left;

	cpumap_andnot(&bad, cpus, &t->online);
	if (!cpumap_empty(&bad)) {
		cpumap_format(&bad, list, sizeof(list));
		return perr_set(
		    e, POOLD_E_INVALID,
		    "%s %s %s offline: choose online pCPUs (poolctl pool-list shows them)",
		    cpumap_count(&bad) > 1 ? "cpus" : "cpu", list,
		    cpumap_count(&bad) > 1 ? "are" : "is");
	}
	cpumap_andnot(&bad, cpus, &p0->cpus);
	if (self)
		cpumap_andnot(&bad, &bad, &self->cpus);
	if (!cpumap_empty(&bad))
		return not_free(t, &bad, e);

	/* What pool0 holds afterwards: its own, plus what self gives back, minus cpus. */
	left = p0->cpus;
	if (self)
		cpumap_or(&left, &left, &self->cpus);
	cpumap_andnot(&left, &left, cpus);
	if (cpumap_empty(&left))
		return perr_set(e, POOLD_E_NOCPU,
		                "pool0 must keep at least one pCPU (dom0 runs there): leave one of "
		                "its cpus out");
	return 0;
}

int pool_resolve_cpus(const struct pool_table *t, const struct topo *topo, const struct pool *self,
                      const struct pool_cpus_spec *spec, struct cpumap *out, struct perr *e)
{
	const struct pool *p0 = &t->pools[0];
	struct cpumap have, free_cpus;
	int r;

	if (self == p0)
		return perr_set(
		    e, POOLD_E_PROTECTED,
		    "pool0 can't be resized directly: it holds every pCPU no other pool "
		    "has; resize or destroy the other pools instead");
	if (!spec->by_count) {
		r = check_cpus(t, self, &spec->cpus, e);
		if (r)
			return r;
		*out = spec->cpus;
		return 0;
	}

	if (self)
		have = self->cpus;
	else
		cpumap_zero(&have);
	cpumap_and(&free_cpus, &p0->cpus, &t->online);
	return ncpu_select(topo, &free_cpus, &have, spec->ncpu, 1, out, e);
}

/* Makes room for one more pool. */
static int grow(struct pool_table *t)
{
	struct pool *p;
	size_t alloc;

	if (t->n < t->alloc)
		return 0;
	alloc = t->alloc ? t->alloc * 2 : 4;
	p = realloc(t->pools, alloc * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	t->pools = p;
	t->alloc = alloc;
	return 0;
}

/* Refuses a name that is malformed or taken. */
static int check_new_name(const struct pool_table *t, const char *name, struct perr *e)
{
	if (!pool_name_valid(name))
		return perr_set(e, POOLD_E_INVALID,
		                "pool name \"%.*s\" is invalid: use 1 to %d of the characters "
		                "A-Z a-z 0-9 _ . -",
		                POOL_NAME_MAX + 1, name ? name : "", POOL_NAME_MAX);
	if (pool_find(t, name))
		return perr_set(
		    e, POOLD_E_EXISTS,
		    "pool \"%s\" already exists: choose another name or use pool-modify", name);
	return 0;
}

int pool_create(struct pool_table *t, const char *name, const struct cpumap *cpus, unsigned cap,
                struct pool **out, struct perr *e)
{
	struct pool *p;
	int r;

	r = check_new_name(t, name, e);
	if (r)
		return r;
	if (cpumap_empty(cpus))
		return perr_set(e, POOLD_E_INVALID,
		                "pool \"%s\" needs at least one pCPU: give ncpu=N (N >= 1) or "
		                "cpu=LIST",
		                name);
	r = check_cpus(t, NULL, cpus, e);
	if (r)
		return r;
	if (t->next_id == UINT32_MAX)
		return -EOVERFLOW;
	r = grow(t);
	if (r)
		return r;

	p = &t->pools[t->n++];
	memset(p, 0, sizeof(*p));
	p->id = t->next_id++;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->cpus = *cpus;
	p->cap = cap;
	cpumap_andnot(&t->pools[0].cpus, &t->pools[0].cpus, cpus);
	if (out)
		*out = p;
	return 0;
}

/* Finds a pool other than pool0 for a change, or says why it can't be changed. */
static int find_changeable(const struct pool_table *t, const char *name, const char *what,
                           struct pool **out, struct perr *e)
{
	struct pool *p = pool_find(t, name);

	if (p == NULL)
		return perr_set(e, POOLD_E_NOTFOUND,
		                "no pool named \"%s\": poolctl pool-list shows the pools",
		                name ? name : "");
	if (p == &t->pools[0])
		return perr_set(e, POOLD_E_PROTECTED, "pool0 can't be %s: %s", what,
		                "it holds dom0 and every pCPU no other pool has");
	*out = p;
	return 0;
}

int pool_resize(struct pool_table *t, const char *name, const struct cpumap *cpus,
                size_t nr_members, struct perr *e)
{
	struct pool *p;
	struct pool *p0 = &t->pools[0];
	int r;

	r = find_changeable(t, name, "resized", &p, e);
	if (r)
		return r;
	if (cpumap_empty(cpus) && nr_members > 0)
		return perr_set(e, POOLD_E_BUSY,
		                "pool \"%s\" has %zu domain%s and can't go to 0 pCPUs: move them "
		                "with pool-migrate first",
		                name, nr_members, nr_members == 1 ? "" : "s");
	r = check_cpus(t, p, cpus, e);
	if (r)
		return r;

	cpumap_or(&p0->cpus, &p0->cpus, &p->cpus);
	cpumap_andnot(&p0->cpus, &p0->cpus, cpus);
	p->cpus = *cpus;
	return 0;
}

int pool_destroy(struct pool_table *t, const char *name, size_t nr_members, struct perr *e)
{
	struct pool *p;
	size_t i;
	int r;

	r = find_changeable(t, name, "destroyed", &p, e);
	if (r)
		return r;
	if (nr_members > 0)
		return perr_set(e, POOLD_E_BUSY,
		                "pool \"%s\" has %zu domain%s: move them with pool-migrate or use "
		                "pool-destroy --force to move them to pool0",
		                name, nr_members, nr_members == 1 ? "" : "s");

	cpumap_or(&t->pools[0].cpus, &t->pools[0].cpus, &p->cpus);
	i = (size_t)(p - t->pools);
	memmove(&t->pools[i], &t->pools[i + 1], (t->n - i - 1) * sizeof(*p));
	t->n--;
	return 0;
}

int pool_table_set_online(struct pool_table *t, const struct topo *topo, struct perr *e)
{
	struct cpumap online, owned, p0;

	topo_online(topo, &online);
	cpumap_zero(&owned);
	for (size_t i = 1; i < t->n; i++) {
		struct cpumap c;

		cpumap_and(&c, &t->pools[i].cpus, &online);
		cpumap_or(&owned, &owned, &c);
	}
	/* pool0 keeps what it had and still is online, and gains every new cpu. */
	cpumap_andnot(&p0, &online, &owned);
	if (cpumap_empty(&p0))
		return perr_set(e, POOLD_E_BUSY,
		                "pool0 would have no online pCPU left: bring one of its cpus "
		                "online or give it cpus from another pool");

	for (size_t i = 1; i < t->n; i++)
		cpumap_and(&t->pools[i].cpus, &t->pools[i].cpus, &online);
	t->pools[0].cpus = p0;
	t->online = online;
	return 0;
}
