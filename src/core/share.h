/* The share controller: caps that make weights hold among vCPUs pinned to a pool's pCPUs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pinned vCPUs compete only with the other vCPUs of their pCPUs, yet
 * credit1 shares credit over the whole host, so weights fade to 1:1
 * inside a pool while CPUs outside it are idle (poold(8), "Shares").
 * Caps are the lever that works: each period, per pool, the controller
 * measures every member's CPU use and, while the pool is saturated (and its
 * split off the weights) or a cap holds a member back, caps each member at
 * its weighted entitlement of the pool's capacity (water-filling: a member that uses less than its share
 * keeps what it uses plus headroom, the rest is split by weight among the
 * others). When nobody is held back and the pool has room, it lifts its
 * caps: the pool stays work-conserving. All figures are % of one pCPU.
 */

/* The knobs; share_tuning_default() gives the values poold runs with. */
struct share_tuning {
	double saturated;     /* a pool using this fraction of its capacity is saturated */
	double headroom_min;  /* a satisfied member may grow this much before it wants more */
	double headroom_rel;  /* ... or this fraction of its use, if larger */
	double at_cap_min;    /* within this of its cap, a member is held back by it */
	double at_cap_rel;    /* ... or within this fraction of the cap, if larger */
	double presume_share; /* without caps in force, a member using this fraction of an
	                         equal split is presumed to want more */
	double reach_rel;     /* one that wanted more and uses this close to its part still does */
	double split_min;     /* a saturated pool gets caps only when a member is off its */
	double split_rel;     /* entitlement by more than this, or this fraction of it */
	unsigned deadband;    /* a cap moves only when it changes by more than this */
};

void share_tuning_default(struct share_tuning *t);

/* One member of a pool for one period. */
struct share_member {
	/* Inputs. */
	uint32_t id;       /* domid: a change of the member set resets what is known */
	uint64_t mass;     /* user weight * vCPUs */
	unsigned vcpus;    /* online vCPUs */
	unsigned user_cap; /* 0 = none */
	unsigned base_cap; /* what is written without the controller (user cap, pool-cap split) */
	bool nocap;        /* never capped (dom0): what it uses is set aside for it */
	double use;        /* over the last period; < 0 = not measured yet */
	/* In: what was decided last period; out: what is decided now. */
	unsigned cap;    /* the cap to write (0 = none) */
	double entitled; /* its entitlement while the controller holds caps, else < 0 */
	bool wanting;    /* held back by its cap, or presumed to want more */
};

/* What the controller keeps per pool between periods. */
struct share_pool {
	bool active;    /* the controller holds caps in this pool */
	bool in_force;  /* the caps of the last period were the controller's, for this member set */
	uint64_t sig;   /* the member set they were computed for */
	unsigned ncpus; /* the pool they were computed for */
	unsigned pool_cap;
	bool grace; /* caps kept through one period that nobody filled (a scheduler hiccup?) */
};

/*
 * Runs one period of one pool of ncpus pCPUs (pool_cap: % of one pCPU for
 * the whole pool, 0 = none): sets every member's cap and entitlement.
 * The caps never exceed a member's user cap, their sum never exceeds the
 * pool cap, and a member gets no cap (0) where pinning bounds it anyway.
 * Returns the number of members whose cap changed (0 on a steady load).
 */
size_t share_step(struct share_pool *p, unsigned ncpus, unsigned pool_cap, struct share_member *m,
                  size_t n, const struct share_tuning *t);

/* Forgets a pool's state: every member back to its base cap. Returns the caps changed. */
size_t share_reset(struct share_pool *p, struct share_member *m, size_t n);
