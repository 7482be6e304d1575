/* The weight and cap poold writes to the hypervisor for each domain. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/dom.h"
#include "core/pool.h"

/* credit1: CSCHED_CREDITS_PER_MSEC * 30 ms timeslice, per pCPU (credit.c). */
#define CREDIT1_CREDITS_PER_CPU 300u
/* The value meaning "leave the cap as it is" to credit1. */
#define CREDIT1_CAP_UNCHANGED   0xFFFFu
/* The largest cap poold writes: both schedulers take 16 bits, credit1 reserves 0xFFFF. */
#define SCHED_CAP_MAX           (CREDIT1_CAP_UNCHANGED - 1)

struct sched_params {
	unsigned weight; /* 0 = do not write a weight */
	unsigned cap;    /* % of one pCPU, 0 = no cap */
	bool write;      /* false for SCHED_OTHERS/UNKNOWN: nothing to write */
};

/*
 * credit1 scales live on a geometric grid of WEIGHT_SCALE_STEPS points per
 * doubling (2^(1/16): 4.4 % apart), from 2^-16 (every weight 1) to 2^16.
 * A pool keeps its scale while the ideal one stays within WEIGHT_SCALE_BAND
 * grid steps of it (a factor 2^(1/16), so 4.4 % either way): that is the
 * precision given up across pools, each pool's weight mass staying within
 * 4.4 % of its share by pCPUs. Within a pool nothing is given up: one scale
 * serves every member. Why that band: across pools weights matter only
 * while the whole host is busy (else the share controller's caps decide),
 * and a pool growing by joins is rescaled about once per band's worth of
 * growth, so a finer grid costs proportionally more rewrites. Random joins
 * and leaves of 2000 domains in 8 pools cost 12, 5.8 and 3.1 writes per
 * change with steps of 2.2, 4.4 and 8.9 % (341 with no hysteresis at all).
 */
#define WEIGHT_SCALE_STEPS    16
#define WEIGHT_SCALE_BAND     1
#define WEIGHT_SCALE_STEP_MIN (-16 * WEIGHT_SCALE_STEPS)
#define WEIGHT_SCALE_STEP_MAX (16 * WEIGHT_SCALE_STEPS)

/*
 * Computes the hypervisor parameters of every domain (doc/design.md, "Weights and caps").
 * credit2: user weight passed through. credit1: w_d = clamp(round(s_P * u_d),
 * 1, Wmax_d) with one scale s_P per pool, chosen against the ideal
 *   s*_P = K * n_P / U_P,  U_P = sum(u_d * a_d over P),  K = 256 * A / N,
 * where A counts the vCPUs of all credit1 domains, N the online pCPUs of all
 * pools holding credit1 domains, n_P the pCPUs of P, and Wmax_d the largest
 * weight for which credit_total * w_d * a_d fits in 32 bits
 * (credit_total = 300 * online pCPUs). s_P is the grid point held in
 * t->pools[].scale while s*_P stays within the band of it; otherwise (and
 * for a pool without one) the grid point nearest s*_P, which every member is
 * then written with once. A member joining, leaving or changing its user
 * weight thus costs its own write unless the ideal leaves the band. A pool
 * with no credit1 member forgets its scale; a domain in no pool gets u_d.
 * Caps: the user cap, combined (minimum of the non-zero ones) with the pool
 * cap split by u_d*a_d among members; 0 is written when the result is 0 or
 * >= 100 * min(a_d, n_P).
 * out has n entries, in the order of doms.
 *
 * Which to call when: weight_compute() on every pass. The scales are not
 * saved, so after a start (or whenever a pool's scale is not set) they are
 * the grid points nearest the ideals: the same weights as before the restart
 * as long as each pool's ideal had drifted less than half a grid step from
 * its scale. To write nothing after a restart beyond that, the daemon calls
 * weight_adopt() with the credit1 weights read back from the hypervisor
 * before the first weight_compute() that would write them.
 */
void weight_compute(struct pool_table *t, const struct dom *doms, size_t n,
                    struct sched_params *out);

/* A credit1 member as weight_scale_adopt() sees it. */
struct weight_seen {
	unsigned user;   /* user weight, 0 = the default */
	unsigned vcpus;  /* a_d */
	unsigned weight; /* the credit1 weight read back from the hypervisor */
};

/*
 * Finds the grid step that the weights of a pool's members m[0..n) were
 * written with: one within the band of the ideal scale that gives every
 * member exactly its weight (as weight_compute() would, clamped to Wmax_d for
 * credit_cpus pCPUs), the one nearest the ideal if several do. Returns false,
 * *step untouched, when n is 0 or no step in the band agrees with them all.
 */
bool weight_scale_adopt(double ideal, unsigned credit_cpus, const struct weight_seen *m, size_t n,
                        int *step);

/*
 * Adopts, for every pool without a scale that has credit1 members, the scale
 * its members' weights show (weight_scale_adopt() against the pool's ideal):
 * seen[i] is the credit1 weight read back for doms[i], 0 = not read (left
 * out). A pool whose weights agree with no scale in its band stays without
 * one. Pools with a scale are left alone. Returns the pools that adopted one.
 */
size_t weight_adopt(struct pool_table *t, const struct dom *doms, size_t n, const unsigned *seen);

/* The ideal, unquantized credit1 weight of one domain, clamped; for tests of the formula. */
unsigned weight_credit1(unsigned user_weight, unsigned n_pool_cpus, uint64_t pool_user_mass,
                        unsigned total_vcpus, unsigned total_cpus, unsigned dom_vcpus);
/* The largest credit1 weight whose hypervisor product cannot overflow. */
unsigned weight_credit1_max(unsigned total_cpus, unsigned dom_vcpus);
/* The cap to write for a user cap on a domain with vcpus in a pool of n cpus. */
unsigned cap_effective(unsigned user_cap, unsigned vcpus, unsigned n_pool_cpus);
