/*
 * Fuzz target for poold.conf: arbitrary bytes through config_read (libxlutil and poold's own
 * checks). A file it accepts must print (`poold -nv`) as a file that reads back the same, even
 * strictly; the strict read (`poold -n`) accepts no more than the daemon's, and every refusal
 * names the file (the line follows it where there is one).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "poold/config.h"
#include "util/log.h"

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Compares every setting a file can hold. */
static void check_same(const struct poold_config *a, const struct poold_config *b)
{
	FUZZ_CHECK(same_str(a->hv_backend, b->hv_backend), "backend changed");
	FUZZ_CHECK(same_str(a->sim_socket, b->sim_socket), "sim_socket changed");
	FUZZ_CHECK(same_str(a->xenstore_path, b->xenstore_path), "xenstore_path changed");
	FUZZ_CHECK(same_str(a->ctl_socket, b->ctl_socket), "socket changed");
	FUZZ_CHECK(same_str(a->state_file, b->state_file), "state_file changed");
	FUZZ_CHECK(same_str(a->default_pool, b->default_pool), "default_pool changed");
	FUZZ_CHECK(a->log_level == b->log_level, "log_level %d became %d", a->log_level,
	           b->log_level);
	FUZZ_CHECK(a->verify_interval == b->verify_interval, "verify_interval %d became %d",
	           a->verify_interval, b->verify_interval);
	FUZZ_CHECK(same_str(a->ctl_socket_ro, b->ctl_socket_ro), "socket_ro changed");
	FUZZ_CHECK(a->share_control == b->share_control, "share_control %d became %d",
	           a->share_control, b->share_control);
	FUZZ_CHECK(a->share_period_ms == b->share_period_ms, "share_period %d became %d",
	           a->share_period_ms, b->share_period_ms);
}

/* Reads path into a fresh config with the warnings silenced. */
static int read_quietly(struct poold_config *c, const char *path, unsigned flags, struct perr *e)
{
	int r;

	config_init(c);
	fuzz_quiet_stderr(1);
	r = config_read(c, path, CONFIG_MUST_EXIST | flags, e);
	fuzz_quiet_stderr(0);
	return r;
}

/* Prints c as `poold -nv` does into printed and checks that it reads back (strictly) the same. */
static void reread(const struct poold_config *c, const char *printed)
{
	struct poold_config c2;
	struct perr e = {0};
	FILE *f;
	int r;

	f = fopen(printed, "w");
	FUZZ_CHECK(f != NULL, "cannot write %s", printed);
	config_print(c, NULL, f);
	FUZZ_CHECK(fclose(f) == 0, "cannot write %s", printed);
	r = read_quietly(&c2, printed, CONFIG_STRICT, &e);
	FUZZ_CHECK(r == 0, "the printed configuration does not read back: %s", e.msg);
	check_same(c, &c2);
	config_fini(&c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *printed;
	struct poold_config c, c2;
	struct perr e = {0};
	char *path;
	int r, strict;

	log_init("fuzz-config", LOG_LEVEL_ERR);
	if (printed == NULL && asprintf(&printed, "%s/printed.conf", fuzz_tmpdir()) < 0)
		abort();
	path = fuzz_write_file("poold.conf", data, size);

	/* poold -n's strict read accepts only what the daemon's accepts, and reads the same. */
	r = read_quietly(&c2, path, CONFIG_STRICT, &e);
	FUZZ_CHECK(r == 0 || r == POOLD_E_INVALID || r == -ENOMEM, "strict config_read returned %d",
	           r);
	FUZZ_CHECK(r <= 0 || (e.code == r && strncmp(e.msg, path, strlen(path)) == 0),
	           "strict: refused without a message that names the file: %s", e.msg);
	strict = r;

	r = read_quietly(&c, path, 0, &e);
	FUZZ_CHECK(r == 0 || r == POOLD_E_INVALID || r == -ENOMEM, "config_read returned %d", r);
	FUZZ_CHECK(strict != 0 || r == 0, "strict accepts what the daemon refuses: %s", e.msg);
	if (strict == 0 && r == 0)
		check_same(&c, &c2);
	config_fini(&c2);
	if (r != 0) {
		FUZZ_CHECK(r < 0 || (e.code == r && strncmp(e.msg, path, strlen(path)) == 0),
		           "refused without a message that names the file: %s", e.msg);
		config_fini(&c);
		free(path);
		return 0;
	}
	FUZZ_CHECK(c.config_file != NULL && strcmp(c.config_file, path) == 0,
	           "config_file is not the file read");

	/* What `poold -nv` prints must be a poold.conf that means the same, unset keys unset. */
	reread(&c, printed);
	/* And with every key set. */
	FUZZ_CHECK(config_defaults(&c) == 0, "config_defaults failed");
	reread(&c, printed);

	config_fini(&c);
	free(path);
	return 0;
}
