/* The pool table: named sets of pCPUs that partition the online pCPUs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpumap.h"
#include "core/share.h"
#include "core/topo.h"
#include "util/error.h"

#define POOL_NAME_MAX 64
#define POOL0_NAME    "pool0"
#define POOL0_ID      0

/* The scale a pool's credit1 weights were last computed with (core/weight.h), not saved. */
struct pool_scale {
	int step; /* on weight.h's grid: the scale is 2^(step / WEIGHT_SCALE_STEPS) */
	bool set; /* false: none yet, the next weight_compute() takes the ideal's nearest */
};

struct pool {
	uint32_t id; /* stable, never reused */
	char name[POOL_NAME_MAX + 1];
	struct cpumap cpus;
	unsigned cap;            /* % of one pCPU for the whole pool, 0 = none */
	bool share_off;          /* the share controller leaves this pool alone */
	struct share_pool share; /* the controller's state (not saved) */
	struct pool_scale scale; /* credit1 weights' scale (not saved) */
};

/*
 * Invariants (doc/design.md, invariants 1-3), kept by every function below:
 *   - every online cpu is in exactly one pool, no offline cpu is in a pool;
 *   - pools[0] is pool0, id 0, never empty, never destroyed;
 *   - names are valid and unique; ids are unique and below next_id.
 */
struct pool_table {
	struct pool *pools;
	size_t n;
	size_t alloc;
	uint32_t next_id;
	struct cpumap online;
};

/* A request for pCPUs: exactly `cpus`, or `ncpu` chosen by ncpu_select(). */
struct pool_cpus_spec {
	bool by_count;
	unsigned ncpu;
	struct cpumap cpus;
};

/* Creates the table with pool0 owning every online cpu of topo. */
int pool_table_init(struct pool_table *t, const struct topo *topo);
void pool_table_fini(struct pool_table *t);
/* Checks every invariant; returns 0 or POOLD_E_CORRUPT with the first broken one. */
int pool_table_check(const struct pool_table *t, struct perr *e);

bool pool_name_valid(const char *name);
struct pool *pool_find(const struct pool_table *t, const char *name);
struct pool *pool_find_id(const struct pool_table *t, uint32_t id);
struct pool *pool_of_cpu(const struct pool_table *t, unsigned cpu);

/*
 * Turns a spec into the exact cpus a pool would own after create or resize:
 * cpus=LIST must be online and either in pool0 or already in `self` (NULL
 * for a new pool); the message names the cpus that are not. ncpu=N keeps
 * the cpus `self` has when shrinking and takes the rest from pool0 with
 * ncpu_select(). pool0 must keep at least one cpu.
 */
int pool_resolve_cpus(const struct pool_table *t, const struct topo *topo, const struct pool *self,
                      const struct pool_cpus_spec *spec, struct cpumap *out, struct perr *e);

/* Adds a pool owning `cpus` (taken from pool0); *out points into t. */
int pool_create(struct pool_table *t, const char *name, const struct cpumap *cpus, unsigned cap,
                struct pool **out, struct perr *e);
/* Gives the pool exactly `cpus`: freed ones back to pool0, new ones from pool0.
 * nr_members > 0 forbids an empty set. pool0 itself can't be resized this way. */
int pool_resize(struct pool_table *t, const char *name, const struct cpumap *cpus,
                size_t nr_members, struct perr *e);
/* Removes a pool with no members; its cpus return to pool0. pool0 is refused. */
int pool_destroy(struct pool_table *t, const char *name, size_t nr_members, struct perr *e);

/*
 * Follows the host: cpus gone offline leave their pool, new online cpus join
 * pool0. A pool other than pool0 may become empty; pool0 refuses to (then
 * POOLD_E_BUSY and the table is unchanged).
 */
int pool_table_set_online(struct pool_table *t, const struct topo *topo, struct perr *e);

/*
 * Chooses n cpus out of `free` (pool0's cpus) for a new or growing pool:
 * whole cores (all SMT siblings together), cores of one socket and one NUMA
 * node when possible, never splitting a core between pools when avoidable.
 * `keep` (may be NULL) are cpus the pool owns already and keeps; they count
 * towards n and steer the choice to their socket/node. `reserve` is the
 * number of cpus that must stay in `free` (1 for pool0). Deterministic.
 * Returns 0, or POOLD_E_NOCPU when free cannot give n - |keep| cpus.
 */
int ncpu_select(const struct topo *topo, const struct cpumap *free, const struct cpumap *keep,
                unsigned n, unsigned reserve, struct cpumap *out, struct perr *e);
