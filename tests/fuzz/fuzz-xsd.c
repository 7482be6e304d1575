/*
 * Fuzz target for xensim's xenstore server: the input is what a client sends on one connection
 * (xs_wire.h frames, or garbage). A fresh in-process server on a Unix socket serves it; every
 * complete request must get exactly one reply, in order, and the tree, watch and transaction
 * bookkeeping must hold before and after the client goes away.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <xen/io/xs_wire.h>

#include "fuzz.h"
#include "util/log.h"
#include "xensim/xsd-int.h"

/* Bytes handed to the server per turn of the loop, so one turn never queues a huge reply. */
#define CHUNK        512
/* Turns of the loop without progress before the server counts as stuck. */
#define STALL_MAX    20000
/* The server drops a client with over 1 MiB unread; past this much output that is fair. */
#define BACKLOG_FAIR (512 * 1024)

/* The requests of the input the server must answer, in order. */
struct expect {
	uint32_t *ids, *types;
	size_t n;
	bool dropped; /* an oversized header: the server closes without answering the rest */
};

/* The client's side: the reply stream being parsed. */
struct client {
	int fd;
	uint8_t buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t have;
	size_t replies;
	size_t total;
	bool eof;
};

/* Lists the complete frames of the input, the way the server splits them. */
static void expect_of(const uint8_t *data, size_t size, struct expect *x)
{
	size_t off = 0;

	x->ids = calloc(size / sizeof(struct xsd_sockmsg) + 1, sizeof(uint32_t));
	x->types = calloc(size / sizeof(struct xsd_sockmsg) + 1, sizeof(uint32_t));
	FUZZ_CHECK(x->ids && x->types, "out of memory");
	x->n = 0;
	x->dropped = false;
	while (size - off >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg h;

		memcpy(&h, data + off, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX) {
			x->dropped = true;
			return;
		}
		if (size - off - sizeof(h) < h.len)
			return;
		x->ids[x->n] = h.req_id;
		x->types[x->n++] = h.type;
		off += sizeof(h) + h.len;
	}
}

/* Checks one message from the server: a watch event, or the reply to the next request. */
static void check_msg(const struct xsd_sockmsg *h, const uint8_t *body, const struct expect *x,
                      struct client *cl)
{
	if (h->type == XS_WATCH_EVENT) {
		size_t nuls = 0;

		for (size_t i = 0; i < h->len; i++)
			nuls += body[i] == '\0';
		FUZZ_CHECK(h->len > 0 && body[h->len - 1] == '\0' && nuls == 2,
		           "a watch event is not path NUL token NUL");
		return;
	}
	FUZZ_CHECK(cl->replies < x->n, "a reply (type %u id %u) to no request", h->type, h->req_id);
	FUZZ_CHECK(h->req_id == x->ids[cl->replies], "reply %zu has id %u, not %u", cl->replies,
	           h->req_id, x->ids[cl->replies]);
	FUZZ_CHECK(h->type == x->types[cl->replies] || h->type == XS_ERROR,
	           "reply %zu has type %u to a request of type %u", cl->replies, h->type,
	           x->types[cl->replies]);
	if (h->type == XS_ERROR)
		FUZZ_CHECK(h->len > 1 && body[h->len - 1] == '\0' && body[0] == 'E',
		           "an error reply is not an errno name");
	cl->replies++;
}

/* Reads what the server sent and checks each complete message. */
static void client_read(struct client *cl, const struct expect *x)
{
	for (;;) {
		ssize_t r = read(cl->fd, cl->buf + cl->have, sizeof(cl->buf) - cl->have);
		struct xsd_sockmsg h;

		if (r == 0) {
			cl->eof = true;
			return;
		}
		if (r < 0) {
			FUZZ_CHECK(errno == EAGAIN || errno == ECONNRESET, "read: %s",
			           strerror(errno));
			cl->eof = errno == ECONNRESET;
			return;
		}
		cl->have += (size_t)r;
		cl->total += (size_t)r;
		while (cl->have >= sizeof(h)) {
			size_t whole;

			memcpy(&h, cl->buf, sizeof(h));
			FUZZ_CHECK(h.len <= XENSTORE_PAYLOAD_MAX,
			           "a %u-byte payload from the server", h.len);
			whole = sizeof(h) + h.len;
			if (cl->have < whole)
				break;
			check_msg(&h, cl->buf + sizeof(h), x, cl);
			memmove(cl->buf, cl->buf + whole, cl->have - whole);
			cl->have -= whole;
		}
	}
}

/* Walks the tree below path: every node readable, owned, validly named; returns the count. */
static size_t walk(struct xsd_tree *t, const char *path)
{
	const struct xsd_perm *perms;
	const char *data;
	char *names = NULL;
	size_t len, nperms, count = 1;

	FUZZ_CHECK(xsd_path_valid(path), "node \"%s\" has an invalid path", path);
	FUZZ_CHECK(xsd_tree_read(t, path, &data, &len) == 0, "node %s does not read", path);
	FUZZ_CHECK(xsd_tree_get_perms(t, path, &perms, &nperms) == 0 && nperms >= 1,
	           "node %s has no owner", path);
	FUZZ_CHECK(strchr("nrwb", perms[0].mode) != NULL, "node %s has mode %c", path,
	           perms[0].mode);
	FUZZ_CHECK(xsd_tree_directory(t, path, &names, &len, NULL) == 0, "node %s does not list",
	           path);
	FUZZ_CHECK(len == 0 || names[len - 1] == '\0', "listing of %s is not terminated", path);
	for (size_t off = 0; off < len; off += strlen(names + off) + 1) {
		const char *name = names + off;
		char *child;

		FUZZ_CHECK(name[0] != '\0' && strchr(name, '/') == NULL,
		           "node %s has a child named \"%s\"", path, name);
		if (asprintf(&child, "%s/%s", strcmp(path, "/") ? path : "", name) < 0)
			abort();
		count += walk(t, child);
		free(child);
	}
	free(names);
	return count;
}

/* Checks a tree: everything reachable from "/" and nothing else. */
static void check_tree(struct xsd_tree *t, const char *what)
{
	size_t n = walk(t, "/");

	FUZZ_CHECK(n == xsd_tree_count(t), "%s: %zu nodes reachable, %zu counted", what, n,
	           xsd_tree_count(t));
}

/* Checks the server's bookkeeping of its one connection against the lists it keeps. */
static void check_conn(struct xsd *x)
{
	struct xsd_conn *c = x->conns;
	size_t nw = 0, nt = 0;

	FUZZ_CHECK(x->nconns == 1 && c != NULL && c->next == NULL && !c->dead,
	           "%u connections for one client", x->nconns);
	for (struct xsd_watch *w = c->watches; w; w = w->next)
		nw++;
	for (struct xsd_tx *tx = c->txs; tx; tx = tx->next) {
		FUZZ_CHECK(tx->id != 0, "a transaction with id 0");
		check_tree(tx->tree, "a transaction's snapshot");
		nt++;
	}
	FUZZ_CHECK(nw == c->nwatches && nw == x->nwatches, "%zu watches listed, %zu/%u counted", nw,
	           c->nwatches, x->nwatches);
	FUZZ_CHECK(nt == c->ntxs, "%zu transactions listed, %zu counted", nt, c->ntxs);
	check_tree(x->tree, "the live tree");
}

/* Turns the event loop until done() or the server stops making progress. */
static void pump(struct event_base *base, struct client *cl, const struct expect *x,
                 const uint8_t *data, size_t size, size_t *sent, bool until_eof)
{
	for (unsigned stall = 0; stall < STALL_MAX; stall++) {
		size_t before = cl->total + *sent;

		if (*sent < size) {
			size_t n = size - *sent < CHUNK ? size - *sent : CHUNK;
			ssize_t w = send(cl->fd, data + *sent, n, MSG_NOSIGNAL);

			if (w > 0)
				*sent += (size_t)w;
			else
				FUZZ_CHECK(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET,
				           "send: %s", strerror(errno));
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		client_read(cl, x);
		if (cl->eof)
			return;
		if (!until_eof && *sent == size && cl->replies == x->n)
			return;
		if (cl->total + *sent != before)
			stall = 0;
	}
	FUZZ_CHECK(false, "the server is stuck: %zu of %zu bytes sent, %zu of %zu replies", *sent,
	           size, cl->replies, x->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	static struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct client *cl;
	struct expect x;
	struct xsd *xsd;
	size_t sent = 0;
	int r;

	log_init("fuzz-xsd", LOG_LEVEL_ERR);
	if (base == NULL) {
		base = event_base_new();
		FUZZ_CHECK(base != NULL, "event_base_new failed");
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/xs.sock", fuzz_tmpdir());
	}
	r = xsd_new(&xsd, base, sun.sun_path);
	FUZZ_CHECK(r == 0, "xsd_new: %s", strerror(-r));
	cl = calloc(1, sizeof(*cl));
	FUZZ_CHECK(cl != NULL, "out of memory");
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(cl->fd >= 0 && connect(cl->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	           "connect: %s", strerror(errno));
	expect_of(data, size, &x);

	/* A connection the server must drop is followed to its end, lost replies and all. */
	pump(base, cl, &x, data, size, &sent, x.dropped);
	if (cl->eof) {
		/* Only a header over the limit, or a client that let 1 MiB pile up, is dropped. */
		FUZZ_CHECK(x.dropped || cl->total >= BACKLOG_FAIR,
		           "the server closed after %zu of %zu replies", cl->replies, x.n);
	} else {
		FUZZ_CHECK(cl->have == 0, "a partial message after the last reply");
		check_conn(xsd);
		shutdown(cl->fd, SHUT_WR);
		pump(base, cl, &x, data, size, &sent, true);
	}
	/* The client has gone: its watches and transactions must have gone with it. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	FUZZ_CHECK(xsd->nconns == 0 && xsd->conns == NULL && xsd->nwatches == 0,
	           "after the client left: %u connections, %u watches", xsd->nconns, xsd->nwatches);
	check_tree(xsd->tree, "the live tree");

	close(cl->fd);
	free(cl);
	free(x.ids);
	free(x.types);
	xsd_free(xsd);
	return 0;
}
