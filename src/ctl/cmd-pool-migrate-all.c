/* pool-migrate-all: moves every domain of a pool but dom0 to another, as one change. */
#include "ctl/cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dom.h"
#include "ctl/proto.h"
#include "poold/engine.h"

/* The domains moved as domain-list shows them, by domid. */
static json_t *moved_json(struct engine *eng, const uint32_t *moved, size_t n)
{
	json_t *a = json_array();
	size_t nd;
	const struct dom *d = engine_doms(eng, &nd);

	for (size_t k = 0; a != NULL && k < n; k++)
		for (size_t i = 0; i < nd; i++)
			if (d[i].domid == moved[k])
				json_array_append_new(a, ctl_dom_json(eng, &d[i]));
	return a;
}

/* Moves the members of from to pool; says which moved and which stayed (dom0). */
static int cmd_pool_migrate_all(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	const char *from, *to;
	const struct pool *f;
	json_t *skipped;
	struct engine_plan plan;
	uint32_t *moved;
	size_t nd, n = 0;
	int r, dry = 0;

	r = ctl_args_unpack(args, e, "{s:s, s:s, s?b !}", "from", &from, "pool", &to, "dry_run",
	                    &dry);
	if (r != 0)
		return r;
	engine_doms(eng, &nd);
	if ((moved = calloc(nd + 1, sizeof(*moved))) == NULL || (skipped = json_array()) == NULL) {
		free(moved);
		return -ENOMEM;
	}
	/* dom0 is a member of pool0 that never moves: the reply says it stayed. */
	f = pool_find(engine_pools(eng), from);
	if (f != NULL && f->id == POOL0_ID && strcmp(from, to) != 0)
		json_array_append_new(skipped, json_integer(0));
	ctl_dry_begin(eng, dry, &plan);
	r = engine_pool_migrate_all(eng, from, to, moved, &n, e);
	if (dry) {
		free(moved);
		json_decref(skipped);
		return ctl_dry_end(eng, r, &plan, ret);
	}
	if (r != 0) {
		free(moved);
		json_decref(skipped);
		return r;
	}
	*ret = json_pack("{s:s, s:s, s:o, s:o}", "from", from, "pool", to, "domains",
	                 moved_json(eng, moved, n), "skipped", skipped);
	free(moved);
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"from", CTL_ARG_STRING, true},
    {"pool", CTL_ARG_STRING, true},
    {"dry_run", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_migrate_all = {
    .name = "pool-migrate-all",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_migrate_all,
    .help = "move every domain of a pool but dom0 to another pool, as one change",
    .synopsis = "from: str, pool: str, [dry_run: bool]",
    .args = args,
};
