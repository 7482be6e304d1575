/* poolctl's output back-ends, text for people and JSON for scripts, behind one table. */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "poolctl/parser.h"

struct output {
	/* Shows a command's "return" object; args are what was sent. */
	void (*result)(FILE *f, const struct parser_cmd *cmd, json_t *args, json_t *ret);
	/* Shows one event of `monitor`. */
	void (*event)(FILE *f, json_t *ev);
};

extern const struct output output_text;
extern const struct output output_json;

/* Writes rows of text cells as left-aligned columns, each at least min[i] wide. */
void output_table(FILE *f, size_t ncols, const char *const *head, const unsigned *min, char **cells,
                  size_t nrows);
