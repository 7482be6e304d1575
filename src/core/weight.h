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
 * Computes the hypervisor parameters of every domain (DESIGN.md §3).
 * credit2: user weight passed through. credit1: static rescale
 *   w_d = clamp(round(K * n_P * u_d / U_P), 1, Wmax_d),
 *   U_P = sum(u_d * a_d over P), K = 256 * A / N,
 * where A counts the vCPUs of all credit1 domains, N the online pCPUs of all
 * pools holding credit1 domains, n_P the pCPUs of P, and Wmax_d the largest
 * weight for which credit_total * w_d * a_d fits in 32 bits
 * (credit_total = 300 * N). Caps: the user cap, combined (minimum of the
 * non-zero ones) with the pool cap split by u_d*a_d among members; 0 is
 * written when the result is 0 or >= 100 * min(a_d, n_P).
 * out has n entries, in the order of doms.
 */
void weight_compute(const struct pool_table *t, const struct dom *doms, size_t n,
                    struct sched_params *out);

/* The credit1 weight for one domain; exposed for tests of the formula. */
unsigned weight_credit1(unsigned user_weight, unsigned n_pool_cpus, uint64_t pool_user_mass,
                        unsigned total_vcpus, unsigned total_cpus, unsigned dom_vcpus);
/* The largest credit1 weight whose hypervisor product cannot overflow. */
unsigned weight_credit1_max(unsigned total_cpus, unsigned dom_vcpus);
/* The cap to write for a user cap on a domain with vcpus in a pool of n cpus. */
unsigned cap_effective(unsigned user_cap, unsigned vcpus, unsigned n_pool_cpus);
