/* The engine's context: the model, the hypervisor and xenstore ports, the reconciler's memory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dom.h"
#include "core/plan.h"
#include "core/pool.h"
#include "core/topo.h"
#include "core/weight.h"
#include "poold/config.h"
#include "poold/engine.h"
#include "util/error.h"

struct event;
struct event_base;
struct hv;
struct xsw;
struct state_dom;

/* The scheduler of each Xen cpupool seen, kept until the next full verify. */
struct poold_sched_cache {
	uint32_t cpupool[16];
	enum sched_kind kind[16];
	unsigned n;
};

/*
 * What reconcile last read back or wrote for a domain, so that a rescan
 * trusts it and asks the hypervisor again only when the domain is new, what
 * it should have changed, or a full verify is due (reconcile.c).
 */
/* What the reconciler still has to do for a domain: its dirty set, as flags. */
enum {
	DIRTY_APPLY = 0x1,   /* what it should have may differ from what it has: first */
	DIRTY_READ = 0x2,    /* read it back, trusting nothing remembered (the verify sweep) */
	DIRTY_KEY = 0x4,     /* read its pool key again (the sweep) */
	DIRTY_NEW = 0x8,     /* new: its name, key and watch are still to be read and set */
	DIRTY_ADOPT = 0x10,  /* new without a record: take the weight and cap libxl gave it */
	DIRTY_PLACED = 0x20, /* its placement changed: announced once its pinning is done */
};

struct dom_applied {
	uint8_t dirty;            /* DIRTY_* */
	struct sched_params want; /* what the last plan decided it should have */
	enum sched_kind unmet;    /* DIRTY_NEW: its scheduler, hidden from the plan meanwhile */
	/*
	 * DIRTY_NEW: created while poold runs (listed past the highest domid):
	 * pinned as soon as it is met, without a read (libxl left it unpinned).
	 */
	bool born;
	bool valid;
	unsigned nr_vcpus;
	enum sched_kind kind;
	struct cpumap cpus; /* the pool's cpus, restricted to the online ones */
	struct sched_params sched;
};

/* A setting of a domain a request changed, as it was: what undoes it. */
struct dom_undo {
	uint8_t uuid[16];
	char want[POOL_NAME_MAX + 1];
	unsigned weight, cap;
};

/* A request's change handed to the writer and not yet durable. */
struct engine_commit {
	uint64_t seq;
	struct pool_table pools; /* the pool table before it */
	struct dom_undo *undo;   /* the domains it changed, before it */
	size_t nundo;
	char *default_was; /* default_pool before a pool-rename made it follow; NULL: none */
};

struct engine {
	struct event_base *base;
	struct poold_config cfg;
	struct hv *hv;
	struct xsw *xs;
	/* Where events go: the daemon wires it to the control server and systemd. */
	struct engine_sink sink;

	struct topo *topo;
	struct pool_table pools;
	struct dom *doms; /* live domains, ascending domid */
	size_t ndoms;
	size_t adoms;

	/*
	 * Domain records without a live domain: from the state file, not listed
	 * yet, or of domains that went (kept by uuid until they come back or age
	 * out, reconcile.c). asaved: entries allocated.
	 */
	struct state_dom *saved;
	size_t nsaved, asaved;

	struct plan plan;
	struct event *rescan; /* deferred: events only schedule a rescan */
	uint64_t hv_writes;   /* writes made since start, for status */
	bool ready;

	/* Domain records changed but not written yet (a failed write is retried). */
	bool state_dirty;
	/* The state file's writer thread (saver.h); NULL: saves are made in place. */
	struct saver *saver;
	/* Requests' changes not durable yet, oldest first, and the seq of the last one. */
	struct engine_commit *commits;
	size_t ncommits, acommits;
	uint64_t commit_seq;
	/* The scheduler of Xen cpupool 0, for pools without members. */
	enum sched_kind sched0;
	/* Retries a reconcile the hypervisor refused part of. */
	struct event *retry;
	/* The last reconcile failure logged, so a repeated one is logged once. */
	char last_error[PERR_MSG_MAX];

	/* Parallel to doms: what each domain was last verified to have. */
	struct dom_applied *applied;
	/* The next rescan re-reads every domain (start, SIGHUP, errors, the timer). */
	bool verify_all;
	/* The next rescan re-reads every pool key (full verify, a failed pass). */
	bool keys_stale;
	/* Sets verify_all every cfg.verify_interval seconds. */
	struct event *verify;
	/* Continues the dirty set's work from the loop, batch by batch. */
	struct event *work;
	/* A plan is due before the next batch (a new domain was pinned without one). */
	bool plan_due;
	/*
	 * A walk over every domain, a listing of walk_chunk (0: WALK_CHUNK)
	 * domains a loop turn, in place of one listing of all (reconcile.c):
	 * WALK_* of what it is for, 0 when none runs; what was asked while one
	 * ran (walk_queued) starts when it ends.
	 */
	unsigned walk, walk_queued;
	uint32_t walk_from;
	size_t walk_chunk;
	/* Writes the state file a moment after a rescan changed domain records. */
	struct event *save;
	/* When the save timer last handed records to the writer (us, monotonic). */
	uint64_t records_saved_us;
	/* ENGINE_CAUSE_* noted since the last rescan (engine_note()). */
	unsigned causes;
	/* engine_generation(): moved by every pass and every change of the model. */
	uint64_t generation;
	/* When the running verify sweep started (us, monotonic); 0: none running. */
	uint64_t sweep_start;
	/* Hypervisor reads of affinity and weights since start (verification cost). */
	uint64_t hv_reads;

	/* The share controller's period timer; the next rescan runs a period when due. */
	struct event *share_timer;
	struct poold_sched_cache sched_cache;
	bool share_due;
	/* Caps the controller changed since start, and the periods it ran. */
	uint64_t share_changes;
	uint64_t share_periods;
	/* The hypervisor's clock at the last period, and how long that pass took (us). */
	uint64_t share_now;
	uint64_t share_pass_us;
	/* The longest window a domain's use was measured over in the last period (ns, the
	 * hypervisor's clock), and when that period ran (us, monotonic); 0: none yet. */
	uint64_t share_window_ns;
	uint64_t share_mono_us;
	/* State file writes made durable since start (group commit: fewer than the changes). */
	uint64_t state_saves;
	/* A dry run's plan (engine_dry_run()): the next change fills it and is put back. */
	struct engine_plan *dry;
};

/* The model as it was before a change, to roll back when it can't be made durable. */
struct engine_snap {
	struct pool_table pools;
	struct dom *doms;
	size_t ndoms;
	/* The records of domains not alive: pool-rename changes them too. */
	struct state_dom *saved;
	size_t nsaved;
	/* default_pool before pool-rename made it follow (owned); NULL: it did not. */
	char *default_was;
	bool state_dirty;
};

/* Copies the pool table, the domains and the records of gone ones. */
int engine_snap_take(const struct engine *eng, struct engine_snap *s);
void engine_snap_drop(struct engine_snap *s);
/* Puts the model back; nothing rescans between a snapshot and its restore. */
void engine_snap_restore(struct engine *eng, struct engine_snap *s);

/* What engine_commit_change() returns for a dry run: the plan is filled, nothing changed. */
#define ENGINE_DRY 0x7fff
/*
 * Makes a model change durable, or undoes it (POOLD_E_STATE); s is taken.
 * In a dry run fills the plan, puts the model back and returns ENGINE_DRY.
 */
int engine_commit_change(struct engine *eng, struct engine_snap *s, struct perr *e);

/*
 * Sends pool-changed for every pool that differs from was (by id: created,
 * modified, destroyed), for a change the daemon made outside a request (the
 * host's pCPUs followed on a reload).
 */
void engine_announce_pools(struct engine *eng, const struct pool_table *was);
