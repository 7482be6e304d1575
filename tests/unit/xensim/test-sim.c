/* Unit tests of xensim's hypervisor model (sim.c, sim-run.c) and its JSON ops (simctl.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xensim/cli.h"
#include "core/uuid.h"
#include "xensim/sim.h"
#include "xensim/simctl.h"

#include "sim-fixture.h"

/* A recording xenstore: every call as one line, and the sim's state at each special watch. */
struct fake_xs {
	struct sim *sim;
	char log[64][160];
	size_t n;
	int fail_write_at; /* fail the n-th write (1-based); 0 = never */
	int writes;
	/* what a watcher of @introduceDomain / @releaseDomain would see */
	bool intro_seen;
	unsigned intro_weight, intro_cap;
	struct cpumap intro_hard;
	unsigned intro_pause_count;
	bool release_seen_dying;
};

static void logf_(struct fake_xs *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(struct fake_xs *f, const char *fmt, ...)
{
	va_list ap;

	assert_true(f->n < 64);
	va_start(ap, fmt);
	vsnprintf(f->log[f->n++], sizeof(f->log[0]), fmt, ap);
	va_end(ap);
}

static int fx_write(void *ctx, const char *path, const char *value)
{
	struct fake_xs *f = ctx;

	if (++f->writes == f->fail_write_at)
		return -EACCES;
	logf_(f, "write %s=%s", path, value);
	return 0;
}

static int fx_set_perms(void *ctx, const char *path, const char *perms)
{
	logf_(ctx, "perms %s %s", path, perms);
	return 0;
}

static int fx_rm(void *ctx, const char *path)
{
	logf_(ctx, "rm %s", path);
	return 0;
}

static void fx_fire(void *ctx, const char *special)
{
	struct fake_xs *f = ctx;
	const struct sim_dom *d;

	logf_(f, "fire %s", special);
	if (f->sim == NULL)
		return;
	if (strcmp(special, "@introduceDomain") == 0) {
		d = sim_dom_at(f->sim, sim_nr_doms(f->sim) - 1);
		f->intro_seen = true;
		f->intro_weight = d->weight;
		f->intro_cap = d->cap;
		f->intro_hard = d->vcpu[0].hard;
		f->intro_pause_count = d->pause_count;
	} else {
		for (size_t i = 0; i < sim_nr_doms(f->sim); i++)
			if (sim_dom_at(f->sim, i)->dying)
				f->release_seen_dying = true;
	}
}

static const struct sim_xs_ops fx_ops = {fx_write, fx_set_perms, fx_rm, fx_fire};

static struct sim *boot(unsigned s, unsigned c, unsigned t, enum sim_sched sched, struct fake_xs *f)
{
	struct topo topo;
	struct sim *sim;

	assert_int_equal(topo_uniform(&topo, s, c, t, 1), 0);
	assert_int_equal(sim_new(&sim, &topo, sched, f ? &fx_ops : NULL, f), 0);
	if (f)
		f->sim = sim;
	return sim;
}

static void test_boot(void **state)
{
	struct fake_xs f = {0};
	struct sim *s = boot(2, 2, 2, SIM_SCHED_CREDIT2, &f);
	const struct sim_dom *d0 = sim_dom_find(s, 0);
	struct cpumap all;
	char uuid[37];

	assert_non_null(d0);
	assert_string_equal(d0->name, "Domain-0");
	assert_int_equal(d0->nr_vcpus, 8);
	assert_int_equal(d0->weight, 256);
	assert_int_equal(d0->cap, 0);
	assert_int_equal(d0->pause_count, 0);
	cpumap_fill(&all, 8);
	for (unsigned v = 0; v < 8; v++)
		assert_true(cpumap_equal(&d0->vcpu[v].hard, &all));
	assert_int_equal(f.n, 3);
	assert_string_equal(f.log[0], "write /local/domain/0=");
	assert_string_equal(f.log[1], "write /local/domain/0/name=Domain-0");
	assert_string_equal(f.log[2], "write /local/domain/0/domid=0");
	uuid_format(d0->uuid, uuid);
	assert_int_equal(strlen(uuid), 36);
	assert_int_equal(uuid[14], '4');
	assert_true(cpumap_equal(sim_online(s), &all));
	sim_free(s);
}

static void test_affinity_rules(void **state)
{
	struct topo topo;
	struct sim *s;
	struct cpumap m, eff, got;
	struct perr e = {0};
	uint32_t id;

	assert_int_equal(topo_uniform(&topo, 1, 4, 1, 1), 0);
	topo.cpu[3].online = false;
	assert_int_equal(sim_new(&s, &topo, SIM_SCHED_CREDIT2, NULL, NULL), 0);
	id = simfx_create(s, "vm", 2, 0, 0, NULL);

	m = simfx_cpus("3");
	assert_int_equal(sim_set_affinity(s, id, 0, &m, &eff, &e), -EINVAL);
	assert_int_equal(sim_set_affinity(s, 77, 0, &m, &eff, &e), -ESRCH);
	m = simfx_cpus("1");
	assert_int_equal(sim_set_affinity(s, id, 2, &m, &eff, &e), -EINVAL);
	cpumap_zero(&m);
	assert_int_equal(sim_set_affinity(s, id, 0, &m, &eff, &e), -EINVAL);
	/* nothing changed by the refusals */
	assert_int_equal(sim_get_affinity(s, id, 0, &got, NULL, &e), 0);
	assert_true(simfx_same(&got, "0-3"));

	/* "all" means the host's cpus, not CPUMAP_MAX of them */
	m = simfx_cpus("all");
	assert_int_equal(sim_set_affinity(s, id, 0, &m, &eff, &e), 0);
	assert_true(simfx_same(&eff, "0-2"));
	assert_int_equal(sim_get_affinity(s, id, 0, &got, NULL, &e), 0);
	assert_true(simfx_same(&got, "0-3"));

	/* the effective set drops offline cpus; get returns what was set, cpus >= nr dropped */
	m = simfx_cpus("2-3,9");
	assert_int_equal(sim_set_affinity(s, id, 1, &m, &eff, &e), 0);
	assert_true(simfx_same(&eff, "2"));
	assert_int_equal(sim_get_affinity(s, id, 1, &got, NULL, &e), 0);
	assert_true(simfx_same(&got, "2-3"));
	/* a create's cpus beyond the host are dropped too */
	assert_true(simfx_same(
	    &sim_dom_find(s, simfx_create(s, "vm2", 1, 0, 0, "2,100"))->vcpu[0].hard, "2"));
	assert_int_equal(sim_get_affinity(s, id, 5, &got, NULL, &e), -EINVAL);
	assert_int_equal(sim_get_affinity(s, 99, 0, &got, NULL, &e), -ESRCH);
	sim_free(s);
}

static void test_sched_credit1(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT, NULL);
	struct perr e = {0};
	unsigned w, c;
	uint32_t id = simfx_create(s, "vm", 2, 0, 0, NULL);

	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), 0);
	assert_int_equal(w, 256);
	assert_int_equal(c, 0);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 1000, 150, &e), 0);
	/* weight 0 and cap 0xFFFF: unchanged */
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 0, 0xFFFF, &e), 0);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), 0);
	assert_int_equal(w, 1000);
	assert_int_equal(c, 150);
	/* cap 0 clears */
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 0, 0, &e), 0);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), 0);
	assert_int_equal(c, 0);
	/* out of range: refused with nothing changed */
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 65536, 0, &e), -EINVAL);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, -1, 0, &e), -EINVAL);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 7, -5, &e), -EINVAL);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 7, 0x10000, &e), -EINVAL);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), 0);
	assert_int_equal(w, 1000);
	assert_int_equal(c, 0);
	/* credit1 itself takes a cap above 100 * vCPUs (only libxl checks it), as real Xen does */
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 7, 201, &e), 0);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), 0);
	assert_int_equal(c, 201);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT, 65535, 200, &e), 0);
	/* the wrong scheduler */
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT2, &w, &c, &e), -EINVAL);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 5, 0, &e), -EINVAL);
	assert_int_equal(sim_set_sched(s, 42, SIM_SCHED_CREDIT, 5, 0, &e), -ESRCH);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), 0);
	assert_int_equal(w, 65535);
	assert_int_equal(c, 200);
	sim_free(s);
}

static void test_sched_credit2(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct perr e = {0};
	unsigned w, c;
	uint32_t id = simfx_create(s, "vm", 2, 0, 0, NULL);

	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 512, 120, &e), 0);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 0, 120, &e), 0);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT2, &w, &c, &e), 0);
	assert_int_equal(w, 512);
	assert_int_equal(c, 120);
	/* credit2 has no "unchanged" cap: 0 clears, 0xFFFF is just too big */
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 0, 0, &e), 0);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT2, &w, &c, &e), 0);
	assert_int_equal(c, 0);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 0, 0xFFFF, &e), -EINVAL);
	/* csched2_dom_cntl() stores the weight before it refuses the cap */
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 300, 201, &e), -EINVAL);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT2, &w, &c, &e), 0);
	assert_int_equal(w, 300);
	assert_int_equal(c, 0);
	assert_int_equal(sim_set_sched(s, id, SIM_SCHED_CREDIT2, 70000, 0, &e), -EINVAL);
	assert_int_equal(sim_get_sched(s, id, SIM_SCHED_CREDIT, &w, &c, &e), -EINVAL);
	sim_free(s);
}

static void test_counters(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	const struct sim_counters *k = sim_counters(s);
	struct perr e = {0};
	struct cpumap m = simfx_cpus("1"), got;
	enum sim_sched sched;
	unsigned w, c;
	uint64_t ns;

	assert_int_equal(sim_set_affinity(s, 0, 0, &m, NULL, &e), 0);
	assert_int_equal(sim_set_affinity(s, 0, 99, &m, NULL, &e), -EINVAL);
	assert_int_equal(sim_set_sched(s, 0, SIM_SCHED_CREDIT2, 10, 0, &e), 0);
	assert_int_equal(sim_get_affinity(s, 0, 0, &got, NULL, &e), 0);
	assert_int_equal(sim_get_sched(s, 0, SIM_SCHED_CREDIT2, &w, &c, &e), 0);
	assert_int_equal(sim_vcpu_time(s, 0, 0, &ns, &e), 0);
	assert_int_equal(sim_vcpu_time(s, 0, 4, &ns, &e), -EINVAL);
	assert_int_equal(sim_cpupool(s, 0, &sched, &got, &e), 0);
	assert_int_equal(sched, SIM_SCHED_CREDIT2);
	assert_true(simfx_same(&got, "0-3"));
	assert_int_equal(sim_cpupool(s, 1, &sched, &got, &e), -ENOENT);
	sim_topology(s);
	sim_domains(s, 0, 0, NULL, NULL);

	assert_int_equal(k->set_affinity, 2);
	assert_int_equal(k->set_sched, 1);
	assert_int_equal(k->writes, 2);
	assert_int_equal(k->get_affinity, 1);
	assert_int_equal(k->get_sched, 1);
	assert_int_equal(k->vcpu_time, 2);
	assert_int_equal(k->cpupool, 2);
	assert_int_equal(k->topology, 1);
	assert_int_equal(k->domains, 1);
	assert_int_equal(k->reads, 8);
	assert_int_equal(k->failed, 3);
	/* control ops are not counted */
	simfx_create(s, "vm", 1, 0, 0, NULL);
	assert_int_equal(k->reads + k->writes + k->failed, 13);
	sim_reset_counters(s);
	assert_int_equal(k->reads + k->writes + k->failed + k->set_affinity + k->set_sched, 0);
	sim_free(s);
}

static void test_faults(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	const struct sim_counters *k = sim_counters(s);
	struct perr e = {0};
	struct cpumap m = simfx_cpus("2"), got;
	uint32_t a = simfx_create(s, "a", 1, 0, 0, NULL), b = simfx_create(s, "b", 1, 0, 0, NULL);

	assert_int_equal(sim_fault(s, SIM_FAULT_SET_AFFINITY, EBUSY, 2, -1, &e), 0);
	assert_int_equal(sim_fault(s, SIM_FAULT_SET_SCHED, EIO, 1, b, &e), 0);
	assert_int_equal(sim_fault(s, SIM_FAULT_SET_SCHED, 0, 1, -1, &e), -EINVAL);

	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), -EBUSY);
	/* a fault fires before any other check, and has no effect */
	assert_int_equal(sim_set_affinity(s, 99, 0, &m, NULL, &e), -EBUSY);
	assert_int_equal(sim_get_affinity(s, a, 0, &got, NULL, &e), 0);
	assert_true(simfx_same(&got, "0-3"));
	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), 0);

	/* domid-filtered */
	assert_int_equal(sim_set_sched(s, a, SIM_SCHED_CREDIT2, 5, 0, &e), 0);
	assert_int_equal(sim_set_sched(s, b, SIM_SCHED_CREDIT2, 5, 0, &e), -EIO);
	assert_int_equal(sim_dom_find(s, b)->weight, 256);
	assert_int_equal(sim_set_sched(s, b, SIM_SCHED_CREDIT2, 5, 0, &e), 0);
	assert_int_equal(k->writes, 3);
	assert_int_equal(k->failed, 3);

	/* count 0 removes pending faults */
	assert_int_equal(sim_fault(s, SIM_FAULT_SET_AFFINITY, EBUSY, 5, -1, &e), 0);
	assert_int_equal(sim_fault(s, SIM_FAULT_SET_AFFINITY, 0, 0, -1, &e), 0);
	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), 0);
	sim_free(s);
}

/* A slow call takes effect; its delay is handed to the server once, and count bounds it. */
static void test_slow(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct perr e = {0};
	struct cpumap m = simfx_cpus("2"), got;
	uint32_t a = simfx_create(s, "a", 1, 0, 0, NULL);

	assert_int_equal(sim_slow(s, SIM_FAULT_SET_AFFINITY, 0, 1, -1, &e), -EINVAL);
	assert_int_equal(sim_slow(s, SIM_FAULT_SET_AFFINITY, SIM_SLOW_MS_MAX + 1, 1, -1, &e),
	                 -EINVAL);
	assert_int_equal(sim_slow(s, SIM_FAULT_SET_AFFINITY, 300, 1, -1, &e), 0);
	assert_int_equal(sim_take_delay(s), 0);
	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), 0);
	assert_int_equal(sim_get_affinity(s, a, 0, &got, NULL, &e), 0);
	assert_true(simfx_same(&got, "2"));
	assert_int_equal(sim_take_delay(s), 300);
	assert_int_equal(sim_take_delay(s), 0);
	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), 0);
	assert_int_equal(sim_take_delay(s), 0);
	/* count 0 removes slow calls too */
	assert_int_equal(sim_slow(s, SIM_FAULT_SET_SCHED, 100, 3, a, &e), 0);
	assert_int_equal(sim_slow(s, SIM_FAULT_SET_SCHED, 100, 0, -1, &e), 0);
	assert_int_equal(sim_set_sched(s, a, SIM_SCHED_CREDIT2, 5, 0, &e), 0);
	assert_int_equal(sim_take_delay(s), 0);
	sim_free(s);
}

static void test_create_order(void **state)
{
	struct fake_xs f = {0};
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, &f);
	struct cpumap hard = simfx_cpus("2-3");
	struct sim_create c = {.name = "vm1",
	                       .vcpus = 2,
	                       .pool = "web",
	                       .weight = 512,
	                       .cap = 50,
	                       .hard = &hard,
	                       .paused = true};
	struct perr e = {0};
	const struct sim_dom *d;
	uint32_t id;

	f.n = 0;
	assert_int_equal(sim_create(s, &c, &id, &e), 0);
	assert_int_equal(id, 1);
	assert_int_equal(f.n, 6);
	assert_string_equal(f.log[0], "write /local/domain/1=");
	assert_string_equal(f.log[1], "perms /local/domain/1 n0 r1");
	assert_string_equal(f.log[2], "write /local/domain/1/name=vm1");
	assert_string_equal(f.log[3], "write /local/domain/1/domid=1");
	assert_string_equal(f.log[4], "write /local/domain/1/pool=web");
	assert_string_equal(f.log[5], "fire @introduceDomain");
	/* pinned and weighted before the introduction; paused until the toolstack says */
	assert_true(f.intro_seen);
	assert_int_equal(f.intro_weight, 512);
	assert_int_equal(f.intro_cap, 50);
	assert_true(cpumap_equal(&f.intro_hard, &hard));
	assert_int_equal(f.intro_pause_count, 1);
	d = sim_dom_find(s, id);
	assert_int_equal(d->pause_count, 1);

	/* a guest-owned pool key; an unpaused domain */
	f.n = 0;
	c = (struct sim_create){.name = "vm2", .pool = "web", .pool_owner = SIM_POOL_OWNER_GUEST};
	assert_int_equal(sim_create(s, &c, &id, &e), 0);
	assert_int_equal(id, 2);
	assert_string_equal(f.log[4], "write /local/domain/2/pool=web");
	assert_string_equal(f.log[5], "perms /local/domain/2/pool n2");
	assert_string_equal(f.log[6], "fire @introduceDomain");
	assert_int_equal(f.intro_pause_count, 1);
	d = sim_dom_find(s, id);
	assert_int_equal(d->pause_count, 0);
	assert_int_equal(d->nr_vcpus, 1);
	assert_int_equal(d->weight, 256);

	/* destroy: nodes go, then the release, while still listed dying */
	f.n = 0;
	assert_int_equal(sim_destroy(s, 1, &e), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.log[0], "rm /local/domain/1");
	assert_string_equal(f.log[1], "fire @releaseDomain");
	assert_true(f.release_seen_dying);
	assert_int_equal(sim_destroy(s, 1, &e), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(sim_destroy(s, 0, &e), -EINVAL);
	assert_int_equal(sim_destroy(s, 9, &e), -ESRCH);
	sim_free(s);
}

static void test_create_refused(void **state)
{
	struct fake_xs f = {0};
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, &f);
	struct cpumap none;
	struct sim_create c = {.name = "vm1"};
	struct perr e = {0};
	uint32_t id;

	simfx_create(s, "vm1", 1, 0, 0, NULL);
	assert_int_equal(sim_create(s, &c, &id, &e), -EEXIST);
	c.name = "a/b";
	assert_int_equal(sim_create(s, &c, &id, &e), -EINVAL);
	c.name = "";
	assert_int_equal(sim_create(s, &c, &id, &e), -EINVAL);
	c = (struct sim_create){.name = "x", .vcpus = 2, .cap = 201};
	assert_int_equal(sim_create(s, &c, &id, &e), -EINVAL);
	c = (struct sim_create){.name = "x", .weight = 65536};
	assert_int_equal(sim_create(s, &c, &id, &e), -EINVAL);
	cpumap_zero(&none);
	cpumap_set(&none, 7);
	c = (struct sim_create){.name = "x", .hard = &none};
	assert_int_equal(sim_create(s, &c, &id, &e), -EINVAL);
	assert_int_equal(sim_nr_doms(s), 2);
	/* a xenstore failure undoes the domain */
	f.fail_write_at = f.writes + 2;
	c = (struct sim_create){.name = "x"};
	assert_int_equal(sim_create(s, &c, &id, &e), -EACCES);
	assert_int_equal(sim_nr_doms(s), 2);
	assert_string_equal(f.log[f.n - 1], "rm /local/domain/2");
	sim_free(s);
}

static void count_dom(const struct sim_dom *d, void *arg)
{
	int *n = arg;

	(*n)++;
	if (d->dying)
		*n += 100;
}

static void test_dying_then_dropped(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct perr e = {0};
	struct cpumap m = simfx_cpus("1");
	uint32_t a = simfx_create(s, "a", 1, 0, 0, NULL);
	int n = 0;

	simfx_create(s, "b", 1, 0, 0, NULL);
	assert_int_equal(sim_destroy(s, a, &e), 0);
	/* still there, dying, and hypercalls still reach it */
	assert_non_null(sim_dom_find(s, a));
	assert_null(sim_dom_by_name(s, "a"));
	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), 0);
	sim_domains(s, 0, 0, count_dom, &n);
	assert_int_equal(n, 3 + 100);
	n = 0;
	sim_domains(s, 0, 0, count_dom, &n);
	assert_int_equal(n, 2);
	assert_null(sim_dom_find(s, a));
	assert_int_equal(sim_set_affinity(s, a, 0, &m, NULL, &e), -ESRCH);
	/* domids are not reused at once: Xen's rover moves on */
	assert_int_equal(simfx_create(s, "a", 1, 0, 0, NULL), 3);
	sim_free(s);
}

static void test_pause(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct perr e = {0};
	uint32_t a = simfx_create(s, "a", 1, 0, 0, NULL);

	assert_int_equal(sim_pause(s, 0, true, &e), -EINVAL);
	assert_int_equal(sim_pause(s, a, false, &e), -EINVAL);
	assert_int_equal(sim_pause(s, a, true, &e), 0);
	assert_int_equal(sim_pause(s, a, true, &e), 0);
	assert_int_equal(sim_pause(s, a, false, &e), 0);
	assert_int_equal(sim_dom_find(s, a)->pause_count, 1);
	assert_int_equal(sim_pause(s, 8, true, &e), -ESRCH);
	sim_free(s);
}

static void test_uuid(void **state)
{
	struct sim *s1 = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct sim *s2 = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	uint32_t a = simfx_create(s1, "a", 1, 0, 0, NULL), b = simfx_create(s1, "b", 1, 0, 0, NULL);

	/* deterministic: the same history gives the same uuids */
	assert_int_equal(simfx_create(s2, "a", 1, 0, 0, NULL), a);
	assert_memory_equal(sim_dom_find(s1, a)->uuid, sim_dom_find(s2, a)->uuid, 16);
	/* and every domain its own */
	assert_memory_not_equal(sim_dom_find(s1, a)->uuid, sim_dom_find(s1, 0)->uuid, 16);
	assert_memory_not_equal(sim_dom_find(s1, a)->uuid, sim_dom_find(s1, b)->uuid, 16);
	sim_free(s1);
	sim_free(s2);
}

static void test_uuid_parse(void **state)
{
	static const uint8_t want[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	static const char *const bad[] = {
	    "",
	    "00112233-4455-6677-8899-aabbccddeef",   /* 35 */
	    "00112233-4455-6677-8899-aabbccddeeff0", /* 37 */
	    "0011223-34455-6677-8899-aabbccddeeff",  /* a dash one early */
	    "00112233-4455-6677-8899_aabbccddeeff",  /* not a dash */
	    "00112233-4455-6677-88990aabbccddeeff",  /* no dash at 23 */
	    "0011223g-4455-6677-8899-aabbccddeeff",  /* not hex */
	    "00112233-4455-6677-8899-aabbccdd ee ",
	};
	uint8_t u[16], keep[16];
	char text[37];

	assert_int_equal(uuid_parse("00112233-4455-6677-8899-aabbccddeeff", u), 0);
	assert_memory_equal(u, want, 16);
	uuid_format(u, text);
	assert_string_equal(text, "00112233-4455-6677-8899-aabbccddeeff");
	memset(u, 0, sizeof(u));
	assert_int_equal(uuid_parse("00112233-4455-6677-8899-AABBCCDDEEFF", u), 0);
	assert_memory_equal(u, want, 16);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(keep, u, 16);
		assert_int_equal(uuid_parse(bad[i], u), -EINVAL);
		/* a refused text leaves the output alone */
		assert_memory_equal(u, keep, 16);
	}
}

/* A guest reboots: destroyed, then created again with its uuid; it gets a new domid. */
static void test_uuid_given(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct perr e = {0};
	uint8_t u[16], dom0[16];
	struct sim_create c = {.name = "vm", .uuid = u};
	uint32_t a, b, x;
	int n = 0;

	assert_int_equal(uuid_parse("6c1ad5b8-0a2e-4d6f-9b3e-12ab34cd56ef", u), 0);
	assert_int_equal(sim_create(s, &c, &a, &e), 0);
	assert_memory_equal(sim_dom_find(s, a)->uuid, u, 16);
	/* a live domain's uuid is refused, under another name too, and changes nothing */
	c.name = "other";
	assert_int_equal(sim_create(s, &c, &x, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "6c1ad5b8-0a2e-4d6f-9b3e-12ab34cd56ef"));
	assert_null(sim_dom_by_name(s, "other"));
	assert_int_equal(sim_nr_doms(s), 2);
	memcpy(dom0, sim_dom_find(s, 0)->uuid, 16);
	c = (struct sim_create){.name = "other", .uuid = dom0};
	assert_int_equal(sim_create(s, &c, &x, &e), -EEXIST);
	/* destroyed: while it is still listed, dying, its uuid is free again */
	assert_int_equal(sim_destroy(s, a, &e), 0);
	c = (struct sim_create){.name = "vm", .uuid = u};
	assert_int_equal(sim_create(s, &c, &b, &e), 0);
	assert_int_not_equal(b, a);
	assert_memory_equal(sim_dom_find(s, b)->uuid, u, 16);
	assert_true(sim_dom_find(s, a)->dying);
	sim_domains(s, 0, 0, count_dom, &n);
	assert_int_equal(n, 3 + 100);
	assert_null(sim_dom_find(s, a));
	/* a domain created without one still gets its own */
	x = simfx_create(s, "plain", 1, 0, 0, NULL);
	assert_memory_not_equal(sim_dom_find(s, x)->uuid, u, 16);
	sim_free(s);
}

/* The uuid a create derives skips one that an earlier create was given. */
static void test_uuid_derived_skips_given(void **state)
{
	struct sim *s1 = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct sim *s2 = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	struct perr e = {0};
	uint8_t taken[16];
	struct sim_create c = {.name = "first", .uuid = taken};
	uint32_t a, b;

	/* what s1 derives for its second domain (domid 2, second create)... */
	simfx_create(s1, "x", 1, 0, 0, NULL);
	memcpy(taken, sim_dom_find(s1, simfx_create(s1, "y", 1, 0, 0, NULL))->uuid, 16);
	/* ...s2 is given for its first: its second must derive another */
	assert_int_equal(sim_create(s2, &c, &a, &e), 0);
	b = simfx_create(s2, "second", 1, 0, 0, NULL);
	assert_int_equal(b, 2);
	assert_memory_equal(sim_dom_find(s2, a)->uuid, taken, 16);
	assert_memory_not_equal(sim_dom_find(s2, b)->uuid, taken, 16);
	sim_free(s1);
	sim_free(s2);
}

/* Sends one request line through the JSON layer and returns the reply. */
static json_t *ask(struct sim *s, const char *line)
{
	char *text = simctl_answer(s, NULL, line, strlen(line));
	json_t *r;

	assert_non_null(text);
	r = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(r);
	return r;
}

static int err_of(json_t *r)
{
	json_t *e = json_object_get(r, "error");

	return e ? (int)json_integer_value(json_object_get(e, "errno")) : 0;
}

static void test_json_ops(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT, NULL);
	json_t *r;

	r = ask(s,
	        "{\"op\":\"create\",\"name\":\"vm\",\"vcpus\":2,\"hard\":\"1-2\",\"paused\":true}");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "ok"), "domid")), 1);
	json_decref(r);
	r = ask(s, "{\"op\":\"set_affinity\",\"domid\":1,\"vcpu\":1,\"hard\":\"0-7\"}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "ok"), "hard")),
	                    "0-3");
	json_decref(r);
	r = ask(s, "{\"op\":\"get_affinity\",\"domid\":1,\"vcpu\":0}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "ok"), "hard")),
	                    "1-2");
	json_decref(r);
	r = ask(s, "{\"op\":\"set_affinity\",\"domid\":1,\"vcpu\":0,\"hard\":\"\"}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"get_sched\",\"domid\":1,\"sched\":\"credit2\"}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"set_sched\",\"domid\":1,\"sched\":\"credit\",\"weight\":9,"
	           "\"cap\":65535}");
	assert_int_equal(err_of(r), 0);
	json_decref(r);
	/* strict arguments, unknown ops, bad JSON */
	r = ask(s, "{\"op\":\"get_sched\",\"domid\":1,\"sched\":\"credit\",\"extra\":1}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"get_sched\",\"domid\":\"1\",\"sched\":\"credit\"}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"reboot\"}");
	assert_int_equal(err_of(r), ENOSYS);
	json_decref(r);
	r = ask(s, "{\"op\":");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"fault\",\"target\":\"set_sched\",\"errno\":5}");
	assert_int_equal(err_of(r), 0);
	json_decref(r);
	r = ask(s,
	        "{\"op\":\"set_sched\",\"domid\":1,\"sched\":\"credit\",\"weight\":9,\"cap\":0}");
	assert_int_equal(err_of(r), EIO);
	json_decref(r);
	r = ask(s, "{\"op\":\"show\"}");
	{
		json_t *ok = json_object_get(r, "ok"), *k = json_object_get(ok, "counters");
		json_t *d1 = json_array_get(json_object_get(ok, "domains"), 1);

		assert_string_equal(json_string_value(json_object_get(ok, "sched")), "credit");
		assert_int_equal(json_array_size(json_object_get(ok, "cpus")), 4);
		assert_int_equal(json_integer_value(json_object_get(k, "writes")), 2);
		assert_int_equal(json_integer_value(json_object_get(k, "set_sched")), 2);
		assert_int_equal(json_integer_value(json_object_get(d1, "weight")), 9);
		assert_true(json_is_true(json_object_get(d1, "paused")));
		assert_int_equal(json_array_size(json_object_get(d1, "vcpus")), 2);
		assert_int_equal(json_integer_value(json_object_get(d1, "cpu_time")), 0);
		assert_int_equal(json_integer_value(json_object_get(ok, "now_ns")), 0);
	}
	json_decref(r);
	/* a guest's load: 0..100, ESRCH for an unknown domain, shown per domain */
	r = ask(s, "{\"op\":\"load\",\"domid\":1,\"load\":101}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"load\",\"domid\":7,\"load\":50}");
	assert_int_equal(err_of(r), ESRCH);
	json_decref(r);
	r = ask(s, "{\"op\":\"load\",\"domid\":1,\"load\":\"50\"}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"create\",\"name\":\"vm2\",\"load\":-1}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	r = ask(s, "{\"op\":\"create\",\"name\":\"vm2\",\"load\":0}");
	assert_int_equal(err_of(r), 0);
	json_decref(r);
	r = ask(s, "{\"op\":\"load\",\"domid\":1,\"load\":50}");
	assert_int_equal(err_of(r), 0);
	json_decref(r);
	r = ask(s, "{\"op\":\"show\"}");
	{
		json_t *doms = json_object_get(json_object_get(r, "ok"), "domains");

		assert_int_equal(
		    json_integer_value(json_object_get(json_array_get(doms, 0), "load")), 0);
		assert_true(json_is_true(json_object_get(json_array_get(doms, 0), "idle")));
		assert_int_equal(
		    json_integer_value(json_object_get(json_array_get(doms, 1), "load")), 50);
		assert_false(json_is_true(json_object_get(json_array_get(doms, 1), "idle")));
		assert_true(json_is_true(json_object_get(json_array_get(doms, 2), "idle")));
	}
	json_decref(r);
	/* the listing carries each domain's cpu_time and the clock it was read at */
	json_decref(ask(s, "{\"op\":\"unpause\",\"domid\":1}"));
	r = ask(s, "{\"op\":\"run\",\"ms\":5}");
	assert_int_equal(err_of(r), 0);
	json_decref(r);
	r = ask(s, "{\"op\":\"domains\"}");
	{
		json_t *ok = json_object_get(r, "ok");
		json_t *d1 = json_array_get(json_object_get(ok, "domains"), 1);

		assert_int_equal(json_integer_value(json_object_get(ok, "now_ns")), 5 * MS);
		assert_int_equal(json_integer_value(json_object_get(d1, "domid")), 1);
		/* alone on the host, both vCPUs run half the time: the load */
		assert_int_equal(json_integer_value(json_object_get(d1, "cpu_time")), 5 * MS);
	}
	json_decref(r);
	sim_free(s);
}

/* The uuid of the JSON create: validated, refused while live, listed as given by domains. */
static void test_json_uuid(void **state)
{
	struct sim *s = boot(1, 4, 1, SIM_SCHED_CREDIT2, NULL);
	json_t *r, *d;

	r = ask(s, "{\"op\":\"create\",\"name\":\"vm\",\"uuid\":\"6C1AD5B8-0A2E-4D6F-9B3E-"
	           "12AB34CD56EF\"}");
	assert_int_equal(err_of(r), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "ok"), "domid")), 1);
	json_decref(r);
	/* what the sim backend reads: the listing's uuid, in the 36-character form */
	r = ask(s, "{\"op\":\"domains\"}");
	d = json_array_get(json_object_get(json_object_get(r, "ok"), "domains"), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "domid")), 1);
	assert_string_equal(json_string_value(json_object_get(d, "uuid")),
	                    "6c1ad5b8-0a2e-4d6f-9b3e-12ab34cd56ef");
	json_decref(r);
	r = ask(s, "{\"op\":\"create\",\"name\":\"vm2\",\"uuid\":\"6c1ad5b8-0a2e-4d6f-9b3e-"
	           "12ab34cd56ef\"}");
	assert_int_equal(err_of(r), EEXIST);
	json_decref(r);
	r = ask(s, "{\"op\":\"create\",\"name\":\"vm2\",\"uuid\":\"6c1ad5b8\"}");
	assert_int_equal(err_of(r), EINVAL);
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
	           "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
	json_decref(r);
	r = ask(s, "{\"op\":\"create\",\"name\":\"vm2\",\"uuid\":16}");
	assert_int_equal(err_of(r), EINVAL);
	json_decref(r);
	/* the reboot: destroy, create again with the same uuid, a new domid */
	json_decref(ask(s, "{\"op\":\"destroy\",\"domid\":1}"));
	r = ask(s, "{\"op\":\"create\",\"name\":\"vm\",\"uuid\":\"6c1ad5b8-0a2e-4d6f-9b3e-"
	           "12ab34cd56ef\"}");
	assert_int_equal(err_of(r), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "ok"), "domid")), 2);
	json_decref(r);
	assert_int_equal(sim_nr_doms(s), 3); /* dom0, vm dying, vm again */
	sim_free(s);
}

/* xensim ctl create checks uuid= itself: a usage error, before it reaches any xensim. */
static void test_cli_uuid(void **state)
{
	char *bad[] = {"ctl",    "-S", "/nonexistent/hv.sock",
	               "create", "vm", "uuid=6c1ad5b8-0a2e-4d6f-9b3e-12ab34cd56e",
	               NULL};
	char *good[] = {"ctl",    "-S", "/nonexistent/hv.sock",
	                "create", "vm", "uuid=6c1ad5b8-0a2e-4d6f-9b3e-12ab34cd56ef",
	                NULL};

	assert_int_equal(simcli_main(6, bad), SIMCLI_EXIT_USAGE);
	bad[5] = "uuid=";
	assert_int_equal(simcli_main(6, bad), SIMCLI_EXIT_USAGE);
	bad[5] = "uuid=6c1ad5b8+0a2e-4d6f-9b3e-12ab34cd56ef";
	assert_int_equal(simcli_main(6, bad), SIMCLI_EXIT_USAGE);
	/* a good one goes on to the socket, which is not there */
	assert_int_equal(simcli_main(6, good), SIMCLI_EXIT_UNREACHABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_boot),
	    cmocka_unit_test(test_affinity_rules),
	    cmocka_unit_test(test_sched_credit1),
	    cmocka_unit_test(test_sched_credit2),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_slow),
	    cmocka_unit_test(test_create_order),
	    cmocka_unit_test(test_create_refused),
	    cmocka_unit_test(test_dying_then_dropped),
	    cmocka_unit_test(test_pause),
	    cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_uuid_parse),
	    cmocka_unit_test(test_uuid_given),
	    cmocka_unit_test(test_uuid_derived_skips_given),
	    cmocka_unit_test(test_json_ops),
	    cmocka_unit_test(test_json_uuid),
	    cmocka_unit_test(test_cli_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
