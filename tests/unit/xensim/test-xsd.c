/* Unit tests of xensim's xenstore server, driven by the real libxenstore and xenstore-* tools. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "xensim/xsd.h"
#include "xsd-fixture.h"

static void test_read_write(void **state)
{
	struct fixture *f = *state;
	unsigned int len, num;
	char **dir, *v;

	/* The initial tree. */
	dir = xs_directory(f->h, XBT_NULL, "/local", &num);
	assert_non_null(dir);
	assert_int_equal(num, 1);
	assert_string_equal(dir[0], "domain");
	free(dir);

	assert_true(xs_write(f->h, XBT_NULL, "/t1/a", "hello", 5));
	fx_expect_read(f->h, XBT_NULL, "/t1/a", "hello");
	fx_expect_read(f->h, XBT_NULL, "/t1", "");
	assert_true(xs_write(f->h, XBT_NULL, "/t1/a", "hi", 2));
	fx_expect_read(f->h, XBT_NULL, "/t1/a", "hi");
	fx_expect_absent(f->h, XBT_NULL, "/t1/nothing");

	/* Values are bytes, NULs included. */
	assert_true(xs_write(f->h, XBT_NULL, "/t1/bin", "a\0b", 3));
	v = xs_read(f->h, XBT_NULL, "/t1/bin", &len);
	assert_non_null(v);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "a\0b", 3);
	free(v);

	assert_true(xs_mkdir(f->h, XBT_NULL, "/t1/d"));
	assert_true(xs_mkdir(f->h, XBT_NULL, "/t1/d"));
	fx_expect_read(f->h, XBT_NULL, "/t1/d", "");
	dir = xs_directory(f->h, XBT_NULL, "/t1", &num);
	assert_non_null(dir);
	assert_int_equal(num, 3);
	assert_string_equal(dir[0], "a");
	assert_string_equal(dir[1], "bin");
	assert_string_equal(dir[2], "d");
	free(dir);
	dir = xs_directory(f->h, XBT_NULL, "/t1/d", &num);
	assert_non_null(dir);
	assert_int_equal(num, 0);
	free(dir);

	assert_true(xs_rm(f->h, XBT_NULL, "/t1/a"));
	fx_expect_absent(f->h, XBT_NULL, "/t1/a");
	/* Removing what is gone is fine while the parent exists. */
	assert_true(xs_rm(f->h, XBT_NULL, "/t1/a"));
	errno = 0;
	assert_false(xs_rm(f->h, XBT_NULL, "/t1/none/x"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_false(xs_rm(f->h, XBT_NULL, "/"));
	assert_int_equal(errno, EINVAL);
	fx_expect_read(f->h, XBT_NULL, "/local/domain", "");

	/* Removing a node removes everything below it. */
	assert_true(xs_write(f->h, XBT_NULL, "/t1/d/e/f", "x", 1));
	assert_true(xs_rm(f->h, XBT_NULL, "/t1/d"));
	fx_expect_absent(f->h, XBT_NULL, "/t1/d/e/f");
	fx_expect_absent(f->h, XBT_NULL, "/t1/d");

	errno = 0;
	assert_false(xs_write(f->h, XBT_NULL, "/t1//x", "x", 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_false(xs_write(f->h, XBT_NULL, "/t1/x/", "x", 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_false(xs_write(f->h, XBT_NULL, "/t1/a b", "x", 1));
	assert_int_equal(errno, EINVAL);

	/* Relative paths are below dom0's home. */
	assert_true(xs_write(f->h, XBT_NULL, "rel/x", "1", 1));
	fx_expect_read(f->h, XBT_NULL, "/local/domain/0/rel/x", "1");

	v = xs_get_domain_path(f->h, 7);
	assert_non_null(v);
	assert_string_equal(v, "/local/domain/7");
	free(v);

	/* The API writes what clients read. */
	assert_int_equal(fx_sim_rc(f, "W %s %s", "/t1/api", "v1"), 0);
	fx_expect_read(f->h, XBT_NULL, "/t1/api", "v1");
	assert_int_equal(fx_sim_rc(f, "R %s", "/t1/api"), 0);
	fx_expect_absent(f->h, XBT_NULL, "/t1/api");
	assert_int_equal(fx_sim_rc(f, "R %s", "/t1/x/y"), -ENOENT);
	assert_int_equal(fx_sim_rc(f, "W %s %s", "bad", "v"), -EINVAL);
}

static void test_perms(void **state)
{
	struct fixture *f = *state;
	struct xs_permissions set[] = {
	    {.id = 0, .perms = XS_PERM_NONE},
	    {.id = 5, .perms = XS_PERM_READ},
	};

	fx_expect_perms(f->h, "/", "n0");
	fx_expect_perms(f->h, "/local/domain", "n0");
	assert_true(xs_write(f->h, XBT_NULL, "/local/domain/5/name", "guest", 5));
	fx_expect_perms(f->h, "/local/domain/5", "n0");
	fx_expect_perms(f->h, "/local/domain/5/name", "n0");

	/* Owned by the guest with read for dom0, as the toolstack sets a domain's home. */
	assert_true(xs_set_permissions(f->h, XBT_NULL, "/local/domain/5", set, 2));
	fx_expect_perms(f->h, "/local/domain/5", "n0 r5");
	fx_expect_perms(f->h, "/local/domain/5/name", "n0");
	assert_true(xs_write(f->h, XBT_NULL, "/local/domain/5/data/x", "1", 1));
	fx_expect_perms(f->h, "/local/domain/5/data", "n0 r5");
	fx_expect_perms(f->h, "/local/domain/5/data/x", "n0 r5");
	assert_true(xs_mkdir(f->h, XBT_NULL, "/local/domain/5/dir"));
	fx_expect_perms(f->h, "/local/domain/5/dir", "n0 r5");

	/* A rewrite keeps the node's permissions. */
	assert_int_equal(fx_sim_rc(f, "P %s %s", "/local/domain/5/name", "b5 r0 w7"), 0);
	assert_true(xs_write(f->h, XBT_NULL, "/local/domain/5/name", "other", 5));
	fx_expect_perms(f->h, "/local/domain/5/name", "b5 r0 w7");

	assert_int_equal(fx_sim_rc(f, "P %s %s", "/local/domain/5/name", "x5"), -EINVAL);
	assert_int_equal(fx_sim_rc(f, "P %s %s", "/local/domain/5/name", "r"), -EINVAL);
	assert_int_equal(fx_sim_rc(f, "P %s %s", "/local/domain/6", "n0"), -ENOENT);
	fx_expect_perms(f->h, "/local/domain/5/name", "b5 r0 w7");
	errno = 0;
	assert_false(xs_set_permissions(f->h, XBT_NULL, "/local/domain/6", set, 2));
	assert_int_equal(errno, ENOENT);
}

static void test_watches(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *w = xs_open(0);
	struct xs_permissions owner[] = {{.id = 3, .perms = XS_PERM_NONE}};

	assert_non_null(w);
	assert_true(xs_watch(w, "/w", "tok"));
	fx_expect_event(w, "/w", "tok");
	fx_expect_no_event(w);
	errno = 0;
	assert_false(xs_watch(w, "/w", "tok"));
	assert_int_equal(errno, EEXIST);

	/* Changes at or below the watched path, carrying the changed path. */
	assert_true(xs_write(f->h, XBT_NULL, "/w/a/b", "1", 1));
	fx_expect_event(w, "/w/a/b", "tok");
	fx_expect_no_event(w);
	assert_true(xs_write(f->h, XBT_NULL, "/wx", "1", 1));
	assert_true(xs_write(f->h, XBT_NULL, "/other/w", "1", 1));
	fx_expect_no_event(w);
	assert_true(xs_mkdir(f->h, XBT_NULL, "/w/m"));
	fx_expect_event(w, "/w/m", "tok");
	assert_true(xs_mkdir(f->h, XBT_NULL, "/w/m"));
	fx_expect_no_event(w);
	assert_true(xs_set_permissions(f->h, XBT_NULL, "/w/m", owner, 1));
	fx_expect_event(w, "/w/m", "tok");
	assert_int_equal(fx_sim_rc(f, "W %s %s", "/w/api", "1"), 0);
	fx_expect_event(w, "/w/api", "tok");

	/* Removing an ancestor fires a watch below it, on its own path. */
	assert_true(xs_watch(w, "/w/a/b", "deep"));
	fx_expect_event(w, "/w/a/b", "deep");
	assert_true(xs_rm(f->h, XBT_NULL, "/w"));
	fx_expect_event(w, "/w/a/b", "deep");
	fx_expect_event(w, "/w", "tok");
	fx_expect_no_event(w);
	assert_true(xs_write(f->h, XBT_NULL, "/w", "", 0));
	fx_expect_event(w, "/w", "tok");
	assert_int_equal(fx_sim_rc(f, "R %s", "/w"), 0);
	fx_expect_event(w, "/w", "tok");

	/* A watch on a parent of what is removed sees the removed path. */
	assert_true(xs_watch(w, "/", "root"));
	fx_expect_event(w, "/", "root");
	assert_true(xs_write(f->h, XBT_NULL, "/other/w", "2", 1));
	fx_expect_event(w, "/other/w", "root");
	assert_true(xs_rm(f->h, XBT_NULL, "/other"));
	fx_expect_event(w, "/other", "root");
	fx_expect_no_event(w);
	assert_true(xs_unwatch(w, "/", "root"));

	/* Relative watches report relative paths. */
	assert_true(xs_watch(w, "relw", "r"));
	fx_expect_event(w, "relw", "r");
	assert_true(xs_write(f->h, XBT_NULL, "/local/domain/0/relw/k", "1", 1));
	fx_expect_event(w, "relw/k", "r");

	assert_true(xs_unwatch(w, "/w", "tok"));
	assert_true(xs_unwatch(w, "/w/a/b", "deep"));
	assert_true(xs_unwatch(w, "relw", "r"));
	errno = 0;
	assert_false(xs_unwatch(w, "/w", "tok"));
	assert_int_equal(errno, ENOENT);
	assert_true(xs_write(f->h, XBT_NULL, "/w/after", "1", 1));
	fx_expect_no_event(w);

	/* The watching handle still serves requests while events flow. */
	fx_expect_read(w, XBT_NULL, "/local/domain/0/relw/k", "1");
	xs_close(w);
}

static void test_special_watches(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *w = xs_open(0);
	char out[64];

	assert_non_null(w);
	assert_true(xs_watch(w, "@introduceDomain", "intro"));
	fx_expect_event(w, "@introduceDomain", "intro");
	assert_true(xs_watch(w, "@releaseDomain", "rel"));
	fx_expect_event(w, "@releaseDomain", "rel");
	assert_true(xs_write(f->h, XBT_NULL, "/local/domain/9/name", "g", 1));
	fx_expect_no_event(w);

	fx_sim(f, out, sizeof(out), "S @introduceDomain");
	fx_expect_event(w, "@introduceDomain", "intro");
	fx_expect_no_event(w);
	fx_sim(f, out, sizeof(out), "S @releaseDomain");
	fx_expect_event(w, "@releaseDomain", "rel");
	fx_expect_no_event(w);
	xs_close(w);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *w = xs_open(0);
	xs_transaction_t t, t2;
	unsigned int num;
	char **dir;

	assert_non_null(w);
	assert_true(xs_watch(w, "/tx", "tx"));
	fx_expect_event(w, "/tx", "tx");

	/* Commit: invisible outside until the end, then visible, and watches fire then. */
	t = xs_transaction_start(f->h);
	assert_int_not_equal(t, XBT_NULL);
	assert_true(xs_write(f->h, t, "/tx/a", "1", 1));
	fx_expect_read(f->h, t, "/tx/a", "1");
	fx_expect_absent(f->h, XBT_NULL, "/tx/a");
	dir = xs_directory(f->h, t, "/tx", &num);
	assert_non_null(dir);
	assert_int_equal(num, 1);
	free(dir);
	fx_expect_no_event(w);
	assert_true(xs_transaction_end(f->h, t, false));
	fx_expect_event(w, "/tx/a", "tx");
	fx_expect_read(f->h, XBT_NULL, "/tx/a", "1");

	/* Abort: nothing happens. */
	t = xs_transaction_start(f->h);
	assert_true(xs_write(f->h, t, "/tx/b", "1", 1));
	assert_true(xs_rm(f->h, t, "/tx/a"));
	assert_true(xs_transaction_end(f->h, t, true));
	fx_expect_absent(f->h, XBT_NULL, "/tx/b");
	fx_expect_read(f->h, XBT_NULL, "/tx/a", "1");
	fx_expect_no_event(w);

	/* Conflict: what the transaction read changed under it. */
	t = xs_transaction_start(f->h);
	fx_expect_read(f->h, t, "/tx/a", "1");
	assert_true(xs_write(f->h, XBT_NULL, "/tx/a", "2", 1));
	fx_expect_event(w, "/tx/a", "tx");
	assert_true(xs_write(f->h, t, "/tx/c", "1", 1));
	errno = 0;
	assert_false(xs_transaction_end(f->h, t, false));
	assert_int_equal(errno, EAGAIN);
	fx_expect_absent(f->h, XBT_NULL, "/tx/c");
	fx_expect_no_event(w);

	/* A transaction that only reads conflicts too (it never copies the tree: xsd-store.c). */
	t = xs_transaction_start(f->h);
	fx_expect_read(f->h, t, "/tx/a", "2");
	assert_true(xs_write(f->h, XBT_NULL, "/tx/a", "3", 1));
	fx_expect_event(w, "/tx/a", "tx");
	errno = 0;
	assert_false(xs_transaction_end(f->h, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_true(xs_write(f->h, XBT_NULL, "/tx/a", "2", 1));
	fx_expect_event(w, "/tx/a", "tx");
	t = xs_transaction_start(f->h);
	fx_expect_read(f->h, t, "/tx/a", "2");
	assert_true(xs_transaction_end(f->h, t, false));

	/* The same through the simulator's API, and for a node that did not exist. */
	t = xs_transaction_start(f->h);
	fx_expect_absent(f->h, t, "/tx/new");
	assert_int_equal(fx_sim_rc(f, "W %s %s", "/tx/new", "1"), 0);
	fx_expect_event(w, "/tx/new", "tx");
	assert_true(xs_write(f->h, t, "/tx/d", "1", 1));
	errno = 0;
	assert_false(xs_transaction_end(f->h, t, false));
	assert_int_equal(errno, EAGAIN);

	/* Changes elsewhere do not conflict. */
	t = xs_transaction_start(f->h);
	fx_expect_read(f->h, t, "/tx/a", "2");
	assert_true(xs_write(f->h, XBT_NULL, "/unrelated/x", "1", 1));
	assert_true(xs_write(f->h, t, "/tx/e", "1", 1));
	assert_true(xs_rm(f->h, t, "/tx/new"));
	assert_true(xs_transaction_end(f->h, t, false));
	fx_expect_event(w, "/tx/e", "tx");
	fx_expect_event(w, "/tx/new", "tx");
	fx_expect_read(f->h, XBT_NULL, "/tx/e", "1");
	fx_expect_absent(f->h, XBT_NULL, "/tx/new");

	/* Two transactions at once, each committing its own writes. */
	t = xs_transaction_start(f->h);
	t2 = xs_transaction_start(w);
	assert_int_not_equal(t, t2);
	assert_true(xs_write(f->h, t, "/tx/f/one", "1", 1));
	assert_true(xs_write(w, t2, "/tx/g/two", "2", 1));
	assert_true(xs_transaction_end(f->h, t, false));
	fx_expect_event(w, "/tx/f/one", "tx");
	assert_true(xs_transaction_end(w, t2, false));
	fx_expect_event(w, "/tx/g/two", "tx");
	fx_expect_read(f->h, XBT_NULL, "/tx/g/two", "2");

	/* Transactions belong to their connection and end once. */
	t = xs_transaction_start(f->h);
	errno = 0;
	assert_null(xs_read(w, t, "/tx/a", &num));
	assert_int_equal(errno, ENOENT);
	assert_true(xs_transaction_end(f->h, t, true));
	errno = 0;
	assert_false(xs_transaction_end(f->h, t, false));
	assert_int_equal(errno, ENOENT);
	xs_close(w);
}

static void test_directory_part(void **state)
{
	struct fixture *f = *state;
	char path[128], want[64];
	unsigned int num;
	char **dir;
	xs_transaction_t t;

	/* 300 names of 40 bytes: far more than one 4096-byte reply. */
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/big/child-%034d", i);
		assert_true(xs_write(f->h, XBT_NULL, path, "", 0));
	}
	dir = xs_directory(f->h, XBT_NULL, "/big", &num);
	assert_non_null(dir);
	assert_int_equal(num, 300);
	for (int i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "child-%034d", i);
		assert_string_equal(dir[i], want);
	}
	free(dir);

	t = xs_transaction_start(f->h);
	assert_true(xs_write(f->h, t, "/big/zz", "", 0));
	dir = xs_directory(f->h, t, "/big", &num);
	assert_non_null(dir);
	assert_int_equal(num, 301);
	assert_string_equal(dir[300], "zz");
	free(dir);
	assert_true(xs_transaction_end(f->h, t, true));
}

static void test_wire(void **state)
{
	struct fixture *f = *state;
	struct xsd_sockmsg m;
	char body[XENSTORE_PAYLOAD_MAX + 1];
	int fd = fx_raw_connect(f);

	/* Unknown and unsupported requests get ENOSYS, echoing the request id. */
	fx_raw_send(fd, 999, 41, "", 0);
	fx_raw_recv(fd, &m, body, sizeof(body));
	assert_int_equal(m.type, XS_ERROR);
	assert_int_equal(m.req_id, 41);
	assert_string_equal(body, "ENOSYS");
	fx_raw_send(fd, XS_INTRODUCE, 42, "1\0002\0003", 6);
	fx_raw_recv(fd, &m, body, sizeof(body));
	assert_int_equal(m.type, XS_ERROR);
	assert_string_equal(body, "ENOSYS");

	/* A path without its NUL is malformed. */
	fx_raw_send(fd, XS_READ, 43, "/local", 6);
	fx_raw_recv(fd, &m, body, sizeof(body));
	assert_int_equal(m.type, XS_ERROR);
	assert_string_equal(body, "EINVAL");

	/* The connection still works, and replies echo type and id. */
	assert_true(xs_write(f->h, XBT_NULL, "/wire", "2", 1));
	fx_raw_send(fd, XS_READ, 44, "/wire", 6);
	assert_int_equal(fx_raw_recv(fd, &m, body, sizeof(body)), 1);
	assert_int_equal(m.type, XS_READ);
	assert_int_equal(m.req_id, 44);
	assert_string_equal(body, "2");
	fx_raw_send(fd, XS_RESET_WATCHES, 45, "", 1);
	fx_raw_recv(fd, &m, body, sizeof(body));
	assert_int_equal(m.type, XS_RESET_WATCHES);
	assert_string_equal(body, "OK");

	/* An oversized payload is a protocol violation: the server hangs up. */
	m = (struct xsd_sockmsg){.type = XS_READ, .req_id = 46, .len = XENSTORE_PAYLOAD_MAX + 1};
	assert_int_equal(write(fd, &m, sizeof(m)), sizeof(m));
	assert_int_equal(recv(fd, &m, sizeof(m), MSG_WAITALL), 0);
	close(fd);
}

static void test_slow_reader(void **state)
{
	struct fixture *f = *state;
	unsigned long long req0, req1;
	unsigned conns0, conns1, watches0, watches1;
	char body[XENSTORE_PAYLOAD_MAX + 1], token[3000];
	struct xsd_sockmsg m;
	int fd = fx_raw_connect(f), n;

	/* A watch whose events are large, on a client that never reads them. */
	memset(token, 't', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	n = snprintf(body, sizeof(body), "/slow%c%s", '\0', token);
	fx_raw_send(fd, XS_WATCH, 1, body, (uint32_t)n + 1);
	fx_raw_recv(fd, &m, body, sizeof(body));
	assert_int_equal(m.type, XS_WATCH);
	fx_raw_recv(fd, &m, body, sizeof(body));
	assert_int_equal(m.type, XS_WATCH_EVENT);
	fx_stats(f, &req0, &conns0, &watches0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(fx_sim_rc(f, "W %s %s", "/slow/x", "1"), 0);
	fx_stats(f, &req1, &conns1, &watches1);
	assert_int_equal(conns1, conns0 - 1);
	assert_int_equal(watches1, watches0 - 1);

	/* What was sent arrives intact up to the drop, then EOF. */
	for (;;) {
		ssize_t r = recv(fd, &m, sizeof(m), MSG_WAITALL);

		if (r == 0)
			break;
		assert_int_equal(r, sizeof(m));
		assert_int_equal(m.type, XS_WATCH_EVENT);
		assert_int_equal(recv(fd, body, m.len, MSG_WAITALL), m.len);
	}
	close(fd);
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	unsigned long long req0, req1;
	unsigned conns, watches;
	struct xs_handle *w;

	fx_stats(f, &req0, &conns, &watches);
	assert_int_equal(conns, 1);
	assert_int_equal(watches, 0);
	w = xs_open(0);
	assert_non_null(w);
	assert_true(xs_watch(w, "/s", "s"));
	fx_expect_event(w, "/s", "s");
	fx_stats(f, &req1, &conns, &watches);
	assert_int_equal(req1, req0 + 1);
	assert_int_equal(conns, 2);
	assert_int_equal(watches, 1);
	xs_close(w);
	/* Wait for the server to see the close. */
	for (int i = 0; i < 100 && conns != 1; i++) {
		usleep(10000);
		fx_stats(f, &req1, &conns, &watches);
	}
	assert_int_equal(conns, 1);
	assert_int_equal(watches, 0);
}

static void test_tools(void **state)
{
	struct fixture *f = *state;
	char out[1024], line[256];
	FILE *watch;

	if (access("/usr/bin/xenstore-read", X_OK) != 0)
		skip();
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-write /tools/a hello /tools/b 2"), 0);
	fx_expect_read(f->h, XBT_NULL, "/tools/a", "hello");
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-read /tools/b"), 0);
	assert_string_equal(out, "2");
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-exists /tools/a"), 0);
	assert_int_not_equal(fx_run(out, sizeof(out), "xenstore-exists /tools/zz 2>/dev/null"), 0);
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-list /tools"), 0);
	assert_string_equal(out, "a\nb");

	assert_int_equal(fx_run(out, sizeof(out), "xenstore-write /local/domain/5/pool web"), 0);
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-chmod /local/domain/5/pool n0 r5"), 0);
	fx_expect_perms(f->h, "/local/domain/5/pool", "n0 r5");
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-ls -p /local/domain/5 | grep pool"), 0);
	assert_non_null(strstr(out, "pool = \"web\""));
	assert_non_null(strstr(out, "n0,r5"));

	/* xenstore-watch prints the initial event, then the change. */
	watch = popen("xenstore-watch -n 2 /tools/w", "r");
	assert_non_null(watch);
	assert_non_null(fgets(line, sizeof(line), watch));
	assert_string_equal(line, "/tools/w\n");
	assert_true(xs_write(f->h, XBT_NULL, "/tools/w/x", "1", 1));
	assert_non_null(fgets(line, sizeof(line), watch));
	assert_string_equal(line, "/tools/w/x\n");
	assert_int_equal(pclose(watch), 0);

	assert_int_equal(fx_run(out, sizeof(out), "xenstore-rm /tools/a"), 0);
	fx_expect_absent(f->h, XBT_NULL, "/tools/a");
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-rm /tools/w"), 0);
	assert_int_equal(fx_run(out, sizeof(out), "xenstore-rm -t /tools/b"), 0);
	fx_expect_absent(f->h, XBT_NULL, "/tools");
}

/* The socket: a live server's is never taken, a stale one is replaced, other files refused. */
static void test_socket_path(void **state)
{
	struct fixture *f = *state;
	struct event_base *base = event_base_new();
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct xsd *x = NULL;
	char path[160];
	int fd;

	assert_non_null(base);
	assert_int_equal(xsd_new(&x, base, f->sock), -EADDRINUSE);
	assert_null(x);

	snprintf(path, sizeof(path), "%s/file", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(xsd_new(&x, base, path), -EEXIST);
	unlink(path);

	/* A socket nobody listens on, as a crashed server leaves behind. */
	snprintf(path, sizeof(path), "%s/stale", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(xsd_new(&x, base, path), 0);
	assert_non_null(x);
	x = xsd_free(x);
	assert_int_equal(access(path, F_OK), -1);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_write),   cmocka_unit_test(test_perms),
	    cmocka_unit_test(test_watches),      cmocka_unit_test(test_special_watches),
	    cmocka_unit_test(test_transactions), cmocka_unit_test(test_directory_part),
	    cmocka_unit_test(test_wire),         cmocka_unit_test(test_slow_reader),
	    cmocka_unit_test(test_stats),        cmocka_unit_test(test_tools),
	    cmocka_unit_test(test_socket_path),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
