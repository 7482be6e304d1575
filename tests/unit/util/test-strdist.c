/* Unit tests of the edit distance behind poold.conf's "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/strdist.h"

static void test_distance(void **state)
{
	assert_int_equal(strdist("", ""), 0);
	assert_int_equal(strdist("socket", "socket"), 0);
	assert_int_equal(strdist("", "abc"), 3);
	assert_int_equal(strdist("abc", ""), 3);
	/* one swap of neighbours is one edit, not two */
	assert_int_equal(strdist("defualt_pool", "default_pool"), 1);
	assert_int_equal(strdist("ab", "ba"), 1);
	assert_int_equal(strdist("sockt", "socket"), 1);
	assert_int_equal(strdist("sockets", "socket"), 1);
	assert_int_equal(strdist("share-period", "share_period"), 1);
	assert_int_equal(strdist("kitten", "sitting"), 3);
	/* case does not count */
	assert_int_equal(strdist("LOG_LEVEL", "log_level"), 0);
	/* symmetric */
	assert_int_equal(strdist("verify", "verify_interval"), 9);
	assert_int_equal(strdist("verify_interval", "verify"), 9);
}

static void test_long_words(void **state)
{
	char a[STRDIST_MAX + 2];

	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	assert_int_equal(strdist(a, "a"), STRDIST_FAR);
	a[STRDIST_MAX] = '\0';
	assert_int_equal(strdist(a, a), 0);
	assert_int_equal(strdist(a, ""), STRDIST_MAX);
}

static void test_nearest(void **state)
{
	static const char *const keys[] = {"socket", "socket_ro", "state_file", "default_pool",
	                                   "log_level"};
	const size_t n = sizeof(keys) / sizeof(keys[0]);

	assert_string_equal(strdist_nearest("defualt_pool", keys, n), "default_pool");
	assert_string_equal(strdist_nearest("socket_r", keys, n), "socket_ro");
	assert_string_equal(strdist_nearest("sockett", keys, n), "socket");
	assert_string_equal(strdist_nearest("loglevel", keys, n), "log_level");
	/* the first of two equally near words */
	assert_string_equal(strdist_nearest("socket_", keys, n), "socket");
	/* nothing near enough */
	assert_null(strdist_nearest("colour", keys, n));
	assert_null(strdist_nearest("pool", keys, n));
	assert_null(strdist_nearest("", keys, n));
	assert_null(strdist_nearest("x", keys, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_distance),
	    cmocka_unit_test(test_long_words),
	    cmocka_unit_test(test_nearest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
