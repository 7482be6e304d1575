/* The command table, and what several commands share: pool and domain objects, cpu specs. */
#include "ctl/cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpumap.h"
#include "core/dom.h"
#include "core/pool.h"
#include "core/topo.h"
#include "core/uuid.h"
#include "ctl/proto.h"
#include "poold-protocol.h"
#include "poold/engine.h"

/* Domain ids from here on are Xen's special ones (DOMID_FIRST_RESERVED). */
#define CTL_DOMID_MAX 0x7fef

const struct ctl_cmd *const ctl_cmd_table[] = {
    &ctl_cmd_pool_create,
    &ctl_cmd_pool_list,
    &ctl_cmd_pool_modify,
    &ctl_cmd_pool_destroy,
    &ctl_cmd_pool_migrate,
    &ctl_cmd_pool_migrate_all,
    &ctl_cmd_pool_rename,
    &ctl_cmd_domain_list,
    &ctl_cmd_domain_set,
    &ctl_cmd_status,
    &ctl_cmd_log_level,
    &ctl_cmd_subscribe,
    &ctl_cmd_query_commands,
    &ctl_cmd_top,
    &ctl_cmd_apply,
    &ctl_cmd_export,
    NULL,
};

size_t ctl_cmd_count(void)
{
	size_t n = 0;

	while (ctl_cmd_table[n] != NULL)
		n++;
	return n;
}

size_t ctl_cmd_index(const struct ctl_cmd *c)
{
	size_t i = 0;

	while (ctl_cmd_table[i] != NULL && ctl_cmd_table[i] != c)
		i++;
	return i;
}

const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (size_t i = 0; ctl_cmd_table[i] != NULL; i++)
		if (strcmp(ctl_cmd_table[i]->name, name) == 0)
			return ctl_cmd_table[i];
	return NULL;
}

const struct ctl_arg *ctl_cmd_arg(const struct ctl_cmd *c, const char *name)
{
	for (const struct ctl_arg *a = c->args; a != NULL && a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

int ctl_cmd_check_access(const struct ctl_cmd *c, int access, struct perr *e)
{
	if (access == CTL_ACCESS_FULL || !(c->flags & CTL_CMD_MUTATING))
		return 0;
	if (access == CTL_ACCESS_PEER)
		return perr_set(
		    e, CTL_E_DENIED,
		    "%s changes poold: only root, or a member of the group poold.conf's "
		    "socket_group names, may change it; others may only read",
		    c->name);
	return perr_set(e, CTL_E_DENIED,
	                "%s changes poold and this is the read-only socket: run it as root "
	                "on the main control socket (poolctl -s SOCKET, default %s)",
	                c->name, POOLD_SOCKET_DEFAULT);
}

const char *ctl_arg_type_name(enum ctl_arg_type t)
{
	switch (t) {
	case CTL_ARG_STRING:
		return "a string";
	case CTL_ARG_INT:
		return "an integer";
	case CTL_ARG_BOOL:
		return "a boolean";
	case CTL_ARG_DOMAIN:
		return "a domain name or domid";
	case CTL_ARG_OBJECT:
		return "an object";
	}
	return "unknown";
}

json_t *ctl_pool_json(const struct engine *eng, const struct pool *p)
{
	char cpus[CPUMAP_TEXT_MAX], nodes[CPUMAP_TEXT_MAX] = "";
	const struct topo *topo = engine_topo(eng);
	json_t *doms = json_array();
	bool capping = false;
	size_t n;
	const struct dom *d = engine_doms(eng, &n);

	if (topo != NULL) {
		struct cpumap nm;

		topo_cpumap_nodes(topo, &p->cpus, &nm);
		cpumap_format(&nm, nodes, sizeof(nodes));
	}
	if (doms == NULL || cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0) {
		json_decref(doms);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (d[i].pool_id != p->id)
			continue;
		json_array_append_new(doms, json_integer(d[i].domid));
		/* Holding a pool whose members all run free of caps is not capping. */
		capping |= p->share.active && d[i].share_cap != 0;
	}
	return json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:I,s:s,s:b,s:o}", "id", (json_int_t)p->id,
	                 "name", p->name, "cpus", cpus, "ncpu", (int)cpumap_count(&p->cpus),
	                 "nodes", nodes, "sched", sched_kind_name(engine_pool_sched(eng, p)), "cap",
	                 (json_int_t)p->cap, "share", p->share_off ? "off" : "auto", "share_active",
	                 capping, "domains", doms);
}

json_t *ctl_dom_json(const struct engine *eng, const struct dom *d)
{
	const struct pool *p = pool_find_id(engine_pools(eng), d->pool_id);
	char uuid[UUID_TEXT_LEN + 1];

	uuid_format(d->uuid, uuid);
	return json_pack(
	    "{s:I,s:s,s:s,s:s,s:b,s:s,s:i,s:I,s:I,s:I,s:I,s:o,s:o,s:I}", "domid",
	    (json_int_t)d->domid, "uuid", uuid, "name", d->name, "pool", p != NULL ? p->name : "",
	    "misplaced", d->misplaced, "wanted", d->want, "vcpus", (int)d->nr_vcpus, "weight",
	    (json_int_t)d->weight, "cap", (json_int_t)d->cap, "hv_weight", (json_int_t)d->hv_weight,
	    "hv_cap", (json_int_t)d->hv_cap, "used",
	    d->used >= 0 ? json_real(round(d->used * 10) / 10) : json_null(), "entitled",
	    d->entitled >= 0 ? json_real(round(d->entitled * 10) / 10) : json_null(), "share_cap",
	    (json_int_t)d->share_cap);
}

int ctl_nodes_cpus(const struct topo *topo, const char *nodes, struct cpumap *out, struct perr *e)
{
	char text[512];
	size_t pos = 0;
	const char *p = nodes;

	/* Each item of the node list becomes xl's "nodes:" item of a cpu list. */
	for (;;) {
		size_t len = strcspn(p, ",");
		bool exclude = false;
		int n;

		while (len > 0 && (*p == ' ' || *p == '^')) {
			exclude |= *p == '^';
			p++;
			len--;
		}
		n = snprintf(text + pos, sizeof(text) - pos, "%s%snodes:%.*s", pos ? "," : "",
		             exclude ? "^" : "", (int)len, p);
		if (n < 0 || (size_t)n >= sizeof(text) - pos)
			return perr_set(e, POOLD_E_INVALID, "the node list is too long: write 0-3");
		pos += (size_t)n;
		p += len;
		if (*p != ',')
			break;
		p++;
	}
	if (topo == NULL)
		return perr_set(e, POOLD_E_INVALID,
		                "this host's NUMA nodes are not known yet: give cpus");
	return topo_parse_cpus(topo, text, out, e);
}

int ctl_cpus_spec(const struct engine *eng, json_t *ncpu, const char *cpus, const char *nodes,
                  unsigned min_ncpu, struct pool_cpus_spec *spec, bool *given, struct perr *e)
{
	const struct topo *topo = engine_topo(eng);
	unsigned nr = topo != NULL ? topo->nr_cpus : CPUMAP_MAX;
	json_int_t n;
	int r;

	*given = ncpu != NULL || cpus != NULL || nodes != NULL;
	if ((ncpu != NULL) + (cpus != NULL) + (nodes != NULL) > 1)
		return perr_set(e, POOLD_E_INVALID,
		                "give one of ncpu (a count), cpus (a list) or nodes (NUMA nodes), "
		                "not several");
	memset(spec, 0, sizeof(*spec));
	if (ncpu != NULL) {
		n = json_integer_value(ncpu);
		/* More than the host has is the engine's NoFreeCpu, said with what is free. */
		if (n < (json_int_t)min_ncpu || n > CPUMAP_MAX)
			return perr_set(e, POOLD_E_INVALID,
			                "ncpu %" JSON_INTEGER_FORMAT
			                " is out of range: use %u..%u (the host has %u pCPUs)",
			                n, min_ncpu, nr, nr);
		spec->by_count = true;
		spec->ncpu = (unsigned)n;
	} else if (cpus != NULL) {
		return topo != NULL ? topo_parse_cpus(topo, cpus, &spec->cpus, e)
		                    : cpumap_parse(&spec->cpus, cpus, nr, e);
	} else if (nodes != NULL) {
		if ((r = ctl_nodes_cpus(topo, nodes, &spec->cpus, e)) != 0)
			return r;
		if (cpumap_empty(&spec->cpus) && min_ncpu > 0)
			return perr_set(
			    e, POOLD_E_INVALID,
			    "nodes %.64s have no online pCPU: pick nodes from pool-list's "
			    "nodes column",
			    nodes);
	}
	return 0;
}

int ctl_share_parse(const char *v, int *out, struct perr *e)
{
	if (v == NULL)
		*out = -1;
	else if (strcmp(v, "auto") == 0)
		*out = SHARE_AUTO;
	else if (strcmp(v, "off") == 0)
		*out = SHARE_OFF;
	else
		return perr_set(e, POOLD_E_INVALID,
		                "share \"%.32s\" is unknown: use auto (caps that make weights hold "
		                "while the pool is busy) or off",
		                v);
	return 0;
}

int ctl_pool_cap_check(const struct engine *eng, json_int_t cap, struct perr *e)
{
	const struct topo *topo = engine_topo(eng);
	unsigned nr = topo != NULL ? topo->nr_cpus : CPUMAP_MAX;

	if (cap < 0 || cap > 100 * (json_int_t)nr)
		return perr_set(
		    e, POOLD_E_INVALID,
		    "cap %" JSON_INTEGER_FORMAT
		    " is out of range: use 0..%u (%% of one pCPU for the whole pool, 0 = none)",
		    cap, 100 * nr);
	return 0;
}

int ctl_domain_ref(json_t *v, char *buf, size_t len, struct perr *e)
{
	json_int_t id;
	const char *name;

	if (json_is_integer(v)) {
		id = json_integer_value(v);
		if (id < 0 || id > CTL_DOMID_MAX)
			return perr_set(e, POOLD_E_INVALID,
			                "domid %" JSON_INTEGER_FORMAT
			                " is out of range: use 0..%d or a domain name",
			                id, CTL_DOMID_MAX);
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, id);
		return 0;
	}
	name = json_string_value(v);
	if (name == NULL || name[0] == '\0')
		return perr_set(e, POOLD_E_INVALID, "domain must be a name or a domid");
	if (strlen(name) >= len || strlen(name) > DOM_NAME_MAX)
		return perr_set(e, POOLD_E_INVALID, "domain name is longer than %d characters",
		                DOM_NAME_MAX);
	snprintf(buf, len, "%s", name);
	return 0;
}

/* A pool's entry of a plan. */
static json_t *plan_pool_json(const struct engine_plan_pool *p)
{
	char cpus[CPUMAP_TEXT_MAX], gained[CPUMAP_TEXT_MAX], lost[CPUMAP_TEXT_MAX];

	if (cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0 ||
	    cpumap_format(&p->gained, gained, sizeof(gained)) < 0 ||
	    cpumap_format(&p->lost, lost, sizeof(lost)) < 0)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:I,s:s}", "name", p->name, "action", p->action,
	                 "cpus", cpus, "ncpu", (int)cpumap_count(&p->cpus), "gained", gained,
	                 "lost", lost, "cap", (json_int_t)p->cap, "share",
	                 p->share_off ? "off" : "auto");
}

/* A hypervisor write of a plan; the fields of the other kinds are null. */
static json_t *plan_write_json(const struct engine *eng, const struct plan_op *op)
{
	char cpus[CPUMAP_TEXT_MAX], soft[CPUMAP_TEXT_MAX], nodes[CPUMAP_TEXT_MAX];
	const char *name = "";
	size_t n;
	const struct dom *d = engine_doms(eng, &n);
	bool aff = op->kind == PLAN_SET_AFFINITY, nod = op->kind == PLAN_SET_NODES;
	bool sch = !aff && !nod;

	for (size_t i = 0; i < n; i++)
		if (d[i].domid == op->domid)
			name = d[i].name;
	if (aff && cpumap_format(&op->cpus, cpus, sizeof(cpus)) < 0)
		return NULL;
	if (aff && op->with_soft && cpumap_format(&op->soft, soft, sizeof(soft)) < 0)
		return NULL;
	if (nod && cpumap_format(&op->nodes, nodes, sizeof(nodes)) < 0)
		return NULL;
	return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "domid",
	                 (json_int_t)op->domid, "name", name, "op",
	                 aff   ? "affinity"
	                 : nod ? "nodes"
	                       : "sched",
	                 "vcpu", aff ? json_integer(op->vcpu) : json_null(), "cpus",
	                 aff ? json_string(cpus) : json_null(), "soft",
	                 aff && op->with_soft ? json_string(soft) : json_null(), "nodes",
	                 nod ? json_string(nodes) : json_null(), "sched",
	                 sch ? json_string(sched_kind_name(op->sched)) : json_null(), "weight",
	                 sch ? json_integer(op->weight) : json_null(), "cap",
	                 sch ? json_integer(op->cap) : json_null());
}

json_t *ctl_plan_json(const struct engine *eng, const struct engine_plan *pl)
{
	json_t *pools = json_array(), *doms = json_array(), *writes = json_array();

	for (size_t i = 0; pools != NULL && i < pl->npools; i++)
		json_array_append_new(pools, plan_pool_json(&pl->pools[i]));
	for (size_t i = 0; doms != NULL && i < pl->ndoms; i++) {
		const struct engine_plan_dom *d = &pl->doms[i];

		json_array_append_new(
		    doms, json_pack("{s:I,s:s,s:s,s:s,s:I,s:I}", "domid", (json_int_t)d->domid,
		                    "name", d->name, "pool_was", d->pool_was, "pool", d->pool,
		                    "weight", (json_int_t)d->weight, "cap", (json_int_t)d->cap));
	}
	for (size_t i = 0; writes != NULL && i < pl->writes.n; i++)
		json_array_append_new(writes, plan_write_json(eng, &pl->writes.ops[i]));
	if (pools == NULL || doms == NULL || writes == NULL) {
		json_decref(pools);
		json_decref(doms);
		json_decref(writes);
		return NULL;
	}
	return json_pack("{s:o,s:o,s:o}", "pools", pools, "domains", doms, "writes", writes);
}

void ctl_dry_begin(struct engine *eng, bool dry, struct engine_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (dry)
		engine_dry_run(eng, plan);
}

int ctl_dry_end(struct engine *eng, int r, struct engine_plan *plan, json_t **ret)
{
	engine_dry_run(eng, NULL);
	if (r == 0) {
		*ret = json_pack("{s:b,s:o}", "dry_run", 1, "plan", ctl_plan_json(eng, plan));
		if (*ret == NULL)
			r = -ENOMEM;
	}
	engine_plan_fini(plan);
	return r;
}

bool ctl_slice_add(struct ctl_slice *sl, const char *text, size_t len)
{
	if (sl->failed)
		return false;
	if (sl->len + len + 1 > sl->cap) {
		size_t cap = sl->cap > 0 ? sl->cap : 4096;
		char *buf;

		while (cap < sl->len + len + 1)
			cap *= 2;
		buf = realloc(sl->buf, cap);
		if (buf == NULL) {
			sl->failed = true;
			return false;
		}
		sl->buf = buf;
		sl->cap = cap;
	}
	memcpy(sl->buf + sl->len, text, len);
	sl->len += len;
	sl->buf[sl->len] = '\0';
	return true;
}
