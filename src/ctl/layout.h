/* The layout file (poolctl apply and export): its JSON schema, decoded and encoded. */
#pragma once

#include <jansson.h>

#include "poold/engine.h"
#include "util/error.h"

/* The schema's version, the "version" member export writes and apply accepts. */
#define CTL_LAYOUT_VERSION 1
/* A domain cap's bound, as domain-set's (credit1 takes 16 bits). */
#define CTL_LAYOUT_CAP_MAX 65535

/*
 * Decodes a layout: every member of the schema checked for its type and
 * range, unknown keys refused, a message naming the entry (pools[1] (web))
 * and the fix. nr_cpus bounds cpu lists, ncpu and pool caps; topo (may be
 * NULL: node items refused) resolves "nodes" and xl's node items. What needs
 * the model (pools that exist, domains that run) is the engine's to check.
 * On failure *out is empty.
 */
struct topo;
int ctl_layout_decode(json_t *doc, unsigned nr_cpus, const struct topo *topo,
                      struct engine_layout *out, struct perr *e);
void ctl_layout_fini(struct engine_layout *l);
/* The model as a layout that, applied, changes nothing. NULL: out of memory. */
json_t *ctl_layout_export(const struct engine *eng);
