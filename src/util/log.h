/* Logging to stderr with <N> priority prefixes that journald understands. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Sets the program name printed before messages when not under journald. */
void log_init(const char *progname, int level);
/* Sends messages to syslog (daemon facility) instead of stderr: a detached daemon. */
void log_use_syslog(void);
/* Sets the most verbose level printed. */
void log_set_level(int level);
int log_get_level(void);
/* Parses "err", "warning", "notice", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(int level);

/*
 * Names who asked for what follows (a control client: "uid 0, pid 123", its uid and pid, -1
 * where unknown): notices and worse end with "(asked by WHO)" until it is set to NULL.
 */
void log_set_actor(const char *who, long uid, long pid);

/* A message as a sink gets it, with the fields a structured log keeps apart. */
struct log_entry {
	int level;
	const char *text; /* the message as printed, "(asked by ...)" and strerror included */
	int64_t domid;    /* the domain it is about; -1: none */
	const char *pool; /* the pool it is about; NULL: none */
	long uid, pid;    /* the control client that asked; -1: none or unknown */
	const char *progname;
};

/*
 * Where messages go instead of stderr (the journal's native protocol, say); a sink that
 * returns nonzero has the message printed on stderr as without one. NULL: stderr only.
 */
typedef int log_sink_fn(const struct log_entry *e);
void log_set_sink(log_sink_fn *fn);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A message about one domain (domid, -1 for none) and/or one pool (NULL for none): the same
 * text, with the journal fields POOLD_DOMID= and POOLD_POOL= where a sink keeps them.
 */
void log_about(int level, int64_t domid, const char *pool, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
