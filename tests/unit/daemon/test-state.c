/* Unit tests of the state file: round trip, atomic replace, refusals that leave the file alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/uuid.h"
#include "poold/state.h"

struct env {
	char dir[64];
	char path[128];
	struct topo topo;
	struct pool_table t;
	struct dom doms[2];
};

static int env_setup(void **state)
{
	struct env *v = calloc(1, sizeof(*v));
	struct cpumap c;
	struct pool *p;

	assert_non_null(v);
	strcpy(v->dir, "/tmp/poold-test-state.XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	/* a sub-directory that does not exist yet: state_save creates it */
	snprintf(v->path, sizeof(v->path), "%s/lib/poold/state.json", v->dir);
	assert_int_equal(topo_uniform(&v->topo, 1, 8, 1, 1), 0);
	assert_int_equal(pool_table_init(&v->t, &v->topo), 0);
	assert_int_equal(cpumap_parse(&c, "4-5,7", 8, NULL), 0);
	assert_int_equal(pool_create(&v->t, "pool1", &c, 150, &p, NULL), 0);
	v->doms[0] = (struct dom){.domid = 0, .name = "Domain-0", .weight = 256};
	v->doms[1] = (struct dom){.domid = 7,
	                          .name = "vm7",
	                          .want = "pool9",
	                          .key_seen = "pool9",
	                          .key_ignored = "pool1",
	                          .weight = 1000,
	                          .cap = 50};
	for (unsigned i = 0; i < 16; i++)
		v->doms[1].uuid[i] = (uint8_t)(0xf0 + i);
	*state = v;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *v = *state;
	char cmd[128];

	pool_table_fini(&v->t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", v->dir);
	assert_int_equal(system(cmd), 0);
	free(v);
	return 0;
}

/* Reads a whole file into a malloc'ed string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Counts the entries of a directory other than . and .. */
static unsigned dir_entries(const char *dir)
{
	char cmd[256];
	FILE *p;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	return n;
}

static void test_round_trip(void **state)
{
	struct env *v = *state;
	struct pool_table t;
	struct state_dom *d;
	struct perr e = {0};
	struct stat st;
	size_t n;
	char dir[160];

	v->t.pools[1].scale = (struct pool_scale){.step = -7, .set = true};
	v->doms[1].gone = 1700000000;
	assert_int_equal(state_save(v->path, &v->t, v->doms, 2, &e), 0);
	snprintf(dir, sizeof(dir), "%s/lib/poold", v->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* nothing but the file: the temp file was renamed */
	assert_int_equal(dir_entries(dir), 1);

	assert_int_equal(state_load(v->path, &t, &d, &n, &e), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.next_id, v->t.next_id);
	assert_string_equal(t.pools[0].name, "pool0");
	assert_true(cpumap_equal(&t.pools[0].cpus, &v->t.pools[0].cpus));
	assert_string_equal(t.pools[1].name, "pool1");
	assert_int_equal(t.pools[1].id, v->t.pools[1].id);
	assert_int_equal(t.pools[1].cap, 150);
	assert_true(cpumap_equal(&t.pools[1].cpus, &v->t.pools[1].cpus));
	assert_true(cpumap_equal(&t.online, &v->t.online));
	assert_int_equal(n, 2);
	assert_int_equal(d[1].domid, 7);
	assert_memory_equal(d[1].uuid, v->doms[1].uuid, 16);
	assert_string_equal(d[1].name, "vm7");
	/* a record may want a pool that does not exist: the domain waits misplaced */
	assert_string_equal(d[1].want, "pool9");
	assert_string_equal(d[1].key_seen, "pool9");
	/* a guest's value waiting for dom0's write, and none for dom0's own record */
	assert_string_equal(d[1].key_untrusted, "pool1");
	assert_string_equal(d[0].key_untrusted, "");
	assert_int_equal(d[1].weight, 1000);
	assert_int_equal(d[1].cap, 50);
	/* the credit1 scale a pool's weights were written with, and a record of a gone domain */
	assert_true(t.pools[1].scale.set);
	assert_int_equal(t.pools[1].scale.step, -7);
	assert_false(t.pools[0].scale.set);
	assert_int_equal(d[1].gone, 1700000000);
	assert_int_equal(d[0].gone, 0);
	free(d);
	pool_table_fini(&t);
}

static void test_missing_is_first_start(void **state)
{
	struct env *v = *state;
	struct pool_table t;
	struct state_dom *d;
	size_t n;

	assert_int_equal(state_load(v->path, &t, &d, &n, NULL), -ENOENT);
}

static void test_atomic_replace(void **state)
{
	struct env *v = *state;
	struct perr e = {0};
	struct rlimit old, small;
	char *before, *after, dir[160];

	assert_int_equal(state_save(v->path, &v->t, v->doms, 1, &e), 0);
	before = slurp(v->path);

	/* A write that fails half way (file size limit, which binds root too). */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int r = state_save(v->path, &v->t, v->doms, 2, &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(r, POOLD_E_STATE);
	assert_non_null(strstr(e.msg, v->path));

	after = slurp(v->path);
	assert_string_equal(before, after);
	snprintf(dir, sizeof(dir), "%s/lib/poold", v->dir);
	assert_int_equal(dir_entries(dir), 1);
	free(after);

	/* an unwritable place (a regular file as the directory) fails cleanly too */
	char bad[200];
	snprintf(bad, sizeof(bad), "%s/state.json", v->path);
	assert_int_equal(state_save(bad, &v->t, v->doms, 2, &e), POOLD_E_STATE);
	after = slurp(v->path);
	assert_string_equal(before, after);
	free(after);

	/* and a good write replaces it */
	assert_int_equal(state_save(v->path, &v->t, v->doms, 2, &e), 0);
	after = slurp(v->path);
	assert_string_not_equal(before, after);
	free(after);
	free(before);
}

/* Loads text and expects a refusal naming the file and the reason, file untouched. */
static void expect_corrupt(struct env *v, const char *text, const char *reason)
{
	struct pool_table t;
	struct state_dom *d;
	struct perr e = {0};
	char *after;
	size_t n;

	spit(v->path, text);
	assert_int_equal(state_load(v->path, &t, &d, &n, &e), POOLD_E_CORRUPT);
	assert_int_equal(e.code, POOLD_E_CORRUPT);
	if (strstr(e.msg, v->path) == NULL || strstr(e.msg, reason) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, reason);
	assert_non_null(strstr(e.msg, "move it away"));
	after = slurp(v->path);
	assert_string_equal(after, text);
	free(after);
}

#define POOL0 "{\"id\": 0, \"name\": \"pool0\", \"cpus\": \"0-3\", \"cap\": 0}"
#define DOC(next, pools, doms)                                                                     \
	"{\"version\": 1, \"next_pool_id\": " next ", \"pools\": [" pools "], \"domains\": [" doms \
	"]}"

static void test_refusals(void **state)
{
	struct env *v = *state;
	char dir[200];

	snprintf(dir, sizeof(dir), "mkdir -p '%s/lib/poold'", v->dir);
	assert_int_equal(system(dir), 0);
	expect_corrupt(v, "{\"version\": 1, ", "does not parse");
	expect_corrupt(v, "[1, 2]", "not a JSON object");
	expect_corrupt(v, "{\"version\": \"1\"}", "version");
	expect_corrupt(v, "{\"next_pool_id\": 1}", "version");
	expect_corrupt(v, "{\"version\": 2, \"whatever\": true}", "newer poold");
	expect_corrupt(v, "{\"version\": 1, \"next_pool_id\": 1, \"pools\": {}, \"domains\": []}",
	               "arrays");
	expect_corrupt(v, DOC("3", POOL0 ", {\"id\": 1, \"name\": \"p1\", \"cpus\": 5}", ""),
	               "pools[1]");
	expect_corrupt(v,
	               DOC("3",
	                   POOL0 ", {\"id\": 1, \"name\": \"p1\", \"cpus\": \"5\", "
	                         "\"credit1_step\": 9999}",
	                   ""),
	               "credit1_step");
	expect_corrupt(
	    v, DOC("3", POOL0 ", {\"id\": 1, \"name\": \"p1\", \"cpus\": \"3-4\", \"cap\": 0}", ""),
	    "overlap");
	expect_corrupt(
	    v, DOC("3", POOL0 ", {\"id\": 0, \"name\": \"p1\", \"cpus\": \"5\", \"cap\": 0}", ""),
	    "share the id");
	expect_corrupt(
	    v,
	    DOC("3", POOL0 ", {\"id\": 1, \"name\": \"pool0\", \"cpus\": \"5\", \"cap\": 0}", ""),
	    "share the name");
	expect_corrupt(
	    v, DOC("3", POOL0 ", {\"id\": 1, \"name\": \"a b\", \"cpus\": \"5\", \"cap\": 0}", ""),
	    "not a valid pool name");
	expect_corrupt(
	    v, DOC("3", POOL0 ", {\"id\": 1, \"name\": \"p1\", \"cpus\": \"5-x\", \"cap\": 0}", ""),
	    "pool p1: cpus");
	expect_corrupt(
	    v, DOC("1", POOL0 ", {\"id\": 1, \"name\": \"p1\", \"cpus\": \"5\", \"cap\": 0}", ""),
	    "next_pool_id");
	expect_corrupt(v,
	               DOC("2", "{\"id\": 1, \"name\": \"p1\", \"cpus\": \"5\", \"cap\": 0}", ""),
	               "no pool0");
	expect_corrupt(v,
	               DOC("1", POOL0,
	                   "{\"uuid\": \"nope\", \"domid\": 1, \"name\": \"a\", \"want\": \"\", "
	                   "\"key_seen\": \"\", \"weight\": 256, \"cap\": 0}"),
	               "uuid");
	expect_corrupt(v,
	               DOC("1", POOL0,
	                   "{\"uuid\": \"00000000-0000-0000-0000-000000000001\", \"domid\": 1, "
	                   "\"name\": \"a\", \"want\": \"\", \"key_seen\": \"\", \"weight\": 0, "
	                   "\"cap\": 0}"),
	               "weight 0");
	expect_corrupt(v,
	               DOC("1", POOL0,
	                   "{\"uuid\": \"00000000-0000-0000-0000-000000000001\", \"domid\": 1, "
	                   "\"name\": \"a\", \"want\": \"\", \"key_seen\": \"\", \"weight\": 1, "
	                   "\"cap\": 0, \"extra\": 1}"),
	               "domains[0]");
}

static void test_accepts_pool_order_and_unknown_want(void **state)
{
	struct env *v = *state;
	struct pool_table t;
	struct state_dom *d;
	struct perr e = {0};
	size_t n;
	char dir[200];

	snprintf(dir, sizeof(dir), "mkdir -p '%s/lib/poold'", v->dir);
	assert_int_equal(system(dir), 0);
	spit(v->path,
	     DOC("5", "{\"id\": 4, \"name\": \"p4\", \"cpus\": \"4-5\"}, " POOL0,
	         "{\"uuid\": \"00000000-0000-0000-0000-0000000000aB\", \"domid\": 3, "
	         "\"name\": \"vm3\", \"want\": \"gone-pool\", \"key_seen\": \"gone-pool\", "
	         "\"weight\": 300, \"cap\": 0}"));
	assert_int_equal(state_load(v->path, &t, &d, &n, &e), 0);
	/* pool0 first, whatever the file's order */
	assert_string_equal(t.pools[0].name, "pool0");
	assert_int_equal(t.pools[1].id, 4);
	assert_int_equal(t.next_id, 5);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].want, "gone-pool");
	assert_int_equal(d[0].uuid[15], 0xab);
	free(d);
	pool_table_fini(&t);
}

/* Temp names as mkstemp makes them match, near misses don't; only matches are removed. */
static void test_temps(void **state)
{
	struct env *v = *state;
	static const char *const others[] = {
	    ".state.json.AbC12", ".state.json.AbC1234", ".state.json.ab-123", ".other.json.AbC123",
	    "state.json.AbC123", ".state.json.lock12x", ".state.jsonXAbC123", "state.json"};
	char tmp[160], p[200];
	struct stat st;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.state.json.XXXXXX", v->dir);
	for (int i = 0; i < 3; i++) {
		fd = mkstemp(tmp);
		assert_true(fd >= 0);
		close(fd);
		assert_true(state_is_temp("state.json", strrchr(tmp, '/') + 1));
		memcpy(strrchr(tmp, '.') + 1, "XXXXXX", 6);
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_false(state_is_temp("state.json", others[i]));
		snprintf(p, sizeof(p), "%s/%s", v->dir, others[i]);
		spit(p, "keep");
	}
	snprintf(p, sizeof(p), "%s/.state.json.dir123", v->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_false(state_is_temp("state.json", ".state.json."));
	assert_false(state_is_temp("state.json", "."));

	snprintf(p, sizeof(p), "%s/state.json", v->dir);
	assert_int_equal(state_remove_temps(p), 3);
	/* the others, the directory, and nothing else */
	assert_int_equal(dir_entries(v->dir), sizeof(others) / sizeof(others[0]) + 1);
	snprintf(p, sizeof(p), "%s/.state.json.dir123", v->dir);
	assert_int_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/state.json", v->dir);
	assert_int_equal(state_remove_temps(p), 0);
	/* a directory that does not exist has none */
	snprintf(p, sizeof(p), "%s/nowhere/state.json", v->dir);
	assert_int_equal(state_remove_temps(p), 0);
}

static void test_uuid(void **state)
{
	uint8_t u[16], w[16];
	char buf[37];

	for (unsigned i = 0; i < 16; i++)
		u[i] = (uint8_t)(i * 17);
	uuid_format(u, buf);
	assert_string_equal(buf, "00112233-4455-6677-8899-aabbccddeeff");
	assert_int_equal(uuid_parse(buf, w), 0);
	assert_memory_equal(u, w, 16);
	assert_int_equal(uuid_parse("00112233-4455-6677-8899-aabbccddeef", w), -EINVAL);
	assert_int_equal(uuid_parse("0011223344-55-6677-8899-aabbccddeeff", w), -EINVAL);
	assert_int_equal(uuid_parse("00112233-4455-6677-8899-aabbccddeegf", w), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_missing_is_first_start, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_atomic_replace, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_accepts_pool_order_and_unknown_want, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_temps, env_setup, env_teardown),
	    cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
