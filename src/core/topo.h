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
/* Xen's own limit on NUMA nodes (MAX_NUMNODES); a cpu on a higher node counts on none. */
#define TOPO_MAX_NODES 64

/* Number of NUMA nodes: one past the highest node of an online cpu (0 with none online). */
unsigned topo_nr_nodes(const struct topo *t);
/* The online cpus of NUMA node `node` (empty for a node with none). */
void topo_node_cpus(const struct topo *t, unsigned node, struct cpumap *out);
/* The online cpus of every node in nodes. */
void topo_nodes_cpus(const struct topo *t, const struct cpumap *nodes, struct cpumap *out);
/* cpumap_parse() with node items ("nodes:1") resolved on this host's online cpus. */
int topo_parse_cpus(const struct topo *t, const char *text, struct cpumap *out, struct perr *e);
/* Fills a uniform topology: sockets x cores x threads, nodes spread evenly over sockets. */
int topo_uniform(struct topo *t, unsigned sockets, unsigned cores, unsigned threads,
                 unsigned nodes);
