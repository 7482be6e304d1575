/* The engine's events as the protocol sends them to subscribers (poolctl(8), EVENTS). */
#include "ctl/server.h"

#include <jansson.h>

#include "core/cpumap.h"
#include "core/uuid.h"
#include "poold-protocol.h"
#include "poold/engine.h"
#include "util/log.h"

/* A domain's pool: "" for none, as the domain objects of the replies have it. */
static json_t *pool_name(const struct pool *p)
{
	return json_string(p != NULL ? p->name : "");
}

/* The members every domain event has: domid, uuid, name. */
static json_t *dom_data(const struct dom *d)
{
	char uuid[UUID_TEXT_LEN + 1];

	uuid_format(d->uuid, uuid);
	return json_pack("{s:I, s:s, s:s}", "domid", (json_int_t)d->domid, "uuid", uuid, "name",
	                 d->name);
}

/*
 * pool-changed: the pool as it is now; what it has is null once destroyed,
 * renamed_from the old name of a rename and null otherwise.
 */
static json_t *pool_data(const struct engine_event *ev)
{
	char cpus[CPUMAP_TEXT_MAX];
	const struct pool *p = ev->pool;
	json_t *from = ev->renamed_from != NULL ? json_string(ev->renamed_from) : json_null();

	if (p == NULL || cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0)
		return json_pack("{s:s, s:s, s:n, s:n, s:n, s:n, s:o}", "pool", ev->pool_name,
		                 "action", ev->action, "cpus", "ncpu", "cap", "share",
		                 "renamed_from", from);
	return json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:o}", "pool", ev->pool_name, "action",
	                 ev->action, "cpus", cpus, "ncpu", (int)cpumap_count(&p->cpus), "cap",
	                 (json_int_t)p->cap, "share", p->share_off ? "off" : "auto", "renamed_from",
	                 from);
}

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
		data = dom_data(d);
		if (data != NULL)
			json_object_update_new(data, json_pack("{s:o, s:b, s:s}", "pool",
			                                       pool_name(ev->pool), "misplaced",
			                                       d->misplaced, "wanted", d->want));
		break;
	case ENGINE_EV_DOMAIN_GONE:
		name = POOLD_EV_DOMAIN_GONE;
		data = dom_data(d);
		break;
	case ENGINE_EV_DOMAIN_CHANGED:
		name = POOLD_EV_DOMAIN_CHANGED;
		data = dom_data(d);
		if (data != NULL)
			json_object_update_new(data, json_pack("{s:o, s:I, s:I}", "pool",
			                                       pool_name(ev->pool), "weight",
			                                       (json_int_t)d->weight, "cap",
			                                       (json_int_t)d->cap));
		break;
	case ENGINE_EV_POOL_CHANGED:
		name = POOLD_EV_POOL_CHANGED;
		data = pool_data(ev);
		break;
	case ENGINE_EV_LOG_LEVEL:
		name = POOLD_EV_LOG_LEVEL_CHANGED;
		data = json_pack("{s:s}", "level", log_level_name(ev->level));
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
