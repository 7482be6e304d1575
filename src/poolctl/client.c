/* poolctl's side of the control socket: connect, greeting, one message per line. */
#include "poolctl/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "poold-protocol.h"

int client_connect(struct client *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int err;

	c->fd = -1;
	c->in = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		client_close(c);
		return -err;
	}
	/* Reading through stdio gives line framing for free; writes go to the fd. */
	c->in = fdopen(dup(c->fd), "r");
	if (c->in == NULL) {
		err = errno;
		client_close(c);
		return -err;
	}
	return 0;
}

void client_close(struct client *c)
{
	if (c->in != NULL)
		fclose(c->in);
	if (c->fd >= 0)
		close(c->fd);
	c->in = NULL;
	c->fd = -1;
}

int client_send(struct client *c, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT), *line = NULL;
	size_t len, off = 0;
	ssize_t n;
	int r = 0;

	if (text == NULL || asprintf(&line, "%s\n", text) < 0) {
		free(text);
		return -ENOMEM;
	}
	free(text);
	len = strlen(line);
	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += n;
	}
	free(line);
	return r;
}

int client_recv(struct client *c, json_t **msg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err;

	n = getline(&line, &cap, c->in);
	if (n < 0) {
		err = ferror(c->in) ? errno : EPIPE;
		free(line);
		return -err;
	}
	*msg = json_loadb(line, n, 0, NULL);
	free(line);
	return *msg != NULL && json_is_object(*msg) ? 0 : (json_decref(*msg), -EBADMSG);
}

int client_check_greeting(json_t *msg, char *err, size_t errlen)
{
	json_t *g = json_object_get(msg, "poold");
	json_t *e = json_object_get(msg, "error");
	json_int_t proto;

	if (e != NULL) {
		snprintf(err, errlen, "poold refused the connection: %s (%s)",
		         json_string_value(json_object_get(e, "desc")) ?: "no reason given",
		         json_string_value(json_object_get(e, "class")) ?: "no class");
		return -1;
	}
	if (!json_is_object(g) || !json_is_integer(json_object_get(g, "protocol"))) {
		snprintf(err, errlen, "the socket did not greet like poold: is it poold's socket?");
		return -1;
	}
	proto = json_integer_value(json_object_get(g, "protocol"));
	if (proto != POOLD_PROTOCOL_VERSION) {
		snprintf(err, errlen,
		         "poold %s speaks protocol %" JSON_INTEGER_FORMAT
		         ", this poolctl (%s) speaks %d: use the poolctl that came with that poold",
		         json_string_value(json_object_get(g, "version")) ?: "?", proto,
		         POOLD_VERSION, POOLD_PROTOCOL_VERSION);
		return -1;
	}
	return 0;
}
