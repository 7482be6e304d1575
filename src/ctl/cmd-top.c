/* top: per pool and per domain, the CPU use the share controller's last period measured. */
#include "ctl/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "core/cpumap.h"
#include "core/topo.h"
#include "poold/engine.h"

/* What the domains of one pool add up to. */
struct top_pool {
	size_t members, measured;
	unsigned vcpus;
	double used;
	bool capped; /* a member has a cap the controller decided */
};

/* Tenths of a percent, as domain-list shows use. */
static json_t *tenths(double v)
{
	return json_real(round(v * 10) / 10);
}

static const char *state_name(enum engine_share_state s, bool capped)
{
	switch (s) {
	case ENGINE_SHARE_OFF:
		return "off";
	case ENGINE_SHARE_IDLE:
		return "idle";
	case ENGINE_SHARE_ACTIVE:
		/* Entitlements decided, but every member runs free of caps: nothing held. */
		return capped ? "holding" : "idle";
	case ENGINE_SHARE_GRACE:
		return "grace";
	}
	return "off";
}

/* One pool's row: its pCPUs and nodes, members, use and the controller's state. */
static json_t *pool_row(const struct engine *eng, const struct pool *p, const struct top_pool *tp)
{
	char cpus[CPUMAP_TEXT_MAX], nodes[CPUMAP_TEXT_MAX];
	unsigned ncpu = cpumap_count(&p->cpus);
	double capacity = 100.0 * ncpu;
	struct cpumap nm;
	json_t *used, *load, *sat;

	topo_cpumap_nodes(engine_topo(eng), &p->cpus, &nm);
	if (cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0 ||
	    cpumap_format(&nm, nodes, sizeof(nodes)) < 0)
		return NULL;
	if (p->cap > 0 && p->cap < capacity)
		capacity = p->cap;
	if (tp->members > 0 && tp->measured == 0) {
		used = json_null();
		load = json_null();
		sat = json_null();
	} else {
		used = tenths(tp->used);
		load = capacity > 0 ? tenths(100.0 * tp->used / capacity) : json_null();
		sat = json_boolean(capacity > 0 && tp->used >= engine_share_saturated() * capacity);
	}
	return json_pack("{s:I,s:s,s:s,s:i,s:s,s:I,s:I,s:i,s:o,s:o,s:o,s:s}", "id",
	                 (json_int_t)p->id, "name", p->name, "cpus", cpus, "ncpu", (int)ncpu,
	                 "nodes", nodes, "cap", (json_int_t)p->cap, "members",
	                 (json_int_t)tp->members, "vcpus", (int)tp->vcpus, "used", used, "load",
	                 load, "saturated", sat, "controller",
	                 state_name(engine_pool_share_state(eng, p), tp->capped));
}

/* One domain's row. */
static json_t *dom_row(const struct engine *eng, const struct dom *d)
{
	const struct pool *p = pool_find_id(engine_pools(eng), d->pool_id);

	return json_pack("{s:I,s:s,s:s,s:i,s:o,s:I,s:I,s:I,s:I}", "domid", (json_int_t)d->domid,
	                 "name", d->name, "pool", p != NULL ? p->name : "", "vcpus",
	                 (int)d->nr_vcpus, "used", d->used >= 0 ? tenths(d->used) : json_null(),
	                 "weight", (json_int_t)d->weight, "cap", (json_int_t)d->cap, "hv_weight",
	                 (json_int_t)d->hv_weight, "hv_cap", (json_int_t)d->hv_cap);
}

/*
 * Serves what the last period measured: no listing of the hypervisor, one
 * pass over the model (the domains by ascending domid).
 */
static int cmd_top(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	const struct pool_table *pt = engine_pools(eng);
	struct top_pool *tp = calloc(pt->n + 1, sizeof(*tp));
	json_t *pools = json_array(), *doms = json_array();
	struct engine_stats st;
	size_t n;
	const struct dom *d = engine_doms(eng, &n);
	int r = -ENOMEM;

	if (tp == NULL || pools == NULL || doms == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct pool *p = pool_find_id(pt, d[i].pool_id);
		struct top_pool *t;

		if (json_array_append_new(doms, dom_row(eng, &d[i])) != 0)
			goto out;
		if (p == NULL)
			continue;
		t = &tp[p - pt->pools];
		t->members++;
		t->vcpus += d[i].nr_vcpus;
		t->capped |= p->share.active && d[i].share_cap != 0;
		if (d[i].used >= 0) {
			t->measured++;
			t->used += d[i].used;
		}
	}
	for (size_t j = 0; j < pt->n; j++)
		if (json_array_append_new(pools, pool_row(eng, &pt->pools[j], &tp[j])) != 0)
			goto out;
	engine_stats(eng, &st);
	*ret = json_pack(
	    "{s:I,s:o,s:o,s:f,s:o,s:o}", "periods", (json_int_t)st.share_periods, "window",
	    st.share_window_us > 0 ? json_real(round(st.share_window_us / 1000.0) / 1000)
	                           : json_null(),
	    "age",
	    st.share_age_us != UINT64_MAX ? json_real(round(st.share_age_us / 1000.0) / 1000)
	                                  : json_null(),
	    "share_period", st.share_period_ms / 1000.0, "pools", pools, "domains", doms);
	pools = doms = NULL;
	r = *ret != NULL ? 0 : -ENOMEM;
out:
	json_decref(pools);
	json_decref(doms);
	free(tp);
	return r;
}

const struct ctl_cmd ctl_cmd_top = {
    .name = "top",
    .fn = cmd_top,
    .help = "show CPU use per pool and per domain, as the share controller last measured it",
    .synopsis = "",
};
