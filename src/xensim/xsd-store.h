/* xensim's xenstore tree: nodes, permissions, paths, and the snapshots transactions work on. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest absolute path the server accepts (XENSTORE_ABS_PATH_MAX of xs_wire.h). */
#define XSD_PATH_MAX 3072

/* One permission entry; the first entry of a node names its owner and what others may do. */
struct xsd_perm {
	uint32_t domid;
	char mode; /* 'n', 'r', 'w' or 'b', as on the wire */
};

struct xsd_tree;

/*
 * Called for every change: `exact` means only a watch on exactly `path` fires (a node removed
 * below the root of an RM); otherwise watches on `path` and its ancestors fire.
 */
typedef void xsd_tree_notify_fn(void *arg, const char *path, bool exact);

/* Makes a tree holding "/", "/local" and "/local/domain", owned by dom0 ("n0"). */
int xsd_tree_new(struct xsd_tree **out);
/* Frees the tree; NULL is fine; returns NULL. */
struct xsd_tree *xsd_tree_free(struct xsd_tree *t);
/*
 * Copies src for a transaction: the copy never notifies and records the generation of every
 * node it touches, so that xsd_tree_conflicts can tell whether src changed under it.
 */
int xsd_tree_snapshot(struct xsd_tree **out, const struct xsd_tree *src);
/* True when a node the snapshot touched has changed in `live` since the snapshot was taken. */
bool xsd_tree_conflicts(const struct xsd_tree *snap, const struct xsd_tree *live);
void xsd_tree_set_notify(struct xsd_tree *t, xsd_tree_notify_fn *fn, void *arg);
size_t xsd_tree_count(const struct xsd_tree *t);

/* All return 0 or -errno: -EINVAL bad path, -ENOENT no such node, -ENOMEM. */
int xsd_tree_read(struct xsd_tree *t, const char *path, const char **data, size_t *len);
/* Creates missing parents, each inheriting its parent's permissions. */
int xsd_tree_write(struct xsd_tree *t, const char *path, const void *data, size_t len);
/* Succeeds without a change when the node exists. */
int xsd_tree_mkdir(struct xsd_tree *t, const char *path);
/* Succeeds when the node is absent but its parent exists; refuses "/" with -EINVAL. */
int xsd_tree_rm(struct xsd_tree *t, const char *path);
/* Children's names, each NUL-terminated, in creation order; *out is malloc'ed (NULL if none). */
int xsd_tree_directory(struct xsd_tree *t, const char *path, char **out, size_t *len,
                       uint64_t *gen);
int xsd_tree_get_perms(struct xsd_tree *t, const char *path, const struct xsd_perm **perms,
                       size_t *n);
int xsd_tree_set_perms(struct xsd_tree *t, const char *path, const struct xsd_perm *perms,
                       size_t n);

/* True for a canonical absolute node path: "/", or "/a/b" of [A-Za-z0-9_@/-], no "//". */
bool xsd_path_valid(const char *path);
/* True when `path` is `parent` or lies below it ("/" is everyone's parent). */
bool xsd_path_under(const char *path, const char *parent);
/* Parses one wire permission ("r5"); false if malformed. */
bool xsd_perm_parse(const char *s, struct xsd_perm *out);
