/* Unit tests of the control protocol: decoding, error classes, ids, and the command handlers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "poold-protocol.h"
#include "ctl/cmd.h"
#include "ctl/proto.h"
#include "fake-engine.h"
#include "util/log.h"

static struct engine eng;
static struct topo topo;

static int setup(void **state)
{
	fake_poold_init(&eng, &topo);
	return 0;
}

static int teardown(void **state)
{
	fake_poold_fini(&eng);
	return 0;
}

/* Runs one request line through the whole protocol path and returns the reply. */
static json_t *run(const char *line, unsigned *out)
{
	unsigned o;
	json_t *reply = ctl_handle_line(&eng, line, strlen(line), out != NULL ? out : &o);

	assert_non_null(reply);
	return reply;
}

/* Returns the error class of a reply, or NULL when it is a "return". */
static const char *err_class(json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "class"));
}

static const char *err_desc(json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "desc"));
}

/* Asserts that line is refused with class, and that desc mentions `word` when given. */
static void expect_error(const char *line, const char *class, const char *word)
{
	json_t *reply = run(line, NULL);

	assert_non_null(err_class(reply));
	assert_string_equal(err_class(reply), class);
	assert_null(json_object_get(reply, "return"));
	if (word != NULL && strstr(err_desc(reply), word) == NULL)
		fail_msg("desc \"%s\" does not mention \"%s\"", err_desc(reply), word);
	json_decref(reply);
}

/* Runs a line that must succeed and returns its "return" object (owned). */
static json_t *expect_return(const char *line)
{
	json_t *reply = run(line, NULL), *ret;

	if (err_class(reply) != NULL)
		fail_msg("%s: %s: %s", line, err_class(reply), err_desc(reply));
	ret = json_incref(json_object_get(reply, "return"));
	assert_non_null(ret);
	json_decref(reply);
	return ret;
}

static void test_error_table_complete(void **state)
{
	for (int code = 1; code < CTL_E_MAX; code++) {
		const char *c = ctl_error_class(code);

		assert_non_null(c);
		if (strcmp(c, POOLD_ERR_GENERIC) == 0)
			fail_msg("code %d (%s) has no error class", code, perr_name(code));
	}
	assert_string_equal(ctl_error_class(POOLD_E_INVALID), "InvalidArgument");
	assert_string_equal(ctl_error_class(POOLD_E_NOTFOUND), "NotFound");
	assert_string_equal(ctl_error_class(POOLD_E_EXISTS), "AlreadyExists");
	assert_string_equal(ctl_error_class(POOLD_E_BUSY), "Busy");
	assert_string_equal(ctl_error_class(POOLD_E_NOCPU), "NoFreeCpu");
	assert_string_equal(ctl_error_class(POOLD_E_PROTECTED), "Protected");
	assert_string_equal(ctl_error_class(POOLD_E_HYPERVISOR), "HypervisorError");
	assert_string_equal(ctl_error_class(POOLD_E_STATE), "StateError");
	assert_string_equal(ctl_error_class(CTL_E_PROTOCOL), "ProtocolError");
	assert_string_equal(ctl_error_class(CTL_E_NOCOMMAND), "CommandNotFound");
	assert_string_equal(ctl_error_class(CTL_E_TOOMANY), "TooManyClients");
	assert_string_equal(ctl_error_class(CTL_E_DENIED), "PermissionDenied");
	assert_string_equal(ctl_error_class(-EIO), "GenericError");
	assert_string_equal(ctl_error_class(-ENOMEM), "GenericError");
}

static void test_decode_envelope(void **state)
{
	expect_error("not json", "ProtocolError", "not JSON");
	expect_error("{\"execute\": \"status\"", "ProtocolError", "not JSON");
	expect_error("{\"execute\":\"status\"} {}", "ProtocolError", "not JSON");
	expect_error("[1, 2]", "ProtocolError", "an array");
	expect_error("\"status\"", "ProtocolError", "not a JSON object");
	expect_error("{}", "ProtocolError", "execute");
	expect_error("{\"execute\": 7}", "ProtocolError", "must be a string");
	expect_error("{\"execute\": null}", "ProtocolError", "must be a string");
	expect_error("{\"execute\": \"status\", \"arguments\": []}", "ProtocolError",
	             "must be an object");
	expect_error("{\"execute\": \"status\", \"arguments\": \"x\"}", "ProtocolError",
	             "must be an object");
	expect_error("{\"execute\": \"status\", \"argumnets\": {}}", "ProtocolError", "argumnets");
	expect_error("{\"execute\": \"status\", \"execute\": \"status\"}", "ProtocolError", NULL);
	expect_error("{\"execute\": \"pool-explode\"}", "CommandNotFound", "pool-explode");
	expect_error("{\"execute\": \"\"}", "CommandNotFound", NULL);
}

static void test_decode_arguments(void **state)
{
	/* Unknown argument, named. */
	expect_error("{\"execute\": \"pool-list\", \"arguments\": {\"verbose\": true}}",
	             "InvalidArgument", "verbose");
	expect_error("{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 2,"
	             " \"colour\": 1}}",
	             "InvalidArgument", "colour");
	/* Missing required argument, named. */
	expect_error("{\"execute\": \"pool-create\", \"arguments\": {\"ncpu\": 2}}",
	             "InvalidArgument", "'name'");
	expect_error("{\"execute\": \"pool-migrate\", \"arguments\": {\"domain\": 1}}",
	             "InvalidArgument", "'pool'");
	/* Wrong types, named. */
	expect_error("{\"execute\": \"pool-create\", \"arguments\": {\"name\": 5, \"ncpu\": 2}}",
	             "InvalidArgument", "'name'");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": \"2\"}}",
	    "InvalidArgument", "'ncpu'");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 2.5}}",
	    "InvalidArgument", "'ncpu'");
	expect_error(
	    "{\"execute\": \"pool-destroy\", \"arguments\": {\"name\": \"p\", \"force\": 1}}",
	    "InvalidArgument", "'force'");
	expect_error(
	    "{\"execute\": \"pool-migrate\", \"arguments\": {\"domain\": true, \"pool\": \"p\"}}",
	    "InvalidArgument", "'domain'");
	assert_int_equal(fake.calls, 0);
}

static void test_decode_direct(void **state)
{
	struct ctl_request req;
	struct perr e = {0};
	size_t len = POOLD_LINE_MAX + 1;
	char *big = malloc(len);

	assert_int_equal(ctl_request_decode("{\"execute\":\"status\",\"id\":\"a\"}", 29, &req, &e),
	                 0);
	assert_ptr_equal(req.cmd, &ctl_cmd_status);
	assert_true(json_is_object(req.args));
	assert_string_equal(json_string_value(req.id), "a");
	ctl_request_fini(&req);

	/* A line over the limit is refused before parsing, and the reply asks to close. */
	memset(big, ' ', len);
	memcpy(big, "{\"execute\":\"status\"}", 20);
	assert_int_equal(ctl_request_decode(big, len, &req, &e), CTL_E_PROTOCOL);
	assert_non_null(strstr(e.msg, "longer"));
	ctl_request_fini(&req);
	unsigned out;
	json_t *reply = ctl_handle_line(&eng, big, len, &out);
	assert_string_equal(err_class(reply), "ProtocolError");
	assert_true(out & CTL_OUT_CLOSE);
	json_decref(reply);
	/* Exactly at the limit is fine. */
	reply = ctl_handle_line(&eng, big, POOLD_LINE_MAX, &out);
	assert_null(err_class(reply));
	assert_false(out & CTL_OUT_CLOSE);
	json_decref(reply);
	free(big);
}

static void test_ids_echoed(void **state)
{
	static const char *const ids[] = {
	    "1", "\"abc\"", "{\"a\": [1, null]}", "[1, 2]", "2.5", "null", "true", "-7"};
	char line[256];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		json_t *want = json_loads(ids[i], JSON_DECODE_ANY, NULL);

		assert_non_null(want);
		/* On success... */
		snprintf(line, sizeof(line), "{\"execute\": \"status\", \"id\": %s}", ids[i]);
		json_t *reply = run(line, NULL);
		assert_non_null(json_object_get(reply, "return"));
		assert_true(json_equal(json_object_get(reply, "id"), want));
		json_decref(reply);
		/* ...and on every kind of error after the object was parsed. */
		snprintf(line, sizeof(line), "{\"execute\": \"nope\", \"id\": %s}", ids[i]);
		reply = run(line, NULL);
		assert_string_equal(err_class(reply), "CommandNotFound");
		assert_true(json_equal(json_object_get(reply, "id"), want));
		json_decref(reply);
		snprintf(line, sizeof(line), "{\"id\": %s, \"execute\": 3}", ids[i]);
		reply = run(line, NULL);
		assert_true(json_equal(json_object_get(reply, "id"), want));
		json_decref(reply);
		json_decref(want);
	}
	/* No id sent, none echoed. */
	json_t *reply = run("{\"execute\": \"status\"}", NULL);
	assert_null(json_object_get(reply, "id"));
	json_decref(reply);
}

static void test_encode_and_utf8(void **state)
{
	struct perr e;
	char name[200] = "x";
	size_t len;
	char *buf;

	/* A message cut inside a UTF-8 sequence still makes a valid reply. */
	for (int i = 0; i < 60; i++)
		strcat(name, "\xc3\xa9");
	char line[400];
	snprintf(line, sizeof(line), "{\"execute\": \"%s\"}", name);
	json_t *reply = run(line, NULL);
	assert_string_equal(err_class(reply), "CommandNotFound");
	/* Cut at 64 bytes: x, 31 of them, then half of one, which becomes U+FFFD. */
	char want[200] = "no command 'x";
	for (int i = 0; i < 31; i++)
		strcat(want, "\xc3\xa9");
	strcat(want, "\xef\xbf\xbd': query-commands lists them");
	assert_string_equal(err_desc(reply), want);
	json_decref(reply);

	/* A sequence cut in the middle of a message, and bytes that are never UTF-8. */
	perr_set(&e, POOLD_E_INVALID, "a\xc3 b\xff\xc0\xaf c\xed\xa0\x80 d\xf0\x9f\x98\x80");
	reply = ctl_reply_error(POOLD_E_INVALID, &e, NULL);
	assert_string_equal(err_desc(reply),
	                    "a\xef\xbf\xbd b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	                    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd d\xf0\x9f\x98\x80");
	json_decref(reply);

	/* One message is one line: newlines in text are escaped. */
	perr_set(&e, POOLD_E_BUSY, "two\nlines");
	reply = ctl_reply_error(POOLD_E_BUSY, &e, NULL);
	buf = ctl_encode(reply, &len);
	assert_non_null(buf);
	assert_int_equal(buf[len - 1], '\n');
	assert_ptr_equal(memchr(buf, '\n', len), buf + len - 1);
	free(buf);
	json_decref(reply);

	/* -errno carries strerror; an empty message gets the code's name. */
	e.msg[0] = '\0';
	reply = ctl_reply_error(-ENOENT, &e, NULL);
	assert_string_equal(err_desc(reply), strerror(ENOENT));
	assert_string_equal(err_class(reply), "GenericError");
	json_decref(reply);
	reply = ctl_reply_error(POOLD_E_NOCPU, &e, NULL);
	assert_string_equal(err_desc(reply), perr_name(POOLD_E_NOCPU));
	json_decref(reply);

	reply = ctl_greeting();
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(reply, "poold"), "protocol")),
	    POOLD_PROTOCOL_VERSION);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(reply, "poold"), "version")),
	    POOLD_VERSION);
	json_decref(reply);
}

static void test_pool_create(void **state)
{
	json_t *ret, *p;

	ret = expect_return("{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p3\", "
	                    "\"ncpu\": 3, \"cap\": 150}}");
	assert_string_equal(fake.last, "pool_create");
	assert_string_equal(fake.name, "p3");
	assert_true(fake.spec.by_count);
	assert_int_equal(fake.spec.ncpu, 3);
	assert_int_equal(fake.cap, 150);
	p = json_object_get(ret, "pool");
	assert_string_equal(json_string_value(json_object_get(p, "name")), "p3");
	assert_string_equal(json_string_value(json_object_get(p, "cpus")), "4-6");
	assert_int_equal(json_integer_value(json_object_get(p, "ncpu")), 3);
	assert_int_equal(json_integer_value(json_object_get(p, "cap")), 150);
	assert_int_equal(json_array_size(json_object_get(p, "domains")), 0);
	json_decref(ret);

	ret = expect_return("{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p4\", "
	                    "\"cpus\": \"0-7,^3-6\"}}");
	assert_false(fake.spec.by_count);
	assert_int_equal(cpumap_count(&fake.spec.cpus), 4);
	assert_true(cpumap_test(&fake.spec.cpus, 7));
	assert_false(cpumap_test(&fake.spec.cpus, 3));
	assert_int_equal(fake.cap, 0);
	json_decref(ret);
	assert_int_equal(fake.calls, 2);

	/* Refused before the engine: */
	expect_error("{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 2,"
	             " \"cpus\": \"1\"}}",
	             "InvalidArgument", "not several");
	expect_error("{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\"}}",
	             "InvalidArgument", "ncpu");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 0}}",
	    "InvalidArgument", "use 1..16");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": -3}}",
	    "InvalidArgument", "16 pCPUs");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 1025}}",
	    "InvalidArgument", "out of range");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"cpus\": \"99\"}}",
	    "InvalidArgument", NULL);
	expect_error("{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 1,"
	             " \"cap\": -1}}",
	             "InvalidArgument", "use 0..1600");
	assert_int_equal(fake.calls, 2);

	/* The engine's refusals keep their class and message. */
	fake.ret = POOLD_E_NOCPU;
	snprintf(fake.msg, sizeof(fake.msg), "only 2 pCPUs free in pool0");
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 9}}",
	    "NoFreeCpu", "only 2 pCPUs free");
	fake.ret = -EIO;
	fake.msg[0] = '\0';
	expect_error(
	    "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", \"ncpu\": 1}}",
	    "GenericError", strerror(EIO));
}

static void test_pool_modify_destroy(void **state)
{
	json_t *ret, *want;

	expect_error("{\"execute\": \"pool-modify\", \"arguments\": {\"name\": \"pool1\"}}",
	             "InvalidArgument", "say what to change");
	expect_error(
	    "{\"execute\": \"pool-modify\", \"arguments\": {\"name\": \"pool1\", \"ncpu\": 1,"
	    " \"cpus\": \"8\"}}",
	    "InvalidArgument", "not several");
	assert_int_equal(fake.calls, 0);

	ret = expect_return("{\"execute\": \"pool-modify\", \"arguments\": {\"name\": \"pool1\","
	                    " \"cap\": 50}}");
	assert_false(fake.has_spec);
	assert_int_equal(fake.cap, 50);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ret, "pool"), "cap")),
	                 50);
	json_decref(ret);

	ret = expect_return("{\"execute\": \"pool-modify\", \"arguments\": {\"name\": \"pool1\","
	                    " \"cpus\": \"8-9\"}}");
	assert_true(fake.has_spec);
	assert_int_equal(fake.cap, -1);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ret, "pool"), "cpus")), "8-9");
	json_decref(ret);

	/* Zero pCPUs is the engine's call (it depends on members). */
	ret = expect_return("{\"execute\": \"pool-modify\", \"arguments\": {\"name\": \"pool2\","
	                    " \"ncpu\": 0}}");
	assert_true(fake.spec.by_count);
	assert_int_equal(fake.spec.ncpu, 0);
	json_decref(ret);

	ret =
	    expect_return("{\"execute\": \"pool-destroy\", \"arguments\": {\"name\": \"pool2\"}}");
	assert_false(fake.force);
	/* What it had, taken before the engine ran, and where that went. */
	assert_string_equal(json_string_value(json_object_get(ret, "pool")), "pool2");
	assert_int_equal(json_integer_value(json_object_get(ret, "id")), 2);
	assert_string_equal(json_string_value(json_object_get(ret, "cpus")), "12-15");
	assert_int_equal(json_integer_value(json_object_get(ret, "ncpu")), 4);
	assert_int_equal(json_array_size(json_object_get(ret, "domains")), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "to")), "pool0");
	json_decref(ret);
	ret = expect_return("{\"execute\": \"pool-destroy\", \"arguments\": {\"name\": \"pool1\","
	                    " \"force\": true}}");
	want = json_pack("[i]", 1);
	assert_true(json_equal(json_object_get(ret, "domains"), want));
	json_decref(want);
	json_decref(ret);
	ret = expect_return("{\"execute\": \"pool-destroy\", \"arguments\": {\"name\": \"pool2\","
	                    " \"force\": true}}");
	assert_true(fake.force);
	assert_string_equal(fake.name, "pool2");
	json_decref(ret);
	fake.ret = POOLD_E_PROTECTED;
	snprintf(fake.msg, sizeof(fake.msg), "pool0 can't be destroyed");
	expect_error("{\"execute\": \"pool-destroy\", \"arguments\": {\"name\": \"pool0\"}}",
	             "Protected", "pool0");
}

static void test_pool_list(void **state)
{
	json_t *ret = expect_return("{\"execute\": \"pool-list\", \"arguments\": {}}");
	json_t *pools = json_object_get(ret, "pools"), *p;

	assert_int_equal(json_array_size(pools), 3);
	p = json_array_get(pools, 0);
	assert_int_equal(json_integer_value(json_object_get(p, "id")), 0);
	assert_string_equal(json_string_value(json_object_get(p, "name")), "pool0");
	assert_string_equal(json_string_value(json_object_get(p, "cpus")), "0-7");
	assert_int_equal(json_integer_value(json_object_get(p, "ncpu")), 8);
	assert_string_equal(json_string_value(json_object_get(p, "sched")), "credit");
	json_t *want = json_pack("[i,i]", 0, 2);
	assert_true(json_equal(json_object_get(p, "domains"), want));
	json_decref(want);
	p = json_array_get(pools, 2);
	assert_string_equal(json_string_value(json_object_get(p, "sched")), "credit2");
	assert_string_equal(json_string_value(json_object_get(p, "cpus")), "12-15");
	json_decref(ret);
}

/* Looks a member of top's pools or domains up by name. */
static json_t *top_row(json_t *ret, const char *list, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach (json_object_get(ret, list), i, o)
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	fail_msg("no %s named %s in top's reply", list, name);
	return NULL;
}

/* top: the pools' sums of what the domains used, their load and saturation, from the model. */
static void test_top(void **state)
{
	json_t *ret, *p;

	eng.doms[0].used = 10;   /* Domain-0, pool0 */
	eng.doms[1].used = 390;  /* web1, pool1 of 4 pCPUs: 97.5 % of it */
	eng.doms[2].used = 50.5; /* db, pool0 */
	eng.doms[1].share_cap = 195;
	eng.pools.pools[1].share.active = true;
	eng.pools.pools[2].share_off = true;
	ret = expect_return("{\"execute\": \"top\"}");
	assert_int_equal(json_array_size(json_object_get(ret, "domains")), 3);
	assert_int_equal(json_array_size(json_object_get(ret, "pools")), 3);
	assert_true(json_is_null(json_object_get(ret, "window")));
	p = top_row(ret, "pools", "pool0");
	assert_int_equal(json_integer_value(json_object_get(p, "members")), 2);
	assert_int_equal(json_integer_value(json_object_get(p, "vcpus")), 4);
	assert_float_equal(json_number_value(json_object_get(p, "used")), 60.5, 1e-9);
	assert_float_equal(json_number_value(json_object_get(p, "load")), 60.5 / 8, 0.051);
	assert_true(json_is_false(json_object_get(p, "saturated")));
	assert_string_equal(json_string_value(json_object_get(p, "controller")), "idle");
	assert_string_equal(json_string_value(json_object_get(p, "nodes")), "0");
	p = top_row(ret, "pools", "pool1");
	assert_float_equal(json_number_value(json_object_get(p, "load")), 97.5, 1e-9);
	assert_true(json_is_true(json_object_get(p, "saturated")));
	assert_string_equal(json_string_value(json_object_get(p, "controller")), "holding");
	p = top_row(ret, "pools", "pool2");
	assert_int_equal(json_integer_value(json_object_get(p, "members")), 0);
	assert_float_equal(json_number_value(json_object_get(p, "used")), 0, 1e-9);
	assert_string_equal(json_string_value(json_object_get(p, "controller")), "off");
	p = top_row(ret, "domains", "db");
	assert_float_equal(json_number_value(json_object_get(p, "used")), 50.5, 1e-9);
	assert_string_equal(json_string_value(json_object_get(p, "pool")), "pool0");
	json_decref(ret);

	/* A pool whose members are not measured yet has no use, and no saturation, to show. */
	eng.doms[1].used = -1;
	ret = expect_return("{\"execute\": \"top\"}");
	p = top_row(ret, "pools", "pool1");
	assert_true(json_is_null(json_object_get(p, "used")));
	assert_true(json_is_null(json_object_get(p, "saturated")));
	assert_true(json_is_null(json_object_get(top_row(ret, "domains", "web1"), "used")));
	json_decref(ret);
}

static void test_domains(void **state)
{
	json_t *ret, *d;

	ret = expect_return("{\"execute\": \"domain-list\"}");
	assert_int_equal(json_array_size(json_object_get(ret, "domains")), 3);
	d = json_array_get(json_object_get(ret, "domains"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "web1");
	assert_string_equal(json_string_value(json_object_get(d, "pool")), "pool1");
	assert_true(json_is_false(json_object_get(d, "misplaced")));
	/* Always there: "" when it wants no pool in particular. */
	assert_true(json_is_string(json_object_get(d, "wanted")));
	assert_int_equal(strlen(json_string_value(json_object_get(d, "uuid"))), 36);
	assert_int_equal(json_integer_value(json_object_get(d, "weight")), 256);
	assert_int_equal(json_integer_value(json_object_get(d, "vcpus")), 2);
	assert_non_null(json_object_get(d, "hv_weight"));
	assert_non_null(json_object_get(d, "hv_cap"));
	d = json_array_get(json_object_get(ret, "domains"), 2);
	assert_true(json_is_true(json_object_get(d, "misplaced")));
	assert_string_equal(json_string_value(json_object_get(d, "wanted")), "pool9");
	json_decref(ret);

	/* Ranges say the fix, and the engine is not bothered. */
	expect_error(
	    "{\"execute\": \"domain-set\", \"arguments\": {\"domain\": \"web1\", \"weight\": 0}}",
	    "InvalidArgument", "use 1..65535 (256 is the default)");
	expect_error("{\"execute\": \"domain-set\", \"arguments\": {\"domain\": \"web1\","
	             " \"weight\": 65536}}",
	             "InvalidArgument", "out of range");
	expect_error(
	    "{\"execute\": \"domain-set\", \"arguments\": {\"domain\": \"web1\", \"cap\": -5}}",
	    "InvalidArgument", "cap -5");
	expect_error("{\"execute\": \"domain-set\", \"arguments\": {\"domain\": \"web1\"}}",
	             "InvalidArgument", "weight or cap");
	expect_error("{\"execute\": \"domain-set\", \"arguments\": {\"domain\": -1, \"cap\": 5}}",
	             "InvalidArgument", "domid -1");
	assert_int_equal(fake.calls, 0);

	ret = expect_return("{\"execute\": \"domain-set\", \"arguments\": {\"domain\": 1,"
	                    " \"weight\": 512}}");
	assert_string_equal(fake.name, "1");
	assert_int_equal(fake.weight, 512);
	assert_int_equal(fake.cap, -1);
	d = json_object_get(ret, "domain");
	assert_string_equal(json_string_value(json_object_get(d, "name")), "web1");
	assert_int_equal(json_integer_value(json_object_get(d, "weight")), 512);
	json_decref(ret);

	ret = expect_return("{\"execute\": \"pool-migrate\", \"arguments\": {\"domain\": \"db\","
	                    " \"pool\": \"pool2\"}}");
	assert_string_equal(fake.last, "domain_migrate");
	assert_string_equal(fake.name, "db");
	assert_string_equal(fake.pool, "pool2");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ret, "domain"), "pool")), "pool2");
	json_decref(ret);
	expect_error("{\"execute\": \"pool-migrate\", \"arguments\": {\"domain\": \"ghost\","
	             " \"pool\": \"pool2\"}}",
	             "NotFound", "ghost");
}

/* Adds domains domid from..to-1, each in pool0, with names that need escaping now and then. */
static void add_doms(uint32_t from, uint32_t to)
{
	eng.doms = realloc(eng.doms, (eng.ndoms + (to - from)) * sizeof(*eng.doms));
	assert_non_null(eng.doms);
	for (uint32_t id = from; id < to; id++) {
		struct dom *d = &eng.doms[eng.ndoms++];

		memset(d, 0, sizeof(*d));
		d->domid = id;
		snprintf(d->name, sizeof(d->name), id % 7 ? "vm%u" : "vm \"%u\"\\\u00e9", id);
		d->nr_vcpus = 1 + id % 4;
		d->weight = d->hv_weight = 256;
		d->used = id % 3 ? -1 : id / 10.0;
		d->entitled = -1;
	}
}

/* The whole listing, as the handler makes it. */
static char *domain_list_whole(void)
{
	json_t *ret = NULL;
	struct perr e = {0};
	char *text;

	assert_int_equal(ctl_cmd_domain_list.fn(&eng, NULL, &ret, &e), 0);
	text = json_dumps(ret, JSON_COMPACT);
	json_decref(ret);
	return text;
}

/* domain-list a slice at a time: the same bytes, and the lines that wait for it. */
static void test_domain_list_slices(void **state)
{
	static const char line[] = "{\"execute\": \"domain-list\", \"id\": 7}";
	struct ctl_cache *cache = calloc(ctl_cmd_count(), sizeof(*cache));
	struct ctl_slice sl = {0};
	char *whole, *text;
	unsigned out, steps = 0;
	json_t *reply;
	size_t n;

	add_doms(3, 3 + 3 * CTL_SLICE_ITEMS);
	whole = domain_list_whole();
	while (!ctl_cmd_domain_list.slice(&eng, &sl, 7))
		steps++;
	assert_int_equal(steps, (eng.ndoms + 6) / 7 - 1);
	assert_false(sl.failed);
	assert_string_equal(sl.buf, whole);
	free(sl.buf);

	/* Too many for one slice: the line waits, and its neighbours join it. */
	assert_null(ctl_handle_line_encoded(&eng, line, strlen(line), CTL_ACCESS_FULL, cache, false,
	                                    &n, &out));
	assert_true(out & CTL_OUT_WAIT);
	assert_true(ctl_cache_building(cache, ctl_cmd_index(&ctl_cmd_domain_list)));
	assert_null(ctl_handle_line_encoded(&eng, line, strlen(line), CTL_ACCESS_READONLY, cache,
	                                    false, &n, &out));
	assert_true(out & CTL_OUT_WAIT);
	/* Not a listing with slices: answered at once meanwhile. */
	text = ctl_handle_line_encoded(&eng, "{\"execute\": \"pool-list\"}", 24, CTL_ACCESS_FULL,
	                               cache, false, &n, &out);
	assert_non_null(text);
	assert_int_equal(out & CTL_OUT_WAIT, 0);
	free(text);
	/* The model moves while it is made: a domain above the slices made goes. */
	eng.ndoms--;
	eng.generation++;
	steps = 1;
	while (ctl_cache_step(&eng, cache, ctl_cmd_count()))
		steps++;
	/* 3 * CTL_SLICE_ITEMS + 2 domains, one gone: in the request's slice and 3 more */
	assert_int_equal(steps, 3);
	text = ctl_handle_line_encoded(&eng, line, strlen(line), CTL_ACCESS_FULL, cache, true, &n,
	                               &out);
	assert_non_null(text);
	assert_int_equal(out, 0);
	assert_int_equal(text[n - 1], '\n');
	reply = json_loadb(text, n, 0, NULL);
	assert_non_null(reply);
	assert_int_equal(json_integer_value(json_object_get(reply, "id")), 7);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(reply, "return"), "domains")),
	    eng.ndoms);
	json_decref(reply);
	free(text);
	/* Made while the model moved: the next line makes it anew, and gets it whole. */
	free(whole);
	whole = domain_list_whole();
	assert_null(ctl_handle_line_encoded(&eng, line, strlen(line), CTL_ACCESS_FULL, cache, false,
	                                    &n, &out));
	assert_true(out & CTL_OUT_WAIT);
	while (ctl_cache_step(&eng, cache, ctl_cmd_count()))
		;
	text = ctl_handle_line_encoded(&eng, line, strlen(line), CTL_ACCESS_FULL, cache, true, &n,
	                               &out);
	assert_non_null(text);
	assert_non_null(strstr(text, whole));
	free(text);
	/* Nothing moved since: served from the cache at once. */
	text = ctl_handle_line_encoded(&eng, line, strlen(line), CTL_ACCESS_FULL, cache, false, &n,
	                               &out);
	assert_non_null(text);
	assert_int_equal(out, 0);
	free(text);
	free(whole);
	ctl_cache_fini(cache, ctl_cmd_count());
	free(cache);
}

/* pool-rename and pool-migrate-all: their arguments, and replies that say what happened. */
static void test_rename_migrate_all(void **state)
{
	json_t *ret, *p, *d;

	expect_error("{\"execute\": \"pool-rename\", \"arguments\": {\"name\": \"pool1\"}}",
	             "InvalidArgument", "new_name");
	expect_error("{\"execute\": \"pool-migrate-all\", \"arguments\": {\"from\": \"pool1\","
	             " \"pool\": 2}}",
	             "InvalidArgument", "pool");
	assert_int_equal(fake.calls, 0);

	ret = expect_return("{\"execute\": \"pool-rename\", \"arguments\": {\"name\": \"pool1\","
	                    " \"new_name\": \"web\"}}");
	assert_string_equal(fake.last, "pool_rename");
	assert_string_equal(fake.name, "pool1");
	assert_string_equal(fake.pool, "web");
	p = json_object_get(ret, "pool");
	assert_string_equal(json_string_value(json_object_get(p, "name")), "web");
	assert_int_equal(json_integer_value(json_object_get(p, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(p, "cpus")), "8-11");
	assert_string_equal(json_string_value(json_object_get(ret, "renamed_from")), "pool1");
	assert_true(json_is_null(json_object_get(ret, "warning")));
	json_decref(ret);
	snprintf(fake.warning, sizeof(fake.warning), "default_pool names \"web\"");
	ret = expect_return("{\"execute\": \"pool-rename\", \"arguments\": {\"name\": \"web\","
	                    " \"new_name\": \"web2\"}}");
	assert_string_equal(json_string_value(json_object_get(ret, "warning")),
	                    "default_pool names \"web\"");
	json_decref(ret);
	fake.warning[0] = '\0';
	fake.ret = POOLD_E_EXISTS;
	snprintf(fake.msg, sizeof(fake.msg), "pool \"pool2\" already exists");
	expect_error("{\"execute\": \"pool-rename\", \"arguments\": {\"name\": \"web2\","
	             " \"new_name\": \"pool2\"}}",
	             "AlreadyExists", "pool2");
	fake.ret = 0;

	/* From pool0: domain 2 moves, dom0 stays and the reply says so. */
	ret =
	    expect_return("{\"execute\": \"pool-migrate-all\", \"arguments\": {\"from\": \"pool0\","
	                  " \"pool\": \"pool2\"}}");
	assert_string_equal(fake.last, "pool_migrate_all");
	assert_string_equal(fake.name, "pool0");
	assert_string_equal(fake.pool, "pool2");
	assert_string_equal(json_string_value(json_object_get(ret, "from")), "pool0");
	assert_string_equal(json_string_value(json_object_get(ret, "pool")), "pool2");
	assert_int_equal(json_array_size(json_object_get(ret, "domains")), 1);
	d = json_array_get(json_object_get(ret, "domains"), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "domid")), 2);
	assert_string_equal(json_string_value(json_object_get(d, "pool")), "pool2");
	p = json_pack("[i]", 0);
	assert_true(json_equal(json_object_get(ret, "skipped"), p));
	json_decref(p);
	json_decref(ret);
	/* From a pool without dom0: nothing skipped. */
	ret =
	    expect_return("{\"execute\": \"pool-migrate-all\", \"arguments\": {\"from\": \"pool2\","
	                  " \"pool\": \"web2\"}}");
	assert_int_equal(json_array_size(json_object_get(ret, "domains")), 1);
	assert_int_equal(json_array_size(json_object_get(ret, "skipped")), 0);
	json_decref(ret);
	expect_error("{\"execute\": \"pool-migrate-all\", \"arguments\": {\"from\": \"ghost\","
	             " \"pool\": \"pool2\"}}",
	             "NotFound", "ghost");
}

static void test_status_log_subscribe(void **state)
{
	int saved = log_get_level();
	unsigned out;
	json_t *ret, *reply;

	ret = expect_return("{\"execute\": \"status\"}");
	assert_string_equal(json_string_value(json_object_get(ret, "version")), POOLD_VERSION);
	assert_int_equal(json_integer_value(json_object_get(ret, "protocol")),
	                 POOLD_PROTOCOL_VERSION);
	assert_string_equal(json_string_value(json_object_get(ret, "backend")), "sim");
	assert_int_equal(json_integer_value(json_object_get(ret, "pools")), 3);
	assert_int_equal(json_integer_value(json_object_get(ret, "domains")), 3);
	assert_int_equal(json_integer_value(json_object_get(ret, "hv_writes")), 42);
	assert_int_equal(json_integer_value(json_object_get(ret, "hv_reads")), 4242);
	assert_non_null(json_string_value(json_object_get(ret, "log_level")));
	json_decref(ret);

	expect_error("{\"execute\": \"log-level\", \"arguments\": {\"level\": \"loud\"}}",
	             "InvalidArgument", "use err, warning");
	ret = expect_return("{\"execute\": \"log-level\", \"arguments\": {\"level\": \"debug\"}}");
	assert_string_equal(json_string_value(json_object_get(ret, "level")), "debug");
	assert_int_equal(log_get_level(), LOG_LEVEL_DEBUG);
	json_decref(ret);
	log_set_level(saved);

	reply = run("{\"execute\": \"status\"}", &out);
	assert_int_equal(out, 0);
	json_decref(reply);
	reply = run("{\"execute\": \"subscribe\"}", &out);
	assert_true(out & CTL_OUT_SUBSCRIBE);
	json_decref(reply);
	/* A refused subscribe does not subscribe. */
	reply = run("{\"execute\": \"subscribe\", \"arguments\": {\"x\": 1}}", &out);
	assert_int_equal(out, 0);
	json_decref(reply);
}

static void test_query_commands(void **state)
{
	json_t *ret = expect_return("{\"execute\": \"query-commands\"}");
	json_t *cmds = json_object_get(ret, "commands"), *c;
	size_t n = 0, i;

	while (ctl_cmd_table[n] != NULL)
		n++;
	assert_int_equal(json_array_size(cmds), n);
	assert_int_equal(n, 16);
	json_array_foreach (cmds, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		assert_ptr_equal(ctl_cmd_find(name), ctl_cmd_table[i]);
		assert_true(strlen(json_string_value(json_object_get(c, "help"))) > 0);
		assert_true(json_is_array(json_object_get(c, "args")));
		assert_true(json_is_boolean(json_object_get(c, "mutating")));
		/* Names are unique. */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ctl_cmd_table[j]->name, name);
	}
	c = json_array_get(cmds, 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")), "pool-create");
	assert_true(json_is_true(json_object_get(c, "mutating")));
	/* name, ncpu, cpus, nodes, cap, share, dry_run */
	assert_int_equal(json_array_size(json_object_get(c, "args")), 7);
	c = json_array_get(cmds, 1);
	assert_true(json_is_false(json_object_get(c, "mutating")));
	json_decref(ret);
}

/* Every command of the table, on a read-only connection: refused exactly when mutating. */
static void test_readonly_access(void **state)
{
	const char *valid =
	    "{\"execute\":\"pool-create\",\"arguments\":{\"name\":\"p9\",\"ncpu\":1}}";
	char line[256];
	unsigned out, calls;
	json_t *reply;

	for (size_t i = 0; ctl_cmd_table[i] != NULL; i++) {
		const struct ctl_cmd *c = ctl_cmd_table[i];
		bool mutating = (c->flags & CTL_CMD_MUTATING) != 0;

		/* No arguments: a mutating command is refused before they are looked at. */
		snprintf(line, sizeof(line), "{\"execute\":\"%s\",\"id\":%zu}", c->name, i);
		calls = fake.calls;
		reply = ctl_handle_line_access(&eng, line, strlen(line), CTL_ACCESS_READONLY, &out);
		assert_non_null(reply);
		assert_int_equal(json_integer_value(json_object_get(reply, "id")), (json_int_t)i);
		if (mutating) {
			assert_string_equal(err_class(reply), "PermissionDenied");
			assert_non_null(strstr(err_desc(reply), c->name));
			assert_non_null(strstr(err_desc(reply), "read-only"));
			assert_non_null(strstr(err_desc(reply), "as root"));
			assert_int_equal(out & CTL_OUT_SUBSCRIBE, 0);
		} else if (err_class(reply) != NULL) {
			assert_string_not_equal(err_class(reply), "PermissionDenied");
		}
		assert_int_equal(fake.calls, calls);
		json_decref(reply);

		/* The same line on a full connection is never PermissionDenied. */
		reply = ctl_handle_line_access(&eng, line, strlen(line), CTL_ACCESS_FULL, &out);
		assert_true(err_class(reply) == NULL ||
		            strcmp(err_class(reply), "PermissionDenied") != 0);
		json_decref(reply);
	}
	/* The commands a read-only user needs are not mutating, log-level is. */
	assert_false(ctl_cmd_find("status")->flags & CTL_CMD_MUTATING);
	assert_false(ctl_cmd_find("subscribe")->flags & CTL_CMD_MUTATING);
	assert_false(ctl_cmd_find("pool-list")->flags & CTL_CMD_MUTATING);
	assert_false(ctl_cmd_find("domain-list")->flags & CTL_CMD_MUTATING);
	assert_false(ctl_cmd_find("query-commands")->flags & CTL_CMD_MUTATING);
	assert_false(ctl_cmd_find("top")->flags & CTL_CMD_MUTATING);
	assert_true(ctl_cmd_find("log-level")->flags & CTL_CMD_MUTATING);
	/* A valid mutating request is refused too, and nothing reaches the engine. */
	calls = fake.calls;
	reply = ctl_handle_line_access(&eng, valid, strlen(valid), CTL_ACCESS_READONLY, &out);
	assert_string_equal(err_class(reply), "PermissionDenied");
	assert_int_equal(fake.calls, calls);
	json_decref(reply);
	reply = ctl_handle_line_access(&eng, valid, strlen(valid), CTL_ACCESS_FULL, &out);
	assert_null(err_class(reply));
	assert_int_equal(fake.calls, calls + 1);
	json_decref(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_table_complete),
	    cmocka_unit_test_setup_teardown(test_decode_envelope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_direct, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ids_echoed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encode_and_utf8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_modify_destroy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domain_list_slices, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename_migrate_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_top, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_log_subscribe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_access, setup, teardown),
	};

	log_init("test-ctl-proto", LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
