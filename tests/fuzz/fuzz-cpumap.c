/*
 * Fuzz target for xl's cpu list syntax (cpumap_parse). An input is "NR:TEXT": the host's cpu count
 * in decimal, a colon, then the list; without that prefix the count is 64.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/cpumap.h"
#include "fuzz.h"

/* Splits off the "NR:" prefix; a count too big for a host saturates, as a user could type it. */
static unsigned split_nr(const uint8_t *data, size_t size, size_t *skip)
{
	unsigned long nr = 0;
	size_t i = 0;

	while (i < size && i < 12 && isdigit(data[i])) {
		nr = nr * 10 + (data[i] - '0');
		i++;
	}
	if (i == 0 || i >= size || data[i] != ':') {
		*skip = 0;
		return 64;
	}
	*skip = i + 1;
	return nr > 100000 ? 100000 : (unsigned)nr;
}

/*
 * The plain form "N,N,...,N" with every N below nr needs no grammar to understand: the parser
 * must accept it and return exactly those cpus. Returns false when text is not of that form.
 */
static bool plain_list(const char *text, unsigned nr, struct cpumap *want)
{
	const char *p = text;

	cpumap_zero(want);
	for (;;) {
		unsigned long v = 0;
		const char *start = p;

		while (isdigit((unsigned char)*p) && p - start < 6)
			v = v * 10 + (unsigned long)(*p++ - '0');
		if (p == start || isdigit((unsigned char)*p) || v >= nr || v >= CPUMAP_MAX)
			return false;
		cpumap_set(want, (unsigned)v);
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpumap m, again, want;
	char text[CPUMAP_TEXT_MAX];
	struct perr e = {0};
	size_t skip;
	unsigned nr = split_nr(data, size, &skip);
	unsigned limit = nr < CPUMAP_MAX ? nr : CPUMAP_MAX;
	char *s = fuzz_strndup(data + skip, size - skip);
	int r = cpumap_parse(&m, s, nr, &e);
	int len;

	FUZZ_CHECK(r == 0 || r == POOLD_E_INVALID, "cpumap_parse returned %d", r);
	if (plain_list(s, nr, &want)) {
		FUZZ_CHECK(r == 0, "\"%s\" (nr %u) refused: %s", s, nr, e.msg);
		FUZZ_CHECK(cpumap_equal(&m, &want), "\"%s\" (nr %u) gave another set", s, nr);
	}
	if (r != 0) {
		FUZZ_CHECK(e.code == r && e.msg[0] != '\0', "refused without a message");
		FUZZ_CHECK(memchr(e.msg, '\0', sizeof(e.msg)) != NULL, "message not terminated");
		free(s);
		return 0;
	}
	for (int cpu = cpumap_next(&m, 0); cpu >= 0; cpu = cpumap_next(&m, cpu + 1))
		FUZZ_CHECK((unsigned)cpu < limit, "\"%s\" gave cpu %d on a %u-cpu host", s, cpu,
		           nr);

	len = cpumap_format(&m, text, sizeof(text));
	FUZZ_CHECK(len >= 0 && (size_t)len == strlen(text), "format returned %d", len);
	if (cpumap_empty(&m)) {
		/* "0,^0" is a valid empty set; its canonical text is "", which no list may be. */
		FUZZ_CHECK(len == 0, "the empty set formats as \"%s\"", text);
	} else {
		r = cpumap_parse(&again, text, nr, &e);
		FUZZ_CHECK(r == 0, "\"%s\" formats as \"%s\", which does not parse: %s", s, text,
		           e.msg);
		FUZZ_CHECK(cpumap_equal(&m, &again), "\"%s\" -> \"%s\" parses to another set", s,
		           text);
		/* The canonical form is a fixed point. */
		char text2[CPUMAP_TEXT_MAX];

		FUZZ_CHECK(cpumap_format(&again, text2, sizeof(text2)) == len &&
		               strcmp(text, text2) == 0,
		           "\"%s\" is not canonical", text);
	}
	free(s);
	return 0;
}
