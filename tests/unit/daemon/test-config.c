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
	assert_int_equal(config_read(&c, p, true, &e), 0);
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
	assert_int_equal(config_read(&file, p, true, &e), 0);
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
	assert_int_equal(config_read(&c, "/nonexistent/poold.conf", false, &e), 0);
	assert_null(c.ctl_socket);
	assert_int_equal(config_read(&c, "/nonexistent/poold.conf", true, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/poold.conf"));
	config_fini(&c);
}

/* Expects a file to be refused with a message containing what. */
static void expect_invalid(const char *text, const char *what)
{
	struct poold_config c;
	struct perr e = {0};
	const char *p = conf(text);

	config_init(&c);
	assert_int_equal(config_read(&c, p, true, &e), POOLD_E_INVALID);
	if (strstr(e.msg, what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, what);
	config_fini(&c);
	unlink(p);
}

static void test_bad_values(void **state)
{
	expect_invalid("backend = \"kvm\"\n", "use \"xen\" or \"sim\"");
	expect_invalid("default_pool = \"no way\"\n", "not a pool name");
	expect_invalid("log_level = \"loud\"\n", "log_level");
	expect_invalid("log_level = 9\n", "log_level");
	expect_invalid("socket = [\"a\", \"b\"]\n", "must be a string");
	expect_invalid("socket = /bare/path\n", "does not parse");
}

static void test_unknown_keys_only_warned(void **state)
{
	struct poold_config c;
	struct perr e = {0};
	const char *p = conf("sockett = \"/typo\"\nbackend = \"sim\"; colour = [\"a\",\n \"b\"]\n");

	config_init(&c);
	assert_int_equal(config_read(&c, p, true, &e), 0);
	assert_null(c.ctl_socket);
	assert_string_equal(c.hv_backend, "sim");
	config_fini(&c);
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
	config_print(&c, f);
	fclose(f);

	config_init(&d);
	assert_int_equal(config_read(&d, path, true, &e), 0);
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
	    cmocka_unit_test(test_unknown_keys_only_warned),
	    cmocka_unit_test(test_print_round_trips),
	};

	log_init("test-config", LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
