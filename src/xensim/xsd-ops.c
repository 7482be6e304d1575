/* xensim's xenstore requests: one handler per xs_wire.h message type, and transactions. */
#include "xensim/xsd-int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "util/log.h"

/* Per-connection limits; dom0 has no quota in xenstored, these only bound memory. */
#define XSD_MAX_WATCHES 65536
#define XSD_MAX_TXS     256

/* Counts the NUL-terminated strings of a payload; -EINVAL unless it ends with a NUL. */
static int count_strings(const struct xsd_req *r)
{
	int n = 0;

	if (r->len == 0 || r->body[r->len - 1] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < r->len; i++)
		n += r->body[i] == '\0';
	return n;
}

/* Makes a node path absolute, as xenstored does for paths relative to the caller's home. */
static int canonical(const char *in, char *out, size_t size)
{
	int n;

	if (in[0] == '/')
		n = snprintf(out, size, "%s", in);
	else
		n = snprintf(out, size, "%s/%s", XSD_HOME, in);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

/* Takes the single path argument of READ, MKDIR, RM, DIRECTORY and GET_PERMS. */
static int one_path(const struct xsd_req *r, char *out, size_t size)
{
	if (count_strings(r) != 1)
		return -EINVAL;
	return canonical(r->body, out, size);
}

static void txop_free(struct xsd_txop *op)
{
	free(op->path);
	free(op->data);
	free(op->perms);
	free(op);
}

/* Records a change made inside a transaction, to replay at commit. */
static int tx_log(struct xsd_tx *tx, uint32_t type, const char *path, const void *data, size_t len,
                  const struct xsd_perm *perms, size_t nperms)
{
	struct xsd_txop *op = calloc(1, sizeof(*op));

	if (!op)
		return -ENOMEM;
	op->type = type;
	op->path = strdup(path);
	op->data = malloc(len ? len : 1);
	op->perms = malloc(nperms ? nperms * sizeof(*perms) : 1);
	if (!op->path || !op->data || !op->perms) {
		free(op->path);
		free(op->data);
		free(op->perms);
		free(op);
		return -ENOMEM;
	}
	if (len)
		memcpy(op->data, data, len);
	op->len = len;
	if (nperms)
		memcpy(op->perms, perms, nperms * sizeof(*perms));
	op->nperms = nperms;
	*tx->tail = op;
	tx->tail = &op->next;
	return 0;
}

/* Applies one change to a tree. */
static int apply(struct xsd_tree *t, uint32_t type, const char *path, const void *data, size_t len,
                 const struct xsd_perm *perms, size_t nperms)
{
	switch (type) {
	case XS_WRITE:
		return xsd_tree_write(t, path, data, len);
	case XS_MKDIR:
		return xsd_tree_mkdir(t, path);
	case XS_RM:
		return xsd_tree_rm(t, path);
	case XS_SET_PERMS:
		return xsd_tree_set_perms(t, path, perms, nperms);
	}
	return -EINVAL;
}

/* Makes a change to the request's tree, logging it when that is a transaction's snapshot. */
static int change(struct xsd_req *r, const char *path, const void *data, size_t len,
                  const struct xsd_perm *perms, size_t nperms)
{
	struct xsd_txop **last = r->tx ? r->tx->tail : NULL;
	int ret = 0;

	/* Logged first, so that a snapshot never holds a change its log lacks. */
	if (r->tx)
		ret = tx_log(r->tx, r->type, path, data, len, perms, nperms);
	if (ret == 0)
		ret = apply(r->tree, r->type, path, data, len, perms, nperms);
	if (ret < 0 && r->tx && *last) {
		txop_free(*last);
		*last = NULL;
		r->tx->tail = last;
	}
	if (ret == 0) {
		r->x->stats.writes++;
		xsd_reply_ok(r);
	}
	return ret;
}

static int op_read(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1];
	const char *data;
	size_t len;
	int ret = one_path(r, path, sizeof(path));

	if (ret == 0)
		ret = xsd_tree_read(r->tree, path, &data, &len);
	if (ret == 0)
		xsd_reply(r, data, len);
	return ret;
}

/* WRITE's payload is the path, a NUL, then the value, which may hold anything. */
static int op_write(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1];
	const char *nul = memchr(r->body, '\0', r->len);
	size_t off;
	int ret;

	if (!nul)
		return -EINVAL;
	off = (size_t)(nul - r->body) + 1;
	ret = canonical(r->body, path, sizeof(path));
	if (ret == 0)
		ret = change(r, path, r->body + off, r->len - off, NULL, 0);
	return ret;
}

static int op_mkdir_rm(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1];
	int ret = one_path(r, path, sizeof(path));

	return ret ? ret : change(r, path, NULL, 0, NULL, 0);
}

static int op_directory(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1];
	char *names = NULL;
	size_t len;
	int ret = one_path(r, path, sizeof(path));

	if (ret == 0)
		ret = xsd_tree_directory(r->tree, path, &names, &len, NULL);
	if (ret == 0)
		xsd_reply(r, names, len);
	free(names);
	return ret;
}

/*
 * DIRECTORY_PART answers a listing too long for one message in slices: the node's generation
 * (so the client restarts if the list changes between slices), then whole names from the byte
 * offset asked for, and an empty string once the list is complete.
 */
static int op_directory_part(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1], out[XENSTORE_PAYLOAD_MAX];
	char *names = NULL, *end;
	size_t len, off, genlen, n = 0;
	uint64_t gen;
	int ret;

	if (count_strings(r) != 2)
		return -EINVAL;
	errno = 0;
	off = strtoul(r->body + strlen(r->body) + 1, &end, 10);
	if (errno || *end)
		return -EINVAL;
	ret = canonical(r->body, path, sizeof(path));
	if (ret == 0)
		ret = xsd_tree_directory(r->tree, path, &names, &len, &gen);
	if (ret < 0)
		return ret;
	genlen = (size_t)snprintf(out, sizeof(out), "%" PRIu64, gen) + 1;
	if (off < len) {
		size_t room = sizeof(out) - genlen - 1;

		while (off + n < len && n + strlen(names + off + n) + 1 <= room)
			n += strlen(names + off + n) + 1;
		memcpy(out + genlen, names + off, n);
	}
	if (off + n >= len)
		out[genlen + n++] = '\0';
	free(names);
	xsd_reply(r, out, genlen + n);
	return 0;
}

static int op_get_perms(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1], out[XENSTORE_PAYLOAD_MAX + 16];
	const struct xsd_perm *p;
	size_t n, len = 0;
	int ret = one_path(r, path, sizeof(path));

	if (ret == 0)
		ret = xsd_tree_get_perms(r->tree, path, &p, &n);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && len < XENSTORE_PAYLOAD_MAX; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%c%" PRIu32, p[i].mode,
		                        p[i].domid) +
		       1;
	xsd_reply(r, out, len);
	return 0;
}

/* SET_PERMS carries the path, then one string per permission, owner first. */
static int op_set_perms(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + 1];
	struct xsd_perm *perms;
	int n = count_strings(r), ret;
	const char *s;

	if (n < 2)
		return -EINVAL;
	/* Special nodes' permissions only restrict unprivileged watchers, and we have none. */
	if (r->body[0] == '@') {
		xsd_reply_ok(r);
		return 0;
	}
	ret = canonical(r->body, path, sizeof(path));
	if (ret < 0)
		return ret;
	perms = calloc((size_t)n - 1, sizeof(*perms));
	if (!perms)
		return -ENOMEM;
	s = r->body + strlen(r->body) + 1;
	for (int i = 0; i < n - 1; i++, s += strlen(s) + 1) {
		if (!xsd_perm_parse(s, &perms[i])) {
			free(perms);
			return -EINVAL;
		}
	}
	ret = change(r, path, NULL, 0, perms, (size_t)n - 1);
	free(perms);
	return ret;
}

/* Checks a watch path and makes it canonical; specials ("@...") are taken as they are. */
static int watch_path(const char *in, char *out, size_t size, bool *relative)
{
	*relative = false;
	if (in[0] == '@') {
		if (strlen(in) > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		snprintf(out, size, "%s", in);
		return 0;
	}
	*relative = in[0] != '/';
	if (canonical(in, out, size) < 0 || !xsd_path_valid(out))
		return -EINVAL;
	return 0;
}

static int op_watch(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + XENSTORE_REL_PATH_MAX + 2];
	const char *token = r->body + strlen(r->body) + 1;
	struct xsd_watch *w;
	bool relative;
	int ret;

	if (count_strings(r) < 2)
		return -EINVAL;
	ret = watch_path(r->body, path, sizeof(path), &relative);
	if (ret < 0)
		return ret;
	for (w = r->c->watches; w; w = w->next)
		if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0)
			return -EEXIST;
	if (r->c->nwatches >= XSD_MAX_WATCHES)
		return -E2BIG;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
		xsd_watch_free(w);
		return -ENOMEM;
	}
	w->relative = relative;
	w->next = r->c->watches;
	r->c->watches = w;
	r->c->nwatches++;
	r->x->nwatches++;
	xsd_reply_ok(r);
	/* A new watch fires once straight away, so that clients need no separate first read. */
	xsd_queue_event(r->c, w, path);
	return 0;
}

static int op_unwatch(struct xsd_req *r)
{
	char path[XSD_PATH_MAX + XENSTORE_REL_PATH_MAX + 2];
	const char *token = r->body + strlen(r->body) + 1;
	bool relative;

	if (count_strings(r) < 2 || watch_path(r->body, path, sizeof(path), &relative) < 0)
		return -EINVAL;
	for (struct xsd_watch **pp = &r->c->watches; *pp; pp = &(*pp)->next) {
		struct xsd_watch *w = *pp;

		if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0) {
			*pp = w->next;
			xsd_watch_free(w);
			r->c->nwatches--;
			r->x->nwatches--;
			xsd_reply_ok(r);
			return 0;
		}
	}
	return -ENOENT;
}

static int op_transaction_start(struct xsd_req *r)
{
	struct xsd_tx *tx;
	char id[16];
	int ret;

	/* Nested transactions do not exist. */
	if (r->tx_id)
		return -EBUSY;
	if (r->c->ntxs >= XSD_MAX_TXS)
		return -ENOSPC;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	ret = xsd_tree_snapshot(&tx->tree, r->x->tree);
	if (ret < 0) {
		free(tx);
		return ret;
	}
	tx->tail = &tx->ops;
	do {
		tx->id = r->x->next_txid++;
	} while (tx->id == 0);
	tx->next = r->c->txs;
	r->c->txs = tx;
	r->c->ntxs++;
	snprintf(id, sizeof(id), "%" PRIu32, tx->id);
	xsd_reply(r, id, strlen(id) + 1);
	return 0;
}

/*
 * Commits by replaying the transaction's changes on the live tree, which raises their watch
 * events now; refuses with EAGAIN when a node it read or wrote has changed since it started.
 */
static int op_transaction_end(struct xsd_req *r)
{
	struct xsd_tx *tx = r->tx, **pp;
	int ret = 0;

	if (count_strings(r) != 1 || (strcmp(r->body, "T") != 0 && strcmp(r->body, "F") != 0))
		return -EINVAL;
	for (pp = &r->c->txs; *pp != tx; pp = &(*pp)->next)
		;
	*pp = tx->next;
	r->c->ntxs--;
	if (r->body[0] == 'T' && xsd_tree_conflicts(tx->tree, r->x->tree)) {
		ret = -EAGAIN;
	} else if (r->body[0] == 'T') {
		for (struct xsd_txop *op = tx->ops; op; op = op->next) {
			int err = apply(r->x->tree, op->type, op->path, op->data, op->len,
			                op->perms, op->nperms);

			/* Cannot happen short of ENOMEM: nothing it touched has changed. */
			if (err < 0)
				log_warnx("xsd: replaying transaction %" PRIu32 " on %s: %s",
				          tx->id, op->path, strerror(-err));
		}
	}
	xsd_tx_free(tx);
	if (ret == 0)
		xsd_reply_ok(r);
	return ret;
}

static int op_get_domain_path(struct xsd_req *r)
{
	char out[64], *end;
	unsigned long domid;

	if (count_strings(r) != 1)
		return -EINVAL;
	errno = 0;
	domid = strtoul(r->body, &end, 10);
	if (errno || *end || end == r->body || domid > 65535)
		return -EINVAL;
	snprintf(out, sizeof(out), "/local/domain/%lu", domid);
	xsd_reply(r, out, strlen(out) + 1);
	return 0;
}

/* Forgets the connection's watches and transactions, as a reconnecting kernel asks. */
static int op_reset_watches(struct xsd_req *r)
{
	while (r->c->watches) {
		struct xsd_watch *w = r->c->watches;

		r->c->watches = w->next;
		xsd_watch_free(w);
		r->x->nwatches--;
	}
	r->c->nwatches = 0;
	while (r->c->txs) {
		struct xsd_tx *tx = r->c->txs;

		r->c->txs = tx->next;
		xsd_tx_free(tx);
	}
	r->c->ntxs = 0;
	xsd_reply_ok(r);
	return 0;
}

/* The handler of one message type; `tx` ones work inside the transaction the header names. */
struct op {
	int (*fn)(struct xsd_req *r);
	bool tx;
};

static const struct op ops[XS_TYPE_COUNT] = {
    [XS_DIRECTORY] = {op_directory, true},
    [XS_READ] = {op_read, true},
    [XS_GET_PERMS] = {op_get_perms, true},
    [XS_WATCH] = {op_watch, false},
    [XS_UNWATCH] = {op_unwatch, false},
    [XS_TRANSACTION_START] = {op_transaction_start, false},
    [XS_TRANSACTION_END] = {op_transaction_end, true},
    [XS_GET_DOMAIN_PATH] = {op_get_domain_path, false},
    [XS_WRITE] = {op_write, true},
    [XS_MKDIR] = {op_mkdir_rm, true},
    [XS_RM] = {op_mkdir_rm, true},
    [XS_SET_PERMS] = {op_set_perms, true},
    [XS_RESET_WATCHES] = {op_reset_watches, false},
    [XS_DIRECTORY_PART] = {op_directory_part, true},
};

/* Finds the transaction a request names; ENOENT for one this connection does not hold. */
static int find_tx(struct xsd_req *r)
{
	if (!r->tx_id)
		return r->type == XS_TRANSACTION_END ? -ENOENT : 0;
	for (struct xsd_tx *tx = r->c->txs; tx; tx = tx->next) {
		if (tx->id == r->tx_id) {
			r->tx = tx;
			r->tree = tx->tree;
			return 0;
		}
	}
	return -ENOENT;
}

void xsd_dispatch(struct xsd_req *r)
{
	const struct op *op = r->type < XS_TYPE_COUNT ? &ops[r->type] : NULL;
	int ret = -ENOSYS;

	r->x->stats.requests++;
	if (op && op->fn) {
		r->tree = r->x->tree;
		ret = op->tx ? find_tx(r) : 0;
		if (ret == 0)
			ret = op->fn(r);
	}
	if (ret < 0 && !r->replied)
		xsd_reply_error(r, -ret);
}

void xsd_watch_free(struct xsd_watch *w)
{
	if (!w)
		return;
	free(w->path);
	free(w->token);
	free(w);
}

void xsd_tx_free(struct xsd_tx *tx)
{
	while (tx->ops) {
		struct xsd_txop *op = tx->ops;

		tx->ops = op->next;
		txop_free(op);
	}
	xsd_tree_free(tx->tree);
	free(tx);
}
