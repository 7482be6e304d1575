/* The "xen" hypervisor backend: the hv ops on top of libxenctrl 4.17. */
#include "hv/hv.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenctrl.h>

#include "util/log.h"

/* Domains asked for per XEN_SYSCTL_getdomaininfolist: one hypercall buffer's worth. */
#define HV_XEN_BATCH 64

struct hv_xen {
	struct hv hv;
	xc_interface *xch;
	/* libxenctrl logs its own failures; ours carry -errno to the caller who logs once. */
	xentoollog_logger logger;
	int cpumap_size;  /* bytes in a libxenctrl cpumap; 0 until first asked */
	int nodemap_size; /* bytes in a libxenctrl nodemap; 0 until first asked */
};

static struct hv_xen *to_xen(struct hv *hv)
{
	return (struct hv_xen *)((char *)hv - offsetof(struct hv_xen, hv));
}

/* Turns libxenctrl's -1/errno into -errno; results >= 0 pass through. */
static int xc_err(int rc)
{
	if (rc >= 0)
		return rc;
	return errno > 0 ? -errno : -EIO;
}

/* Sends libxenctrl's messages to the debug log, so that an expected ESRCH is no noise. */
__attribute__((format(printf, 5, 0))) static void
xen_log_vmessage(xentoollog_logger *l, xentoollog_level level, int errnoval, const char *context,
                 const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (errnoval > 0)
		log_debug("%s: %s: %s", context ? context : "xc", buf, strerror(errnoval));
	else
		log_debug("%s: %s", context ? context : "xc", buf);
}

/* Does nothing: the logger lives inside struct hv_xen and is freed with it. */
static void xen_log_destroy(xentoollog_logger *l)
{
}

/* A size libxenctrl gives (get), asked once and kept in *cache; the bytes, or -errno. */
static int xen_size(struct hv_xen *x, int *cache, int (*get)(xc_interface *xch))
{
	int sz;

	if (*cache > 0)
		return *cache;
	errno = 0;
	sz = get(x->xch);
	if (sz < 0)
		return xc_err(sz);
	if (sz == 0)
		return -EIO;
	*cache = sz;
	return sz;
}

/* Returns the size of a libxenctrl cpumap in bytes, or -errno. */
static int xen_cpumap_size(struct hv_xen *x)
{
	return xen_size(x, &x->cpumap_size, xc_get_cpumap_size);
}

/* Copies a libxenctrl bitmap (cpu i is bit i%8 of byte i/8) into a struct cpumap. */
static void bytes_to_cpumap(const uint8_t *b, int sz, struct cpumap *m)
{
	cpumap_zero(m);
	for (unsigned cpu = 0; cpu < (unsigned)sz * 8 && cpu < CPUMAP_MAX; cpu++)
		if (b[cpu / 8] & (1u << (cpu % 8)))
			cpumap_set(m, cpu);
}

/* Fills a libxenctrl bitmap; -EINVAL if m names a cpu the hypervisor can't have. */
static int cpumap_to_bytes(const struct cpumap *m, uint8_t *b, int sz)
{
	memset(b, 0, sz);
	cpumap_for_each (cpu, m) {
		if (cpu >= sz * 8)
			return -EINVAL;
		b[cpu / 8] |= 1u << (cpu % 8);
	}
	return 0;
}

/* Maps a XEN_SCHEDULER_* id to the kinds poold treats differently. */
static enum sched_kind sched_from_id(uint32_t id)
{
	switch (id) {
	case XEN_SCHEDULER_CREDIT:
		return SCHED_CREDIT;
	case XEN_SCHEDULER_CREDIT2:
		return SCHED_CREDIT2;
	default:
		return SCHED_OTHERS;
	}
}

/* Reads the host's cpus: which exist (physinfo), which are online and where (cputopoinfo). */
static int xen_topology(struct hv *hv, struct topo *out)
{
	struct hv_xen *x = to_xen(hv);
	xc_physinfo_t pi;
	xc_cputopo_t *ct;
	unsigned nr, num;
	int rc;

	memset(&pi, 0, sizeof(pi));
	rc = xc_err(xc_physinfo(x->xch, &pi));
	if (rc < 0)
		return rc;
	nr = pi.max_cpu_id + 1;
	if (nr == 0 || nr > CPUMAP_MAX) {
		log_warnx("xen: host has cpus up to %u; managing only the first %u", pi.max_cpu_id,
		          CPUMAP_MAX);
		nr = CPUMAP_MAX;
	}

	ct = calloc(nr, sizeof(*ct));
	if (ct == NULL)
		return -ENOMEM;
	num = nr;
	rc = xc_err(xc_cputopoinfo(x->xch, &num, ct));
	if (rc < 0)
		goto out;
	/* A smaller num means Xen wrote only that many; a larger one, that we cut it short. */
	if (num < nr)
		nr = num;

	memset(out, 0, sizeof(*out));
	out->nr_cpus = nr;
	for (unsigned i = 0; i < nr; i++) {
		struct topo_cpu *c = &out->cpu[i];

		if (ct[i].core == XEN_INVALID_CORE_ID || ct[i].socket == XEN_INVALID_SOCKET_ID)
			continue;
		c->online = true;
		c->socket = ct[i].socket;
		c->core = ct[i].core;
		/* A host without NUMA information is one node. */
		c->node = ct[i].node == XEN_INVALID_NODE_ID ? 0 : ct[i].node;
	}
	rc = 0;
out:
	free(ct);
	return rc;
}

/* Orders domains by domid for qsort. */
static int dominfo_cmp(const void *a, const void *b)
{
	const struct hv_dominfo *da = a, *db = b;

	return da->domid < db->domid ? -1 : da->domid > db->domid;
}

/* Converts one getdomaininfo record. */
static void dominfo_from_xc(struct hv_dominfo *d, const xc_domaininfo_t *in)
{
	memset(d, 0, sizeof(*d));
	d->domid = in->domain;
	memcpy(d->uuid, in->handle, sizeof(d->uuid));
	d->nr_vcpus = in->max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : in->max_vcpu_id + 1;
	d->cpupool = in->cpupool;
	d->cpu_time = in->cpu_time;
	d->dying = (in->flags & XEN_DOMINF_dying) != 0;
	/* A shut-down domain may resume (suspend-cancel, a failed migration). */
	d->shutdown = (in->flags & XEN_DOMINF_shutdown) != 0;
}

/* Reads CLOCK_MONOTONIC in ns. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Lists the domains from domid `first` on (at most max, 0: all),
 * HV_XEN_BATCH per hypercall, each batch starting past the last seen;
 * *now_ns is the clock right after the last batch returned.
 */
static int xen_list_domains_from(struct hv *hv, uint32_t first, size_t max, struct hv_dominfo **out,
                                 size_t *n, uint64_t *now_ns)
{
	struct hv_xen *x = to_xen(hv);
	struct hv_dominfo *list = NULL;
	xc_domaininfo_t *batch;
	size_t len = 0, cap = 0;
	uint64_t at = 0;
	int rc = 0;

	batch = calloc(HV_XEN_BATCH, sizeof(*batch));
	if (batch == NULL)
		return -ENOMEM;

	while (first < DOMID_FIRST_RESERVED) {
		uint32_t next = first;
		int got;

		unsigned ask = HV_XEN_BATCH;

		if (max > 0 && max - len < ask)
			ask = (unsigned)(max - len);
		got = xc_err(xc_domain_getinfolist(x->xch, first, ask, batch));
		/* Xen counts cpu_time on its system time, which ticks at the rate of ours. */
		at = mono_ns();
		if (got < 0) {
			rc = got;
			goto fail;
		}
		if (got > (int)ask) {
			rc = -EPROTO;
			goto fail;
		}
		if (len + got > cap) {
			size_t ncap = cap ? cap * 2 : HV_XEN_BATCH;
			struct hv_dominfo *nl;

			while (ncap < len + got)
				ncap *= 2;
			nl = realloc(list, ncap * sizeof(*list));
			if (nl == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			list = nl;
			cap = ncap;
		}
		for (int i = 0; i < got; i++) {
			/* Anything below `first` was listed by an earlier batch already. */
			if (batch[i].domain < first)
				continue;
			dominfo_from_xc(&list[len++], &batch[i]);
			if (batch[i].domain >= next)
				next = batch[i].domain + 1;
		}
		if (got < (int)ask || next == first || (max > 0 && len >= max))
			break;
		first = next;
	}

	if (now_ns != NULL)
		*now_ns = at;
	qsort(list, len, sizeof(*list), dominfo_cmp);
	free(batch);
	*out = list;
	*n = len;
	return 0;
fail:
	free(batch);
	free(list);
	return rc;
}

/* Lists every domain. */
static int xen_list_domains(struct hv *hv, struct hv_dominfo **out, size_t *n, uint64_t *now_ns)
{
	return xen_list_domains_from(hv, 0, 0, out, n, now_ns);
}

/* Reads the scheduler of a Xen cpupool (not xc_sched_id: that is only the boot default). */
static int xen_cpupool_sched(struct hv *hv, uint32_t cpupool, enum sched_kind *out)
{
	struct hv_xen *x = to_xen(hv);
	xc_cpupoolinfo_t *info;
	int rc = 0;

	errno = 0;
	info = xc_cpupool_getinfo(x->xch, cpupool);
	if (info == NULL)
		return errno > 0 ? -errno : -EIO;
	/* Xen answers with the first pool at or above the id asked for. */
	if (info->cpupool_id != cpupool)
		rc = -ENOENT;
	else
		*out = sched_from_id(info->sched_id);
	xc_cpupool_infofree(x->xch, info);
	return rc;
}

/* Reads a vCPU's hard and (soft may be NULL) soft affinity: one domctl either way. */
static int xen_get_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, struct cpumap *hard,
                            struct cpumap *soft)
{
	struct hv_xen *x = to_xen(hv);
	uint8_t *buf;
	int sz, rc;

	if (vcpu > INT32_MAX)
		return -EINVAL;
	sz = xen_cpumap_size(x);
	if (sz < 0)
		return sz;
	buf = calloc(2, sz);
	if (buf == NULL)
		return -ENOMEM;
	rc = xc_err(xc_vcpu_getaffinity(
	    x->xch, domid, (int)vcpu, buf, soft != NULL ? buf + sz : NULL,
	    XEN_VCPUAFFINITY_HARD | (soft != NULL ? XEN_VCPUAFFINITY_SOFT : 0)));
	if (rc == 0) {
		bytes_to_cpumap(buf, sz, hard);
		if (soft != NULL)
			bytes_to_cpumap(buf + sz, sz, soft);
	}
	free(buf);
	return rc < 0 ? rc : 0;
}

/* Sets a vCPU's hard affinity and, unless soft is NULL, its soft one: one domctl. */
static int xen_set_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, const struct cpumap *hard,
                            const struct cpumap *soft)
{
	struct hv_xen *x = to_xen(hv);
	uint8_t *buf;
	int sz, rc;

	if (vcpu > INT32_MAX)
		return -EINVAL;
	sz = xen_cpumap_size(x);
	if (sz < 0)
		return sz;
	buf = calloc(2, sz);
	if (buf == NULL)
		return -ENOMEM;
	rc = cpumap_to_bytes(hard, buf, sz);
	if (rc == 0 && soft != NULL)
		rc = cpumap_to_bytes(soft, buf + sz, sz);
	/* The buffers come back with the effective affinities, which nobody reads here. */
	if (rc == 0)
		rc = xc_err(xc_vcpu_setaffinity(
		    x->xch, domid, (int)vcpu, buf, soft != NULL ? buf + sz : NULL,
		    XEN_VCPUAFFINITY_HARD | (soft != NULL ? XEN_VCPUAFFINITY_SOFT : 0)));
	free(buf);
	return rc < 0 ? rc : 0;
}

/* Bytes of Xen's nodemaps, asked once. */
static int xen_nodemap_size(struct hv_xen *x)
{
	return xen_size(x, &x->nodemap_size, xc_get_nodemap_size);
}

static int xen_get_node_affinity(struct hv *hv, uint32_t domid, struct cpumap *nodes)
{
	struct hv_xen *x = to_xen(hv);
	uint8_t *buf;
	int sz, rc;

	sz = xen_nodemap_size(x);
	if (sz < 0)
		return sz;
	buf = calloc(1, sz);
	if (buf == NULL)
		return -ENOMEM;
	rc = xc_err(xc_domain_node_getaffinity(x->xch, domid, buf));
	if (rc == 0)
		bytes_to_cpumap(buf, sz, nodes);
	free(buf);
	return rc < 0 ? rc : 0;
}

static int xen_set_node_affinity(struct hv *hv, uint32_t domid, const struct cpumap *nodes)
{
	struct hv_xen *x = to_xen(hv);
	uint8_t *buf;
	int sz, rc;

	sz = xen_nodemap_size(x);
	if (sz < 0)
		return sz;
	buf = calloc(1, sz);
	if (buf == NULL)
		return -ENOMEM;
	rc = cpumap_to_bytes(nodes, buf, sz);
	if (rc == 0)
		rc = xc_err(xc_domain_node_setaffinity(x->xch, domid, buf));
	free(buf);
	return rc < 0 ? rc : 0;
}

/* Reads weight and cap through the interface of scheduler `kind`. */
static int xen_get_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned *weight,
                         unsigned *cap)
{
	struct hv_xen *x = to_xen(hv);
	int rc;

	switch (kind) {
	case SCHED_CREDIT: {
		struct xen_domctl_sched_credit s = {0};

		rc = xc_err(xc_sched_credit_domain_get(x->xch, domid, &s));
		if (rc < 0)
			return rc;
		*weight = s.weight;
		*cap = s.cap;
		return 0;
	}
	case SCHED_CREDIT2: {
		struct xen_domctl_sched_credit2 s = {0};

		rc = xc_err(xc_sched_credit2_domain_get(x->xch, domid, &s));
		if (rc < 0)
			return rc;
		*weight = s.weight;
		*cap = s.cap;
		return 0;
	}
	default:
		return -EOPNOTSUPP;
	}
}

/* Writes weight and cap; both are 16 bits wide in the hypercall, so larger is refused. */
static int xen_set_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned weight,
                         unsigned cap)
{
	struct hv_xen *x = to_xen(hv);
	int rc;

	if (weight > UINT16_MAX || cap > UINT16_MAX)
		return -EINVAL;
	switch (kind) {
	case SCHED_CREDIT: {
		struct xen_domctl_sched_credit s = {.weight = weight, .cap = cap};

		rc = xc_err(xc_sched_credit_domain_set(x->xch, domid, &s));
		break;
	}
	case SCHED_CREDIT2: {
		struct xen_domctl_sched_credit2 s = {.weight = weight, .cap = cap};

		rc = xc_err(xc_sched_credit2_domain_set(x->xch, domid, &s));
		break;
	}
	default:
		return -EOPNOTSUPP;
	}
	return rc < 0 ? rc : 0;
}

/* Closes the libxenctrl handle and frees the backend. */
static void xen_close(struct hv *hv)
{
	struct hv_xen *x = to_xen(hv);

	xc_interface_close(x->xch);
	free(x);
}

static const struct hv_ops hv_xen_ops = {
    .name = "xen",
    .topology = xen_topology,
    .list_domains = xen_list_domains,
    .list_domains_from = xen_list_domains_from,
    .cpupool_sched = xen_cpupool_sched,
    .get_affinity = xen_get_affinity,
    .set_affinity = xen_set_affinity,
    .get_node_affinity = xen_get_node_affinity,
    .set_node_affinity = xen_set_node_affinity,
    .get_sched = xen_get_sched,
    .set_sched = xen_set_sched,
    .close = xen_close,
};

/* Opens libxenctrl; fails with its errno (EACCES when not root, ENOENT without Xen). */
int hv_xen_open(struct hv **out)
{
	struct hv_xen *x;
	int rc;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->hv.ops = &hv_xen_ops;
	x->logger.vmessage = xen_log_vmessage;
	x->logger.destroy = xen_log_destroy;

	errno = 0;
	/* Our logger for dombuild too: NULL there would make libxenctrl open a log file. */
	x->xch = xc_interface_open(&x->logger, &x->logger, 0);
	if (x->xch == NULL) {
		rc = errno > 0 ? -errno : -EIO;
		free(x);
		return rc;
	}
	*out = &x->hv;
	return 0;
}
