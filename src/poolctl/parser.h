/* poolctl's grammar: one table of commands, turned into protocol requests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* How a positional word becomes an argument. */
enum parser_word {
	PARSER_STR,
	PARSER_DOMAIN, /* all digits: a domid (integer); else a name */
};

/* A KEY=VALUE word: `key` on the command line, `arg` in the request. */
struct parser_kw {
	const char *key;
	const char *arg;
	bool integer;
};

/* Which combinations of KEY=VALUE words a command accepts. */
#define PARSER_CPUS_ONE 0x1  /* exactly one of ncpu= and cpu= */
#define PARSER_CPUS_MAX 0x2  /* at most one of ncpu= and cpu= */
#define PARSER_KW_SOME  0x4  /* at least one KEY=VALUE */
#define PARSER_POS_OPT  0x8  /* the positional words may be left out */
#define PARSER_DRY      0x10 /* takes --dry-run: the plan only ("dry_run": true) */

/* What the text output shows for a command's reply. */
enum parser_show {
	SHOW_POOL_LIST,
	SHOW_DOMAIN_LIST,
	SHOW_STATUS,
	SHOW_POOL_CREATED,
	SHOW_POOL_MODIFIED,
	SHOW_POOL_DESTROYED,
	SHOW_MIGRATED,
	SHOW_MIGRATED_ALL,
	SHOW_POOL_RENAMED,
	SHOW_DOMAIN_SET,
	SHOW_LOG_LEVEL,
	SHOW_MONITOR,
	SHOW_TOP,    /* frames, one request each (poolctl top) */
	SHOW_APPLY,  /* apply FILE: the file read and sent as "layout"; the plan */
	SHOW_EXPORT, /* the layout itself, as apply reads it */
	SHOW_HELP,   /* poolctl's own: no request is sent */
};

struct parser_cmd {
	const char *name;    /* the word a user types */
	const char *execute; /* the protocol command; NULL: poolctl answers itself (help) */
	const char *usage;   /* the arguments, as the usage shows them */
	const char *help;
	const char *pos[2]; /* request names of the positional words */
	enum parser_word pos_type[2];
	const struct parser_kw *kw; /* NULL-terminated, or NULL */
	const char *flag;           /* a --FLAG word that sets the boolean argument of its name */
	unsigned rules;
	enum parser_show show;
	/*
	 * NULL for a command's first form; else the --FORM word that selects this
	 * entry, a second form of the command of the same name just before it.
	 */
	const char *form;
};

/* Every command and form, NULL-name-terminated, in the order usage lists them. */
extern const struct parser_cmd parser_cmds[];

/* top's own options: -b, -n N, -d SECS (poolctl's, never sent to poold). */
#define PARSER_TOP_DELAY_DEFAULT 3.0
struct parser_top {
	bool batch;
	unsigned long frames; /* 0: until interrupted */
	double delay;         /* seconds between frames */
};

/* A request ready to send. */
struct parser_request {
	const struct parser_cmd *cmd;
	json_t *args; /* owned */
	struct parser_top top;
};

/*
 * Turns COMMAND [ARGS] into a request. Accepts unique prefixes of command
 * names. Returns 0, or -1 with err saying what was wrong (a usage error).
 */
int parser_parse(int argc, char **argv, struct parser_request *req, char *err, size_t errlen);
void parser_request_fini(struct parser_request *req);
/*
 * For completion (poolctl --commands): with cmd NULL prints every command
 * name, one per line; else the KEY= and --FLAG words of the command named
 * exactly cmd, one line per choice: the command takes at most one word of a
 * line (cpu= and cpus= are one argument; ncpu= excludes both), then the
 * --FORM word of each of its other forms. Returns 0, or -1 when there is no
 * such command.
 */
int parser_print_words(FILE *f, const char *cmd);
/*
 * Shows the help of poolctl help [COMMAND] from the table: with name NULL
 * every command with its usage and one line; else that command's usage,
 * description, arguments and protocol command, form by form. json writes the
 * same as one object ({"commands": [...]} for the list, and for a command of
 * several forms). Returns 0, or -1 with err saying so when no command (or more
 * than one) has that name or prefix.
 */
int parser_print_help(FILE *f, const char *name, bool json, char *err, size_t errlen);
/* Builds the request line's object: {"execute", "arguments", "id"}; takes nothing. */
json_t *parser_request_json(const struct parser_request *req, int id);
