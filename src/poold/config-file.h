/* poold.conf as libxlutil reads it: the text, the parse, and the line of each key. */
#pragma once

#include <libxlutil.h>
#include <stdio.h>

#include "util/error.h"

struct config_file {
	const char *path; /* as given: every message names the file so */
	char *text;
	size_t len;
	XLU_Config *x;
	/* libxlutil's report, kept in memory: the lines of settings are read from it. */
	FILE *report;
	char *report_buf;
	size_t report_len;
};

/*
 * Reads path and parses it with libxlutil. Returns -errno when the file
 * cannot be read (e unset: the caller words it), POOLD_E_INVALID with
 * "file:line: ..." in e for a file that is not xl syntax.
 */
int config_file_open(struct config_file *f, const char *path, struct perr *e);
/* Frees what config_file_open made; a zeroed f is fine. */
void config_file_close(struct config_file *f);

/* Returns the line of key's setting in effect (its last), as libxlutil numbers it; 0: not set. */
unsigned config_file_line(struct config_file *f, const char *key);

/* Calls fn for each setting of the parsed file, in order, with the line of its key. */
void config_file_keys(const struct config_file *f,
                      void (*fn)(void *arg, const char *key, unsigned line), void *arg);
