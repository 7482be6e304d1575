/* xensim's simulated hypervisor: pCPUs, one cpupool, domains, Xen 4.17's rules and counters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpumap.h"
#include "core/topo.h"
#include "util/error.h"

/*
 * Pure data and rules, no I/O: the socket server (simctl.c) and the unit
 * tests drive it. Every op returns 0 or -errno exactly as the matching Xen
 * 4.17 hypercall would fail, with a description in e. Those errnos are the
 * simulated hypervisor's answers, forwarded to the client as they are.
 */

enum sim_sched {
	SIM_SCHED_CREDIT = 0, /* credit1: sched=credit */
	SIM_SCHED_CREDIT2,    /* Xen 4.17's default */
};

/* Returns "credit" or "credit2". */
const char *sim_sched_name(enum sim_sched s);
/* Parses "credit" or "credit2"; -1 if neither. */
int sim_sched_parse(const char *name);

/* Xen's limits: domids below DOMID_FIRST_RESERVED; weights and caps travel as uint16_t. */
#define SIM_DOMID_MAX      0x7FEF
#define SIM_WEIGHT_DEFAULT 256
#define SIM_WEIGHT_MAX     65535
#define SIM_CAP_UNCHANGED  0xFFFF     /* credit1 only */
#define SIM_VCPUS_MAX      CPUMAP_MAX /* a simulation limit, not Xen's */
#define SIM_NAME_MAX       64
#define SIM_POOL_KEY_MAX   256
#define SIM_LOAD_DEFAULT   100     /* a guest's vCPUs want all the time they can get */
#define SIM_RUN_MS_MAX     3600000 /* one hour of simulated time per run op */
#define SIM_RUN_NS_MAX     ((uint64_t)SIM_RUN_MS_MAX * 1000000)

struct sim_vcpu {
	struct cpumap hard; /* as set: get_affinity returns it unchanged */
	struct cpumap soft; /* the same; all cpus until set */
	double time_ns;     /* cumulative run time; reported rounded */
};

struct sim_dom {
	uint32_t domid;
	char name[SIM_NAME_MAX + 1];
	uint8_t uuid[16];
	uint32_t cpupool;
	unsigned nr_vcpus;
	unsigned weight;
	unsigned cap;         /* % of one pCPU, 0 = none */
	unsigned pause_count; /* the toolstack's nested pauses; paused while > 0 */
	unsigned load;        /* % of each vCPU's time the guest wants to run; 0 = idle (dom0) */
	bool dying;           /* destroyed: listed once more by domains, then dropped */
	/*
	 * Node affinity, where new memory comes from: set explicitly, or (nodes_auto, as at
	 * creation and after setting every node) derived from the vCPUs' affinities as Xen's
	 * domain_update_node_affinity() does.
	 */
	bool nodes_auto;
	struct cpumap nodes;
	struct sim_vcpu *vcpu;
};

struct sim_counters {
	uint64_t topology;
	uint64_t domains;
	uint64_t cpupool;
	uint64_t get_affinity;
	uint64_t set_affinity;      /* calls, failed ones included (soft affinity rides along) */
	uint64_t set_node_affinity; /* calls, failed ones included */
	uint64_t get_sched;
	uint64_t set_sched; /* calls, failed ones included */
	uint64_t vcpu_time;
	uint64_t reads;  /* topology + domains + cpupool + get_* + vcpu_time */
	uint64_t writes; /* set_affinity + set_node_affinity + set_sched calls that succeeded */
	uint64_t failed; /* hypervisor ops that returned an error, faults included */
};

/*
 * The toolstack's view of xenstore: how create/destroy write domain nodes
 * and fire the special watches. Any member may be NULL (no xenstore).
 * Each returns 0 or -errno.
 */
struct sim_xs_ops {
	int (*write)(void *ctx, const char *path, const char *value);
	int (*set_perms)(void *ctx, const char *path, const char *perms);
	int (*rm)(void *ctx, const char *path);
	void (*fire)(void *ctx, const char *special);
};

struct sim;

/*
 * Boots a host of topology t (copied) whose single cpupool 0 holds every
 * online cpu under scheduler `sched`, with domain 0 "Domain-0" (one vCPU
 * per pCPU, hard affinity all, weight 256, cap 0, load 0: idle) and its
 * xenstore nodes.
 * xs may be NULL. Returns 0, -ENOMEM, or the error of an xs op.
 */
int sim_new(struct sim **out, const struct topo *t, enum sim_sched sched,
            const struct sim_xs_ops *xs, void *xs_ctx);
/* Frees s; NULL is fine; returns NULL. */
struct sim *sim_free(struct sim *s);

const struct topo *sim_topo(const struct sim *s);
enum sim_sched sim_sched(const struct sim *s);
/* The cpus of cpupool 0: every online cpu. */
const struct cpumap *sim_online(const struct sim *s);
const struct sim_counters *sim_counters(const struct sim *s);
/* Domains in ascending domid order, dying ones included; index < sim_nr_doms(). */
size_t sim_nr_doms(const struct sim *s);
const struct sim_dom *sim_dom_at(const struct sim *s, size_t i);
/* Returns the domain (dying or not) or NULL. */
const struct sim_dom *sim_dom_find(const struct sim *s, uint32_t domid);
/* Returns the live (not dying) domain of that name or NULL. */
const struct sim_dom *sim_dom_by_name(const struct sim *s, const char *name);
/* The simulated clock: ns that sim_run() has advanced since boot (Xen's NOW()). */
uint64_t sim_now_ns(const struct sim *s);
/* A domain's cpu_time as getdomaininfo reports it: its vCPUs' run time summed, rounded to ns. */
uint64_t sim_dom_cpu_time(const struct sim_dom *d);

/* --- Hypervisor ops: what libxenctrl gives poold. Each is counted. --- */

/* Counts a topology read (xc_physinfo + xc_cputopoinfo). */
void sim_topology(struct sim *s);
/*
 * Lists domains in ascending domid order (xc_domain_getinfolist), those of
 * domid >= first, at most max of them (0: all), calling cb for each
 * (sim_dom_cpu_time() and sim_now_ns() give the times of the listing);
 * afterwards drops the dying ones listed, as Xen finishes destroying a
 * domain some time after @releaseDomain.
 */
void sim_domains(struct sim *s, uint32_t first, size_t max,
                 void (*cb)(const struct sim_dom *d, void *arg), void *arg);
/* xc_cpupool_getinfo: ENOENT for a cpupool that does not exist. */
int sim_cpupool(struct sim *s, uint32_t cpupool, enum sim_sched *sched, struct cpumap *cpus,
                struct perr *e);
/* Reads a vCPU's hard and (soft may be NULL) soft affinity, in one call as the domctl does. */
int sim_get_affinity(struct sim *s, uint32_t domid, unsigned vcpu, struct cpumap *hard,
                     struct cpumap *soft, struct perr *e);
/*
 * Sets a vCPU's soft affinity (any set: the scheduler uses soft & hard, or hard where they do
 * not meet): the soft half of a set_affinity call, made after sim_set_affinity() and counted
 * with it. EINVAL for a vcpu out of range, ESRCH for an unknown domain.
 */
int sim_set_soft_affinity(struct sim *s, uint32_t domid, unsigned vcpu, const struct cpumap *soft,
                          struct perr *e);
/*
 * xc_domain_node_getaffinity / _setaffinity: the NUMA nodes the domain's new memory comes
 * from. Setting EINVAL when nodes holds no node of the host; every node makes it automatic
 * again (derived from the vCPUs' soft & hard affinities).
 */
int sim_get_node_affinity(struct sim *s, uint32_t domid, struct cpumap *nodes, struct perr *e);
/* A domain's node affinity as the getter reports it, for views (not counted as a call). */
void sim_dom_nodes(const struct sim *s, const struct sim_dom *d, struct cpumap *out);
int sim_set_node_affinity(struct sim *s, uint32_t domid, const struct cpumap *nodes,
                          struct perr *e);
/*
 * Sets the hard affinity of a vCPU and fills eff (may be NULL) with what the
 * scheduler uses: hard & the cpupool's cpus. EINVAL when that is empty or the
 * vcpu is out of range, ESRCH for an unknown domain.
 */
int sim_set_affinity(struct sim *s, uint32_t domid, unsigned vcpu, const struct cpumap *hard,
                     struct cpumap *eff, struct perr *e);
/* EINVAL when `kind` is not the scheduler of the domain's cpupool. */
int sim_get_sched(struct sim *s, uint32_t domid, enum sim_sched kind, unsigned *weight,
                  unsigned *cap, struct perr *e);
/*
 * weight 0 = unchanged, else 1..65535. cap: % of one pCPU, 0 = none;
 * credit1: 0xFFFF = unchanged. cap > 100 * vcpus: EINVAL. credit2 applies
 * the weight before it checks the cap, as Xen 4.17 does, so a refused cap
 * can leave a new weight behind; credit1 checks everything first.
 */
int sim_set_sched(struct sim *s, uint32_t domid, enum sim_sched kind, int64_t weight, int64_t cap,
                  struct perr *e);
int sim_vcpu_time(struct sim *s, uint32_t domid, unsigned vcpu, uint64_t *ns, struct perr *e);

/* --- Control ops: the toolstack and the test harness. Not counted. --- */

enum sim_pool_owner {
	SIM_POOL_OWNER_DOM0 = 0, /* inherits "n0 r<id>": the guest can only read it */
	SIM_POOL_OWNER_GUEST,    /* "n<id>": the guest owns it */
};

struct sim_create {
	const char *name;
	unsigned vcpus;   /* 0 = 1 */
	const char *pool; /* NULL = no pool key */
	enum sim_pool_owner pool_owner;
	unsigned weight; /* 0 = 256 */
	unsigned cap;
	const struct cpumap *hard;  /* NULL = all cpus */
	const struct cpumap *soft;  /* NULL = all cpus (libxl's NUMA placement sets a node's) */
	const struct cpumap *nodes; /* node affinity; NULL = automatic */
	const unsigned *load;       /* NULL = SIM_LOAD_DEFAULT */
	const uint8_t *uuid;        /* 16 bytes; NULL = derived from the domid and the count */
	bool paused;
};

/*
 * Creates a domain as libxl does: next free domid after the last one given
 * (Xen's rover, from 1), /local/domain/<id> with perms "n0 r<id>", its name,
 * domid and pool keys, affinity and scheduler parameters, then
 * @introduceDomain; unpaused unless asked. EINVAL for a bad argument,
 * EEXIST for a name or uuid in use by a live (not dying) domain, ENOSPC
 * when no domid is free. A uuid given again after its domain was
 * destroyed is how a guest reboots: same uuid, new domid.
 */
int sim_create(struct sim *s, const struct sim_create *c, uint32_t *domid, struct perr *e);
/*
 * Destroys a domain: removes /local/domain/<id>, marks it dying and fires
 * @releaseDomain; the next sim_domains() lists it once more, dying.
 * Destroying a dying domain again is a no-op, as domain_kill() is.
 * ESRCH if unknown, EINVAL for domain 0 (a domain cannot kill itself).
 */
int sim_destroy(struct sim *s, uint32_t domid, struct perr *e);
/*
 * Pauses or unpauses a domain (xl pause/unpause); pauses nest, as in Xen.
 * EINVAL for pausing domain 0 or unpausing a domain that is not paused,
 * EOVERFLOW beyond 255 pauses.
 */
int sim_pause(struct sim *s, uint32_t domid, bool paused, struct perr *e);
/*
 * Sets how busy a domain's guest is: each vCPU wants load % of the time
 * (0..100, else EINVAL; ESRCH if unknown). Not a hypercall: the guest's
 * own doing, which the hypervisor only sees as cpu_time.
 */
int sim_set_load(struct sim *s, uint32_t domid, int64_t load, struct perr *e);
void sim_reset_counters(struct sim *s);

enum sim_fault_op {
	SIM_FAULT_SET_AFFINITY = 0,
	SIM_FAULT_SET_SCHED,
};

/*
 * Makes the next `count` calls of op (on domain `domid`, or any when
 * domid < 0) fail with -err and no effect. count 0 removes the faults of
 * op (and domid) instead. EINVAL for err <= 0.
 */
int sim_fault(struct sim *s, enum sim_fault_op op, int err, unsigned count, int64_t domid,
              struct perr *e);

/* The longest a slow call is held (ms): below the sim backend's 5 s timeout. */
#define SIM_SLOW_MS_MAX 4000
/*
 * Makes the next `count` calls of op (on domid, or any when domid < 0)
 * slow: they take effect, and their reply is held delay_ms (1..
 * SIM_SLOW_MS_MAX) by the socket server, which serves others meanwhile.
 * count 0 removes the faults of op, failing and slow alike.
 */
int sim_slow(struct sim *s, enum sim_fault_op op, unsigned delay_ms, unsigned count, int64_t domid,
             struct perr *e);
/* How long the reply of the call just made must be held (ms), and forgets it. */
unsigned sim_take_delay(struct sim *s);

/*
 * Advances the clock and the cpu time by ns of wall time for every runnable
 * vCPU (domain neither paused nor dying, load > 0). Each vCPU wants
 * ns * load / 100, spread evenly over the online cpus of its hard affinity;
 * a domain's cap bounds its vCPUs; each pCPU is shared, work-conserving:
 *   credit2: in proportion to weight;
 *   credit1: one credit total for the host, 1 pCPU-ms per online pCPU and
 *     ms, split by weight * vCPUs over the runnable domains (csched_acct).
 *     On each pCPU, vCPUs with credit left (UNDER) share round-robin, i.e.
 *     equally, up to their credit; OVER vCPUs share what remains equally.
 *     So weights hold while the host is saturated and fade to 1:1 for
 *     vCPUs pinned to a few pCPUs while others idle: the seed's pitfall.
 *     (A one-step simplification: no 10 ms ticks, no credit carry-over,
 *     no load balancing between pCPUs.)
 * Parameters only change between runs, so the model is linear in time: runs
 * of a and b ns end where one run of a + b ns does (up to rounding).
 * EINVAL for ns > SIM_RUN_NS_MAX.
 */
int sim_run_ns(struct sim *s, uint64_t ns, struct perr *e);
/* sim_run_ns() in ms; EINVAL for ms > SIM_RUN_MS_MAX. */
int sim_run(struct sim *s, uint64_t ms, struct perr *e);
/* sim_run_ns() for any span, in pieces of at most SIM_RUN_NS_MAX: what a real clock needs. */
int sim_advance(struct sim *s, uint64_t ns, struct perr *e);
