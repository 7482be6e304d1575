/* pool-modify: resizes a pool live or changes its cap. */
#include "ctl/cmd.h"

#include <errno.h>

#include "ctl/proto.h"
#include "poold/engine.h"
#include "poold/engine.h"

/* Changes the pool and returns it as pool-list shows it. */
static int cmd_pool_modify(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	struct pool_cpus_spec spec;
	const char *name, *cpus = NULL, *nodes = NULL, *sharev = NULL;
	json_t *ncpu = NULL, *capv = NULL;
	struct engine_plan plan;
	struct pool *p;
	bool given;
	int cap = -1, share, dry = 0;
	int r;

	r = ctl_args_unpack(args, e, "{s:s, s?o, s?s, s?s, s?o, s?s, s?b !}", "name", &name, "ncpu",
	                    &ncpu, "cpus", &cpus, "nodes", &nodes, "cap", &capv, "share", &sharev,
	                    "dry_run", &dry);
	if (r != 0)
		return r;
	if ((r = ctl_share_parse(sharev, &share, e)) != 0)
		return r;
	/* 0 pCPUs is the engine's call: allowed only for a pool without members. */
	r = ctl_cpus_spec(eng, ncpu, cpus, nodes, 0, &spec, &given, e);
	if (r != 0)
		return r;
	if (capv != NULL) {
		r = ctl_pool_cap_check(eng, json_integer_value(capv), e);
		if (r != 0)
			return r;
		cap = (int)json_integer_value(capv);
	}
	if (!given && capv == NULL && sharev == NULL)
		return perr_set(
		    e, POOLD_E_INVALID,
		    "pool-modify needs ncpu, cpus, nodes, cap or share: say what to change");
	ctl_dry_begin(eng, dry, &plan);
	r = engine_pool_modify(eng, name, given ? &spec : NULL, cap, share, e);
	if (dry)
		return ctl_dry_end(eng, r, &plan, ret);
	if (r != 0)
		return r;
	p = pool_find(engine_pools(eng), name);
	if (p == NULL)
		return perr_set(e, -ENOENT, "pool %s is not there after its change", name);
	*ret = json_pack("{s:o}", "pool", ctl_pool_json(eng, p));
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"name", CTL_ARG_STRING, true},   {"ncpu", CTL_ARG_INT, false},
    {"cpus", CTL_ARG_STRING, false},  {"nodes", CTL_ARG_STRING, false},
    {"cap", CTL_ARG_INT, false},      {"share", CTL_ARG_STRING, false},
    {"dry_run", CTL_ARG_BOOL, false}, {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_modify = {
    .name = "pool-modify",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_modify,
    .help = "resize a pool (pCPUs from and back to pool0), change its cap or share setting",
    .synopsis = "name: str, [ncpu: int | cpus: str | nodes: str], [cap: int], "
                "[share: \"auto\" | \"off\"], [dry_run: bool]",
    .args = args,
};
