/* A stand-in for the daemon's engine: records what the ctl handlers ask of it. */
#pragma once

#include <stdbool.h>

#include "poold/engine.h"
#include "poold/poold.h"

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
};

/* Tests set and read this; the fake has no other state. */
extern struct fake_engine fake;

/* Builds a poold of 16 pCPUs: pool0 0-7 (domains 0, 2), pool1 8-11 (domain 1), pool2 12-15. */
void fake_poold_init(struct poold *pd, struct topo *topo);
void fake_poold_fini(struct poold *pd);
