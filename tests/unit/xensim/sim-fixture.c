/* Helpers of the sim model's tests: a host, domains, cpu sets, vCPU times. */
#include "sim-fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

struct sim *simfx_host(unsigned sockets, unsigned cores, unsigned threads, enum sim_sched sched)
{
	struct topo topo;
	struct sim *sim;

	assert_int_equal(topo_uniform(&topo, sockets, cores, threads, 1), 0);
	assert_int_equal(sim_new(&sim, &topo, sched, NULL, NULL), 0);
	return sim;
}

struct cpumap simfx_cpus(const char *text)
{
	struct cpumap m;

	assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

bool simfx_same(const struct cpumap *m, const char *text)
{
	struct cpumap want = simfx_cpus(text);

	return cpumap_equal(m, &want);
}

uint32_t simfx_create(struct sim *s, const char *name, unsigned vcpus, unsigned weight,
                      unsigned cap, const char *hard)
{
	struct cpumap m;
	struct sim_create c = {.name = name, .vcpus = vcpus, .weight = weight, .cap = cap};
	struct perr e = {0};
	uint32_t domid;

	if (hard) {
		m = simfx_cpus(hard);
		c.hard = &m;
	}
	assert_int_equal(sim_create(s, &c, &domid, &e), 0);
	return domid;
}

uint64_t simfx_vtime(struct sim *s, uint32_t domid, unsigned vcpu)
{
	struct perr e = {0};
	uint64_t ns;

	assert_int_equal(sim_vcpu_time(s, domid, vcpu, &ns, &e), 0);
	return ns;
}
