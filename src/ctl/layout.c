/* The layout file's JSON (poolctl apply, poolctl export) to and from struct engine_layout. */
#include "ctl/layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpumap.h"
#include "core/topo.h"
#include "ctl/cmd.h"
#include "core/uuid.h"

/* Names a pool entry in a message: pools[i], with its name once known. */
static void pool_part(char *buf, size_t len, size_t i, const char *name)
{
	if (name != NULL && name[0] != '\0')
		snprintf(buf, len, "pools[%zu] (%.64s)", i, name);
	else
		snprintf(buf, len, "pools[%zu]", i);
}

/* Refuses a key the schema does not have, naming the ones it does. */
static int only_keys(json_t *o, const char *const *keys, const char *part, struct perr *e)
{
	const char *k;
	json_t *v;

	json_object_foreach (o, k, v) {
		size_t i = 0;

		while (keys[i] != NULL && strcmp(keys[i], k) != 0)
			i++;
		if (keys[i] == NULL) {
			char list[128] = "";
			size_t off = 0;

			for (i = 0; keys[i] != NULL && off < sizeof(list); i++)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
				                        i ? ", " : "", keys[i]);
			return perr_set(e, POOLD_E_INVALID,
			                "%s: unknown key \"%.32s\": the keys are %s", part, k,
			                list);
		}
	}
	return 0;
}

/* Reads an optional integer in [lo, hi] into *out (left alone when absent or null). */
static int get_int(json_t *o, const char *key, long lo, long hi, const char *what, const char *part,
                   int *out, struct perr *e)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	if (v == NULL || json_is_null(v))
		return 0;
	n = json_is_integer(v) ? json_integer_value(v) : lo - 1;
	if (!json_is_integer(v) || n < lo || n > hi)
		return perr_set(e, POOLD_E_INVALID, "%s: %s must be a whole number %ld..%ld (%s)",
		                part, key, lo, hi, what);
	*out = (int)n;
	return 0;
}

/* Reads an optional string into *out (left alone when absent or null); "" is refused. */
static int get_str(json_t *o, const char *key, const char *part, const char **out, struct perr *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return perr_set(e, POOLD_E_INVALID, "%s: %s must be a non-empty string", part, key);
	*out = json_string_value(v);
	return 0;
}

/* One entry of "pools". */
static int decode_pool(json_t *o, size_t i, unsigned nr_cpus, const struct topo *topo,
                       struct engine_layout_pool *lp, struct perr *e)
{
	static const char *const keys[] = {"name", "cpus", "ncpu", "nodes", "cap", "share", NULL};
	const char *name = NULL, *cpus = NULL, *nodes = NULL, *share = NULL;
	char part[96];
	struct perr why = {0};
	int ncpu = -1, r;

	pool_part(part, sizeof(part), i, NULL);
	if (!json_is_object(o))
		return perr_set(e, POOLD_E_INVALID, "%s: must be an object {\"name\": ..., ...}",
		                part);
	if ((r = get_str(o, "name", part, &name, e)) != 0)
		return r;
	if (name == NULL)
		return perr_set(e, POOLD_E_INVALID, "%s: the pool needs a \"name\"", part);
	pool_part(part, sizeof(part), i, name);
	if (strlen(name) > POOL_NAME_MAX || !pool_name_valid(name))
		return perr_set(e, POOLD_E_INVALID,
		                "%s: not a valid pool name: use 1 to 64 of A-Z a-z 0-9 _ . -",
		                part);
	if ((r = only_keys(o, keys, part, e)) != 0)
		return r;
	*lp = (struct engine_layout_pool){.cap = -1, .share = -1};
	snprintf(lp->name, sizeof(lp->name), "%s", name);
	if ((r = get_str(o, "cpus", part, &cpus, e)) != 0 ||
	    (r = get_str(o, "nodes", part, &nodes, e)) != 0 ||
	    (r = get_int(o, "ncpu", 1, (long)nr_cpus, "how many pCPUs", part, &ncpu, e)) != 0 ||
	    (r = get_int(o, "cap", 0, 100L * nr_cpus, "% of one pCPU for the whole pool, 0 = none",
	                 part, &lp->cap, e)) != 0 ||
	    (r = get_str(o, "share", part, &share, e)) != 0)
		return r;
	if ((cpus != NULL) + (ncpu >= 0) + (nodes != NULL) > 1)
		return perr_set(
		    e, POOLD_E_INVALID,
		    "%s: give one of cpus (which pCPUs), ncpu (how many) or nodes (those "
		    "of NUMA nodes), not several",
		    part);
	if (cpus != NULL) {
		r = topo != NULL ? topo_parse_cpus(topo, cpus, &lp->spec.cpus, &why)
		                 : cpumap_parse(&lp->spec.cpus, cpus, nr_cpus, &why);
		if (r != 0)
			return perr_set(e, r, "%s: cpus: %s", part, why.msg);
		lp->cpus_given = true;
	} else if (nodes != NULL) {
		if ((r = ctl_nodes_cpus(topo, nodes, &lp->spec.cpus, &why)) != 0)
			return perr_set(e, r, "%s: nodes: %s", part, why.msg);
		lp->cpus_given = true;
	} else if (ncpu >= 0) {
		lp->spec.by_count = true;
		lp->spec.ncpu = (unsigned)ncpu;
		lp->cpus_given = true;
	}
	if (share != NULL) {
		if (strcmp(share, "auto") == 0)
			lp->share = SHARE_AUTO;
		else if (strcmp(share, "off") == 0)
			lp->share = SHARE_OFF;
		else
			return perr_set(e, POOLD_E_INVALID,
			                "%s: share \"%.32s\" is unknown: use \"auto\" or \"off\"",
			                part, share);
	}
	return 0;
}

/* One entry of "domains". */
static int decode_dom(json_t *o, size_t i, struct engine_layout_dom *ld, struct perr *e)
{
	static const char *const keys[] = {"name", "uuid", "pool", "weight", "cap", NULL};
	const char *name = NULL, *uuid = NULL, *pool = NULL;
	char part[128];
	int r;

	snprintf(part, sizeof(part), "domains[%zu]", i);
	if (!json_is_object(o))
		return perr_set(e, POOLD_E_INVALID, "%s: must be an object {\"name\": ..., ...}",
		                part);
	if ((r = get_str(o, "name", part, &name, e)) != 0 ||
	    (r = get_str(o, "uuid", part, &uuid, e)) != 0)
		return r;
	if (name != NULL)
		snprintf(part, sizeof(part), "domains[%zu] (%.64s)", i, name);
	else if (uuid != NULL)
		snprintf(part, sizeof(part), "domains[%zu] (%.40s)", i, uuid);
	if ((r = only_keys(o, keys, part, e)) != 0)
		return r;
	*ld = (struct engine_layout_dom){.weight = -1, .cap = -1};
	if (name == NULL && uuid == NULL)
		return perr_set(e, POOLD_E_INVALID,
		                "%s: say which domain: give its \"name\" or its \"uuid\"", part);
	if (name != NULL && strlen(name) > DOM_NAME_MAX)
		return perr_set(e, POOLD_E_INVALID, "%s: name is longer than %d characters", part,
		                DOM_NAME_MAX);
	if (name != NULL)
		snprintf(ld->name, sizeof(ld->name), "%s", name);
	if (uuid != NULL) {
		if (uuid_parse(uuid, ld->uuid) != 0)
			return perr_set(e, POOLD_E_INVALID,
			                "%s: uuid must be of the form "
			                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex)",
			                part);
		ld->by_uuid = true;
	}
	if ((r = get_str(o, "pool", part, &pool, e)) != 0)
		return r;
	if (pool != NULL) {
		if (strlen(pool) > POOL_NAME_MAX || !pool_name_valid(pool))
			return perr_set(e, POOLD_E_INVALID,
			                "%s: pool \"%.64s\" is not a valid name", part, pool);
		snprintf(ld->pool, sizeof(ld->pool), "%s", pool);
	}
	if ((r = get_int(o, "weight", DOM_WEIGHT_MIN, DOM_WEIGHT_MAX, "256 is the default", part,
	                 &ld->weight, e)) != 0 ||
	    (r = get_int(o, "cap", 0, CTL_LAYOUT_CAP_MAX, "% of one pCPU, 0 = none", part, &ld->cap,
	                 e)) != 0)
		return r;
	return 0;
}

int ctl_layout_decode(json_t *doc, unsigned nr_cpus, const struct topo *topo,
                      struct engine_layout *out, struct perr *e)
{
	static const char *const keys[] = {"version", "prune", "pools", "domains", NULL};
	json_t *pools, *doms, *v;
	int r;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(doc))
		return perr_set(
		    e, POOLD_E_INVALID,
		    "the layout must be an object {\"pools\": [...], \"domains\": [...]}");
	if ((r = only_keys(doc, keys, "the layout", e)) != 0)
		return r;
	v = json_object_get(doc, "version");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) != CTL_LAYOUT_VERSION))
		return perr_set(e, POOLD_E_INVALID,
		                "the layout's version must be %d (the only one this poold reads)",
		                CTL_LAYOUT_VERSION);
	v = json_object_get(doc, "prune");
	if (v != NULL && !json_is_boolean(v))
		return perr_set(e, POOLD_E_INVALID, "prune must be true or false");
	out->prune = json_is_true(v);
	pools = json_object_get(doc, "pools");
	doms = json_object_get(doc, "domains");
	if ((pools != NULL && !json_is_array(pools)) || (doms != NULL && !json_is_array(doms)))
		return perr_set(e, POOLD_E_INVALID, "%s must be an array of objects",
		                pools != NULL && !json_is_array(pools) ? "pools" : "domains");
	out->pools = calloc(json_array_size(pools) + 1, sizeof(*out->pools));
	out->doms = calloc(json_array_size(doms) + 1, sizeof(*out->doms));
	if (out->pools == NULL || out->doms == NULL) {
		ctl_layout_fini(out);
		return perr_set(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < json_array_size(pools); i++) {
		r = decode_pool(json_array_get(pools, i), i, nr_cpus, topo, &out->pools[i], e);
		if (r != 0)
			goto fail;
		out->npools++;
	}
	for (size_t i = 0; i < json_array_size(doms); i++) {
		r = decode_dom(json_array_get(doms, i), i, &out->doms[i], e);
		if (r != 0)
			goto fail;
		out->ndoms++;
	}
	return 0;
fail:
	ctl_layout_fini(out);
	return r;
}

void ctl_layout_fini(struct engine_layout *l)
{
	free(l->pools);
	free(l->doms);
	memset(l, 0, sizeof(*l));
}

json_t *ctl_layout_export(const struct engine *eng)
{
	const struct pool_table *t = engine_pools(eng);
	json_t *pools = json_array(), *doms = json_array();
	size_t n;
	const struct dom *d = engine_doms(eng, &n);

	for (size_t j = 0; pools != NULL && j < t->n; j++) {
		const struct pool *p = &t->pools[j];
		char cpus[CPUMAP_TEXT_MAX];

		if (cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0)
			cpus[0] = '\0';
		/* pool0's pCPUs are what the others leave: a layout never gives them. */
		json_array_append_new(
		    pools, json_pack("{s:s,s:o,s:I,s:s}", "name", p->name, "cpus",
		                     p->id != POOL0_ID ? json_string(cpus) : json_null(), "cap",
		                     (json_int_t)p->cap, "share", p->share_off ? "off" : "auto"));
	}
	for (size_t i = 0; doms != NULL && i < n; i++) {
		char uuid[UUID_TEXT_LEN + 1];
		/* Only a pool it asked for and has: none (the default) and a missing one stay so. */
		bool want = d[i].domid != 0 && d[i].want[0] != '\0' && !d[i].misplaced &&
		            pool_find(t, d[i].want) != NULL;

		uuid_format(d[i].uuid, uuid);
		json_array_append_new(
		    doms, json_pack("{s:s,s:s,s:o,s:I,s:I}", "name", d[i].name, "uuid", uuid,
		                    "pool", want ? json_string(d[i].want) : json_null(), "weight",
		                    (json_int_t)d[i].weight, "cap", (json_int_t)d[i].cap));
	}
	if (pools == NULL || doms == NULL) {
		json_decref(pools);
		json_decref(doms);
		return NULL;
	}
	return json_pack("{s:i,s:b,s:o,s:o}", "version", CTL_LAYOUT_VERSION, "prune", 0, "pools",
	                 pools, "domains", doms);
}
