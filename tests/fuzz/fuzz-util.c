/* Helpers of the fuzz targets: the per-process temp directory, input files, a quiet stderr. */
#include "fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[4096];
static pid_t tmpdir_owner;
static FILE *saved_stderr;

/* Removes one entry below the temp directory, deepest first. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Removes the temp directory at exit, but only in the process that made it. */
static void tmpdir_cleanup(void)
{
	if (tmpdir[0] != '\0' && getpid() == tmpdir_owner)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	/* state_save fsyncs every file it writes: on tmpfs that costs nothing, on a disk 50x. */
	if (base == NULL || *base == '\0')
		base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/poold-fuzz-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	tmpdir_owner = getpid();
	atexit(tmpdir_cleanup);
	return tmpdir;
}

char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/%s", fuzz_tmpdir(), name) < 0)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t w = write(fd, data, size);

		if (w <= 0) {
			perror(path);
			abort();
		}
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return path;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_quiet_stderr(int quiet)
{
	static FILE *sink;

	if (sink == NULL) {
		sink = fopen("/dev/null", "w");
		if (sink == NULL)
			abort();
	}
	/* Sanitizer reports write to fd 2 directly, so a crash inside stays visible. */
	if (quiet && saved_stderr == NULL) {
		saved_stderr = stderr;
		stderr = sink;
	} else if (!quiet && saved_stderr != NULL) {
		stderr = saved_stderr;
		saved_stderr = NULL;
	}
}
