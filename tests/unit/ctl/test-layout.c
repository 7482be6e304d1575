/* Unit tests of the layout file's decoder and export (src/ctl/layout.c) and of apply's handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/uuid.h"
#include "ctl/cmd.h"
#include "ctl/layout.h"
#include "ctl/proto.h"
#include "fake-engine.h"

/* Decodes text for a host of 16 pCPUs; the result code, *l filled on success. */
static int decode(const char *text, struct engine_layout *l, struct perr *e)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	int r;

	if (doc == NULL)
		fail_msg("test layout is not JSON: %s: %s", text, je.text);
	r = ctl_layout_decode(doc, 16, NULL, l, e);
	json_decref(doc);
	return r;
}

/* Asserts text is refused (POOLD_E_INVALID) with a message containing want. */
static void refused(const char *text, const char *want)
{
	struct engine_layout l;
	struct perr e = {0};

	assert_int_equal(decode(text, &l, &e), POOLD_E_INVALID);
	if (strstr(e.msg, want) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", text, e.msg, want);
	assert_int_equal(l.npools + l.ndoms, 0);
	assert_null(l.pools);
}

static void test_decode_valid(void **state)
{
	struct engine_layout l;
	struct perr e = {0};
	uint8_t u[16];

	assert_int_equal(
	    decode("{\"version\": 1, \"prune\": true, \"pools\": ["
	           "{\"name\": \"web\", \"cpus\": \"2-5,^3\", \"cap\": 150, \"share\": \"off\"},"
	           "{\"name\": \"batch\", \"ncpu\": 4},"
	           "{\"name\": \"pool0\", \"cpus\": null, \"cap\": 0}],"
	           "\"domains\": [{\"name\": \"vm1\", \"pool\": \"web\", \"weight\": 512},"
	           "{\"uuid\": \"0e8c3f5a-0c39-4f8e-9a51-6d0b8e7f2c11\", \"cap\": 50, \"pool\": "
	           "null}]}",
	           &l, &e),
	    0);
	assert_true(l.prune);
	assert_int_equal(l.npools, 3);
	assert_string_equal(l.pools[0].name, "web");
	assert_true(l.pools[0].cpus_given);
	assert_false(l.pools[0].spec.by_count);
	assert_int_equal(cpumap_count(&l.pools[0].spec.cpus), 3);
	assert_false(cpumap_test(&l.pools[0].spec.cpus, 3));
	assert_int_equal(l.pools[0].cap, 150);
	assert_int_equal(l.pools[0].share, SHARE_OFF);
	assert_true(l.pools[1].spec.by_count);
	assert_int_equal(l.pools[1].spec.ncpu, 4);
	assert_int_equal(l.pools[1].cap, -1);
	assert_int_equal(l.pools[1].share, -1);
	/* null is left out */
	assert_false(l.pools[2].cpus_given);
	assert_int_equal(l.pools[2].cap, 0);
	assert_int_equal(l.ndoms, 2);
	assert_string_equal(l.doms[0].name, "vm1");
	assert_false(l.doms[0].by_uuid);
	assert_string_equal(l.doms[0].pool, "web");
	assert_int_equal(l.doms[0].weight, 512);
	assert_int_equal(l.doms[0].cap, -1);
	assert_true(l.doms[1].by_uuid);
	assert_int_equal(uuid_parse("0e8c3f5a-0c39-4f8e-9a51-6d0b8e7f2c11", u), 0);
	assert_memory_equal(l.doms[1].uuid, u, 16);
	assert_string_equal(l.doms[1].name, "");
	assert_string_equal(l.doms[1].pool, "");
	assert_int_equal(l.doms[1].weight, -1);
	assert_int_equal(l.doms[1].cap, 50);
	ctl_layout_fini(&l);

	/* Empty is a layout: it changes nothing. */
	assert_int_equal(decode("{}", &l, &e), 0);
	assert_false(l.prune);
	assert_int_equal(l.npools + l.ndoms, 0);
	ctl_layout_fini(&l);
}

static void test_decode_refused(void **state)
{
	refused("[]", "must be an object");
	refused("{\"pool\": []}", "unknown key \"pool\": the keys are version, prune, pools");
	refused("{\"version\": 2}", "version must be 1");
	refused("{\"prune\": 1}", "prune must be true or false");
	refused("{\"pools\": {}}", "pools must be an array");
	refused("{\"domains\": 3}", "domains must be an array");
	refused("{\"pools\": [3]}", "pools[0]: must be an object");
	refused("{\"pools\": [{\"cpus\": \"1\"}]}", "pools[0]: the pool needs a \"name\"");
	refused("{\"pools\": [{\"name\": \"a b\"}]}", "pools[0] (a b): not a valid pool name");
	refused("{\"pools\": [{\"name\": \"\"}]}", "pools[0]: name must be a non-empty string");
	refused("{\"pools\": [{\"name\": \"ok\"}, {\"name\": \"web\", \"cpu\": \"1\"}]}",
	        "pools[1] (web): unknown key \"cpu\": the keys are name, cpus, ncpu, nodes, cap, "
	        "share");
	refused("{\"pools\": [{\"name\": \"web\", \"cpus\": \"1\", \"ncpu\": 2}]}",
	        "pools[0] (web): give one of cpus (which pCPUs), ncpu (how many) or nodes");
	refused("{\"pools\": [{\"name\": \"web\", \"nodes\": \"1\", \"cpus\": \"1\"}]}",
	        "pools[0] (web): give one of");
	/* Without the host's topology (decoded here with none) nodes can't be resolved. */
	refused("{\"pools\": [{\"name\": \"web\", \"nodes\": \"1\"}]}",
	        "pools[0] (web): nodes: this host's NUMA nodes are not known yet");
	refused("{\"pools\": [{\"name\": \"web\", \"cpus\": \"node:1\"}]}",
	        "pools[0] (web): cpus: ");
	refused("{\"pools\": [{\"name\": \"web\", \"cpus\": \"1-40\"}]}", "pools[0] (web): cpus: ");
	refused("{\"pools\": [{\"name\": \"web\", \"ncpu\": 0}]}",
	        "pools[0] (web): ncpu must be a whole number 1..16");
	refused("{\"pools\": [{\"name\": \"web\", \"ncpu\": \"2\"}]}",
	        "ncpu must be a whole number");
	refused("{\"pools\": [{\"name\": \"web\", \"cap\": 1601}]}",
	        "cap must be a whole number 0..1600");
	refused("{\"pools\": [{\"name\": \"web\", \"share\": \"on\"}]}",
	        "share \"on\" is unknown: use \"auto\" or \"off\"");
	refused("{\"domains\": [{\"pool\": \"web\"}]}",
	        "domains[0]: say which domain: give its \"name\" or its \"uuid\"");
	refused("{\"domains\": [{\"uuid\": \"nope\"}]}",
	        "domains[0] (nope): uuid must be of the form");
	refused("{\"domains\": [{\"name\": \"vm1\", \"weight\": 0}]}",
	        "domains[0] (vm1): weight must be a whole number 1..65535");
	refused("{\"domains\": [{\"name\": \"vm1\", \"cap\": -1}]}",
	        "cap must be a whole number 0..65535");
	refused("{\"domains\": [{\"name\": \"vm1\", \"pool\": \"no way\"}]}",
	        "pool \"no way\" is not a valid name");
	refused("{\"domains\": [{\"name\": \"vm1\", \"vcpus\": 2}]}",
	        "domains[0] (vm1): unknown key \"vcpus\"");
}

/* What export writes decodes to the model it came from. */
static void test_export_decodes(void **state)
{
	struct engine eng;
	struct topo topo;
	struct engine_layout l;
	struct perr e = {0};
	json_t *doc;

	fake_poold_init(&eng, &topo);
	snprintf(eng.doms[1].want, sizeof(eng.doms[1].want), "pool1");
	doc = ctl_layout_export(&eng);
	assert_non_null(doc);
	/* pool0 without cpus, db's pool9 (missing) and dom0's none as null */
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(doc, "pools"), 0), "cpus")));
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(doc, "domains"), 2), "pool")));
	assert_int_equal(ctl_layout_decode(doc, 16, NULL, &l, &e), 0);
	json_decref(doc);
	assert_int_equal(l.npools, eng.pools.n);
	for (size_t i = 0; i < l.npools; i++) {
		assert_string_equal(l.pools[i].name, eng.pools.pools[i].name);
		assert_int_equal(l.pools[i].cpus_given, i > 0);
		if (i > 0)
			assert_true(cpumap_equal(&l.pools[i].spec.cpus, &eng.pools.pools[i].cpus));
		assert_int_equal(l.pools[i].cap, (int)eng.pools.pools[i].cap);
	}
	assert_int_equal(l.ndoms, eng.ndoms);
	assert_string_equal(l.doms[1].pool, "pool1");
	assert_string_equal(l.doms[2].pool, "");
	for (size_t i = 0; i < l.ndoms; i++) {
		assert_true(l.doms[i].by_uuid);
		assert_memory_equal(l.doms[i].uuid, eng.doms[i].uuid, 16);
		assert_string_equal(l.doms[i].name, eng.doms[i].name);
		assert_int_equal(l.doms[i].weight, (int)eng.doms[i].weight);
	}
	ctl_layout_fini(&l);
	fake_poold_fini(&eng);
}

/* Runs one request line through the protocol; returns the reply object. */
static json_t *request(struct engine *eng, const char *line)
{
	unsigned out = 0;
	json_t *reply = ctl_handle_line(eng, line, strlen(line), &out);

	assert_non_null(reply);
	return reply;
}

/* apply plans first, then (without dry_run) applies the same layout. */
static void test_apply_handler(void **state)
{
	struct engine eng;
	struct topo topo;
	json_t *r, *plan;

	fake_poold_init(&eng, &topo);
	r = request(&eng, "{\"execute\": \"apply\", \"arguments\": {\"layout\": {\"pools\": "
	                  "[{\"name\": \"web\", \"ncpu\": 2}]}, \"dry_run\": true}}");
	plan = json_object_get(json_object_get(r, "return"), "plan");
	assert_true(json_is_true(json_object_get(json_object_get(r, "return"), "dry_run")));
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(plan, "pools"), 0), "name")),
	                    "planned");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(plan, "writes"), 0), "op")),
	                    "affinity");
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.dry_calls, 1);
	assert_int_equal(fake.npools, 1);
	json_decref(r);

	r = request(&eng,
	            "{\"execute\": \"apply\", \"arguments\": {\"layout\": {\"prune\": true}}}");
	assert_true(json_is_false(json_object_get(json_object_get(r, "return"), "dry_run")));
	assert_int_equal(fake.calls, 3);
	assert_int_equal(fake.dry_calls, 2);
	assert_true(fake.prune);
	json_decref(r);

	/* A layout refused by the decoder never reaches the engine. */
	r = request(&eng, "{\"execute\": \"apply\", \"arguments\": {\"layout\": {\"pools\": 1}}}");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "error"), "class")),
	    "InvalidArgument");
	assert_int_equal(fake.calls, 3);
	json_decref(r);

	/* The single commands: dry_run runs the engine dry, changes nothing. */
	r = request(&eng, "{\"execute\": \"pool-create\", \"arguments\": {\"name\": \"p\", "
	                  "\"ncpu\": 2, \"dry_run\": true}}");
	assert_true(json_is_true(json_object_get(json_object_get(r, "return"), "dry_run")));
	assert_int_equal(fake.dry_calls, 3);
	assert_null(pool_find(&eng.pools, "p"));
	json_decref(r);
	r = request(&eng, "{\"execute\": \"pool-destroy\", \"arguments\": {\"name\": \"pool1\", "
	                  "\"dry_run\": true}}");
	assert_true(json_is_true(json_object_get(json_object_get(r, "return"), "dry_run")));
	assert_int_equal(fake.dry_calls, 4);
	json_decref(r);

	r = request(&eng, "{\"execute\": \"export\"}");
	assert_true(json_is_object(json_object_get(json_object_get(r, "return"), "layout")));
	json_decref(r);
	fake_poold_fini(&eng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_valid),
	    cmocka_unit_test(test_decode_refused),
	    cmocka_unit_test(test_export_decodes),
	    cmocka_unit_test(test_apply_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
