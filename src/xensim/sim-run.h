/* run(): how the simulated schedulers share pCPU time; the rules are in sim.h at sim_run(). */
#pragma once

#include "xensim/sim.h"

/* Scratch memory kept from one run to the next, so that a run allocates nothing. */
struct sim_run_buf;

/*
 * Advances the cpu time of the runnable vCPUs of dom[0..nr_dom) by ns of
 * wall time on the cpus of online under `sched`. *buf (NULL at first) is
 * made or grown as needed. Returns 0 or -ENOMEM.
 */
int sim_share(struct sim_run_buf **buf, enum sim_sched sched, const struct cpumap *online,
              struct sim_dom *const *dom, size_t nr_dom, double ns);
/* Frees the scratch memory; NULL is fine; returns NULL. */
struct sim_run_buf *sim_run_buf_free(struct sim_run_buf *b);
