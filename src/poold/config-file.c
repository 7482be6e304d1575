/* poold.conf's text through libxlutil, with libxlutil's own line numbers kept for messages. */
#include "poold/config-file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* poold.conf is a dozen lines; past this it is not a poold.conf (and libxlutil takes an int). */
#define CONFIG_FILE_MAX (1 << 20)

/* A key as libxlutil's lexer takes it: [a-z][._0-9a-z]*. */
static bool config_file_key_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') ||
	       (!first && ((c >= '0' && c <= '9') || c == '_' || c == '.'));
}

/* Reads the whole file into f->text; -errno on failure, 1 when it is too big. */
static int config_file_slurp(struct config_file *f, const char *path)
{
	FILE *in = fopen(path, "r");
	size_t cap = 4096, n;
	int r = 0;

	if (in == NULL)
		return -errno;
	f->text = malloc(cap);
	while (f->text != NULL) {
		n = fread(f->text + f->len, 1, cap - f->len, in);
		f->len += n;
		if (n == 0) {
			r = ferror(in) ? -EIO : 0;
			break;
		}
		if (f->len > CONFIG_FILE_MAX) {
			r = 1;
			break;
		}
		if (f->len == cap) {
			char *t = realloc(f->text, cap * 2);

			if (t == NULL)
				free(f->text);
			f->text = t;
			cap *= 2;
		}
	}
	fclose(in);
	if (f->text == NULL)
		return -ENOMEM;
	return r;
}

/* Returns the line of offset off in the text. */
static unsigned config_file_line_at(const struct config_file *f, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off; i++)
		line += f->text[i] == '\n';
	return line;
}

/*
 * Reads the line number of a report that starts "PATH:LINE:", as every one of
 * libxlutil's messages about a place in the file does; 0 when it does not.
 * *rest points past the colon after the number.
 */
static unsigned config_file_report_line(const struct config_file *f, const char *report,
                                        const char **rest)
{
	size_t plen = strlen(f->path);
	unsigned long line;
	char *end;

	if (strncmp(report, f->path, plen) != 0 || report[plen] != ':' ||
	    !(report[plen + 1] >= '0' && report[plen + 1] <= '9'))
		return 0;
	line = strtoul(report + plen + 1, &end, 10);
	if (*end != ':' || line > 1000000000)
		return 0;
	if (rest != NULL)
		*rest = end + 1;
	return (unsigned)line;
}

/* Words a parse error libxlutil reported as "file:line: what", its bytes printable. */
static int config_file_syntax(struct config_file *f, struct perr *e)
{
	const char *rest = NULL, *p;
	char what[PERR_MSG_MAX], *q = what;
	unsigned line = 0;

	if (fflush(f->report) == 0 && f->report_len > 0)
		line = config_file_report_line(f, f->report_buf, &rest);
	if (line == 0)
		return perr_set(e, POOLD_E_INVALID, "%s: does not parse as xl syntax", f->path);
	/*
	 * libxlutil counts a newline token as ending the line before it: an
	 * error "near <newline>" is on the next line, the one the newline ends.
	 */
	if (strstr(rest, "near <newline>") != NULL)
		line++;
	while (*rest == ' ')
		rest++;
	for (p = rest; *p != '\0' && *p != '\n' && q + 5 < what + sizeof(what); p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			q += sprintf(q, "\\x%02x", c);
		else
			*q++ = (char)c;
	}
	*q = '\0';
	return perr_set(e, POOLD_E_INVALID,
	                "%s:%u: %s (xl syntax: key = \"string\" or key = number)", f->path, line,
	                what);
}

int config_file_open(struct config_file *f, const char *path, struct perr *e)
{
	const char *nul;
	int r;

	memset(f, 0, sizeof(*f));
	f->path = path;
	r = config_file_slurp(f, path);
	if (r < 0)
		return r;
	if (r > 0)
		return perr_set(e, POOLD_E_INVALID,
		                "%s: over %d KiB: poold.conf is a few lines of text", path,
		                CONFIG_FILE_MAX / 1024);
	/* libxlutil 4.17's lexer asserts on a NUL inside a quoted string: the whole process aborts. */
	nul = memchr(f->text, '\0', f->len);
	if (nul != NULL)
		return perr_set(e, POOLD_E_INVALID,
		                "%s:%u: holds a NUL byte: poold.conf must be text", path,
		                config_file_line_at(f, (size_t)(nul - f->text)));
	f->report = open_memstream(&f->report_buf, &f->report_len);
	if (f->report == NULL)
		return -ENOMEM;
	f->x = xlu_cfg_init(f->report, path);
	if (f->x == NULL)
		return -ENOMEM;
	if (xlu_cfg_readdata(f->x, f->text, (int)f->len) != 0)
		return config_file_syntax(f, e);
	return 0;
}

void config_file_close(struct config_file *f)
{
	xlu_cfg_destroy(f->x);
	if (f->report != NULL)
		fclose(f->report);
	free(f->report_buf);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

unsigned config_file_line(struct config_file *f, const char *key)
{
	const char *v;
	size_t at;

	if (f->x == NULL || fflush(f->report) != 0)
		return 0;
	at = f->report_len;
	/*
	 * libxlutil keeps the line of each setting but says it only in a warning:
	 * ask for the value as the type it is not, and one of the two warns.
	 */
	if (xlu_cfg_get_list(f->x, key, NULL, NULL, 0) == 0)
		xlu_cfg_get_string(f->x, key, &v, 0);
	if (fflush(f->report) != 0 || f->report_len <= at)
		return 0;
	return config_file_report_line(f, f->report_buf + at, NULL);
}

/* Skips a quoted string from its opening quote; a backslash escapes the next byte. */
static const char *config_file_skip_string(const char *p, const char *end)
{
	char q = *p++;

	while (p < end && *p != q) {
		if (*p == '\\' && p + 1 < end)
			p++;
		p++;
	}
	return p < end ? p + 1 : end;
}

void config_file_keys(const struct config_file *f,
                      void (*fn)(void *arg, const char *key, unsigned line), void *arg)
{
	const char *p = f->text, *end = f->text + f->len;
	unsigned line = 1;
	char key[128];

	/* The file parsed: between statements are blanks, ';', comments, and KEY [+]= VALUE. */
	while (p < end) {
		const char *k = p;
		int depth = 0;

		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (!config_file_key_char(*p, true)) {
			p++;
			continue;
		}
		while (p < end && config_file_key_char(*p, false))
			p++;
		snprintf(key, sizeof(key), "%.*s", (int)(p - k), k);
		fn(arg, key, line);
		/* The value, up to the end of the statement; a list may span lines. */
		while (p < end && *p != '=')
			p++;
		for (p++; p < end; p++) {
			if (*p == '"' || *p == '\'') {
				p = config_file_skip_string(p, end) - 1;
			} else if (*p == '#') {
				while (p + 1 < end && p[1] != '\n')
					p++;
			} else if (*p == '[') {
				depth++;
			} else if (*p == ']') {
				depth--;
			} else if (*p == '\n' && depth > 0) {
				line++;
			} else if ((*p == '\n' || *p == ';') && depth <= 0) {
				break;
			}
		}
	}
}
