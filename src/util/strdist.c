/* Edit distance between words (optimal string alignment), for "did you mean" hints. */
#include "util/strdist.h"

#include <ctype.h>
#include <string.h>

unsigned strdist(const char *a, const char *b)
{
	/* Three rows of the distance matrix: the swap of two neighbours looks two rows back. */
	unsigned rows[3][STRDIST_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > STRDIST_MAX || lb > STRDIST_MAX)
		return STRDIST_FAR;
	for (size_t j = 0; j <= lb; j++)
		rows[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i + 1) % 3];
		int ca = tolower((unsigned char)a[i - 1]);

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			unsigned d = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
	}
	return rows[la % 3][lb];
}

const char *strdist_nearest(const char *w, const char *const *words, size_t n)
{
	const char *best = NULL;
	unsigned best_d = STRDIST_FAR;

	for (size_t i = 0; i < n; i++) {
		size_t longer = strlen(w) > strlen(words[i]) ? strlen(w) : strlen(words[i]);
		unsigned d = strdist(w, words[i]);

		/* Two edits in a long key are a typo; in "log" they are another word. */
		if (d > 2 || d * 3 > longer)
			continue;
		if (d < best_d) {
			best = words[i];
			best_d = d;
		}
	}
	return best;
}
