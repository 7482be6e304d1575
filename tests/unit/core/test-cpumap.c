/* Unit tests of cpumap: set operations, xl cpu list parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/cpumap.h"

/* Parses text on a host of nr cpus and returns the canonical form. */
static const char *parse_fmt(const char *text, unsigned nr)
{
	static char buf[CPUMAP_TEXT_MAX];
	struct cpumap m;
	struct perr e = {0};

	assert_int_equal(cpumap_parse(&m, text, nr, &e), 0);
	assert_true(cpumap_format(&m, buf, sizeof(buf)) >= 0);
	return buf;
}

/* Expects text to be refused, with a message containing want. */
static void parse_bad(const char *text, unsigned nr, const char *want)
{
	struct cpumap m;
	struct perr e = {0};

	cpumap_fill(&m, 3);
	assert_int_equal(cpumap_parse(&m, text, nr, &e), POOLD_E_INVALID);
	assert_int_equal(e.code, POOLD_E_INVALID);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message for \"%s\" is \"%s\", lacks \"%s\"", text, e.msg, want);
	/* A refused list leaves the output alone. */
	assert_int_equal(cpumap_count(&m), 3);
}

static void test_set_ops(void **state)
{
	struct cpumap a, b, c;

	cpumap_zero(&a);
	assert_true(cpumap_empty(&a));
	cpumap_set(&a, 0);
	cpumap_set(&a, 63);
	cpumap_set(&a, 64);
	cpumap_set(&a, CPUMAP_MAX - 1);
	cpumap_set(&a, CPUMAP_MAX); /* out of range: ignored */
	assert_int_equal(cpumap_count(&a), 4);
	assert_true(cpumap_test(&a, 63));
	assert_true(cpumap_test(&a, 64));
	assert_false(cpumap_test(&a, 65));
	assert_false(cpumap_test(&a, CPUMAP_MAX));
	assert_int_equal(cpumap_next(&a, 0), 0);
	assert_int_equal(cpumap_next(&a, 1), 63);
	assert_int_equal(cpumap_next(&a, 64), 64);
	assert_int_equal(cpumap_next(&a, 65), CPUMAP_MAX - 1);
	assert_int_equal(cpumap_next(&a, CPUMAP_MAX), -1);
	cpumap_clear(&a, 63);
	assert_false(cpumap_test(&a, 63));

	cpumap_fill(&b, 65);
	assert_int_equal(cpumap_count(&b), 65);
	assert_true(cpumap_test(&b, 64));
	assert_false(cpumap_test(&b, 65));
	cpumap_fill(&c, 64);
	assert_int_equal(cpumap_count(&c), 64);
	assert_true(cpumap_subset(&c, &b));
	assert_false(cpumap_subset(&b, &c));

	cpumap_and(&c, &a, &b); /* {0, 64} */
	assert_int_equal(cpumap_count(&c), 2);
	assert_true(cpumap_intersects(&a, &b));
	cpumap_andnot(&c, &b, &a); /* 1..63 */
	assert_int_equal(cpumap_count(&c), 63);
	assert_false(cpumap_intersects(&c, &a));
	cpumap_or(&c, &c, &a); /* aliasing out and a */
	assert_int_equal(cpumap_count(&c), 66);
	assert_false(cpumap_equal(&c, &b));
	cpumap_clear(&c, CPUMAP_MAX - 1);
	assert_true(cpumap_equal(&c, &b));

	int seen = 0;
	cpumap_for_each (cpu, &a) {
		assert_true(cpumap_test(&a, (unsigned)cpu));
		seen++;
	}
	assert_int_equal(seen, 3);
}

static void test_parse_syntax(void **state)
{
	assert_string_equal(parse_fmt("all", 16), "0-15");
	assert_string_equal(parse_fmt("ALL", 4), "0-3");
	assert_string_equal(parse_fmt("3", 16), "3");
	assert_string_equal(parse_fmt("1,3,5", 16), "1,3,5");
	assert_string_equal(parse_fmt("6-9", 16), "6-9");
	assert_string_equal(parse_fmt("0-7,^3", 16), "0-2,4-7");
	assert_string_equal(parse_fmt("all,^0", 8), "1-7");
	assert_string_equal(parse_fmt("0-7,^2-3,3", 16), "0-1,3-7");
	assert_string_equal(parse_fmt("^2-3", 16), "");
	assert_string_equal(parse_fmt("^2,5", 16), "5");
	assert_string_equal(parse_fmt(" 1 - 3 , ^ 2 ", 16), "1,3");
	assert_string_equal(parse_fmt("5,1,3,1", 16), "1,3,5");
	assert_string_equal(parse_fmt("7-7", 8), "7");
	assert_string_equal(parse_fmt("0-1023", CPUMAP_MAX), "0-1023");
	assert_string_equal(parse_fmt("0-3,8,10-11", 16), "0-3,8,10-11");
}

static void test_parse_errors(void **state)
{
	parse_bad("17", 16, "cpu 17 is out of range: this host has 16 pCPUs (0-15)");
	parse_bad("0-16", 16, "cpu 16 is out of range");
	parse_bad("99999999999999999999", 16, "cpu 99999999999999999999 is out of range");
	parse_bad("1", 1, "this host has 1 pCPU (0-0)");
	parse_bad("5-3", 16, "\"5-3\" is a reversed range");
	parse_bad("5-3", 16, "3-5");
	parse_bad("1,,2", 16, "empty item");
	parse_bad("1,", 16, "empty item");
	parse_bad(",1", 16, "empty item");
	parse_bad("^", 16, "empty item");
	parse_bad("", 16, "empty");
	parse_bad("   ", 16, "empty");
	parse_bad("1,x1", 16, "\"x1\" in cpu list \"1,x1\" is not a cpu");
	parse_bad("1-", 16, "\"1-\"");
	parse_bad("-1", 16, "\"-1\"");
	parse_bad("1 2", 16, "\"1 2\"");
	parse_bad("1-2-3", 16, "\"1-2-3\"");
	parse_bad("allx", 16, "\"allx\"");
	parse_bad("0x3", 16, "\"0x3\"");
	parse_bad("1;2", 16, "\"1;2\"");
}

static void test_parse_single_cpu_host(void **state)
{
	struct perr e = {0};
	struct cpumap m;

	assert_int_equal(cpumap_parse(&m, "1", 1, &e), POOLD_E_INVALID);
	assert_string_equal(e.msg, "cpu 1 is out of range: this host has 1 pCPU (0-0)");
	assert_int_equal(cpumap_parse(&m, "0", 1, &e), 0);
	assert_int_equal(cpumap_count(&m), 1);
	/* A NULL perr is fine: the code still comes back. */
	assert_int_equal(cpumap_parse(&m, "x", 1, NULL), POOLD_E_INVALID);
}

/* A host of 3 nodes: node 0 cpus 0-3, node 1 cpus 4-7, node 2 cpus 8-11. */
static int parse_nodes(const char *text, char *out, size_t len, struct perr *e)
{
	struct cpumap nodes[3], m;
	int r;

	for (unsigned n = 0; n < 3; n++) {
		cpumap_zero(&nodes[n]);
		for (unsigned c = 4 * n; c < 4 * n + 4; c++)
			cpumap_set(&nodes[n], c);
	}
	r = cpumap_parse_nodes(&m, text, 12, nodes, 3, e);
	if (r == 0)
		assert_true(cpumap_format(&m, out, len) >= 0);
	return r;
}

static void test_parse_nodes(void **state)
{
	static const struct {
		const char *text, *want;
	} good[] = {
	    {"node:1", "4-7"},       {"nodes:1", "4-7"},
	    {"nodes:0-1", "0-7"},    {"nodes:0-2,^node:1", "0-3,8-11"},
	    {"node:2,1", "1,8-11"},  {"all,^nodes:0-1", "8-11"},
	    {"nodes:1,^5", "4,6-7"}, {" node: 1 ", "4-7"},
	    {"nodes:1-1", "4-7"},    {"^node:0,nodes:0", "0-3"},
	};
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"node:3", "node 3 is out of range: this host has 3 NUMA nodes (0-2)"},
	    {"nodes:1-5", "node 5 is out of range"},
	    {"nodes:2-1", "reversed node range"},
	    {"node:", "is not a node or a node range"},
	    {"node:x", "is not a node or a node range"},
	    {"nodes:1-", "is not a node or a node range"},
	    {"nodes:1,2-", "\"2-\""},
	};
	char buf[CPUMAP_TEXT_MAX];
	struct perr e = {0};
	struct cpumap m;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (parse_nodes(good[i].text, buf, sizeof(buf), &e) != 0)
			fail_msg("\"%s\" refused: %s", good[i].text, e.msg);
		if (strcmp(buf, good[i].want) != 0)
			fail_msg("\"%s\" gave %s, not %s", good[i].text, buf, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(parse_nodes(bad[i].text, buf, sizeof(buf), &e), POOLD_E_INVALID);
		if (strstr(e.msg, bad[i].want) == NULL)
			fail_msg("message for \"%s\" is \"%s\", lacks \"%s\"", bad[i].text, e.msg,
			         bad[i].want);
	}
	/* Without the host's nodes (cpumap_parse) a node item is refused, saying why. */
	parse_bad("node:0", 16, "NUMA nodes are not known here");
	assert_int_equal(cpumap_parse_nodes(&m, "nodes:0", 16, NULL, 0, &e), POOLD_E_INVALID);
}

static void test_format(void **state)
{
	char buf[CPUMAP_TEXT_MAX];
	struct cpumap m;

	cpumap_zero(&m);
	assert_int_equal(cpumap_format(&m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	cpumap_set(&m, 0);
	cpumap_set(&m, 1);
	cpumap_set(&m, 4);
	cpumap_set(&m, 63);
	cpumap_set(&m, 64);
	cpumap_set(&m, 65);
	assert_int_equal(cpumap_format(&m, buf, sizeof(buf)), (int)strlen("0-1,4,63-65"));
	assert_string_equal(buf, "0-1,4,63-65");
	assert_int_equal(cpumap_format(&m, buf, 5), -ENOSPC);
	assert_int_equal(cpumap_format(&m, buf, 0), -ENOSPC);
	assert_int_equal(cpumap_format(&m, buf, strlen("0-1,4,63-65") + 1), 11);

	/* The worst case fits CPUMAP_TEXT_MAX. */
	cpumap_zero(&m);
	for (unsigned c = 0; c < CPUMAP_MAX; c += 2)
		cpumap_set(&m, c);
	assert_true(cpumap_format(&m, buf, sizeof(buf)) > 0);
}

static void test_round_trip(void **state)
{
	static const char *const lists[] = {
	    "0", "0-15", "1,3,5", "0-2,4-7", "6-9", "0-1,3,5-6,8-15", "15", "2-3,9",
	};
	char buf[CPUMAP_TEXT_MAX];
	struct cpumap m, again;
	unsigned seed = 12345;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		assert_string_equal(parse_fmt(lists[i], 16), lists[i]);

	/* Random sets: format, parse, compare. */
	for (int round = 0; round < 200; round++) {
		cpumap_zero(&m);
		for (unsigned c = 0; c < 300; c++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 3 == 0)
				cpumap_set(&m, c);
		}
		if (cpumap_empty(&m))
			continue;
		assert_true(cpumap_format(&m, buf, sizeof(buf)) > 0);
		assert_int_equal(cpumap_parse(&again, buf, 300, NULL), 0);
		assert_true(cpumap_equal(&m, &again));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_ops),      cmocka_unit_test(test_parse_syntax),
	    cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_parse_single_cpu_host),
	    cmocka_unit_test(test_format),       cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_parse_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
