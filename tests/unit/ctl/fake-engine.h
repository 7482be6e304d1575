/* A stand-in for the daemon's engine: records what the ctl handlers ask of it. */
#pragma once

#include <stdbool.h>

#include "poold/engine.h"

struct fake_engine {
	int ret; /* what the next mutating call returns (its message below) */
	char msg[128];
	unsigned calls; /* mutating calls made */
	char last[32];  /* the last one's name */
	char name[80];  /* pool name, or domain reference */
	char pool[80];  /* pool-migrate's target */
	bool has_spec;
	struct pool_cpus_spec spec;
	int cap;
	int share; /* SHARE_AUTO, SHARE_OFF, or -1 (not given) */
	int weight;
	bool force;
	bool async;           /* mutating calls commit without being durable (a writer behind) */
	char warning[128];    /* what pool-rename warns of ("" nothing) */
	bool was_dry;         /* the last mutating call was a dry run */
	unsigned dry_calls;   /* mutating calls made as dry runs */
	size_t npools, ndoms; /* apply's layout: its entries */
	bool prune;
};

/* The fake's own engine: a model the handlers read through engine.h, nothing else. */
struct engine {
	struct topo *topo;
	struct pool_table pools;
	struct dom *doms;
	size_t ndoms;
	uint64_t hv_writes, hv_reads;
	uint64_t generation;              /* moved by every mutating call, as the engine's is */
	uint64_t commit_seq, durable_seq; /* engine_commit_seq(), engine_durable_seq() */
	struct engine_plan *dry;          /* engine_dry_run() */
};

/* Tests set and read this; the fake has no other state. */
extern struct fake_engine fake;

/* Builds a poold of 16 pCPUs: pool0 0-7 (domains 0, 2), pool1 8-11 (domain 1), pool2 12-15. */
void fake_poold_init(struct engine *eng, struct topo *topo);
void fake_poold_fini(struct engine *eng);
