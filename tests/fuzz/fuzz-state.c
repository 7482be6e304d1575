/*
 * Fuzz target for the state file loader: arbitrary bytes as state.json. A file it accepts must
 * hold a valid table, and saving that table must give a file that loads to the same thing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "poold/state.h"
#include "util/log.h"

/* Turns the loaded records back into the live domains state_save takes. */
static struct dom *doms_of(const struct state_dom *sd, size_t n)
{
	struct dom *d = calloc(n + 1, sizeof(*d));

	FUZZ_CHECK(d != NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		memcpy(d[i].uuid, sd[i].uuid, sizeof(d[i].uuid));
		d[i].domid = sd[i].domid;
		strcpy(d[i].name, sd[i].name);
		strcpy(d[i].want, sd[i].want);
		strcpy(d[i].key_seen, sd[i].key_seen);
		d[i].weight = sd[i].weight;
		d[i].cap = sd[i].cap;
	}
	return d;
}

/* Checks that two loads describe the same pools and records, field by field. */
static void check_same(const struct pool_table *a, const struct state_dom *da, size_t na,
                       const struct pool_table *b, const struct state_dom *db, size_t nb)
{
	FUZZ_CHECK(a->n == b->n && a->next_id == b->next_id, "pools: %zu/%u then %zu/%u", a->n,
	           a->next_id, b->n, b->next_id);
	FUZZ_CHECK(cpumap_equal(&a->online, &b->online), "online cpus differ");
	for (size_t i = 0; i < a->n; i++) {
		const struct pool *p = &a->pools[i], *q = &b->pools[i];

		FUZZ_CHECK(p->id == q->id && strcmp(p->name, q->name) == 0 &&
		               cpumap_equal(&p->cpus, &q->cpus) && p->cap == q->cap,
		           "pool %zu: %s (id %u) became %s (id %u)", i, p->name, p->id, q->name,
		           q->id);
	}
	FUZZ_CHECK(na == nb, "%zu domain records became %zu", na, nb);
	for (size_t i = 0; i < na; i++) {
		const struct state_dom *x = &da[i], *y = &db[i];

		FUZZ_CHECK(memcmp(x->uuid, y->uuid, 16) == 0 && x->domid == y->domid &&
		               strcmp(x->name, y->name) == 0 && strcmp(x->want, y->want) == 0 &&
		               strcmp(x->key_seen, y->key_seen) == 0 && x->weight == y->weight &&
		               x->cap == y->cap,
		           "domain record %zu (%s) changed", i, x->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *again_path;
	struct pool_table t = {0}, t2 = {0};
	struct state_dom *doms = NULL, *doms2 = NULL;
	size_t ndoms = 0, ndoms2 = 0;
	struct perr e = {0};
	struct dom *live;
	char *path;
	int r;

	log_init("fuzz-state", LOG_LEVEL_ERR);
	if (again_path == NULL && asprintf(&again_path, "%s/sub/resaved.json", fuzz_tmpdir()) < 0)
		abort();
	path = fuzz_write_file("state.json", data, size);
	r = state_load(path, &t, &doms, &ndoms, &e);
	FUZZ_CHECK(r == 0 || r == POOLD_E_CORRUPT || r == -ENOMEM, "state_load returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(doms == NULL && t.pools == NULL, "a refused file left data behind");
		FUZZ_CHECK(r < 0 || (e.code == r && strstr(e.msg, path) != NULL),
		           "the message does not name the file: %s", e.msg);
		free(path);
		return 0;
	}
	r = pool_table_check(&t, &e);
	FUZZ_CHECK(r == 0, "an accepted file breaks an invariant: %s", e.msg);
	FUZZ_CHECK(ndoms == 0 || doms != NULL, "records missing");

	live = doms_of(doms, ndoms);
	r = state_save(again_path, &t, live, ndoms, &e);
	FUZZ_CHECK(r == 0, "saving an accepted table failed: %s", e.msg);
	r = state_load(again_path, &t2, &doms2, &ndoms2, &e);
	FUZZ_CHECK(r == 0, "the re-saved file does not load: %s", e.msg);
	check_same(&t, doms, ndoms, &t2, doms2, ndoms2);

	free(live);
	free(doms);
	free(doms2);
	pool_table_fini(&t);
	pool_table_fini(&t2);
	free(path);
	return 0;
}
