/* One poold per state file: an flock on <state>.lock, held for the daemon's life. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "util/error.h"

/* What sits beside the state file: "<state>" LOCK_SUFFIX. */
#define LOCK_SUFFIX ".lock"

/*
 * Takes the lock of state_file (creating its directory, 0700, and the lock
 * file when missing), writes our pid into it, then removes the temp files
 * of saves that were killed (only the holder may). Returns 0 with *fd the
 * lock's descriptor (O_CLOEXEC; keep it open to keep the lock);
 * POOLD_E_BUSY when another process holds it (the message names its pid and
 * what to do); POOLD_E_STATE when the lock file can't be made or locked.
 */
int lock_take(int *fd, const char *state_file, struct perr *e);

/* Writes the caller's pid into the lock file again: the daemon's, after it forked. */
int lock_set_pid(int fd);

/*
 * Tells whether some process holds state_file's lock, without taking it
 * (poold -n). Returns 1 (held; *pid from the lock file, 0 if it has none), 0
 * (not held) or -errno when it can't tell.
 */
int lock_query(const char *state_file, pid_t *pid);

/* Prints a line saying whether a poold holds state_file's lock (poold -n). */
void lock_report(const char *state_file, bool verbose, FILE *out);
