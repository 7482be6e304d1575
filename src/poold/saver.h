/* The state file's writer: saves off the event loop, several changes to one write and fsync. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dom.h"
#include "core/pool.h"
#include "util/error.h"

struct event_base;
struct saver;

/* What one save writes: a copy of the pool table and of every domain record. */
struct state_image {
	struct pool_table pools;
	struct dom *doms;
	size_t n;
};

void state_image_free(struct state_image *img);

/*
 * Called on the loop when the save of seq ended: every image submitted up
 * to seq is durable (err 0), or the save of seq failed (err and msg say
 * why; the images submitted before seq that were replaced by it failed
 * with it). Completions come in the order of their seq.
 */
typedef void saver_done_fn(void *arg, uint64_t seq, int err, const char *msg);

/*
 * Starts the writer thread for the state file at path; done is called
 * from base's loop (a pipe wakes it). Returns 0 or -errno.
 */
int saver_open(struct saver **out, struct event_base *base, const char *path, saver_done_fn *done,
               void *arg);

/*
 * Hands an image to the writer (it owns it from now on) and returns its
 * sequence number. An image waiting while another is written is replaced
 * by the newer one, which holds everything it did: a burst of changes
 * costs one write and fsync more, however many arrive (group commit).
 */
uint64_t saver_submit(struct saver *s, struct state_image *img);

/* True while an image waits or is being written. */
bool saver_busy(struct saver *s);

/* The highest seq submitted, and the highest seq reported durable so far. */
uint64_t saver_submitted(const struct saver *s);
uint64_t saver_durable(const struct saver *s);

/*
 * Waits until every submitted image is written (or failed) and reports the
 * completions to done before returning: what poold does before it exits.
 */
void saver_drain(struct saver *s);

/* Drains, stops the thread and frees everything; NULL is fine. */
void saver_close(struct saver *s);
