/* Error policy shared by every module of poold. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/*
 * Functions return an int:
 *   0            success;
 *   negative     -errno, an unexpected failure (I/O, memory, a hypercall that
 *                failed): forwarded up unchanged, logged once where handled;
 *   positive     a POOLD_E_* code, a documented outcome the caller must handle
 *                (a request refused for a reason the user can fix).
 * A user-facing message travels in a struct perr filled by the function that
 * decided the outcome. Only main() turns codes into exit statuses, and only
 * ctl/proto.c turns them into protocol error classes.
 */
enum poold_error {
	POOLD_E_INVALID = 1, /* malformed or out-of-range argument */
	POOLD_E_NOTFOUND,    /* no such pool or domain */
	POOLD_E_EXISTS,      /* a pool of that name exists already */
	POOLD_E_BUSY,        /* pool has members, CPUs not free, ... */
	POOLD_E_NOCPU,       /* not enough free pCPUs for the request */
	POOLD_E_PROTECTED,   /* pool0 or dom0 may not be changed that way */
	POOLD_E_HYPERVISOR,  /* the hypervisor refused a write */
	POOLD_E_STATE,       /* the state file could not be made durable */
	POOLD_E_CORRUPT,     /* a file that does not parse or has a future version */
	POOLD_E_MAX,
};

#define PERR_MSG_MAX 256

/* A user-facing message that says what was wrong and what to do. */
struct perr {
	int code;
	char msg[PERR_MSG_MAX];
};

/* Fills e (which may be NULL) with code and a formatted message; returns code. */
int perr_set(struct perr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Returns a short English name of a POOLD_E_* code or -errno. */
const char *perr_name(int code);
