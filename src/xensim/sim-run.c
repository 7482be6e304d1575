/* run(): shares each simulated pCPU among the runnable vCPUs, credit2 or credit1 style. */
#include "xensim/sim-run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* One runnable vCPU's claim for a run(). */
struct claim {
	struct sim_vcpu *v;
	struct cpumap eff; /* online cpus of its hard affinity */
	unsigned k;        /* their number: the vCPU is spread evenly over them */
	double demand;     /* ns it can use in all, after its domain's cap */
	double credit;     /* credit1: ns of credit csched_acct() gives it */
	double weight;
};

/* A claim's part on one pCPU. */
struct part {
	struct claim *c;
	double limit;
	double full; /* credit1: the limit before credit */
	double weight;
	double got;
	bool done;
};

/* Splits capacity among parts by weight, none beyond its limit, work-conserving; returns the use. */
static double waterfill(struct part *p, size_t n, double capacity)
{
	double used = 0;

	for (size_t i = 0; i < n; i++) {
		p[i].got = 0;
		p[i].done = p[i].limit <= 0;
	}
	for (;;) {
		double left = capacity - used, w = 0;
		bool clipped = false;

		for (size_t i = 0; i < n; i++)
			if (!p[i].done)
				w += p[i].weight;
		if (w <= 0 || left <= 0)
			return used;
		/* Whoever needs less than its share at this level gets all it needs;
		 * the level only rises as they drop out, so one pass per level. */
		for (size_t i = 0; i < n; i++) {
			if (!p[i].done && p[i].limit - p[i].got <= left * p[i].weight / w) {
				used += p[i].limit - p[i].got;
				p[i].got = p[i].limit;
				p[i].done = true;
				clipped = true;
			}
		}
		if (clipped)
			continue;
		for (size_t i = 0; i < n; i++)
			if (!p[i].done)
				p[i].got += left * p[i].weight / w;
		return capacity;
	}
}

/* Shares one pCPU among the parts for `ns` and credits each vCPU. */
static void run_pcpu(enum sim_sched sched, struct part *p, size_t n, double ns)
{
	double used;

	if (sched == SIM_SCHED_CREDIT2) {
		waterfill(p, n, ns);
		for (size_t i = 0; i < n; i++)
			p[i].c->v->time_ns += p[i].got;
		return;
	}
	/* credit1: UNDER vCPUs round-robin up to their credit, then OVER ones share the rest. */
	for (size_t i = 0; i < n; i++) {
		p[i].full = p[i].limit;
		p[i].weight = 1;
		p[i].limit = fmin(p[i].full, p[i].c->credit / p[i].c->k);
	}
	used = waterfill(p, n, ns);
	for (size_t i = 0; i < n; i++) {
		p[i].c->v->time_ns += p[i].got;
		p[i].limit = p[i].full - p[i].got;
	}
	waterfill(p, n, ns - used);
	for (size_t i = 0; i < n; i++)
		p[i].c->v->time_ns += p[i].got;
}

/* Collects the claims of runnable vCPUs; returns their number. */
static size_t collect(const struct cpumap *online, struct sim_dom *const *dom, size_t nr_dom,
                      struct claim *cl, double ns)
{
	double mass = 0, total = (double)cpumap_count(online) * ns;
	size_t n = 0;

	for (size_t i = 0; i < nr_dom; i++) {
		struct sim_dom *d = dom[i];
		double demand = ns * d->load / 100.0;

		if (d->pause_count || d->dying || d->load == 0)
			continue;
		if (d->cap)
			demand = fmin(demand, ns * d->cap / 100.0 / d->nr_vcpus);
		mass += (double)d->weight * d->nr_vcpus;
		for (unsigned v = 0; v < d->nr_vcpus; v++) {
			struct claim *c = &cl[n];

			cpumap_and(&c->eff, &d->vcpu[v].hard, online);
			c->k = cpumap_count(&c->eff);
			if (c->k == 0)
				continue;
			c->v = &d->vcpu[v];
			c->demand = demand;
			c->weight = d->weight;
			n++;
		}
	}
	for (size_t i = 0; i < n; i++)
		cl[i].credit = total * cl[i].weight / mass;
	return n;
}

int sim_share(enum sim_sched sched, const struct cpumap *online, struct sim_dom *const *dom,
              size_t nr_dom, double ns)
{
	size_t nv = 0, n;
	struct claim *cl;
	struct part *p;

	for (size_t i = 0; i < nr_dom; i++)
		nv += dom[i]->nr_vcpus;
	cl = calloc(nv ? nv : 1, sizeof(*cl));
	p = calloc(nv ? nv : 1, sizeof(*p));
	if (cl == NULL || p == NULL) {
		free(cl);
		free(p);
		return -ENOMEM;
	}
	n = collect(online, dom, nr_dom, cl, ns);
	cpumap_for_each (cpu, online) {
		size_t np = 0;

		for (size_t i = 0; i < n; i++) {
			if (!cpumap_test(&cl[i].eff, (unsigned)cpu))
				continue;
			p[np++] = (struct part){
			    .c = &cl[i], .limit = cl[i].demand / cl[i].k, .weight = cl[i].weight};
		}
		if (np)
			run_pcpu(sched, p, np, ns);
	}
	free(cl);
	free(p);
	return 0;
}
