/* log-level: how verbose the daemon's log is, changed without a restart. */
#include "ctl/cmd.h"

#include <errno.h>

#include "ctl/proto.h"
#include "poold/engine.h"
#include "util/log.h"

/* Sets the level and returns the one now in force. */
static int cmd_log_level(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	const char *name;
	int level, r;

	r = ctl_args_unpack(args, e, "{s:s !}", "level", &name);
	if (r != 0)
		return r;
	level = log_level_parse(name);
	if (level < 0)
		return perr_set(e, POOLD_E_INVALID,
		                "no log level '%.32s': use err, warning, notice, info or debug",
		                name);
	engine_set_log_level(eng, level);
	*ret = json_pack("{s:s}", "level", log_level_name(log_get_level()));
	return *ret != NULL ? 0 : -ENOMEM;
}

static const struct ctl_arg args[] = {
    {"level", CTL_ARG_STRING, true},
    {NULL, 0, false},
};

const struct ctl_cmd ctl_cmd_log_level = {
    .name = "log-level",
    .flags = CTL_CMD_MUTATING,
    .fn = cmd_log_level,
    .help = "set the log level: err, warning, notice, info or debug",
    .synopsis = "level: str",
    .args = args,
};
