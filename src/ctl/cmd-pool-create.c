/* pool-create: a new pool with pCPUs taken out of pool0. */
#include "ctl/cmd.h"

#include <errno.h>

#include "ctl/proto.h"
#include "poold/engine.h"

/* Creates the pool and returns it as pool-list shows it. */
static int cmd_pool_create(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	struct pool_cpus_spec spec;
	const char *name, *cpus = NULL, *nodes = NULL, *sharev = NULL;
	json_t *ncpu = NULL;
	json_int_t cap = 0;
	struct engine_plan plan;
	struct pool *p;
	bool given;
	int r, share, dry = 0;

	r = ctl_args_unpack(args, e, "{s:s, s?o, s?s, s?s, s?I, s?s, s?b !}", "name", &name, "ncpu",
	                    &ncpu, "cpus", &cpus, "nodes", &nodes, "cap", &cap, "share", &sharev,
	                    "dry_run", &dry);
	if (r != 0)
		return r;
	if ((r = ctl_share_parse(sharev, &share, e)) != 0)
		return r;
	r = ctl_cpus_spec(eng, ncpu, cpus, nodes, 1, &spec, &given, e);
	if (r != 0)
		return r;
	if (!given)
		return perr_set(
		    e, POOLD_E_INVALID,
		    "pool-create needs ncpu (how many pCPUs), cpus (which ones) or nodes (the "
		    "pCPUs of NUMA nodes)");
	r = ctl_pool_cap_check(eng, cap, e);
	if (r != 0)
		return r;
	ctl_dry_begin(eng, dry, &plan);
	r = engine_pool_create(eng, name, &spec, (unsigned)cap, share, e);
	if (dry)
		return ctl_dry_end(eng, r, &plan, ret);
	if (r != 0)
		return r;
	p = pool_find(engine_pools(eng), name);
	if (p == NULL)
		return perr_set(e, -ENOENT, "pool %s is not there after its creation", name);
	*ret = json_pack("{s:o}", "pool", ctl_pool_json(eng, p));
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"name", CTL_ARG_STRING, true},   {"ncpu", CTL_ARG_INT, false},
    {"cpus", CTL_ARG_STRING, false},  {"nodes", CTL_ARG_STRING, false},
    {"cap", CTL_ARG_INT, false},      {"share", CTL_ARG_STRING, false},
    {"dry_run", CTL_ARG_BOOL, false}, {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_create = {
    .name = "pool-create",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_create,
    .help = "create a pool with pCPUs taken from pool0",
    .synopsis = "name: str, ncpu: int | cpus: str | nodes: str, [cap: int], "
                "[share: \"auto\" | \"off\"], [dry_run: bool]",
    .args = args,
};
