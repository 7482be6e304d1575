/* Fixed-size sets of physical CPUs and their text form in xl's syntax. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The largest host poold manages; Xen's own default NR_CPUS is 256. */
#define CPUMAP_MAX      1024
#define CPUMAP_WORDS    (CPUMAP_MAX / 64)
/* Longest text cpumap_format() writes, with the NUL: "0,2,4,..." worst case. */
#define CPUMAP_TEXT_MAX (CPUMAP_MAX * 5 + 1)

struct cpumap {
	uint64_t w[CPUMAP_WORDS];
};

void cpumap_zero(struct cpumap *m);
/* Sets cpus 0..n-1 and clears the rest. */
void cpumap_fill(struct cpumap *m, unsigned n);
void cpumap_set(struct cpumap *m, unsigned cpu);
void cpumap_clear(struct cpumap *m, unsigned cpu);
bool cpumap_test(const struct cpumap *m, unsigned cpu);
unsigned cpumap_count(const struct cpumap *m);
bool cpumap_empty(const struct cpumap *m);
bool cpumap_equal(const struct cpumap *a, const struct cpumap *b);
/* True when every cpu of a is in b. */
bool cpumap_subset(const struct cpumap *a, const struct cpumap *b);
bool cpumap_intersects(const struct cpumap *a, const struct cpumap *b);
/* out may alias a or b. */
void cpumap_and(struct cpumap *out, const struct cpumap *a, const struct cpumap *b);
void cpumap_or(struct cpumap *out, const struct cpumap *a, const struct cpumap *b);
/* out = a & ~b */
void cpumap_andnot(struct cpumap *out, const struct cpumap *a, const struct cpumap *b);
/* First set cpu >= from, or -1. */
int cpumap_next(const struct cpumap *m, int from);
#define cpumap_for_each(cpu, m)                                                                    \
	for (int cpu = cpumap_next((m), 0); cpu >= 0; cpu = cpumap_next((m), cpu + 1))

/*
 * Parses xl's cpu list syntax: "all", "3", "1,3,5", "6-9", "0-7,^3",
 * "^2-3" (exclusions apply to what comes before them), spaces ignored.
 * Every cpu must be < nr_cpus. Returns 0, or POOLD_E_INVALID with a message
 * naming the bad part.
 */
int cpumap_parse(struct cpumap *out, const char *text, unsigned nr_cpus, struct perr *e);
/*
 * The same with xl's node items too: "node:1", "nodes:0-1", "^node:1" stand for the cpus of
 * those NUMA nodes, node_cpus[n] being node n's (nr_nodes of them; with none, a node item is
 * refused saying so).
 */
int cpumap_parse_nodes(struct cpumap *out, const char *text, unsigned nr_cpus,
                       const struct cpumap *node_cpus, unsigned nr_nodes, struct perr *e);

/*
 * Writes the canonical form: ascending ranges, "0-3,8,10-11"; "" for the
 * empty set. Returns the length, or -ENOSPC if len is too small.
 */
int cpumap_format(const struct cpumap *m, char *buf, size_t len);
