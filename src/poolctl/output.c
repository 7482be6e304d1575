/* poolctl's output back-ends, text for people and JSON for scripts, behind one table. */
#include "poolctl/output.h"

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

/* Formats a JSON scalar as a cell: strings as they are, numbers in decimal. */
static char *cell(json_t *v)
{
	char *s;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0)
			return NULL;
		return s;
	}
	if (v == NULL || json_is_null(v))
		return strdup("-");
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Joins the integers of an array with commas; "-" when empty. */
static char *join_ids(json_t *a)
{
	size_t len = 0, i;
	char *s = malloc(json_array_size(a) * 12 + 2);
	json_t *v;

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	json_array_foreach (a, i, v)
		len += sprintf(s + len, "%s%" JSON_INTEGER_FORMAT, i ? "," : "",
		               json_integer_value(v));
	if (len == 0)
		strcpy(s, "-");
	return s;
}

static void free_cells(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

/* Shows pools in the seed's layout, with the share controller: off, auto, or capping now. */
static void text_pool_list(FILE *f, json_t *ret)
{
	static const char *const head[] = {"pool", "cpus", "sched", "share", "domains"};
	json_t *pools = json_object_get(ret, "pools"), *p;
	size_t n = json_array_size(pools), i;
	char **cells = calloc(n * 5 + 1, sizeof(*cells));

	if (cells == NULL)
		return;
	json_array_foreach (pools, i, p) {
		cells[i * 5] = cell(json_object_get(p, "name"));
		cells[i * 5 + 1] = cell(json_object_get(p, "cpus"));
		cells[i * 5 + 2] = cell(json_object_get(p, "sched"));
		cells[i * 5 + 3] = json_is_true(json_object_get(p, "share_active"))
		                       ? strdup("capping")
		                       : cell(json_object_get(p, "share"));
		cells[i * 5 + 4] = join_ids(json_object_get(p, "domains"));
	}
	for (i = 0; i < n * 5; i++)
		if (cells[i] == NULL)
			cells[i] = strdup("?");
	output_table(f, 5, head, pool_widths, cells, n);
	free_cells(cells, n * 5);
}

/* Formats a % figure of one pCPU with one decimal; "-" when poold has none. */
static char *percent(json_t *v)
{
	char *s;

	if (!json_is_number(v))
		return strdup("-");
	if (asprintf(&s, "%.1f", json_number_value(v)) < 0)
		return NULL;
	return s;
}

/* Shows domains, a misplaced one with the pool it wants. */
static void text_domain_list(FILE *f, json_t *ret)
{
	static const char *const head[] = {"domid", "name",      "pool",   "vcpus", "weight",
	                                   "cap",   "hv-weight", "hv-cap", "used%", "entitled%"};
	static const char *const keys[] = {"domid", "name",      "pool",   "vcpus", "weight",
	                                   "cap",   "hv_weight", "hv_cap", "used",  "entitled"};
	enum { NCOL = sizeof(head) / sizeof(head[0]) };
	json_t *doms = json_object_get(ret, "domains"), *d;
	size_t n = json_array_size(doms), i;
	char **cells = calloc(n * NCOL + 1, sizeof(*cells));
	char *s;

	if (cells == NULL)
		return;
	json_array_foreach (doms, i, d) {
		for (size_t k = 0; k < NCOL; k++)
			cells[i * NCOL + k] = k < 8 ? cell(json_object_get(d, keys[k]))
			                            : percent(json_object_get(d, keys[k]));
		if (json_is_true(json_object_get(d, "misplaced")) &&
		    asprintf(&s, "%s (wants %s)", json_string_value(json_object_get(d, "pool")),
		             json_string_value(json_object_get(d, "wanted"))) >= 0) {
			free(cells[i * NCOL + 2]);
			cells[i * NCOL + 2] = s;
		}
	}
	for (i = 0; i < n * NCOL; i++)
		if (cells[i] == NULL)
			cells[i] = strdup("?");
	output_table(f, NCOL, head, NULL, cells, n);
	free_cells(cells, n * NCOL);
}

/* Shows status as aligned "key value" lines. */
static void text_status(FILE *f, json_t *ret)
{
	const char *key;
	size_t width = 12;
	json_t *v;
	char *s;

	/* One column for the values, two spaces past the longest key. */
	json_object_foreach (ret, key, v)
		if (strlen(key) + 2 > width)
			width = strlen(key) + 2 < 32 ? strlen(key) + 2 : 32;
	json_object_foreach (ret, key, v) {
		char name[32];

		/* Hyphens, as in the other listings' headers (hv-weight). */
		snprintf(name, sizeof(name), "%s", key);
		for (char *p = name; *p != '\0'; p++)
			if (*p == '_')
				*p = '-';
		s = cell(v);
		fprintf(f, "%-*s%s\n", (int)width, name, s != NULL ? s : "?");
		free(s);
	}
}

/* Gets a string member for a confirmation line; "?" if poold left it out. */
static const char *str(json_t *o, const char *a, const char *b)
{
	const char *s =
	    json_string_value(json_object_get(b ? json_object_get(o, a) : o, b ? b : a));

	return s != NULL ? s : "?";
}

/* Gets an integer member of an object member. */
static json_int_t num(json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void text_result(FILE *f, const struct parser_cmd *cmd, json_t *args, json_t *ret)
{
	switch (cmd->show) {
	case SHOW_POOL_LIST:
		text_pool_list(f, ret);
		break;
	case SHOW_DOMAIN_LIST:
		text_domain_list(f, ret);
		break;
	case SHOW_STATUS:
		text_status(f, ret);
		break;
	case SHOW_POOL_CREATED:
	case SHOW_POOL_MODIFIED:
		fprintf(f, "%s %s: cpus %s", str(ret, "pool", "name"),
		        cmd->show == SHOW_POOL_CREATED ? "created" : "modified",
		        str(ret, "pool", "cpus"));
		if (num(ret, "pool", "cap") != 0)
			fprintf(f, ", cap %" JSON_INTEGER_FORMAT "%%", num(ret, "pool", "cap"));
		fputc('\n', f);
		break;
	case SHOW_POOL_DESTROYED:
		fprintf(f, "%s destroyed%s\n", str(args, "name", NULL),
		        json_is_true(json_object_get(args, "force"))
		            ? " (its domains moved to pool0)"
		            : "");
		break;
	case SHOW_MIGRATED:
		fprintf(f, "%s (domid %" JSON_INTEGER_FORMAT ") moved to %s\n",
		        str(ret, "domain", "name"), num(ret, "domain", "domid"),
		        str(ret, "domain", "pool"));
		break;
	case SHOW_DOMAIN_SET:
		fprintf(f,
		        "%s (domid %" JSON_INTEGER_FORMAT "): weight %" JSON_INTEGER_FORMAT
		        ", cap %" JSON_INTEGER_FORMAT " in %s\n",
		        str(ret, "domain", "name"), num(ret, "domain", "domid"),
		        num(ret, "domain", "weight"), num(ret, "domain", "cap"),
		        str(ret, "domain", "pool"));
		break;
	case SHOW_LOG_LEVEL:
		fprintf(f, "log level: %s\n", str(ret, "level", NULL));
		break;
	case SHOW_MONITOR:
		break; /* events follow; the empty reply says nothing */
	}
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
	fprintf(f, "%s %s", when, str(ev, "event", NULL));
	json_object_foreach (json_object_get(ev, "data"), key, v) {
		s = cell(v);
		fprintf(f, " %s=%s", key, s != NULL ? s : "?");
		free(s);
	}
	fputc('\n', f);
	fflush(f);
}

static void json_result(FILE *f, const struct parser_cmd *cmd, json_t *args, json_t *ret)
{
	if (cmd->show == SHOW_MONITOR)
		return;
	json_dumpf(ret, f, JSON_INDENT(2));
	fputc('\n', f);
}

/* One event per line, so that scripts can read the stream line by line. */
static void json_event(FILE *f, json_t *ev)
{
	json_dumpf(ev, f, JSON_COMPACT);
	fputc('\n', f);
	fflush(f);
}

const struct output output_text = {
    .result = text_result,
    .event = text_event,
};

const struct output output_json = {
    .result = json_result,
    .event = json_event,
};
