/* The daemon's life: start up to READY, serve events, reload on SIGHUP, stop cleanly. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "poold/engine-int.h"

struct ctl_server;
struct saver;

/* The daemon: the engine, the control server wired to it, signals, and how it was started. */
struct poold {
	struct engine eng;
	/* The command line's settings, applied again over poold.conf on SIGHUP. */
	struct poold_config cli;
	struct ctl_server *ctl;
	struct saver *saver; /* the state file's writer thread, once running */
	struct event *sigterm, *sigint, *sighup;
	/* The control socket came from systemd (socket activation). */
	bool activated;
	/* systemd's STATUS= line: sent at most once a second, when it changed. */
	struct event *status;
	char status_sent[128];
	/* Asks xenstored it is there, and feeds systemd's watchdog when it is on. */
	struct event *heartbeat;
	bool watchdog;
};

/*
 * Starts poold with cfg (copied) and cli (the command line, kept for
 * reloads): loads the state file, opens the hypervisor and xenstore,
 * reconciles, listens, tells systemd READY. Returns 0, a POOLD_E_* code
 * (POOLD_E_CORRUPT for a state file it won't touch) or -errno, with e set.
 * pd must be zeroed; poold_fini() it in any case.
 */
int poold_init(struct poold *pd, const struct poold_config *cfg, const struct poold_config *cli,
               struct perr *e);
/* Runs the event loop until SIGTERM or SIGINT. */
int poold_run(struct poold *pd);
/* Closes everything poold_init opened; fine on a partly initialised pd. */
void poold_fini(struct poold *pd);

/* Schedules one deferred rescan: events never reconcile in their own callback. */
void poold_schedule_rescan(struct poold *pd);

/*
 * Checks cfg's state file without touching anything (poold -n). Prints
 * problems (and with verbose a summary) to out; returns 0 or the code of the problem.
 */
int poold_check_state(const struct poold_config *cfg, bool verbose, FILE *out);
