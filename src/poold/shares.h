/* The share controller's wiring: each pool's members, their CPU use, and the caps to write. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/weight.h"
#include "poold/engine-int.h"

/* True when the controller runs in pool p (share_control, the pool's own setting). */
bool shares_enabled(const struct engine *eng, const struct pool *p);

/*
 * Turns the controller's decisions into the caps of sp (weight_compute()'s
 * output for eng->doms, in that order). When `period` is set, first runs one
 * controller period on every pool from the CPU times of the last listing
 * (dom.cpu_ns, taken at now_ns on the hypervisor's clock). Between periods
 * it keeps the caps decided, except where a pool's pCPUs or cap changed, a
 * member is new to its pool or the controller was turned off: those go back
 * to the caps weight_compute() gives until the next period.
 * Returns the number of caps that period changed.
 */
size_t shares_apply(struct engine *eng, struct sched_params *sp, uint64_t now_ns, bool period);
