/* pool-destroy: removes a pool; its pCPUs return to pool0. */
#include "ctl/cmd.h"

#include <errno.h>

#include "core/cpumap.h"
#include "ctl/proto.h"
#include "poold/engine.h"

/*
 * Says what the pool had and where it went, taken before the engine runs:
 * its pCPUs and (with force) its members all go to pool0.
 */
static json_t *gone_json(const struct engine *eng, const struct pool *p)
{
	char cpus[CPUMAP_TEXT_MAX];
	json_t *doms = json_array();
	size_t n;
	const struct dom *d = engine_doms(eng, &n);

	if (doms == NULL || cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0) {
		json_decref(doms);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (d[i].pool_id == p->id)
			json_array_append_new(doms, json_integer(d[i].domid));
	return json_pack("{s:s,s:I,s:s,s:i,s:o,s:s}", "pool", p->name, "id", (json_int_t)p->id,
	                 "cpus", cpus, "ncpu", (int)cpumap_count(&p->cpus), "domains", doms, "to",
	                 POOL0_NAME);
}

/* Destroys the pool; force moves its members to pool0 first. */
static int cmd_pool_destroy(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	const struct pool *p;
	const char *name;
	json_t *gone = NULL;
	struct engine_plan plan;
	int force = 0, dry = 0;
	int r;

	r = ctl_args_unpack(args, e, "{s:s, s?b, s?b !}", "name", &name, "force", &force, "dry_run",
	                    &dry);
	if (r != 0)
		return r;
	if (dry) {
		ctl_dry_begin(eng, true, &plan);
		r = engine_pool_destroy(eng, name, force != 0, e);
		return ctl_dry_end(eng, r, &plan, ret);
	}
	/* A pool that is not there is the engine's NotFound, said its way. */
	p = pool_find(engine_pools(eng), name);
	if (p != NULL && (gone = gone_json(eng, p)) == NULL)
		return -ENOMEM;
	r = engine_pool_destroy(eng, name, force != 0, e);
	if (r != 0) {
		json_decref(gone);
		return r;
	}
	*ret = gone;
	return 0;
}

static const struct ctl_arg args[] = {
    {"name", CTL_ARG_STRING, true},
    {"force", CTL_ARG_BOOL, false},
    {"dry_run", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_destroy = {
    .name = "pool-destroy",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_destroy,
    .help = "destroy a pool (force: move its domains to pool0 first)",
    .synopsis = "name: str, [force: bool], [dry_run: bool]",
    .args = args,
};
