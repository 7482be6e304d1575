/* What poold does on request: every change validated, made durable, then applied. */
#pragma once

#include <stdbool.h>

#include "poold/poold.h"

/*
 * Every mutating call: validates (POOLD_E_* with a message naming the fix),
 * changes the model, writes the state file durably (POOLD_E_STATE and the
 * model is rolled back if it can't), then reconciles the hypervisor
 * (POOLD_E_HYPERVISOR with what Xen refused; the model stays, the next
 * rescan retries). Events go to subscribers.
 */

/*
 * cap: % of one pCPU for the whole pool, 0 = none. share: SHARE_AUTO or
 * SHARE_OFF, the pool's own say on the share controller; < 0 = auto.
 */
int engine_pool_create(struct poold *pd, const char *name, const struct pool_cpus_spec *spec,
                       unsigned cap, int share, struct perr *e);
/* spec NULL keeps the cpus; cap < 0 keeps the cap; share < 0 keeps the setting. */
int engine_pool_modify(struct poold *pd, const char *name, const struct pool_cpus_spec *spec,
                       int cap, int share, struct perr *e);
/* force moves members to pool0 first; without it a pool with members is refused. */
int engine_pool_destroy(struct poold *pd, const char *name, bool force, struct perr *e);

/* Finds a live domain by name or by decimal domid. */
int engine_domain_find(struct poold *pd, const char *ref, struct dom **out, struct perr *e);
int engine_domain_migrate(struct poold *pd, const char *ref, const char *pool, struct perr *e);
/* weight/cap < 0 keep the current value. */
int engine_domain_set(struct poold *pd, const char *ref, int weight, int cap, struct perr *e);

/* The members of a pool (placed there), for listings. */
size_t engine_pool_members(const struct poold *pd, uint32_t pool_id);
/* The scheduler of the Xen cpupool that holds a pool's pCPUs. */
enum sched_kind engine_pool_sched(const struct poold *pd, const struct pool *p);

/* Rescans domains and xenstore, places, and writes what differs. */
int engine_reconcile(struct poold *pd, struct perr *e);
