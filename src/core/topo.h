/* The physical CPUs of a host: which are online and where each sits. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/cpumap.h"

struct topo_cpu {
	bool online;
	uint32_t socket;
	uint32_t core; /* core id within its socket; siblings share it */
	uint32_t node; /* NUMA node */
};

struct topo {
	unsigned nr_cpus; /* cpus 0..nr_cpus-1 exist, online or not */
	struct topo_cpu cpu[CPUMAP_MAX];
};

/* Returns the set of online cpus. */
void topo_online(const struct topo *t, struct cpumap *out);
/* Sets in nodes the NUMA nodes that hold at least one of cpus (cpus past nr_cpus hold none). */
void topo_cpumap_nodes(const struct topo *t, const struct cpumap *cpus, struct cpumap *nodes);
/* Fills a uniform topology: sockets x cores x threads, nodes spread evenly over sockets. */
int topo_uniform(struct topo *t, unsigned sockets, unsigned cores, unsigned threads,
                 unsigned nodes);
