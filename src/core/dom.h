/* Domains as poold sees them, and their placement into pools. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"

#define DOM_NAME_MAX       64
#define DOM_WEIGHT_DEFAULT 256
#define DOM_WEIGHT_MIN     1
#define DOM_WEIGHT_MAX     65535

enum sched_kind {
	SCHED_UNKNOWN = 0,
	SCHED_CREDIT,  /* credit1: one credit total for the host, needs rescaling */
	SCHED_CREDIT2, /* weights are relative already, passed through */
	SCHED_OTHERS,  /* rtds, arinc653, null: poold only pins */
};

const char *sched_kind_name(enum sched_kind k);

struct dom {
	uint32_t domid;
	uint8_t uuid[16]; /* identity across poold restarts; domids get reused */
	char name[DOM_NAME_MAX + 1];
	unsigned nr_vcpus;
	enum sched_kind sched; /* scheduler of the domain's Xen cpupool */
	bool shutdown;         /* shut down but not dying: kept, nothing written */

	/* What decides the pool: the last `pool` key value acted on, and the
	 * pool wanted (from that key or from pool-migrate); "" = none. */
	char key_seen[POOL_NAME_MAX + 1];
	char want[POOL_NAME_MAX + 1];
	/*
	 * The last untrusted key value seen ("" = none since the key was last
	 * trusted or gone): a value the guest could have written stays ignored
	 * after dom0 takes the node over, until dom0 writes the key itself.
	 * key_rechecked: a key event found that value trusted once already, so
	 * the next event on the trusted node is dom0's write.
	 */
	char key_ignored[POOL_NAME_MAX + 1];
	bool key_rechecked;
	/* Key warnings of this domain: the window's start (us), made in it, held back. */
	uint64_t key_warned_us;
	unsigned key_warn_n;
	unsigned key_warn_held;

	/* The outcome of placement. */
	uint32_t pool_id;
	bool misplaced; /* want names no pool: held in the default pool */

	/* User settings, relative to the pool. cap: % of one pCPU, 0 = none. */
	unsigned weight;
	unsigned cap;

	/* What poold last computed for the hypervisor (weight_compute()). */
	unsigned hv_weight; /* 0 = none written */
	unsigned hv_cap;

	/* The share controller (core/share.h): CPU time as last listed, in ns,
	 * and the hypervisor's clock at that listing, ... */
	uint64_t cpu_ns;
	uint64_t cpu_at;
	/* ... and as sampled at the last controller period, in the pool it ran in then. */
	uint64_t share_ns;
	uint64_t share_at;   /* the hypervisor's clock at that sample */
	uint32_t share_pool; /* pool id of that sample */
	bool share_sampled;  /* there is a sample */
	double used;         /* % of one pCPU over the last period; < 0 = not measured */
	double entitled;     /* its entitlement while the controller holds caps; < 0 = none */
	unsigned share_cap;  /* the cap the controller decided, 0 = none */
	bool share_wanting;  /* it counted as wanting more in that period */

	/* A record of a domain that is gone: when it went (s since the epoch); 0 = alive. */
	int64_t gone;
};

/*
 * Applies a trusted `pool` key value read from xenstore: a value different
 * from key_seen becomes the wanted pool. NULL (the key is gone) changes no
 * placement; it only forgets key_seen. Returns true if want changed.
 */
bool dom_take_key(struct dom *d, const char *key);

/*
 * Places d: in the pool named d->want if it exists and has pCPUs, else in
 * default_pool (misplaced when want is non-empty), else in pool0. Domain 0
 * always goes to pool0.
 * Returns true if pool_id or misplaced changed.
 */
bool dom_place(struct dom *d, const struct pool_table *t, const char *default_pool);
