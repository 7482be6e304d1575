/* Unit tests of the logger: what reaches stderr, and that a message is one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Runs a notice through the logger and returns what it wrote to stderr. */
static char *logged(const char *msg)
{
	static char out[8192];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	log_notice("%s", msg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void test_control_characters(void **state)
{
	char big[3000];

	unsetenv("JOURNAL_STREAM");
	log_init("t", LOG_LEVEL_DEBUG);
	assert_string_equal(logged("plain words, \xc3\xa9 kept"),
	                    "t: plain words, \xc3\xa9 kept\n");
	/* A newline a client sent can't start an entry of its own, at a priority it chose. */
	assert_string_equal(logged("no command 'x\n<0>poold: pool0 destroyed'"),
	                    "t: no command 'x\\x0a<0>poold: pool0 destroyed'\n");
	assert_string_equal(logged("\r\t\x1b[31m\x7f"), "t: \\x0d\\x09\\x1b[31m\\x7f\n");
	/* A message of nothing but control characters still fits, cut, on one line. */
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *out = logged(big);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	assert_true(strlen(out) > 1000 * 4);
	/* Under journald the priority prefix starts the line, and only it. */
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init("t", LOG_LEVEL_DEBUG);
	assert_string_equal(logged("a\n<3>b"), "<5>a\\x0a<3>b\n");
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_control_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
