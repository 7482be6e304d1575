/* The benchmarks' rig: xensim and poold in a temp dir, their sockets, cleanup on any exit. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long poold's hypervisor and xenstore traffic must stay still for it to count as idle. */
#define SETTLE_MS   150
/* No single wait of a benchmark may take longer (it must stay well under 60 s). */
#define WAIT_MAX_MS 40000

struct rig {
	char dir[64];
	char path[6][128]; /* hv, xenstore, poold socket, state, conf, sd_notify socket */
	pid_t xensim, poold;
	int hv;     /* xensim's hypervisor socket */
	int ctl;    /* poold's control socket, greeting read */
	int notify; /* where poold's sd_notify messages arrive, once rig_notify_open ran */
	struct xs_handle *xs;
	char *buf;
	size_t len, alloc;
};

enum { P_HV, P_XS, P_CTL, P_STATE, P_CONF, P_NOTIFY };

/* The simulated host xensim is started with. */
struct rig_host {
	const char *topology; /* SxCxT */
	const char *nodes;
	const char *sched; /* credit or credit2 */
};

/* Counters of xensim's view: hypervisor reads (listings among them), writes, xenstore requests. */
struct counts {
	int64_t reads, writes, listings, set_sched, xs_requests;
};

/* Set by main before anything else: the name in messages, and the binaries. */
extern const char *rig_prog, *rig_exe_poolctl, *rig_exe_xensim;
/* A poold did not exit 0 on SIGTERM: the benchmark must fail. */
extern bool rig_poold_failed;
/* rig_stop() leaves the temp dir (logs, state) in place and says where. */
extern bool rig_keep;

/* Prints the message and the logs' tails, stops the current rig and exits 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Kills the daemons and removes the temp dir on SIGINT/SIGTERM; SIGPIPE is ignored. */
void rig_signals(void);

uint64_t now_us(void);
void sleep_us(unsigned us);
double median(double *v, size_t n);
/* The p-th percentile (0..100) of v by nearest rank; sorts v. */
double percentile(double *v, size_t n, double p);

/* Sends a JSON request (taken) on fd as one line and parses the reply line. */
json_t *rig_call(struct rig *r, int fd, json_t *req);
/* Calls a xensim op; returns its "ok" object (new reference) or dies. */
json_t *rig_sim(struct rig *r, json_t *req);
/* Calls a poold command over the control socket; returns "return" or dies. */
json_t *rig_ctl(struct rig *r, const char *cmd);

struct counts rig_counts_of(json_t *view);
struct counts rig_counts(struct rig *r);
/* Waits until poold's hypervisor and xenstore traffic has been still for SETTLE_MS. */
struct counts rig_settle(struct rig *r);
/* Counts the domains named prefix* and how many have every vCPU pinned to cpus. */
void rig_count_pinned(struct rig *r, const char *prefix, const char *cpus, size_t *n,
                      size_t *pinned);
/* Waits until want domains named prefix* are all pinned to cpus; returns when, in us. */
uint64_t rig_wait_pinned(struct rig *r, const char *prefix, const char *cpus, size_t want,
                         unsigned poll_us);
/* The cpus poold gives a pool, in canonical xl syntax. */
void rig_pool_cpus(struct rig *r, const char *pool, char *out, size_t len);
/* Runs poolctl with arguments; returns its wall time in us, dies unless it exits 0. */
uint64_t rig_poolctl(struct rig *r, const char *a1, const char *a2, const char *a3);
/* Opens another connection to poold's control socket and reads the greeting; returns the fd. */
int rig_ctl_connect(struct rig *r);
/*
 * Listens for sd_notify messages on a fresh datagram socket in the temp dir and puts it in
 * NOTIFY_SOCKET, for the daemons started after; messages from before are gone.
 */
void rig_notify_open(struct rig *r);
/* Waits for a message with the line `line` (e.g. "READY=1"); returns when, in us, or 0. */
uint64_t rig_notify_wait(struct rig *r, const char *line, unsigned wait_ms);
/*
 * Stops listening as systemd would: a datagram socket nobody reads blocks
 * the sender once its queue is full, so it goes once its READY=1 was seen.
 */
void rig_notify_close(struct rig *r);
/* Reads VmRSS and VmHWM of pid, in KiB (-1 if unknown). */
void rig_proc_mem(pid_t pid, long *rss, long *hwm);

/* A fresh temp dir with conf as poold.conf; the rig is the one cleaned up on exit. */
void rig_open(struct rig *r, const char *conf);
/* Rewrites poold.conf (a running poold reads it again on SIGHUP). */
void rig_write_conf(struct rig *r, const char *conf);
/* Starts xensim on the host and connects to its hypervisor socket. */
void rig_xensim_start(struct rig *r, const struct rig_host *host);
/* Starts poold (the binary poold_exe) and reads its greeting on the control socket. */
void rig_poold_start(struct rig *r, const char *poold_exe);
/* rig_poold_start in two halves: start poold, then connect r->ctl and read the greeting. */
void rig_poold_spawn(struct rig *r, const char *poold_exe);
void rig_poold_connect(struct rig *r);
/* Stops poold with SIGTERM; a status other than 0 is reported and fails the benchmark. */
void rig_poold_stop(struct rig *r);
/* rig_open, xensim, poold, and a xenstore connection to xensim in r->xs. */
void rig_start(struct rig *r, const char *poold_exe, const char *conf, const struct rig_host *host);
/* Stops poold and xensim and removes the temp dir; safe to call twice. */
void rig_stop(struct rig *r);
