/* domain-set: a domain's weight and cap, relative to its pool. */
#include "ctl/cmd.h"

#include <errno.h>

#include "core/dom.h"
#include "ctl/proto.h"
#include "poold/engine.h"

/* Credit1 takes a 16-bit cap; a cap past every pCPU would mean nothing anyway. */
#define DOM_CAP_MAX 65535

/* Sets what was given and returns the domain as domain-list shows it. */
static int cmd_domain_set(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	char ref[DOM_NAME_MAX + 1];
	json_t *domain, *wv = NULL, *cv = NULL;
	json_int_t w = -1, c = -1;
	struct engine_plan plan;
	struct dom *d;
	int r, dry = 0;

	r = ctl_args_unpack(args, e, "{s:o, s?o, s?o, s?b !}", "domain", &domain, "weight", &wv,
	                    "cap", &cv, "dry_run", &dry);
	if (r != 0)
		return r;
	r = ctl_domain_ref(domain, ref, sizeof(ref), e);
	if (r != 0)
		return r;
	if (wv == NULL && cv == NULL)
		return perr_set(e, POOLD_E_INVALID,
		                "domain-set needs weight or cap: say what to change");
	if (wv != NULL) {
		w = json_integer_value(wv);
		if (w < DOM_WEIGHT_MIN || w > DOM_WEIGHT_MAX)
			return perr_set(e, POOLD_E_INVALID,
			                "weight %" JSON_INTEGER_FORMAT
			                " is out of range: use %d..%d (%d is the default)",
			                w, DOM_WEIGHT_MIN, DOM_WEIGHT_MAX, DOM_WEIGHT_DEFAULT);
	}
	if (cv != NULL) {
		c = json_integer_value(cv);
		if (c < 0 || c > DOM_CAP_MAX)
			return perr_set(e, POOLD_E_INVALID,
			                "cap %" JSON_INTEGER_FORMAT
			                " is out of range: use 0..%d (%% of one pCPU, 0 = no cap)",
			                c, DOM_CAP_MAX);
	}
	ctl_dry_begin(eng, dry, &plan);
	r = engine_domain_set(eng, ref, (int)w, (int)c, e);
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
    {"weight", CTL_ARG_INT, false},
    {"cap", CTL_ARG_INT, false},
    {"dry_run", CTL_ARG_BOOL, false},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_domain_set = {
    .name = "domain-set",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_domain_set,
    .help = "set a domain's weight (1..65535) and cap (% of one pCPU, 0 = none)",
    .synopsis = "domain: str | int, [weight: int], [cap: int], [dry_run: bool]",
    .args = args,
};
