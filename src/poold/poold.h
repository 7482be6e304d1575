/* The daemon's context: one event base and everything poold knows, passed explicitly. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dom.h"
#include "core/plan.h"
#include "core/pool.h"
#include "core/topo.h"
#include "util/error.h"

struct event;
struct event_base;
struct hv;
struct xsw;
struct ctl_server;
struct state_dom;

struct poold_config {
	char *config_file;   /* poold.conf, xl syntax */
	char *hv_backend;    /* "xen" or "sim" */
	char *sim_socket;    /* xensim's hypervisor socket, for "sim" */
	char *xenstore_path; /* exported as XENSTORED_PATH when set */
	char *ctl_socket;
	char *state_file;
	char *default_pool; /* where domains without a known pool go */
	int log_level;
	/* Seconds between full verifies of every domain; 0 = at every rescan; -1 = unset. */
	int verify_interval;
	bool foreground;
	bool check_only;     /* -n: check configuration and state, then exit */
	char *ctl_socket_ro; /* the read-only control socket (0666); NULL: none */
	/* The share controller: SHARE_AUTO or SHARE_OFF; -1 = unset. */
	int share_control;
	/* Milliseconds between its periods; -1 = unset. */
	int share_period_ms;
};

enum { SHARE_OFF = 0, SHARE_AUTO = 1 };

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
struct dom_applied {
	bool valid;
	unsigned nr_vcpus;
	enum sched_kind kind;
	struct cpumap cpus; /* the pool's cpus, restricted to the online ones */
	struct sched_params sched;
};

struct poold {
	struct event_base *base;
	struct poold_config cfg;
	struct hv *hv;
	struct xsw *xs;
	struct ctl_server *ctl;

	struct topo *topo;
	struct pool_table pools;
	struct dom *doms; /* live domains, ascending domid */
	size_t ndoms;
	size_t adoms;

	/* Domain records of the state file not matched to a live domain yet. */
	struct state_dom *saved;
	size_t nsaved;

	struct plan plan;
	struct event *rescan; /* deferred: events only schedule a rescan */
	struct event *sigterm, *sigint, *sighup;
	uint64_t hv_writes; /* writes made since start, for status */
	bool ready;

	/* The command line's settings, applied again over poold.conf on SIGHUP. */
	struct poold_config cli;
	/* Domain records changed but not written yet (a failed write is retried). */
	bool state_dirty;
	/* The scheduler of Xen cpupool 0, for pools without members. */
	enum sched_kind sched0;
	/* Retries a reconcile the hypervisor refused part of. */
	struct event *retry;
	/* The last reconcile failure logged, so a repeated one is logged once. */
	char last_error[PERR_MSG_MAX];
	/* The control socket came from systemd (socket activation). */
	bool activated;

	/* Parallel to doms: what each domain was last verified to have. */
	struct dom_applied *applied;
	/* The next rescan re-reads every domain (start, SIGHUP, errors, the timer). */
	bool verify_all;
	/* The next rescan re-reads every pool key (full verify, a failed pass). */
	bool keys_stale;
	/* Sets verify_all every cfg.verify_interval seconds. */
	struct event *verify;
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
};
