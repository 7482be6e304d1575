/* Placement of domains into pools by the `pool` key and pool-migrate. */
#include "core/dom.h"

#include <stdio.h>
#include <string.h>

const char *sched_kind_name(enum sched_kind k)
{
	switch (k) {
	case SCHED_CREDIT:
		return "credit";
	case SCHED_CREDIT2:
		return "credit2";
	case SCHED_OTHERS:
		return "other";
	case SCHED_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * Stores a key value into a name-sized buffer. A value too long to be a
 * pool name is cut and marked with '~', which no pool name contains, so
 * it can never match a pool yet still shows what was asked for.
 */
static void key_to_name(char out[POOL_NAME_MAX + 1], const char *key)
{
	size_t len = key ? strlen(key) : 0;

	if (len > POOL_NAME_MAX)
		snprintf(out, POOL_NAME_MAX + 1, "%.*s~", POOL_NAME_MAX - 1, key);
	else
		snprintf(out, POOL_NAME_MAX + 1, "%s", key ? key : "");
}

bool dom_take_key(struct dom *d, const char *key)
{
	char name[POOL_NAME_MAX + 1];

	/*
	 * A removed key moves nothing: only a trusted value or poolctl places a
	 * domain. Forgetting the value lets the same one written again act.
	 */
	if (key == NULL) {
		d->key_seen[0] = '\0';
		return false;
	}
	key_to_name(name, key);
	/* Only a change of the key acts, so a pool-migrate survives rereading it. */
	if (strcmp(name, d->key_seen) == 0)
		return false;
	memcpy(d->key_seen, name, sizeof(d->key_seen));
	if (strcmp(d->want, name) == 0)
		return false;
	memcpy(d->want, name, sizeof(d->want));
	return true;
}

bool dom_place(struct dom *d, const struct pool_table *t, const char *default_pool)
{
	const struct pool *p = NULL;
	bool misplaced = false;
	uint32_t id;
	bool changed;

	if (d->domid == 0) {
		p = pool_find_id(t, POOL0_ID);
	} else {
		/* A pool without pCPUs can hold no one: its members would run nowhere. */
		if (d->want[0] != '\0')
			p = pool_find(t, d->want);
		if (p != NULL && cpumap_empty(&p->cpus))
			p = NULL;
		if (p == NULL) {
			misplaced = d->want[0] != '\0';
			if (default_pool != NULL && default_pool[0] != '\0')
				p = pool_find(t, default_pool);
			if (p == NULL || cpumap_empty(&p->cpus))
				p = pool_find_id(t, POOL0_ID);
		}
	}
	id = p ? p->id : POOL0_ID;

	changed = d->pool_id != id || d->misplaced != misplaced;
	d->pool_id = id;
	d->misplaced = misplaced;
	return changed;
}
