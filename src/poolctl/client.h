/* poolctl's side of the control socket: connect, greeting, one message per line. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

struct client {
	int fd;
	FILE *in;
};

/* Connects to poold's socket; returns 0 or -errno. */
int client_connect(struct client *c, const char *path);
void client_close(struct client *c);
/* Sends one message as a line; returns 0 or -errno. */
int client_send(struct client *c, const json_t *msg);
/* Reads one message; returns 0, -EPIPE at end of stream, -EBADMSG for a line that is not JSON. */
int client_recv(struct client *c, json_t **msg);
/*
 * Checks the greeting poold sends first: its protocol must be ours.
 * Returns 0, or -1 with err saying what is wrong (poold refused us, or
 * speaks another protocol version).
 */
int client_check_greeting(json_t *msg, char *err, size_t errlen);
