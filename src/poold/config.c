/* poold.conf: xl config syntax read with libxlutil, merged under the command line. */
#include "poold/config.h"

#include <ctype.h>
#include <errno.h>
#include <libxlutil.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "poold-protocol.h"
#include "util/log.h"

/* Every key poold.conf may hold; anything else is a typo worth a warning. */
static const char *const config_keys[] = {
    "socket",    "state_file",      "backend",   "sim_socket",    "xenstore_path", "default_pool",
    "log_level", "verify_interval", "socket_ro", "share_control", "share_period",
};

/*
 * Seconds between full verifies. On Xen a full verify is one hypercall per
 * vCPU (about 10 ms for 1000 domains of 4 vCPUs), so every 10 s costs little
 * and bounds how long drift made behind poold's back (xl vcpu-pin) lasts.
 */
#define VERIFY_INTERVAL_DEFAULT 10
/* A day: beyond that, drift would outlive any admin's memory of causing it. */
#define VERIFY_INTERVAL_MAX     86400

/*
 * The share controller's period. 1 s reacts within 2-3 s and costs one
 * domain listing per second; below 100 ms credit1's own 30 ms accounting
 * makes the measurements noise, above a minute a pool that got busy waits
 * too long for its shares.
 */
#define SHARE_PERIOD_DEFAULT_MS 1000
#define SHARE_PERIOD_MIN_MS     100
#define SHARE_PERIOD_MAX_MS     60000

void config_init(struct poold_config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = -1;
	c->verify_interval = -1;
	c->share_control = -1;
	c->share_period_ms = -1;
}

void config_fini(struct poold_config *c)
{
	free(c->config_file);
	free(c->hv_backend);
	free(c->sim_socket);
	free(c->xenstore_path);
	free(c->ctl_socket);
	free(c->ctl_socket_ro);
	free(c->state_file);
	free(c->default_pool);
	config_init(c);
}

/* Replaces *dst with a copy of src. */
static int config_set(char **dst, const char *src)
{
	char *s = strdup(src);

	if (s == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static bool config_key_known(const char *key)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(key, config_keys[i]) == 0)
			return true;
	return false;
}

/*
 * Warns about keys poold does not know. libxlutil has no way to list the
 * keys it parsed, so look for `IDENT =` at the start of each statement;
 * multi-line list items never look like that.
 */
static void config_warn_unknown(const char *path, FILE *f)
{
	char line[1024];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *key;

		lineno++;
		while (*p != '\0') {
			while (isspace((unsigned char)*p) || *p == ';')
				p++;
			if (!isalpha((unsigned char)*p) && *p != '_')
				break;
			key = p;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			if (*p == '\0')
				break;
			char *end = p;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '=' && !(*p == '+' && p[1] == '='))
				break;
			*end = '\0';
			if (!config_key_known(key))
				log_warnx("%s:%u: unknown key \"%s\" ignored", path, lineno, key);
			/* Skip the value up to the next statement on this line. */
			p++;
			while (*p != '\0' && *p != ';' && *p != '#') {
				if (*p == '"' || *p == '\'') {
					char q = *p++;
					while (*p != '\0' && *p != q)
						p++;
				}
				if (*p != '\0')
					p++;
			}
			if (*p != ';')
				break;
		}
	}
}

/*
 * Finds a NUL byte, which libxlutil 4.17's lexer asserts on inside a quoted string (the whole
 * process aborts): such a file is refused before it gets there. Returns its offset or -1.
 */
static long config_find_nul(FILE *f)
{
	char buf[4096];
	long off = 0;
	size_t n;

	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		const char *nul = memchr(buf, '\0', n);

		if (nul != NULL)
			return off + (nul - buf);
		off += (long)n;
	}
	rewind(f);
	return -1;
}

/* Reads one string key; ESRCH (not set) leaves *dst alone. */
static int config_get_string(const XLU_Config *x, const char *path, const char *key, char **dst,
                             struct perr *e)
{
	const char *v;
	int r;

	r = xlu_cfg_get_string(x, key, &v, 1);
	if (r == ESRCH)
		return 0;
	if (r != 0)
		return perr_set(e, POOLD_E_INVALID, "%s: %s must be a string, as in %s = \"...\"",
		                path, key, key);
	return config_set(dst, v);
}

/* Checks the values that have a fixed form, so a typo is caught at load. */
static int config_validate(const struct poold_config *c, const char *path, struct perr *e)
{
	if (c->hv_backend != NULL && strcmp(c->hv_backend, "xen") != 0 &&
	    strcmp(c->hv_backend, "sim") != 0)
		return perr_set(e, POOLD_E_INVALID,
		                "%s: backend \"%s\" is unknown: use \"xen\" or \"sim\"", path,
		                c->hv_backend);
	if (c->default_pool != NULL && !pool_name_valid(c->default_pool))
		return perr_set(e, POOLD_E_INVALID,
		                "%s: default_pool \"%s\" is not a pool name: use 1-64 of "
		                "A-Z a-z 0-9 _ . -",
		                path, c->default_pool);
	return 0;
}

/* Parses a log level given as a name ("info") or a number (3..7). */
static int config_parse_level(const char *v)
{
	char *end;
	long l;

	if (isdigit((unsigned char)v[0])) {
		l = strtol(v, &end, 10);
		if (*end != '\0' || l < LOG_LEVEL_ERR || l > LOG_LEVEL_DEBUG)
			return -1;
		return (int)l;
	}
	return log_level_parse(v);
}

/* Reads verify_interval: whole seconds, 0 (every rescan) to a day; ESRCH leaves it unset. */
static int config_get_interval(const XLU_Config *x, const char *path, int *dst, struct perr *e)
{
	long v;
	int r;

	r = xlu_cfg_get_long(x, "verify_interval", &v, 1);
	if (r == ESRCH)
		return 0;
	if (r != 0 || v < 0 || v > VERIFY_INTERVAL_MAX)
		return perr_set(e, POOLD_E_INVALID,
		                "%s: verify_interval must be a number of seconds from 0 (verify at "
		                "every rescan) to %d, as in verify_interval = %d",
		                path, VERIFY_INTERVAL_MAX, VERIFY_INTERVAL_DEFAULT);
	*dst = (int)v;
	return 0;
}

/* Reads share_control: "auto" or "off"; ESRCH leaves it unset. */
static int config_get_share(const XLU_Config *x, const char *path, int *dst, struct perr *e)
{
	const char *v;
	int r;

	r = xlu_cfg_get_string(x, "share_control", &v, 1);
	if (r == ESRCH)
		return 0;
	if (r == 0 && strcmp(v, "auto") == 0)
		*dst = SHARE_AUTO;
	else if (r == 0 && strcmp(v, "off") == 0)
		*dst = SHARE_OFF;
	else
		return perr_set(e, POOLD_E_INVALID,
		                "%s: share_control must be \"auto\" (caps that make weights hold "
		                "in every pool) or \"off\"",
		                path);
	return 0;
}

/* Reads share_period: seconds, a decimal fraction allowed ("0.5"); ESRCH leaves it unset. */
static int config_get_period(const XLU_Config *x, const char *path, int *dst, struct perr *e)
{
	const char *v;
	char *end = NULL;
	double s = 0;
	int r;

	r = xlu_cfg_get_string(x, "share_period", &v, 1);
	if (r == ESRCH)
		return 0;
	if (r == 0) {
		errno = 0;
		s = strtod(v, &end);
	}
	if (r != 0 || end == v || *end != '\0' || errno != 0 ||
	    !(s * 1000 >= SHARE_PERIOD_MIN_MS) || s * 1000 > SHARE_PERIOD_MAX_MS)
		return perr_set(e, POOLD_E_INVALID,
		                "%s: share_period must be seconds from %g to %d, as in "
		                "share_period = 1 or share_period = \"0.5\"",
		                path, SHARE_PERIOD_MIN_MS / 1000.0, SHARE_PERIOD_MAX_MS / 1000);
	*dst = (int)(s * 1000 + 0.5);
	return 0;
}

int config_read(struct poold_config *c, const char *path, bool must_exist, struct perr *e)
{
	XLU_Config *x = NULL;
	char *level = NULL;
	FILE *f;
	int r;

	f = fopen(path, "r");
	if (f == NULL) {
		r = -errno;
		if (r == -ENOENT && !must_exist)
			return 0;
		perr_set(e, POOLD_E_INVALID, "cannot open config file %s: %s", path, strerror(-r));
		return r == -ENOENT ? r : POOLD_E_INVALID;
	}
	long nul = config_find_nul(f);

	if (nul >= 0) {
		fclose(f);
		return perr_set(e, POOLD_E_INVALID,
		                "%s: holds a NUL byte at offset %ld: poold.conf must be text", path,
		                nul);
	}
	config_warn_unknown(path, f);
	fclose(f);

	x = xlu_cfg_init(stderr, path);
	if (x == NULL)
		return -ENOMEM;
	r = xlu_cfg_readfile(x, path);
	if (r != 0) {
		r = perr_set(e, POOLD_E_INVALID,
		             "%s: does not parse (see the message above; values need quotes: "
		             "key = \"value\")",
		             path);
		goto out;
	}
	if ((r = config_get_string(x, path, "socket", &c->ctl_socket, e)) != 0 ||
	    (r = config_get_string(x, path, "socket_ro", &c->ctl_socket_ro, e)) != 0 ||
	    (r = config_get_string(x, path, "state_file", &c->state_file, e)) != 0 ||
	    (r = config_get_string(x, path, "backend", &c->hv_backend, e)) != 0 ||
	    (r = config_get_string(x, path, "sim_socket", &c->sim_socket, e)) != 0 ||
	    (r = config_get_string(x, path, "xenstore_path", &c->xenstore_path, e)) != 0 ||
	    (r = config_get_string(x, path, "default_pool", &c->default_pool, e)) != 0 ||
	    (r = config_get_string(x, path, "log_level", &level, e)) != 0 ||
	    (r = config_get_interval(x, path, &c->verify_interval, e)) != 0 ||
	    (r = config_get_share(x, path, &c->share_control, e)) != 0 ||
	    (r = config_get_period(x, path, &c->share_period_ms, e)) != 0)
		goto out;
	if (level != NULL) {
		c->log_level = config_parse_level(level);
		if (c->log_level < 0) {
			r = perr_set(e, POOLD_E_INVALID,
			             "%s: log_level \"%s\" is unknown: use err, warning, notice, "
			             "info or debug",
			             path, level);
			goto out;
		}
	}
	r = config_validate(c, path, e);
	if (r == 0)
		r = config_set(&c->config_file, path);
out:
	free(level);
	xlu_cfg_destroy(x);
	return r;
}

/* Copies src over *dst when src is set. */
static int config_over(char **dst, const char *src)
{
	return src != NULL ? config_set(dst, src) : 0;
}

int config_merge(struct poold_config *dst, const struct poold_config *src)
{
	int r;

	if ((r = config_over(&dst->config_file, src->config_file)) < 0 ||
	    (r = config_over(&dst->hv_backend, src->hv_backend)) < 0 ||
	    (r = config_over(&dst->sim_socket, src->sim_socket)) < 0 ||
	    (r = config_over(&dst->xenstore_path, src->xenstore_path)) < 0 ||
	    (r = config_over(&dst->ctl_socket, src->ctl_socket)) < 0 ||
	    (r = config_over(&dst->ctl_socket_ro, src->ctl_socket_ro)) < 0 ||
	    (r = config_over(&dst->state_file, src->state_file)) < 0 ||
	    (r = config_over(&dst->default_pool, src->default_pool)) < 0)
		return r;
	if (src->log_level >= 0)
		dst->log_level = src->log_level;
	if (src->verify_interval >= 0)
		dst->verify_interval = src->verify_interval;
	if (src->share_control >= 0)
		dst->share_control = src->share_control;
	if (src->share_period_ms >= 0)
		dst->share_period_ms = src->share_period_ms;
	dst->foreground |= src->foreground;
	dst->check_only |= src->check_only;
	return 0;
}

/* Sets *dst to def when unset. */
static int config_default(char **dst, const char *def)
{
	return *dst == NULL ? config_set(dst, def) : 0;
}

int config_defaults(struct poold_config *c)
{
	int r;

	if ((r = config_default(&c->config_file, POOLD_CONF_DEFAULT)) < 0 ||
	    (r = config_default(&c->hv_backend, "xen")) < 0 ||
	    (r = config_default(&c->ctl_socket, POOLD_SOCKET_DEFAULT)) < 0 ||
	    (r = config_default(&c->state_file, POOLD_STATE_DEFAULT)) < 0 ||
	    (r = config_default(&c->default_pool, POOL0_NAME)) < 0)
		return r;
	if (c->log_level < 0)
		c->log_level = LOG_LEVEL_NOTICE;
	if (c->verify_interval < 0)
		c->verify_interval = VERIFY_INTERVAL_DEFAULT;
	if (c->share_control < 0)
		c->share_control = SHARE_AUTO;
	if (c->share_period_ms < 0)
		c->share_period_ms = SHARE_PERIOD_DEFAULT_MS;
	return 0;
}

/* Prints one key, quoted as xl syntax wants, or commented out when unset. */
static void config_print_key(FILE *out, const char *key, const char *v)
{
	if (v == NULL) {
		fprintf(out, "# %s is not set\n", key);
		return;
	}
	/* xl strings may not hold a raw newline; these are the escapes libxlutil reads. */
	static const char ctrl[] = "\a\b\f\n\r\t\v", letter[] = "abfnrtv";

	fprintf(out, "%s = \"", key);
	for (const char *p = v; *p != '\0'; p++) {
		const char *esc = strchr(ctrl, *p);

		if (esc != NULL) {
			fputc('\\', out);
			fputc(letter[esc - ctrl], out);
			continue;
		}
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputs("\"\n", out);
}

void config_print(const struct poold_config *c, FILE *out)
{
	config_print_key(out, "socket", c->ctl_socket);
	config_print_key(out, "socket_ro", c->ctl_socket_ro);
	config_print_key(out, "state_file", c->state_file);
	config_print_key(out, "backend", c->hv_backend);
	config_print_key(out, "sim_socket", c->sim_socket);
	config_print_key(out, "xenstore_path", c->xenstore_path);
	config_print_key(out, "default_pool", c->default_pool);
	config_print_key(out, "log_level", log_level_name(c->log_level));
	if (c->verify_interval >= 0)
		fprintf(out, "verify_interval = %d\n", c->verify_interval);
	else
		fprintf(out, "# verify_interval is not set\n");
	config_print_key(out, "share_control",
	                 c->share_control < 0 ? NULL
	                 : c->share_control   ? "auto"
	                                      : "off");
	if (c->share_period_ms >= 0)
		fprintf(out, "share_period = \"%g\"\n", c->share_period_ms / 1000.0);
	else
		fprintf(out, "# share_period is not set\n");
}
