/* The control commands: one descriptor each, all listed in one table (cmd.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/topo.h"
#include "util/error.h"

struct engine;
struct pool;
struct dom;
struct pool_cpus_spec;
struct engine_plan;

enum ctl_arg_type {
	CTL_ARG_STRING,
	CTL_ARG_INT,
	CTL_ARG_BOOL,
	CTL_ARG_DOMAIN, /* a domain name (string) or a domid (integer) */
	CTL_ARG_OBJECT, /* a JSON object (apply's layout) */
};

/* One argument a command accepts; proto.c checks requests against these. */
struct ctl_arg {
	const char *name;
	enum ctl_arg_type type;
	bool required;
};

/* Changes pools, domains or the daemon: refused on a read-only socket. */
#define CTL_CMD_MUTATING  0x1
/* On success the client starts receiving events. */
#define CTL_CMD_SUBSCRIBE 0x2
/*
 * The reply is the model's only, arguments none: while engine_generation()
 * stays, the encoded reply is served again without running the handler.
 */
#define CTL_CMD_CACHEABLE 0x4

/*
 * A listing made a slice at a time (domain-list at thousands of domains): its
 * text grows by the items of domids above cursor, a few per turn of the loop,
 * so that no one listing keeps the others waiting (proto.h's ctl_cache).
 */
struct ctl_slice {
	char *buf; /* the "return" value so far, compact JSON */
	size_t len, cap;
	uint32_t cursor; /* the last domid listed, if items > 0 */
	size_t items;    /* listed so far */
	bool started;    /* the head is written */
	bool failed;     /* out of memory: the listing is abandoned */
};
/* Appends len bytes; false (and failed set) when out of memory. */
bool ctl_slice_add(struct ctl_slice *sl, const char *text, size_t len);
/*
 * Adds up to n items to sl; returns true when the listing is complete (or
 * failed). Its text is byte for byte what json_dumps(JSON_COMPACT) makes of
 * the handler's result.
 */
typedef bool ctl_slice_fn(const struct engine *eng, struct ctl_slice *sl, unsigned n);

/*
 * A handler gets arguments already checked against `args` (names, types,
 * required ones present); it checks ranges and combinations itself, with a
 * message that says the fix. On success *ret may stay NULL ({} is sent).
 */
typedef int ctl_cmd_fn(struct engine *eng, json_t *args, json_t **ret, struct perr *e);

struct ctl_cmd {
	const char *name;
	unsigned flags;
	ctl_cmd_fn *fn;
	const char *help;           /* one line */
	const char *synopsis;       /* the arguments as a user reads them */
	const struct ctl_arg *args; /* terminated by an entry with name NULL */
	/* A CTL_CMD_CACHEABLE listing's slices, for a cached reply; fn makes it whole. */
	ctl_slice_fn *slice;
};

/* Every command, NULL-terminated, in the order help lists them. */
extern const struct ctl_cmd *const ctl_cmd_table[];

/* The number of commands in ctl_cmd_table[]. */
size_t ctl_cmd_count(void);
/* The index of c in ctl_cmd_table[]. */
size_t ctl_cmd_index(const struct ctl_cmd *c);
/* Finds a command by its exact name; NULL if there is none. */
const struct ctl_cmd *ctl_cmd_find(const char *name);
/* Finds an argument of c by name; NULL if c takes no such argument. */
const struct ctl_arg *ctl_cmd_arg(const struct ctl_cmd *c, const char *name);
const char *ctl_arg_type_name(enum ctl_arg_type t);
/*
 * The access check, from c's flags alone: on a read-only connection a
 * CTL_CMD_MUTATING command is CTL_E_DENIED (ctl/proto.h) with a message
 * saying where to run it; anything else is 0.
 */
int ctl_cmd_check_access(const struct ctl_cmd *c, int access, struct perr *e);

/* Shared by the handlers: the objects pool-list and domain-list show. */
json_t *ctl_pool_json(const struct engine *eng, const struct pool *p);
json_t *ctl_dom_json(const struct engine *eng, const struct dom *d);

/*
 * Turns the ncpu, cpus (xl's syntax, node items included) or nodes (a list of NUMA nodes:
 * their online pCPUs) arguments, each may be NULL, into a spec; at most one may be given,
 * *given says whether one was. min_ncpu is the smallest count allowed. Returns 0 or
 * POOLD_E_INVALID.
 */
int ctl_cpus_spec(const struct engine *eng, json_t *ncpu, const char *cpus, const char *nodes,
                  unsigned min_ncpu, struct pool_cpus_spec *spec, bool *given, struct perr *e);
/*
 * Parses a list of NUMA nodes ("1", "0-1", "0,2", "0-3,^1") into their online pCPUs; topo NULL
 * (not known yet) is refused saying so. Returns 0 or POOLD_E_INVALID.
 */
int ctl_nodes_cpus(const struct topo *topo, const char *nodes, struct cpumap *out, struct perr *e);
/* Checks a pool cap: % of one pCPU for the whole pool, at most all of the host's. */
int ctl_pool_cap_check(const struct engine *eng, json_int_t cap, struct perr *e);
/* Parses a pool's share setting, "auto" or "off", into SHARE_*; NULL gives -1 (not given). */
int ctl_share_parse(const char *v, int *out, struct perr *e);
/* Writes a domain reference (name or domid) as the text the engine looks up. */
int ctl_domain_ref(json_t *v, char *buf, size_t len, struct perr *e);

/* A plan as dry runs and apply return it: {pools, domains, writes}. NULL: no memory. */
json_t *ctl_plan_json(const struct engine *eng, const struct engine_plan *plan);
/*
 * A mutating handler's dry run (its "dry_run" argument): begin before the
 * engine call (with dry false it does nothing but clear the plan) ...
 */
void ctl_dry_begin(struct engine *eng, bool dry, struct engine_plan *plan);
/* ... and end after it, with its result r: the reply {"dry_run": true, "plan"}. */
int ctl_dry_end(struct engine *eng, int r, struct engine_plan *plan, json_t **ret);

extern const struct ctl_cmd ctl_cmd_pool_create;
extern const struct ctl_cmd ctl_cmd_pool_list;
extern const struct ctl_cmd ctl_cmd_pool_modify;
extern const struct ctl_cmd ctl_cmd_pool_destroy;
extern const struct ctl_cmd ctl_cmd_pool_migrate;
extern const struct ctl_cmd ctl_cmd_pool_migrate_all;
extern const struct ctl_cmd ctl_cmd_pool_rename;
extern const struct ctl_cmd ctl_cmd_domain_list;
extern const struct ctl_cmd ctl_cmd_domain_set;
extern const struct ctl_cmd ctl_cmd_status;
extern const struct ctl_cmd ctl_cmd_log_level;
extern const struct ctl_cmd ctl_cmd_subscribe;
extern const struct ctl_cmd ctl_cmd_query_commands;
extern const struct ctl_cmd ctl_cmd_top;
extern const struct ctl_cmd ctl_cmd_apply;
extern const struct ctl_cmd ctl_cmd_export;
