/* xensim's xenstore tree: nodes, permissions, paths, and the snapshots transactions work on. */
#include "xensim/xsd-store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	char *name; /* last path component; "" for the root */
	struct node *parent;
	struct node **kids; /* in creation order, as xenstored lists them */
	size_t nkids, capkids;
	char *data;
	size_t len;
	struct xsd_perm *perms;
	size_t nperms;
	uint64_t gen; /* bumped on every change to data, perms or the list of children */
};

/* Generation recorded for a node a transaction changed before reading it: never a conflict. */
#define GEN_OWN UINT64_MAX

/* A node a transaction touched and the generation it had then (0: absent). */
struct seen {
	char *path;
	uint64_t gen;
};

struct xsd_tree {
	/*
	 * A snapshot borrows the live tree's root until its first change
	 * (unshare()): most transactions only read, and a copy of 2,000
	 * domains' nodes for each would make xenstore cost what real ones
	 * don't. Its reads see the live nodes, recorded in `seen`, so a node
	 * that changed after the transaction read it still conflicts at commit.
	 */
	const struct xsd_tree *src;
	struct node *root;
	uint64_t gen;
	size_t count;
	xsd_tree_notify_fn *notify;
	void *notify_arg;
	/* Only snapshots track; the index is open addressing over `seen`, 0 = empty slot. */
	bool tracking;
	struct seen *seen;
	size_t nseen, capseen;
	size_t *index;
	size_t capindex;
};

/* Frees a node and everything below it. */
static void node_free(struct xsd_tree *t, struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(t, n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->data);
	free(n->perms);
	free(n);
	if (t)
		t->count--;
}

/* Allocates a childless, empty node with a copy of the given permissions. */
static struct node *node_new(const char *name, size_t namelen, const struct xsd_perm *perms,
                             size_t nperms)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, namelen);
	n->perms = malloc(nperms * sizeof(*perms));
	if (!n->name || !n->perms) {
		free(n->name);
		free(n->perms);
		free(n);
		return NULL;
	}
	memcpy(n->perms, perms, nperms * sizeof(*perms));
	n->nperms = nperms;
	return n;
}

/* Appends kid to parent's children. */
static int node_adopt(struct node *parent, struct node *kid)
{
	if (parent->nkids == parent->capkids) {
		size_t cap = parent->capkids ? parent->capkids * 2 : 4;
		struct node **k = realloc(parent->kids, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = kid;
	kid->parent = parent;
	return 0;
}

static struct node *node_kid(const struct node *n, const char *name, size_t namelen)
{
	for (size_t i = 0; i < n->nkids; i++) {
		const char *k = n->kids[i]->name;

		if (strncmp(k, name, namelen) == 0 && k[namelen] == '\0')
			return n->kids[i];
	}
	return NULL;
}

/* Finds the node at a valid path, or NULL. */
static struct node *tree_find(const struct xsd_tree *t, const char *path)
{
	struct node *n = t->root;
	const char *p = path + 1;

	while (n && *p) {
		size_t len = strcspn(p, "/");

		n = node_kid(n, p, len);
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

static size_t path_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Returns the slot for path in the index: the one holding it, or the empty one to use. */
static size_t seen_slot(const struct xsd_tree *t, const char *path)
{
	size_t mask = t->capindex - 1;
	size_t i = path_hash(path) & mask;

	while (t->index[i] && strcmp(t->seen[t->index[i] - 1].path, path) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Doubles the index so that it stays at most half full. */
static int seen_grow_index(struct xsd_tree *t)
{
	size_t cap = t->capindex ? t->capindex * 2 : 64;
	size_t *old = t->index;

	t->index = calloc(cap, sizeof(*t->index));
	if (!t->index) {
		t->index = old;
		return -ENOMEM;
	}
	t->capindex = cap;
	for (size_t i = 0; i < t->nseen; i++)
		t->index[seen_slot(t, t->seen[i].path)] = i + 1;
	free(old);
	return 0;
}

/* Records, in a snapshot, the generation a node had when the transaction first touched it. */
static int touch_gen(struct xsd_tree *t, const char *path, size_t pathlen, uint64_t gen)
{
	char *copy;
	size_t slot;

	if (!t->tracking)
		return 0;
	/* The root is reached as the empty prefix of "/a"; one key for it either way. */
	copy = pathlen ? strndup(path, pathlen) : strdup("/");
	if (!copy)
		return -ENOMEM;
	if (2 * (t->nseen + 1) > t->capindex && seen_grow_index(t) < 0)
		goto nomem;
	slot = seen_slot(t, copy);
	if (t->index[slot]) {
		free(copy);
		return 0;
	}
	if (t->nseen == t->capseen) {
		size_t cap = t->capseen ? t->capseen * 2 : 16;
		struct seen *s = realloc(t->seen, cap * sizeof(*s));

		if (!s)
			goto nomem;
		t->seen = s;
		t->capseen = cap;
	}
	t->seen[t->nseen].path = copy;
	t->seen[t->nseen].gen = gen;
	t->index[slot] = ++t->nseen;
	return 0;
nomem:
	free(copy);
	return -ENOMEM;
}

/* Records a touch of a whole NUL-terminated path. */
static int touch_path(struct xsd_tree *t, const char *path, const struct node *n)
{
	return touch_gen(t, path, strlen(path), n ? n->gen : 0);
}

/*
 * Records that a snapshot changes a node on its own account (a parent whose children change):
 * unless it was read first, what it looks like outside does not matter.
 */
static int touch_own(struct xsd_tree *t, const char *path, size_t pathlen)
{
	return touch_gen(t, path, pathlen, GEN_OWN);
}

static void bump(struct xsd_tree *t, struct node *n)
{
	n->gen = ++t->gen;
}

static void notify(struct xsd_tree *t, const char *path, bool exact)
{
	if (t->notify)
		t->notify(t->notify_arg, path, exact);
}

/* Makes the root, /local and /local/domain, all owned by dom0 with no access for others. */
int xsd_tree_new(struct xsd_tree **out)
{
	static const struct xsd_perm dom0 = {.domid = 0, .mode = 'n'};
	struct xsd_tree *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->root = node_new("", 0, &dom0, 1);
	if (!t->root) {
		free(t);
		return -ENOMEM;
	}
	t->count = 1;
	bump(t, t->root);
	r = xsd_tree_mkdir(t, "/local/domain");
	if (r < 0) {
		xsd_tree_free(t);
		return r;
	}
	*out = t;
	return 0;
}

struct xsd_tree *xsd_tree_free(struct xsd_tree *t)
{
	if (!t)
		return NULL;
	if (!t->src)
		node_free(NULL, t->root);
	for (size_t i = 0; i < t->nseen; i++)
		free(t->seen[i].path);
	free(t->seen);
	free(t->index);
	free(t);
	return NULL;
}

/* Deep-copies a node and its subtree, generations included. */
static struct node *node_copy(const struct node *src)
{
	struct node *n = node_new(src->name, strlen(src->name), src->perms, src->nperms);

	if (!n)
		return NULL;
	n->gen = src->gen;
	if (src->len) {
		n->data = malloc(src->len);
		if (!n->data)
			goto fail;
		memcpy(n->data, src->data, src->len);
		n->len = src->len;
	}
	for (size_t i = 0; i < src->nkids; i++) {
		struct node *k = node_copy(src->kids[i]);

		if (!k)
			goto fail;
		if (node_adopt(n, k) < 0) {
			node_free(NULL, k);
			goto fail;
		}
	}
	return n;
fail:
	node_free(NULL, n);
	return NULL;
}

int xsd_tree_snapshot(struct xsd_tree **out, const struct xsd_tree *src)
{
	struct xsd_tree *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->src = src;
	/* Borrowed, never changed through t: unshare() copies before the first change. */
	t->root = src->root;
	t->gen = src->gen;
	t->count = src->count;
	t->tracking = true;
	*out = t;
	return 0;
}

/* Gives a snapshot its own copy of the tree, as it is now, before its first change. */
static int unshare(struct xsd_tree *t)
{
	struct node *root;

	if (!t->src)
		return 0;
	root = node_copy(t->src->root);
	if (!root)
		return -ENOMEM;
	t->root = root;
	if (t->src->gen > t->gen)
		t->gen = t->src->gen;
	t->count = t->src->count;
	t->src = NULL;
	return 0;
}

bool xsd_tree_conflicts(const struct xsd_tree *snap, const struct xsd_tree *live)
{
	for (size_t i = 0; i < snap->nseen; i++) {
		const char *p = snap->seen[i].path;
		const struct node *n = tree_find(live, p);

		if (snap->seen[i].gen != GEN_OWN && (n ? n->gen : 0) != snap->seen[i].gen)
			return true;
	}
	return false;
}

void xsd_tree_set_notify(struct xsd_tree *t, xsd_tree_notify_fn *fn, void *arg)
{
	t->notify = fn;
	t->notify_arg = arg;
}

size_t xsd_tree_count(const struct xsd_tree *t)
{
	/* A snapshot that still borrows sees the live tree, count included. */
	return t->src ? t->src->count : t->count;
}

/* Looks a valid path up and records the touch; NULL with *err set when absent or on error. */
static struct node *lookup(struct xsd_tree *t, const char *path, int *err)
{
	struct node *n;
	int r;

	if (!xsd_path_valid(path)) {
		*err = -EINVAL;
		return NULL;
	}
	n = tree_find(t, path);
	r = touch_path(t, path, n);
	if (r < 0) {
		*err = r;
		return NULL;
	}
	if (!n)
		*err = -ENOENT;
	return n;
}

int xsd_tree_read(struct xsd_tree *t, const char *path, const char **data, size_t *len)
{
	int err = 0;
	struct node *n = lookup(t, path, &err);

	if (!n)
		return err;
	*data = n->data ? n->data : "";
	*len = n->len;
	return 0;
}

/*
 * Finds or creates the node at path; new nodes (parents included) inherit their parent's
 * permissions. *created tells whether the target itself is new. Only the target counts as
 * touched: replaying the change at commit creates or extends its parents whatever happened to
 * them meanwhile, so two transactions adding different children to one node do not conflict.
 */
static int make_node(struct xsd_tree *t, const char *path, struct node **out, bool *created)
{
	struct node *n = t->root;
	const char *p = path + 1;
	int r = touch_path(t, path, tree_find(t, path));

	*created = false;
	if (r < 0)
		return r;
	while (*p) {
		size_t len = strcspn(p, "/");
		struct node *k = node_kid(n, p, len);

		*created = !k;
		if (!k) {
			r = touch_own(t, path, (size_t)(p - path - 1));
			if (r == 0)
				r = touch_own(t, path, (size_t)(p - path) + len);
			if (r < 0)
				return r;
			k = node_new(p, len, n->perms, n->nperms);
			if (!k)
				return -ENOMEM;
			if (node_adopt(n, k) < 0) {
				node_free(NULL, k);
				return -ENOMEM;
			}
			t->count++;
			bump(t, n);
			bump(t, k);
		}
		n = k;
		p += len;
		if (*p == '/')
			p++;
	}
	*out = n;
	return 0;
}

int xsd_tree_write(struct xsd_tree *t, const char *path, const void *data, size_t len)
{
	struct node *n;
	bool created;
	char *copy = NULL;
	int r;

	if ((r = unshare(t)) < 0)
		return r;
	if (!xsd_path_valid(path))
		return -EINVAL;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	r = make_node(t, path, &n, &created);
	if (r < 0) {
		free(copy);
		return r;
	}
	free(n->data);
	n->data = copy;
	n->len = len;
	bump(t, n);
	notify(t, path, false);
	return 0;
}

int xsd_tree_mkdir(struct xsd_tree *t, const char *path)
{
	struct node *n;
	bool created;
	int r;

	if ((r = unshare(t)) < 0)
		return r;
	if (!xsd_path_valid(path))
		return -EINVAL;
	r = make_node(t, path, &n, &created);
	if (r < 0)
		return r;
	if (created)
		notify(t, path, false);
	return 0;
}

/* Notifies (children first, as xenstored does) and records every node of a doomed subtree. */
static int rm_walk(struct xsd_tree *t, struct node *n, const char *path, bool root)
{
	int r = touch_path(t, path, n);

	for (size_t i = 0; r == 0 && i < n->nkids; i++) {
		char *sub;

		if (asprintf(&sub, "%s/%s", path, n->kids[i]->name) < 0)
			return -ENOMEM;
		r = rm_walk(t, n->kids[i], sub, false);
		free(sub);
	}
	if (r == 0)
		notify(t, path, !root);
	return r;
}

int xsd_tree_rm(struct xsd_tree *t, const char *path)
{
	struct node *n, *parent;
	size_t plen;
	int r;

	if ((r = unshare(t)) < 0)
		return r;
	if (!xsd_path_valid(path) || strcmp(path, "/") == 0)
		return -EINVAL;
	n = tree_find(t, path);
	r = touch_path(t, path, n);
	if (r < 0)
		return r;
	plen = (size_t)(strrchr(path, '/') - path);
	if (!n) {
		char parentpath[XSD_PATH_MAX + 1];

		memcpy(parentpath, path, plen ? plen : 1);
		parentpath[plen ? plen : 1] = '\0';
		parent = tree_find(t, parentpath);
		r = touch_path(t, parentpath, parent);
		if (r < 0)
			return r;
		return parent ? 0 : -ENOENT;
	}
	parent = n->parent;
	r = touch_own(t, path, plen);
	if (r == 0)
		r = rm_walk(t, n, path, true);
	if (r < 0)
		return r;
	for (size_t i = 0; i < parent->nkids; i++) {
		if (parent->kids[i] == n) {
			memmove(&parent->kids[i], &parent->kids[i + 1],
			        (parent->nkids - i - 1) * sizeof(*parent->kids));
			parent->nkids--;
			break;
		}
	}
	bump(t, parent);
	node_free(t, n);
	return 0;
}

int xsd_tree_directory(struct xsd_tree *t, const char *path, char **out, size_t *len, uint64_t *gen)
{
	int err = 0;
	struct node *n = lookup(t, path, &err);
	size_t total = 0;
	char *buf, *p;

	*out = NULL;
	*len = 0;
	if (!n)
		return err;
	if (gen)
		*gen = n->gen;
	for (size_t i = 0; i < n->nkids; i++)
		total += strlen(n->kids[i]->name) + 1;
	if (!total)
		return 0;
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (size_t i = 0; i < n->nkids; i++) {
		size_t l = strlen(n->kids[i]->name) + 1;

		memcpy(p, n->kids[i]->name, l);
		p += l;
	}
	*out = buf;
	*len = total;
	return 0;
}

int xsd_tree_get_perms(struct xsd_tree *t, const char *path, const struct xsd_perm **perms,
                       size_t *n)
{
	int err = 0;
	struct node *node = lookup(t, path, &err);

	if (!node)
		return err;
	*perms = node->perms;
	*n = node->nperms;
	return 0;
}

int xsd_tree_set_perms(struct xsd_tree *t, const char *path, const struct xsd_perm *perms, size_t n)
{
	int err = 0;
	struct node *node;
	struct xsd_perm *copy;

	if ((err = unshare(t)) < 0)
		return err;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strchr("nrwb", perms[i].mode) || perms[i].mode == '\0')
			return -EINVAL;
	node = lookup(t, path, &err);
	if (!node)
		return err;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, perms, n * sizeof(*copy));
	free(node->perms);
	node->perms = copy;
	node->nperms = n;
	bump(t, node);
	notify(t, path, false);
	return 0;
}

bool xsd_path_valid(const char *path)
{
	static const char ok[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@";
	size_t len = strlen(path);

	if (path[0] != '/' || len > XSD_PATH_MAX)
		return false;
	if (len == 1)
		return true;
	if (path[len - 1] == '/' || strstr(path, "//"))
		return false;
	return strspn(path, ok) == len;
}

bool xsd_path_under(const char *path, const char *parent)
{
	size_t len = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return path[0] == '/';
	if (strncmp(path, parent, len) != 0)
		return false;
	return path[len] == '/' || path[len] == '\0';
}

bool xsd_perm_parse(const char *s, struct xsd_perm *out)
{
	unsigned long id;
	char *end;

	if (!s[0] || !strchr("nrwb", s[0]) || s[1] < '0' || s[1] > '9')
		return false;
	errno = 0;
	id = strtoul(s + 1, &end, 10);
	if (*end || errno || id > 65535)
		return false;
	out->mode = s[0];
	out->domid = (uint32_t)id;
	return true;
}
