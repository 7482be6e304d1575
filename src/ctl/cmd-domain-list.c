/* domain-list: every live domain, its pool and its settings. */
#include "ctl/cmd.h"

#include <errno.h>

#include "poold/engine.h"

/* Lists the domains by ascending domid. */
static int cmd_domain_list(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	json_t *doms = json_array();
	size_t n;
	const struct dom *d = engine_doms(eng, &n);

	if (doms == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(doms, ctl_dom_json(eng, &d[i])) != 0) {
			json_decref(doms);
			return -ENOMEM;
		}
	}
	*ret = json_pack("{s:o}", "domains", doms);
	return *ret != NULL ? 0 : -ENOMEM;
}

const struct ctl_cmd ctl_cmd_domain_list = {
    .name = "domain-list",
    .flags = CTL_CMD_CACHEABLE,
    .fn = cmd_domain_list,
    .help = "list domains: pool, vCPUs, weight and cap (user and written)",
    .synopsis = "",
};
