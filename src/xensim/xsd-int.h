/* Internals shared by xensim's xenstore server (xsd.c) and its request handlers (xsd-ops.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xensim/xsd.h"
#include "xensim/xsd-store.h"

struct bufferevent;
struct evbuffer;
struct evconnlistener;
struct event;

/* Paths without a leading "/" are relative to the caller's home, as in xenstored (dom0's). */
#define XSD_HOME "/local/domain/0"

struct xsd_watch {
	struct xsd_watch *next;
	char *path; /* canonical: absolute, or a special "@..." name */
	char *token;
	bool relative; /* events then carry paths relative to XSD_HOME */
};

/* A change made inside a transaction, replayed on the live tree at commit. */
struct xsd_txop {
	struct xsd_txop *next;
	uint32_t type; /* XS_WRITE, XS_MKDIR, XS_RM or XS_SET_PERMS */
	char *path;
	void *data;
	size_t len;
	struct xsd_perm *perms;
	size_t nperms;
};

struct xsd_tx {
	struct xsd_tx *next;
	uint32_t id;
	struct xsd_tree *tree; /* snapshot taken at TRANSACTION_START */
	struct xsd_txop *ops, **tail;
};

struct xsd_conn {
	struct xsd_conn *next;
	struct xsd *x;
	struct bufferevent *bev;
	/* Watch events raised while a request runs wait here until its reply is queued. */
	struct evbuffer *pending;
	bool dead;
	struct xsd_watch *watches;
	size_t nwatches;
	struct xsd_tx *txs;
	size_t ntxs;
};

struct xsd {
	struct event_base *base;
	char *path;
	struct evconnlistener *listener;
	struct event *resume; /* re-enables accepting after EMFILE */
	struct event *back;   /* ends a restart's downtime or a stall (xsd_restart, xsd_stall) */
	bool down;            /* restarting: no listener, connections refused */
	bool stalled;         /* requests are read but not answered */
	struct xsd_tree *tree;
	struct xsd_conn *conns;
	unsigned nconns;
	unsigned nwatches;
	uint32_t next_txid;
	struct xsd_stats stats;
};

/* One request being served: the parsed header, its payload and where it applies. */
struct xsd_req {
	struct xsd *x;
	struct xsd_conn *c;
	uint32_t type, req_id, tx_id;
	char *body; /* NUL-terminated one byte past len */
	size_t len;
	struct xsd_tx *tx;     /* the transaction named by tx_id, if any */
	struct xsd_tree *tree; /* tx->tree, or the live tree */
	bool replied;
};

/* Queues a reply of the request's type; a payload over XENSTORE_PAYLOAD_MAX becomes E2BIG. */
void xsd_reply(struct xsd_req *r, const void *data, size_t len);
/* Queues an XS_ERROR naming the errno (e.g. "ENOENT"). */
void xsd_reply_error(struct xsd_req *r, int err);
/* Queues "OK". */
void xsd_reply_ok(struct xsd_req *r);
/* Serves one request: replies with its result or an XS_ERROR. */
void xsd_dispatch(struct xsd_req *r);
/* Queues a watch event for w on c, sent once the current reply is out. */
void xsd_queue_event(struct xsd_conn *c, const struct xsd_watch *w, const char *path);
/* Frees a transaction and its log. */
void xsd_tx_free(struct xsd_tx *tx);
void xsd_watch_free(struct xsd_watch *w);
