/* What every fuzz target shares: the libFuzzer entry point, checks that abort, temp files. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input; libFuzzer or the plain driver (driver.c) calls it. Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken property is a crash: libFuzzer and the driver both save the input that did it. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__,    \
			        #cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * A private directory for this process's files, made on first use and removed with everything
 * in it at exit. Aborts when it can't be made: no target can run without it.
 */
const char *fuzz_tmpdir(void);

/* Writes `name` in fuzz_tmpdir() with exactly the input bytes; returns its malloc'ed path. */
char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* Returns a malloc'ed NUL-terminated copy of the input (which may hold NULs itself). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Makes stdio's stderr a sink while a library that prints every parse error runs; restores. */
void fuzz_quiet_stderr(int quiet);
