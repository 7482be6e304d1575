/* Unit tests of the "xen" backend against a fake libxenctrl (the linker's --wrap). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <xenctrl.h>

#include "hv/hv.h"

#define FAKE_DOMS  300
#define FAKE_CALLS 16

/* What the fake libxenctrl answers and what it was asked; reset by setup(). */
static struct {
	const char *fail_fn; /* this xc_* call fails with fail_errno */
	int fail_errno;

	xc_physinfo_t pi;
	xc_cputopo_t topo[CPUMAP_MAX];
	unsigned ntopo;
	unsigned topo_asked; /* *max_cpus passed in */

	xc_domaininfo_t doms[FAKE_DOMS];
	unsigned ndoms;
	unsigned ncalls;
	uint32_t first[FAKE_CALLS];
	unsigned max[FAKE_CALLS];
	uint64_t call_ns[FAKE_CALLS]; /* CLOCK_MONOTONIC as each call returned */

	uint32_t pool_id; /* the pool xc_cpupool_getinfo answers with */
	uint32_t pool_sched;
	uint32_t pool_asked;
	int pools_live; /* infos handed out and not freed */

	int cpumap_size;
	uint8_t aff[16];
	uint8_t aff_set[16];
	uint32_t aff_domid;
	int aff_vcpu;
	uint32_t aff_flags;
	void *aff_soft;
	uint8_t aff_soft_in[16];  /* what getaffinity reports as soft */
	uint8_t aff_soft_set[16]; /* the soft map setaffinity was given */
	int aff_calls;

	int nodemap_size;
	uint8_t nodes[8];     /* what node_getaffinity reports */
	uint8_t nodes_set[8]; /* what node_setaffinity was given */
	uint32_t nodes_domid;

	const char *sched_fn; /* the last scheduler call made */
	uint32_t sched_domid;
	uint16_t weight, cap;
} fk;

static char fake_xch;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Makes the call named fn fail when the test asked for it. */
static int fake_fails(const char *fn)
{
	if (fk.fail_fn != NULL && strcmp(fk.fail_fn, fn) == 0) {
		errno = fk.fail_errno;
		return 1;
	}
	return 0;
}

xc_interface *__wrap_xc_interface_open(xentoollog_logger *l, xentoollog_logger *dl, unsigned f);
int __wrap_xc_interface_close(xc_interface *xch);
int __wrap_xc_physinfo(xc_interface *xch, xc_physinfo_t *info);
int __wrap_xc_cputopoinfo(xc_interface *xch, unsigned *max_cpus, xc_cputopo_t *cputopo);
int __wrap_xc_domain_getinfolist(xc_interface *xch, uint32_t first, unsigned max,
                                 xc_domaininfo_t *info);
xc_cpupoolinfo_t *__wrap_xc_cpupool_getinfo(xc_interface *xch, uint32_t poolid);
void __wrap_xc_cpupool_infofree(xc_interface *xch, xc_cpupoolinfo_t *info);
int __wrap_xc_get_cpumap_size(xc_interface *xch);
int __wrap_xc_vcpu_getaffinity(xc_interface *xch, uint32_t domid, int vcpu, xc_cpumap_t hard,
                               xc_cpumap_t soft, uint32_t flags);
int __wrap_xc_vcpu_setaffinity(xc_interface *xch, uint32_t domid, int vcpu, xc_cpumap_t hard,
                               xc_cpumap_t soft, uint32_t flags);
int __wrap_xc_get_nodemap_size(xc_interface *xch);
int __wrap_xc_domain_node_getaffinity(xc_interface *xch, uint32_t domid, xc_nodemap_t nodemap);
int __wrap_xc_domain_node_setaffinity(xc_interface *xch, uint32_t domid, xc_nodemap_t nodemap);
int __wrap_xc_sched_credit_domain_get(xc_interface *xch, uint32_t domid,
                                      struct xen_domctl_sched_credit *s);
int __wrap_xc_sched_credit_domain_set(xc_interface *xch, uint32_t domid,
                                      struct xen_domctl_sched_credit *s);
int __wrap_xc_sched_credit2_domain_get(xc_interface *xch, uint32_t domid,
                                       struct xen_domctl_sched_credit2 *s);
int __wrap_xc_sched_credit2_domain_set(xc_interface *xch, uint32_t domid,
                                       struct xen_domctl_sched_credit2 *s);

xc_interface *__wrap_xc_interface_open(xentoollog_logger *l, xentoollog_logger *dl, unsigned f)
{
	if (fake_fails("xc_interface_open"))
		return NULL;
	return (xc_interface *)&fake_xch;
}

int __wrap_xc_interface_close(xc_interface *xch)
{
	assert_ptr_equal(xch, &fake_xch);
	return 0;
}

int __wrap_xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
	assert_ptr_equal(xch, &fake_xch);
	if (fake_fails("xc_physinfo"))
		return -1;
	*info = fk.pi;
	return 0;
}

int __wrap_xc_cputopoinfo(xc_interface *xch, unsigned *max_cpus, xc_cputopo_t *cputopo)
{
	unsigned n;

	if (fake_fails("xc_cputopoinfo"))
		return -1;
	assert_non_null(cputopo);
	fk.topo_asked = *max_cpus;
	n = fk.ntopo < *max_cpus ? fk.ntopo : *max_cpus;
	memcpy(cputopo, fk.topo, n * sizeof(*cputopo));
	*max_cpus = fk.ntopo;
	return 0;
}

/* Answers like Xen: domains with domid >= first, ascending, at most max. */
int __wrap_xc_domain_getinfolist(xc_interface *xch, uint32_t first, unsigned max,
                                 xc_domaininfo_t *info)
{
	unsigned got = 0;

	assert_true(fk.ncalls < FAKE_CALLS);
	fk.first[fk.ncalls] = first;
	fk.max[fk.ncalls] = max;
	fk.ncalls++;
	if (fake_fails("xc_domain_getinfolist") && fk.ncalls > 1)
		return -1;
	for (unsigned i = 0; i < fk.ndoms && got < max; i++)
		if (fk.doms[i].domain >= first)
			info[got++] = fk.doms[i];
	fk.call_ns[fk.ncalls - 1] = mono_ns();
	return got;
}

xc_cpupoolinfo_t *__wrap_xc_cpupool_getinfo(xc_interface *xch, uint32_t poolid)
{
	xc_cpupoolinfo_t *info;

	fk.pool_asked = poolid;
	if (fake_fails("xc_cpupool_getinfo"))
		return NULL;
	info = calloc(1, sizeof(*info));
	assert_non_null(info);
	info->cpupool_id = fk.pool_id;
	info->sched_id = fk.pool_sched;
	fk.pools_live++;
	return info;
}

void __wrap_xc_cpupool_infofree(xc_interface *xch, xc_cpupoolinfo_t *info)
{
	fk.pools_live--;
	free(info);
}

int __wrap_xc_get_cpumap_size(xc_interface *xch)
{
	if (fake_fails("xc_get_cpumap_size"))
		return -1;
	return fk.cpumap_size;
}

int __wrap_xc_vcpu_getaffinity(xc_interface *xch, uint32_t domid, int vcpu, xc_cpumap_t hard,
                               xc_cpumap_t soft, uint32_t flags)
{
	fk.aff_calls++;
	fk.aff_domid = domid;
	fk.aff_vcpu = vcpu;
	fk.aff_flags = flags;
	fk.aff_soft = soft;
	if (fake_fails("xc_vcpu_getaffinity"))
		return -1;
	memcpy(hard, fk.aff, fk.cpumap_size);
	if (soft != NULL)
		memcpy(soft, fk.aff_soft_in, fk.cpumap_size);
	return 0;
}

int __wrap_xc_vcpu_setaffinity(xc_interface *xch, uint32_t domid, int vcpu, xc_cpumap_t hard,
                               xc_cpumap_t soft, uint32_t flags)
{
	fk.aff_calls++;
	fk.aff_domid = domid;
	fk.aff_vcpu = vcpu;
	fk.aff_flags = flags;
	fk.aff_soft = soft;
	memcpy(fk.aff_set, hard, fk.cpumap_size);
	if (soft != NULL)
		memcpy(fk.aff_soft_set, soft, fk.cpumap_size);
	if (fake_fails("xc_vcpu_setaffinity"))
		return -1;
	return 0;
}

int __wrap_xc_get_nodemap_size(xc_interface *xch)
{
	if (fake_fails("xc_get_nodemap_size"))
		return -1;
	return fk.nodemap_size;
}

int __wrap_xc_domain_node_getaffinity(xc_interface *xch, uint32_t domid, xc_nodemap_t nodemap)
{
	fk.nodes_domid = domid;
	if (fake_fails("xc_domain_node_getaffinity"))
		return -1;
	memcpy(nodemap, fk.nodes, fk.nodemap_size);
	return 0;
}

int __wrap_xc_domain_node_setaffinity(xc_interface *xch, uint32_t domid, xc_nodemap_t nodemap)
{
	fk.nodes_domid = domid;
	memcpy(fk.nodes_set, nodemap, fk.nodemap_size);
	if (fake_fails("xc_domain_node_setaffinity"))
		return -1;
	return 0;
}

int __wrap_xc_sched_credit_domain_get(xc_interface *xch, uint32_t domid,
                                      struct xen_domctl_sched_credit *s)
{
	fk.sched_fn = "credit_get";
	fk.sched_domid = domid;
	if (fake_fails(fk.sched_fn))
		return -1;
	s->weight = fk.weight;
	s->cap = fk.cap;
	return 0;
}

int __wrap_xc_sched_credit_domain_set(xc_interface *xch, uint32_t domid,
                                      struct xen_domctl_sched_credit *s)
{
	fk.sched_fn = "credit_set";
	fk.sched_domid = domid;
	if (fake_fails(fk.sched_fn))
		return -1;
	fk.weight = s->weight;
	fk.cap = s->cap;
	return 0;
}

int __wrap_xc_sched_credit2_domain_get(xc_interface *xch, uint32_t domid,
                                       struct xen_domctl_sched_credit2 *s)
{
	fk.sched_fn = "credit2_get";
	fk.sched_domid = domid;
	if (fake_fails(fk.sched_fn))
		return -1;
	s->weight = fk.weight;
	s->cap = fk.cap;
	return 0;
}

int __wrap_xc_sched_credit2_domain_set(xc_interface *xch, uint32_t domid,
                                       struct xen_domctl_sched_credit2 *s)
{
	fk.sched_fn = "credit2_set";
	fk.sched_domid = domid;
	if (fake_fails(fk.sched_fn))
		return -1;
	fk.weight = s->weight;
	fk.cap = s->cap;
	return 0;
}

/* Resets the fake and opens the backend on it. */
static int setup(void **state)
{
	struct hv *hv = NULL;

	memset(&fk, 0, sizeof(fk));
	fk.cpumap_size = 2;
	if (hv_xen_open(&hv) != 0)
		return -1;
	*state = hv;
	return 0;
}

static int teardown(void **state)
{
	hv_close(*state);
	return 0;
}

static void test_open_fails_with_errno(void **state)
{
	struct hv *hv = NULL;

	fk.fail_fn = "xc_interface_open";
	fk.fail_errno = EACCES;
	assert_int_equal(hv_open(&hv, "xen", NULL), -EACCES);
	assert_null(hv);
	fk.fail_fn = NULL;
	assert_int_equal(hv_open(&hv, "xen", NULL), 0);
	assert_string_equal(hv->ops->name, "xen");
	hv_close(hv);
}

static void test_topology(void **state)
{
	struct hv *hv = *state;
	struct topo *t = calloc(1, sizeof(*t));

	fk.pi.max_cpu_id = 7;
	fk.pi.nr_cpus = 7;
	fk.ntopo = 8;
	for (unsigned i = 0; i < 8; i++)
		fk.topo[i] = (xc_cputopo_t){.core = i / 2, .socket = i / 4, .node = i / 4};
	fk.topo[6] =
	    (xc_cputopo_t){XEN_INVALID_CORE_ID, XEN_INVALID_SOCKET_ID, XEN_INVALID_NODE_ID};
	fk.topo[7].node = XEN_INVALID_NODE_ID;

	assert_int_equal(hv->ops->topology(hv, t), 0);
	assert_int_equal(fk.topo_asked, 8);
	assert_int_equal(t->nr_cpus, 8);
	for (unsigned i = 0; i < 6; i++) {
		assert_true(t->cpu[i].online);
		assert_int_equal(t->cpu[i].core, i / 2);
		assert_int_equal(t->cpu[i].socket, i / 4);
		assert_int_equal(t->cpu[i].node, i / 4);
	}
	assert_false(t->cpu[6].online);
	assert_true(t->cpu[7].online);
	assert_int_equal(t->cpu[7].core, 3);
	assert_int_equal(t->cpu[7].socket, 1);
	assert_int_equal(t->cpu[7].node, 0);

	/* Fewer entries than asked: only those exist. */
	fk.ntopo = 4;
	assert_int_equal(hv->ops->topology(hv, t), 0);
	assert_int_equal(t->nr_cpus, 4);

	fk.fail_fn = "xc_physinfo";
	fk.fail_errno = EPERM;
	assert_int_equal(hv->ops->topology(hv, t), -EPERM);
	fk.fail_fn = "xc_cputopoinfo";
	fk.fail_errno = EFAULT;
	assert_int_equal(hv->ops->topology(hv, t), -EFAULT);
	free(t);
}

/* Fills the fake with n domains, domids 0, 3, 6, ... */
static void fill_doms(unsigned n)
{
	fk.ndoms = n;
	for (unsigned i = 0; i < n; i++) {
		xc_domaininfo_t *d = &fk.doms[i];

		memset(d, 0, sizeof(*d));
		d->domain = i * 3;
		for (unsigned b = 0; b < 16; b++)
			d->handle[b] = (uint8_t)(i + b * 7);
		d->max_vcpu_id = i % 5;
		d->cpupool = i % 3;
		d->cpu_time = 1000000007ull * i;
		d->flags = XEN_DOMINF_running;
	}
}

static void test_list_domains_batches(void **state)
{
	struct hv *hv = *state;
	struct hv_dominfo *list = NULL;
	uint64_t now = 0, after;
	size_t n = 0;

	fill_doms(150);
	fk.doms[1].flags |= XEN_DOMINF_dying;
	fk.doms[2].flags |= XEN_DOMINF_shutdown;
	fk.doms[3].flags |= XEN_DOMINF_paused;
	fk.doms[4].max_vcpu_id = XEN_INVALID_MAX_VCPU_ID;
	fk.doms[149].max_vcpu_id = 127;

	assert_int_equal(hv->ops->list_domains(hv, &list, &n, &now), 0);
	after = mono_ns();
	assert_int_equal(n, 150);
	/* The clock of the listing: CLOCK_MONOTONIC, read once the last batch is in. */
	assert_true(now >= fk.call_ns[fk.ncalls - 1]);
	assert_true(now <= after);
	/* 150 domains take three batches, each starting past the last domid seen. */
	assert_int_equal(fk.ncalls, 3);
	assert_int_equal(fk.first[0], 0);
	assert_int_equal(fk.first[1], fk.doms[fk.max[0] - 1].domain + 1);
	assert_int_equal(fk.first[2], fk.doms[fk.max[0] + fk.max[1] - 1].domain + 1);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(list[i].domid, i * 3);
		for (unsigned b = 0; b < 16; b++)
			assert_int_equal(list[i].uuid[b], (uint8_t)(i + b * 7));
		assert_int_equal(list[i].cpupool, i % 3);
		assert_int_equal(list[i].cpu_time, 1000000007ull * i);
		if (i == 4)
			assert_int_equal(list[i].nr_vcpus, 0);
		else if (i == 149)
			assert_int_equal(list[i].nr_vcpus, 128);
		else
			assert_int_equal(list[i].nr_vcpus, i % 5 + 1);
		assert_int_equal(list[i].dying, i == 1);
		assert_int_equal(list[i].shutdown, i == 2);
	}
	free(list);

	/* Exactly two full batches: a third call finds nothing more. */
	fill_doms(2 * fk.max[0]);
	fk.ncalls = 0;
	assert_int_equal(hv->ops->list_domains(hv, &list, &n, NULL), 0);
	assert_int_equal(n, fk.ndoms);
	assert_int_equal(fk.ncalls, 3);
	free(list);

	fill_doms(1);
	fk.ncalls = 0;
	assert_int_equal(hv->ops->list_domains(hv, &list, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fk.ncalls, 1);
	free(list);
}

static void test_list_domains_sorted(void **state)
{
	static const uint32_t ids[] = {5, 1, 3};
	struct hv *hv = *state;
	struct hv_dominfo *list = NULL;
	size_t n = 0;

	/* Xen lists in domid order today; the header promises it whatever Xen does. */
	fill_doms(3);
	for (unsigned i = 0; i < 3; i++)
		fk.doms[i].domain = ids[i];
	assert_int_equal(hv->ops->list_domains(hv, &list, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].domid, 1);
	assert_int_equal(list[1].domid, 3);
	assert_int_equal(list[2].domid, 5);
	assert_int_equal(list[2].uuid[0], 0);
	free(list);
}

static void test_list_domains_error(void **state)
{
	struct hv *hv = *state;
	struct hv_dominfo *list = (void *)1;
	uint64_t now = 42;
	size_t n = 7;

	fill_doms(100);
	fk.fail_fn = "xc_domain_getinfolist"; /* the second batch fails */
	fk.fail_errno = EINVAL;
	assert_int_equal(hv->ops->list_domains(hv, &list, &n, &now), -EINVAL);
	assert_int_equal(fk.ncalls, 2);
	assert_ptr_equal(list, (void *)1);
	assert_int_equal(n, 7);
	assert_int_equal(now, 42);
}

static void test_cpupool_sched(void **state)
{
	static const struct {
		uint32_t id;
		enum sched_kind kind;
	} map[] = {
	    {XEN_SCHEDULER_CREDIT, SCHED_CREDIT},   {XEN_SCHEDULER_CREDIT2, SCHED_CREDIT2},
	    {XEN_SCHEDULER_RTDS, SCHED_OTHERS},     {XEN_SCHEDULER_NULL, SCHED_OTHERS},
	    {XEN_SCHEDULER_ARINC653, SCHED_OTHERS},
	};
	struct hv *hv = *state;
	enum sched_kind k;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		fk.pool_id = 2;
		fk.pool_sched = map[i].id;
		k = SCHED_UNKNOWN;
		assert_int_equal(hv->ops->cpupool_sched(hv, 2, &k), 0);
		assert_int_equal(fk.pool_asked, 2);
		assert_int_equal(k, map[i].kind);
		assert_int_equal(fk.pools_live, 0);
	}

	/* Xen answers with the next pool when the one asked for is gone. */
	fk.pool_id = 4;
	k = SCHED_UNKNOWN;
	assert_int_equal(hv->ops->cpupool_sched(hv, 3, &k), -ENOENT);
	assert_int_equal(k, SCHED_UNKNOWN);
	assert_int_equal(fk.pools_live, 0);

	fk.fail_fn = "xc_cpupool_getinfo";
	fk.fail_errno = EACCES;
	assert_int_equal(hv->ops->cpupool_sched(hv, 0, &k), -EACCES);
}

static void test_get_affinity(void **state)
{
	struct hv *hv = *state;
	struct cpumap m;

	fk.aff[0] = 0x0f;
	fk.aff[1] = 0x81;
	memset(&m, 0xff, sizeof(m));
	assert_int_equal(hv->ops->get_affinity(hv, 7, 3, &m, NULL), 0);
	assert_int_equal(fk.aff_domid, 7);
	assert_int_equal(fk.aff_vcpu, 3);
	assert_int_equal(fk.aff_flags, XEN_VCPUAFFINITY_HARD);
	assert_null(fk.aff_soft);
	assert_int_equal(cpumap_count(&m), 6);
	for (unsigned c = 0; c < 4; c++)
		assert_true(cpumap_test(&m, c));
	assert_true(cpumap_test(&m, 8));
	assert_true(cpumap_test(&m, 15));

	fk.fail_fn = "xc_vcpu_getaffinity";
	fk.fail_errno = ESRCH;
	assert_int_equal(hv->ops->get_affinity(hv, 99, 0, &m, NULL), -ESRCH);
}

static void test_set_affinity(void **state)
{
	struct hv *hv = *state;
	struct cpumap m;

	cpumap_zero(&m);
	cpumap_set(&m, 1);
	cpumap_set(&m, 3);
	cpumap_set(&m, 9);
	assert_int_equal(hv->ops->set_affinity(hv, 5, 2, &m, NULL), 0);
	assert_int_equal(fk.aff_domid, 5);
	assert_int_equal(fk.aff_vcpu, 2);
	assert_int_equal(fk.aff_flags, XEN_VCPUAFFINITY_HARD);
	assert_null(fk.aff_soft);
	assert_int_equal(fk.aff_set[0], 0x0a);
	assert_int_equal(fk.aff_set[1], 0x02);

	/* A cpu past the hypervisor's cpumap is refused, not silently dropped. */
	fk.aff_calls = 0;
	cpumap_set(&m, 16);
	assert_int_equal(hv->ops->set_affinity(hv, 5, 2, &m, NULL), -EINVAL);
	assert_int_equal(fk.aff_calls, 0);

	cpumap_clear(&m, 16);
	fk.fail_fn = "xc_vcpu_setaffinity";
	fk.fail_errno = EINVAL;
	assert_int_equal(hv->ops->set_affinity(hv, 5, 2, &m, NULL), -EINVAL);
	assert_int_equal(fk.aff_calls, 1);
	fk.fail_errno = EBUSY;
	assert_int_equal(hv->ops->set_affinity(hv, 5, 2, &m, NULL), -EBUSY);

	/* The cpumap size comes from libxenctrl; its failure is reported too. */
	hv_close(hv);
	*state = NULL;
	assert_int_equal(hv_xen_open(&hv), 0);
	*state = hv;
	fk.fail_fn = "xc_get_cpumap_size";
	fk.fail_errno = ENOMEM;
	assert_int_equal(hv->ops->set_affinity(hv, 5, 2, &m, NULL), -ENOMEM);
}

/* Soft affinity goes with the hard one in the same domctl, both flags set. */
static void test_soft_affinity(void **state)
{
	struct hv *hv = *state;
	struct cpumap hard, soft;

	fk.aff[0] = 0x0c;
	fk.aff[1] = 0;
	fk.aff_soft_in[0] = 0x0f;
	fk.aff_soft_in[1] = 0;
	fk.aff_calls = 0;
	assert_int_equal(hv->ops->get_affinity(hv, 4, 1, &hard, &soft), 0);
	assert_int_equal(fk.aff_calls, 1);
	assert_int_equal(fk.aff_flags, XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT);
	assert_non_null(fk.aff_soft);
	assert_int_equal(cpumap_count(&hard), 2);
	assert_true(cpumap_test(&hard, 2) && cpumap_test(&hard, 3));
	assert_int_equal(cpumap_count(&soft), 4);

	cpumap_zero(&hard);
	cpumap_set(&hard, 2);
	cpumap_zero(&soft);
	cpumap_set(&soft, 2);
	cpumap_set(&soft, 3);
	assert_int_equal(hv->ops->set_affinity(hv, 4, 1, &hard, &soft), 0);
	assert_int_equal(fk.aff_calls, 2);
	assert_int_equal(fk.aff_flags, XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT);
	assert_int_equal(fk.aff_set[0], 0x04);
	assert_int_equal(fk.aff_soft_set[0], 0x0c);
}

/* Node affinity: xc_domain_node_{get,set}affinity on a nodemap of libxenctrl's size. */
static void test_node_affinity(void **state)
{
	struct hv *hv = *state;
	struct cpumap nodes;

	assert_non_null(hv->ops->get_node_affinity);
	assert_non_null(hv->ops->set_node_affinity);
	fk.nodemap_size = 1;
	fk.nodes[0] = 0x02;
	assert_int_equal(hv->ops->get_node_affinity(hv, 6, &nodes), 0);
	assert_int_equal(fk.nodes_domid, 6);
	assert_int_equal(cpumap_count(&nodes), 1);
	assert_true(cpumap_test(&nodes, 1));

	cpumap_zero(&nodes);
	cpumap_set(&nodes, 0);
	assert_int_equal(hv->ops->set_node_affinity(hv, 6, &nodes), 0);
	assert_int_equal(fk.nodes_set[0], 0x01);
	/* A node past libxenctrl's nodemap is refused, not dropped. */
	cpumap_set(&nodes, 9);
	assert_int_equal(hv->ops->set_node_affinity(hv, 6, &nodes), -EINVAL);

	fk.fail_fn = "xc_domain_node_setaffinity";
	fk.fail_errno = ESRCH;
	cpumap_clear(&nodes, 9);
	assert_int_equal(hv->ops->set_node_affinity(hv, 6, &nodes), -ESRCH);
	fk.fail_fn = "xc_domain_node_getaffinity";
	fk.fail_errno = EPERM;
	assert_int_equal(hv->ops->get_node_affinity(hv, 6, &nodes), -EPERM);
}

static void test_set_sched_by_kind(void **state)
{
	struct hv *hv = *state;

	assert_int_equal(hv->ops->set_sched(hv, 4, SCHED_CREDIT, 512, 50), 0);
	assert_string_equal(fk.sched_fn, "credit_set");
	assert_int_equal(fk.sched_domid, 4);
	assert_int_equal(fk.weight, 512);
	assert_int_equal(fk.cap, 50);

	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_CREDIT2, 65535, 0), 0);
	assert_string_equal(fk.sched_fn, "credit2_set");
	assert_int_equal(fk.sched_domid, 6);
	assert_int_equal(fk.weight, 65535);
	assert_int_equal(fk.cap, 0);

	/* credit1's "cap unchanged" value passes through untouched. */
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_CREDIT, 0, 0xffff), 0);
	assert_string_equal(fk.sched_fn, "credit_set");
	assert_int_equal(fk.weight, 0);
	assert_int_equal(fk.cap, 0xffff);

	fk.sched_fn = NULL;
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_CREDIT2, 65536, 0), -EINVAL);
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_CREDIT, 1, 70000), -EINVAL);
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_OTHERS, 1, 0), -EOPNOTSUPP);
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_UNKNOWN, 1, 0), -EOPNOTSUPP);
	assert_null(fk.sched_fn);

	fk.fail_fn = "credit2_set";
	fk.fail_errno = ESRCH;
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_CREDIT2, 1, 0), -ESRCH);
	fk.fail_fn = "credit_set";
	fk.fail_errno = EINVAL;
	assert_int_equal(hv->ops->set_sched(hv, 6, SCHED_CREDIT, 1, 0), -EINVAL);
}

static void test_get_sched_by_kind(void **state)
{
	struct hv *hv = *state;
	unsigned w = 0, c = 0;

	fk.weight = 300;
	fk.cap = 25;
	assert_int_equal(hv->ops->get_sched(hv, 9, SCHED_CREDIT, &w, &c), 0);
	assert_string_equal(fk.sched_fn, "credit_get");
	assert_int_equal(fk.sched_domid, 9);
	assert_int_equal(w, 300);
	assert_int_equal(c, 25);

	fk.weight = 1000;
	fk.cap = 0;
	assert_int_equal(hv->ops->get_sched(hv, 9, SCHED_CREDIT2, &w, &c), 0);
	assert_string_equal(fk.sched_fn, "credit2_get");
	assert_int_equal(w, 1000);
	assert_int_equal(c, 0);

	assert_int_equal(hv->ops->get_sched(hv, 9, SCHED_OTHERS, &w, &c), -EOPNOTSUPP);
	fk.fail_fn = "credit2_get";
	fk.fail_errno = EINVAL;
	assert_int_equal(hv->ops->get_sched(hv, 9, SCHED_CREDIT2, &w, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_fails_with_errno, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_topology, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_domains_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_domains_sorted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_domains_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cpupool_sched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_affinity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_affinity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_soft_affinity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_affinity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_sched_by_kind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_sched_by_kind, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
