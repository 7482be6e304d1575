/* apply: a pool layout, checked whole, then made as one change; dry_run shows its plan. */
#include "ctl/cmd.h"

#include <errno.h>
#include <string.h>

#include "ctl/layout.h"
#include "ctl/proto.h"
#include "poold/engine.h"

/*
 * Decodes the layout, plans it (a dry run of the same code), and unless
 * dry_run applies it: the plan the dry run returns is what the apply does,
 * nothing running between the two.
 */
static int cmd_apply(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	const struct topo *topo = engine_topo(eng);
	struct engine_layout l;
	struct engine_plan plan;
	json_t *doc, *pj;
	int dry = 0, r;

	r = ctl_args_unpack(args, e, "{s:o, s?b !}", "layout", &doc, "dry_run", &dry);
	if (r != 0)
		return r;
	r = ctl_layout_decode(doc, topo != NULL ? topo->nr_cpus : CPUMAP_MAX, topo, &l, e);
	if (r != 0)
		return r;
	ctl_dry_begin(eng, true, &plan);
	r = engine_apply(eng, &l, e);
	engine_dry_run(eng, NULL);
	if (r == 0 && !dry)
		r = engine_apply(eng, &l, e);
	ctl_layout_fini(&l);
	pj = r == 0 ? ctl_plan_json(eng, &plan) : NULL;
	engine_plan_fini(&plan);
	if (r != 0)
		return r;
	*ret = json_pack("{s:b,s:o}", "dry_run", dry, "plan", pj);
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"layout", CTL_ARG_OBJECT, true},
    {"dry_run", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_apply = {
    .name = "apply",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_apply,
    .help = "apply a pool layout as one change (pools, their pCPUs, caps, domains' pools, "
            "weights, caps); dry_run: its plan only",
    .synopsis = "layout: object (poolctl(8) LAYOUT FILES), [dry_run: bool]",
    .args = args,
};
