/* Helpers of the sim model's tests: a host, domains, cpu sets, vCPU times. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "xensim/sim.h"

#define MS 1000000ULL

/* Boots a host of sockets x cores x threads, one node, without xenstore. */
struct sim *simfx_host(unsigned sockets, unsigned cores, unsigned threads, enum sim_sched sched);
/* Parses a cpu set in xl syntax; the test fails if it is not one. */
struct cpumap simfx_cpus(const char *text);
/* True when m is exactly the cpus of text. */
bool simfx_same(const struct cpumap *m, const char *text);
/* Creates an unpaused domain (weight 0 = 256; hard NULL = all cpus) and returns its domid. */
uint32_t simfx_create(struct sim *s, const char *name, unsigned vcpus, unsigned weight,
                      unsigned cap, const char *hard);
/* A vCPU's cumulative run time, as getvcpuinfo reports it. */
uint64_t simfx_vtime(struct sim *s, uint32_t domid, unsigned vcpu);
