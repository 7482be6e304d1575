/* poolctl's output back-ends, text for people and JSON for scripts, behind one table. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "poolctl/parser.h"

struct output {
	/*
	 * Shows a command's "return" object; args are what was sent. Returns 0,
	 * or -1 with err saying what in ret is not what the back-end can show
	 * (a member missing or of the wrong type); then nothing was printed.
	 */
	int (*result)(FILE *f, const struct parser_cmd *cmd, json_t *args, json_t *ret, char *err,
	              size_t errlen);
	/* Shows one event of `monitor`. */
	void (*event)(FILE *f, json_t *ev);
	/*
	 * Shows a refusal: poold's error (from_poold, cls one of the protocol's
	 * classes) or poolctl's own (cls POOLCTL_ERR_*). Text goes to stderr;
	 * JSON is {"error": {"class", "desc"}} on f, where the reply would be.
	 * desc is printable already (output_clean()).
	 */
	void (*error)(FILE *f, const char *cls, const char *desc, bool from_poold);
};

/* The classes of poolctl's own errors, one per exit status (poolctl(8), EXIT STATUS). */
#define POOLCTL_ERR_USAGE       "UsageError"  /* exit 2 */
#define POOLCTL_ERR_UNREACHABLE "Unreachable" /* exit 3 */
#define POOLCTL_ERR_DROPPED     "Dropped"     /* exit 4: monitor, too slow for poold */

extern const struct output output_text;
extern const struct output output_json;

/*
 * Makes server text safe for a terminal, in place: C0 and C1 control
 * characters (escape sequences, carriage returns) become '?'. NULL is fine.
 */
char *output_clean(char *s);

/* Writes rows of text cells as left-aligned columns, each at least min[i] wide. */
void output_table(FILE *f, size_t ncols, const char *const *head, const unsigned *min, char **cells,
                  size_t nrows);
