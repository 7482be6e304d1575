/* xensim's hypervisor socket: one table of simproto ops, JSON in and out, and the listener. */
#include "xensim/simctl.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "xensim/sim.h"
#include "xensim/simproto.h"
#include "xensim/xsd.h"

/* Clients beyond this are turned away; a test harness needs a handful. */
#define SIMCTL_CLIENTS_MAX 64
/* A client that leaves this much unread output is dropped. */
#define SIMCTL_OUTPUT_MAX  (64u << 20)

struct op_ctx {
	struct sim *sim;
	struct xsd *xsd;
	json_t *req;
	json_t *ok; /* the handler's reply, {} unless it sets one */
	struct perr err;
};

/* Unpacks the request strictly; a bad shape is EINVAL with jansson's text. */
static int unpack(struct op_ctx *c, const char *fmt, ...)
{
	json_error_t je;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = json_vunpack_ex(c->req, &je, JSON_STRICT, fmt, ap);
	va_end(ap);
	if (r < 0)
		return perr_set(&c->err, -EINVAL, "bad arguments: %s", je.text);
	return 0;
}

/* Checks a domid: domctls carry a uint16_t, so others can't even be asked. */
static int check_domid(struct op_ctx *c, json_int_t domid)
{
	if (domid < 0 || domid > 0xFFFF)
		return perr_set(&c->err, -EINVAL, "domid %lld out of range", (long long)domid);
	return 0;
}

static int check_vcpu(struct op_ctx *c, json_int_t vcpu)
{
	if (vcpu < 0 || vcpu > UINT32_MAX)
		return perr_set(&c->err, -EINVAL, "vcpu %lld out of range", (long long)vcpu);
	return 0;
}

/* Parses a cpu set in xl syntax; "" is the empty set. */
static int parse_cpus(struct op_ctx *c, const char *text, struct cpumap *out)
{
	struct perr pe = {0};

	if (text[strspn(text, " ")] == '\0') {
		cpumap_zero(out);
		return 0;
	}
	if (cpumap_parse(out, text, CPUMAP_MAX, &pe) != 0)
		return perr_set(&c->err, -EINVAL, "bad cpu set: %s", pe.msg);
	return 0;
}

/* Returns a cpu set as a new JSON string in xl syntax. */
static json_t *cpus_json(const struct cpumap *m)
{
	char buf[CPUMAP_TEXT_MAX];

	if (cpumap_format(m, buf, sizeof(buf)) < 0)
		return NULL;
	return json_string(buf);
}

static int parse_sched(struct op_ctx *c, const char *name, enum sim_sched *out)
{
	int k = sim_sched_parse(name);

	/* Any other scheduler id is simply not the cpupool's: sched_adjust() says EINVAL. */
	if (k < 0)
		return perr_set(&c->err, -EINVAL, "cpupool 0 runs %s, not %s",
		                sim_sched_name(sim_sched(c->sim)), name);
	*out = (enum sim_sched)k;
	return 0;
}

static json_t *topology_json(const struct topo *t)
{
	json_t *cpus = json_array();

	for (unsigned i = 0; i < t->nr_cpus; i++)
		json_array_append_new(
		    cpus, json_pack("{s:i, s:b, s:i, s:i, s:i}", "cpu", (int)i, "online",
		                    t->cpu[i].online, "socket", (int)t->cpu[i].socket, "core",
		                    (int)t->cpu[i].core, "node", (int)t->cpu[i].node));
	return cpus;
}

static int op_topology(struct op_ctx *c)
{
	int r = unpack(c, "{s:s}", "op", &(const char *){NULL});

	if (r)
		return r;
	sim_topology(c->sim);
	c->ok = json_pack("{s:o}", "cpus", topology_json(sim_topo(c->sim)));
	return 0;
}

static void add_dominfo(const struct sim_dom *d, void *arg)
{
	char uuid[37];

	sim_uuid_format(d->uuid, uuid);
	json_array_append_new(arg, json_pack("{s:i, s:s, s:i, s:i, s:b, s:I}", "domid",
	                                     (int)d->domid, "uuid", uuid, "vcpus", (int)d->nr_vcpus,
	                                     "cpupool", (int)d->cpupool, "dying", d->dying,
	                                     "cpu_time", (json_int_t)sim_dom_cpu_time(d)));
}

/* Lists the domains with their cpu_time, and the clock those times were read at. */
static int op_domains(struct op_ctx *c)
{
	int r = unpack(c, "{s:s}", "op", &(const char *){NULL});
	json_t *doms;

	if (r)
		return r;
	doms = json_array();
	sim_domains(c->sim, add_dominfo, doms);
	c->ok = json_pack("{s:o, s:I}", "domains", doms, "now_ns", (json_int_t)sim_now_ns(c->sim));
	return 0;
}

static int op_cpupool(struct op_ctx *c)
{
	json_int_t pool;
	enum sim_sched k;
	struct cpumap cpus;
	int r;

	r = unpack(c, "{s:s, s:I}", "op", &(const char *){NULL}, "cpupool", &pool);
	if (r)
		return r;
	if (pool < 0 || pool > UINT32_MAX)
		return perr_set(&c->err, -EINVAL, "cpupool %lld out of range", (long long)pool);
	r = sim_cpupool(c->sim, (uint32_t)pool, &k, &cpus, &c->err);
	if (r)
		return r;
	c->ok = json_pack("{s:s, s:o}", "sched", sim_sched_name(k), "cpus", cpus_json(&cpus));
	return 0;
}

static int op_get_affinity(struct op_ctx *c)
{
	json_int_t domid, vcpu;
	struct cpumap hard;
	int r;

	r = unpack(c, "{s:s, s:I, s:I}", "op", &(const char *){NULL}, "domid", &domid, "vcpu",
	           &vcpu);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = check_vcpu(c, vcpu);
	if (r == 0)
		r = sim_get_affinity(c->sim, (uint32_t)domid, (unsigned)vcpu, &hard, &c->err);
	if (r == 0)
		c->ok = json_pack("{s:o}", "hard", cpus_json(&hard));
	return r;
}

/* Pins a vCPU; the reply carries the effective set, as the domctl does. */
static int op_set_affinity(struct op_ctx *c)
{
	json_int_t domid, vcpu;
	struct cpumap hard, eff;
	const char *text;
	int r;

	r = unpack(c, "{s:s, s:I, s:I, s:s}", "op", &(const char *){NULL}, "domid", &domid, "vcpu",
	           &vcpu, "hard", &text);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = check_vcpu(c, vcpu);
	if (r == 0)
		r = parse_cpus(c, text, &hard);
	if (r == 0)
		r = sim_set_affinity(c->sim, (uint32_t)domid, (unsigned)vcpu, &hard, &eff, &c->err);
	if (r == 0)
		c->ok = json_pack("{s:o}", "hard", cpus_json(&eff));
	return r;
}

static int op_get_sched(struct op_ctx *c)
{
	json_int_t domid;
	const char *name;
	enum sim_sched k = SIM_SCHED_CREDIT2;
	unsigned weight, cap;
	int r;

	r = unpack(c, "{s:s, s:I, s:s}", "op", &(const char *){NULL}, "domid", &domid, "sched",
	           &name);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = parse_sched(c, name, &k);
	if (r == 0)
		r = sim_get_sched(c->sim, (uint32_t)domid, k, &weight, &cap, &c->err);
	if (r == 0)
		c->ok = json_pack("{s:i, s:i}", "weight", (int)weight, "cap", (int)cap);
	return r;
}

static int op_set_sched(struct op_ctx *c)
{
	json_int_t domid, weight, cap;
	const char *name;
	enum sim_sched k = SIM_SCHED_CREDIT2;
	int r;

	r = unpack(c, "{s:s, s:I, s:s, s:I, s:I}", "op", &(const char *){NULL}, "domid", &domid,
	           "sched", &name, "weight", &weight, "cap", &cap);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = parse_sched(c, name, &k);
	if (r == 0)
		r = sim_set_sched(c->sim, (uint32_t)domid, k, weight, cap, &c->err);
	return r;
}

static int op_vcpu_time(struct op_ctx *c)
{
	json_int_t domid, vcpu;
	uint64_t ns;
	int r;

	r = unpack(c, "{s:s, s:I, s:I}", "op", &(const char *){NULL}, "domid", &domid, "vcpu",
	           &vcpu);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = check_vcpu(c, vcpu);
	if (r == 0)
		r = sim_vcpu_time(c->sim, (uint32_t)domid, (unsigned)vcpu, &ns, &c->err);
	if (r == 0)
		c->ok = json_pack("{s:I}", "ns", (json_int_t)ns);
	return r;
}

/* Creates a domain from the toolstack-like arguments of simproto. */
static int op_create(struct op_ctx *c)
{
	json_int_t vcpus = 1, weight = 0, cap = 0, load = SIM_LOAD_DEFAULT;
	const char *pool = NULL, *owner = NULL, *hard = NULL;
	struct sim_create sc = {0};
	struct cpumap cpus;
	unsigned pct;
	uint32_t domid;
	int paused = 0, r;

	r = unpack(c, "{s:s, s:s, s?I, s?s, s?s, s?I, s?I, s?s, s?I, s?b}", "op",
	           &(const char *){NULL}, "name", &sc.name, "vcpus", &vcpus, "pool", &pool,
	           "pool_owner", &owner, "weight", &weight, "cap", &cap, "hard", &hard, "load",
	           &load, "paused", &paused);
	if (r)
		return r;
	if (load < 0 || load > 100)
		return perr_set(&c->err, -EINVAL, "load %lld out of range 0..100 (%% of each vCPU)",
		                (long long)load);
	if (vcpus < 1 || vcpus > SIM_VCPUS_MAX)
		return perr_set(&c->err, -EINVAL, "vcpus %lld out of range 1..%d", (long long)vcpus,
		                SIM_VCPUS_MAX);
	if (weight < 0 || weight > SIM_WEIGHT_MAX || cap < 0 || cap > 0xFFFF)
		return perr_set(&c->err, -EINVAL, "weight must be 1..%d and cap 0..%d",
		                SIM_WEIGHT_MAX, 100 * (int)vcpus);
	if (owner && strcmp(owner, "dom0") == 0)
		sc.pool_owner = SIM_POOL_OWNER_DOM0;
	else if (owner && strcmp(owner, "guest") == 0)
		sc.pool_owner = SIM_POOL_OWNER_GUEST;
	else if (owner)
		return perr_set(&c->err, -EINVAL, "pool_owner must be \"dom0\" or \"guest\"");
	if (hard) {
		r = parse_cpus(c, hard, &cpus);
		if (r)
			return r;
		sc.hard = &cpus;
	}
	sc.vcpus = (unsigned)vcpus;
	sc.pool = pool;
	sc.weight = (unsigned)weight;
	sc.cap = (unsigned)cap;
	pct = (unsigned)load;
	sc.load = &pct;
	sc.paused = paused;
	r = sim_create(c->sim, &sc, &domid, &c->err);
	if (r == 0) {
		log_info("created domain %u '%s'", domid, sc.name);
		c->ok = json_pack("{s:i}", "domid", (int)domid);
	}
	return r;
}

/* Unpacks {"op", "domid"} for the ops that name just a domain. */
static int unpack_domid(struct op_ctx *c, uint32_t *domid)
{
	json_int_t id;
	int r = unpack(c, "{s:s, s:I}", "op", &(const char *){NULL}, "domid", &id);

	if (r == 0)
		r = check_domid(c, id);
	*domid = (uint32_t)id;
	return r;
}

static int op_destroy(struct op_ctx *c)
{
	uint32_t domid;
	int r = unpack_domid(c, &domid);

	if (r == 0)
		r = sim_destroy(c->sim, domid, &c->err);
	if (r == 0)
		log_info("destroyed domain %u", domid);
	return r;
}

static int op_pause(struct op_ctx *c)
{
	uint32_t domid;
	int r = unpack_domid(c, &domid);

	return r ? r : sim_pause(c->sim, domid, true, &c->err);
}

static int op_unpause(struct op_ctx *c)
{
	uint32_t domid;
	int r = unpack_domid(c, &domid);

	return r ? r : sim_pause(c->sim, domid, false, &c->err);
}

/* Sets how busy a guest is: % of each vCPU's time it wants to run. */
static int op_load(struct op_ctx *c)
{
	json_int_t domid, load;
	int r;

	r = unpack(c, "{s:s, s:I, s:I}", "op", &(const char *){NULL}, "domid", &domid, "load",
	           &load);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = sim_set_load(c->sim, (uint32_t)domid, load, &c->err);
	return r;
}

static json_t *dom_json(const struct sim_dom *d)
{
	json_t *vcpus = json_array();
	char uuid[37];

	for (unsigned v = 0; v < d->nr_vcpus; v++)
		json_array_append_new(vcpus, json_pack("{s:i, s:o, s:I}", "vcpu", (int)v, "hard",
		                                       cpus_json(&d->vcpu[v].hard), "time_ns",
		                                       (json_int_t)llround(d->vcpu[v].time_ns)));
	sim_uuid_format(d->uuid, uuid);
	return json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:b, s:b, s:I, s:o}", "domid",
	                 (int)d->domid, "name", d->name, "uuid", uuid, "cpupool", (int)d->cpupool,
	                 "weight", (int)d->weight, "cap", (int)d->cap, "load", (int)d->load,
	                 "paused", d->pause_count > 0, "idle", d->load == 0, "dying", d->dying,
	                 "cpu_time", (json_int_t)sim_dom_cpu_time(d), "vcpus", vcpus);
}

static json_t *counters_json(const struct sim_counters *k)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "topology",
	                 (json_int_t)k->topology, "domains", (json_int_t)k->domains, "cpupool",
	                 (json_int_t)k->cpupool, "get_affinity", (json_int_t)k->get_affinity,
	                 "set_affinity", (json_int_t)k->set_affinity, "get_sched",
	                 (json_int_t)k->get_sched, "set_sched", (json_int_t)k->set_sched,
	                 "vcpu_time", (json_int_t)k->vcpu_time, "reads", (json_int_t)k->reads,
	                 "writes", (json_int_t)k->writes, "failed", (json_int_t)k->failed);
}

/* Answers everything the tests check: topology, domains, counters, xenstore stats. */
static int op_show(struct op_ctx *c)
{
	int r = unpack(c, "{s:s}", "op", &(const char *){NULL});
	json_t *doms;

	if (r)
		return r;
	doms = json_array();
	for (size_t i = 0; i < sim_nr_doms(c->sim); i++)
		json_array_append_new(doms, dom_json(sim_dom_at(c->sim, i)));
	c->ok = json_pack("{s:s, s:I, s:o, s:o, s:o}", "sched", sim_sched_name(sim_sched(c->sim)),
	                  "now_ns", (json_int_t)sim_now_ns(c->sim), "cpus",
	                  topology_json(sim_topo(c->sim)), "domains", doms, "counters",
	                  counters_json(sim_counters(c->sim)));
	if (c->ok && c->xsd) {
		struct xsd_stats st;

		xsd_get_stats(c->xsd, &st);
		json_object_set_new(c->ok, "xenstore",
		                    json_pack("{s:I, s:I, s:I, s:i, s:i}", "requests",
		                              (json_int_t)st.requests, "writes",
		                              (json_int_t)st.writes, "watch_events",
		                              (json_int_t)st.watch_events, "connections",
		                              (int)st.connections, "watches", (int)st.watches));
	}
	return 0;
}

static int op_reset_counters(struct op_ctx *c)
{
	int r = unpack(c, "{s:s}", "op", &(const char *){NULL});

	if (r == 0)
		sim_reset_counters(c->sim);
	return r;
}

/* Queues injected failures for set_affinity or set_sched. */
static int op_fault(struct op_ctx *c)
{
	json_int_t err = 0, count = 1, domid = -1;
	const char *name;
	enum sim_fault_op op;
	int r;

	/* simproto.h names the target "op", which the request's own "op" already is. */
	r = unpack(c, "{s:s, s:s, s?I, s?I, s?I}", "op", &(const char *){NULL}, "target", &name,
	           "errno", &err, "count", &count, "domid", &domid);
	if (r)
		return r;
	if (strcmp(name, "set_affinity") == 0)
		op = SIM_FAULT_SET_AFFINITY;
	else if (strcmp(name, "set_sched") == 0)
		op = SIM_FAULT_SET_SCHED;
	else
		return perr_set(&c->err, -EINVAL,
		                "faults apply to set_affinity and set_sched only");
	if (count < 0 || count > UINT32_MAX || err > 4095 || err < 0)
		return perr_set(&c->err, -EINVAL, "count must be >= 0 and errno 1..4095");
	return sim_fault(c->sim, op, (int)err, (unsigned)count, domid, &c->err);
}

/* Advances simulated cpu time. */
static int op_run(struct op_ctx *c)
{
	json_int_t ms;
	int r = unpack(c, "{s:s, s:I}", "op", &(const char *){NULL}, "ms", &ms);

	if (r)
		return r;
	if (ms < 0)
		return perr_set(&c->err, -EINVAL, "ms %lld is negative", (long long)ms);
	return sim_run(c->sim, (uint64_t)ms, &c->err);
}

/* Every op: the hypervisor's (counted by the sim) and the control ops. */
static const struct simctl_op {
	const char *name;
	int (*fn)(struct op_ctx *c);
} ops[] = {
    {"topology", op_topology},
    {"domains", op_domains},
    {"cpupool", op_cpupool},
    {"get_affinity", op_get_affinity},
    {"set_affinity", op_set_affinity},
    {"get_sched", op_get_sched},
    {"set_sched", op_set_sched},
    {"vcpu_time", op_vcpu_time},
    {"create", op_create},
    {"destroy", op_destroy},
    {"pause", op_pause},
    {"unpause", op_unpause},
    {"load", op_load},
    {"show", op_show},
    {"reset_counters", op_reset_counters},
    {"fault", op_fault},
    {"run", op_run},
};

/* Builds {"error": ...}; NULL only when out of memory. */
static json_t *error_json(int err, const char *desc)
{
	json_t *j = json_pack("{s:{s:i, s:s}}", "error", "errno", err, "desc", desc);
	char ascii[PERR_MSG_MAX];
	size_t i;

	if (j != NULL)
		return j;
	/* jansson's text quotes the bad input, and a message may be cut mid-character: neither
	 * is always UTF-8, which json_pack refuses. Fall back to ASCII rather than to no reply. */
	for (i = 0; desc[i] != '\0' && i < sizeof(ascii) - 1; i++)
		ascii[i] = (unsigned char)desc[i] < 0x80 ? desc[i] : '?';
	ascii[i] = '\0';
	return json_pack("{s:{s:i, s:s}}", "error", "errno", err, "desc", ascii);
}

/* Finds the op in the table and turns its outcome into a reply object. */
json_t *simctl_dispatch(struct sim *s, struct xsd *x, json_t *req)
{
	struct op_ctx c = {.sim = s, .xsd = x, .req = req};
	const char *name;
	int r;

	if (!json_is_object(req))
		return error_json(EINVAL, "a request is a JSON object");
	name = json_string_value(json_object_get(req, "op"));
	if (name == NULL)
		return error_json(EINVAL, "a request needs \"op\": a string");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, name) != 0)
			continue;
		r = ops[i].fn(&c);
		if (r < 0) {
			json_decref(c.ok);
			log_debug("%s: %s", name, c.err.msg);
			return error_json(-r, c.err.msg[0] ? c.err.msg : strerror(-r));
		}
		if (c.ok == NULL)
			c.ok = json_object();
		return json_pack("{s:o}", "ok", c.ok);
	}
	return error_json(ENOSYS, "unknown op");
}

/* Parses a request line; bad JSON is EINVAL like any bad argument. */
char *simctl_answer(struct sim *s, struct xsd *x, const char *line, size_t len)
{
	json_error_t je;
	json_t *req, *reply;
	char *out;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (req == NULL) {
		char desc[256];

		snprintf(desc, sizeof(desc), "bad JSON: %s", je.text);
		reply = error_json(EINVAL, desc);
	} else {
		reply = simctl_dispatch(s, x, req);
		json_decref(req);
	}
	if (reply == NULL)
		return NULL;
	out = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return out;
}

struct client;

struct simctl {
	struct event_base *base;
	struct sim *sim;
	struct xsd *xsd;
	struct evconnlistener *lev;
	char *path;
	struct client *clients;
	unsigned nr_clients;
};

struct client {
	struct simctl *ctl;
	struct bufferevent *bev;
	struct client *next, **pprev;
};

/* Unlinks a client and closes its connection. */
static void client_free(struct client *cl)
{
	*cl->pprev = cl->next;
	if (cl->next)
		cl->next->pprev = cl->pprev;
	cl->ctl->nr_clients--;
	bufferevent_free(cl->bev);
	free(cl);
}

/* Frees a client once its last reply has left. */
static void client_drained(struct bufferevent *bev, void *arg)
{
	client_free(arg);
}

/* Sends a last error and closes once it is out. */
static void client_refuse(struct client *cl, int err, const char *desc)
{
	json_t *reply = error_json(err, desc);
	char *line = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	if (line)
		evbuffer_add_printf(bufferevent_get_output(cl->bev), "%s\n", line);
	free(line);
	json_decref(reply);
	bufferevent_disable(cl->bev, EV_READ);
	bufferevent_setcb(cl->bev, NULL, client_drained, NULL, cl);
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
		client_free(cl);
}

/* Answers every complete line that has arrived. */
static void client_read(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		char *reply;

		if (len > SIMPROTO_LINE_MAX) {
			free(line);
			client_refuse(cl, EMSGSIZE, "request line too long");
			return;
		}
		reply = len ? simctl_answer(cl->ctl->sim, cl->ctl->xsd, line, len) : NULL;
		free(line);
		if (len && reply == NULL) {
			client_refuse(cl, ENOMEM, "out of memory");
			return;
		}
		if (reply) {
			evbuffer_add(out, reply, strlen(reply));
			evbuffer_add(out, "\n", 1);
			free(reply);
		}
		if (evbuffer_get_length(out) > SIMCTL_OUTPUT_MAX) {
			log_warnx("hv socket: client does not read its replies: dropped");
			client_free(cl);
			return;
		}
	}
	if (evbuffer_get_length(in) > SIMPROTO_LINE_MAX)
		client_refuse(cl, EMSGSIZE, "request line too long");
}

/* Forgets a client that hung up or failed. */
static void client_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

/* Takes a new connection, unless there are too many already. */
static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
	struct simctl *ctl = arg;
	struct client *cl;

	if (ctl->nr_clients >= SIMCTL_CLIENTS_MAX) {
		log_warnx("hv socket: %d clients already: connection refused", SIMCTL_CLIENTS_MAX);
		close(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (cl)
		cl->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl == NULL || cl->bev == NULL) {
		log_warnx("hv socket: out of memory: connection refused");
		free(cl);
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->next = ctl->clients;
	if (cl->next)
		cl->next->pprev = &cl->next;
	cl->pprev = &ctl->clients;
	ctl->clients = cl;
	ctl->nr_clients++;
	bufferevent_setcb(cl->bev, client_read, NULL, client_event, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/* Binds a listening Unix socket at path, replacing a stale one; returns the fd or -errno. */
static int listen_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		r = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int simctl_new(struct simctl **out, struct event_base *base, struct sim *s, struct xsd *x,
               const char *path)
{
	struct simctl *ctl;
	int fd;

	*out = NULL;
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL || (ctl->path = strdup(path)) == NULL) {
		free(ctl);
		return -ENOMEM;
	}
	ctl->base = base;
	ctl->sim = s;
	ctl->xsd = x;
	fd = listen_unix(path);
	if (fd < 0) {
		free(ctl->path);
		free(ctl);
		return fd;
	}
	ctl->lev = evconnlistener_new(base, accept_cb, ctl, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (ctl->lev == NULL) {
		close(fd);
		unlink(path);
		free(ctl->path);
		free(ctl);
		return -ENOMEM;
	}
	*out = ctl;
	return 0;
}

struct simctl *simctl_free(struct simctl *ctl)
{
	if (ctl == NULL)
		return NULL;
	while (ctl->clients)
		client_free(ctl->clients);
	evconnlistener_free(ctl->lev);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	return NULL;
}
