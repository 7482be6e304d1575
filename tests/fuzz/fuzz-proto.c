/* Fuzz target for the control protocol's request path: decode, check, dispatch, reply. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/proto.h"
#include "fake-engine.h"
#include "fuzz.h"
#include "util/log.h"

/* Runs one input as a request line; every reply must encode as exactly one line. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct engine eng;
	static struct topo topo;
	unsigned out;
	json_t *reply;
	size_t len;
	char *buf;

	fake_poold_init(&eng, &topo);
	log_init("fuzz-proto", LOG_LEVEL_ERR);
	reply = ctl_handle_line(&eng, (const char *)data, size, &out);
	if (reply == NULL)
		abort();
	buf = ctl_encode(reply, &len);
	if (buf == NULL || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1) != NULL)
		abort();
	if (json_object_get(reply, "return") == NULL &&
	    json_string_value(json_object_get(json_object_get(reply, "error"), "class")) == NULL)
		abort();
	free(buf);
	json_decref(reply);
	fake_poold_fini(&eng);
	return 0;
}
