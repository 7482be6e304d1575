/* Fakes for the engine tests: a recording hypervisor, xenstore from it, an event sink. */
#include "fakes.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poold-protocol.h"
#include "poold/reconcile.h"
#include "util/log.h"
#include "xs/xsw.h"

static struct fake_hv *fake_of(struct hv *hv)
{
	return (struct fake_hv *)hv;
}

static struct fake_dom *fake_find(struct fake_hv *f, uint32_t domid)
{
	for (unsigned i = 0; i < FAKE_DOMS; i++)
		if (f->doms[i].exists && f->doms[i].domid == domid)
			return &f->doms[i];
	return NULL;
}

static int fake_topology(struct hv *hv, struct topo *out)
{
	*out = fake_of(hv)->topo;
	return 0;
}

static int fake_list_from(struct hv *hv, uint32_t first, size_t max, struct hv_dominfo **out,
                          size_t *n, uint64_t *now_ns)
{
	struct fake_hv *f = fake_of(hv);
	struct hv_dominfo *v = calloc(FAKE_DOMS, sizeof(*v));
	size_t k = 0;

	if (v == NULL)
		return -ENOMEM;
	if (f->fail_list) {
		free(v);
		return -f->fail_list;
	}
	/* ascending domid, as the port promises */
	for (uint32_t id = first; id < 1000 && (max == 0 || k < max); id++) {
		struct fake_dom *d = fake_find(f, id);

		if (d == NULL)
			continue;
		v[k].domid = d->domid;
		memcpy(v[k].uuid, d->uuid, 16);
		v[k].nr_vcpus = d->nr_vcpus;
		v[k].cpupool = d->cpupool;
		v[k].dying = d->dying;
		v[k].shutdown = d->shutdown;
		v[k].cpu_time = d->cpu_time;
		k++;
	}
	if (now_ns != NULL)
		*now_ns = f->now_ns;
	*out = v;
	*n = k;
	return 0;
}

static int fake_list(struct hv *hv, struct hv_dominfo **out, size_t *n, uint64_t *now_ns)
{
	return fake_list_from(hv, 0, 0, out, n, now_ns);
}

static int fake_cpupool_sched(struct hv *hv, uint32_t cpupool, enum sched_kind *out)
{
	if (cpupool > 1)
		return -ENOENT;
	*out = fake_of(hv)->sched[cpupool];
	return 0;
}

/* The fake has no NUMA (no node affinity ops): a soft affinity asked for reads as the hard one. */
static int fake_get_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, struct cpumap *hard,
                             struct cpumap *soft)
{
	struct fake_dom *d = fake_find(fake_of(hv), domid);

	if (d == NULL)
		return -ESRCH;
	if (vcpu >= d->nr_vcpus)
		return -EINVAL;
	*hard = d->hard[vcpu];
	if (soft != NULL)
		*soft = d->hard[vcpu];
	return 0;
}

static int fake_set_affinity(struct hv *hv, uint32_t domid, unsigned vcpu,
                             const struct cpumap *hard, const struct cpumap *soft)
{
	(void)soft;
	struct fake_hv *f = fake_of(hv);
	struct fake_dom *d = fake_find(f, domid);

	if (d == NULL)
		return -ESRCH;
	if (d->fail_set_affinity)
		return -d->fail_set_affinity;
	if (vcpu >= d->nr_vcpus || cpumap_empty(hard))
		return -EINVAL;
	d->hard[vcpu] = *hard;
	f->affinity_writes++;
	if (f->nwritten < 64)
		f->written[f->nwritten++] = domid * 100 + vcpu;
	return 0;
}

static int fake_get_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned *weight,
                          unsigned *cap)
{
	struct fake_hv *f = fake_of(hv);
	struct fake_dom *d = fake_find(f, domid);

	if (d == NULL)
		return -ESRCH;
	if (kind != f->sched[d->cpupool])
		return -EINVAL;
	*weight = d->weight;
	*cap = d->cap;
	return 0;
}

static int fake_set_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned weight,
                          unsigned cap)
{
	struct fake_hv *f = fake_of(hv);
	struct fake_dom *d = fake_find(f, domid);

	if (d == NULL)
		return -ESRCH;
	if (d->fail_set_sched)
		return -d->fail_set_sched;
	if (kind != f->sched[d->cpupool] || weight > 65535)
		return -EINVAL;
	/* weight 0 means "unchanged" to both schedulers */
	if (weight != 0)
		d->weight = weight;
	d->cap = cap;
	f->sched_writes++;
	return 0;
}

static void fake_close(struct hv *hv)
{
}

static const struct hv_ops fake_ops = {
    .name = "fake",
    .topology = fake_topology,
    .list_domains = fake_list,
    .list_domains_from = fake_list_from,
    .cpupool_sched = fake_cpupool_sched,
    .get_affinity = fake_get_affinity,
    .set_affinity = fake_set_affinity,
    .get_sched = fake_get_sched,
    .set_sched = fake_set_sched,
    .close = fake_close,
};

void fake_init(struct fake_hv *f, unsigned ncpus, unsigned dom0_vcpus, enum sched_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->hv.ops = &fake_ops;
	topo_uniform(&f->topo, 1, ncpus, 1, 1);
	f->sched[0] = f->sched[1] = kind;
	fake_add(f, 0, "Domain-0", dom0_vcpus, NULL);
}

struct fake_dom *fake_add(struct fake_hv *f, uint32_t domid, const char *name, unsigned vcpus,
                          const char *key)
{
	for (unsigned i = 0; i < FAKE_DOMS; i++) {
		struct fake_dom *d = &f->doms[i];

		if (d->exists)
			continue;
		memset(d, 0, sizeof(*d));
		d->exists = true;
		d->domid = domid;
		d->uuid[0] = 0xa0;
		d->uuid[15] = (uint8_t)domid;
		d->uuid[14] = (uint8_t)i;
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->nr_vcpus = vcpus;
		for (unsigned v = 0; v < vcpus; v++)
			cpumap_fill(&d->hard[v], CPUMAP_MAX);
		d->weight = 256;
		if (key != NULL) {
			snprintf(d->key, sizeof(d->key), "%s", key);
			d->has_key = true;
		}
		return d;
	}
	return NULL;
}

void fake_reset_counts(struct fake_hv *f)
{
	f->affinity_writes = f->sched_writes = f->nwritten = 0;
}

bool fake_written(const struct fake_hv *f, uint32_t domid, unsigned v)
{
	for (unsigned i = 0; i < f->nwritten; i++)
		if (f->written[i] == domid * 100 + v)
			return true;
	return false;
}

/* Records the name each event has on the wire; counts are not the subscribers' business. */
static void fake_sink_event(void *arg, const struct engine *eng, const struct engine_event *ev)
{
	static const char *const names[] = {
	    [ENGINE_EV_DOMAIN_PLACED] = POOLD_EV_DOMAIN_PLACED,
	    [ENGINE_EV_DOMAIN_GONE] = POOLD_EV_DOMAIN_GONE,
	    [ENGINE_EV_POOL_CHANGED] = POOLD_EV_POOL_CHANGED,
	    [ENGINE_EV_DOMAIN_CHANGED] = POOLD_EV_DOMAIN_CHANGED,
	    [ENGINE_EV_LOG_LEVEL] = POOLD_EV_LOG_LEVEL_CHANGED,
	};
	struct fake_sink *s = arg;

	if (ev->kind >= sizeof(names) / sizeof(names[0]) || names[ev->kind] == NULL ||
	    s->n >= FAKE_EVENTS)
		return;
	snprintf(s->what[s->n], sizeof(s->what[0]), "%s",
	         ev->kind == ENGINE_EV_POOL_CHANGED ? ev->pool_name
	         : ev->kind == ENGINE_EV_LOG_LEVEL  ? log_level_name(ev->level)
	                                            : ev->dom->name);
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", names[ev->kind]);
}

void fake_poold(struct engine *eng, struct fake_hv *f, struct xsw *xs, struct fake_sink *ctl,
                const char *state_path)
{
	memset(eng, 0, sizeof(*eng));
	memset(xs, 0, sizeof(*xs));
	memset(ctl, 0, sizeof(*ctl));
	xs->hv = f;
	eng->hv = &f->hv;
	eng->xs = xs;
	eng->sink = (struct engine_sink){.event = fake_sink_event, .arg = ctl};
	eng->topo = calloc(1, sizeof(*eng->topo));
	*eng->topo = f->topo;
	pool_table_init(&eng->pools, eng->topo);
	eng->cfg.state_file = strdup(state_path);
	eng->cfg.default_pool = strdup("pool0");
}

void fake_poold_fini(struct engine *eng)
{
	eng->xs = NULL;
	reconcile_clear(eng);
	pool_table_fini(&eng->pools);
	plan_fini(&eng->plan);
	free(eng->topo);
	free(eng->cfg.state_file);
	free(eng->cfg.default_pool);
}

unsigned fake_events(const struct fake_sink *c, const char *name)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n; i++)
		n += strcmp(c->names[i], name) == 0;
	return n;
}

int fake_event_at(const struct fake_sink *c, const char *name, const char *what)
{
	for (unsigned i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0 && strcmp(c->what[i], what) == 0)
			return (int)i;
	return -1;
}

/* The seam: these replace src/xs/xsw.c in the test binary. */

int xsw_watch_domain(struct xsw *x, uint32_t domid)
{
	x->watches++;
	return 0;
}

int xsw_unwatch_domain(struct xsw *x, uint32_t domid)
{
	if (x->watches > 0)
		x->watches--;
	return 0;
}

unsigned xsw_key_events(struct xsw *x, uint32_t domid)
{
	struct fake_dom *d = fake_find(x->hv, domid);
	unsigned n = d != NULL ? d->key_events : 0;

	if (d != NULL)
		d->key_events = 0;
	return n > 2 ? 2 : n;
}

uint32_t xsw_next_changed(const struct xsw *x, uint32_t from)
{
	uint32_t best = UINT32_MAX;

	for (size_t i = 0; i < FAKE_DOMS; i++) {
		const struct fake_dom *d = &x->hv->doms[i];

		if (d->exists && d->key_events > 0 && d->domid >= from && d->domid < best)
			best = d->domid;
	}
	return best;
}

int xsw_read_name(struct xsw *x, uint32_t domid, char *buf, size_t len)
{
	struct fake_dom *d = fake_find(x->hv, domid);

	if (d == NULL || d->name[0] == '\0')
		return -ENOENT;
	snprintf(buf, len, "%s", d->name);
	return 0;
}

int xsw_read_pool_key(struct xsw *x, uint32_t domid, char *buf, size_t len, bool *trusted)
{
	struct fake_dom *d = fake_find(x->hv, domid);

	*trusted = false;
	if (d == NULL || !d->has_key)
		return -ENOENT;
	snprintf(buf, len, "%s", d->key);
	*trusted = !d->guest_writable;
	return 0;
}

int fake_dir_new(char dir[64], char state[128], const char *name)
{
	snprintf(dir, 64, "/tmp/poold-test-%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		return -errno;
	snprintf(state, 128, "%s/state.json", dir);
	return 0;
}

int fake_dir_remove(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}
