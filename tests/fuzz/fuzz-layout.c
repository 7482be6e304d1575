/*
 * Fuzz target for layout files (poolctl apply): arbitrary bytes through jansson and
 * ctl_layout_decode on a host of 16 pCPUs. A layout it accepts holds only what the engine
 * may be handed (valid names, pCPUs of the host, counts and settings in range, every string
 * bounded) and decodes the same again; a refused one leaves nothing behind and says which
 * part was wrong.
 */
#include <string.h>

#include "ctl/layout.h"
#include "fuzz.h"

#define NR_CPUS 16

/* Checks what the engine relies on in an accepted layout. */
static void check_layout(const struct engine_layout *l)
{
	struct cpumap host;

	cpumap_fill(&host, NR_CPUS);
	for (size_t i = 0; i < l->npools; i++) {
		const struct engine_layout_pool *p = &l->pools[i];

		FUZZ_CHECK(pool_name_valid(p->name), "pool %zu: name \"%s\"", i, p->name);
		FUZZ_CHECK(p->cap >= -1 && p->cap <= 100 * NR_CPUS, "pool %s: cap %d", p->name,
		           p->cap);
		FUZZ_CHECK(p->share == -1 || p->share == SHARE_AUTO || p->share == SHARE_OFF,
		           "pool %s: share %d", p->name, p->share);
		if (p->cpus_given && p->spec.by_count)
			FUZZ_CHECK(p->spec.ncpu >= 1 && p->spec.ncpu <= NR_CPUS, "pool %s: ncpu %u",
			           p->name, p->spec.ncpu);
		else if (p->cpus_given)
			FUZZ_CHECK(cpumap_subset(&p->spec.cpus, &host),
			           "pool %s: cpus off the host", p->name);
	}
	for (size_t i = 0; i < l->ndoms; i++) {
		const struct engine_layout_dom *d = &l->doms[i];

		FUZZ_CHECK(d->by_uuid || d->name[0] != '\0', "domain %zu names none", i);
		FUZZ_CHECK(memchr(d->name, '\0', sizeof(d->name)) != NULL, "domain %zu: name", i);
		FUZZ_CHECK(d->pool[0] == '\0' || pool_name_valid(d->pool),
		           "domain %zu: pool \"%s\"", i, d->pool);
		FUZZ_CHECK(d->weight == -1 ||
		               (d->weight >= DOM_WEIGHT_MIN && d->weight <= DOM_WEIGHT_MAX),
		           "domain %zu: weight %d", i, d->weight);
		FUZZ_CHECK(d->cap >= -1 && d->cap <= CTL_LAYOUT_CAP_MAX, "domain %zu: cap %d", i,
		           d->cap);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine_layout l, again;
	struct perr e = {0}, e2 = {0};
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	int r;

	if (doc == NULL)
		return 0;
	r = ctl_layout_decode(doc, NR_CPUS, NULL, &l, &e);
	if (r != 0) {
		FUZZ_CHECK(r == POOLD_E_INVALID, "refused with %d", r);
		FUZZ_CHECK(l.pools == NULL && l.doms == NULL && l.npools + l.ndoms == 0,
		           "a refused layout left entries");
		FUZZ_CHECK(e.msg[0] != '\0', "refused without a message");
		json_decref(doc);
		return 0;
	}
	check_layout(&l);
	FUZZ_CHECK(ctl_layout_decode(doc, NR_CPUS, NULL, &again, &e2) == 0,
	           "a second decode failed");
	FUZZ_CHECK(again.npools == l.npools && again.ndoms == l.ndoms && again.prune == l.prune,
	           "a second decode differs");
	for (size_t i = 0; i < l.npools; i++) {
		const struct engine_layout_pool *a = &l.pools[i], *b = &again.pools[i];

		FUZZ_CHECK(strcmp(a->name, b->name) == 0 && a->cpus_given == b->cpus_given &&
		               a->spec.by_count == b->spec.by_count &&
		               a->spec.ncpu == b->spec.ncpu &&
		               cpumap_equal(&a->spec.cpus, &b->spec.cpus) && a->cap == b->cap &&
		               a->share == b->share,
		           "a second decode's pool %zu differs", i);
	}
	ctl_layout_fini(&again);
	ctl_layout_fini(&l);
	json_decref(doc);
	return 0;
}
