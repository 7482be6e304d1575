/* xensim's simulated hypervisor: the rules of Xen 4.17's domctls, the toolstack and run(). */
#include "xensim/sim.h"
#include "core/uuid.h"
#include "xensim/sim-run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct sim_fault {
	enum sim_fault_op op;
	int err;           /* 0: a slow call, delay_ms */
	unsigned delay_ms; /* how long the reply of a slow call is held */
	unsigned count;
	int64_t domid; /* < 0: any domain */
};

#define SIM_FAULTS_MAX 64

struct sim {
	struct topo topo;
	struct cpumap online; /* cpupool 0 */
	enum sim_sched sched;
	struct sim_dom **dom; /* ascending domid */
	size_t nr_dom;
	size_t cap_dom;
	uint32_t rover;   /* last domid handed out, as XEN_DOMCTL_createdomain */
	uint64_t created; /* domains ever created: feeds the uuids */
	uint64_t now_ns;  /* simulated time since boot */
	struct sim_run_buf *run_buf;
	struct sim_counters ctr;
	struct sim_fault fault[SIM_FAULTS_MAX];
	size_t nr_fault;
	uint64_t delay_ms; /* what slow calls since sim_take_delay() add up to */
	const struct sim_xs_ops *xs;
	void *xs_ctx;
};

static const char *const sched_names[] = {
    [SIM_SCHED_CREDIT] = "credit",
    [SIM_SCHED_CREDIT2] = "credit2",
};

const char *sim_sched_name(enum sim_sched s)
{
	return s == SIM_SCHED_CREDIT ? sched_names[SIM_SCHED_CREDIT]
	                             : sched_names[SIM_SCHED_CREDIT2];
}

int sim_sched_parse(const char *name)
{
	if (strcmp(name, "credit") == 0)
		return SIM_SCHED_CREDIT;
	if (strcmp(name, "credit2") == 0)
		return SIM_SCHED_CREDIT2;
	return -1;
}

/* Mixes 64 bits (splitmix64's finaliser): random-looking, fully deterministic. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Derives a version-4-looking uuid from the domid and the creation count. */
static void make_uuid(uint8_t uuid[16], uint32_t domid, uint64_t seq)
{
	uint64_t a = mix64(((uint64_t)domid << 40) ^ seq);
	uint64_t b = mix64(a ^ 0x5851f42d4c957f2dULL);

	for (int i = 0; i < 8; i++) {
		uuid[i] = (uint8_t)(a >> (8 * i));
		uuid[8 + i] = (uint8_t)(b >> (8 * i));
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

/* Returns the live (not dying) domain with that uuid, or NULL. */
static struct sim_dom *find_uuid(const struct sim *s, const uint8_t uuid[16])
{
	for (size_t i = 0; i < s->nr_dom; i++)
		if (!s->dom[i]->dying && memcmp(s->dom[i]->uuid, uuid, 16) == 0)
			return s->dom[i];
	return NULL;
}

static int xs_write(struct sim *s, const char *path, const char *value)
{
	return s->xs && s->xs->write ? s->xs->write(s->xs_ctx, path, value) : 0;
}

static int xs_set_perms(struct sim *s, const char *path, const char *perms)
{
	return s->xs && s->xs->set_perms ? s->xs->set_perms(s->xs_ctx, path, perms) : 0;
}

static int xs_rm(struct sim *s, const char *path)
{
	return s->xs && s->xs->rm ? s->xs->rm(s->xs_ctx, path) : 0;
}

static void xs_fire(struct sim *s, const char *special)
{
	if (s->xs && s->xs->fire)
		s->xs->fire(s->xs_ctx, special);
}

static struct sim_dom *dom_free(struct sim_dom *d)
{
	if (d) {
		free(d->vcpu);
		free(d);
	}
	return NULL;
}

/* Allocates a domain with Xen's defaults: affinity all, weight 256, no cap, paused. */
static struct sim_dom *dom_alloc(struct sim *s, uint32_t domid, const char *name, unsigned vcpus)
{
	struct sim_dom *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->vcpu = calloc(vcpus, sizeof(*d->vcpu));
	if (d->vcpu == NULL)
		return dom_free(d);
	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "%s", name);
	/* A uuid given to an earlier create may be one the count leads to: skip it. */
	do
		make_uuid(d->uuid, domid, s->created++);
	while (find_uuid(s, d->uuid) != NULL);
	d->nr_vcpus = vcpus;
	d->weight = SIM_WEIGHT_DEFAULT;
	d->load = SIM_LOAD_DEFAULT;
	d->pause_count = 1; /* Xen creates domains paused for the toolstack */
	for (unsigned v = 0; v < vcpus; v++) {
		cpumap_fill(&d->vcpu[v].hard, s->topo.nr_cpus);
		cpumap_fill(&d->vcpu[v].soft, s->topo.nr_cpus);
	}
	d->nodes_auto = true;
	return d;
}

/* Inserts d keeping the list sorted by domid. */
static int dom_insert(struct sim *s, struct sim_dom *d)
{
	size_t i;

	if (s->nr_dom == s->cap_dom) {
		size_t n = s->cap_dom ? 2 * s->cap_dom : 16;
		struct sim_dom **p = realloc(s->dom, n * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		s->dom = p;
		s->cap_dom = n;
	}
	for (i = s->nr_dom; i > 0 && s->dom[i - 1]->domid > d->domid; i--)
		s->dom[i] = s->dom[i - 1];
	s->dom[i] = d;
	s->nr_dom++;
	return 0;
}

static void dom_remove_at(struct sim *s, size_t i)
{
	dom_free(s->dom[i]);
	memmove(&s->dom[i], &s->dom[i + 1], (s->nr_dom - i - 1) * sizeof(s->dom[0]));
	s->nr_dom--;
}

/* Returns the index of domid in the sorted list, or -1. */
static ssize_t find_index(const struct sim *s, uint32_t domid)
{
	size_t lo = 0, hi = s->nr_dom;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->dom[mid]->domid == domid)
			return (ssize_t)mid;
		if (s->dom[mid]->domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static struct sim_dom *find(const struct sim *s, uint32_t domid)
{
	ssize_t i = find_index(s, domid);

	return i < 0 ? NULL : s->dom[i];
}

/* Writes dom0's nodes, as xen-init-dom0 does. */
static int boot_dom0(struct sim *s)
{
	struct sim_dom *d = dom_alloc(s, 0, "Domain-0", s->topo.nr_cpus);
	int r;

	if (d == NULL)
		return -ENOMEM;
	d->pause_count = 0;
	d->load = 0; /* runs the toolstack, not a load */
	r = dom_insert(s, d);
	if (r < 0) {
		dom_free(d);
		return r;
	}
	r = xs_write(s, "/local/domain/0", "");
	if (r == 0)
		r = xs_write(s, "/local/domain/0/name", "Domain-0");
	if (r == 0)
		r = xs_write(s, "/local/domain/0/domid", "0");
	return r;
}

int sim_new(struct sim **out, const struct topo *t, enum sim_sched sched,
            const struct sim_xs_ops *xs, void *xs_ctx)
{
	struct sim *s;
	int r;

	*out = NULL;
	if (t->nr_cpus == 0 || t->nr_cpus > CPUMAP_MAX || t->nr_cpus > SIM_VCPUS_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->topo = *t;
	topo_online(&s->topo, &s->online);
	if (cpumap_empty(&s->online)) {
		free(s);
		return -EINVAL;
	}
	s->sched = sched;
	s->xs = xs;
	s->xs_ctx = xs_ctx;
	r = boot_dom0(s);
	if (r < 0) {
		sim_free(s);
		return r;
	}
	*out = s;
	return 0;
}

struct sim *sim_free(struct sim *s)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->nr_dom; i++)
		dom_free(s->dom[i]);
	free(s->dom);
	sim_run_buf_free(s->run_buf);
	free(s);
	return NULL;
}

const struct topo *sim_topo(const struct sim *s)
{
	return &s->topo;
}

enum sim_sched sim_sched(const struct sim *s)
{
	return s->sched;
}

const struct cpumap *sim_online(const struct sim *s)
{
	return &s->online;
}

const struct sim_counters *sim_counters(const struct sim *s)
{
	return &s->ctr;
}

size_t sim_nr_doms(const struct sim *s)
{
	return s->nr_dom;
}

const struct sim_dom *sim_dom_at(const struct sim *s, size_t i)
{
	return i < s->nr_dom ? s->dom[i] : NULL;
}

const struct sim_dom *sim_dom_find(const struct sim *s, uint32_t domid)
{
	return find(s, domid);
}

const struct sim_dom *sim_dom_by_name(const struct sim *s, const char *name)
{
	for (size_t i = 0; i < s->nr_dom; i++)
		if (!s->dom[i]->dying && strcmp(s->dom[i]->name, name) == 0)
			return s->dom[i];
	return NULL;
}

uint64_t sim_now_ns(const struct sim *s)
{
	return s->now_ns;
}

uint64_t sim_dom_cpu_time(const struct sim_dom *d)
{
	double sum = 0;

	for (unsigned v = 0; v < d->nr_vcpus; v++)
		sum += d->vcpu[v].time_ns;
	return (uint64_t)llround(sum);
}

/* Keeps the cpus below nr_cpu_ids, as xenctl_bitmap_to_bitmap() does with a caller's map. */
static void clip(const struct sim *s, const struct cpumap *in, struct cpumap *out)
{
	struct cpumap all;

	cpumap_fill(&all, s->topo.nr_cpus);
	cpumap_and(out, in, &all);
}

/* Counts a read op. */
static void count_read(struct sim *s, uint64_t *op)
{
	(*op)++;
	s->ctr.reads++;
}

/* Counts a failed op and passes its error through. */
static int failed(struct sim *s, int r)
{
	if (r != 0)
		s->ctr.failed++;
	return r;
}

/* Finds a domain for a domctl: rcu_lock_domain_by_id() fails with ESRCH. */
static int lookup(struct sim *s, uint32_t domid, struct sim_dom **d, struct perr *e)
{
	*d = find(s, domid);
	if (*d == NULL)
		return perr_set(e, -ESRCH, "no domain %u", domid);
	return 0;
}

/* Checks a vcpu index: vcpu_affinity_domctl and getvcpuinfo refuse >= max_vcpus. */
static int check_vcpu(const struct sim_dom *d, unsigned vcpu, struct perr *e)
{
	if (vcpu >= d->nr_vcpus)
		return perr_set(e, -EINVAL, "vcpu %u out of range: domain %u has %u vCPUs", vcpu,
		                d->domid, d->nr_vcpus);
	return 0;
}

/* Consumes a matching injected fault; returns its -errno or 0. */
static int take_fault(struct sim *s, enum sim_fault_op op, uint32_t domid, struct perr *e)
{
	for (size_t i = 0; i < s->nr_fault; i++) {
		struct sim_fault *f = &s->fault[i];
		int err;

		if (f->op != op || (f->domid >= 0 && f->domid != domid))
			continue;
		err = f->err;
		if (err == 0)
			s->delay_ms += f->delay_ms;
		if (--f->count == 0) {
			memmove(f, f + 1, (s->nr_fault - i - 1) * sizeof(*f));
			s->nr_fault--;
		}
		if (err == 0)
			return 0; /* slow, not failed: the call goes on */
		return perr_set(e, -err, "injected fault: %s", strerror(err));
	}
	return 0;
}

void sim_topology(struct sim *s)
{
	count_read(s, &s->ctr.topology);
}

void sim_domains(struct sim *s, uint32_t first, size_t max,
                 void (*cb)(const struct sim_dom *d, void *arg), void *arg)
{
	size_t lo = 0, hi = s->nr_dom;

	count_read(s, &s->ctr.domains);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->dom[mid]->domid < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	hi = max > 0 && s->nr_dom - lo > max ? lo + max : s->nr_dom;
	for (size_t i = lo; i < hi; i++)
		if (cb)
			cb(s->dom[i], arg);
	for (size_t i = hi; i > lo; i--)
		if (s->dom[i - 1]->dying)
			dom_remove_at(s, i - 1);
}

int sim_cpupool(struct sim *s, uint32_t cpupool, enum sim_sched *sched, struct cpumap *cpus,
                struct perr *e)
{
	count_read(s, &s->ctr.cpupool);
	/* cpupool_get_next_by_id(): the first pool with id >= cpupool; only 0 exists. */
	if (cpupool != 0)
		return failed(s, perr_set(e, -ENOENT, "no cpupool %u", cpupool));
	if (sched)
		*sched = s->sched;
	if (cpus)
		*cpus = s->online;
	return 0;
}

int sim_get_affinity(struct sim *s, uint32_t domid, unsigned vcpu, struct cpumap *hard,
                     struct cpumap *soft, struct perr *e)
{
	struct sim_dom *d;
	int r;

	count_read(s, &s->ctr.get_affinity);
	r = lookup(s, domid, &d, e);
	if (r == 0)
		r = check_vcpu(d, vcpu, e);
	if (r == 0) {
		*hard = d->vcpu[vcpu].hard;
		if (soft != NULL)
			*soft = d->vcpu[vcpu].soft;
	}
	return failed(s, r);
}

int sim_set_soft_affinity(struct sim *s, uint32_t domid, unsigned vcpu, const struct cpumap *soft,
                          struct perr *e)
{
	struct sim_dom *d;
	int r;

	/* The soft half of a set_affinity call: counted (and faulted) with it. */
	r = lookup(s, domid, &d, e);
	if (r == 0)
		r = check_vcpu(d, vcpu, e);
	if (r != 0)
		return failed(s, r);
	clip(s, soft, &d->vcpu[vcpu].soft);
	return 0;
}

/* The nodes of the host: those of its online cpus. */
static void host_nodes(const struct sim *s, struct cpumap *out)
{
	topo_cpumap_nodes(&s->topo, &s->online, out);
}

/*
 * domain_update_node_affinity(): the nodes of the cpus its vCPUs may run on (hard & online),
 * narrowed to those they prefer (& soft) where any is left.
 */
static void auto_nodes(const struct sim *s, const struct sim_dom *d, struct cpumap *out)
{
	struct cpumap hard, soft, m;

	cpumap_zero(&hard);
	cpumap_zero(&soft);
	for (unsigned v = 0; v < d->nr_vcpus; v++) {
		cpumap_and(&m, &d->vcpu[v].hard, &s->online);
		cpumap_or(&hard, &hard, &m);
		cpumap_and(&m, &m, &d->vcpu[v].soft);
		cpumap_or(&soft, &soft, &m);
	}
	topo_cpumap_nodes(&s->topo, cpumap_empty(&soft) ? &hard : &soft, out);
}

void sim_dom_nodes(const struct sim *s, const struct sim_dom *d, struct cpumap *out)
{
	if (d->nodes_auto)
		auto_nodes(s, d, out);
	else
		*out = d->nodes;
}

int sim_get_node_affinity(struct sim *s, uint32_t domid, struct cpumap *nodes, struct perr *e)
{
	struct sim_dom *d;
	int r;

	count_read(s, &s->ctr.get_affinity);
	r = lookup(s, domid, &d, e);
	if (r == 0)
		sim_dom_nodes(s, d, nodes);
	return failed(s, r);
}

int sim_set_node_affinity(struct sim *s, uint32_t domid, const struct cpumap *nodes, struct perr *e)
{
	struct cpumap all, m;
	struct sim_dom *d;
	int r;

	s->ctr.set_node_affinity++;
	r = take_fault(s, SIM_FAULT_SET_AFFINITY, domid, e);
	if (r == 0)
		r = lookup(s, domid, &d, e);
	if (r != 0)
		return failed(s, r);
	host_nodes(s, &all);
	cpumap_and(&m, nodes, &all);
	/* domain_set_node_affinity(): at least one online node; all of them means automatic. */
	if (cpumap_empty(&m))
		return failed(s, perr_set(e, -EINVAL, "node affinity has no node of this host"));
	d->nodes_auto = cpumap_equal(&m, &all);
	d->nodes = m;
	s->ctr.writes++;
	return 0;
}

int sim_set_affinity(struct sim *s, uint32_t domid, unsigned vcpu, const struct cpumap *hard,
                     struct cpumap *eff, struct perr *e)
{
	struct sim_dom *d;
	struct cpumap m;
	int r;

	s->ctr.set_affinity++;
	r = take_fault(s, SIM_FAULT_SET_AFFINITY, domid, e);
	if (r == 0)
		r = lookup(s, domid, &d, e);
	if (r == 0)
		r = check_vcpu(d, vcpu, e);
	if (r != 0)
		return failed(s, r);
	clip(s, hard, &m);
	/* vcpu_set_hard_affinity(): the set must meet the cpupool's online cpus. */
	if (!cpumap_intersects(&m, &s->online))
		return failed(s, perr_set(e, -EINVAL,
		                          "affinity has no online cpu of cpupool %u of domain %u",
		                          d->cpupool, domid));
	d->vcpu[vcpu].hard = m;
	if (eff)
		cpumap_and(eff, &m, &s->online);
	s->ctr.writes++;
	return 0;
}

/* sched_adjust(): the caller's scheduler id must be the domain's cpupool's. */
static int check_sched(struct sim *s, const struct sim_dom *d, enum sim_sched kind, struct perr *e)
{
	if (kind != s->sched)
		return perr_set(e, -EINVAL, "cpupool %u of domain %u runs %s, not %s", d->cpupool,
		                d->domid, sim_sched_name(s->sched), sim_sched_name(kind));
	return 0;
}

int sim_get_sched(struct sim *s, uint32_t domid, enum sim_sched kind, unsigned *weight,
                  unsigned *cap, struct perr *e)
{
	struct sim_dom *d;
	int r;

	count_read(s, &s->ctr.get_sched);
	r = lookup(s, domid, &d, e);
	if (r == 0)
		r = check_sched(s, d, kind, e);
	if (r != 0)
		return failed(s, r);
	*weight = d->weight;
	*cap = d->cap;
	return 0;
}

int sim_set_sched(struct sim *s, uint32_t domid, enum sim_sched kind, int64_t weight, int64_t cap,
                  struct perr *e)
{
	struct sim_dom *d;
	int r;

	s->ctr.set_sched++;
	r = take_fault(s, SIM_FAULT_SET_SCHED, domid, e);
	if (r == 0)
		r = lookup(s, domid, &d, e);
	if (r == 0)
		r = check_sched(s, d, kind, e);
	if (r != 0)
		return failed(s, r);
	/* struct xen_domctl_sched_credit{,2} carry uint16_t: larger values cannot be sent. */
	if (weight < 0 || weight > SIM_WEIGHT_MAX)
		return failed(s,
		              perr_set(e, -EINVAL, "weight %lld out of range 1..%d (0 = unchanged)",
		                       (long long)weight, SIM_WEIGHT_MAX));
	if (cap < 0 || cap > 0xFFFF)
		return failed(
		    s, perr_set(e, -EINVAL, "cap %lld out of range 0..65535", (long long)cap));
	if (kind == SIM_SCHED_CREDIT) {
		/* csched_dom_cntl() takes any cap (only libxl checks 100 * vcpus). */
		if (weight != 0)
			d->weight = (unsigned)weight;
		if (cap != SIM_CAP_UNCHANGED)
			d->cap = (unsigned)cap;
	} else {
		/* csched2_dom_cntl() stores the weight, then checks the cap. */
		if (weight != 0)
			d->weight = (unsigned)weight;
		if (cap > 100 * (int64_t)d->nr_vcpus)
			return failed(s, perr_set(e, -EINVAL, "cap %lld above 100 * %u vCPUs",
			                          (long long)cap, d->nr_vcpus));
		d->cap = (unsigned)cap;
	}
	s->ctr.writes++;
	return 0;
}

/* XEN_DOMCTL_getvcpuinfo's cpu_time. */
int sim_vcpu_time(struct sim *s, uint32_t domid, unsigned vcpu, uint64_t *ns, struct perr *e)
{
	struct sim_dom *d;
	int r;

	count_read(s, &s->ctr.vcpu_time);
	r = lookup(s, domid, &d, e);
	if (r == 0)
		r = check_vcpu(d, vcpu, e);
	if (r != 0)
		return failed(s, r);
	*ns = (uint64_t)llround(d->vcpu[vcpu].time_ns);
	return 0;
}

/* A domain name libxl and xenstore accept: no '/', no spaces or control characters. */
static bool name_ok(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0 || n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == '/' || *p >= 0x7f)
			return false;
	return true;
}

/* Refuses what libxl or Xen would refuse before a domain exists. */
static int check_create(struct sim *s, const struct sim_create *c, unsigned vcpus, struct perr *e)
{
	const struct sim_dom *owner;

	if (c->name == NULL || !name_ok(c->name, SIM_NAME_MAX))
		return perr_set(
		    e, -EINVAL,
		    "bad domain name: give 1 to %d printable characters, no '/' or spaces",
		    SIM_NAME_MAX);
	if (sim_dom_by_name(s, c->name))
		return perr_set(e, -EEXIST, "a domain named '%s' exists already", c->name);
	if (vcpus > SIM_VCPUS_MAX)
		return perr_set(e, -EINVAL, "vcpus %u out of range 1..%d", vcpus, SIM_VCPUS_MAX);
	if (c->pool && !name_ok(c->pool, SIM_POOL_KEY_MAX))
		return perr_set(e, -EINVAL, "bad pool key value: give 1 to %d printable characters",
		                SIM_POOL_KEY_MAX);
	if (c->weight > SIM_WEIGHT_MAX)
		return perr_set(e, -EINVAL, "weight %u out of range 1..%d", c->weight,
		                SIM_WEIGHT_MAX);
	if (c->cap > 100 * vcpus)
		return perr_set(e, -EINVAL, "cap %u above 100 * %u vCPUs", c->cap, vcpus);
	if (c->load && *c->load > 100)
		return perr_set(e, -EINVAL, "load %u out of range 0..100 (%% of each vCPU)",
		                *c->load);
	if (c->hard && !cpumap_intersects(c->hard, &s->online))
		return perr_set(e, -EINVAL, "cpus has no online cpu of cpupool 0");
	owner = c->uuid ? find_uuid(s, c->uuid) : NULL;
	if (owner != NULL) {
		char text[37];

		uuid_format(c->uuid, text);
		return perr_set(e, -EEXIST,
		                "uuid %s belongs to live domain %u '%s': destroy it first, or give "
		                "another",
		                text, owner->domid, owner->name);
	}
	return 0;
}

/* Picks the next free domid after the rover, wrapping to 1, as XEN_DOMCTL_createdomain. */
static int next_domid(struct sim *s, uint32_t *out)
{
	uint32_t dom = s->rover;

	for (unsigned n = 0; n < SIM_DOMID_MAX; n++) {
		dom = dom >= SIM_DOMID_MAX ? 1 : dom + 1;
		if (find(s, dom) == NULL) {
			s->rover = dom;
			*out = dom;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Writes the domain's xenstore nodes as libxl__domain_make() does, before the build. */
static int write_dom_nodes(struct sim *s, const struct sim_dom *d, const struct sim_create *c)
{
	char path[128], perms[64], val[16];
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u", d->domid);
	snprintf(perms, sizeof(perms), "n0 r%u", d->domid);
	r = xs_write(s, path, "");
	if (r == 0)
		r = xs_set_perms(s, path, perms);
	snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
	if (r == 0)
		r = xs_write(s, path, d->name);
	snprintf(path, sizeof(path), "/local/domain/%u/domid", d->domid);
	snprintf(val, sizeof(val), "%u", d->domid);
	if (r == 0)
		r = xs_write(s, path, val);
	if (c->pool == NULL || r != 0)
		return r;
	snprintf(path, sizeof(path), "/local/domain/%u/pool", d->domid);
	r = xs_write(s, path, c->pool);
	if (r == 0 && c->pool_owner == SIM_POOL_OWNER_GUEST) {
		snprintf(perms, sizeof(perms), "n%u", d->domid);
		r = xs_set_perms(s, path, perms);
	}
	return r;
}

/* Creates, writes the nodes, applies the build parameters, introduces, unpauses. */
int sim_create(struct sim *s, const struct sim_create *c, uint32_t *domid, struct perr *e)
{
	unsigned vcpus = c->vcpus ? c->vcpus : 1;
	struct sim_dom *d;
	char path[64];
	uint32_t id;
	int r;

	r = check_create(s, c, vcpus, e);
	if (r != 0)
		return r;
	if (next_domid(s, &id) < 0)
		return perr_set(e, -ENOSPC, "no free domid");
	d = dom_alloc(s, id, c->name, vcpus);
	if (d != NULL && c->uuid != NULL)
		memcpy(d->uuid, c->uuid, sizeof(d->uuid));
	if (d == NULL || dom_insert(s, d) < 0) {
		dom_free(d);
		return perr_set(e, -ENOMEM, "out of memory");
	}
	r = write_dom_nodes(s, d, c);
	if (r != 0) {
		snprintf(path, sizeof(path), "/local/domain/%u", id);
		xs_rm(s, path);
		dom_remove_at(s, (size_t)find_index(s, id));
		return perr_set(e, r < 0 ? r : -EIO, "xenstore refused the domain's nodes");
	}
	/* libxl__build_pre(): affinity and scheduler parameters before the introduction. */
	for (unsigned v = 0; v < vcpus && c->hard; v++)
		clip(s, c->hard, &d->vcpu[v].hard);
	for (unsigned v = 0; v < vcpus && c->soft; v++)
		clip(s, c->soft, &d->vcpu[v].soft);
	if (c->nodes != NULL) {
		struct cpumap all;

		host_nodes(s, &all);
		cpumap_and(&d->nodes, c->nodes, &all);
		d->nodes_auto = cpumap_empty(&d->nodes) || cpumap_equal(&d->nodes, &all);
	}
	d->weight = c->weight ? c->weight : SIM_WEIGHT_DEFAULT;
	d->cap = c->cap;
	if (c->load)
		d->load = *c->load;
	xs_fire(s, "@introduceDomain");
	if (!c->paused)
		d->pause_count = 0;
	*domid = id;
	return 0;
}

/* Removes the nodes, then kills the domain and announces its release. */
int sim_destroy(struct sim *s, uint32_t domid, struct perr *e)
{
	struct sim_dom *d;
	char path[64];
	int r;

	r = lookup(s, domid, &d, e);
	if (r != 0)
		return r;
	if (domid == 0)
		return perr_set(e, -EINVAL, "domain 0 cannot be destroyed");
	if (d->dying)
		return 0;
	/* libxl removes the nodes first; Xen then kills the domain and xenstored
	 * notices the release, which it announces while Xen still lists it. */
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	r = xs_rm(s, path);
	if (r < 0 && r != -ENOENT)
		return perr_set(e, r, "xenstore refused to remove %s", path);
	d->pause_count++;
	d->dying = true;
	xs_fire(s, "@releaseDomain");
	return 0;
}

/* Counts nested pauses as domain_{,un}pause_by_systemcontroller() do. */
int sim_pause(struct sim *s, uint32_t domid, bool paused, struct perr *e)
{
	struct sim_dom *d;
	int r;

	r = lookup(s, domid, &d, e);
	if (r != 0)
		return r;
	if (paused) {
		if (domid == 0)
			return perr_set(e, -EINVAL, "domain 0 cannot pause itself");
		if (d->pause_count >= 255)
			return perr_set(e, -EOVERFLOW, "domain %u is paused 255 times already",
			                domid);
		d->pause_count++;
	} else {
		if (d->pause_count == 0)
			return perr_set(e, -EINVAL, "domain %u is not paused", domid);
		d->pause_count--;
	}
	return 0;
}

int sim_set_load(struct sim *s, uint32_t domid, int64_t load, struct perr *e)
{
	struct sim_dom *d;
	int r;

	r = lookup(s, domid, &d, e);
	if (r != 0)
		return r;
	if (load < 0 || load > 100)
		return perr_set(e, -EINVAL, "load %lld out of range 0..100 (%% of each vCPU)",
		                (long long)load);
	d->load = (unsigned)load;
	return 0;
}

void sim_reset_counters(struct sim *s)
{
	memset(&s->ctr, 0, sizeof(s->ctr));
}

int sim_fault(struct sim *s, enum sim_fault_op op, int err, unsigned count, int64_t domid,
              struct perr *e)
{
	if (op != SIM_FAULT_SET_AFFINITY && op != SIM_FAULT_SET_SCHED)
		return perr_set(e, -EINVAL, "faults apply to set_affinity and set_sched only");
	if (count == 0) {
		for (size_t i = s->nr_fault; i > 0; i--) {
			struct sim_fault *f = &s->fault[i - 1];

			if (f->op == op && (domid < 0 || f->domid == domid)) {
				memmove(f, f + 1, (s->nr_fault - i) * sizeof(*f));
				s->nr_fault--;
			}
		}
		return 0;
	}
	if (err <= 0 || err > 4095)
		return perr_set(e, -EINVAL, "errno %d is not a positive errno value", err);
	if (domid > SIM_DOMID_MAX)
		return perr_set(e, -EINVAL, "domid %lld out of range", (long long)domid);
	if (s->nr_fault == SIM_FAULTS_MAX)
		return perr_set(e, -ENOSPC, "%d faults pending already", SIM_FAULTS_MAX);
	s->fault[s->nr_fault++] = (struct sim_fault){
	    .op = op, .err = err, .count = count, .domid = domid < 0 ? -1 : domid};
	return 0;
}

int sim_slow(struct sim *s, enum sim_fault_op op, unsigned delay_ms, unsigned count, int64_t domid,
             struct perr *e)
{
	if (op != SIM_FAULT_SET_AFFINITY && op != SIM_FAULT_SET_SCHED)
		return perr_set(e, -EINVAL, "slow calls apply to set_affinity and set_sched only");
	if (delay_ms == 0 || delay_ms > SIM_SLOW_MS_MAX)
		return perr_set(e, -EINVAL, "delay_ms %u is not 1..%u", delay_ms, SIM_SLOW_MS_MAX);
	if (count == 0)
		return sim_fault(s, op, 0, 0, domid, e);
	if (domid > SIM_DOMID_MAX)
		return perr_set(e, -EINVAL, "domid %lld out of range", (long long)domid);
	if (s->nr_fault == SIM_FAULTS_MAX)
		return perr_set(e, -ENOSPC, "%d faults pending already", SIM_FAULTS_MAX);
	s->fault[s->nr_fault++] = (struct sim_fault){
	    .op = op, .delay_ms = delay_ms, .count = count, .domid = domid < 0 ? -1 : domid};
	return 0;
}

unsigned sim_take_delay(struct sim *s)
{
	uint64_t ms = s->delay_ms;

	s->delay_ms = 0;
	return ms > SIM_SLOW_MS_MAX ? SIM_SLOW_MS_MAX : (unsigned)ms;
}

/* Checks the span, lets sim-run.c share the pCPUs, and moves the clock. */
int sim_run_ns(struct sim *s, uint64_t ns, struct perr *e)
{
	if (ns > SIM_RUN_NS_MAX)
		return perr_set(e, -EINVAL, "ns %llu above %llu", (unsigned long long)ns,
		                (unsigned long long)SIM_RUN_NS_MAX);
	if (ns == 0)
		return 0;
	if (sim_share(&s->run_buf, s->sched, &s->online, s->dom, s->nr_dom, (double)ns) < 0)
		return perr_set(e, -ENOMEM, "out of memory");
	s->now_ns += ns;
	return 0;
}

int sim_run(struct sim *s, uint64_t ms, struct perr *e)
{
	if (ms > SIM_RUN_MS_MAX)
		return perr_set(e, -EINVAL, "ms %llu above %d", (unsigned long long)ms,
		                SIM_RUN_MS_MAX);
	return sim_run_ns(s, ms * 1000000, e);
}

int sim_advance(struct sim *s, uint64_t ns, struct perr *e)
{
	while (ns > 0) {
		uint64_t piece = ns < SIM_RUN_NS_MAX ? ns : SIM_RUN_NS_MAX;
		int r = sim_run_ns(s, piece, e);

		if (r != 0)
			return r;
		ns -= piece;
	}
	return 0;
}
