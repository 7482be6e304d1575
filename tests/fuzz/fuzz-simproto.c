/*
 * Fuzz target for xensim's hypervisor socket: each input line is a request to simctl_answer()
 * on a fresh 16-pCPU host with its own xenstore. A first line "#credit" boots it with credit1;
 * a line "#real" next puts it on a real clock, one that moves 1.25 ms at each reading.
 * Every reply must be one line holding {"ok": {...}} or {"error": {"errno": N, "desc": S}},
 * and the simulated host must stay consistent: no vCPU runs longer than the clock, no pCPU
 * gives more time than it has.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fuzz.h"
#include "util/log.h"
#include "xensim/sim-xsd.h"
#include "xensim/sim.h"
#include "xensim/simctl.h"
#include "xensim/xsd.h"

/* Checks one reply line against simproto.h's two shapes. */
static void check_reply(const char *reply)
{
	json_error_t je;
	json_t *j, *err;

	FUZZ_CHECK(reply != NULL, "no reply");
	FUZZ_CHECK(strchr(reply, '\n') == NULL, "a reply spans lines: %s", reply);
	j = json_loads(reply, JSON_REJECT_DUPLICATES, &je);
	FUZZ_CHECK(j != NULL, "the reply is not JSON (%s): %s", je.text, reply);
	FUZZ_CHECK(json_is_object(j) && json_object_size(j) == 1, "bad reply: %s", reply);
	err = json_object_get(j, "error");
	if (err == NULL) {
		FUZZ_CHECK(json_is_object(json_object_get(j, "ok")), "bad reply: %s", reply);
	} else {
		json_t *no = json_object_get(err, "errno");

		FUZZ_CHECK(json_is_object(err) && json_object_size(err) == 2 &&
		               json_is_integer(no) && json_integer_value(no) > 0 &&
		               json_is_string(json_object_get(err, "desc")),
		           "bad error reply: %s", reply);
	}
	json_decref(j);
}

/* Checks what sim.h promises about its domains after any sequence of requests. */
static void check_sim(const struct sim *s)
{
	size_t n = sim_nr_doms(s);
	const struct cpumap *online = sim_online(s);
	const struct sim_counters *k = sim_counters(s);
	/* No vCPU runs longer than the clock, no pCPU gives more than its time (float slack). */
	double now = (double)sim_now_ns(s) * (1 + 1e-9) + 1, total = 0;

	FUZZ_CHECK(n >= 1 && sim_dom_at(s, 0)->domid == 0 && !sim_dom_at(s, 0)->dying,
	           "domain 0 is gone");
	FUZZ_CHECK(k->writes <= k->set_affinity + k->set_sched, "more writes than calls");
	for (size_t i = 0; i < n; i++) {
		const struct sim_dom *d = sim_dom_at(s, i);

		FUZZ_CHECK(i == 0 || d->domid > sim_dom_at(s, i - 1)->domid,
		           "domains not in domid order");
		FUZZ_CHECK(d->domid <= SIM_DOMID_MAX, "domid %u", d->domid);
		FUZZ_CHECK(sim_dom_find(s, d->domid) == d, "domain %u not found", d->domid);
		FUZZ_CHECK(d->nr_vcpus >= 1 && d->nr_vcpus <= SIM_VCPUS_MAX, "domain %u: %u vcpus",
		           d->domid, d->nr_vcpus);
		FUZZ_CHECK(d->weight >= 1 && d->weight <= SIM_WEIGHT_MAX, "domain %u: weight %u",
		           d->domid, d->weight);
		/* credit1 takes any cap but its "unchanged" marker; credit2 checks the vCPUs. */
		FUZZ_CHECK(sim_sched(s) == SIM_SCHED_CREDIT ? d->cap < 0xFFFF
		                                            : d->cap <= 100 * d->nr_vcpus,
		           "domain %u: cap %u", d->domid, d->cap);
		FUZZ_CHECK(d->load <= 100, "domain %u: load %u", d->domid, d->load);
		FUZZ_CHECK(memchr(d->name, '\0', sizeof(d->name)) != NULL, "unterminated name");
		if (!d->dying)
			FUZZ_CHECK(sim_dom_by_name(s, d->name) == d, "name %s is not unique",
			           d->name);
		for (unsigned v = 0; v < d->nr_vcpus; v++) {
			FUZZ_CHECK(d->vcpu[v].time_ns >= 0, "negative cpu time");
			FUZZ_CHECK(d->vcpu[v].time_ns <= now,
			           "domain %u vcpu %u ran %.0f ns in %llu", d->domid, v,
			           d->vcpu[v].time_ns, (unsigned long long)sim_now_ns(s));
			total += d->vcpu[v].time_ns;
			FUZZ_CHECK(cpumap_next(&d->vcpu[v].hard, 0) >= 0,
			           "domain %u vcpu %u has an empty affinity", d->domid, v);
		}
	}
	FUZZ_CHECK(!cpumap_empty(online), "no online cpu");
	FUZZ_CHECK(total <= now * cpumap_count(online),
	           "%.0f ns of cpu time in %llu ns on %u pCPUs", total,
	           (unsigned long long)sim_now_ns(s), cpumap_count(online));
}

static uint64_t fake_ns;

/* A real clock for the fuzzer: moves at each reading, the same for every run of an input. */
static uint64_t fake_clock(void)
{
	return fake_ns += 1250000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simctl_clock clk;
	static struct event_base *base;
	static char *sock;
	static struct topo topo;
	enum sim_sched sched = SIM_SCHED_CREDIT2;
	const char *p = (const char *)data, *end = p + size;
	struct xsd *x;
	struct sim *s;
	int r;

	log_init("fuzz-simproto", LOG_LEVEL_ERR);
	if (base == NULL) {
		base = event_base_new();
		FUZZ_CHECK(base != NULL, "event_base_new failed");
		if (asprintf(&sock, "%s/xs.sock", fuzz_tmpdir()) < 0)
			abort();
		FUZZ_CHECK(topo_uniform(&topo, 2, 4, 2, 2) == 0, "topo_uniform failed");
	}
	if (size >= 8 && memcmp(p, "#credit\n", 8) == 0) {
		sched = SIM_SCHED_CREDIT;
		p += 8;
	}
	fake_ns = 0;
	simctl_clock_init(&clk, SIMCTL_CLOCK_MANUAL, fake_clock);
	if (end - p >= 6 && memcmp(p, "#real\n", 6) == 0) {
		clk.mode = SIMCTL_CLOCK_REAL;
		p += 6;
	}
	r = xsd_new(&x, base, sock);
	FUZZ_CHECK(r == 0, "xsd_new: %s", strerror(-r));
	r = sim_new(&s, &topo, sched, &sim_xsd_ops, x);
	FUZZ_CHECK(r == 0, "sim_new: %s", strerror(-r));

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (nl ? nl : end) - p;
		char *reply;

		/* The socket skips empty lines without a reply, and so do we. */
		if (len > 0) {
			reply = simctl_answer_clocked(s, x, &clk, p, len);
			check_reply(reply);
			free(reply);
		}
		p += len + (nl != NULL);
	}
	check_sim(s);

	sim_free(s);
	xsd_free(x);
	return 0;
}
