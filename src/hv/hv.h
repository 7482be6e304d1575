/* The hypervisor port: one ops table, backends "xen" (libxenctrl) and "sim" (xensim). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpumap.h"
#include "core/dom.h"
#include "core/topo.h"

/* One domain as the hypervisor lists it. */
struct hv_dominfo {
	uint32_t domid;
	uint8_t uuid[16];
	unsigned nr_vcpus; /* max_vcpu_id + 1 */
	uint32_t cpupool;
	uint64_t cpu_time; /* ns run by all its vCPUs since creation */
	bool dying;        /* being destroyed: gone for poold */
	bool shutdown;     /* shut down (suspended, rebooting): kept, left alone */
};

struct hv;

/*
 * Every op returns 0 or -errno (the xen backend turns libxenctrl's -1/errno
 * into -errno at this boundary). Getters fill caller-owned memory.
 */
struct hv_ops {
	const char *name;
	int (*topology)(struct hv *hv, struct topo *out);
	/*
	 * *out is malloc'ed, *n entries, ascending domid; caller frees. Every
	 * domain's cpu_time comes from the same batched listing, never from a
	 * call per vCPU. now_ns (may be NULL) gets the hypervisor's clock at the
	 * listing, in ns, on the time base of cpu_time deltas: a domain's use of
	 * CPU between two listings is d(cpu_time) / d(now_ns) pCPUs.
	 *   xen: CLOCK_MONOTONIC read right after the last
	 *     xc_domain_getinfolist batch. Xen counts cpu_time on its own system
	 *     time, not dom0's clock: the two tick at the same rate, so deltas
	 *     compare, but the values do not.
	 *   sim: xensim's simulated clock, the reply's now_ns (ns since xensim
	 *     started, moved by its run op or, with --clock real, by real time).
	 */
	int (*list_domains)(struct hv *hv, struct hv_dominfo **out, size_t *n, uint64_t *now_ns);
	/*
	 * The same for the domains of domid >= first only (what a new domain
	 * costs: hypervisors hand out domids upwards), at most max of them
	 * (0: no limit; a walk over every domain in steps); now_ns as above.
	 * Optional (NULL: the caller lists every domain).
	 */
	int (*list_domains_from)(struct hv *hv, uint32_t first, size_t max, struct hv_dominfo **out,
	                         size_t *n, uint64_t *now_ns);
	int (*cpupool_sched)(struct hv *hv, uint32_t cpupool, enum sched_kind *out);
	/* A vCPU's hard and (soft may be NULL) soft affinity, in one call. */
	int (*get_affinity)(struct hv *hv, uint32_t domid, unsigned vcpu, struct cpumap *hard,
	                    struct cpumap *soft);
	/* Sets a vCPU's hard affinity and, unless soft is NULL, its soft one, in one call. */
	int (*set_affinity)(struct hv *hv, uint32_t domid, unsigned vcpu, const struct cpumap *hard,
	                    const struct cpumap *soft);
	/*
	 * A domain's node affinity (the NUMA nodes its new memory comes from), as node
	 * numbers in a cpumap. Setting every node of the host makes it Xen's automatic one
	 * again (derived from the vCPUs' affinities), which reads back as those nodes.
	 * Optional (NULL: the backend leaves NUMA alone).
	 */
	int (*get_node_affinity)(struct hv *hv, uint32_t domid, struct cpumap *nodes);
	int (*set_node_affinity)(struct hv *hv, uint32_t domid, const struct cpumap *nodes);
	/* weight and cap of a domain under scheduler `kind` (credit or credit2). */
	int (*get_sched)(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned *weight,
	                 unsigned *cap);
	int (*set_sched)(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned weight,
	                 unsigned cap);
	void (*close)(struct hv *hv);
};

struct hv {
	const struct hv_ops *ops;
};

/*
 * Opens backend `name` ("xen" or "sim"); `arg` is the xensim socket path for
 * "sim" and ignored for "xen". Returns 0, -ENOENT for an unknown backend, or
 * the backend's -errno.
 */
int hv_open(struct hv **out, const char *name, const char *arg);
/* Closes hv; NULL is fine. Returns NULL. */
struct hv *hv_close(struct hv *hv);

int hv_xen_open(struct hv **out);
int hv_sim_open(struct hv **out, const char *socket_path);
