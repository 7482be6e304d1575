/* run(): how the simulated schedulers share pCPU time; the rules are in sim.h at sim_run(). */
#pragma once

#include "xensim/sim.h"

/*
 * Advances the cpu time of the runnable vCPUs of dom[0..nr_dom) by ns of
 * wall time on the cpus of online under `sched`. Returns 0 or -ENOMEM.
 */
int sim_share(enum sim_sched sched, const struct cpumap *online, struct sim_dom *const *dom,
              size_t nr_dom, double ns);
