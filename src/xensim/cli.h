/* `xensim ctl`: the command-line client of xensim's hypervisor socket. */
#pragma once

#include <stdio.h>

/* Exit statuses of `xensim ctl`. */
enum {
	SIMCLI_EXIT_OK = 0,
	SIMCLI_EXIT_REFUSED = 1, /* xensim answered with an error */
	SIMCLI_EXIT_USAGE = 2,
	SIMCLI_EXIT_UNREACHABLE = 3, /* no xensim at the socket, or no sane reply */
};

/* Runs `xensim ctl ARGS...`; argv[0] is "ctl". Returns the exit status. */
int simcli_main(int argc, char **argv);
/* Prints the COMMANDS section of the help, one entry per command. */
void simcli_print_commands(FILE *f);
