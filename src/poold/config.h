/* poold's settings: the command line over poold.conf (xl syntax) over built-in defaults. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "poold/poold.h"

/* Leaves every setting unset: NULL strings, log_level -1. */
void config_init(struct poold_config *c);
void config_fini(struct poold_config *c);

/*
 * Reads poold.conf at path into c, replacing what the file sets. A missing
 * file is fine unless must_exist. Unknown keys are warned about; a file that
 * does not parse or holds a bad value is POOLD_E_INVALID (-ENOENT for an
 * explicit file that is missing), with the message in e.
 */
int config_read(struct poold_config *c, const char *path, bool must_exist, struct perr *e);

/* Copies every setting src has over dst (the command line over the file). */
int config_merge(struct poold_config *dst, const struct poold_config *src);

/* Fills what is still unset with the built-in defaults. */
int config_defaults(struct poold_config *c);

/* Prints c as a canonical poold.conf. */
void config_print(const struct poold_config *c, FILE *out);
