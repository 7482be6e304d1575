/* Diffing desired against actual hypervisor state into the writes to make. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpumap.h"
#include "core/weight.h"

/* What the hypervisor reports for one domain. */
struct dom_actual {
	uint32_t domid;
	unsigned nr_vcpus;
	struct cpumap *hard; /* nr_vcpus hard affinities, as reported */
	struct cpumap *soft; /* nr_vcpus soft affinities; NULL: not read */
	struct cpumap nodes; /* node affinity, node numbers */
	bool nodes_known;    /* nodes was read */
	unsigned weight;
	unsigned cap;
	bool sched_known; /* weight/cap were read */
};

/*
 * What poold wants for one domain: every vCPU pinned to `cpus`; with numa, every vCPU's soft
 * affinity `soft` (the cpus of its pool's nodes) and the domain's node affinity `nodes`.
 */
struct dom_desired {
	uint32_t domid;
	struct cpumap cpus;
	bool numa;
	struct cpumap soft;
	struct cpumap nodes;
	struct sched_params sched;
	enum sched_kind kind;
};

enum plan_op_kind {
	PLAN_SET_AFFINITY,
	PLAN_SET_SCHED,
	PLAN_SET_NODES,
};

struct plan_op {
	enum plan_op_kind kind;
	uint32_t domid;
	unsigned vcpu;         /* PLAN_SET_AFFINITY */
	struct cpumap cpus;    /* PLAN_SET_AFFINITY */
	bool with_soft;        /* PLAN_SET_AFFINITY: soft too, in the same call */
	struct cpumap soft;    /* PLAN_SET_AFFINITY with_soft */
	struct cpumap nodes;   /* PLAN_SET_NODES */
	enum sched_kind sched; /* PLAN_SET_SCHED */
	unsigned weight;       /* PLAN_SET_SCHED */
	unsigned cap;          /* PLAN_SET_SCHED */
};

struct plan {
	struct plan_op *ops;
	size_t n;
	size_t alloc;
};

/*
 * Appends to p the writes that make `a` match `d`: one SET_AFFINITY per vCPU
 * whose hard affinity, restricted to `online`, differs from d->cpus, or (numa)
 * whose soft affinity, restricted alike, was read and differs from d->soft (a
 * numa write sets both); one SET_SCHED when the weight or cap differs (or was
 * not read); with numa, one SET_NODES after the affinities when the node
 * affinity was read and differs. Nothing when converged. Returns 0 or -ENOMEM.
 */
int plan_diff(struct plan *p, const struct dom_desired *d, const struct dom_actual *a,
              const struct cpumap *online);
/* Appends one op, growing the array geometrically. Returns 0 or -ENOMEM. */
int plan_add(struct plan *p, const struct plan_op *op);
void plan_reset(struct plan *p);
void plan_fini(struct plan *p);
