/* poolctl's grammar: one table of commands, turned into protocol requests. */
#include "poolctl/parser.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct parser_kw kw_pool[] = {
    {"ncpu", "ncpu", true},    {"cpu", "cpus", false},
    {"cpus", "cpus", false}, /* a synonym: both spellings are natural */
    {"nodes", "nodes", false}, {"node", "nodes", false},
    {"cap", "cap", true},      {"share", "share", false},
    {NULL, NULL, false},
};

static const struct parser_kw kw_domain[] = {
    {"weight", "weight", true},
    {"cap", "cap", true},
    {NULL, NULL, false},
};

const struct parser_cmd parser_cmds[] = {
    {"pool-create",
     "pool-create",
     "NAME ncpu=N | cpu=LIST | nodes=LIST [cap=C] [share=auto|off] [--dry-run]",
     "create a pool of N pCPUs, of the listed ones or of those of NUMA nodes, taken from pool0",
     {"name"},
     {PARSER_STR},
     kw_pool,
     NULL,
     PARSER_CPUS_ONE | PARSER_DRY,
     SHOW_POOL_CREATED,
     NULL},
    {"pool-list",
     "pool-list",
     "",
     "list pools with their pCPUs, scheduler, share controller and domains",
     {NULL},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_POOL_LIST,
     NULL},
    {"pool-modify",
     "pool-modify",
     "NAME ncpu=N | cpu=LIST | nodes=LIST | cap=C | share=auto|off [--dry-run]",
     "resize a pool live (pCPUs come from and go back to pool0), change its cap or share "
     "setting",
     {"name"},
     {PARSER_STR},
     kw_pool,
     NULL,
     PARSER_CPUS_MAX | PARSER_KW_SOME | PARSER_DRY,
     SHOW_POOL_MODIFIED,
     NULL},
    {"pool-destroy",
     "pool-destroy",
     "NAME [--force] [--dry-run]",
     "destroy a pool; --force moves its domains to pool0 first",
     {"name"},
     {PARSER_STR},
     NULL,
     "force",
     PARSER_DRY,
     SHOW_POOL_DESTROYED,
     NULL},
    {"pool-migrate",
     "pool-migrate",
     "DOMAIN POOL [--dry-run]",
     "move a live domain (name or id) to a pool",
     {"domain", "pool"},
     {PARSER_DOMAIN, PARSER_STR},
     NULL,
     NULL,
     PARSER_DRY,
     SHOW_MIGRATED,
     NULL},
    {"pool-migrate",
     "pool-migrate-all",
     "--all FROM POOL [--dry-run]",
     "move every domain of pool FROM to POOL as one change; dom0 stays in pool0",
     {"from", "pool"},
     {PARSER_STR, PARSER_STR},
     NULL,
     NULL,
     PARSER_DRY,
     SHOW_MIGRATED_ALL,
     "all"},
    {"pool-rename",
     "pool-rename",
     "NAME NEW_NAME [--dry-run]",
     "rename a pool; its id, pCPUs, cap and domains stay, and so do the wishes for it",
     {"name", "new_name"},
     {PARSER_STR, PARSER_STR},
     NULL,
     NULL,
     PARSER_DRY,
     SHOW_POOL_RENAMED,
     NULL},
    {"domain-list",
     "domain-list",
     "",
     "list domains with their pool, weight, cap and CPU use",
     {NULL},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_DOMAIN_LIST,
     NULL},
    {"domain-set",
     "domain-set",
     "DOMAIN [weight=W] [cap=C] [--dry-run]",
     "set a domain's weight (1..65535) and cap (% of one pCPU, 0 = none) in its pool",
     {"domain"},
     {PARSER_DOMAIN},
     kw_domain,
     NULL,
     PARSER_KW_SOME | PARSER_DRY,
     SHOW_DOMAIN_SET,
     NULL},
    {"status",
     "status",
     "",
     "show poold's version, backend and counters",
     {NULL},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_STATUS,
     NULL},
    {"log-level",
     "log-level",
     "LEVEL",
     "set poold's log level: err warning notice info debug",
     {"level"},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_LOG_LEVEL,
     NULL},
    {"monitor",
     "subscribe",
     "",
     "print poold's events until interrupted",
     {NULL},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_MONITOR,
     NULL},
    {"top",
     "top",
     "[-b] [-n N] [-d SECS]",
     "show CPU use per pool and per domain, refreshed every SECS (3); -b: batch frames, -n: "
     "N frames then exit",
     {NULL},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_TOP,
     NULL},
    {"apply",
     "apply",
     "FILE [--dry-run]",
     "apply a layout file (- for stdin) as one change: its pools, their pCPUs and caps, its "
     "domains' pools, weights and caps; --dry-run prints the plan and changes nothing",
     {"layout"},
     {PARSER_STR},
     NULL,
     NULL,
     PARSER_DRY,
     SHOW_APPLY,
     NULL},
    {"export",
     "export",
     "",
     "print the pools and domains as a layout file that apply takes back unchanged",
     {NULL},
     {PARSER_STR},
     NULL,
     NULL,
     0,
     SHOW_EXPORT,
     NULL},
    {"help",
     NULL,
     "[COMMAND]",
     "list the commands, or show one command's usage, arguments and description",
     {"command"},
     {PARSER_STR},
     NULL,
     NULL,
     PARSER_POS_OPT,
     SHOW_HELP,
     NULL},
    {NULL, NULL, NULL, NULL, {NULL}, {PARSER_STR}, NULL, NULL, 0, SHOW_STATUS, NULL},
};

/* Lists every command name, for the message about an unknown or ambiguous one. */
static void names(char *buf, size_t len, const char *prefix)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct parser_cmd *c = parser_cmds; c->name != NULL; c++) {
		if (c->form != NULL || strncmp(c->name, prefix, strlen(prefix)) != 0)
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", c->name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += n;
	}
}

/* Finds a command by name or by a prefix that only one command has. */
static const struct parser_cmd *find(const char *word, char *err, size_t errlen)
{
	const struct parser_cmd *found = NULL;
	size_t n = strlen(word), matches = 0;
	char list[256];

	for (const struct parser_cmd *c = parser_cmds; c->name != NULL; c++) {
		/* A second form is chosen by its --FORM word, once the command is found. */
		if (c->form != NULL)
			continue;
		if (strcmp(c->name, word) == 0)
			return c;
		if (n > 0 && strncmp(c->name, word, n) == 0) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1) {
		names(list, sizeof(list), word);
		snprintf(err, errlen, "'%s' is ambiguous: %s", word, list);
	} else {
		names(list, sizeof(list), "");
		snprintf(err, errlen, "unknown command '%s'; commands: %s", word, list);
	}
	return NULL;
}

/* Parses a whole decimal integer, sign allowed: poold says what range is valid. */
static int parse_int(const char *s, json_int_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}

/* Turns a positional word into its argument value. */
static json_t *word_value(enum parser_word type, const char *w)
{
	json_int_t id;

	if (type == PARSER_DOMAIN && strspn(w, "0123456789") == strlen(w) && parse_int(w, &id) == 0)
		return json_integer(id);
	return json_string(w);
}

/* Adds KEY=VALUE to args. */
static int parse_kw(const struct parser_cmd *c, const char *word, json_t *args, char *err,
                    size_t errlen)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq - word;
	const struct parser_kw *k;
	json_int_t v;
	json_t *val;

	for (k = c->kw; k != NULL && k->key != NULL; k++)
		if (strlen(k->key) == klen && strncmp(k->key, word, klen) == 0)
			break;
	if (k == NULL || k->key == NULL) {
		snprintf(err, errlen, "%s: unknown setting '%.*s'", c->name, (int)klen, word);
		return -1;
	}
	if (json_object_get(args, k->arg) != NULL) {
		snprintf(err, errlen, "%s: %s given twice", c->name, k->arg);
		return -1;
	}
	if (eq[1] == '\0') {
		snprintf(err, errlen, "%s: %s= needs a value", c->name, k->key);
		return -1;
	}
	if (k->integer) {
		if (parse_int(eq + 1, &v) < 0) {
			snprintf(err, errlen, "%s: %s=%s: %s must be a whole number", c->name,
			         k->key, eq + 1, k->key);
			return -1;
		}
		val = json_integer(v);
	} else {
		val = json_string(eq + 1);
	}
	if (val == NULL) {
		snprintf(err, errlen, "%s: %s is not valid text", c->name, k->key);
		return -1;
	}
	json_object_set_new(args, k->arg, val);
	return 0;
}

/* Checks the combinations a command's rules ask for. */
static int check_rules(const struct parser_cmd *c, json_t *args, char *err, size_t errlen)
{
	int ways = (json_object_get(args, "ncpu") != NULL) +
	           (json_object_get(args, "cpus") != NULL) +
	           (json_object_get(args, "nodes") != NULL);
	size_t nkw = 0;

	for (const struct parser_kw *k = c->kw; k != NULL && k->key != NULL; k++)
		if (json_object_get(args, k->arg) != NULL)
			nkw++;
	if ((c->rules & (PARSER_CPUS_ONE | PARSER_CPUS_MAX)) && ways > 1) {
		snprintf(err, errlen, "%s: give one of ncpu=N, cpu=LIST or nodes=LIST", c->name);
		return -1;
	}
	if ((c->rules & PARSER_CPUS_ONE) && ways == 0) {
		snprintf(
		    err, errlen,
		    "%s: give ncpu=N (how many pCPUs), cpu=LIST (which ones) or nodes=LIST (those "
		    "of NUMA nodes)",
		    c->name);
		return -1;
	}
	if ((c->rules & PARSER_KW_SOME) && nkw == 0) {
		snprintf(err, errlen, "%s: nothing to change", c->name);
		return -1;
	}
	return 0;
}

/*
 * Takes top's option at argv[*i] (-b, -n N, -d SECS; -nN and -dSECS too).
 * Returns 1 if it was one, 0 if it is not top's, -1 with err for a bad value.
 */
static int top_option(int argc, char **argv, int *i, struct parser_top *t, char *err, size_t errlen)
{
	const char *w = argv[*i], *v;
	char *end;

	if (strcmp(w, "-b") == 0) {
		t->batch = true;
		return 1;
	}
	if (strncmp(w, "-n", 2) != 0 && strncmp(w, "-d", 2) != 0)
		return 0;
	if (w[2] != '\0') {
		v = w + 2;
	} else if (*i + 1 < argc) {
		v = argv[++*i];
	} else {
		snprintf(err, errlen, "top: %s needs a value", w);
		return -1;
	}
	errno = 0;
	if (w[1] == 'n') {
		unsigned long n = strtoul(v, &end, 10);

		if (errno != 0 || end == v || *end != '\0' || n == 0 || v[0] == '-') {
			snprintf(err, errlen, "top: -n %s: give the number of frames, 1 or more",
			         v);
			return -1;
		}
		t->frames = n;
	} else {
		double d = strtod(v, &end);

		if (errno != 0 || end == v || *end != '\0' || !(d >= 0.1 && d <= 3600)) {
			snprintf(err, errlen,
			         "top: -d %s: give seconds between frames, 0.1 to 3600", v);
			return -1;
		}
		t->delay = d;
	}
	return 1;
}

/* The form of c that the word w (--FORM) selects; NULL when w selects none. */
static const struct parser_cmd *form_of(const struct parser_cmd *c, const char *w)
{
	if (strncmp(w, "--", 2) != 0)
		return NULL;
	for (const struct parser_cmd *f = c + 1; f->name != NULL && f->form != NULL; f++)
		if (strcmp(f->form, w + 2) == 0)
			return f;
	return NULL;
}

int parser_parse(int argc, char **argv, struct parser_request *req, char *err, size_t errlen)
{
	int form_at = 0;
	const struct parser_cmd *c;
	size_t npos = 0, want = 0;
	json_t *v;

	memset(req, 0, sizeof(*req));
	if (argc < 1) {
		snprintf(err, errlen, "no command given");
		return -1;
	}
	c = find(argv[0], err, errlen);
	if (c == NULL)
		return -1;
	/* A --FORM word anywhere after the command makes the rest that form's words. */
	for (int i = 1; i < argc && form_at == 0; i++) {
		const struct parser_cmd *f = form_of(c, argv[i]);

		if (f != NULL) {
			c = f;
			form_at = i;
		}
	}
	req->cmd = c;
	req->args = json_object();
	if (req->args == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	req->top.delay = PARSER_TOP_DELAY_DEFAULT;
	while (want < 2 && c->pos[want] != NULL)
		want++;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		int r =
		    c->show == SHOW_TOP ? top_option(argc, argv, &i, &req->top, err, errlen) : 0;

		if (r < 0)
			return -1;
		if (r > 0 || i == form_at)
			continue;
		if (w[0] == '-' && w[1] == '-' && c->flag != NULL && strcmp(&w[2], c->flag) == 0) {
			json_object_set_new(req->args, c->flag, json_true());
		} else if (strcmp(w, "--dry-run") == 0 && (c->rules & PARSER_DRY)) {
			json_object_set_new(req->args, "dry_run", json_true());
		} else if (w[0] == '-' && w[1] != '\0' &&
		           strspn(w + 1, "0123456789") != strlen(w + 1)) {
			snprintf(err, errlen, "%s: unknown option '%s'", c->name, w);
			return -1;
		} else if (c->kw != NULL && strchr(w, '=') != NULL) {
			if (parse_kw(c, w, req->args, err, errlen) < 0)
				return -1;
		} else if (npos < want) {
			v = word_value(c->pos_type[npos], w);
			if (v == NULL) {
				snprintf(err, errlen, "%s: '%s' is not valid text", c->name, w);
				return -1;
			}
			json_object_set_new(req->args, c->pos[npos++], v);
		} else {
			snprintf(err, errlen, "%s: unexpected '%s'", c->name, w);
			return -1;
		}
	}
	if (npos < want && !(c->rules & PARSER_POS_OPT)) {
		snprintf(err, errlen, "%s needs %s", c->name, c->usage);
		return -1;
	}
	return check_rules(c, req->args, err, errlen);
}

/* Whether k is a way to choose the pCPUs: ncpu= (how many), cpu= (which), nodes= (whose). */
static bool kw_is_cpus(const struct parser_kw *k)
{
	return strcmp(k->arg, "ncpu") == 0 || strcmp(k->arg, "cpus") == 0 ||
	       strcmp(k->arg, "nodes") == 0;
}

/* Whether c takes at most one of a and b: two spellings of one argument, or two of ncpu=,
 * cpu= and nodes=. */
static bool kw_one_choice(const struct parser_cmd *c, const struct parser_kw *a,
                          const struct parser_kw *b)
{
	if (strcmp(a->arg, b->arg) == 0)
		return true;
	return (c->rules & (PARSER_CPUS_ONE | PARSER_CPUS_MAX)) && kw_is_cpus(a) && kw_is_cpus(b);
}

/*
 * Prints, on one line, the KEY= words of c that are one choice with k, when k is the
 * first of them: completion drops the whole line once one of its words is given.
 */
static void print_choice(FILE *f, const struct parser_cmd *c, const struct parser_kw *k)
{
	const char *sep = "";

	for (const struct parser_kw *o = c->kw; o != k; o++)
		if (kw_one_choice(c, o, k))
			return;
	for (const struct parser_kw *o = k; o->key != NULL; o++) {
		if (kw_one_choice(c, o, k)) {
			fprintf(f, "%s%s=", sep, o->key);
			sep = " ";
		}
	}
	fputc('\n', f);
}

int parser_print_words(FILE *f, const char *cmd)
{
	const struct parser_cmd *c;

	for (c = parser_cmds; c->name != NULL; c++) {
		if (c->form != NULL)
			continue;
		if (cmd == NULL)
			fprintf(f, "%s\n", c->name);
		else if (strcmp(c->name, cmd) == 0)
			break;
	}
	if (cmd == NULL)
		return 0;
	if (c->name == NULL)
		return -1;
	for (const struct parser_kw *k = c->kw; k != NULL && k->key != NULL; k++)
		print_choice(f, c, k);
	if (c->flag != NULL)
		fprintf(f, "--%s\n", c->flag);
	if (c->rules & PARSER_DRY)
		fprintf(f, "--dry-run\n");
	if (c->show == SHOW_TOP)
		fprintf(f, "-b\n-n\n-d\n");
	for (const struct parser_cmd *o = c + 1; o->name != NULL && o->form != NULL; o++)
		fprintf(f, "--%s\n", o->form);
	return 0;
}

/* Says what a positional word is, from the request name it fills. */
static const char *pos_what(const char *arg, enum parser_word type)
{
	if (type == PARSER_DOMAIN)
		return "a domain name, or a domid (all digits)";
	if (strcmp(arg, "name") == 0 || strcmp(arg, "pool") == 0 || strcmp(arg, "from") == 0)
		return "a pool name";
	if (strcmp(arg, "new_name") == 0)
		return "the pool's new name: 1 to 64 of A-Z a-z 0-9 _ . -";
	if (strcmp(arg, "level") == 0)
		return "err, warning, notice, info or debug";
	if (strcmp(arg, "command") == 0)
		return "a command name (a unique prefix will do)";
	if (strcmp(arg, "layout") == 0)
		return "a layout file, - for stdin: poolctl reads it and sends its object";
	return "text";
}

/* Describes c's words as JSON: {"word", "argument", "type", "what"} each. */
static json_t *help_args_json(const struct parser_cmd *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < 2 && c->pos[i] != NULL; i++) {
		char word[32];
		size_t n = 0;

		/* As the usage writes it: NAME, DOMAIN, POOL; apply's layout is a FILE. */
		for (; c->pos[i][n] != '\0' && n + 1 < sizeof(word); n++)
			word[n] = (char)toupper((unsigned char)c->pos[i][n]);
		word[n] = '\0';
		if (strcmp(c->pos[i], "layout") == 0)
			snprintf(word, sizeof(word), "FILE");
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:s}", "word", word, "argument", c->pos[i], "type",
		                 c->pos_type[i] == PARSER_DOMAIN ? "str|int" : "str", "what",
		                 pos_what(c->pos[i], c->pos_type[i])));
	}
	for (const struct parser_kw *k = c->kw; a != NULL && k != NULL && k->key != NULL; k++) {
		char word[64];

		snprintf(word, sizeof(word), "%s=", k->key);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "word", word, "argument",
		                                   k->arg, "type", k->integer ? "int" : "str",
		                                   "what", k->integer ? "a whole number" : "text"));
	}
	if (a != NULL && c->flag != NULL) {
		char word[64];

		snprintf(word, sizeof(word), "--%s", c->flag);
		json_array_append_new(a,
		                      json_pack("{s:s,s:s,s:s,s:s}", "word", word, "argument",
		                                c->flag, "type", "bool", "what", "a flag: true"));
	}
	if (a != NULL && (c->rules & PARSER_DRY))
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "word", "--dry-run",
		                                   "argument", "dry_run", "type", "bool", "what",
		                                   "the plan only: nothing is changed"));
	return a;
}

/* One command as poolctl help --json shows it. */
static json_t *help_json(const struct parser_cmd *c)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "name", c->name, "usage", c->usage, "help",
	                 c->help, "execute",
	                 c->execute != NULL ? json_string(c->execute) : json_null(), "arguments",
	                 help_args_json(c));
}

/* Prints one command's help as text: usage, description, words. */
static void help_text(FILE *f, const struct parser_cmd *c)
{
	json_t *a = help_args_json(c), *v;
	size_t i;

	fprintf(f, "usage: poolctl [OPTIONS] %s%s%s\n\n%s\n", c->name, c->usage[0] ? " " : "",
	        c->usage, c->help);
	if (json_array_size(a) > 0)
		fprintf(f, "\narguments:\n");
	json_array_foreach (a, i, v) {
		const char *word = json_string_value(json_object_get(v, "word"));
		const char *arg = json_string_value(json_object_get(v, "argument"));
		const char *what = json_string_value(json_object_get(v, "what"));

		if (c->execute != NULL)
			fprintf(f, "  %-10s %s (\"%s\" in the request)\n", word, what, arg);
		else
			fprintf(f, "  %-10s %s\n", word, what);
	}
	if (c->execute != NULL)
		fprintf(f, "\nsends %s; poolctl(8) lists the fields of its reply\n", c->execute);
	json_decref(a);
}

int parser_print_help(FILE *f, const char *name, bool json, char *err, size_t errlen)
{
	const struct parser_cmd *c = NULL;
	json_t *o;

	if (name != NULL && (c = find(name, err, errlen)) == NULL)
		return -1;
	if (json) {
		if (c != NULL && c[1].form != NULL) {
			/* A command of several forms: each of them, as the list has them. */
			o = json_array();
			for (const struct parser_cmd *k = c;
			     o != NULL && k->name != NULL && (k == c || k->form != NULL); k++)
				json_array_append_new(o, help_json(k));
			o = json_pack("{s:o}", "commands", o);
		} else if (c != NULL) {
			o = help_json(c);
		} else {
			o = json_array();
			for (c = parser_cmds; o != NULL && c->name != NULL; c++)
				json_array_append_new(o, help_json(c));
			o = json_pack("{s:o}", "commands", o);
		}
		json_dumpf(o, f, JSON_INDENT(2));
		fputc('\n', f);
		json_decref(o);
		return 0;
	}
	if (c != NULL) {
		help_text(f, c);
		for (const struct parser_cmd *k = c + 1; k->name != NULL && k->form != NULL; k++) {
			fputc('\n', f);
			help_text(f, k);
		}
		return 0;
	}
	for (c = parser_cmds; c->name != NULL; c++)
		fprintf(f, "  %s%s%s\n        %s\n", c->name, c->usage[0] ? " " : "", c->usage,
		        c->help);
	return 0;
}

void parser_request_fini(struct parser_request *req)
{
	json_decref(req->args);
	req->args = NULL;
}

json_t *parser_request_json(const struct parser_request *req, int id)
{
	return json_pack("{s:s,s:O,s:i}", "execute", req->cmd->execute, "arguments", req->args,
	                 "id", id);
}
