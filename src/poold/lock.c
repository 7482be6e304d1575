/* One poold per state file: an flock on <state>.lock, held for the daemon's life. */
#include "poold/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "poold/state.h"
#include "util/log.h"

/* Builds "<state>.lock"; -ENAMETOOLONG when it does not fit. */
static int lock_path(char *buf, size_t len, const char *state_file)
{
	int n = snprintf(buf, len, "%s" LOCK_SUFFIX, state_file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Reads the pid a holder wrote; 0 when there is none (yet). */
static pid_t lock_read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || pid <= 0 ||
	    pid > 0x7fffffff)
		return 0;
	return (pid_t)pid;
}

int lock_set_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

/* Creates the directory the state file (and so the lock) lives in. */
static int lock_mkdir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return state_mkdirs(dir);
}

int lock_take(int *fd, const char *state_file, struct perr *e)
{
	char path[4096 + sizeof(LOCK_SUFFIX)];
	pid_t pid;
	int r;

	*fd = -1;
	if ((r = lock_path(path, sizeof(path), state_file)) < 0 || (r = lock_mkdir(path)) < 0)
		return perr_set(e, POOLD_E_STATE, "cannot make the lock %s: %s", path,
		                strerror(-r));
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd < 0)
		return perr_set(e, POOLD_E_STATE,
		                "cannot open the lock %s: %s: check that its "
		                "directory is writable",
		                path, strerror(errno));
	while ((r = flock(*fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = errno;
		pid = r == EWOULDBLOCK ? lock_read_pid(*fd) : 0;
		close(*fd);
		*fd = -1;
		if (r != EWOULDBLOCK)
			return perr_set(e, POOLD_E_STATE, "cannot lock %s: %s", path, strerror(r));
		if (pid == 0)
			return perr_set(e, POOLD_E_BUSY,
			                "another poold (pid not written yet: it is starting) uses "
			                "state file %s: stop it first (systemctl stop poold), or "
			                "give this one its own --state",
			                state_file);
		return perr_set(e, POOLD_E_BUSY,
		                "another poold (pid %ld) uses state file %s: stop it first "
		                "(systemctl stop poold, or kill %ld), or give this one its own "
		                "--state",
		                (long)pid, state_file, (long)pid);
	}
	if ((r = lock_set_pid(*fd)) < 0)
		log_warnx("cannot write our pid into %s: %s; a second poold will not be able "
		          "to name us",
		          path, strerror(-r));
	r = state_remove_temps(state_file);
	if (r < 0)
		log_warnx("cannot look for temp files left beside %s: %s", state_file,
		          strerror(-r));
	return 0;
}

/* Tells whether /proc/locks has an flock on the file st describes; 1, 0 or -errno. */
static int lock_held(const struct stat *st)
{
	char line[256], kind[16];
	unsigned maj, min;
	unsigned long ino;
	int held = 0;
	FILE *f = fopen("/proc/locks", "re");

	if (f == NULL)
		return -errno;
	/* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:10952977 0 EOF"; waiters have "->" there. */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%*s %15s %*s %*s %*d %x:%x:%lu", kind, &maj, &min, &ino) != 4)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && maj == major(st->st_dev) &&
		    min == minor(st->st_dev) && ino == (unsigned long)st->st_ino) {
			held = 1;
			break;
		}
	}
	fclose(f);
	return held;
}

int lock_query(const char *state_file, pid_t *pid)
{
	char path[4096 + sizeof(LOCK_SUFFIX)];
	struct stat st;
	int fd, r;

	*pid = 0;
	if ((r = lock_path(path, sizeof(path), state_file)) < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = fstat(fd, &st) < 0 ? -errno : lock_held(&st);
	if (r == 1)
		*pid = lock_read_pid(fd);
	close(fd);
	return r;
}

void lock_report(const char *state_file, bool verbose, FILE *out)
{
	const char *pre = verbose ? "# " : "poold: ";
	pid_t pid;
	int r = lock_query(state_file, &pid);

	if (r == 1 && pid > 0)
		fprintf(out, "%sa poold (pid %ld) is running on state file %s\n", pre, (long)pid,
		        state_file);
	else if (r == 1)
		fprintf(out, "%sa poold (pid unknown) is running on state file %s\n", pre,
		        state_file);
	else if (r < 0)
		fprintf(out, "%scannot tell whether a poold is running on state file %s: %s\n", pre,
		        state_file, strerror(-r));
	else if (verbose)
		fprintf(out, "%sno poold is running on state file %s\n", pre, state_file);
}
