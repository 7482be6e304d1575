/* pool-list: every pool with its pCPUs, scheduler, cap and domains. */
#include "ctl/cmd.h"

#include <errno.h>

#include "poold/engine.h"

/* Lists the pools in table order, pool0 first. */
static int cmd_pool_list(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	json_t *pools = json_array();

	if (pools == NULL)
		return -ENOMEM;
	const struct pool_table *t = engine_pools(eng);

	for (size_t i = 0; i < t->n; i++) {
		if (json_array_append_new(pools, ctl_pool_json(eng, &t->pools[i])) != 0) {
			json_decref(pools);
			return -ENOMEM;
		}
	}
	*ret = json_pack("{s:o}", "pools", pools);
	return *ret != NULL ? 0 : -ENOMEM;
}

const struct ctl_cmd ctl_cmd_pool_list = {
    .name = "pool-list",
    .flags = CTL_CMD_CACHEABLE,
    .fn = cmd_pool_list,
    .help = "list pools: pCPUs, scheduler, cap, domains",
    .synopsis = "",
};
