/* xensim's hypervisor socket: one table of simproto ops, JSON in and out, and the real clock. */
#include "xensim/simctl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/uuid.h"
#include "util/log.h"
#include "xensim/sim.h"
#include "xensim/simproto.h"
#include "xensim/xsd.h"

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

/* The listing being built, and the first domid it takes. */
struct dominfo_list {
	json_t *doms;
};

static void add_dominfo(const struct sim_dom *d, void *arg)
{
	struct dominfo_list *l = arg;
	char uuid[37];

	uuid_format(d->uuid, uuid);
	json_array_append_new(
	    l->doms, json_pack("{s:i, s:s, s:i, s:i, s:b, s:I}", "domid", (int)d->domid, "uuid",
	                       uuid, "vcpus", (int)d->nr_vcpus, "cpupool", (int)d->cpupool, "dying",
	                       d->dying, "cpu_time", (json_int_t)sim_dom_cpu_time(d)));
}

/*
 * Lists the domains (those of domid >= "first" when given, as
 * xc_domain_getinfolist() starts at a domid; at most "max" when given and
 * not 0) with their cpu_time, and the clock those times were read at.
 */
static int op_domains(struct op_ctx *c)
{
	json_int_t first = 0, max = 0;
	int r =
	    unpack(c, "{s:s, s?I, s?I}", "op", &(const char *){NULL}, "first", &first, "max", &max);
	struct dominfo_list l;

	if (r)
		return r;
	if (first < 0 || first > UINT32_MAX)
		return perr_set(&c->err, -EINVAL, "first %lld is not a domid", (long long)first);
	if (max < 0 || max > UINT32_MAX)
		return perr_set(&c->err, -EINVAL, "max %lld is not a count", (long long)max);
	l = (struct dominfo_list){.doms = json_array()};
	sim_domains(c->sim, (uint32_t)first, (size_t)max, add_dominfo, &l);
	c->ok =
	    json_pack("{s:o, s:I}", "domains", l.doms, "now_ns", (json_int_t)sim_now_ns(c->sim));
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
	struct cpumap hard, soft;
	int r;

	r = unpack(c, "{s:s, s:I, s:I}", "op", &(const char *){NULL}, "domid", &domid, "vcpu",
	           &vcpu);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = check_vcpu(c, vcpu);
	if (r == 0)
		r = sim_get_affinity(c->sim, (uint32_t)domid, (unsigned)vcpu, &hard, &soft,
		                     &c->err);
	if (r == 0)
		c->ok = json_pack("{s:o, s:o}", "hard", cpus_json(&hard), "soft", cpus_json(&soft));
	return r;
}

/*
 * Pins a vCPU, and sets its soft affinity too when given (one domctl with both flags); the
 * reply carries the effective hard set, as the domctl does.
 */
static int op_set_affinity(struct op_ctx *c)
{
	json_int_t domid, vcpu;
	struct cpumap hard, soft, eff;
	const char *text, *stext = NULL;
	int r;

	r = unpack(c, "{s:s, s:I, s:I, s:s, s?s}", "op", &(const char *){NULL}, "domid", &domid,
	           "vcpu", &vcpu, "hard", &text, "soft", &stext);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = check_vcpu(c, vcpu);
	if (r == 0)
		r = parse_cpus(c, text, &hard);
	if (r == 0 && stext != NULL)
		r = parse_cpus(c, stext, &soft);
	if (r == 0)
		r = sim_set_affinity(c->sim, (uint32_t)domid, (unsigned)vcpu, &hard, &eff, &c->err);
	if (r == 0 && stext != NULL)
		r = sim_set_soft_affinity(c->sim, (uint32_t)domid, (unsigned)vcpu, &soft, &c->err);
	if (r == 0)
		c->ok = json_pack("{s:o}", "hard", cpus_json(&eff));
	return r;
}

static int op_get_node_affinity(struct op_ctx *c)
{
	json_int_t domid;
	struct cpumap nodes;
	int r;

	r = unpack(c, "{s:s, s:I}", "op", &(const char *){NULL}, "domid", &domid);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = sim_get_node_affinity(c->sim, (uint32_t)domid, &nodes, &c->err);
	if (r == 0)
		c->ok = json_pack("{s:o}", "nodes", cpus_json(&nodes));
	return r;
}

static int op_set_node_affinity(struct op_ctx *c)
{
	json_int_t domid;
	struct cpumap nodes;
	const char *text;
	int r;

	r = unpack(c, "{s:s, s:I, s:s}", "op", &(const char *){NULL}, "domid", &domid, "nodes",
	           &text);
	if (r == 0)
		r = check_domid(c, domid);
	if (r == 0)
		r = parse_cpus(c, text, &nodes);
	if (r == 0)
		r = sim_set_node_affinity(c->sim, (uint32_t)domid, &nodes, &c->err);
	if (r == 0)
		c->ok = json_object();
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
	const char *pool = NULL, *owner = NULL, *hard = NULL, *uuid = NULL, *soft = NULL,
	           *nodes = NULL;
	struct sim_create sc = {0};
	struct cpumap cpus, scpus, nmap;
	uint8_t u[16];
	unsigned pct;
	uint32_t domid;
	int paused = 0, r;

	r = unpack(c, "{s:s, s:s, s?I, s?s, s?s, s?I, s?I, s?s, s?I, s?s, s?b, s?s, s?s}", "op",
	           &(const char *){NULL}, "name", &sc.name, "vcpus", &vcpus, "pool", &pool,
	           "pool_owner", &owner, "weight", &weight, "cap", &cap, "hard", &hard, "load",
	           &load, "uuid", &uuid, "paused", &paused, "soft", &soft, "nodes", &nodes);
	if (r)
		return r;
	if (uuid && uuid_parse(uuid, u) < 0)
		return perr_set(&c->err, -EINVAL,
		                "bad uuid \"%.40s\": give 36 characters, "
		                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex digits",
		                uuid);
	sc.uuid = uuid ? u : NULL;
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
	if (soft) {
		if ((r = parse_cpus(c, soft, &scpus)) != 0)
			return r;
		sc.soft = &scpus;
	}
	if (nodes) {
		if ((r = parse_cpus(c, nodes, &nmap)) != 0)
			return r;
		sc.nodes = &nmap;
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

static json_t *dom_json(const struct sim *s, const struct sim_dom *d)
{
	json_t *vcpus = json_array();
	struct cpumap nodes;
	char uuid[37];

	for (unsigned v = 0; v < d->nr_vcpus; v++)
		json_array_append_new(vcpus, json_pack("{s:i, s:o, s:o, s:I}", "vcpu", (int)v,
		                                       "hard", cpus_json(&d->vcpu[v].hard), "soft",
		                                       cpus_json(&d->vcpu[v].soft), "time_ns",
		                                       (json_int_t)llround(d->vcpu[v].time_ns)));
	uuid_format(d->uuid, uuid);
	sim_dom_nodes(s, d, &nodes);
	return json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:b, s:b, s:I, s:o, s:o, s:b}",
	                 "domid", (int)d->domid, "name", d->name, "uuid", uuid, "cpupool",
	                 (int)d->cpupool, "weight", (int)d->weight, "cap", (int)d->cap, "load",
	                 (int)d->load, "paused", d->pause_count > 0, "idle", d->load == 0, "dying",
	                 d->dying, "cpu_time", (json_int_t)sim_dom_cpu_time(d), "vcpus", vcpus,
	                 "nodes", cpus_json(&nodes), "nodes_auto", d->nodes_auto);
}

static json_t *counters_json(const struct sim_counters *k)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "topology",
	                 (json_int_t)k->topology, "domains", (json_int_t)k->domains, "cpupool",
	                 (json_int_t)k->cpupool, "get_affinity", (json_int_t)k->get_affinity,
	                 "set_affinity", (json_int_t)k->set_affinity, "set_node_affinity",
	                 (json_int_t)k->set_node_affinity, "get_sched", (json_int_t)k->get_sched,
	                 "set_sched", (json_int_t)k->set_sched, "vcpu_time",
	                 (json_int_t)k->vcpu_time, "reads", (json_int_t)k->reads, "writes",
	                 (json_int_t)k->writes, "failed", (json_int_t)k->failed);
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
		json_array_append_new(doms, dom_json(c->sim, sim_dom_at(c->sim, i)));
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
	json_int_t err = 0, count = 1, domid = -1, delay = 0;
	const char *name;
	enum sim_fault_op op;
	int r;

	/* simproto.h names the target "op", which the request's own "op" already is. */
	r = unpack(c, "{s:s, s:s, s?I, s?I, s?I, s?I}", "op", &(const char *){NULL}, "target",
	           &name, "errno", &err, "count", &count, "domid", &domid, "delay_ms", &delay);
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
	if (delay != 0 && err != 0)
		return perr_set(&c->err, -EINVAL,
		                "a call is slow (delay_ms) or fails (errno), not both");
	if (delay < 0 || delay > SIM_SLOW_MS_MAX)
		return perr_set(&c->err, -EINVAL, "delay_ms must be 1..%d", SIM_SLOW_MS_MAX);
	if (delay != 0)
		return sim_slow(c->sim, op, (unsigned)delay, (unsigned)count, domid, &c->err);
	return sim_fault(c->sim, op, (int)err, (unsigned)count, domid, &c->err);
}

/* Reads a span in ms for the xenstore ops: 0..10 min. */
static int xs_span(struct op_ctx *c, const char *key, json_int_t *ms)
{
	int r = unpack(c, "{s:s, s:I}", "op", &(const char *){NULL}, key, ms);

	if (r)
		return r;
	if (c->xsd == NULL)
		return perr_set(&c->err, -ENOTSUP, "this host serves no xenstore");
	if (*ms < 0 || *ms > 600000)
		return perr_set(&c->err, -EINVAL, "%s %lld is not 0..600000", key, (long long)*ms);
	return 0;
}

/* Restarts the xenstore side: connections dropped, refused for down_ms, the store kept. */
static int op_xs_restart(struct op_ctx *c)
{
	json_int_t ms;
	int r = xs_span(c, "down_ms", &ms);

	if (r == 0 && (r = xsd_restart(c->xsd, (unsigned)ms)) < 0)
		perr_set(&c->err, r, "cannot restart the xenstore side: %s", strerror(-r));
	return r;
}

/* Makes the xenstore side stop answering for ms. */
static int op_xs_stall(struct op_ctx *c)
{
	json_int_t ms;
	int r = xs_span(c, "ms", &ms);

	if (r == 0 && (r = xsd_stall(c->xsd, (unsigned)ms)) < 0)
		perr_set(&c->err, r, "cannot stall the xenstore side: %s",
		         r == -ENOTCONN ? "it is restarting" : strerror(-r));
	return r;
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

/*
 * Every op: the hypervisor's (counted by the sim) and the control ops.
 * `timeless` ones neither read cpu time nor change what run() depends on:
 * a real clock need not catch up before them.
 */
static const struct simctl_op {
	const char *name;
	int (*fn)(struct op_ctx *c);
	bool timeless;
} ops[] = {
    {"topology", op_topology, true},
    {"domains", op_domains, false},
    {"cpupool", op_cpupool, true},
    {"get_affinity", op_get_affinity, true},
    {"set_affinity", op_set_affinity, false},
    {"get_node_affinity", op_get_node_affinity, true},
    {"set_node_affinity", op_set_node_affinity, false},
    {"get_sched", op_get_sched, true},
    {"set_sched", op_set_sched, false},
    {"vcpu_time", op_vcpu_time, false},
    {"create", op_create, false},
    {"destroy", op_destroy, false},
    {"pause", op_pause, false},
    {"unpause", op_unpause, false},
    {"load", op_load, false},
    {"show", op_show, false},
    {"reset_counters", op_reset_counters, true},
    {"fault", op_fault, true},
    {"run", op_run, false},
    {"xs_restart", op_xs_restart, true},
    {"xs_stall", op_xs_stall, true},
};

int simctl_clock_parse(const char *name)
{
	if (strcmp(name, "manual") == 0)
		return SIMCTL_CLOCK_MANUAL;
	if (strcmp(name, "real") == 0)
		return SIMCTL_CLOCK_REAL;
	return -1;
}

const char *simctl_clock_name(enum simctl_clock_mode mode)
{
	return mode == SIMCTL_CLOCK_REAL ? "real" : "manual";
}

/* Reads CLOCK_MONOTONIC in ns. */
static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void simctl_clock_init(struct simctl_clock *c, enum simctl_clock_mode mode, uint64_t (*now)(void))
{
	c->mode = mode;
	c->now = now ? now : monotonic_ns;
	c->last = c->now();
}

/* Runs the host for the real time since the last catch-up. */
static void clock_catch_up(struct simctl_clock *c, struct sim *s)
{
	uint64_t t = c->now(), dt = t > c->last ? t - c->last : 0;
	struct perr e = {0};

	c->last = t;
	/* Only ENOMEM can stop it; the host's own clock then stays true to its cpu times. */
	if (dt > 0 && sim_advance(s, dt, &e) != 0)
		log_warnx("clock: %llu ns of real time not run: %s", (unsigned long long)dt, e.msg);
}

json_t *simctl_error(int err, const char *desc)
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
static json_t *dispatch(struct sim *s, struct xsd *x, struct simctl_clock *clk, json_t *req,
                        unsigned *delay_ms)
{
	struct op_ctx c = {.sim = s, .xsd = x, .req = req};
	const char *name;
	int r;

	if (!json_is_object(req))
		return simctl_error(EINVAL, "a request is a JSON object");
	name = json_string_value(json_object_get(req, "op"));
	if (name == NULL)
		return simctl_error(EINVAL, "a request needs \"op\": a string");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, name) != 0)
			continue;
		if (clk != NULL && clk->mode == SIMCTL_CLOCK_REAL && !ops[i].timeless)
			clock_catch_up(clk, s);
		r = ops[i].fn(&c);
		*delay_ms = sim_take_delay(s);
		if (r < 0) {
			json_decref(c.ok);
			log_debug("%s: %s", name, c.err.msg);
			return simctl_error(-r, c.err.msg[0] ? c.err.msg : strerror(-r));
		}
		if (c.ok == NULL)
			c.ok = json_object();
		return json_pack("{s:o}", "ok", c.ok);
	}
	return simctl_error(ENOSYS, "unknown op");
}

json_t *simctl_dispatch(struct sim *s, struct xsd *x, json_t *req)
{
	unsigned delay_ms;

	return dispatch(s, x, NULL, req, &delay_ms);
}

/* Parses a request line; bad JSON is EINVAL like any bad argument. */
char *simctl_answer_held(struct sim *s, struct xsd *x, struct simctl_clock *clk, const char *line,
                         size_t len, unsigned *delay_ms)
{
	json_error_t je;
	json_t *req, *reply;
	char *out;

	*delay_ms = 0;
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (req == NULL) {
		char desc[256];

		snprintf(desc, sizeof(desc), "bad JSON: %s", je.text);
		reply = simctl_error(EINVAL, desc);
	} else {
		reply = dispatch(s, x, clk, req, delay_ms);
		json_decref(req);
	}
	if (reply == NULL)
		return NULL;
	out = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return out;
}

char *simctl_answer_clocked(struct sim *s, struct xsd *x, struct simctl_clock *clk,
                            const char *line, size_t len)
{
	unsigned delay_ms;

	return simctl_answer_held(s, x, clk, line, len, &delay_ms);
}

char *simctl_answer(struct sim *s, struct xsd *x, const char *line, size_t len)
{
	return simctl_answer_clocked(s, x, NULL, line, len);
}
