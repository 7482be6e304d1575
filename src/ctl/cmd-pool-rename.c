/* pool-rename: a pool's new name; its id, pCPUs and members stay. */
#include "ctl/cmd.h"

#include <errno.h>

#include "ctl/proto.h"
#include "poold/engine.h"

/* Renames the pool and returns it as pool-list shows it, with its old name. */
static int cmd_pool_rename(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	char warning[PERR_MSG_MAX];
	const char *name, *new_name;
	const struct pool *p;
	struct engine_plan plan;
	json_t *old;
	int r, dry = 0;

	r = ctl_args_unpack(args, e, "{s:s, s:s, s?b !}", "name", &name, "new_name", &new_name,
	                    "dry_run", &dry);
	if (r != 0)
		return r;
	if (dry) {
		ctl_dry_begin(eng, true, &plan);
		r = engine_pool_rename(eng, name, new_name, warning, sizeof(warning), e);
		return ctl_dry_end(eng, r, &plan, ret);
	}
	/* name lives in args, which the engine does not touch: it outlives the rename. */
	if ((old = json_string(name)) == NULL)
		return -ENOMEM;
	r = engine_pool_rename(eng, name, new_name, warning, sizeof(warning), e);
	if (r != 0) {
		json_decref(old);
		return r;
	}
	p = pool_find(engine_pools(eng), new_name);
	if (p == NULL) {
		json_decref(old);
		return perr_set(e, -ENOENT, "pool %s vanished after its rename", new_name);
	}
	*ret = json_pack("{s:o, s:o, s:o}", "pool", ctl_pool_json(eng, p), "renamed_from", old,
	                 "warning", warning[0] != '\0' ? json_string(warning) : json_null());
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"name", CTL_ARG_STRING, true},
    {"new_name", CTL_ARG_STRING, true},
    {"dry_run", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_rename = {
    .name = "pool-rename",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_rename,
    .help = "give a pool a new name; its id, pCPUs, cap and domains stay",
    .synopsis = "name: str, new_name: str, [dry_run: bool]",
    .args = args,
};
