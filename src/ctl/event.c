/* The engine's events as the protocol sends them to subscribers. */
#include "ctl/server.h"

#include <jansson.h>

#include "poold-protocol.h"
#include "poold/engine.h"

void ctl_server_engine_event(struct ctl_server *s, const struct engine *eng,
                             const struct engine_event *ev)
{
	const struct dom *d = ev->dom;
	json_t *data = NULL;
	const char *name = NULL;

	(void)eng;
	switch (ev->kind) {
	case ENGINE_EV_DOMAIN_PLACED:
		name = POOLD_EV_DOMAIN_PLACED;
		data = json_pack("{s:I, s:s, s:s, s:b, s:s}", "domid", (json_int_t)d->domid, "name",
		                 d->name, "pool", ev->pool != NULL ? ev->pool->name : "",
		                 "misplaced", d->misplaced, "wanted", d->want);
		break;
	case ENGINE_EV_DOMAIN_GONE:
		name = POOLD_EV_DOMAIN_GONE;
		data = json_pack("{s:I, s:s}", "domid", (json_int_t)d->domid, "name", d->name);
		break;
	case ENGINE_EV_POOL_CHANGED:
		name = POOLD_EV_POOL_CHANGED;
		data = json_pack("{s:s, s:s}", "pool", ev->pool_name, "action", ev->action);
		break;
	case ENGINE_EV_STATUS:
		return; /* systemd's business, not the subscribers' */
	case ENGINE_EV_DURABLE:
	case ENGINE_EV_UNDONE:
		/* The answers held for them, not an event. */
		ctl_server_commits(s, ev->seq, ev->kind == ENGINE_EV_DURABLE, ev->msg);
		return;
	}
	if (s != NULL && data != NULL)
		ctl_server_event(s, name, data);
	else
		json_decref(data);
}
