/* query-commands: the command table itself, for clients, help and completion. */
#include "ctl/cmd.h"

#include <errno.h>

/* Names an argument type the way the synopses do. */
static const char *type_word(enum ctl_arg_type t)
{
	switch (t) {
	case CTL_ARG_STRING:
		return "str";
	case CTL_ARG_INT:
		return "int";
	case CTL_ARG_BOOL:
		return "bool";
	case CTL_ARG_DOMAIN:
		return "str|int";
	case CTL_ARG_OBJECT:
		return "object";
	}
	return "unknown";
}

/* Describes one command with its arguments. */
static json_t *cmd_json(const struct ctl_cmd *c)
{
	json_t *args = json_array();

	for (const struct ctl_arg *a = c->args; args != NULL && a != NULL && a->name != NULL; a++)
		json_array_append_new(args, json_pack("{s:s,s:s,s:b}", "name", a->name, "type",
		                                      type_word(a->type), "required", a->required));
	return json_pack("{s:s,s:b,s:s,s:s,s:o}", "name", c->name, "mutating",
	                 (c->flags & CTL_CMD_MUTATING) != 0, "help", c->help, "synopsis",
	                 c->synopsis, "args", args);
}

/* Lists every command in table order. */
static int cmd_query_commands(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	json_t *cmds = json_array();

	if (cmds == NULL)
		return -ENOMEM;
	for (size_t i = 0; ctl_cmd_table[i] != NULL; i++) {
		if (json_array_append_new(cmds, cmd_json(ctl_cmd_table[i])) != 0) {
			json_decref(cmds);
			return -ENOMEM;
		}
	}
	*ret = json_pack("{s:o}", "commands", cmds);
	return *ret != NULL ? 0 : -ENOMEM;
}

const struct ctl_cmd ctl_cmd_query_commands = {
    .name = "query-commands",
    .fn = cmd_query_commands,
    .help = "list the commands this daemon understands",
    .synopsis = "",
};
