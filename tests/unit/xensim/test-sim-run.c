/* Unit tests of xensim's run model (sim-run.c): the clock, cpu_time, loads, caps, weights. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim-fixture.h"
#include "xensim/sim.h"
#include "xensim/simctl.h"

static void test_run_credit2(void **state)
{
	struct sim *s = simfx_host(1, 4, 1, SIM_SCHED_CREDIT2);
	struct perr e = {0};
	uint32_t a = simfx_create(s, "a", 1, 256, 0, "3");
	uint32_t b = simfx_create(s, "b", 1, 768, 0, "3");
	uint32_t c = simfx_create(s, "c", 2, 256, 0, "0-1");
	struct sim_create pc = {.name = "p", .paused = true};
	uint32_t p;

	assert_int_equal(sim_create(s, &pc, &p, &e), 0);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	/* pinned together: by weight */
	assert_int_equal(simfx_vtime(s, a, 0), 250 * MS);
	assert_int_equal(simfx_vtime(s, b, 0), 750 * MS);
	/* alone on two pCPUs: one pCPU each */
	assert_int_equal(simfx_vtime(s, c, 0), 1000 * MS);
	assert_int_equal(simfx_vtime(s, c, 1), 1000 * MS);
	/* paused and idle domains get nothing */
	assert_int_equal(simfx_vtime(s, p, 0), 0);
	assert_int_equal(simfx_vtime(s, 0, 0), 0);

	/* caps 80 % / 20 % are honoured, and a capped domain leaves room to others */
	assert_int_equal(sim_set_sched(s, a, SIM_SCHED_CREDIT2, 0, 80, &e), 0);
	assert_int_equal(sim_set_sched(s, b, SIM_SCHED_CREDIT2, 0, 20, &e), 0);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	assert_int_equal(simfx_vtime(s, a, 0) - 250 * MS, 800 * MS);
	assert_int_equal(simfx_vtime(s, b, 0) - 750 * MS, 200 * MS);
	/* a domain cap spans its vCPUs: 100 % over 2 vCPUs is half a pCPU each */
	assert_int_equal(sim_set_sched(s, c, SIM_SCHED_CREDIT2, 0, 100, &e), 0);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	assert_int_equal(simfx_vtime(s, c, 0), 2500 * MS);
	assert_int_equal(sim_run(s, SIM_RUN_MS_MAX + 1ULL, &e), -EINVAL);
	sim_free(s);
}

static void test_run_credit2_spread(void **state)
{
	struct sim *s = simfx_host(1, 2, 1, SIM_SCHED_CREDIT2);
	struct perr e = {0};
	/* w spans both pCPUs (half a pCPU of demand on each), x sits on cpu 1 */
	uint32_t w = simfx_create(s, "w", 1, 256, 0, "0-1");
	uint32_t x = simfx_create(s, "x", 1, 256, 0, "1");

	assert_int_equal(sim_run(s, 1000, &e), 0);
	/* cpu 0: w alone uses its 500; cpu 1: w's 500 and x share by weight: 500 each */
	assert_int_equal(simfx_vtime(s, w, 0), 1000 * MS);
	assert_int_equal(simfx_vtime(s, x, 0), 500 * MS);
	sim_free(s);
}

static void test_run_credit1(void **state)
{
	struct sim *s = simfx_host(1, 4, 1, SIM_SCHED_CREDIT);
	struct sim *one = simfx_host(1, 1, 1, SIM_SCHED_CREDIT);
	struct sim *two = simfx_host(1, 2, 1, SIM_SCHED_CREDIT);
	struct perr e = {0};
	uint32_t a = simfx_create(s, "a", 1, 256, 0, "3"), b = simfx_create(s, "b", 1, 768, 0, "3");
	uint32_t a1 = simfx_create(one, "a", 1, 256, 0, NULL),
	         b1 = simfx_create(one, "b", 1, 768, 0, NULL);
	uint32_t a2 = simfx_create(two, "a", 1, 256, 0, "0"),
	         b2 = simfx_create(two, "b", 1, 768, 0, "0");
	uint32_t c2 = simfx_create(two, "c", 1, 256, 0, "1");

	/* pinned to one pCPU of four while the rest idle: weights fade to 1:1 */
	assert_int_equal(sim_run(s, 1000, &e), 0);
	assert_int_equal(simfx_vtime(s, a, 0), 500 * MS);
	assert_int_equal(simfx_vtime(s, b, 0), 500 * MS);
	/* caps still work */
	assert_int_equal(sim_set_sched(s, a, SIM_SCHED_CREDIT, 0, 80, &e), 0);
	assert_int_equal(sim_set_sched(s, b, SIM_SCHED_CREDIT, 0, 20, &e), 0);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	assert_int_equal(simfx_vtime(s, a, 0), 1300 * MS);
	assert_int_equal(simfx_vtime(s, b, 0), 700 * MS);

	/* a one-pCPU host (as a one-pCPU cpupool): by weight */
	assert_int_equal(sim_run(one, 1000, &e), 0);
	assert_int_equal(simfx_vtime(one, a1, 0), 250 * MS);
	assert_int_equal(simfx_vtime(one, b1, 0), 750 * MS);

	/*
	 * Two pCPUs, both busy: credit 2000 ms split 256:768:256 gives 400:1200:400.
	 * cpu 0: a and b round-robin, a stops at its credit 400, b takes 600;
	 * cpu 1: c uses its 400 of credit, then the idle rest while OVER.
	 */
	assert_int_equal(sim_run(two, 1000, &e), 0);
	assert_int_equal(simfx_vtime(two, a2, 0), 400 * MS);
	assert_int_equal(simfx_vtime(two, b2, 0), 600 * MS);
	assert_int_equal(simfx_vtime(two, c2, 0), 1000 * MS);
	sim_free(s);
	sim_free(one);
	sim_free(two);
}

struct listed {
	uint32_t domid[8];
	uint64_t cpu_time[8];
	double sum[8];
	size_t n;
};

static void list_dom(const struct sim_dom *d, void *arg)
{
	struct listed *l = arg;

	assert_true(l->n < 8);
	l->domid[l->n] = d->domid;
	l->cpu_time[l->n] = sim_dom_cpu_time(d);
	l->sum[l->n] = 0;
	for (unsigned v = 0; v < d->nr_vcpus; v++)
		l->sum[l->n] += d->vcpu[v].time_ns;
	l->n++;
}

static void test_clock_and_cpu_time(void **state)
{
	struct sim *s = simfx_host(1, 4, 1, SIM_SCHED_CREDIT2);
	struct perr e = {0};
	uint32_t a = simfx_create(s, "a", 3, 256, 0, "0-1");
	uint32_t b = simfx_create(s, "b", 2, 256, 100, NULL);
	struct listed l = {0};
	uint64_t t0;

	assert_int_equal(sim_now_ns(s), 0);
	assert_int_equal(sim_run_ns(s, 0, &e), 0);
	assert_int_equal(sim_now_ns(s), 0);
	assert_int_equal(sim_run_ns(s, 123456789, &e), 0);
	assert_int_equal(sim_now_ns(s), 123456789);
	assert_int_equal(sim_run(s, 2, &e), 0);
	t0 = 123456789 + 2 * MS;
	assert_int_equal(sim_now_ns(s), t0);
	/* a refused run moves nothing */
	assert_int_equal(sim_run_ns(s, SIM_RUN_NS_MAX + 1, &e), -EINVAL);
	assert_int_equal(sim_run(s, SIM_RUN_MS_MAX + 1ULL, &e), -EINVAL);
	assert_int_equal(sim_now_ns(s), t0);

	/* cpu_time is the vCPUs' time summed, then rounded */
	sim_domains(s, 0, 0, list_dom, &l);
	assert_int_equal(l.n, 3);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.cpu_time[i], (uint64_t)llround(l.sum[i]));
		assert_int_equal(l.cpu_time[i], sim_dom_cpu_time(sim_dom_find(s, l.domid[i])));
	}
	assert_int_equal(l.cpu_time[0], 0);
	/*
	 * b's 2 vCPUs, capped to one pCPU in all, spread over cpus 0-3: t/8 each per pCPU.
	 * a's 3 vCPUs share what b leaves of cpus 0-1: 3t/4 per pCPU, 3t/2 in all.
	 */
	assert_int_equal(l.domid[1], a);
	assert_int_equal(l.domid[2], b);
	assert_true(llabs((long long)l.cpu_time[1] - (long long)(3 * t0 / 2)) <= 1);
	assert_true(llabs((long long)l.cpu_time[2] - (long long)t0) <= 1);
	sim_free(s);
}

/* Sets a domain's load; the test fails if it is refused. */
static void load(struct sim *s, uint32_t domid, unsigned pct)
{
	struct perr e = {0};

	assert_int_equal(sim_set_load(s, domid, pct, &e), 0);
}

static void test_load_rules(void **state)
{
	struct sim *s = simfx_host(1, 4, 1, SIM_SCHED_CREDIT2);
	struct perr e = {0};
	uint32_t a = simfx_create(s, "a", 1, 0, 0, NULL), id;
	unsigned pct = 101;
	struct sim_create c = {.name = "b", .load = &pct};

	/* guests want all the time they can get; dom0 is idle */
	assert_int_equal(sim_dom_find(s, a)->load, 100);
	assert_int_equal(sim_dom_find(s, 0)->load, 0);
	assert_int_equal(sim_set_load(s, a, 101, &e), -EINVAL);
	assert_int_equal(sim_set_load(s, a, -1, &e), -EINVAL);
	assert_int_equal(sim_set_load(s, 99, 50, &e), -ESRCH);
	assert_int_equal(sim_dom_find(s, a)->load, 100);
	assert_int_equal(sim_set_load(s, a, 0, &e), 0);
	assert_int_equal(sim_dom_find(s, a)->load, 0);
	assert_int_equal(sim_create(s, &c, &id, &e), -EINVAL);
	pct = 30;
	assert_int_equal(sim_create(s, &c, &id, &e), 0);
	assert_int_equal(sim_dom_find(s, id)->load, 30);
	/* not a hypercall: nothing counted */
	assert_int_equal(sim_counters(s)->reads + sim_counters(s)->writes, 0);

	/* a busy dom0 runs like any domain */
	load(s, 0, 100);
	load(s, id, 0);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	for (unsigned v = 0; v < 4; v++)
		assert_int_equal(simfx_vtime(s, 0, v), 1000 * MS);
	assert_int_equal(simfx_vtime(s, a, 0), 0);
	assert_int_equal(simfx_vtime(s, id, 0), 0);
	sim_free(s);
}

static void test_load_credit2(void **state)
{
	struct sim *s = simfx_host(1, 4, 1, SIM_SCHED_CREDIT2);
	struct perr e = {0};
	uint32_t a = simfx_create(s, "a", 1, 256, 0, "3");
	uint32_t b = simfx_create(s, "b", 1, 256, 0, "2"), c = simfx_create(s, "c", 1, 768, 0, "2");
	uint32_t d = simfx_create(s, "d", 2, 256, 60, "0-1");

	load(s, a, 50);
	load(s, b, 50);
	load(s, d, 50);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	/* alone: what it wants */
	assert_int_equal(simfx_vtime(s, a, 0), 500 * MS);
	/* b wants 500 but its weight gives it 250; c, busy, takes the rest */
	assert_int_equal(simfx_vtime(s, b, 0), 250 * MS);
	assert_int_equal(simfx_vtime(s, c, 0), 750 * MS);
	/* the cap binds before the load: 60 % over 2 vCPUs is 300 each, below 500 */
	assert_int_equal(simfx_vtime(s, d, 0), 300 * MS);
	assert_int_equal(simfx_vtime(s, d, 1), 300 * MS);

	/* weights swapped: b's share (750) exceeds what it wants, c takes what b leaves */
	assert_int_equal(sim_set_sched(s, b, SIM_SCHED_CREDIT2, 768, 0, &e), 0);
	assert_int_equal(sim_set_sched(s, c, SIM_SCHED_CREDIT2, 256, 0, &e), 0);
	/* the load binds before the cap: 150 % over 2 vCPUs is 750 each, above 500 */
	assert_int_equal(sim_set_sched(s, d, SIM_SCHED_CREDIT2, 0, 150, &e), 0);
	load(s, a, 0);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	assert_int_equal(simfx_vtime(s, a, 0), 500 * MS);
	assert_int_equal(simfx_vtime(s, b, 0), 750 * MS);
	assert_int_equal(simfx_vtime(s, c, 0), 1250 * MS);
	assert_int_equal(simfx_vtime(s, d, 0), 800 * MS);

	/* load 100 is the default: busy again, b and c split by weight */
	load(s, b, 100);
	assert_int_equal(sim_run(s, 1000, &e), 0);
	assert_int_equal(simfx_vtime(s, b, 0), 1500 * MS);
	assert_int_equal(simfx_vtime(s, c, 0), 1500 * MS);
	sim_free(s);
}

static void test_load_credit1(void **state)
{
	struct sim *one = simfx_host(1, 1, 1, SIM_SCHED_CREDIT);
	struct sim *two = simfx_host(1, 2, 1, SIM_SCHED_CREDIT);
	struct perr e = {0};
	uint32_t a1 = simfx_create(one, "a", 1, 256, 0, NULL);
	uint32_t b1 = simfx_create(one, "b", 1, 768, 0, NULL);
	uint32_t a = simfx_create(two, "a", 1, 256, 0, "0"),
	         b = simfx_create(two, "b", 1, 768, 0, "0");
	uint32_t c = simfx_create(two, "c", 1, 256, 0, "1");

	/* one pCPU, credit 1000 split 250:750; b wants only 500: UNDER, it gets it all,
	 * and a, OVER once its 250 are spent, takes what is left */
	load(one, b1, 50);
	assert_int_equal(sim_run(one, 1000, &e), 0);
	assert_int_equal(simfx_vtime(one, a1, 0), 500 * MS);
	assert_int_equal(simfx_vtime(one, b1, 0), 500 * MS);
	/* a cap still bounds a busy domain: a 30 %, b takes the rest it wants */
	assert_int_equal(sim_set_sched(one, a1, SIM_SCHED_CREDIT, 0, 30, &e), 0);
	assert_int_equal(sim_run(one, 1000, &e), 0);
	assert_int_equal(simfx_vtime(one, a1, 0), 800 * MS);
	assert_int_equal(simfx_vtime(one, b1, 0), 1000 * MS);

	/*
	 * Two pCPUs, credit 2000 split 256:768:256 = 400:1200:400.
	 * cpu 1: c wants 500: 400 of credit, then 100 while OVER.
	 * cpu 0: a and b busy as in test_run_credit1: 400 and 600.
	 */
	load(two, c, 50);
	assert_int_equal(sim_run(two, 1000, &e), 0);
	assert_int_equal(simfx_vtime(two, a, 0), 400 * MS);
	assert_int_equal(simfx_vtime(two, b, 0), 600 * MS);
	assert_int_equal(simfx_vtime(two, c, 0), 500 * MS);
	/* b wants 500: a's credit (400) and the 100 b leaves: 500 each */
	load(two, b, 50);
	assert_int_equal(sim_run(two, 1000, &e), 0);
	assert_int_equal(simfx_vtime(two, a, 0), 900 * MS);
	assert_int_equal(simfx_vtime(two, b, 0), 1100 * MS);
	/* an idle domain holds no credit: a and c split the host's 2000 equally */
	load(two, b, 0);
	load(two, c, 100);
	assert_int_equal(sim_run(two, 1000, &e), 0);
	assert_int_equal(simfx_vtime(two, a, 0), 1900 * MS);
	assert_int_equal(simfx_vtime(two, b, 0), 1100 * MS);
	assert_int_equal(simfx_vtime(two, c, 0), 2000 * MS);
	sim_free(one);
	sim_free(two);
}

/* A host where every rule matters: weights, caps, loads, overlapping affinities. */
static struct sim *mixed(enum sim_sched sched)
{
	struct sim *s = simfx_host(2, 2, 2, sched);
	struct perr e = {0};
	uint32_t d;

	simfx_create(s, "a", 2, 256, 0, "0-2");
	d = simfx_create(s, "b", 3, 768, 120, "1-5");
	load(s, d, 70);
	d = simfx_create(s, "c", 1, 300, 0, "4");
	load(s, d, 33);
	simfx_create(s, "d", 4, 1000, 0, NULL);
	d = simfx_create(s, "e", 2, 10, 50, "6-7");
	load(s, d, 90);
	d = simfx_create(s, "p", 1, 0, 0, "0");
	assert_int_equal(sim_pause(s, d, true, &e), 0);
	return s;
}

static void test_run_in_pieces(void **state)
{
	static const uint64_t piece[] = {1, 999, 333333, 1000000, 7777777, 123456789, 1};

	for (int k = 0; k < 2; k++) {
		enum sim_sched sched = k ? SIM_SCHED_CREDIT : SIM_SCHED_CREDIT2;
		struct sim *once = mixed(sched), *bits = mixed(sched);
		struct perr e = {0};
		uint64_t left = 1000 * MS, i = 0;

		assert_int_equal(sim_run(once, 1000, &e), 0);
		while (left > 0) {
			uint64_t ns = piece[i++ % (sizeof(piece) / sizeof(piece[0]))];

			ns = ns < left ? ns : left;
			assert_int_equal(sim_run_ns(bits, ns, &e), 0);
			left -= ns;
		}
		assert_int_equal(sim_now_ns(bits), sim_now_ns(once));
		assert_int_equal(sim_now_ns(once), 1000 * MS);
		for (size_t j = 0; j < sim_nr_doms(once); j++) {
			const struct sim_dom *x = sim_dom_at(once, j), *y = sim_dom_at(bits, j);

			for (unsigned v = 0; v < x->nr_vcpus; v++)
				assert_true(fabs(x->vcpu[v].time_ns - y->vcpu[v].time_ns) < 1);
			assert_true(llabs((long long)sim_dom_cpu_time(x) -
			                  (long long)sim_dom_cpu_time(y)) <= 1);
		}
		/* not a trivial host: c, pinned where b and d crowd, gets less than it wants */
		assert_string_equal(sim_dom_at(once, 3)->name, "c");
		assert_true(sim_dom_cpu_time(sim_dom_at(once, 3)) < 320 * MS);
		sim_free(once);
		sim_free(bits);
	}
}

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

/* Sends one request line through the JSON layer with a clock; returns its "ok" member. */
static json_t *ask(struct sim *s, struct simctl_clock *clk, const char *line)
{
	char *text = simctl_answer_clocked(s, NULL, clk, line, strlen(line));
	json_t *r, *ok;

	assert_non_null(text);
	r = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(r);
	ok = json_incref(json_object_get(r, "ok"));
	json_decref(r);
	assert_non_null(ok);
	return ok;
}

/* Asks for the domain listing; returns its now_ns, and domain i's cpu_time in *cpu. */
static uint64_t listing(struct sim *s, struct simctl_clock *clk, size_t i, uint64_t *cpu)
{
	json_t *ok = ask(s, clk, "{\"op\":\"domains\"}");
	uint64_t now = (uint64_t)json_integer_value(json_object_get(ok, "now_ns"));

	*cpu = (uint64_t)json_integer_value(
	    json_object_get(json_array_get(json_object_get(ok, "domains"), i), "cpu_time"));
	json_decref(ok);
	return now;
}

static void test_real_clock(void **state)
{
	struct sim *s = simfx_host(1, 4, 1, SIM_SCHED_CREDIT2);
	uint32_t a = simfx_create(s, "a", 1, 0, 0, "0"), b = simfx_create(s, "b", 2, 0, 0, "1-3");
	struct simctl_clock clk;
	uint64_t cpu, t;

	load(s, b, 50);
	fake_now = 5000 * MS; /* any start: only what elapses counts */
	simctl_clock_init(&clk, SIMCTL_CLOCK_REAL, fake_clock);
	fake_now += 1500 * MS;

	/* a request that neither reads nor changes cpu time lets the clock wait */
	json_decref(ask(s, &clk, "{\"op\":\"get_sched\",\"domid\":1,\"sched\":\"credit2\"}"));
	assert_int_equal(sim_now_ns(s), 0);
	/* one that reads it catches up first */
	assert_int_equal(listing(s, &clk, 1, &cpu), 1500 * MS);
	assert_int_equal(cpu, 1500 * MS);
	assert_int_equal(listing(s, &clk, 2, &cpu), 1500 * MS);
	assert_int_equal(cpu, 2 * 750 * MS);

	/* a change: the time before it runs under the old load, the time after under the new */
	fake_now += 500 * MS;
	json_decref(ask(s, &clk, "{\"op\":\"load\",\"domid\":2,\"load\":100}"));
	assert_int_equal(sim_now_ns(s), 2000 * MS);
	assert_int_equal(sim_dom_cpu_time(sim_dom_find(s, b)), 2 * 1000 * MS);
	fake_now += 1000 * MS;
	assert_int_equal(listing(s, &clk, 2, &cpu), 3000 * MS);
	assert_int_equal(cpu, 2 * 2000 * MS);

	/* the run op still moves simulated time on top of real time */
	json_decref(ask(s, &clk, "{\"op\":\"run\",\"ms\":250}"));
	assert_int_equal(listing(s, &clk, 1, &cpu), 3250 * MS);
	assert_int_equal(cpu, 3250 * MS);

	/* 90 minutes at once run in pieces of at most SIM_RUN_MS_MAX, to the same end */
	fake_now += 5400000 * MS;
	t = listing(s, &clk, 1, &cpu);
	assert_int_equal(t, (3250 + 5400000) * MS);
	assert_int_equal(cpu, t);
	assert_int_equal(sim_dom_find(s, a)->vcpu[0].time_ns, (double)t);

	/* a manual clock never moves by itself */
	simctl_clock_init(&clk, SIMCTL_CLOCK_MANUAL, fake_clock);
	fake_now += 1000 * MS;
	assert_int_equal(listing(s, &clk, 1, &cpu), t);
	assert_int_equal(listing(s, NULL, 1, &cpu), t);
	assert_int_equal(simctl_clock_parse("real"), SIMCTL_CLOCK_REAL);
	assert_int_equal(simctl_clock_parse("manual"), SIMCTL_CLOCK_MANUAL);
	assert_int_equal(simctl_clock_parse("wall"), -1);
	sim_free(s);
}

static void test_advance_in_pieces(void **state)
{
	struct sim *s = simfx_host(1, 1, 1, SIM_SCHED_CREDIT);
	uint32_t a = simfx_create(s, "a", 1, 0, 0, NULL);
	struct perr e = {0};

	assert_int_equal(sim_advance(s, 0, &e), 0);
	assert_int_equal(sim_now_ns(s), 0);
	assert_int_equal(sim_advance(s, 2 * SIM_RUN_NS_MAX + 7, &e), 0);
	assert_int_equal(sim_now_ns(s), 2 * SIM_RUN_NS_MAX + 7);
	assert_int_equal(simfx_vtime(s, a, 0), 2 * SIM_RUN_NS_MAX + 7);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_credit2),  cmocka_unit_test(test_run_credit2_spread),
	    cmocka_unit_test(test_run_credit1),  cmocka_unit_test(test_clock_and_cpu_time),
	    cmocka_unit_test(test_load_rules),   cmocka_unit_test(test_load_credit2),
	    cmocka_unit_test(test_load_credit1), cmocka_unit_test(test_run_in_pieces),
	    cmocka_unit_test(test_real_clock),   cmocka_unit_test(test_advance_in_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
