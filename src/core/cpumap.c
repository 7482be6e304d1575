/* Fixed-size pCPU sets and the xl cpu list syntax. */
#include "core/cpumap.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void cpumap_zero(struct cpumap *m)
{
	memset(m, 0, sizeof(*m));
}

void cpumap_fill(struct cpumap *m, unsigned n)
{
	cpumap_zero(m);
	if (n > CPUMAP_MAX)
		n = CPUMAP_MAX;
	for (unsigned i = 0; i < n / 64; i++)
		m->w[i] = UINT64_MAX;
	if (n % 64)
		m->w[n / 64] = (UINT64_C(1) << (n % 64)) - 1;
}

void cpumap_set(struct cpumap *m, unsigned cpu)
{
	if (cpu < CPUMAP_MAX)
		m->w[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

void cpumap_clear(struct cpumap *m, unsigned cpu)
{
	if (cpu < CPUMAP_MAX)
		m->w[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool cpumap_test(const struct cpumap *m, unsigned cpu)
{
	return cpu < CPUMAP_MAX && (m->w[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpumap_count(const struct cpumap *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		n += (unsigned)__builtin_popcountll(m->w[i]);
	return n;
}

bool cpumap_empty(const struct cpumap *m)
{
	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		if (m->w[i])
			return false;
	return true;
}

bool cpumap_equal(const struct cpumap *a, const struct cpumap *b)
{
	return memcmp(a->w, b->w, sizeof(a->w)) == 0;
}

bool cpumap_subset(const struct cpumap *a, const struct cpumap *b)
{
	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}

bool cpumap_intersects(const struct cpumap *a, const struct cpumap *b)
{
	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

void cpumap_and(struct cpumap *out, const struct cpumap *a, const struct cpumap *b)
{
	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		out->w[i] = a->w[i] & b->w[i];
}

void cpumap_or(struct cpumap *out, const struct cpumap *a, const struct cpumap *b)
{
	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		out->w[i] = a->w[i] | b->w[i];
}

void cpumap_andnot(struct cpumap *out, const struct cpumap *a, const struct cpumap *b)
{
	for (unsigned i = 0; i < CPUMAP_WORDS; i++)
		out->w[i] = a->w[i] & ~b->w[i];
}

int cpumap_next(const struct cpumap *m, int from)
{
	if (from < 0)
		from = 0;
	for (unsigned i = (unsigned)from / 64; i < CPUMAP_WORDS; i++) {
		uint64_t w = m->w[i];

		if (i == (unsigned)from / 64)
			w &= UINT64_MAX << (from % 64);
		if (w)
			return (int)(i * 64 + (unsigned)__builtin_ctzll(w));
	}
	return -1;
}

/* One item of a cpu list, [s, end) of the text, kept for messages. */
struct item {
	const char *s;
	const char *end;
};

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * Reads a decimal cpu number at *p. Values too big for any host saturate
 * so the range check reports them instead of wrapping.
 */
static bool read_cpu(const char **p, const char *end, unsigned long *out)
{
	const char *q = *p;
	unsigned long v = 0;

	if (q >= end || !isdigit((unsigned char)*q))
		return false;
	for (; q < end && isdigit((unsigned char)*q); q++) {
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > 10UL * CPUMAP_MAX)
			v = 10UL * CPUMAP_MAX;
	}
	*p = q;
	*out = v;
	return true;
}

/* Explains why a cpu number is out of range, naming the host's valid ones. */
static int out_of_range(struct perr *e, const char *digits, int ndigits, unsigned nr_cpus)
{
	if (nr_cpus == 0)
		return perr_set(e, POOLD_E_INVALID,
		                "cpu %.*s is out of range: this host has no pCPUs", ndigits,
		                digits);
	return perr_set(e, POOLD_E_INVALID,
	                "cpu %.*s is out of range: this host has %u pCPU%s (0-%u)", ndigits, digits,
	                nr_cpus, nr_cpus == 1 ? "" : "s", nr_cpus - 1);
}

/* The NUMA nodes a list's node items name: node_cpus[n] is node n's cpus. */
struct nodes {
	const struct cpumap *cpus;
	unsigned n;
};

/* Reads "N" or "N-M" of node numbers, all of [p, end), into *a..*b. */
static int parse_node_range(const char *p, const char *end, const struct nodes *nd,
                            unsigned long *a, unsigned long *b, int len, const char *text,
                            struct perr *e)
{
	p = skip_space(p, end);
	if (!read_cpu(&p, end, a))
		goto junk;
	*b = *a;
	p = skip_space(p, end);
	if (p < end && *p == '-') {
		p = skip_space(p + 1, end);
		if (!read_cpu(&p, end, b))
			goto junk;
		p = skip_space(p, end);
	}
	if (p != end)
		goto junk;
	if (*a > *b)
		return perr_set(
		    e, POOLD_E_INVALID,
		    "\"%.*s\" is a reversed node range: write it low-high, as nodes:%lu-%lu", len,
		    end - len, *b, *a);
	if (nd == NULL || nd->n == 0)
		return perr_set(e, POOLD_E_INVALID,
		                "\"%.*s\": this host's NUMA nodes are not known here: write cpus",
		                len, end - len);
	if (*b >= nd->n)
		return perr_set(e, POOLD_E_INVALID,
		                "node %lu is out of range: this host has %u NUMA node%s (0-%u)",
		                *a >= nd->n ? *a : *b, nd->n, nd->n == 1 ? "" : "s", nd->n - 1);
	return 0;
junk:
	return perr_set(e, POOLD_E_INVALID,
	                "\"%.*s\" in cpu list \"%s\" is not a node or a node range: "
	                "write node:1 or nodes:0-1",
	                len, end - len, text);
}

/* Applies one item ("^"? then "all", "N", "N-M", "node:N" or "nodes:N-M") to m. */
static int parse_item(struct cpumap *m, const struct item *it, unsigned nr_cpus, const char *text,
                      const struct nodes *nd, struct perr *e)
{
	const char *p = skip_space(it->s, it->end);
	const char *end = it->end;
	const char *a_s, *b_s;
	unsigned long a, b;
	bool exclude = false;
	int len;

	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	len = (int)(end - p);
	if (p < end && *p == '^') {
		exclude = true;
		p = skip_space(p + 1, end);
	}
	if (p == end)
		return perr_set(e, POOLD_E_INVALID,
		                "cpu list \"%s\" has an empty item: write cpus like 1,3,5 or 6-9",
		                text);

	if (strncmp(p, "nodes:", 6) == 0 || strncmp(p, "node:", 5) == 0) {
		const char *q = p + (p[4] == 's' ? 6 : 5);
		int r = parse_node_range(q, end, nd, &a, &b, len, text, e);

		if (r)
			return r;
		for (unsigned long n = a; n <= b; n++) {
			if (exclude)
				cpumap_andnot(m, m, &nd->cpus[n]);
			else
				cpumap_or(m, m, &nd->cpus[n]);
		}
		return 0;
	}
	if ((size_t)(end - p) == 3 && strncasecmp(p, "all", 3) == 0) {
		a = 0;
		b = nr_cpus ? nr_cpus - 1 : 0;
		if (nr_cpus == 0)
			return 0;
	} else {
		a_s = p;
		if (!read_cpu(&p, end, &a))
			goto junk;
		b = a;
		b_s = a_s;
		p = skip_space(p, end);
		if (p < end && *p == '-') {
			p = skip_space(p + 1, end);
			b_s = p;
			if (!read_cpu(&p, end, &b))
				goto junk;
			p = skip_space(p, end);
		}
		if (p != end)
			goto junk;
		if (a > b)
			return perr_set(
			    e, POOLD_E_INVALID,
			    "\"%.*s\" is a reversed range: write it low-high, as %lu-%lu", len,
			    end - len, b, a);
		if (a >= nr_cpus) {
			int n = 0;

			while (isdigit((unsigned char)a_s[n]))
				n++;
			return out_of_range(e, a_s, n, nr_cpus);
		}
		if (b >= nr_cpus) {
			int n = 0;

			while (isdigit((unsigned char)b_s[n]))
				n++;
			return out_of_range(e, b_s, n, nr_cpus);
		}
	}

	for (unsigned long c = a; c <= b; c++) {
		if (exclude)
			cpumap_clear(m, (unsigned)c);
		else
			cpumap_set(m, (unsigned)c);
	}
	return 0;

junk:
	return perr_set(e, POOLD_E_INVALID,
	                "\"%.*s\" in cpu list \"%s\" is not a cpu, a range or \"all\": "
	                "write cpus like 1,3,5, 6-9 or 0-7,^3",
	                len, end - len, text);
}

int cpumap_parse(struct cpumap *out, const char *text, unsigned nr_cpus, struct perr *e)
{
	return cpumap_parse_nodes(out, text, nr_cpus, NULL, 0, e);
}

int cpumap_parse_nodes(struct cpumap *out, const char *text, unsigned nr_cpus,
                       const struct cpumap *node_cpus, unsigned nr_nodes, struct perr *e)
{
	const struct nodes nd = {node_cpus, node_cpus != NULL ? nr_nodes : 0};
	struct cpumap m;
	const char *p = text;

	if (nr_cpus > CPUMAP_MAX)
		nr_cpus = CPUMAP_MAX;
	cpumap_zero(&m);
	if (text == NULL || *skip_space(text, text + strlen(text)) == '\0')
		return perr_set(
		    e, POOLD_E_INVALID,
		    "the cpu list is empty: write cpus like 1,3,5, 6-9, 0-7,^3 or nodes:1");

	for (;;) {
		const char *comma = strchr(p, ',');
		struct item it = {p, comma ? comma : p + strlen(p)};
		int r = parse_item(&m, &it, nr_cpus, text, &nd, e);

		if (r)
			return r;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = m;
	return 0;
}

int cpumap_format(const struct cpumap *m, char *buf, size_t len)
{
	size_t pos = 0;
	int cpu = cpumap_next(m, 0);

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	while (cpu >= 0) {
		int last = cpu;
		int n;

		while (cpumap_test(m, (unsigned)last + 1))
			last++;
		if (last > cpu)
			n = snprintf(buf + pos, len - pos, "%s%d-%d", pos ? "," : "", cpu, last);
		else
			n = snprintf(buf + pos, len - pos, "%s%d", pos ? "," : "", cpu);
		if (n < 0 || (size_t)n >= len - pos) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		pos += (size_t)n;
		cpu = cpumap_next(m, last + 1);
	}
	return (int)pos;
}
