/* Logging to stderr; journald reads the <N> prefixes as priorities. */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_progname = "poold";
static int log_level = LOG_LEVEL_NOTICE;
/* Under journald the priority prefix replaces the program name. */
static bool log_journal;
/* Detached from any terminal: syslog is where messages can still be read. */
static bool log_syslog;

static const char *const level_names[] = {
    [LOG_LEVEL_ERR] = "err",   [LOG_LEVEL_WARNING] = "warning", [LOG_LEVEL_NOTICE] = "notice",
    [LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};

void log_init(const char *progname, int level)
{
	log_progname = progname;
	log_level = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_use_syslog(void)
{
	openlog(log_progname, LOG_PID, LOG_DAEMON);
	log_syslog = true;
}

void log_set_level(int level)
{
	if (level < LOG_LEVEL_ERR)
		level = LOG_LEVEL_ERR;
	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

int log_level_parse(const char *name)
{
	for (int i = LOG_LEVEL_ERR; i <= LOG_LEVEL_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < LOG_LEVEL_ERR || level > LOG_LEVEL_DEBUG)
		return "unknown";
	return level_names[level];
}

/* Who asked for what is being done now, for notices and above ("" outside a request). */
static char log_actor[96];
static long log_actor_uid = -1, log_actor_pid = -1;
static log_sink_fn *log_sink;

void log_set_sink(log_sink_fn *fn)
{
	log_sink = fn;
}

/*
 * Copies a message with its control characters as \xNN: a name a client
 * sent ("x\n<0>poold: ...") must not start a line, and so an entry of its
 * own at a priority of its choosing, in the journal.
 */
static void log_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			if (o + 1 >= len)
				break;
			out[o++] = (char)*p;
		} else {
			if (o + 4 >= len)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		}
	}
	out[o] = '\0';
}

static void log_vmsg(int level, int errnum, int64_t domid, const char *pool, const char *fmt,
                     va_list ap) __attribute__((format(printf, 5, 0)));
static void log_vmsg(int level, int errnum, int64_t domid, const char *pool, const char *fmt,
                     va_list ap)
{
	char raw[1024], buf[sizeof(raw) * 4];
	int n;
	bool asked;

	if (level > log_level)
		return;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	/* What a request changed says who asked (the audit trail). */
	asked = log_actor[0] != '\0' && level <= LOG_LEVEL_NOTICE;
	if (asked && n >= 0 && (size_t)n < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - (size_t)n, " (asked by %s)", log_actor);
	log_escape(raw, buf, sizeof(buf));
	if (log_sink) {
		struct log_entry e = {
		    .level = level,
		    .text = buf,
		    .domid = domid,
		    .pool = pool,
		    .uid = asked ? log_actor_uid : -1,
		    .pid = asked ? log_actor_pid : -1,
		    .progname = log_progname,
		};
		char full[sizeof(buf) + 128];

		if (errnum != 0) {
			snprintf(full, sizeof(full), "%s: %s", buf, strerror(errnum));
			e.text = full;
		}
		if (log_sink(&e) == 0)
			return;
	}
	if (log_syslog) {
		/* The levels are syslog's own numbers. */
		syslog(level, "%s%s%s", buf, errnum != 0 ? ": " : "",
		       errnum != 0 ? strerror(errnum) : "");
		return;
	}
	if (log_journal)
		fprintf(stderr, "<%d>%s", level, buf);
	else
		fprintf(stderr, "%s: %s", log_progname, buf);
	if (errnum != 0)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void log_set_actor(const char *who, long uid, long pid)
{
	snprintf(log_actor, sizeof(log_actor), "%s", who != NULL ? who : "");
	log_actor_uid = who != NULL ? uid : -1;
	log_actor_pid = who != NULL ? pid : -1;
}

#define LOG_FN(fn, level, with_errno)                                                              \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vmsg(level, with_errno ? saved : 0, -1, NULL, fmt, ap);                        \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_warn, LOG_LEVEL_WARNING, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARNING, 0)
LOG_FN(log_err, LOG_LEVEL_ERR, 0)
LOG_FN(log_notice, LOG_LEVEL_NOTICE, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void log_about(int level, int64_t domid, const char *pool, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, 0, domid, pool, fmt, ap);
	va_end(ap);
	errno = saved;
}
