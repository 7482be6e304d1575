/* subscribe: the connection receives events from now on. */
#include "ctl/cmd.h"

/* Nothing to do here: the server marks the client once the reply is sent. */
static int cmd_subscribe(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	return 0;
}

const struct ctl_cmd ctl_cmd_subscribe = {
    .name = "subscribe",
    .flags = CTL_CMD_SUBSCRIBE,
    .fn = cmd_subscribe,
    .help = "receive events (pool-changed, domain-placed, domain-changed, domain-gone, "
            "log-level-changed) on this connection",
    .synopsis = "",
};
