/* poold's messages to the systemd journal with their fields (doc/design.md, Logging). */
#define SD_JOURNAL_SUPPRESS_LOCATION /* the sink's own file and line would say nothing */
#include "poold/journal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "util/log.h"

bool journal_is_stderr(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Adds one FIELD=value to iov from a buffer of its own. */
static void field(struct iovec *iov, size_t *n, char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void field(struct iovec *iov, size_t *n, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	(*n)++;
}

static int journal_sink(const struct log_entry *e)
{
	char msg[4352], prio[16], ident[64], domid[32], pool[96], uid[32], pid[32];
	struct iovec iov[7];
	size_t n = 0;

	field(iov, &n, msg, sizeof(msg), "MESSAGE=%s", e->text);
	field(iov, &n, prio, sizeof(prio), "PRIORITY=%d", e->level);
	field(iov, &n, ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", e->progname);
	if (e->domid >= 0)
		field(iov, &n, domid, sizeof(domid), "POOLD_DOMID=%" PRId64, e->domid);
	if (e->pool != NULL)
		field(iov, &n, pool, sizeof(pool), "POOLD_POOL=%s", e->pool);
	if (e->uid >= 0)
		field(iov, &n, uid, sizeof(uid), "POOLD_UID=%ld", e->uid);
	if (e->pid >= 0)
		field(iov, &n, pid, sizeof(pid), "POOLD_PID=%ld", e->pid);
	return sd_journal_sendv(iov, (int)n) < 0 ? -1 : 0;
}

void journal_use(void)
{
	log_set_sink(journal_sink);
}
