/* Host topology helpers: the online set and synthetic uniform hosts. */
#include "core/topo.h"

#include <errno.h>
#include <string.h>

void topo_online(const struct topo *t, struct cpumap *out)
{
	cpumap_zero(out);
	for (unsigned cpu = 0; cpu < t->nr_cpus && cpu < CPUMAP_MAX; cpu++)
		if (t->cpu[cpu].online)
			cpumap_set(out, cpu);
}

void topo_cpumap_nodes(const struct topo *t, const struct cpumap *cpus, struct cpumap *nodes)
{
	cpumap_zero(nodes);
	cpumap_for_each (cpu, cpus)
		if ((unsigned)cpu < t->nr_cpus && t->cpu[cpu].node < CPUMAP_MAX)
			cpumap_set(nodes, t->cpu[cpu].node);
}

unsigned topo_nr_nodes(const struct topo *t)
{
	unsigned n = 0;

	for (unsigned cpu = 0; cpu < t->nr_cpus && cpu < CPUMAP_MAX; cpu++)
		if (t->cpu[cpu].online && t->cpu[cpu].node < TOPO_MAX_NODES &&
		    t->cpu[cpu].node >= n)
			n = t->cpu[cpu].node + 1;
	return n;
}

void topo_node_cpus(const struct topo *t, unsigned node, struct cpumap *out)
{
	cpumap_zero(out);
	for (unsigned cpu = 0; cpu < t->nr_cpus && cpu < CPUMAP_MAX; cpu++)
		if (t->cpu[cpu].online && t->cpu[cpu].node == node)
			cpumap_set(out, cpu);
}

void topo_nodes_cpus(const struct topo *t, const struct cpumap *nodes, struct cpumap *out)
{
	cpumap_zero(out);
	for (unsigned cpu = 0; cpu < t->nr_cpus && cpu < CPUMAP_MAX; cpu++)
		if (t->cpu[cpu].online && t->cpu[cpu].node < CPUMAP_MAX &&
		    cpumap_test(nodes, t->cpu[cpu].node))
			cpumap_set(out, cpu);
}

int topo_parse_cpus(const struct topo *t, const char *text, struct cpumap *out, struct perr *e)
{
	struct cpumap node_cpus[TOPO_MAX_NODES];
	unsigned n = topo_nr_nodes(t);

	for (unsigned i = 0; i < n; i++)
		topo_node_cpus(t, i, &node_cpus[i]);
	return cpumap_parse_nodes(out, text, t->nr_cpus, node_cpus, n, e);
}

/*
 * Numbers cpus socket-major, then core, then thread, as Xen enumerates most
 * hosts. With fewer nodes than sockets a node holds whole sockets; with more,
 * each socket's cores are split evenly between its nodes.
 */
int topo_uniform(struct topo *t, unsigned sockets, unsigned cores, unsigned threads, unsigned nodes)
{
	unsigned per_socket_nodes = 1;

	if (sockets == 0 || cores == 0 || threads == 0 || nodes == 0)
		return -EINVAL;
	/* Step by step: the product of three unsigned values can wrap even in 64 bits. */
	if (sockets > CPUMAP_MAX || cores > CPUMAP_MAX / sockets ||
	    threads > CPUMAP_MAX / (sockets * cores))
		return -E2BIG;
	if (nodes > sockets) {
		if (nodes % sockets != 0 || nodes / sockets > cores)
			return -EINVAL;
		per_socket_nodes = nodes / sockets;
	}

	memset(t, 0, sizeof(*t));
	t->nr_cpus = sockets * cores * threads;
	for (unsigned s = 0; s < sockets; s++) {
		for (unsigned c = 0; c < cores; c++) {
			unsigned node;

			if (nodes > sockets)
				node = s * per_socket_nodes + c * per_socket_nodes / cores;
			else
				node = s * nodes / sockets;
			for (unsigned th = 0; th < threads; th++) {
				struct topo_cpu *tc = &t->cpu[(s * cores + c) * threads + th];

				tc->online = true;
				tc->socket = s;
				tc->core = c;
				tc->node = node;
			}
		}
	}
	return 0;
}
