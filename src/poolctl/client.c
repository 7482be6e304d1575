/* poolctl's side of the control socket: connect, greeting, one message per line. */
#include "poolctl/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "poold-protocol.h"

int64_t client_deadline(unsigned timeout_ms)
{
	struct timespec ts;

	if (timeout_ms == 0)
		return CLIENT_NEVER;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
}

/* The ms left until deadline, for poll(): -1 for none, 0 once it passed. */
static int client_left(int64_t deadline)
{
	struct timespec ts;
	int64_t now;

	if (deadline == CLIENT_NEVER)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now >= deadline)
		return 0;
	return deadline - now > INT32_MAX ? INT32_MAX : (int)(deadline - now);
}

int client_connect(struct client *c, const char *path, int64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int left = client_left(deadline), err;
	struct timeval tv = {left / 1000, (left % 1000) * 1000};

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/*
	 * A Unix connect() blocks while the listener's backlog is full and
	 * gives up after SO_SNDTIMEO (EAGAIN); the same bound then covers send().
	 */
	if (left == 0 ||
	    (left > 0 && setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) {
		err = left == 0 ? ETIMEDOUT : errno;
		client_close(c);
		return -err;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN || errno == EINPROGRESS ? ETIMEDOUT : errno;
		client_close(c);
		return -err;
	}
	return 0;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
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
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		off += n;
	}
	free(line);
	return r;
}

/* Takes the first line out of the buffer and decodes it. */
static int client_take_line(struct client *c, char *nl, json_t **msg)
{
	size_t n = (size_t)(nl - c->buf);

	*msg = json_loadb(c->buf, n, 0, NULL);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (*msg != NULL && json_is_object(*msg))
		return 0;
	json_decref(*msg);
	*msg = NULL;
	return -EBADMSG;
}

int client_recv(struct client *c, json_t **msg, size_t max, int64_t deadline)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	size_t scanned = 0;
	char *nl;
	ssize_t n;
	int left;

	*msg = NULL;
	for (;;) {
		nl = c->len > scanned ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
		if (nl != NULL)
			return (size_t)(nl - c->buf) > max ? -EMSGSIZE
			                                   : client_take_line(c, nl, msg);
		scanned = c->len;
		if (c->len > max)
			return -EMSGSIZE;
		left = client_left(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		/* Room for a read; never more than one line past max can need. */
		if (c->cap - c->len < 65536 && c->cap < max + 65537) {
			size_t cap =
			    c->cap * 2 + 65536 < max + 65537 ? c->cap * 2 + 65536 : max + 65537;
			char *b = realloc(c->buf, cap);

			if (b == NULL)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0)
			return -errno;
		if (n == 0)
			return c->len > 0 ? -EPROTO : -EPIPE;
		c->len += (size_t)n;
	}
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
