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
	/* A group whose members may change things on the main socket (0660); NULL: root only. */
	char *socket_group;
	/* The share controller: SHARE_AUTO or SHARE_OFF; -1 = unset. */
	int share_control;
	/* Milliseconds between its periods; -1 = unset. */
	int share_period_ms;
};

/* Leaves every setting unset: NULL strings, log_level -1. */
void config_init(struct poold_config *c);
void config_fini(struct poold_config *c);

/* How config_read treats a missing file and keys it does not know. */
enum {
	CONFIG_MUST_EXIST = 1 << 0, /* a missing file is -ENOENT, not the defaults */
	CONFIG_STRICT = 1 << 1,     /* an unknown key is an error (poold -n), not a warning */
};

/*
 * Reads poold.conf at path into c, replacing what the file sets. A missing
 * file is fine unless CONFIG_MUST_EXIST. Unknown keys are logged, each with
 * its file:line and the known key nearest to it; they are warnings unless
 * CONFIG_STRICT. A file that does not parse, holds a bad value or (strict)
 * an unknown key is POOLD_E_INVALID (-ENOENT for a file that must exist and
 * is missing), with a message in e that starts with the path as given and,
 * where there is one, the line.
 */
int config_read(struct poold_config *c, const char *path, unsigned flags, struct perr *e);

/* Copies every setting src has over dst (the command line over the file). */
int config_merge(struct poold_config *dst, const struct poold_config *src);

/* Fills what is still unset with the built-in defaults. */
int config_defaults(struct poold_config *c);

/*
 * Prints what a file set (file, as config_read left it) as a canonical
 * poold.conf: one line per key, those it does not set as comments that say
 * what is in effect instead. cli (may be NULL) is the command line: where it
 * wins over the file, a comment says so.
 */
void config_print(const struct poold_config *file, const struct poold_config *cli, FILE *out);
