/* The state file: pools and domain records as one JSON document, replaced atomically. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dom.h"
#include "core/pool.h"
#include "util/error.h"

#define STATE_VERSION 1

/* A domain record of the state file, matched to a live domain by uuid. */
struct state_dom {
	uint8_t uuid[16];
	uint32_t domid;
	char name[DOM_NAME_MAX + 1];
	char want[POOL_NAME_MAX + 1];
	char key_seen[POOL_NAME_MAX + 1];
	/* A key value seen untrusted and not yet written by dom0 (dom.h key_ignored); "" none. */
	char key_untrusted[POOL_NAME_MAX + 1];
	unsigned weight;
	unsigned cap;
	/* When its domain went (s since the epoch): a guest rebooting, saved or migrating,
	   whose record waits for its uuid to come back; 0 = alive when written. */
	int64_t gone;
};

/*
 * Loads path into a fresh pool table (t->online is the union of the pools'
 * cpus, as the host was when the file was written) and the domain records
 * (*doms malloc'ed, caller frees). Returns 0; -ENOENT when the file does not
 * exist (a first start); POOLD_E_CORRUPT when it does not parse, has a
 * future version or breaks an invariant (the message names the file, the
 * reason and what to do); another -errno when it can't be read. The file is
 * never modified.
 */
int state_load(const char *path, struct pool_table *t, struct state_dom **doms, size_t *ndoms,
               struct perr *e);

/*
 * Writes pools and live domains to path atomically: a temp file in the same
 * directory, fsync, rename, fsync of the directory (created 0700 when
 * missing). Returns 0 or POOLD_E_STATE; the old file is intact on failure.
 */
int state_save(const char *path, const struct pool_table *t, const struct dom *doms, size_t n,
               struct perr *e);

/* Creates dir and its missing parents, 0700 for the ones made here; 0 or -errno. */
int state_mkdirs(const char *dir);

/* True when name is one of state_save()'s temp files for a state file named base. */
bool state_is_temp(const char *base, const char *name);

/*
 * Removes the temp files that saves killed before their rename left beside
 * path (only names state_is_temp() accepts, only regular files), logging
 * each. Call it only while holding the lock (lock.h). Returns how many, or
 * -errno when the directory can't be read.
 */
int state_remove_temps(const char *path);
