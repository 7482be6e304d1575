/*
 * The engine's interface: what poold does on request (every change
 * validated, made durable, then applied), what it reports, and the events it
 * sends. The control server and the daemon see the engine only through
 * this header; the engine never calls either of them (doc/design.md, "Seams").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dom.h"
#include "core/plan.h"
#include "core/pool.h"
#include "core/topo.h"
#include "util/error.h"

struct engine;

/* A pool's or the host's say on the share controller (poold.conf share_control, pool share=). */
enum { SHARE_OFF = 0, SHARE_AUTO = 1 };

/* What the engine tells the outside world. */
enum engine_event_kind {
	ENGINE_EV_DOMAIN_PLACED, /* dom: new, or moved to another pool (or held misplaced) */
	ENGINE_EV_DOMAIN_GONE,   /* dom: destroyed (its record as it was last) */
	/* pool_name, action: "created", "modified", "destroyed", "renamed" (renamed_from); pool */
	ENGINE_EV_POOL_CHANGED,
	ENGINE_EV_DOMAIN_CHANGED, /* dom: its weight or cap set (domain-set) */
	ENGINE_EV_LOG_LEVEL,      /* level: the log level now in force, set on request or reload */
	ENGINE_EV_STATUS,         /* the counts of pools, domains or writes moved */
	ENGINE_EV_DURABLE,        /* seq: the changes of requests up to seq are durable */
	ENGINE_EV_UNDONE,         /* seq, msg: those up to seq could not be made durable, undone */
};

struct engine_event {
	enum engine_event_kind kind;
	const struct dom *dom; /* DOMAIN_* */
	/* DOMAIN_*: the pool it is in now; POOL_CHANGED: the pool as it is now (NULL: none,
	 * or destroyed) */
	const struct pool *pool;
	const char *pool_name;    /* POOL_CHANGED */
	const char *action;       /* POOL_CHANGED */
	const char *renamed_from; /* POOL_CHANGED "renamed": the old name; else NULL */
	int level;                /* LOG_LEVEL: LOG_LEVEL_* (util/log.h) */
	uint64_t seq;             /* DURABLE, UNDONE: engine_commit_seq() values */
	const char *msg;          /* UNDONE: why (the state file's error) */
};

/* Where events go; the pointers in an event are valid during the call only. */
struct engine_sink {
	void (*event)(void *arg, const struct engine *eng, const struct engine_event *ev);
	void *arg;
};

/* The figures `status` reports. */
struct engine_stats {
	const char *backend;
	size_t pools, domains;
	uint64_t hv_writes, hv_reads;
	bool ready;
	int share_control; /* SHARE_* */
	unsigned share_period_ms;
	uint64_t share_periods, share_changes, share_pass_us;
	/* The last period's measurement: the longest window a domain's use covers (us of the
	 * hypervisor's clock) and how long ago it ran (us); 0 and UINT64_MAX before any. */
	uint64_t share_window_us, share_age_us;
	size_t pending;       /* domains the reconciler has still to apply or read back */
	uint64_t state_saves; /* state file writes made durable since start */
};

/* The model, read-only, for listings; valid until the engine next runs. */
const struct pool_table *engine_pools(const struct engine *eng);
const struct topo *engine_topo(const struct engine *eng);
/* The live domains, by ascending domid. */
const struct dom *engine_doms(const struct engine *eng, size_t *n);
void engine_stats(const struct engine *eng, struct engine_stats *out);
/* Moves whenever anything the views above show may have changed (listings cache on it). */
uint64_t engine_generation(const struct engine *eng);

/*
 * Every mutating call: validates (POOLD_E_* with a message naming the fix),
 * changes the model, writes the state file durably (POOLD_E_STATE and the
 * model is rolled back if it can't), then reconciles the hypervisor
 * (POOLD_E_HYPERVISOR with what Xen refused; the model stays, the next
 * rescan retries). Events go to subscribers in causal order: a pool's
 * change before the placements it causes (doc/design.md, Seams).
 *
 * With a writer (engine_saver_attach()) the write is handed to it and the
 * call returns before it is durable: engine_commit_seq() then names the
 * change, and ENGINE_EV_DURABLE or ENGINE_EV_UNDONE (the model rolled back)
 * say when its fate is known, for the caller to answer only then. Several
 * changes made meanwhile share one write and fsync.
 */

/*
 * cap: % of one pCPU for the whole pool, 0 = none. share: SHARE_AUTO or
 * SHARE_OFF, the pool's own say on the share controller; < 0 = auto.
 */
int engine_pool_create(struct engine *eng, const char *name, const struct pool_cpus_spec *spec,
                       unsigned cap, int share, struct perr *e);
/* spec NULL keeps the cpus; cap < 0 keeps the cap; share < 0 keeps the setting. */
int engine_pool_modify(struct engine *eng, const char *name, const struct pool_cpus_spec *spec,
                       int cap, int share, struct perr *e);
/* force moves members to pool0 first; without it a pool with members is refused. */
int engine_pool_destroy(struct engine *eng, const char *name, bool force, struct perr *e);

/*
 * Gives a pool a new name; its id, pCPUs, cap and members stay. Domains and
 * the records of gone ones that wanted it want it by the new name. Renaming
 * to its own name changes nothing; pool0 is refused. When default_pool named
 * it, default_pool follows until the config is read again and warning
 * (warnlen bytes, "" otherwise) says that poold.conf must be edited.
 */
int engine_pool_rename(struct engine *eng, const char *name, const char *new_name, char *warning,
                       size_t warnlen, struct perr *e);
/*
 * Moves every live member of pool from but dom0 to pool to, as one change;
 * moved (room for every live domain) gets their domids, *nmoved how many.
 * from == to, or a pool with no member to move, changes nothing.
 */
int engine_pool_migrate_all(struct engine *eng, const char *from, const char *to, uint32_t *moved,
                            size_t *nmoved, struct perr *e);

/* Finds a live domain by name or by decimal domid. */
int engine_domain_find(struct engine *eng, const char *ref, struct dom **out, struct perr *e);
int engine_domain_migrate(struct engine *eng, const char *ref, const char *pool, struct perr *e);
/* weight/cap < 0 keep the current value. */
int engine_domain_set(struct engine *eng, const char *ref, int weight, int cap, struct perr *e);

/*
 * A declarative layout (poolctl apply, doc/design.md "Layouts"): the pools
 * it names and the settings of the domains it names; what it leaves out is
 * kept. Values < 0 (or a flag false) are "not given": kept as they are,
 * or the default for a new pool.
 */
struct engine_layout_pool {
	char name[POOL_NAME_MAX + 1];
	bool cpus_given; /* spec holds cpus= or ncpu= */
	struct pool_cpus_spec spec;
	int cap;   /* % of one pCPU for the whole pool */
	int share; /* SHARE_AUTO or SHARE_OFF */
};

struct engine_layout_dom {
	char name[DOM_NAME_MAX + 1]; /* "": named by uuid only */
	bool by_uuid;
	uint8_t uuid[16];
	char pool[POOL_NAME_MAX + 1]; /* "": stays where it is */
	int weight, cap;
};

struct engine_layout {
	bool prune; /* pools on the host the file does not name are destroyed (never pool0) */
	struct engine_layout_pool *pools;
	size_t npools;
	struct engine_layout_dom *doms;
	size_t ndoms;
};

/*
 * Applies a layout as one change: every part checked first (the first
 * wrong one refuses it all, its message naming the part and the fix),
 * then the pools (pruned ones destroyed, cpus released, then taken: the
 * listed cpus before the counted ones), then the domains; one state save,
 * the events of the pools before those of the domains, then one settle. A
 * layout the host has already changes nothing: no save, no write, no event.
 */
int engine_apply(struct engine *eng, const struct engine_layout *l, struct perr *e);

/* A pool as a change leaves it: action "created", "modified" or "destroyed". */
struct engine_plan_pool {
	char name[POOL_NAME_MAX + 1];
	const char *action;
	struct cpumap cpus; /* after ("" when destroyed) */
	struct cpumap gained, lost;
	unsigned cap;
	bool share_off;
};

/* A domain a change moves, sets or re-pins. */
struct engine_plan_dom {
	uint32_t domid;
	char name[DOM_NAME_MAX + 1];
	char pool_was[POOL_NAME_MAX + 1], pool[POOL_NAME_MAX + 1];
	unsigned weight, cap; /* its settings after the change */
};

/* What a change would do: its pools, its domains, the hypervisor writes. */
struct engine_plan {
	struct engine_plan_pool *pools;
	size_t npools;
	struct engine_plan_dom *doms;
	size_t ndoms;
	struct plan writes; /* in the order the settle makes them */
};

/*
 * Dry runs: with a plan given, the next mutating call validates and
 * changes the model as it would, fills the plan (the writes the settle
 * would make, from what the hypervisor has), puts the model back and
 * returns 0 without a save, a hypervisor write or an event. The caller
 * always ends it with engine_dry_run(eng, NULL), whatever the call returned.
 */
void engine_dry_run(struct engine *eng, struct engine_plan *plan);
void engine_plan_fini(struct engine_plan *plan);

/* Sets the log level (LOG_LEVEL_*, util/log.h) and tells subscribers. */
void engine_set_log_level(struct engine *eng, int level);

/* The members of a pool (placed there), for listings. */
size_t engine_pool_members(const struct engine *eng, uint32_t pool_id);
/* What the share controller is doing in a pool (engine_pool_share_state()). */
enum engine_share_state {
	ENGINE_SHARE_OFF, /* it does not run there (share_control = off, or the pool's share=off) */
	ENGINE_SHARE_IDLE,   /* it runs and holds no caps: the pool has room, or splits by weight */
	ENGINE_SHARE_ACTIVE, /* it holds caps, decided for the pool's members */
	ENGINE_SHARE_GRACE,  /* it keeps its caps one period nobody filled, before lifting them */
};
enum engine_share_state engine_pool_share_state(const struct engine *eng, const struct pool *p);
/* The capacity the controller calls saturated: the fraction of it the members must use. */
double engine_share_saturated(void);

/* The scheduler of the Xen cpupool that holds a pool's pCPUs. */
enum sched_kind engine_pool_sched(const struct engine *eng, const struct pool *p);

/*
 * For the daemon. engine_reconcile() rescans: one domain listing, placement,
 * the plan of what each domain should have, then one batch of the dirty set
 * (a few ms); the rest continues from the loop (engine_work()), clients
 * served between batches. engine_settle() plans from the model without a
 * listing and does what must change at once (what a request changed).
 */
int engine_reconcile(struct engine *eng, struct perr *e);
int engine_settle(struct engine *eng, struct perr *e);

/*
 * Why the next engine_reconcile() runs, so that it lists no more than that
 * needs: only new domains (from past the highest domid known), or nothing
 * for a pool key event. Without a cause noted, or with OTHER, it lists all.
 */
enum engine_cause {
	ENGINE_CAUSE_NEW_DOMAIN = 0x1, /* @introduceDomain */
	ENGINE_CAUSE_KEY = 0x2,        /* a pool key's watch */
	ENGINE_CAUSE_OTHER = 0x4,      /* a domain went, or anything else */
};
void engine_note(struct engine *eng, enum engine_cause cause);

/* The sequence number of the last change a mutating call made, and the last one durable. */
uint64_t engine_commit_seq(const struct engine *eng);
uint64_t engine_durable_seq(const struct engine *eng);

struct saver;
/* Saves through s (saver.h) from now on; NULL saves in place again. */
void engine_saver_attach(struct engine *eng, struct saver *s);
/* What the writer's done callback hands the engine (saver_done_fn). */
void engine_saved(void *eng, uint64_t seq, int err, const char *msg);
void engine_work(struct engine *eng);
