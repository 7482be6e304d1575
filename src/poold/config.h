/* poold's settings: the command line over poold.conf (xl syntax) over built-in defaults. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "poold/engine.h"

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

/* Leaves every setting unset: NULL strings, log_level -1. */
void config_init(struct poold_config *c);
void config_fini(struct poold_config *c);

/*
 * Reads poold.conf at path into c, replacing what the file sets. A missing
 * file is fine unless must_exist. Unknown keys are warned about; a file that
 * does not parse or holds a bad value is POOLD_E_INVALID (-ENOENT for an
 * explicit file that is missing), with the message in e.
 */
int config_read(struct poold_config *c, const char *path, bool must_exist, struct perr *e);

/* Copies every setting src has over dst (the command line over the file). */
int config_merge(struct poold_config *dst, const struct poold_config *src);

/* Fills what is still unset with the built-in defaults. */
int config_defaults(struct poold_config *c);

/* Prints c as a canonical poold.conf. */
void config_print(const struct poold_config *c, FILE *out);
