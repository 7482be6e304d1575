/* status: what the daemon is and how much it holds and has done. */
#include "ctl/cmd.h"

#include <errno.h>

#include "poold-protocol.h"
#include "poold/engine.h"
#include "util/log.h"

/* Reports version, backend, counts and the log level. */
static int cmd_status(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	struct engine_stats st;

	engine_stats(eng, &st);
	*ret = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:s,s:b,s:I,s:s,s:f,s:I,s:I,s:I,s:I}",
	                 "version", POOLD_VERSION, "protocol", POOLD_PROTOCOL_VERSION, "backend",
	                 st.backend, "pools", (json_int_t)st.pools, "domains",
	                 (json_int_t)st.domains, "hv_writes", (json_int_t)st.hv_writes, "hv_reads",
	                 (json_int_t)st.hv_reads, "log_level", log_level_name(log_get_level()),
	                 "ready", st.ready, "pending", (json_int_t)st.pending, "share_control",
	                 st.share_control == SHARE_AUTO ? "auto" : "off", "share_period",
	                 st.share_period_ms / 1000.0, "share_periods", (json_int_t)st.share_periods,
	                 "share_changes", (json_int_t)st.share_changes, "share_pass_us",
	                 (json_int_t)st.share_pass_us, "state_saves", (json_int_t)st.state_saves);
	return *ret != NULL ? 0 : -ENOMEM;
}

const struct ctl_cmd ctl_cmd_status = {
    .name = "status",
    .fn = cmd_status,
    .help = "show version, backend, counts of pools and domains, hypervisor writes and reads",
    .synopsis = "",
};
