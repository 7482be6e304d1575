/* export: the pools and domains as a layout that apply takes back unchanged. */
#include "ctl/cmd.h"

#include <errno.h>

#include "ctl/layout.h"
#include "ctl/proto.h"
#include "poold/engine.h"

static int cmd_export(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	*ret = json_pack("{s:o}", "layout", ctl_layout_export(eng));
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_export = {
    .name = "export",
    .flags = CTL_CMD_CACHEABLE,
    .fn = cmd_export,
    .help = "the pools and domains as a layout for apply",
    .synopsis = "",
    .args = args,
};
