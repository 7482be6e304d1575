/* pool-migrate: moves a live domain into another pool. */
#include "ctl/cmd.h"

#include <errno.h>

#include "core/dom.h"
#include "ctl/proto.h"
#include "poold/engine.h"

/* Moves the domain and returns it as domain-list shows it. */
static int cmd_pool_migrate(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	char ref[DOM_NAME_MAX + 1];
	const char *pool;
	struct dom *d;
	struct engine_plan plan;
	json_t *domain;
	int r, dry = 0;

	r = ctl_args_unpack(args, e, "{s:o, s:s, s?b !}", "domain", &domain, "pool", &pool,
	                    "dry_run", &dry);
	if (r != 0)
		return r;
	r = ctl_domain_ref(domain, ref, sizeof(ref), e);
	if (r != 0)
		return r;
	ctl_dry_begin(eng, dry, &plan);
	r = engine_domain_migrate(eng, ref, pool, e);
	if (dry)
		return ctl_dry_end(eng, r, &plan, ret);
	if (r != 0)
		return r;
	r = engine_domain_find(eng, ref, &d, e);
	if (r != 0)
		return r;
	*ret = json_pack("{s:o}", "domain", ctl_dom_json(eng, d));
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"domain", CTL_ARG_DOMAIN, true},
    {"pool", CTL_ARG_STRING, true},
    {"dry_run", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_pool_migrate = {
    .name = "pool-migrate",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_pool_migrate,
    .help = "move a live domain into another pool",
    .synopsis = "domain: str | int, pool: str, [dry_run: bool]",
    .args = args,
};
