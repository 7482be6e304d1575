/* Rescanning the host and writing what differs: shared by the engine and the daemon loop. */
#pragma once

#include <jansson.h>

#include "poold/engine-int.h"

/* Writes the pools and domain records durably; POOLD_E_STATE on failure. */
int reconcile_save(struct engine *eng, struct perr *e);

struct state_image;
/* A copy of what the state file holds (pools, live and gone records); NULL: no memory. */
struct state_image *reconcile_image(const struct engine *eng);

/* Hands an event to the engine's sink (the daemon wires it to subscribers and systemd). */
void reconcile_emit(struct engine *eng, const struct engine_event *ev);

/* Says the counts moved, once poold is ready (systemd's STATUS=). */
void reconcile_status(struct engine *eng);

/* Forgets every domain: unwatches them and frees the arrays (shutdown). */
void reconcile_clear(struct engine *eng);

/* Domains with work left in the dirty set. */
size_t reconcile_pending(const struct engine *eng);
/* Writes the domain records a rescan changed, now (exit, undo). */
void reconcile_save_due(struct engine *eng);
/*
 * The save timer's callback: the same, once the writer is idle; records
 * are saved at most once a second (RECONCILE_SAVE_MIN_MS).
 */
void reconcile_save_timer(struct engine *eng);

/*
 * A dry run of the settle after a change to the model: places and weighs
 * every domain as a plan would (the model's placements and weights move;
 * the caller has a snapshot to put back) and appends to writes what the
 * settle would write, reading the hypervisor where it would. Nothing is
 * written, marked or announced.
 */
int reconcile_preview(struct engine *eng, struct plan *writes, struct perr *e);
