/* Rescanning the host and writing what differs: shared by the engine and the daemon loop. */
#pragma once

#include <jansson.h>

#include "poold/poold.h"

/* Writes the pools and domain records durably; POOLD_E_STATE on failure. */
int reconcile_save(struct poold *pd, struct perr *e);

/* Sends an event to subscribers (if the control socket is up); takes data. */
void reconcile_event(struct poold *pd, const char *name, json_t *data);

/* Tells systemd what poold manages now, once it is ready. */
void reconcile_status(struct poold *pd);

/* Forgets every domain: unwatches them and frees the arrays (shutdown). */
void reconcile_clear(struct poold *pd);
