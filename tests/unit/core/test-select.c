/* Unit tests of topo_uniform(), topo_cpumap_nodes() and ncpu_select() on several host shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/pool.h"

static struct topo topo;

static struct cpumap cpus_of(const char *text)
{
	struct cpumap m;

	cpumap_zero(&m);
	if (*text != '\0')
		assert_int_equal(cpumap_parse(&m, text, CPUMAP_MAX, NULL), 0);
	return m;
}

static const char *fmt(const struct cpumap *m)
{
	static char buf[CPUMAP_TEXT_MAX];

	assert_true(cpumap_format(m, buf, sizeof(buf)) >= 0);
	return buf;
}

/* Selects n cpus out of free_text (keep_text may be NULL) and returns them as text. */
static const char *sel(const char *free_text, const char *keep_text, unsigned n, unsigned reserve)
{
	struct cpumap free_cpus = cpus_of(free_text), keep, out, again;
	struct perr e = {0};

	if (keep_text)
		keep = cpus_of(keep_text);
	if (ncpu_select(&topo, &free_cpus, keep_text ? &keep : NULL, n, reserve, &out, &e) != 0)
		fail_msg("select %u from %s: %s", n, free_text, e.msg);
	assert_int_equal(cpumap_count(&out), n);
	/* Deterministic: the same question gives the same answer. */
	assert_int_equal(
	    ncpu_select(&topo, &free_cpus, keep_text ? &keep : NULL, n, reserve, &again, NULL), 0);
	assert_true(cpumap_equal(&out, &again));
	return fmt(&out);
}

static void test_topo_uniform(void **state)
{
	struct cpumap on;

	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 2), 0);
	assert_int_equal(topo.nr_cpus, 16);
	/* cpu = (s * cores + c) * threads + t */
	assert_int_equal(topo.cpu[11].socket, 1);
	assert_int_equal(topo.cpu[11].core, 1);
	assert_int_equal(topo.cpu[10].core, 1);
	assert_int_equal(topo.cpu[11].node, 1);
	assert_int_equal(topo.cpu[7].socket, 0);
	assert_int_equal(topo.cpu[7].core, 3);
	assert_int_equal(topo.cpu[7].node, 0);
	topo_online(&topo, &on);
	assert_string_equal(fmt(&on), "0-15");

	/* One node for two sockets. */
	assert_int_equal(topo_uniform(&topo, 2, 2, 1, 1), 0);
	assert_int_equal(topo.cpu[3].node, 0);
	/* Four sockets, two nodes: sockets 0-1 on node 0, 2-3 on node 1. */
	assert_int_equal(topo_uniform(&topo, 4, 1, 1, 2), 0);
	assert_int_equal(topo.cpu[1].node, 0);
	assert_int_equal(topo.cpu[2].node, 1);
	/* More nodes than sockets: each socket's cores split between its nodes. */
	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 4), 0);
	assert_int_equal(topo.cpu[2].node, 0);
	assert_int_equal(topo.cpu[4].node, 1);
	assert_int_equal(topo.cpu[8].node, 2);
	assert_int_equal(topo.cpu[15].node, 3);
	assert_int_equal(topo.cpu[15].socket, 1);

	assert_int_equal(topo_uniform(&topo, 0, 4, 2, 1), -EINVAL);
	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 0), -EINVAL);
	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 3), -EINVAL);
	assert_int_equal(topo_uniform(&topo, 1, 2, 1, 4), -EINVAL);
	assert_int_equal(topo_uniform(&topo, 2, 512, 2, 1), -E2BIG);
	/* Products that wrap, in 32 and in 64 bits, are too big too (they used to pass). */
	assert_int_equal(topo_uniform(&topo, 65536, 65536, 1, 1), -E2BIG);
	assert_int_equal(topo_uniform(&topo, 4294967295u, 4294967295u, 4294967295u, 1), -E2BIG);
	assert_int_equal(topo_uniform(&topo, 1, 1, 4294967295u, 1), -E2BIG);
}

/* The nodes of a set of cpus: each node that holds one of them, none for cpus the host lacks. */
static void test_cpumap_nodes(void **state)
{
	struct cpumap cpus, nodes;

	/* 2x4x2 on 4 nodes: cpus 0-3 node 0, 4-7 node 1, 8-11 node 2, 12-15 node 3. */
	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 4), 0);
	cpus = cpus_of("0-3");
	topo_cpumap_nodes(&topo, &cpus, &nodes);
	assert_string_equal(fmt(&nodes), "0");
	cpus = cpus_of("3-4,15");
	topo_cpumap_nodes(&topo, &cpus, &nodes);
	assert_string_equal(fmt(&nodes), "0-1,3");
	cpus = cpus_of("");
	topo_cpumap_nodes(&topo, &cpus, &nodes);
	assert_true(cpumap_empty(&nodes));
	/* cpu 16 and up are not on this host: no node of theirs. */
	cpus = cpus_of("9,16-20");
	topo_cpumap_nodes(&topo, &cpus, &nodes);
	assert_string_equal(fmt(&nodes), "2");
	/* The output starts empty, whatever it held. */
	cpumap_fill(&nodes, 8);
	cpus = cpus_of("12");
	topo_cpumap_nodes(&topo, &cpus, &nodes);
	assert_string_equal(fmt(&nodes), "3");
}

/* 2 sockets x 4 cores x 2 threads, 2 nodes: socket 0 = cpus 0-7, socket 1 = 8-15. */
static void test_2x4x2(void **state)
{
	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 2), 0);

	/* Socket 1 first: dom0's socket (cpu 0's) stays with pool0 while another fits. */
	assert_string_equal(sel("0-15", NULL, 2, 1), "8-9");
	assert_string_equal(sel("0-15", NULL, 6, 1), "8-13");
	assert_string_equal(sel("0-15", NULL, 8, 1), "8-15");
	/* Odd: one core must be split, not cpu 0's. */
	assert_string_equal(sel("0-15", NULL, 3, 1), "8-10");
	/* Socket 1 taken: socket 0, without cpu 0's core. */
	assert_string_equal(sel("0-7", NULL, 4, 1), "2-5");
	/* Across sockets: fill the largest, the rest where it fits best. */
	assert_string_equal(sel("0-15", NULL, 10, 1), "2-3,8-15");
	assert_string_equal(sel("0-15", NULL, 14, 1), "2-15");
	/* Only cpu 0's sibling is left to make 15; cpu 0 stays. */
	assert_string_equal(sel("0-15", NULL, 15, 1), "1-15");
	/* Without a reserve cpu 0 goes last. */
	assert_string_equal(sel("0-15", NULL, 16, 0), "0-15");

	/* A pool grows where it is, even when another socket fits better. */
	assert_string_equal(sel("0-7,10-15", "8-9", 4, 1), "8-11");
	assert_string_equal(sel("0-1,4-15", "2-3", 6, 1), "2-7");
	/* Best fit with another pool on half of socket 1: the small hole goes first. */
	assert_string_equal(sel("0-7,12-15", NULL, 4, 1), "12-15");
	assert_string_equal(sel("0-7,12-15", NULL, 2, 1), "12-13");
	/* Shrinking keeps whole cores of the pool's own cpus. */
	assert_string_equal(sel("", "2-7", 2, 1), "2-3");
	assert_string_equal(sel("", "2-7", 6, 1), "2-7");
}

static void test_no_cpu(void **state)
{
	struct cpumap free_cpus, keep, out;
	struct perr e = {0};

	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 2), 0);
	free_cpus = cpus_of("0-15");
	assert_int_equal(ncpu_select(&topo, &free_cpus, NULL, 16, 1, &out, &e), POOLD_E_NOCPU);
	assert_string_equal(e.msg, "not enough free pCPUs: 16 more wanted, but pool0 has 16 and "
	                           "must keep 1, so at most 15 can be taken; shrink or destroy "
	                           "another pool first");
	free_cpus = cpus_of("0-3");
	keep = cpus_of("8-9");
	assert_int_equal(ncpu_select(&topo, &free_cpus, &keep, 6, 1, &out, &e), POOLD_E_NOCPU);
	assert_int_equal(ncpu_select(&topo, &free_cpus, &keep, 5, 1, &out, &e), 0);
	assert_string_equal(fmt(&out), "1-3,8-9");
	/* Offline cpus in `free` don't count. */
	topo.cpu[3].online = false;
	assert_int_equal(ncpu_select(&topo, &free_cpus, &keep, 5, 1, &out, &e), POOLD_E_NOCPU);
	assert_int_equal(ncpu_select(&topo, &free_cpus, NULL, 0, 1, &out, &e), 0);
	assert_true(cpumap_empty(&out));
}

static void test_1x4x1(void **state)
{
	assert_int_equal(topo_uniform(&topo, 1, 4, 1, 1), 0);
	assert_string_equal(sel("0-3", NULL, 1, 1), "1");
	assert_string_equal(sel("0-3", NULL, 3, 1), "1-3");
	assert_string_equal(sel("0,2-3", NULL, 2, 1), "2-3");
	assert_string_equal(sel("0-3", NULL, 4, 0), "0-3");
	/* pool0 without cpu 0 (given away by cpu=LIST): lowest first. */
	assert_string_equal(sel("1-3", NULL, 2, 1), "1-2");
}

/* 4 sockets x 2 cores x 2 threads, one node per socket. */
static void test_4x2x2(void **state)
{
	assert_int_equal(topo_uniform(&topo, 4, 2, 2, 4), 0);
	/* Away from socket 0 (dom0's), lowest id first. */
	assert_string_equal(sel("0-15", NULL, 4, 1), "4-7");
	assert_string_equal(sel("0-15", NULL, 2, 1), "4-5");
	/* Spanning: one full socket, the remainder in the smallest hole. */
	assert_string_equal(sel("0-15", NULL, 6, 1), "2-7");
	assert_string_equal(sel("0-15", NULL, 8, 1), "4-11");
	/* With sockets 1 and 2 half used, the whole socket 3 is kept for a big pool. */
	assert_string_equal(sel("0-5,8-9,12-15", NULL, 2, 1), "4-5");
	/* Only socket 0 has a whole core left. */
	assert_string_equal(sel("0-3,8,12", NULL, 2, 1), "2-3");
	assert_string_equal(sel("0-1,4-5,8-9,12-15", NULL, 2, 1), "4-5");
}

/* More nodes than sockets: 1 socket x 4 cores x 2 threads, 2 nodes. */
static void test_nodes_in_socket(void **state)
{
	assert_int_equal(topo_uniform(&topo, 1, 4, 2, 2), 0);
	assert_string_equal(sel("0-7", NULL, 4, 1), "4-7");
	assert_string_equal(sel("0-7", NULL, 2, 1), "4-5");
	assert_string_equal(sel("0-7", NULL, 6, 1), "2-7");
}

static void test_partial_online(void **state)
{
	struct cpumap free_cpus, out;

	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 2), 0);
	/* cpu 9 offline: cpu 8 alone is a whole core now. */
	topo.cpu[9].online = false;
	assert_string_equal(sel("0-8,10-15", NULL, 3, 1), "8,10-11");
	assert_string_equal(sel("0-8,10-15", NULL, 1, 1), "8");
	/* The offline cpu is never chosen, even when listed as free. */
	free_cpus = cpus_of("0-15");
	assert_int_equal(ncpu_select(&topo, &free_cpus, NULL, 14, 1, &out, NULL), 0);
	assert_false(cpumap_test(&out, 9));
	assert_false(cpumap_test(&out, 0));
	assert_int_equal(cpumap_count(&out), 14);
}

/* Another pool holds one thread of every core but cpu 0's: no whole core is free. */
static void test_no_whole_cores(void **state)
{
	const char *free_text = "0-2,4,6,8,10,12,14";

	assert_int_equal(topo_uniform(&topo, 2, 4, 2, 2), 0);
	/* Cores already split are used first, away from cpu 0's socket. */
	assert_string_equal(sel(free_text, NULL, 3, 1), "8,10,12");
	assert_string_equal(sel(free_text, NULL, 4, 1), "8,10,12,14");
	/* Spanning: the fuller socket 1, then the best fit for the rest. */
	assert_string_equal(sel(free_text, NULL, 5, 1), "2,8,10,12,14");
	/* Only when nothing else fits is cpu 0's sibling taken. */
	assert_string_equal(sel(free_text, NULL, 8, 1), "1-2,4,6,8,10,12,14");
	/* A request whole cores can't meet exactly: 4 whole cpus + a split one. */
	assert_string_equal(sel("0-7,9", NULL, 5, 1), "2-6");
	/* Split cores are preferred over splitting a whole one for the odd cpu. */
	assert_string_equal(sel("0-7,9,12-15", NULL, 5, 1), "9,12-15");
}

/* 1024 cpus: 4 sockets x 128 cores x 2 threads, 4 nodes. */
static void test_big_host(void **state)
{
	struct cpumap free_cpus, out;

	assert_int_equal(topo_uniform(&topo, 4, 128, 2, 4), 0);
	assert_string_equal(sel("0-1023", NULL, 256, 1), "256-511");
	assert_string_equal(sel("0-1023", NULL, 254, 1), "256-509");
	/* Spanning sockets, even: whole cores only. */
	free_cpus = cpus_of("0-1023");
	assert_int_equal(ncpu_select(&topo, &free_cpus, NULL, 700, 1, &out, NULL), 0);
	assert_int_equal(cpumap_count(&out), 700);
	assert_false(cpumap_test(&out, 0));
	for (unsigned c = 0; c < 1024; c += 2)
		assert_int_equal(cpumap_test(&out, c), cpumap_test(&out, c + 1));
	assert_string_equal(sel("0-1023", NULL, 1023, 1), "1-1023");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_topo_uniform),    cmocka_unit_test(test_cpumap_nodes),
	    cmocka_unit_test(test_2x4x2),           cmocka_unit_test(test_no_cpu),
	    cmocka_unit_test(test_1x4x1),           cmocka_unit_test(test_4x2x2),
	    cmocka_unit_test(test_nodes_in_socket), cmocka_unit_test(test_partial_online),
	    cmocka_unit_test(test_no_whole_cores),  cmocka_unit_test(test_big_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
