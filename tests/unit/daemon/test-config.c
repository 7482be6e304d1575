/* Unit tests of poold.conf parsing and the command line over file over defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poold-protocol.h"
#include "poold/config-file.h"
#include "poold/config.h"
#include "util/log.h"

static char conf_path[64];

/* Writes a config file and returns its path. */
static const char *conf(const char *text)
{
	FILE *f;
	int fd;

	strcpy(conf_path, "/tmp/poold-test-conf.XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return conf_path;
}

static void test_reads_every_key(void **state)
{
	struct poold_config c;
	struct perr e = {0};
	const char *p = conf("# poold\n"
	                     "socket = \"/run/x.sock\"\n"
	                     "state_file = \"/var/x.json\"; backend = \"sim\"\n"
	                     "sim_socket = \"/tmp/hv.sock\"\n"
	                     "xenstore_path = \"/tmp/xs.sock\"\n"
	                     "default_pool = \"pool1\"   # where strays go\n"
	                     "log_level = \"info\"\n");

	config_init(&c);
	assert_int_equal(config_read(&c, p, CONFIG_MUST_EXIST, &e), 0);
	assert_string_equal(c.ctl_socket, "/run/x.sock");
	assert_string_equal(c.state_file, "/var/x.json");
	assert_string_equal(c.hv_backend, "sim");
	assert_string_equal(c.sim_socket, "/tmp/hv.sock");
	assert_string_equal(c.xenstore_path, "/tmp/xs.sock");
	assert_string_equal(c.default_pool, "pool1");
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_string_equal(c.config_file, p);
	config_fini(&c);
	unlink(p);
}

static void test_defaults_and_precedence(void **state)
{
	struct poold_config file, cli;
	struct perr e = {0};
	const char *p = conf("socket = \"/file.sock\"\nlog_level = 7\ndefault_pool = \"p2\"\n");

	config_init(&file);
	config_init(&cli);
	cli.ctl_socket = strdup("/cli.sock");
	cli.foreground = true;
	assert_int_equal(config_read(&file, p, CONFIG_MUST_EXIST, &e), 0);
	assert_int_equal(file.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(config_merge(&file, &cli), 0);
	assert_int_equal(config_defaults(&file), 0);
	assert_string_equal(file.ctl_socket, "/cli.sock");
	assert_string_equal(file.default_pool, "p2");
	assert_string_equal(file.state_file, POOLD_STATE_DEFAULT);
	assert_string_equal(file.hv_backend, "xen");
	assert_null(file.sim_socket);
	assert_int_equal(file.log_level, LOG_LEVEL_DEBUG);
	assert_true(file.foreground);

	/* with nothing anywhere, the built-in defaults */
	config_fini(&cli);
	config_init(&cli);
	assert_int_equal(config_defaults(&cli), 0);
	assert_string_equal(cli.ctl_socket, POOLD_SOCKET_DEFAULT);
	assert_string_equal(cli.config_file, POOLD_CONF_DEFAULT);
	assert_string_equal(cli.default_pool, "pool0");
	assert_int_equal(cli.log_level, LOG_LEVEL_NOTICE);
	config_fini(&cli);
	config_fini(&file);
	unlink(p);
}

static void test_missing_file(void **state)
{
	struct poold_config c;
	struct perr e = {0};

	config_init(&c);
	assert_int_equal(config_read(&c, "/nonexistent/poold.conf", 0, &e), 0);
	assert_null(c.ctl_socket);
	assert_int_equal(config_read(&c, "/nonexistent/poold.conf", CONFIG_MUST_EXIST, &e),
	                 -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/poold.conf"));
	config_fini(&c);
}

/* Expects a file to be refused with a message "PATH:LINE: ..." containing what (line 0: "PATH: "). */
static void expect_invalid_at(const char *text, unsigned flags, unsigned line, const char *what)
{
	struct poold_config c;
	struct perr e = {0};
	const char *p = conf(text);
	char prefix[96];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", p, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", p);
	config_init(&c);
	assert_int_equal(config_read(&c, p, CONFIG_MUST_EXIST | flags, &e), POOLD_E_INVALID);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", e.msg, prefix);
	if (strstr(e.msg, what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, what);
	config_fini(&c);
	unlink(p);
}

static void expect_invalid(const char *text, unsigned line, const char *what)
{
	expect_invalid_at(text, 0, line, what);
}

static void test_bad_values(void **state)
{
	expect_invalid("backend = \"kvm\"\n", 1, "use \"xen\" or \"sim\"");
	expect_invalid("\n\ndefault_pool = \"no way\"\n", 3, "not a pool name");
	expect_invalid("# a comment\nlog_level = \"loud\"\n", 2, "log_level \"loud\" is unknown");
	expect_invalid("log_level = 9\n", 1, "log_level");
	expect_invalid("log_level = [\"info\"]\n", 1, "log_level is unknown");
	expect_invalid("socket = \"/s\"\nsocket_ro = [\"a\",\n \"b\"]\n", 2, "must be a string");
	expect_invalid("verify_interval = \"often\"\n", 1, "verify_interval must be");
	expect_invalid("backend = \"xen\"\nverify_interval = 86401\n", 2, "86400");
	expect_invalid("share_control = \"on\"\n", 1, "share_control must be");
	expect_invalid("\n\n\n\nshare_period = \"0.01\"\n", 5, "share_period must be");
	/* the setting in effect is the last one: its line */
	expect_invalid("backend = \"sim\"\n# again\nbackend = \"kvm\"\n", 3, "\"kvm\" is unknown");
	/* strings concatenated with += take the line of the last part */
	expect_invalid("default_pool = \"a \"\ndefault_pool += \"b\"\n", 2, "not a pool name");
}

static void test_syntax_errors(void **state)
{
	expect_invalid("socket = /bare/path\n", 1, "lexical error");
	expect_invalid("backend = \"xen\"\nsocket = \"/unterminated\n", 2, "lexical error");
	/* libxlutil says line 1 for an error at the newline that ends line 2 */
	expect_invalid("backend = \"xen\"\nsocket = \n", 2, "near <newline>");
	expect_invalid("backend = \"xen\"\nsocket\n= \"/s\"\n", 2, "near <newline>");
	expect_invalid("a = 1\n\nb = \"x\" c = 1\n", 3, "near `c'");
	/* control bytes are shown escaped, not raw */
	expect_invalid("socket = \"/s\"\r\n", 1, "\\x0d");
}

static void test_unknown_keys_only_warned(void **state)
{
	struct poold_config c;
	struct perr e = {0};
	const char *p = conf("sockett = \"/typo\"\nbackend = \"sim\"; colour = [\"a\",\n \"b\"]\n");

	config_init(&c);
	assert_int_equal(config_read(&c, p, CONFIG_MUST_EXIST, &e), 0);
	assert_null(c.ctl_socket);
	assert_string_equal(c.hv_backend, "sim");
	config_fini(&c);
	unlink(p);
}

static void test_unknown_keys_strict(void **state)
{
	struct poold_config c;
	struct perr e = {0};
	const char *p;

	expect_invalid_at("defualt_pool = \"general\"\n", CONFIG_STRICT, 0, "1 unknown key:");
	expect_invalid_at("sockett = \"/typo\"\nbackend = \"sim\"; colour = [\"a\",\n \"b\"]\n",
	                  CONFIG_STRICT, 0, "2 unknown keys:");
	/* a bad value is the error even when keys are unknown too */
	expect_invalid_at("colour = 1\nbackend = \"kvm\"\n", CONFIG_STRICT, 2, "backend");
	/* not strict, the daemon's way: a warning */
	p = conf("defualt_pool = \"general\"\n");
	config_init(&c);
	assert_int_equal(config_read(&c, p, CONFIG_MUST_EXIST, &e), 0);
	config_fini(&c);
	unlink(p);
	/* a key in a comment is no key */
	p = conf("default_pool = \"general\" # defualt_pool = \"x\"\n");
	config_init(&c);
	assert_int_equal(config_read(&c, p, CONFIG_MUST_EXIST | CONFIG_STRICT, &e), 0);
	assert_string_equal(c.default_pool, "general");
	config_fini(&c);
	unlink(p);
}

/* Records the keys config_file_keys finds. */
struct seen {
	char keys[8][32];
	unsigned lines[8];
	unsigned n;
};

static void seen_key(void *arg, const char *key, unsigned line)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
	s->lines[s->n++] = line;
}

/* The keys and lines poold finds are the ones libxlutil parsed. */
static void test_file_keys_and_lines(void **state)
{
	static const char *const want[] = {"a", "b.c", "d", "e", "f", "g"};
	static const unsigned want_line[] = {2, 2, 3, 6, 6, 8};
	struct config_file f;
	struct perr e = {0};
	struct seen s = {0};
	const char *p = conf("# a = 1\n"
	                     "a = \"x#;\\\"y\"; b.c = 1 # d = 2\n"
	                     "d = [ \"one\", # e = 3\n"
	                     "  [ \"nested\" ],\n"
	                     "  'two' ]\n"
	                     "e = 0x10;f += \"s\"\n"
	                     "\n"
	                     "\tg\t=\t'q'\n");

	assert_int_equal(config_file_open(&f, p, &e), 0);
	config_file_keys(&f, seen_key, &s);
	assert_int_equal(s.n, 6);
	for (unsigned i = 0; i < s.n; i++) {
		assert_string_equal(s.keys[i], want[i]);
		assert_int_equal(s.lines[i], want_line[i]);
		/* a list's line is where its value starts, as the key's */
		assert_int_equal(config_file_line(&f, want[i]), want_line[i]);
	}
	assert_int_equal(config_file_line(&f, "nothere"), 0);
	config_file_close(&f);
	unlink(p);
}

/* What -nv prints: the file's values, and what is in effect where it sets none. */
static void test_print_file_values(void **state)
{
	struct poold_config file, cli;
	struct perr e = {0};
	const char *p =
	    conf("log_level = \"info\"\nsocket = \"/file.sock\"\nstate_file = \"/s\"\n");
	char *out = NULL;
	size_t len;
	FILE *f;

	config_init(&file);
	config_init(&cli);
	assert_int_equal(config_read(&file, p, CONFIG_MUST_EXIST, &e), 0);
	cli.ctl_socket = strdup("/cli.sock");
	cli.default_pool = strdup("p1");
	cli.state_file = strdup("/s");
	f = open_memstream(&out, &len);
	config_print(&file, &cli, f);
	fclose(f);
	assert_non_null(strstr(out, "\nlog_level = \"info\"\n"));
	assert_non_null(strstr(out, "socket = \"/file.sock\"    # the command line's \"/cli.sock\" "
	                            "wins\n"));
	/* the command line saying the same as the file is no news */
	assert_non_null(strstr(out, "\nstate_file = \"/s\"\n"));
	assert_non_null(strstr(out, "# default_pool is not set: the command line gives \"p1\"\n"));
	assert_non_null(strstr(out, "# backend is not set: \"xen\" by default\n"));
	assert_non_null(strstr(out, "# verify_interval is not set: 10 by default\n"));
	assert_non_null(strstr(out, "# sim_socket is not set\n"));
	free(out);
	config_fini(&file);
	config_fini(&cli);
	unlink(p);
}

static void test_print_round_trips(void **state)
{
	struct poold_config c, d;
	struct perr e = {0};
	char path[64] = "/tmp/poold-test-print.XXXXXX";
	FILE *f;
	int fd;

	config_init(&c);
	assert_int_equal(config_defaults(&c), 0);
	free(c.ctl_socket);
	c.ctl_socket = strdup("/tmp/with \"quotes\".sock");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	config_print(&c, NULL, f);
	fclose(f);

	config_init(&d);
	assert_int_equal(config_read(&d, path, CONFIG_MUST_EXIST, &e), 0);
	assert_string_equal(d.ctl_socket, c.ctl_socket);
	assert_string_equal(d.state_file, c.state_file);
	assert_string_equal(d.default_pool, c.default_pool);
	assert_int_equal(d.log_level, c.log_level);
	config_fini(&c);
	config_fini(&d);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_every_key),
	    cmocka_unit_test(test_defaults_and_precedence),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_unknown_keys_only_warned),
	    cmocka_unit_test(test_unknown_keys_strict),
	    cmocka_unit_test(test_file_keys_and_lines),
	    cmocka_unit_test(test_print_file_values),
	    cmocka_unit_test(test_print_round_trips),
	};

	log_init("test-config", LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
