/* xensim's hypervisor socket: simproto.h requests decoded, run against the sim, answered. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sim;
struct simctl;
struct xsd;

/* What moves the simulated clock of a served host. */
enum simctl_clock_mode {
	SIMCTL_CLOCK_MANUAL = 0, /* only the run op */
	SIMCTL_CLOCK_REAL,       /* real time too: CLOCK_MONOTONIC's, caught up before requests */
};

/*
 * A host's real clock. Before a request that reads cpu time or changes what
 * the run model depends on, the host runs for the time elapsed since the
 * last catch-up (sim_advance); the other requests (topology, cpupool,
 * get_affinity, get_sched, reset_counters, fault) let it wait, which
 * changes nothing: the model is linear in time while its parameters stay.
 */
struct simctl_clock {
	enum simctl_clock_mode mode;
	uint64_t (*now)(void); /* ns of a monotonic time source */
	uint64_t last;         /* now() at the last catch-up */
};

/* Parses "manual" or "real"; -1 if neither. */
int simctl_clock_parse(const char *name);
const char *simctl_clock_name(enum simctl_clock_mode mode);
/* Starts a clock at now(); now NULL is CLOCK_MONOTONIC (tests give their own). */
void simctl_clock_init(struct simctl_clock *c, enum simctl_clock_mode mode, uint64_t (*now)(void));

/*
 * Answers one request object of simproto.h: returns a new {"ok": {...}} or
 * {"error": {"errno": N, "desc": TEXT}} object (NULL only when out of
 * memory). x (may be NULL) adds xenstore statistics to "show".
 */
json_t *simctl_dispatch(struct sim *s, struct xsd *x, json_t *req);

/*
 * Answers one request line (without its newline): returns a malloc'ed reply
 * line without the newline, or NULL when out of memory. The clock (may be
 * NULL: manual) catches up first when the request needs it.
 */
char *simctl_answer_clocked(struct sim *s, struct xsd *x, struct simctl_clock *clk,
                            const char *line, size_t len);
/*
 * simctl_answer_clocked() that also says how long the reply must be held
 * (*delay_ms, 0 for none: slow calls, sim_slow()).
 */
char *simctl_answer_held(struct sim *s, struct xsd *x, struct simctl_clock *clk, const char *line,
                         size_t len, unsigned *delay_ms);
/* simctl_answer_clocked() with the manual clock. */
char *simctl_answer(struct sim *s, struct xsd *x, const char *line, size_t len);
/* Builds {"error": {"errno": err, "desc": desc}}; NULL only when out of memory. */
json_t *simctl_error(int err, const char *desc);

/*
 * Listens on the Unix socket path (a stale socket is replaced) and answers
 * requests on base, its clock in `mode` from now. Returns 0 or -errno.
 */
int simctl_new(struct simctl **out, struct event_base *base, struct sim *s, struct xsd *x,
               const char *path, enum simctl_clock_mode mode);
/* Closes every connection and the socket, unlinks it; NULL is fine; returns NULL. */
struct simctl *simctl_free(struct simctl *c);
