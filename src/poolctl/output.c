/* poolctl's output back-ends, text for people and JSON for scripts, behind one table. */
#include "poolctl/output.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The seed's `xm pool-list` layout: these widths hold its columns and their gaps. */
static const unsigned pool_widths[] = {10, 14, 11, 9, 0};
/* Two spaces between columns keep them apart when a value fills its width. */
#define GAP 2

void output_table(FILE *f, size_t ncols, const char *const *head, const unsigned *min, char **cells,
                  size_t nrows)
{
	size_t *w = calloc(ncols, sizeof(*w));

	if (w == NULL)
		return;
	for (size_t c = 0; c < ncols; c++) {
		w[c] = strlen(head[c]) + GAP;
		if (min != NULL && min[c] > w[c])
			w[c] = min[c];
		for (size_t r = 0; r < nrows; r++)
			if (strlen(cells[r * ncols + c]) + GAP > w[c])
				w[c] = strlen(cells[r * ncols + c]) + GAP;
	}
	for (size_t r = 0; r <= nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = r == 0 ? head[c] : cells[(r - 1) * ncols + c];

			/* No trailing blanks: the last column is not padded. */
			if (c + 1 == ncols)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s", (int)w[c], s);
		}
	}
	free(w);
}

/* Xen's DOMID_FIRST_RESERVED - 1: no domain has a larger id. */
#define OUTPUT_DOMID_MAX 0x7fef

char *output_clean(char *s)
{
	for (unsigned char *p = (unsigned char *)s; s != NULL && *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			p[0] = p[1] = '?';
	}
	return s;
}

/* Formats any JSON value as a cell: strings as they are, numbers in decimal. */
static char *cell(json_t *v)
{
	char *s;

	if (json_is_string(v))
		return output_clean(strdup(json_string_value(v)));
	if (json_is_integer(v)) {
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0)
			return NULL;
		return s;
	}
	if (v == NULL || json_is_null(v))
		return strdup("-");
	return output_clean(json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
}

/* Names what a JSON value is, for a reply of the wrong shape. */
static const char *kind(json_t *v)
{
	if (v == NULL)
		return "missing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* Refuses to show a reply: what is at where is not what the text needs. */
static int bad(char *err, size_t len, const char *where, json_t *v, const char *want)
{
	if (json_is_integer(v))
		snprintf(err, len, "%s is %" JSON_INTEGER_FORMAT ", not %s", where,
		         json_integer_value(v), want);
	else
		snprintf(err, len, "%s is %s, not %s", where, kind(v), want);
	return -1;
}

/* What a column holds: the type its member must have. */
enum col_type {
	COL_STR,
	COL_INT,
	COL_DOMID,
	COL_PERCENT, /* a number, or null when poold has none */
	COL_OPT,     /* a string or an integer, or null where it does not apply */
};

struct col {
	const char *head;
	const char *key;
	enum col_type type;
};

/* Formats v, found at at, as a cell of type t (*out NULL only when out of memory); -1 if mistyped. */
static int typed_cell(json_t *v, enum col_type t, const char *at, char **out, char *err, size_t len)
{
	static const char *const want[] = {"a string", "an integer", "a domain id (0-32751)",
	                                   "a number or null", "a string, an integer or null"};
	bool ok = false;

	*out = NULL;
	switch (t) {
	case COL_STR:
		ok = json_is_string(v);
		break;
	case COL_INT:
		ok = json_is_integer(v);
		break;
	case COL_DOMID:
		ok = json_is_integer(v) && json_integer_value(v) >= 0 &&
		     json_integer_value(v) <= OUTPUT_DOMID_MAX;
		break;
	case COL_PERCENT:
		ok = json_is_number(v) || json_is_null(v);
		if (json_is_number(v) && asprintf(out, "%.1f", json_number_value(v)) < 0)
			*out = NULL;
		if (json_is_number(v))
			return 0;
		break;
	case COL_OPT:
		ok = json_is_string(v) || json_is_integer(v) || json_is_null(v);
		break;
	}
	if (!ok)
		return bad(err, len, at, v, want[t]);
	*out = cell(v);
	return 0;
}

/* Formats o's member c->key as a cell; -1 with err if it is missing or mistyped. */
static int col_cell(json_t *o, const char *where, const struct col *c, char **out, char *err,
                    size_t len)
{
	char at[128];

	snprintf(at, sizeof(at), "%s.%s", where, c->key);
	return typed_cell(json_object_get(o, c->key), c->type, at, out, err, len);
}

/* Gets the array member key of ret, the rows of a listing; NULL with err if it is not one. */
static json_t *rows(json_t *ret, const char *key, char *err, size_t len)
{
	json_t *a = json_object_get(ret, key);

	if (!json_is_array(a)) {
		bad(err, len, key, a, "an array");
		return NULL;
	}
	return a;
}

/* Joins the domain ids of an array with commas; "-" when empty; -1 for one that is not an id. */
static int join_ids(json_t *a, const char *where, char **out, char *err, size_t len)
{
	char at[128], *s = NULL, *c;
	size_t n = 0, i;
	FILE *f;
	json_t *v;

	*out = NULL;
	snprintf(at, sizeof(at), "%s.domains", where);
	if (!json_is_array(a))
		return bad(err, len, at, a, "an array");
	/* Sized as it grows: each id is checked, and its text never sized by guess. */
	f = open_memstream(&s, &n);
	if (f == NULL)
		return 0;
	json_array_foreach (a, i, v) {
		snprintf(at, sizeof(at), "%s.domains[%zu]", where, i);
		if (typed_cell(v, COL_DOMID, at, &c, err, len) < 0) {
			fclose(f);
			free(s);
			return -1;
		}
		fprintf(f, "%s%s", i ? "," : "", c != NULL ? c : "?");
		free(c);
	}
	if (fclose(f) != 0) {
		free(s);
		return 0;
	}
	if (n == 0) {
		free(s);
		s = strdup("-");
	}
	*out = s;
	return 0;
}

static void free_cells(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

/* Gets row i of a listing as an object; NULL with err if it is not one. */
static json_t *row(json_t *a, const char *key, size_t i, char *where, size_t wlen, char *err,
                   size_t len)
{
	json_t *o = json_array_get(a, i);

	snprintf(where, wlen, "%s[%zu]", key, i);
	if (!json_is_object(o)) {
		bad(err, len, where, o, "an object");
		return NULL;
	}
	return o;
}

/*
 * Shows pools in the seed's layout, with the share controller: off, auto, or capping now. On a
 * host of several NUMA nodes (a pool on a node other than 0) the nodes follow the cpus.
 */
static int text_pool_list(FILE *f, json_t *ret, char *err, size_t len)
{
	static const char *const head5[] = {"pool", "cpus", "sched", "share", "domains"};
	static const char *const head6[] = {"pool", "cpus", "nodes", "sched", "share", "domains"};
	static const unsigned widths6[] = {10, 14, 6, 11, 9, 0};
	static const struct col cols5[] = {
	    {"pool", "name", COL_STR}, {"cpus", "cpus", COL_STR}, {"sched", "sched", COL_STR}};
	static const struct col cols6[] = {{"pool", "name", COL_STR},
	                                   {"cpus", "cpus", COL_STR},
	                                   {"nodes", "nodes", COL_STR},
	                                   {"sched", "sched", COL_STR}};
	json_t *pools = rows(ret, "pools", err, len), *p, *active;
	size_t n = json_array_size(pools), i, w = 5;
	const struct col *cols = cols5;
	char **cells, where[64];
	int r = 0;

	if (pools == NULL)
		return -1;
	json_array_foreach (pools, i, p) {
		const char *nodes = json_string_value(json_object_get(p, "nodes"));

		if (nodes != NULL && nodes[0] != '\0' && strcmp(nodes, "0") != 0)
			w = 6;
	}
	if (w == 6)
		cols = cols6;
	cells = calloc(n * w + 1, sizeof(*cells));
	if (cells == NULL)
		return 0;
	for (i = 0; i < n && r == 0; i++) {
		if ((p = row(pools, "pools", i, where, sizeof(where), err, len)) == NULL) {
			r = -1;
			break;
		}
		for (size_t k = 0; k < w - 2 && r == 0; k++)
			r = col_cell(p, where, &cols[k], &cells[i * w + k], err, len);
		active = json_object_get(p, "share_active");
		if (r == 0 && !json_is_boolean(active)) {
			snprintf(where + strlen(where), sizeof(where) - strlen(where),
			         ".share_active");
			r = bad(err, len, where, active, "a boolean");
		} else if (r == 0 && json_is_true(active)) {
			cells[i * w + w - 2] = strdup("capping");
		} else if (r == 0) {
			struct col share = {"share", "share", COL_STR};

			r = col_cell(p, where, &share, &cells[i * w + w - 2], err, len);
		}
		if (r == 0)
			r = join_ids(json_object_get(p, "domains"), where, &cells[i * w + w - 1],
			             err, len);
	}
	if (r == 0) {
		for (i = 0; i < n * w; i++)
			if (cells[i] == NULL)
				cells[i] = strdup("?");
		output_table(f, w, w == 6 ? head6 : head5, w == 6 ? widths6 : pool_widths, cells,
		             n);
	}
	free_cells(cells, n * w);
	return r;
}

/* Shows domains, a misplaced one with the pool it wants. */
static int text_domain_list(FILE *f, json_t *ret, char *err, size_t len)
{
	static const struct col cols[] = {
	    {"domid", "domid", COL_DOMID},       {"name", "name", COL_STR},
	    {"pool", "pool", COL_STR},           {"vcpus", "vcpus", COL_INT},
	    {"weight", "weight", COL_INT},       {"cap", "cap", COL_INT},
	    {"hv-weight", "hv_weight", COL_INT}, {"hv-cap", "hv_cap", COL_INT},
	    {"used%", "used", COL_PERCENT},      {"entitled%", "entitled", COL_PERCENT}};
	enum { NCOL = sizeof(cols) / sizeof(cols[0]) };
	static const struct col wanted = {"", "wanted", COL_STR};
	const char *head[NCOL];
	json_t *doms = rows(ret, "domains", err, len), *d, *mis;
	size_t n = json_array_size(doms), i;
	char **cells, where[64], *w, *s;
	int r = 0;

	if (doms == NULL)
		return -1;
	cells = calloc(n * NCOL + 1, sizeof(*cells));
	if (cells == NULL)
		return 0;
	for (i = 0; i < n && r == 0; i++) {
		if ((d = row(doms, "domains", i, where, sizeof(where), err, len)) == NULL) {
			r = -1;
			break;
		}
		for (size_t k = 0; k < NCOL && r == 0; k++)
			r = col_cell(d, where, &cols[k], &cells[i * NCOL + k], err, len);
		mis = json_object_get(d, "misplaced");
		if (r == 0 && !json_is_boolean(mis)) {
			snprintf(where + strlen(where), sizeof(where) - strlen(where),
			         ".misplaced");
			r = bad(err, len, where, mis, "a boolean");
		}
		if (r != 0 || !json_is_true(mis))
			continue;
		r = col_cell(d, where, &wanted, &w, err, len);
		if (r == 0 && cells[i * NCOL + 2] != NULL && w != NULL &&
		    asprintf(&s, "%s (wants %s)", cells[i * NCOL + 2], w) >= 0) {
			free(cells[i * NCOL + 2]);
			cells[i * NCOL + 2] = s;
		}
		free(w);
	}
	if (r == 0) {
		for (size_t k = 0; k < NCOL; k++)
			head[k] = cols[k].head;
		for (i = 0; i < n * NCOL; i++)
			if (cells[i] == NULL)
				cells[i] = strdup("?");
		output_table(f, NCOL, head, NULL, cells, n);
	}
	free_cells(cells, n * NCOL);
	return r;
}

static int confirm_cells(json_t *ret, const char *obj, const struct col *cols, size_t n,
                         char **vals, char *err, size_t len);

/* Formats a boolean-or-null member as yes, no or -; -1 with err if it is neither. */
static int yes_no(json_t *o, const char *where, const char *key, char **out, char *err, size_t len)
{
	json_t *v = json_object_get(o, key);
	char at[128];

	*out = NULL;
	if (!json_is_boolean(v) && !json_is_null(v)) {
		snprintf(at, sizeof(at), "%s.%s", where, key);
		return bad(err, len, at, v, "a boolean or null");
	}
	*out = strdup(json_is_null(v) ? "-" : json_is_true(v) ? "yes" : "no");
	return 0;
}

/* Formats the rows of ret's array `key` into a table of cols (extra: a yes/no column). */
static int top_table(FILE *f, json_t *ret, const char *key, const struct col *cols, size_t ncol,
                     const char *extra, const char *extra_head, char *err, size_t len)
{
	json_t *a = rows(ret, key, err, len), *o;
	size_t n = json_array_size(a), w = ncol + (extra != NULL), i;
	const char *head[16];
	char **cells, where[64];
	int r = 0;

	if (a == NULL)
		return -1;
	cells = calloc(n * w + 1, sizeof(*cells));
	if (cells == NULL)
		return 0;
	for (i = 0; i < n && r == 0; i++) {
		if ((o = row(a, key, i, where, sizeof(where), err, len)) == NULL) {
			r = -1;
			break;
		}
		for (size_t k = 0; k < ncol && r == 0; k++)
			r = col_cell(o, where, &cols[k], &cells[i * w + k], err, len);
		if (r == 0 && extra != NULL)
			r = yes_no(o, where, extra, &cells[i * w + ncol], err, len);
	}
	if (r == 0) {
		for (size_t k = 0; k < ncol; k++)
			head[k] = cols[k].head;
		if (extra != NULL)
			head[ncol] = extra_head;
		for (i = 0; i < n * w; i++)
			if (cells[i] == NULL)
				cells[i] = strdup("?");
		output_table(f, w, head, NULL, cells, n);
	}
	free_cells(cells, n * w);
	return r;
}

/*
 * Shows one frame of top: a line that starts it, the pools, a blank line,
 * the domains, a blank line that ends it. Scripts split frames on "top:".
 */
static int text_top(FILE *f, json_t *ret, char *err, size_t len)
{
	static const struct col pools[] = {{"pool", "name", COL_STR},
	                                   {"ncpu", "ncpu", COL_INT},
	                                   {"cpus", "cpus", COL_STR},
	                                   {"nodes", "nodes", COL_STR},
	                                   {"members", "members", COL_INT},
	                                   {"vcpus", "vcpus", COL_INT},
	                                   {"used%", "used", COL_PERCENT},
	                                   {"load%", "load", COL_PERCENT},
	                                   {"controller", "controller", COL_STR}};
	static const struct col doms[] = {
	    {"domid", "domid", COL_DOMID},  {"name", "name", COL_STR},
	    {"pool", "pool", COL_STR},      {"vcpus", "vcpus", COL_INT},
	    {"used%", "used", COL_PERCENT}, {"weight", "weight", COL_INT},
	    {"cap", "cap", COL_INT},        {"hv-weight", "hv_weight", COL_INT},
	    {"hv-cap", "hv_cap", COL_INT}};
	static const struct col head[] = {
	    {"", "periods", COL_INT}, {"", "window", COL_PERCENT}, {"", "age", COL_PERCENT}};
	char *v[3] = {NULL};
	char *body = NULL;
	size_t blen = 0;
	FILE *mem;
	int r;

	if ((r = confirm_cells(ret, NULL, head, 3, v, err, len)) == 0) {
		/* Built whole first: a reply that can't be shown prints nothing. */
		mem = open_memstream(&body, &blen);
		if (mem == NULL) {
			r = 0;
		} else {
			fprintf(mem, "top: period %s, window %s s, %s s ago\n", v[0], v[1], v[2]);
			r = top_table(mem, ret, "pools", pools, 9, "saturated", "saturated", err,
			              len);
			if (r == 0) {
				fputc('\n', mem);
				r = top_table(mem, ret, "domains", doms, 9, NULL, NULL, err, len);
			}
			if (r == 0)
				fputc('\n', mem);
			fclose(mem);
			if (r == 0 && body != NULL)
				fwrite(body, 1, blen, f);
			free(body);
		}
	}
	for (size_t i = 0; i < 3; i++)
		free(v[i]);
	return r;
}

/* Shows status as aligned "key value" lines: whatever poold reports, made printable. */
static void text_status(FILE *f, json_t *ret)
{
	const char *key;
	size_t width = 12;
	json_t *v;
	char *s, *name;

	/* One column for the values, two spaces past the longest key (up to 30). */
	json_object_foreach (ret, key, v)
		if (strlen(key) + 2 > width)
			width = strlen(key) + 2 < 32 ? strlen(key) + 2 : 32;
	json_object_foreach (ret, key, v) {
		name = output_clean(strdup(key));
		/* Hyphens, as in the other listings' headers (hv-weight). */
		for (char *p = name; p != NULL && *p != '\0'; p++)
			if (*p == '_')
				*p = '-';
		s = cell(v);
		fprintf(f, "%-*s%s\n", (int)width, name != NULL ? name : "?", s != NULL ? s : "?");
		free(name);
		free(s);
	}
}

/*
 * Gets the members of ret's object member obj that a confirmation line
 * shows, as cells (vals[i], freed by the caller); -1 with err when one is
 * missing or mistyped.
 */
static int confirm_cells(json_t *ret, const char *obj, const struct col *cols, size_t n,
                         char **vals, char *err, size_t len)
{
	json_t *o = obj != NULL ? json_object_get(ret, obj) : ret;
	int r = 0;

	memset(vals, 0, n * sizeof(*vals));
	if (!json_is_object(o))
		return bad(err, len, obj, o, "an object");
	for (size_t i = 0; i < n && r == 0; i++)
		r = col_cell(o, obj != NULL ? obj : "return", &cols[i], &vals[i], err, len);
	for (size_t i = 0; i < n; i++)
		if (vals[i] == NULL)
			vals[i] = strdup("?");
	return r;
}

/* pool-migrate --all: a line per domain moved, as pool-migrate has it, and dom0 left. */
static int text_migrated_all(FILE *f, json_t *ret, char *err, size_t len)
{
	static const struct col dom[] = {
	    {"", "name", COL_STR}, {"", "domid", COL_DOMID}, {"", "pool", COL_STR}};
	static const struct col ends[] = {{"", "from", COL_STR}, {"", "pool", COL_STR}};
	json_t *a = rows(ret, "domains", err, len), *o;
	char *v[3] = {NULL}, *e[2] = {NULL}, *skipped = NULL, where[64];
	int r = confirm_cells(ret, NULL, ends, 2, e, err, len);
	size_t i;

	if (r == 0 && a == NULL)
		r = -1;
	if (r == 0)
		r = join_ids(json_object_get(ret, "skipped"), "return", &skipped, err, len);
	for (i = 0; r == 0 && i < json_array_size(a); i++) {
		if ((o = row(a, "domains", i, where, sizeof(where), err, len)) == NULL) {
			r = -1;
			break;
		}
		for (size_t k = 0; k < 3 && r == 0; k++)
			r = col_cell(o, where, &dom[k], &v[k], err, len);
		if (r == 0)
			fprintf(f, "%s (domid %s) moved to %s\n", v[0], v[1], v[2]);
		for (size_t k = 0; k < 3; k++) {
			free(v[k]);
			v[k] = NULL;
		}
	}
	if (r == 0 && i == 0)
		fprintf(f, "no domain of %s to move to %s\n", e[0], e[1]);
	if (r == 0 && skipped != NULL && strcmp(skipped, "-") != 0)
		fprintf(f, "domain %s stays in pool0: dom0 always does\n", skipped);
	free(skipped);
	free(e[0]);
	free(e[1]);
	return r;
}

/* pool-rename: the pool under its new name, and poold's warning when it gave one. */
static int text_renamed(FILE *f, json_t *ret, char *err, size_t len)
{
	static const struct col pool[] = {
	    {"", "name", COL_STR}, {"", "id", COL_INT}, {"", "cpus", COL_STR}};
	static const struct col from[] = {{"", "renamed_from", COL_STR}};
	json_t *w = json_object_get(ret, "warning");
	char *v[3] = {NULL}, *old = NULL, *ids = NULL;
	int r = confirm_cells(ret, "pool", pool, 3, v, err, len);

	if (r == 0)
		r = confirm_cells(ret, NULL, from, 1, &old, err, len);
	if (r == 0)
		r = join_ids(json_object_get(json_object_get(ret, "pool"), "domains"),
		             "return.pool", &ids, err, len);
	if (r == 0 && !json_is_null(w) && !json_is_string(w))
		r = bad(err, len, "return.warning", w, "a string or null");
	if (r == 0 && strcmp(old, v[0]) == 0)
		fprintf(f, "%s is already named so: nothing changed\n", v[0]);
	else if (r == 0)
		fprintf(f, "%s renamed to %s (id %s): cpus %s, domains %s\n", old, v[0], v[1], v[2],
		        ids);
	if (r == 0 && json_is_string(w)) {
		char *c = output_clean(strdup(json_string_value(w)));

		fprintf(stderr, "poolctl: warning: %s\n", c != NULL ? c : "?");
		free(c);
	}
	for (size_t i = 0; i < 3; i++)
		free(v[i]);
	free(old);
	free(ids);
	return r;
}

/* Shows the entries of plan's array key, each with fmt's cells (at most 10 columns). */
static int plan_rows(FILE *f, json_t *plan, const char *key, const struct col *cols, size_t n,
                     void (*show)(FILE *f, char **v), char *err, size_t len)
{
	json_t *a = rows(plan, key, err, len), *o;
	char where[64], *v[10];
	size_t i;
	int r = 0;

	if (a == NULL)
		return -1;
	json_array_foreach (a, i, o) {
		if ((o = row(a, key, i, where, sizeof(where), err, len)) == NULL)
			return -1;
		memset(v, 0, sizeof(v));
		for (size_t c = 0; c < n && r == 0; c++)
			r = col_cell(o, where, &cols[c], &v[c], err, len);
		if (r == 0)
			show(f, v);
		for (size_t c = 0; c < n; c++)
			free(v[c]);
		if (r != 0)
			return r;
	}
	return 0;
}

static void show_plan_pool(FILE *f, char **v)
{
	fprintf(f, "  pool %s %s: cpus %s", v[0], v[1], v[2][0] ? v[2] : "-");
	if (v[3][0] != '\0')
		fprintf(f, ", gains %s", v[3]);
	if (v[4][0] != '\0')
		fprintf(f, ", loses %s", v[4]);
	fprintf(f, ", cap %s, share %s\n", v[5], v[6]);
}

static void show_plan_dom(FILE *f, char **v)
{
	if (strcmp(v[2], v[3]) != 0)
		fprintf(f, "  domain %s (domid %s): %s -> %s, weight %s, cap %s\n", v[1], v[0],
		        v[2], v[3], v[4], v[5]);
	else
		fprintf(f, "  domain %s (domid %s): in %s, weight %s, cap %s\n", v[1], v[0], v[3],
		        v[4], v[5]);
}

static void show_plan_write(FILE *f, char **v)
{
	if (strcmp(v[2], "affinity") == 0 && v[5][0] != '\0' && strcmp(v[5], "-") != 0)
		fprintf(f, "  write: domain %s (%s) vCPU %s hard affinity %s, soft %s\n", v[0],
		        v[1], v[3], v[4], v[5]);
	else if (strcmp(v[2], "affinity") == 0)
		fprintf(f, "  write: domain %s (%s) vCPU %s hard affinity %s\n", v[0], v[1], v[3],
		        v[4]);
	else if (strcmp(v[2], "nodes") == 0)
		fprintf(f, "  write: domain %s (%s) node affinity %s\n", v[0], v[1], v[6]);
	else
		fprintf(f, "  write: domain %s (%s) %s weight %s cap %s\n", v[0], v[1], v[7], v[8],
		        v[9]);
}

/*
 * Shows a plan ({"dry_run", "plan": {pools, domains, writes}}): what a dry
 * run would do, or what apply did.
 */
static int text_plan(FILE *out, json_t *ret, char *err, size_t len)
{
	static const struct col pools[] = {{"", "name", COL_STR}, {"", "action", COL_STR},
	                                   {"", "cpus", COL_STR}, {"", "gained", COL_STR},
	                                   {"", "lost", COL_STR}, {"", "cap", COL_INT},
	                                   {"", "share", COL_STR}};
	static const struct col doms[] = {{"", "domid", COL_DOMID},  {"", "name", COL_STR},
	                                  {"", "pool_was", COL_STR}, {"", "pool", COL_STR},
	                                  {"", "weight", COL_INT},   {"", "cap", COL_INT}};
	/* vcpu, cpus, sched, weight and cap are null where the write is not of that kind. */
	static const struct col writes[] = {{"", "domid", COL_DOMID}, {"", "name", COL_STR},
	                                    {"", "op", COL_STR},      {"", "vcpu", COL_OPT},
	                                    {"", "cpus", COL_OPT},    {"", "soft", COL_OPT},
	                                    {"", "nodes", COL_OPT},   {"", "sched", COL_OPT},
	                                    {"", "weight", COL_OPT},  {"", "cap", COL_OPT}};
	json_t *dry = json_object_get(ret, "dry_run"), *plan = json_object_get(ret, "plan");
	char *text = NULL;
	size_t n, tlen = 0;
	FILE *f;
	int r = 0;

	if (!json_is_boolean(dry))
		return bad(err, len, "dry_run", dry, "a boolean");
	if (!json_is_object(plan))
		return bad(err, len, "plan", plan, "an object");
	n = json_array_size(json_object_get(plan, "pools")) +
	    json_array_size(json_object_get(plan, "domains")) +
	    json_array_size(json_object_get(plan, "writes"));
	if (n == 0 && json_is_array(json_object_get(plan, "pools")) &&
	    json_is_array(json_object_get(plan, "domains")) &&
	    json_is_array(json_object_get(plan, "writes"))) {
		fprintf(out, "no change: the host is so already\n");
		return 0;
	}
	/* Printed once all of it is known to be showable. */
	if ((f = open_memstream(&text, &tlen)) == NULL)
		return bad(err, len, "plan", plan, "showable (out of memory)");
	fprintf(f, "%s\n", json_is_true(dry) ? "plan (dry run: nothing was changed):" : "applied:");
	if (plan_rows(f, plan, "pools", pools, 7, show_plan_pool, err, len) < 0 ||
	    plan_rows(f, plan, "domains", doms, 6, show_plan_dom, err, len) < 0 ||
	    plan_rows(f, plan, "writes", writes, 10, show_plan_write, err, len) < 0)
		r = -1;
	n = json_array_size(json_object_get(plan, "writes"));
	fprintf(f, "  %zu hypervisor write%s%s\n", n, n == 1 ? "" : "s",
	        json_is_true(dry) ? " to make" : "");
	if (fclose(f) == 0 && r == 0)
		fputs(text, out);
	free(text);
	return r;
}

static int text_result(FILE *f, const struct parser_cmd *cmd, json_t *args, json_t *ret, char *err,
                       size_t len)
{
	static const struct col pool[] = {
	    {"", "name", COL_STR}, {"", "cpus", COL_STR}, {"", "cap", COL_INT}};
	static const struct col dom[] = {{"", "name", COL_STR},
	                                 {"", "domid", COL_DOMID},
	                                 {"", "pool", COL_STR},
	                                 {"", "weight", COL_INT},
	                                 {"", "cap", COL_INT}};
	static const struct col level[] = {{"", "level", COL_STR}};
	static const struct col gone[] = {
	    {"", "pool", COL_STR}, {"", "cpus", COL_STR}, {"", "to", COL_STR}};
	char *v[5] = {NULL};
	int r = 0;

	/* Any mutating command's dry run answers with its plan. */
	if (json_is_true(json_object_get(args, "dry_run")) || cmd->show == SHOW_APPLY)
		return text_plan(f, ret, err, len);
	switch (cmd->show) {
	case SHOW_POOL_LIST:
		return text_pool_list(f, ret, err, len);
	case SHOW_DOMAIN_LIST:
		return text_domain_list(f, ret, err, len);
	case SHOW_STATUS:
		text_status(f, ret);
		return 0;
	case SHOW_POOL_CREATED:
	case SHOW_POOL_MODIFIED:
		if ((r = confirm_cells(ret, "pool", pool, 3, v, err, len)) != 0)
			break;
		fprintf(f, "%s %s: cpus %s", v[0],
		        cmd->show == SHOW_POOL_CREATED ? "created" : "modified", v[1]);
		if (strcmp(v[2], "0") != 0)
			fprintf(f, ", cap %s%%", v[2]);
		fputc('\n', f);
		break;
	case SHOW_POOL_DESTROYED:
		if ((r = confirm_cells(ret, NULL, gone, 3, v, err, len)) != 0)
			break;
		if ((r = join_ids(json_object_get(ret, "domains"), "return", &v[3], err, len)) != 0)
			break;
		fprintf(f, "%s destroyed: cpus %s back to %s", v[0], v[1], v[2]);
		if (v[3] != NULL && strcmp(v[3], "-") != 0)
			fprintf(f, ", domains %s moved to %s", v[3], v[2]);
		fputc('\n', f);
		break;
	case SHOW_MIGRATED:
		if ((r = confirm_cells(ret, "domain", dom, 3, v, err, len)) != 0)
			break;
		fprintf(f, "%s (domid %s) moved to %s\n", v[0], v[1], v[2]);
		break;
	case SHOW_MIGRATED_ALL:
		return text_migrated_all(f, ret, err, len);
	case SHOW_POOL_RENAMED:
		return text_renamed(f, ret, err, len);
	case SHOW_DOMAIN_SET:
		if ((r = confirm_cells(ret, "domain", dom, 5, v, err, len)) != 0)
			break;
		fprintf(f, "%s (domid %s): weight %s, cap %s in %s\n", v[0], v[1], v[3], v[4],
		        v[2]);
		break;
	case SHOW_LOG_LEVEL:
		if ((r = confirm_cells(ret, NULL, level, 1, v, err, len)) != 0)
			break;
		fprintf(f, "log level: %s\n", v[0]);
		break;
	case SHOW_TOP:
		return text_top(f, ret, err, len);
	case SHOW_EXPORT:
		if (!json_is_object(json_object_get(ret, "layout")))
			return bad(err, len, "layout", json_object_get(ret, "layout"), "an object");
		/* The layout itself, for a file or a pipe into poolctl apply. */
		json_dumpf(json_object_get(ret, "layout"), f, JSON_INDENT(2));
		fputc('\n', f);
		break;
	case SHOW_APPLY:
		break; /* shown above */
	case SHOW_MONITOR:
		break; /* events follow; the empty reply says nothing */
	case SHOW_HELP:
		break; /* poolctl's own, never a reply */
	}
	for (size_t i = 0; i < 5; i++)
		free(v[i]);
	return r;
}

/* Shows an event as "time name key=value ...". */
static void text_event(FILE *f, json_t *ev)
{
	json_t *ts = json_object_get(ev, "timestamp"), *v;
	time_t t = (time_t)json_integer_value(json_object_get(ts, "seconds"));
	const char *key;
	char when[32];
	struct tm tm;
	char *s;

	if (localtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%F %T", &tm) == 0)
		strcpy(when, "?");
	s = cell(json_object_get(ev, "event"));
	fprintf(f, "%s %s", when, s != NULL ? s : "?");
	free(s);
	json_object_foreach (json_object_get(ev, "data"), key, v) {
		char *k = output_clean(strdup(key));

		s = cell(v);
		fprintf(f, " %s=%s", k != NULL ? k : "?", s != NULL ? s : "?");
		free(k);
		free(s);
	}
	fputc('\n', f);
	fflush(f);
}

/* poold's reply as it came, valid JSON whatever its shape: nothing to check. */
static int json_result(FILE *f, const struct parser_cmd *cmd, json_t *args, json_t *ret, char *err,
                       size_t len)
{
	if (cmd->show == SHOW_MONITOR)
		return 0;
	if (cmd->show == SHOW_TOP) {
		/* One reply a line: a stream of frames that scripts read line by line. */
		json_dumpf(ret, f, JSON_COMPACT);
		fputc('\n', f);
		return 0;
	}
	json_dumpf(ret, f, JSON_INDENT(2));
	fputc('\n', f);
	return 0;
}

/* One event per line, so that scripts can read the stream line by line. */
static void json_event(FILE *f, json_t *ev)
{
	json_dumpf(ev, f, JSON_COMPACT);
	fputc('\n', f);
	fflush(f);
}

/* A refusal on stderr: poold's with its class, which a user may look up; poolctl's without. */
static void text_error(FILE *f, const char *cls, const char *desc, bool from_poold)
{
	if (from_poold)
		fprintf(stderr, "poolctl: %s (%s)\n", desc, cls);
	else
		fprintf(stderr, "poolctl: %s\n", desc);
}

/* A refusal as the protocol's error object, on stdout where the script reads the reply. */
static void json_error(FILE *f, const char *cls, const char *desc, bool from_poold)
{
	json_t *o = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);

	if (o == NULL) {
		fprintf(stderr, "poolctl: %s\n", desc);
		return;
	}
	json_dumpf(o, f, JSON_COMPACT);
	fputc('\n', f);
	fflush(f);
	json_decref(o);
}

const struct output output_text = {
    .result = text_result,
    .event = text_event,
    .error = text_error,
};

const struct output output_json = {
    .result = json_result,
    .event = json_event,
    .error = json_error,
};
