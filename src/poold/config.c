/* poold.conf: xl config syntax read with libxlutil, merged under the command line. */
#include "poold/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "poold/config-file.h"
#include "poold-protocol.h"
#include "util/log.h"
#include "util/strdist.h"

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
	free(c->socket_group);
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

/* How a key's value is written and read. */
enum config_type {
	CONFIG_STRING,   /* any string; the field is a char * at off */
	CONFIG_LEVEL,    /* log_level: a level name or its number */
	CONFIG_INTERVAL, /* verify_interval: whole seconds */
	CONFIG_SHARE,    /* share_control: "auto" or "off" */
	CONFIG_PERIOD,   /* share_period: seconds, a fraction allowed */
};

/* Every key poold.conf may hold, in the order -nv prints them; anything else is a typo. */
static const struct config_key {
	const char *name;
	enum config_type type;
	size_t off;
} config_keys[] = {
    {"socket", CONFIG_STRING, offsetof(struct poold_config, ctl_socket)},
    {"socket_ro", CONFIG_STRING, offsetof(struct poold_config, ctl_socket_ro)},
    {"socket_group", CONFIG_STRING, offsetof(struct poold_config, socket_group)},
    {"state_file", CONFIG_STRING, offsetof(struct poold_config, state_file)},
    {"backend", CONFIG_STRING, offsetof(struct poold_config, hv_backend)},
    {"sim_socket", CONFIG_STRING, offsetof(struct poold_config, sim_socket)},
    {"xenstore_path", CONFIG_STRING, offsetof(struct poold_config, xenstore_path)},
    {"default_pool", CONFIG_STRING, offsetof(struct poold_config, default_pool)},
    {"log_level", CONFIG_LEVEL, 0},
    {"verify_interval", CONFIG_INTERVAL, 0},
    {"share_control", CONFIG_SHARE, 0},
    {"share_period", CONFIG_PERIOD, 0},
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* The string field of a CONFIG_STRING key. */
static char **config_field(struct poold_config *c, const struct config_key *k)
{
	return (char **)((char *)c + k->off);
}

static const char *config_field_get(const struct poold_config *c, const struct config_key *k)
{
	return *(char *const *)((const char *)c + k->off);
}

/* A file being read: its parse, where messages go, and whether unknown keys are errors. */
struct config_reader {
	struct config_file file;
	struct perr *e;
	bool strict;
	unsigned unknown;
};

/* Refuses the file with "file:line: what" (the line of key's setting); returns POOLD_E_INVALID. */
static int config_invalid(struct config_reader *rd, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int config_invalid(struct config_reader *rd, const char *key, const char *fmt, ...)
{
	char what[PERR_MSG_MAX];
	unsigned line = key != NULL ? config_file_line(&rd->file, key) : 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		return perr_set(rd->e, POOLD_E_INVALID, "%s:%u: %s", rd->file.path, line, what);
	return perr_set(rd->e, POOLD_E_INVALID, "%s: %s", rd->file.path, what);
}

/* Reports key if poold does not know it, with the known key it most likely meant. */
static void config_check_key(void *arg, const char *key, unsigned line)
{
	struct config_reader *rd = arg;
	const char *names[CONFIG_NKEYS], *near;

	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (strcmp(key, config_keys[i].name) == 0)
			return;
		names[i] = config_keys[i].name;
	}
	near = strdist_nearest(key, names, CONFIG_NKEYS);
	rd->unknown++;
	if (rd->strict)
		log_err("%s:%u: unknown key \"%s\"%s%s%s", rd->file.path, line, key,
		        near != NULL ? ": did you mean " : "", near != NULL ? near : "",
		        near != NULL ? "?" : "");
	else
		log_warnx("%s:%u: unknown key \"%s\" ignored%s%s%s", rd->file.path, line, key,
		          near != NULL ? ": did you mean " : "", near != NULL ? near : "",
		          near != NULL ? "?" : "");
}

/* Reads one string key; not set leaves *dst alone. */
static int config_get_string(struct config_reader *rd, const char *key, char **dst)
{
	const char *v;
	int r;

	r = xlu_cfg_get_string(rd->file.x, key, &v, 1);
	if (r == ESRCH)
		return 0;
	if (r != 0)
		return config_invalid(rd, key, "%s must be a string, as in %s = \"...\"", key, key);
	return config_set(dst, v);
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

/* Reads log_level: a name or 3..7; not set leaves it unset. */
static int config_get_level(struct config_reader *rd, int *dst)
{
	const char *v;
	int r, level;

	r = xlu_cfg_get_string(rd->file.x, "log_level", &v, 1);
	if (r == ESRCH)
		return 0;
	level = r == 0 ? config_parse_level(v) : -1;
	if (level < 0)
		return config_invalid(rd, "log_level",
		                      "log_level%s%s%s is unknown: use \"err\", \"warning\", "
		                      "\"notice\", \"info\", \"debug\" or 3 to 7",
		                      r == 0 ? " \"" : "", r == 0 ? v : "", r == 0 ? "\"" : "");
	*dst = level;
	return 0;
}

/* Reads verify_interval: whole seconds, 0 (every rescan) to a day; not set leaves it unset. */
static int config_get_interval(struct config_reader *rd, int *dst)
{
	long v;
	int r;

	r = xlu_cfg_get_long(rd->file.x, "verify_interval", &v, 1);
	if (r == ESRCH)
		return 0;
	if (r != 0 || v < 0 || v > VERIFY_INTERVAL_MAX)
		return config_invalid(rd, "verify_interval",
		                      "verify_interval must be a number of seconds from 0 (verify "
		                      "at every rescan) to %d, as in verify_interval = %d",
		                      VERIFY_INTERVAL_MAX, VERIFY_INTERVAL_DEFAULT);
	*dst = (int)v;
	return 0;
}

/* Reads share_control: "auto" or "off"; not set leaves it unset. */
static int config_get_share(struct config_reader *rd, int *dst)
{
	const char *v;
	int r;

	r = xlu_cfg_get_string(rd->file.x, "share_control", &v, 1);
	if (r == ESRCH)
		return 0;
	if (r == 0 && strcmp(v, "auto") == 0)
		*dst = SHARE_AUTO;
	else if (r == 0 && strcmp(v, "off") == 0)
		*dst = SHARE_OFF;
	else
		return config_invalid(rd, "share_control",
		                      "share_control must be \"auto\" (caps that make weights hold "
		                      "in every pool) or \"off\"");
	return 0;
}

/* Reads share_period: seconds, a decimal fraction allowed ("0.5"); not set leaves it unset. */
static int config_get_period(struct config_reader *rd, int *dst)
{
	const char *v;
	char *end = NULL;
	double s = 0;
	int r;

	r = xlu_cfg_get_string(rd->file.x, "share_period", &v, 1);
	if (r == ESRCH)
		return 0;
	if (r == 0) {
		errno = 0;
		s = strtod(v, &end);
	}
	if (r != 0 || end == v || *end != '\0' || errno != 0 ||
	    !(s * 1000 >= SHARE_PERIOD_MIN_MS) || s * 1000 > SHARE_PERIOD_MAX_MS)
		return config_invalid(rd, "share_period",
		                      "share_period must be seconds from %g to %d, as in "
		                      "share_period = 1 or share_period = \"0.5\"",
		                      SHARE_PERIOD_MIN_MS / 1000.0, SHARE_PERIOD_MAX_MS / 1000);
	*dst = (int)(s * 1000 + 0.5);
	return 0;
}

/* Reads every key the file sets into c, in the table's order; stops at the first bad one. */
static int config_get_all(struct config_reader *rd, struct poold_config *c)
{
	int r = 0;

	for (size_t i = 0; i < CONFIG_NKEYS && r == 0; i++) {
		const struct config_key *k = &config_keys[i];

		switch (k->type) {
		case CONFIG_STRING:
			r = config_get_string(rd, k->name, config_field(c, k));
			break;
		case CONFIG_LEVEL:
			r = config_get_level(rd, &c->log_level);
			break;
		case CONFIG_INTERVAL:
			r = config_get_interval(rd, &c->verify_interval);
			break;
		case CONFIG_SHARE:
			r = config_get_share(rd, &c->share_control);
			break;
		case CONFIG_PERIOD:
			r = config_get_period(rd, &c->share_period_ms);
			break;
		}
	}
	return r;
}

/* Checks the values that have a fixed form, so a typo is caught at load. */
static int config_validate(struct config_reader *rd, const struct poold_config *c)
{
	if (c->hv_backend != NULL && strcmp(c->hv_backend, "xen") != 0 &&
	    strcmp(c->hv_backend, "sim") != 0)
		return config_invalid(rd, "backend",
		                      "backend \"%s\" is unknown: use \"xen\" or \"sim\"",
		                      c->hv_backend);
	if (c->default_pool != NULL && !pool_name_valid(c->default_pool))
		return config_invalid(rd, "default_pool",
		                      "default_pool \"%s\" is not a pool name: use 1-64 of "
		                      "A-Z a-z 0-9 _ . -",
		                      c->default_pool);
	return 0;
}

int config_read(struct poold_config *c, const char *path, unsigned flags, struct perr *e)
{
	struct config_reader rd = {.e = e, .strict = flags & CONFIG_STRICT};
	int r;

	r = config_file_open(&rd.file, path, e);
	if (r < 0) {
		config_file_close(&rd.file);
		if (r == -ENOENT && !(flags & CONFIG_MUST_EXIST))
			return 0;
		if (r == -ENOMEM)
			return r;
		perr_set(e, POOLD_E_INVALID, "cannot open config file %s: %s", path, strerror(-r));
		return r == -ENOENT ? r : POOLD_E_INVALID;
	}
	if (r == 0) {
		config_file_keys(&rd.file, config_check_key, &rd);
		r = config_get_all(&rd, c);
	}
	if (r == 0)
		r = config_validate(&rd, c);
	if (r == 0 && rd.strict && rd.unknown > 0)
		r = perr_set(e, POOLD_E_INVALID,
		             "%s: %u unknown key%s: fix the spelling or remove %s", path,
		             rd.unknown, rd.unknown > 1 ? "s" : "", rd.unknown > 1 ? "them" : "it");
	if (r == 0)
		r = config_set(&c->config_file, path);
	config_file_close(&rd.file);
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
	    (r = config_over(&dst->socket_group, src->socket_group)) < 0 ||
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

/* Writes v as an xl string; these are the escapes libxlutil reads, and no raw newline. */
static void config_quote(FILE *out, const char *v)
{
	static const char ctrl[] = "\a\b\f\n\r\t\v", letter[] = "abfnrtv";

	fputc('"', out);
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
	fputc('"', out);
}

/* Returns c's value of k as poold.conf would write it (malloc'd), or NULL when unset. */
static char *config_value(const struct config_key *k, const struct poold_config *c)
{
	const char *s = NULL;
	char *buf = NULL;
	size_t len;
	FILE *out;

	switch (k->type) {
	case CONFIG_STRING:
		s = config_field_get(c, k);
		if (s == NULL)
			return NULL;
		break;
	case CONFIG_LEVEL:
		if (c->log_level < 0)
			return NULL;
		s = log_level_name(c->log_level);
		break;
	case CONFIG_INTERVAL:
		if (c->verify_interval < 0)
			return NULL;
		break;
	case CONFIG_SHARE:
		if (c->share_control < 0)
			return NULL;
		s = c->share_control == SHARE_AUTO ? "auto" : "off";
		break;
	case CONFIG_PERIOD:
		if (c->share_period_ms < 0)
			return NULL;
		break;
	}
	out = open_memstream(&buf, &len);
	if (out == NULL)
		return NULL;
	if (k->type == CONFIG_INTERVAL)
		fprintf(out, "%d", c->verify_interval);
	else if (k->type == CONFIG_PERIOD)
		fprintf(out, "\"%g\"", c->share_period_ms / 1000.0);
	else
		config_quote(out, s);
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void config_print(const struct poold_config *file, const struct poold_config *cli, FILE *out)
{
	struct poold_config def;

	/* Out of memory, the defaults go unsaid: the settings themselves are still right. */
	config_init(&def);
	config_defaults(&def);
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		char *fv = config_value(k, file), *cv = cli != NULL ? config_value(k, cli) : NULL;
		char *dv = config_value(k, &def);

		if (fv != NULL && cv != NULL && strcmp(fv, cv) != 0)
			fprintf(out, "%s = %s    # the command line's %s wins\n", k->name, fv, cv);
		else if (fv != NULL)
			fprintf(out, "%s = %s\n", k->name, fv);
		else if (cv != NULL)
			fprintf(out, "# %s is not set: the command line gives %s\n", k->name, cv);
		else if (dv != NULL)
			fprintf(out, "# %s is not set: %s by default\n", k->name, dv);
		else
			fprintf(out, "# %s is not set\n", k->name);
		free(fv);
		free(cv);
		free(dv);
	}
	config_fini(&def);
}
