/* A fake xensim hypervisor socket for tests: plays a script of replies, records requests. */
#pragma once

#include <stdbool.h>

/*
 * Kept apart from the tests: <pthread.h> defines SCHED_OTHERS, which
 * core/dom.h uses as an enum constant, so the two must not meet.
 */

enum fake_action {
	FAKE_REPLY,  /* write the reply line */
	FAKE_CLOSE,  /* close the connection without a reply */
	FAKE_SILENT, /* never answer */
};

struct fake;

/* Listens on a socket in a new temp dir and serves it from a thread; NULL on failure. */
struct fake *fake_start(void);
/* Stops the thread and removes the socket and its dir; NULL is fine. */
void fake_stop(struct fake *f);
const char *fake_path(const struct fake *f);
/* Appends a step to the script; requests past the script get FAKE_CLOSE. */
bool fake_add(struct fake *f, enum fake_action a, const char *reply);
/* Returns a copy of request line i (without newline), or NULL; caller frees. */
char *fake_request(struct fake *f, unsigned i);
/* Returns how many requests arrived, and in *conns how many connections were accepted. */
unsigned fake_count(struct fake *f, unsigned *conns);
