/* The writes that take the hypervisor from what it reports to what poold wants. */
#include "core/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int plan_add(struct plan *p, const struct plan_op *op)
{
	if (p->n == p->alloc) {
		size_t alloc = p->alloc ? p->alloc * 2 : 16;
		struct plan_op *ops = realloc(p->ops, alloc * sizeof(*ops));

		if (ops == NULL)
			return -ENOMEM;
		p->ops = ops;
		p->alloc = alloc;
	}
	p->ops[p->n++] = *op;
	return 0;
}

int plan_diff(struct plan *p, const struct dom_desired *d, const struct dom_actual *a,
              const struct cpumap *online)
{
	struct cpumap want;
	int r;

	struct cpumap soft;

	/* Pinning to no online cpu is impossible (Xen refuses it): skip affinity then. */
	cpumap_and(&want, &d->cpus, online);
	cpumap_and(&soft, &d->soft, online);
	for (unsigned v = 0; a->hard != NULL && !cpumap_empty(&want) && v < a->nr_vcpus; v++) {
		struct cpumap have;
		bool soft_ok = true;

		if (d->numa && a->soft != NULL) {
			cpumap_and(&have, &a->soft[v], online);
			soft_ok = cpumap_equal(&have, &soft);
		}
		/* Xen reports "all" as every bit set: compare only what is online. */
		cpumap_and(&have, &a->hard[v], online);
		if (!cpumap_empty(&have) && cpumap_equal(&have, &want) && soft_ok)
			continue;
		r = plan_add(p, &(struct plan_op){
		                    .kind = PLAN_SET_AFFINITY,
		                    .domid = d->domid,
		                    .vcpu = v,
		                    .cpus = want,
		                    .with_soft = d->numa,
		                    .soft = soft,
		                });
		if (r)
			return r;
	}

	if (d->sched.write &&
	    (!a->sched_known || (d->sched.weight != 0 && a->weight != d->sched.weight) ||
	     a->cap != d->sched.cap)) {
		r = plan_add(p, &(struct plan_op){
		                    .kind = PLAN_SET_SCHED,
		                    .domid = d->domid,
		                    .sched = d->kind,
		                    .weight = d->sched.weight,
		                    .cap = d->sched.cap,
		                });
		if (r)
			return r;
	}

	if (d->numa && a->nodes_known && !cpumap_empty(&d->nodes) &&
	    !cpumap_equal(&a->nodes, &d->nodes)) {
		r = plan_add(p, &(struct plan_op){
		                    .kind = PLAN_SET_NODES,
		                    .domid = d->domid,
		                    .nodes = d->nodes,
		                });
		if (r)
			return r;
	}
	return 0;
}

void plan_reset(struct plan *p)
{
	p->n = 0;
}

void plan_fini(struct plan *p)
{
	free(p->ops);
	p->ops = NULL;
	p->n = 0;
	p->alloc = 0;
}
