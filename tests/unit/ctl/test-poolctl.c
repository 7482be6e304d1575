/* Unit tests of poolctl: its grammar, its text output, its greeting check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "poold-protocol.h"
#include "poolctl/client.h"
#include "poolctl/output.h"
#include "poolctl/parser.h"

/* Splits a command line on spaces and parses it; returns parser_parse's result. */
static int parse(const char *line, struct parser_request *req, char *err, size_t errlen)
{
	char *copy = strdup(line), *argv[16], *save = NULL;
	int argc = 0, r;

	for (char *w = strtok_r(copy, " ", &save); w != NULL && argc < 16;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	err[0] = '\0';
	r = parser_parse(argc, argv, req, err, errlen);
	/* The request must not point into argv: copy freed here on purpose. */
	free(copy);
	return r;
}

/* Asserts that line becomes a request for execute with exactly these arguments. */
static void expect_request(const char *line, const char *execute, const char *args)
{
	struct parser_request req;
	char err[256];
	json_t *want = json_loads(args, 0, NULL);

	assert_non_null(want);
	if (parse(line, &req, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
	assert_string_equal(req.cmd->execute, execute);
	if (!json_equal(req.args, want)) {
		char *got = json_dumps(req.args, JSON_COMPACT);
		fail_msg("%s: got %s, want %s", line, got, args);
	}
	json_t *msg = parser_request_json(&req, 9);
	assert_string_equal(json_string_value(json_object_get(msg, "execute")), execute);
	assert_true(json_equal(json_object_get(msg, "arguments"), want));
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 9);
	json_decref(msg);
	json_decref(want);
	parser_request_fini(&req);
}

/* Asserts a usage error whose message mentions word. */
static void expect_usage(const char *line, const char *word)
{
	struct parser_request req;
	char err[256];

	if (parse(line, &req, err, sizeof(err)) == 0)
		fail_msg("%s: accepted", line);
	parser_request_fini(&req);
	if (strstr(err, word) == NULL)
		fail_msg("%s: \"%s\" does not mention \"%s\"", line, err, word);
}

static void test_seed_syntax(void **state)
{
	expect_request("pool-create pool1 ncpu=4", "pool-create",
	               "{\"name\":\"pool1\",\"ncpu\":4}");
	expect_request("pool-create pool2 cpu=1,3,5", "pool-create",
	               "{\"name\":\"pool2\",\"cpus\":\"1,3,5\"}");
	expect_request("pool-create pool2 cpus=0-7,^3 cap=150", "pool-create",
	               "{\"name\":\"pool2\",\"cpus\":\"0-7,^3\",\"cap\":150}");
	expect_request("pool-create ncpu=2 p", "pool-create", "{\"name\":\"p\",\"ncpu\":2}");
	expect_request("pool-list", "pool-list", "{}");
	expect_request("pool-modify pool1 ncpu=3", "pool-modify",
	               "{\"name\":\"pool1\",\"ncpu\":3}");
	expect_request("pool-modify pool1 cpu=6,7,9", "pool-modify",
	               "{\"name\":\"pool1\",\"cpus\":\"6,7,9\"}");
	expect_request("pool-modify pool1 cap=0", "pool-modify", "{\"name\":\"pool1\",\"cap\":0}");
	expect_request("pool-destroy pool1", "pool-destroy", "{\"name\":\"pool1\"}");
	expect_request("pool-destroy pool1 --force", "pool-destroy",
	               "{\"name\":\"pool1\",\"force\":true}");
	expect_request("pool-migrate web1 pool1", "pool-migrate",
	               "{\"domain\":\"web1\",\"pool\":\"pool1\"}");
	expect_request("pool-migrate 7 pool1", "pool-migrate", "{\"domain\":7,\"pool\":\"pool1\"}");
	expect_request("pool-migrate web7x pool1", "pool-migrate",
	               "{\"domain\":\"web7x\",\"pool\":\"pool1\"}");
	expect_request("pool-migrate --all pool1 pool2", "pool-migrate-all",
	               "{\"from\":\"pool1\",\"pool\":\"pool2\"}");
	/* --all anywhere after the command, and a pool named with digits stays a name */
	expect_request("pool-migrate 12 --all 7", "pool-migrate-all",
	               "{\"from\":\"12\",\"pool\":\"7\"}");
	expect_request("pool-mig --all a b", "pool-migrate-all", "{\"from\":\"a\",\"pool\":\"b\"}");
	expect_request("pool-rename web front", "pool-rename",
	               "{\"name\":\"web\",\"new_name\":\"front\"}");
	expect_request("pool-r web front", "pool-rename",
	               "{\"name\":\"web\",\"new_name\":\"front\"}");
	expect_request("domain-list", "domain-list", "{}");
	expect_request("domain-set web1 weight=512", "domain-set",
	               "{\"domain\":\"web1\",\"weight\":512}");
	expect_request("domain-set 3 cap=50 weight=128", "domain-set",
	               "{\"domain\":3,\"cap\":50,\"weight\":128}");
	expect_request("status", "status", "{}");
	expect_request("log-level debug", "log-level", "{\"level\":\"debug\"}");
	expect_request("monitor", "subscribe", "{}");
	/* Ranges are poold's to judge: a negative number goes through as one. */
	expect_request("domain-set web1 cap=-1", "domain-set", "{\"domain\":\"web1\",\"cap\":-1}");
}

static void test_prefixes(void **state)
{
	expect_request("pool-l", "pool-list", "{}");
	expect_request("st", "status", "{}");
	expect_request("mon", "subscribe", "{}");
	expect_request("domain-s web1 weight=1", "domain-set",
	               "{\"domain\":\"web1\",\"weight\":1}");
	expect_usage("pool-", "ambiguous");
	expect_usage("pool-", "pool-create, pool-list, pool-modify, pool-destroy, pool-migrate");
	expect_usage("d", "domain-list, domain-set");
	/* Two forms of one command are one name: pool-mi is pool-migrate, listed once. */
	expect_usage("pool-mi x", "pool-migrate needs DOMAIN POOL");
	expect_usage("pool-", "pool-destroy, pool-migrate, pool-rename");
	expect_usage("pool-migrate --all a", "pool-migrate needs --all FROM POOL");
	expect_usage("pool-migrate --all a b c", "unexpected 'c'");
	expect_usage("pool-rename web", "pool-rename needs NAME NEW_NAME");
	expect_usage("pool-destroy p --all", "unknown option '--all'");
	expect_usage("frobnicate", "unknown command 'frobnicate'");
	expect_usage("frobnicate", "pool-create");
	expect_usage("frobnicate", "monitor");
}

/* Prints poolctl help [name] into a string; NULL when it refuses (err says why). */
static char *help_of(const char *name, bool json, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int r = parser_print_help(f, name, json, err, errlen);

	fclose(f);
	if (r == 0)
		return buf;
	assert_int_equal(len, 0);
	free(buf);
	return NULL;
}

static void test_help(void **state)
{
	struct parser_request req;
	char err[256], *s;
	json_t *o;

	/* help is poolctl's own word: parsed, but no protocol command to send. */
	assert_int_equal(parse("help pool-c", &req, err, sizeof(err)), 0);
	assert_null(req.cmd->execute);
	assert_string_equal(json_string_value(json_object_get(req.args, "command")), "pool-c");
	parser_request_fini(&req);
	assert_int_equal(parse("he", &req, err, sizeof(err)), 0);
	assert_string_equal(req.cmd->name, "help");
	parser_request_fini(&req);

	/* Every command of the table in the list, each with its usage. */
	s = help_of(NULL, false, err, sizeof(err));
	assert_non_null(s);
	for (const struct parser_cmd *c = parser_cmds; c->name != NULL; c++)
		if (strstr(s, c->name) == NULL || strstr(s, c->help) == NULL)
			fail_msg("help lacks %s", c->name);
	free(s);

	/* One command, by a prefix: usage, description, each word and what it fills. */
	s = help_of("pool-c", false, err, sizeof(err));
	assert_non_null(s);
	assert_non_null(strstr(s, "usage: poolctl [OPTIONS] pool-create NAME ncpu=N"));
	assert_non_null(strstr(s, "taken from pool0"));
	assert_non_null(strstr(s, "ncpu="));
	assert_non_null(strstr(s, "share="));
	assert_non_null(strstr(s, "sends pool-create"));
	free(s);
	s = help_of("pool-destroy", true, err, sizeof(err));
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "execute")), "pool-destroy");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(o, "arguments"), 1), "word")),
	                    "--force");
	json_decref(o);
	free(s);

	/* Both forms of pool-migrate, in text and as the list of them in JSON. */
	s = help_of("pool-migrate", false, err, sizeof(err));
	assert_non_null(s);
	assert_non_null(
	    strstr(s, "usage: poolctl [OPTIONS] pool-migrate DOMAIN POOL [--dry-run]\n"));
	assert_non_null(
	    strstr(s, "usage: poolctl [OPTIONS] pool-migrate --all FROM POOL [--dry-run]\n"));
	assert_non_null(strstr(s, "sends pool-migrate-all"));
	free(s);
	s = help_of("pool-migrate", true, err, sizeof(err));
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "commands")), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(o, "commands"), 1), "execute")),
	                    "pool-migrate-all");
	json_decref(o);
	free(s);

	assert_null(help_of("pool-", false, err, sizeof(err)));
	assert_non_null(strstr(err, "ambiguous"));
	assert_null(help_of("frobnicate", true, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown command"));
}

/* top's own options: poolctl's, never sent; each value checked with the fix said. */
static void test_top_options(void **state)
{
	struct parser_request req;
	char err[256];

	expect_request("top", "top", "{}");
	expect_request("top -b -n 2 -d 1", "top", "{}");
	assert_int_equal(parse("top", &req, err, sizeof(err)), 0);
	assert_false(req.top.batch);
	assert_int_equal(req.top.frames, 0);
	assert_true(req.top.delay == PARSER_TOP_DELAY_DEFAULT);
	parser_request_fini(&req);
	assert_int_equal(parse("top -b -n 2 -d 0.5", &req, err, sizeof(err)), 0);
	assert_true(req.top.batch);
	assert_int_equal(req.top.frames, 2);
	assert_true(req.top.delay == 0.5);
	parser_request_fini(&req);
	assert_int_equal(parse("top -n7 -d2", &req, err, sizeof(err)), 0);
	assert_int_equal(req.top.frames, 7);
	assert_true(req.top.delay == 2);
	parser_request_fini(&req);
	expect_usage("top -n 0", "1 or more");
	expect_usage("top -n -3", "1 or more");
	expect_usage("top -n two", "1 or more");
	expect_usage("top -n", "needs a value");
	expect_usage("top -d 0.01", "0.1 to 3600");
	expect_usage("top -d 1s", "0.1 to 3600");
	expect_usage("top -x", "unknown option");
	expect_usage("top extra", "unexpected");
	/* Other commands take no such options. */
	expect_usage("status -b", "unknown option");
}

static void test_usage_errors(void **state)
{
	struct parser_request req;
	char err[256];

	assert_int_equal(parser_parse(0, NULL, &req, err, sizeof(err)), -1);
	assert_null(req.cmd);
	expect_usage("pool-create", "NAME");
	expect_usage("pool-create p", "ncpu=N");
	expect_usage("pool-create p ncpu=2 cpu=1", "give one of ncpu=N, cpu=LIST or nodes=LIST");
	expect_usage("pool-create p nodes=1 cpu=1", "give one of");
	expect_usage("pool-create p ncpu=two", "whole number");
	expect_usage("pool-create p ncpu=2x", "whole number");
	expect_usage("pool-create p ncpu=", "needs a value");
	expect_usage("pool-create p ncpu=1 ncpu=2", "twice");
	expect_usage("pool-create p cpu=1 cpus=2", "twice");
	expect_usage("pool-create p colour=red", "colour");
	expect_usage("pool-create p q ncpu=1", "unexpected 'q'");
	expect_usage("pool-modify pool1", "nothing to change");
	expect_usage("pool-modify pool1 ncpu=1 cpu=3", "give one of");
	expect_usage("pool-destroy p --forc", "--forc");
	expect_usage("pool-destroy p -f", "-f");
	expect_usage("pool-migrate web1", "DOMAIN POOL");
	expect_usage("domain-set web1", "nothing to change");
	expect_usage("domain-set web1 weight=1 ncpu=2", "ncpu");
	expect_usage("status now", "unexpected 'now'");
	expect_usage("pool-list p", "unexpected");
	expect_usage("log-level", "LEVEL");
	/* The command is known even when its arguments are wrong: usage names it. */
	assert_int_equal(parse("pool-create p", &req, err, sizeof(err)), -1);
	assert_non_null(req.cmd);
	assert_string_equal(req.cmd->name, "pool-create");
	parser_request_fini(&req);
}

/* Renders a result through the text back-end into a string. */
static char *render(const char *cmd, const char *args, const char *ret)
{
	struct parser_request req;
	char err[256], *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	json_t *a = json_loads(args, 0, NULL), *r = json_loads(ret, 0, NULL);

	assert_non_null(a);
	assert_non_null(r);
	assert_int_equal(parse(cmd, &req, err, sizeof(err)), 0);
	if (output_text.result(f, req.cmd, a, r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", cmd, err);
	fclose(f);
	parser_request_fini(&req);
	json_decref(a);
	json_decref(r);
	return buf;
}

/* A frame of top: its first line, the pools, the domains, a blank line after each table. */
static void test_text_top(void **state)
{
	static const char *reply =
	    "{\"periods\":4,\"window\":1.002,\"age\":0.25,\"share_period\":1.0,\"pools\":["
	    "{\"id\":0,\"name\":\"pool0\",\"cpus\":\"0-1\",\"ncpu\":2,\"nodes\":\"0\",\"cap\":0,"
	    "\"members\":1,\"vcpus\":4,\"used\":190.0,\"load\":95.0,\"saturated\":true,"
	    "\"controller\":\"off\"},"
	    "{\"id\":1,\"name\":\"p1\",\"cpus\":\"2-3\",\"ncpu\":2,\"nodes\":\"0-1\",\"cap\":0,"
	    "\"members\":1,\"vcpus\":1,\"used\":null,\"load\":null,\"saturated\":null,"
	    "\"controller\":\"idle\"}],\"domains\":["
	    "{\"domid\":0,\"name\":\"Domain-0\",\"pool\":\"pool0\",\"vcpus\":4,\"used\":190.0,"
	    "\"weight\":256,\"cap\":0,\"hv_weight\":256,\"hv_cap\":0},"
	    "{\"domid\":5,\"name\":\"vm\",\"pool\":\"p1\",\"vcpus\":1,\"used\":null,"
	    "\"weight\":512,\"cap\":50,\"hv_weight\":512,\"hv_cap\":50}]}";
	struct parser_request req;
	char err[256], *s, *buf = NULL;
	size_t len = 0;
	json_t *bad;
	FILE *f;

	s = render("top -b", "{}", reply);
	assert_string_equal(
	    s, "top: period 4, window 1.0 s, 0.2 s ago\n"
	       "pool   ncpu  cpus  nodes  members  vcpus  used%  load%  controller  saturated\n"
	       "pool0  2     0-1   0      1        4      190.0  95.0   off         yes\n"
	       "p1     2     2-3   0-1    1        1      -      -      idle        -\n"
	       "\n"
	       "domid  name      pool   vcpus  used%  weight  cap  hv-weight  hv-cap\n"
	       "0      Domain-0  pool0  4      190.0  256     0    256        0\n"
	       "5      vm        p1     1      -      512     50   512        50\n"
	       "\n");
	free(s);

	/* A reply of the wrong shape prints nothing at all, and says where it is wrong. */
	bad = json_loads(reply, 0, NULL);
	json_object_set_new(json_array_get(json_object_get(bad, "domains"), 1), "used",
	                    json_string("a lot"));
	f = open_memstream(&buf, &len);
	assert_int_equal(parse("top", &req, err, sizeof(err)), 0);
	assert_int_equal(output_text.result(f, req.cmd, req.args, bad, err, sizeof(err)), -1);
	fclose(f);
	assert_string_equal(buf, "");
	assert_non_null(strstr(err, "domains[1].used"));
	free(buf);
	parser_request_fini(&req);
	json_decref(bad);
}

/* Returns what parser_print_words prints for cmd (NULL: the command names); caller frees. */
static char *words(const char *cmd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(parser_print_words(f, cmd), 0);
	fclose(f);
	return buf;
}

static void test_completion_words(void **state)
{
	char *s;
	FILE *f;

	/* One line per choice: the pCPUs are ncpu=, cpu= (spelt cpus= too) or nodes= (node=). */
	s = words("pool-create");
	assert_string_equal(s, "ncpu= cpu= cpus= nodes= node=\ncap=\nshare=\n--dry-run\n");
	free(s);
	s = words("pool-modify");
	assert_string_equal(s, "ncpu= cpu= cpus= nodes= node=\ncap=\nshare=\n--dry-run\n");
	free(s);
	s = words("domain-set");
	assert_string_equal(s, "weight=\ncap=\n--dry-run\n");
	free(s);
	s = words("pool-migrate");
	assert_string_equal(s, "--dry-run\n--all\n");
	free(s);
	s = words("apply");
	assert_string_equal(s, "--dry-run\n");
	free(s);
	s = words("export");
	assert_string_equal(s, "");
	free(s);
	s = words("pool-destroy");
	assert_string_equal(s, "--force\n--dry-run\n");
	free(s);
	s = words("pool-list");
	assert_string_equal(s, "");
	free(s);
	/* The word of pool-migrate's second form; the form itself is no command of its own. */
	s = words("pool-migrate");
	assert_string_equal(s, "--dry-run\n--all\n");
	free(s);
	s = words("pool-rename");
	assert_string_equal(s, "--dry-run\n");
	free(s);
	s = words(NULL);
	assert_non_null(strstr(s, "pool-create\npool-list\n"));
	assert_non_null(strstr(s, "\npool-migrate\npool-rename\n"));
	assert_null(strstr(s, "pool-migrate\npool-migrate\n"));
	free(s);

	/* Only a full name: a prefix is for the command line, not for completion. */
	f = fopen("/dev/null", "w");
	assert_non_null(f);
	assert_int_equal(parser_print_words(f, "pool-c"), -1);
	fclose(f);
}

static void test_text_pool_list(void **state)
{
	char *s;

	/* The seed's layout, byte for byte. */
	s = render(
	    "pool-list", "{}",
	    "{\"pools\": ["
	    "{\"id\":0,\"name\":\"pool0\",\"cpus\":\"0,2,4\",\"ncpu\":3,\"sched\":\"credit\","
	    "\"cap\":0,\"share\":\"auto\",\"share_active\":false,\"domains\":[0]},"
	    "{\"id\":1,\"name\":\"pool1\",\"cpus\":\"6-9\",\"ncpu\":4,\"sched\":\"credit\","
	    "\"cap\":0,\"share\":\"auto\",\"share_active\":true,\"domains\":[1,7]},"
	    "{\"id\":2,\"name\":\"pool2\",\"cpus\":\"1,3,5\",\"ncpu\":3,\"sched\":\"credit\","
	    "\"cap\":0,\"share\":\"off\",\"share_active\":false,\"domains\":[2,3]}]}");
	assert_string_equal(s, "pool      cpus          sched      share    domains\n"
	                       "pool0     0,2,4         credit     auto     0\n"
	                       "pool1     6-9           credit     capping  1,7\n"
	                       "pool2     1,3,5         credit     off      2,3\n");
	free(s);

	/* Columns grow with their content; an empty pool shows "-". */
	s = render("pool-list", "{}",
	           "{\"pools\": ["
	           "{\"id\":0,\"name\":\"pool0\",\"cpus\":\"0-3,16-19,32-35\",\"ncpu\":12,"
	           "\"sched\":\"credit2\",\"cap\":0,\"share\":\"auto\",\"share_active\":false,"
	           "\"domains\":[0]},"
	           "{\"id\":5,\"name\":\"a-rather-long-name\",\"cpus\":\"4\",\"ncpu\":1,"
	           "\"sched\":\"credit2\",\"cap\":0,\"share\":\"auto\",\"share_active\":false,"
	           "\"domains\":[]}]}");
	assert_string_equal(s, "pool                cpus             sched      share    domains\n"
	                       "pool0               0-3,16-19,32-35  credit2    auto     0\n"
	                       "a-rather-long-name  4                credit2    auto     -\n");
	free(s);
}

static void test_text_others(void **state)
{
	char *s;

	s = render("domain-list", "{}",
	           "{\"domains\": ["
	           "{\"domid\":0,\"name\":\"Domain-0\",\"pool\":\"pool0\",\"misplaced\":false,"
	           "\"vcpus\":4,\"weight\":256,\"cap\":0,\"hv_weight\":256,\"hv_cap\":0,"
	           "\"used\":3.25,\"entitled\":null,\"share_cap\":0},"
	           "{\"domid\":12,\"name\":\"db\",\"pool\":\"pool0\",\"misplaced\":true,"
	           "\"wanted\":\"pool9\",\"vcpus\":2,\"weight\":512,\"cap\":50,\"hv_weight\":1024,"
	           "\"hv_cap\":37,\"used\":37,\"entitled\":37.5,\"share_cap\":37},"
	           "{\"domid\":13,\"name\":\"new\",\"pool\":\"pool0\",\"misplaced\":false,"
	           "\"vcpus\":1,\"weight\":256,\"cap\":0,\"hv_weight\":256,\"hv_cap\":0,"
	           "\"used\":null,\"entitled\":null,\"share_cap\":0}]}");
	assert_string_equal(s,
	                    "domid  name      pool                 vcpus  weight  cap  hv-weight  "
	                    "hv-cap  used%  entitled%\n"
	                    "0      Domain-0  pool0                4      256     0    256        "
	                    "0       3.2    -\n"
	                    "12     db        pool0 (wants pool9)  2      512     50   1024       "
	                    "37      37.0   37.5\n"
	                    "13     new       pool0                1      256     0    256        "
	                    "0       -      -\n");
	free(s);

	s = render("pool-create pool1 ncpu=4", "{\"name\":\"pool1\",\"ncpu\":4}",
	           "{\"pool\":{\"id\":1,\"name\":\"pool1\",\"cpus\":\"8-11\",\"ncpu\":4,"
	           "\"sched\":\"credit\",\"cap\":0,\"domains\":[]}}");
	assert_string_equal(s, "pool1 created: cpus 8-11\n");
	free(s);
	s = render("pool-modify pool1 cap=150", "{\"name\":\"pool1\",\"cap\":150}",
	           "{\"pool\":{\"id\":1,\"name\":\"pool1\",\"cpus\":\"8-11\",\"ncpu\":4,"
	           "\"sched\":\"credit\",\"cap\":150,\"domains\":[]}}");
	assert_string_equal(s, "pool1 modified: cpus 8-11, cap 150%\n");
	free(s);
	s = render("pool-destroy pool1 --force", "{\"name\":\"pool1\",\"force\":true}",
	           "{\"pool\":\"pool1\",\"id\":1,\"cpus\":\"8-11\",\"ncpu\":4,\"domains\":[3,7],"
	           "\"to\":\"pool0\"}");
	assert_string_equal(
	    s, "pool1 destroyed: cpus 8-11 back to pool0, domains 3,7 moved to pool0\n");
	free(s);
	s = render("pool-destroy pool2", "{\"name\":\"pool2\"}",
	           "{\"pool\":\"pool2\",\"id\":2,\"cpus\":\"12\",\"ncpu\":1,\"domains\":[],"
	           "\"to\":\"pool0\"}");
	assert_string_equal(s, "pool2 destroyed: cpus 12 back to pool0\n");
	free(s);
	s = render("pool-migrate 7 pool2", "{\"domain\":7,\"pool\":\"pool2\"}",
	           "{\"domain\":{\"domid\":7,\"name\":\"web1\",\"pool\":\"pool2\"}}");
	assert_string_equal(s, "web1 (domid 7) moved to pool2\n");
	free(s);
	s = render("pool-migrate --all pool0 web", "{\"from\":\"pool0\",\"pool\":\"web\"}",
	           "{\"from\":\"pool0\",\"pool\":\"web\",\"domains\":["
	           "{\"domid\":3,\"name\":\"a\",\"pool\":\"web\"},"
	           "{\"domid\":5,\"name\":\"b\",\"pool\":\"web\"}],\"skipped\":[0]}");
	assert_string_equal(s, "a (domid 3) moved to web\nb (domid 5) moved to web\n"
	                       "domain 0 stays in pool0: dom0 always does\n");
	free(s);
	s = render("pool-migrate --all web web", "{\"from\":\"web\",\"pool\":\"web\"}",
	           "{\"from\":\"web\",\"pool\":\"web\",\"domains\":[],\"skipped\":[]}");
	assert_string_equal(s, "no domain of web to move to web\n");
	free(s);
	s = render("pool-rename web front", "{\"name\":\"web\",\"new_name\":\"front\"}",
	           "{\"pool\":{\"id\":1,\"name\":\"front\",\"cpus\":\"2-3\",\"ncpu\":2,"
	           "\"domains\":[3,5]},\"renamed_from\":\"web\",\"warning\":null}");
	assert_string_equal(s, "web renamed to front (id 1): cpus 2-3, domains 3,5\n");
	free(s);
	s = render("pool-rename web web", "{\"name\":\"web\",\"new_name\":\"web\"}",
	           "{\"pool\":{\"id\":1,\"name\":\"web\",\"cpus\":\"2-3\",\"ncpu\":2,"
	           "\"domains\":[]},\"renamed_from\":\"web\",\"warning\":null}");
	assert_string_equal(s, "web is already named so: nothing changed\n");
	free(s);
	s = render("log-level info", "{\"level\":\"info\"}", "{\"level\":\"info\"}");
	assert_string_equal(s, "log level: info\n");
	free(s);
}

/* Renders a reply the text back-end must refuse; returns what it printed (nothing). */
static char *refuse(const char *cmd, const char *ret, const char *why)
{
	struct parser_request req;
	char err[256], *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	json_t *r = json_loads(ret, 0, NULL);

	assert_non_null(r);
	assert_int_equal(parse(cmd, &req, err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(output_text.result(f, req.cmd, req.args, r, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", cmd, err, why);
	fclose(f);
	parser_request_fini(&req);
	json_decref(r);
	assert_string_equal(buf, "");
	return buf;
}

#define POOL(dom)                                                                                  \
	"{\"pools\":[{\"name\":\"p\",\"cpus\":\"0\",\"sched\":\"credit\",\"share\":\"auto\","      \
	"\"share_active\":false,\"domains\":[" dom "]}]}"

/* Ids past any domain's, and members of the wrong type, are refused with where they are. */
static void test_text_hostile(void **state)
{
	char *s;

	free(refuse("pool-list", POOL("1,9007199254740993"),
	            "pools[0].domains[1] is 9007199254740993, not a domain id"));
	free(refuse("pool-list", POOL("-1"), "pools[0].domains[0] is -1, not a domain id"));
	free(refuse("pool-list", POOL("9223372036854775807,1"), "pools[0].domains[0] is 922"));
	free(refuse("pool-list", POOL("\"1\""), "pools[0].domains[0] is a string"));
	free(refuse("pool-list", "{\"pools\":{}}", "pools is an object, not an array"));
	free(refuse("pool-list", "{\"pools\":[7]}", "pools[0] is 7, not an object"));
	free(refuse("pool-list",
	            "{\"pools\":[{\"name\":1,\"cpus\":\"0\",\"sched\":\"credit\",\"share\":"
	            "\"auto\",\"share_active\":false,\"domains\":[]}]}",
	            "pools[0].name is 1, not a string"));
	free(refuse("pool-list",
	            "{\"pools\":[{\"name\":\"p\",\"cpus\":\"0\",\"sched\":\"credit\",\"share\":"
	            "\"auto\",\"share_active\":\"yes\",\"domains\":[]}]}",
	            "pools[0].share_active is a string, not a boolean"));
	free(refuse("domain-list", "{\"domains\":[{\"domid\":70000}]}",
	            "domains[0].domid is 70000, not a domain id"));
	free(refuse("domain-list",
	            "{\"domains\":[{\"domid\":1,\"name\":\"a\",\"pool\":\"p\",\"vcpus\":1,"
	            "\"weight\":1,\"cap\":0,\"hv_weight\":1,\"hv_cap\":0,\"used\":\"x\","
	            "\"entitled\":null,\"misplaced\":false}]}",
	            "domains[0].used is a string, not a number or null"));
	free(refuse("pool-migrate 1 p", "{\"domain\":{\"name\":\"a\",\"domid\":-5,\"pool\":\"p\"}}",
	            "domain.domid is -5"));
	free(refuse("pool-create p ncpu=1", "{\"pool\":[]}", "pool is an array, not an object"));
	free(refuse("log-level info", "{\"level\":null}", "return.level is null, not a string"));

	/* Control characters from poold never reach the terminal. */
	s = render("log-level info", "{}", "{\"level\":\"in\\u001b[2Jfo\\u009b\\r\"}");
	assert_string_equal(s, "log level: in?[2Jfo???\n");
	free(s);
}

static void test_greeting(void **state)
{
	char err[256];
	json_t *g;

	g = json_pack("{s:{s:i,s:s}}", "poold", "protocol", POOLD_PROTOCOL_VERSION, "version", "9");
	assert_int_equal(client_check_greeting(g, err, sizeof(err)), 0);
	json_decref(g);

	g = json_pack("{s:{s:i,s:s}}", "poold", "protocol", POOLD_PROTOCOL_VERSION + 1, "version",
	              "9.9");
	assert_int_equal(client_check_greeting(g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "speaks protocol"));
	json_decref(g);

	g = json_pack("{s:{s:s,s:s}}", "error", "class", "TooManyClients", "desc", "too many");
	assert_int_equal(client_check_greeting(g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "TooManyClients"));
	json_decref(g);

	g = json_pack("{s:i}", "QMP", 1);
	assert_int_equal(client_check_greeting(g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "greet"));
	json_decref(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_syntax),  cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_top_options),
	    cmocka_unit_test(test_text_top),     cmocka_unit_test(test_text_pool_list),
	    cmocka_unit_test(test_text_others),  cmocka_unit_test(test_text_hostile),
	    cmocka_unit_test(test_greeting),     cmocka_unit_test(test_completion_words),
	    cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
