/* pool-destroy: removes a pool; its pCPUs return to pool0. */
#include "ctl/cmd.h"

#include "ctl/proto.h"
#include "poold/engine.h"

/* Destroys the pool; force moves its members to pool0 first. */
static int cmd_pool_destroy(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	const char *name;
	int force = 0;
	int r;

	r = ctl_args_unpack(args, e, "{s:s, s?b !}", "name", &name, "force", &force);
	if (r != 0)
		return r;
	return engine_pool_destroy(eng, name, force != 0, e);
}

static const struct ctl_arg args[] = {
    {"name", CTL_ARG_STRING, true},
    {"force", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_destroy = {
    .name = "pool-destroy",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_destroy,
    .help = "destroy a pool (force: move its domains to pool0 first)",
    .synopsis = "name: str, [force: bool]",
    .args = args,
};
