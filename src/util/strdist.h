/* Edit distance between words, to suggest the one a typo meant. */
#pragma once

#include <stddef.h>

/*
 * The optimal string alignment distance between a and b: insertions,
 * deletions, substitutions and swaps of two neighbours ("defualt") cost one
 * each; letters compare without case. Words past STRDIST_MAX bytes count as
 * STRDIST_FAR.
 */
#define STRDIST_MAX 64
#define STRDIST_FAR 1000
unsigned strdist(const char *a, const char *b);

/*
 * Returns the word of words[0..n) nearest to w, or NULL when none is near
 * enough to be what w meant: at most 2 edits, and fewer than a third of the
 * longer word for short words.
 */
const char *strdist_nearest(const char *w, const char *const *words, size_t n);
