/* Unit tests of the "sim" backend against a fake xensim that answers canned lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "fake-xensim.h"
#include "hv/hv.h"

struct ctx {
	struct fake *f;
	struct hv *hv;
};

/* Scripts the next answer of the fake xensim. */
static void add(struct ctx *c, enum fake_action a, const char *reply)
{
	assert_true(fake_add(c->f, a, reply));
}

/* Checks that request i equals the JSON text `want`, key order aside. */
static void assert_request(struct ctx *c, unsigned i, const char *want)
{
	char *text = fake_request(c->f, i);
	json_t *got, *w;

	assert_non_null(text);
	got = json_loads(text, 0, NULL);
	w = json_loads(want, 0, NULL);
	assert_non_null(got);
	assert_non_null(w);
	if (!json_equal(got, w)) {
		print_error("request %u: got %s, want %s\n", i, text, want);
		fail();
	}
	free(text);
	json_decref(got);
	json_decref(w);
}

/* Starts the fake xensim and connects the backend to it. */
static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->f = fake_start();
	if (c->f == NULL || hv_open(&c->hv, "sim", fake_path(c->f)) != 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	hv_close(c->hv);
	fake_stop(c->f);
	free(c);
	return 0;
}

static void test_open_missing_socket(void **state)
{
	struct hv *hv = NULL;

	assert_int_equal(hv_open(&hv, "sim", "/nonexistent/hv.sock"), -ENOENT);
	assert_null(hv);
	assert_int_equal(hv_open(&hv, "sim", ""), -EINVAL);
	assert_int_equal(hv_open(&hv, "nosuch", NULL), -ENOENT);
}

static void test_topology(void **state)
{
	struct ctx *c = *state;
	struct topo *t = calloc(1, sizeof(*t));

	add(c, FAKE_REPLY,
	    "{\"ok\":{\"cpus\":["
	    "{\"cpu\":0,\"online\":true,\"socket\":0,\"core\":0,\"node\":0},"
	    "{\"cpu\":1,\"online\":true,\"socket\":0,\"core\":0,\"node\":0},"
	    "{\"cpu\":3,\"online\":true,\"socket\":1,\"core\":4,\"node\":1},"
	    "{\"cpu\":2,\"online\":false}]}}");
	assert_int_equal(c->hv->ops->topology(c->hv, t), 0);
	assert_request(c, 0, "{\"op\":\"topology\"}");
	assert_int_equal(t->nr_cpus, 4);
	assert_true(t->cpu[0].online);
	assert_true(t->cpu[1].online);
	assert_false(t->cpu[2].online);
	assert_true(t->cpu[3].online);
	assert_int_equal(t->cpu[3].socket, 1);
	assert_int_equal(t->cpu[3].core, 4);
	assert_int_equal(t->cpu[3].node, 1);

	add(c, FAKE_REPLY, "{\"ok\":{\"cpus\":[{\"cpu\":-1,\"online\":true}]}}");
	assert_int_equal(c->hv->ops->topology(c->hv, t), -EPROTO);
	free(t);
}

static void test_list_domains(void **state)
{
	static const uint8_t uuid5[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct ctx *c = *state;
	struct hv_dominfo *list = NULL;
	uint64_t now = 0;
	size_t n = 0;

	add(c, FAKE_REPLY,
	    "{\"ok\":{\"now_ns\":7000000000,\"domains\":["
	    "{\"domid\":5,\"uuid\":\"00112233-4455-6677-8899-AABBCCDDEEFF\",\"vcpus\":2,"
	    "\"cpupool\":0,\"dying\":true,\"cpu_time\":0},"
	    "{\"domid\":0,\"uuid\":\"00000000-0000-0000-0000-000000000000\",\"vcpus\":16,"
	    "\"cpupool\":0,\"dying\":false,\"cpu_time\":123456789012},"
	    "{\"domid\":3,\"uuid\":\"00000000-0000-0000-0000-000000000003\",\"vcpus\":1,"
	    "\"cpupool\":1,\"dying\":false,\"cpu_time\":5}]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, &now), 0);
	assert_request(c, 0, "{\"op\":\"domains\"}");
	assert_int_equal(n, 3);
	assert_int_equal(now, 7000000000ull);
	assert_int_equal(list[0].domid, 0);
	assert_int_equal(list[0].cpu_time, 123456789012ull);
	assert_int_equal(list[1].cpu_time, 5);
	assert_int_equal(list[0].nr_vcpus, 16);
	assert_false(list[0].dying);
	assert_int_equal(list[1].domid, 3);
	assert_int_equal(list[1].cpupool, 1);
	assert_int_equal(list[1].uuid[15], 3);
	assert_int_equal(list[2].domid, 5);
	assert_int_equal(list[2].nr_vcpus, 2);
	assert_true(list[2].dying);
	assert_memory_equal(list[2].uuid, uuid5, 16);
	free(list);

	/* A uuid that is not one. */
	add(c, FAKE_REPLY,
	    "{\"ok\":{\"now_ns\":1,\"domains\":[{\"domid\":5,\"uuid\":\"0011223-34455-6677-8899-"
	    "aabbccddeeff\",\"vcpus\":2,\"cpupool\":0,\"dying\":true,\"cpu_time\":0}]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), -EPROTO);
	add(c, FAKE_REPLY,
	    "{\"ok\":{\"now_ns\":1,\"domains\":[{\"domid\":5,\"uuid\":\"00112233-4455-6677-8899-"
	    "aabbccddeefg\",\"vcpus\":2,\"cpupool\":0,\"dying\":true,\"cpu_time\":0}]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), -EPROTO);
	/* A cpu_time missing or negative, or no clock: a reply xensim never gives. */
	add(c, FAKE_REPLY,
	    "{\"ok\":{\"now_ns\":1,\"domains\":[{\"domid\":5,\"uuid\":\"00112233-4455-6677-8899-"
	    "aabbccddeeff\",\"vcpus\":2,\"cpupool\":0,\"dying\":true}]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), -EPROTO);
	add(c, FAKE_REPLY,
	    "{\"ok\":{\"now_ns\":1,\"domains\":[{\"domid\":5,\"uuid\":\"00112233-4455-6677-8899-"
	    "aabbccddeeff\",\"vcpus\":2,\"cpupool\":0,\"dying\":true,\"cpu_time\":-1}]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), -EPROTO);
	add(c, FAKE_REPLY,
	    "{\"ok\":{\"now_ns\":1,\"domains\":[{\"domid\":5,\"uuid\":\"00112233-4455-6677-8899-"
	    "aabbccddeeff\",\"vcpus\":2,\"cpupool\":0,\"dying\":true,\"cpu_time\":1.5}]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), -EPROTO);
	add(c, FAKE_REPLY, "{\"ok\":{\"domains\":[]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), -EPROTO);
	add(c, FAKE_REPLY, "{\"ok\":{\"now_ns\":-3,\"domains\":[]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, &now), -EPROTO);
	add(c, FAKE_REPLY, "{\"ok\":{\"now_ns\":\"3\",\"domains\":[]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, &now), -EPROTO);
	/* a refused listing leaves the clock alone */
	assert_int_equal(now, 7000000000ull);
	/* No domains at all is a valid answer. */
	add(c, FAKE_REPLY, "{\"ok\":{\"now_ns\":0,\"domains\":[]}}");
	assert_int_equal(c->hv->ops->list_domains(c->hv, &list, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(list);
}

static void test_cpupool(void **state)
{
	struct ctx *c = *state;
	enum sched_kind k = SCHED_UNKNOWN;

	add(c, FAKE_REPLY, "{\"ok\":{\"sched\":\"credit\",\"cpus\":\"0-15\"}}");
	add(c, FAKE_REPLY, "{\"ok\":{\"sched\":\"credit2\",\"cpus\":\"0-15\"}}");
	add(c, FAKE_REPLY, "{\"ok\":{\"sched\":\"rtds\",\"cpus\":\"0-15\"}}");
	assert_int_equal(c->hv->ops->cpupool_sched(c->hv, 2, &k), 0);
	assert_int_equal(k, SCHED_CREDIT);
	assert_int_equal(c->hv->ops->cpupool_sched(c->hv, 0, &k), 0);
	assert_int_equal(k, SCHED_CREDIT2);
	assert_int_equal(c->hv->ops->cpupool_sched(c->hv, 0, &k), 0);
	assert_int_equal(k, SCHED_OTHERS);
	assert_request(c, 0, "{\"op\":\"cpupool\",\"cpupool\":2}");
}

static void test_affinity(void **state)
{
	struct ctx *c = *state;
	struct cpumap m;

	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"0-3,8\"}}");
	assert_int_equal(c->hv->ops->get_affinity(c->hv, 4, 1, &m, NULL), 0);
	assert_request(c, 0, "{\"op\":\"get_affinity\",\"domid\":4,\"vcpu\":1}");
	assert_int_equal(cpumap_count(&m), 5);
	assert_true(cpumap_test(&m, 0));
	assert_true(cpumap_test(&m, 3));
	assert_true(cpumap_test(&m, 8));

	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"\"}}");
	assert_int_equal(c->hv->ops->get_affinity(c->hv, 4, 1, &m, NULL), 0);
	assert_true(cpumap_empty(&m));

	cpumap_zero(&m);
	cpumap_set(&m, 1);
	cpumap_set(&m, 3);
	cpumap_set(&m, 4);
	cpumap_set(&m, 5);
	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"1,3-5\"}}");
	assert_int_equal(c->hv->ops->set_affinity(c->hv, 7, 0, &m, NULL), 0);
	assert_request(c, 2, "{\"op\":\"set_affinity\",\"domid\":7,\"vcpu\":0,\"hard\":\"1,3-5\"}");

	/* xensim refuses a set without an online cpu of the pool. */
	add(c, FAKE_REPLY, "{\"error\":{\"errno\":22,\"desc\":\"no online cpu\"}}");
	assert_int_equal(c->hv->ops->set_affinity(c->hv, 7, 0, &m, NULL), -EINVAL);

	/* A cpu list that does not parse is a protocol error. */
	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"0-x\"}}");
	assert_int_equal(c->hv->ops->get_affinity(c->hv, 4, 1, &m, NULL), -EPROTO);
	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":5}}");
	assert_int_equal(c->hv->ops->get_affinity(c->hv, 4, 1, &m, NULL), -EPROTO);
}

/* Soft affinity rides with the hard one; node affinity has ops of its own. */
static void test_numa(void **state)
{
	struct ctx *c = *state;
	struct cpumap hard, soft, nodes;

	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"2-3\",\"soft\":\"0-3\"}}");
	assert_int_equal(c->hv->ops->get_affinity(c->hv, 4, 0, &hard, &soft), 0);
	assert_int_equal(cpumap_count(&hard), 2);
	assert_int_equal(cpumap_count(&soft), 4);
	/* Asked for soft, a reply without it is a protocol error. */
	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"2-3\"}}");
	assert_int_equal(c->hv->ops->get_affinity(c->hv, 4, 0, &hard, &soft), -EPROTO);

	add(c, FAKE_REPLY, "{\"ok\":{\"hard\":\"2-3\"}}");
	assert_int_equal(c->hv->ops->set_affinity(c->hv, 4, 1, &hard, &soft), 0);
	assert_request(c, 2,
	               "{\"op\":\"set_affinity\",\"domid\":4,\"vcpu\":1,\"hard\":\"2-3\","
	               "\"soft\":\"0-3\"}");

	add(c, FAKE_REPLY, "{\"ok\":{\"nodes\":\"1\"}}");
	assert_int_equal(c->hv->ops->get_node_affinity(c->hv, 4, &nodes), 0);
	assert_request(c, 3, "{\"op\":\"get_node_affinity\",\"domid\":4}");
	assert_int_equal(cpumap_count(&nodes), 1);
	assert_true(cpumap_test(&nodes, 1));
	add(c, FAKE_REPLY, "{\"ok\":{}}");
	assert_int_equal(c->hv->ops->set_node_affinity(c->hv, 4, &nodes), 0);
	assert_request(c, 4, "{\"op\":\"set_node_affinity\",\"domid\":4,\"nodes\":\"1\"}");
	add(c, FAKE_REPLY, "{\"ok\":{\"nodes\":7}}");
	assert_int_equal(c->hv->ops->get_node_affinity(c->hv, 4, &nodes), -EPROTO);
}

static void test_sched(void **state)
{
	struct ctx *c = *state;
	unsigned w = 0, cap = 0;

	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":768,\"cap\":20}}");
	assert_int_equal(c->hv->ops->get_sched(c->hv, 3, SCHED_CREDIT2, &w, &cap), 0);
	assert_int_equal(w, 768);
	assert_int_equal(cap, 20);
	assert_request(c, 0, "{\"op\":\"get_sched\",\"domid\":3,\"sched\":\"credit2\"}");

	add(c, FAKE_REPLY, "{\"ok\":{}}");
	assert_int_equal(c->hv->ops->set_sched(c->hv, 3, SCHED_CREDIT, 512, 0xffff), 0);
	assert_request(c, 1,
	               "{\"op\":\"set_sched\",\"domid\":3,\"sched\":\"credit\",\"weight\":512,"
	               "\"cap\":65535}");

	/* Kinds without weights never reach xensim. */
	assert_int_equal(c->hv->ops->set_sched(c->hv, 3, SCHED_OTHERS, 512, 0), -EOPNOTSUPP);
	assert_int_equal(c->hv->ops->get_sched(c->hv, 3, SCHED_UNKNOWN, &w, &cap), -EOPNOTSUPP);
	assert_int_equal(fake_count(c->f, NULL), 2);

	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":-1,\"cap\":0}}");
	assert_int_equal(c->hv->ops->get_sched(c->hv, 3, SCHED_CREDIT, &w, &cap), -EPROTO);
	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":256}}");
	assert_int_equal(c->hv->ops->get_sched(c->hv, 3, SCHED_CREDIT, &w, &cap), -EPROTO);
}

/* Reads domain 1's credit1 weight: a small getter, the vehicle of the transport tests. */
static int weight_of(struct ctx *c, uint32_t domid, unsigned *w)
{
	unsigned cap;

	return c->hv->ops->get_sched(c->hv, domid, SCHED_CREDIT, w, &cap);
}

static void test_errno_reply(void **state)
{
	struct ctx *c = *state;
	unsigned w = 0;

	add(c, FAKE_REPLY, "{\"error\":{\"errno\":3,\"desc\":\"no such domain\"}}");
	assert_int_equal(weight_of(c, 42, &w), -ESRCH);
	add(c, FAKE_REPLY, "{\"error\":{\"errno\":16}}");
	assert_int_equal(weight_of(c, 42, &w), -EBUSY);
	assert_int_equal(w, 0);
}

static void test_malformed_replies(void **state)
{
	static const char *bad[] = {
	    "not json",
	    "[1,2]",
	    "{}",
	    "{\"ok\":[]}",
	    "{\"ok\":{}}",
	    "{\"ok\":{\"weight\":\"12\",\"cap\":0}}",
	    "{\"error\":{\"errno\":0}}",
	    "{\"error\":{\"errno\":-5}}",
	    "{\"error\":{\"errno\":\"EINVAL\"}}",
	    "{\"error\":\"oops\"}",
	    "{\"ok\":{\"weight\":1,\"cap\":0}} {\"ok\":{\"weight\":2,\"cap\":0}}",
	};
	struct ctx *c = *state;
	unsigned conns = 0, w = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		add(c, FAKE_REPLY, bad[i]);
		if (weight_of(c, 1, &w) != -EPROTO) {
			print_error("reply %s was not refused\n", bad[i]);
			fail();
		}
	}
	/* Each garbled reply dropped the connection; the next call still works. */
	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":5,\"cap\":0}}");
	assert_int_equal(weight_of(c, 1, &w), 0);
	assert_int_equal(w, 5);
	fake_count(c->f, &conns);
	assert_true(conns > 1);
}

static void test_two_replies_in_one_write(void **state)
{
	struct ctx *c = *state;
	unsigned w = 0;

	/* Extra bytes after the reply mean the stream is out of step. */
	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":1,\"cap\":0}}\n{\"ok\":{\"weight\":2,\"cap\":0}}");
	assert_int_equal(weight_of(c, 1, &w), -EPROTO);
}

static void test_reconnect_once(void **state)
{
	static const char *req = "{\"op\":\"get_sched\",\"domid\":1,\"sched\":\"credit\"}";
	struct ctx *c = *state;
	unsigned conns = 0, w = 0;

	/* xensim drops the connection once: the request goes again on a new one. */
	add(c, FAKE_CLOSE, NULL);
	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":77,\"cap\":0}}");
	assert_int_equal(weight_of(c, 1, &w), 0);
	assert_int_equal(w, 77);
	assert_int_equal(fake_count(c->f, &conns), 2);
	assert_int_equal(conns, 2);
	assert_request(c, 0, req);
	assert_request(c, 1, req);

	/* Twice in a row: only one retry, then the error. */
	add(c, FAKE_CLOSE, NULL);
	add(c, FAKE_CLOSE, NULL);
	assert_int_equal(weight_of(c, 1, &w), -ECONNRESET);
	assert_int_equal(fake_count(c->f, &conns), 4);
	assert_int_equal(conns, 3);

	/* After the failure the next call connects afresh. */
	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":78,\"cap\":0}}");
	assert_int_equal(weight_of(c, 1, &w), 0);
	assert_int_equal(w, 78);
}

static void test_timeout(void **state)
{
	struct ctx *c = *state;
	struct timespec a, b;
	unsigned w = 0;
	double secs;

	add(c, FAKE_SILENT, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(weight_of(c, 1, &w), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(secs >= 4.9 && secs < 8);

	/* A late reply can't be mistaken for the next one: that goes on a new connection. */
	add(c, FAKE_REPLY, "{\"ok\":{\"weight\":11,\"cap\":0}}");
	assert_int_equal(weight_of(c, 1, &w), 0);
	assert_int_equal(w, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_missing_socket),
	    cmocka_unit_test_setup_teardown(test_topology, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cpupool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_affinity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_numa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errno_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_replies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_replies_in_one_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reconnect_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
