/* The state file (doc/design.md, "State file"): load with full validation, save atomically. */
#include "poold/state.h"

#include "core/weight.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/uuid.h"
#include "util/log.h"

/* What every refusal to load says the admin can do; poold itself never overwrites the file. */
#define STATE_FIX "fix it, or move it away to start afresh with pool0 owning every pCPU"

/* Refuses the file: the message names it, the reason and the way out. */
static int state_corrupt(struct perr *e, const char *path, const char *why)
{
	return perr_set(e, POOLD_E_CORRUPT, "state file %s: %s: %s", path, why, STATE_FIX);
}

/* Copies a JSON string into a fixed buffer; false when it does not fit. */
static bool state_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* Validates one pool object and appends it to t. */
static int state_load_pool(const char *path, json_t *j, size_t idx, struct pool_table *t,
                           struct perr *e)
{
	json_int_t id, cap = 0, step = 0;
	const char *name, *cpus, *share = "auto";
	int has_step;
	struct pool *p = &t->pools[t->n];
	struct perr pe;
	json_error_t je;
	char why[PERR_MSG_MAX];

	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:I, s:s, s:s, s?I, s?s, s?I}", "id", &id, "name",
	                   &name, "cpus", &cpus, "cap", &cap, "share", &share, "credit1_step",
	                   &step) < 0) {
		snprintf(why, sizeof(why), "pools[%zu]: %s", idx, je.text);
		return state_corrupt(e, path, why);
	}
	if (!pool_name_valid(name)) {
		snprintf(why, sizeof(why), "pools[%zu]: \"%.64s\" is not a valid pool name", idx,
		         name);
		return state_corrupt(e, path, why);
	}
	if (id < 0 || id > UINT32_MAX || id >= t->next_id) {
		snprintf(why, sizeof(why),
		         "pool %s: id %" JSON_INTEGER_FORMAT " is not below next_pool_id %" PRIu32,
		         name, id, t->next_id);
		return state_corrupt(e, path, why);
	}
	if (cap < 0 || cap > UINT32_MAX) {
		snprintf(why, sizeof(why), "pool %s: cap %" JSON_INTEGER_FORMAT " is out of range",
		         name, cap);
		return state_corrupt(e, path, why);
	}
	has_step = json_object_get(j, "credit1_step") != NULL;
	if (step < WEIGHT_SCALE_STEP_MIN || step > WEIGHT_SCALE_STEP_MAX) {
		snprintf(why, sizeof(why),
		         "pool %s: credit1_step %" JSON_INTEGER_FORMAT " is not in %d..%d", name,
		         step, WEIGHT_SCALE_STEP_MIN, WEIGHT_SCALE_STEP_MAX);
		return state_corrupt(e, path, why);
	}
	if (strcmp(share, "auto") != 0 && strcmp(share, "off") != 0) {
		snprintf(why, sizeof(why), "pool %s: share \"%.32s\" is neither auto nor off", name,
		         share);
		return state_corrupt(e, path, why);
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->pools[i].id == (uint32_t)id || strcmp(t->pools[i].name, name) == 0) {
			snprintf(why, sizeof(why), "pools %s and %s share the %s", t->pools[i].name,
			         name, t->pools[i].id == (uint32_t)id ? "id" : "name");
			return state_corrupt(e, path, why);
		}
	}
	memset(p, 0, sizeof(*p));
	/* "" is how state_save writes a pool left with no pCPUs (they went offline). */
	if (cpus[0] != '\0' && cpumap_parse(&p->cpus, cpus, CPUMAP_MAX, &pe) != 0) {
		snprintf(why, sizeof(why), "pool %.64s: cpus: %.160s", name, pe.msg);
		return state_corrupt(e, path, why);
	}
	if (cpumap_intersects(&p->cpus, &t->online)) {
		snprintf(why, sizeof(why), "pool %s: cpus %s overlap another pool's", name, cpus);
		return state_corrupt(e, path, why);
	}
	p->id = (uint32_t)id;
	p->cap = (unsigned)cap;
	p->share_off = strcmp(share, "off") == 0;
	p->scale = (struct pool_scale){.step = (int)step, .set = has_step};
	strcpy(p->name, name);
	cpumap_or(&t->online, &t->online, &p->cpus);
	t->n++;
	return 0;
}

/* Validates one domain record into d. */
static int state_load_dom(const char *path, json_t *j, size_t idx, struct state_dom *d,
                          struct perr *e)
{
	const char *uuid, *name, *want, *key_seen, *untrusted = "";
	json_int_t domid, weight, cap, gone = 0;
	json_error_t je;
	char why[PERR_MSG_MAX];

	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:I, s:s, s:s, s:s, s?s, s:I, s:I, s?I}",
	                   "uuid", &uuid, "domid", &domid, "name", &name, "want", &want, "key_seen",
	                   &key_seen, "key_untrusted", &untrusted, "weight", &weight, "cap", &cap,
	                   "gone", &gone) < 0) {
		snprintf(why, sizeof(why), "domains[%zu]: %s", idx, je.text);
		return state_corrupt(e, path, why);
	}
	memset(d, 0, sizeof(*d));
	if (uuid_parse(uuid, d->uuid) < 0)
		snprintf(why, sizeof(why), "domains[%zu]: uuid \"%.40s\" is malformed", idx, uuid);
	else if (domid < 0 || domid > UINT32_MAX)
		snprintf(why, sizeof(why), "domains[%zu]: domid is out of range", idx);
	else if (!state_copy(d->name, sizeof(d->name), name) ||
	         !state_copy(d->want, sizeof(d->want), want) ||
	         !state_copy(d->key_seen, sizeof(d->key_seen), key_seen) ||
	         !state_copy(d->key_untrusted, sizeof(d->key_untrusted), untrusted))
		snprintf(why, sizeof(why), "domains[%zu]: a name is longer than 64 characters",
		         idx);
	else if (weight < DOM_WEIGHT_MIN || weight > DOM_WEIGHT_MAX)
		snprintf(why, sizeof(why),
		         "domains[%zu]: weight %" JSON_INTEGER_FORMAT " is not in 1..65535", idx,
		         weight);
	else if (cap < 0 || cap > UINT32_MAX)
		snprintf(why, sizeof(why),
		         "domains[%zu]: cap %" JSON_INTEGER_FORMAT " is out of range", idx, cap);
	else if (gone < 0)
		snprintf(why, sizeof(why), "domains[%zu]: gone is before 1970", idx);
	else
		why[0] = '\0';
	if (why[0] != '\0')
		return state_corrupt(e, path, why);
	d->domid = (uint32_t)domid;
	d->weight = (unsigned)weight;
	d->cap = (unsigned)cap;
	d->gone = gone;
	return 0;
}

/* Moves pool0 to the front, where the pool table keeps it. */
static int state_pool0_first(const char *path, struct pool_table *t, struct perr *e)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->pools[i].id != POOL0_ID)
			continue;
		if (strcmp(t->pools[i].name, POOL0_NAME) != 0)
			return state_corrupt(e, path, "pool id 0 is not named pool0");
		struct pool p0 = t->pools[i];
		memmove(&t->pools[1], &t->pools[0], i * sizeof(t->pools[0]));
		t->pools[0] = p0;
		return 0;
	}
	return state_corrupt(e, path, "there is no pool0 (id 0)");
}

/* Checks the whole document and builds the table and records from it. */
static int state_parse(const char *path, json_t *root, struct pool_table *t,
                       struct state_dom **doms, size_t *ndoms, struct perr *e)
{
	json_t *pools, *jdoms, *j;
	json_int_t version, next_id;
	json_error_t je;
	struct perr pe;
	char why[PERR_MSG_MAX];
	size_t i;
	int r;

	if (!json_is_object(root))
		return state_corrupt(e, path, "the document is not a JSON object");
	if (json_unpack_ex(root, &je, 0, "{s:I}", "version", &version) < 0) {
		snprintf(why, sizeof(why), "version: %s", je.text);
		return state_corrupt(e, path, why);
	}
	if (version > STATE_VERSION) {
		snprintf(why, sizeof(why),
		         "version %" JSON_INTEGER_FORMAT
		         " is from a newer poold (this one reads %d): run that poold, or",
		         version, STATE_VERSION);
		return state_corrupt(e, path, why);
	}
	if (version < 1) {
		snprintf(why, sizeof(why), "version %" JSON_INTEGER_FORMAT " is not valid",
		         version);
		return state_corrupt(e, path, why);
	}
	if (json_unpack_ex(root, &je, JSON_STRICT, "{s:I, s:I, s:o, s:o}", "version", &version,
	                   "next_pool_id", &next_id, "pools", &pools, "domains", &jdoms) < 0)
		return state_corrupt(e, path, je.text);
	if (!json_is_array(pools) || !json_is_array(jdoms))
		return state_corrupt(e, path, "pools and domains must be arrays");
	if (next_id < 1 || next_id > UINT32_MAX)
		return state_corrupt(e, path, "next_pool_id is out of range");
	if (json_array_size(pools) == 0)
		return state_corrupt(e, path, "there is no pool0 (no pools at all)");

	memset(t, 0, sizeof(*t));
	t->next_id = (uint32_t)next_id;
	t->pools = calloc(json_array_size(pools), sizeof(*t->pools));
	if (t->pools == NULL)
		return -ENOMEM;
	t->alloc = json_array_size(pools);
	json_array_foreach (pools, i, j)
		if ((r = state_load_pool(path, j, i, t, e)) != 0)
			goto fail;
	if ((r = state_pool0_first(path, t, e)) != 0)
		goto fail;
	if ((r = pool_table_check(t, &pe)) != 0) {
		r = state_corrupt(e, path, pe.msg);
		goto fail;
	}

	*ndoms = 0;
	*doms = calloc(json_array_size(jdoms) + 1, sizeof(**doms));
	if (*doms == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	json_array_foreach (jdoms, i, j) {
		if ((r = state_load_dom(path, j, i, &(*doms)[i], e)) != 0) {
			free(*doms);
			*doms = NULL;
			goto fail;
		}
		for (size_t k = 0; k < i; k++) {
			if (memcmp((*doms)[k].uuid, (*doms)[i].uuid, 16) == 0) {
				free(*doms);
				*doms = NULL;
				r = state_corrupt(e, path, "two domain records share a uuid");
				goto fail;
			}
		}
	}
	*ndoms = json_array_size(jdoms);
	return 0;
fail:
	free(t->pools);
	memset(t, 0, sizeof(*t));
	return r;
}

int state_load(const char *path, struct pool_table *t, struct state_dom **doms, size_t *ndoms,
               struct perr *e)
{
	json_error_t je;
	json_t *root;
	char why[PERR_MSG_MAX];
	FILE *f;
	int r;

	*doms = NULL;
	*ndoms = 0;
	f = fopen(path, "r");
	if (f == NULL) {
		r = -errno;
		if (r != -ENOENT)
			perr_set(e, POOLD_E_STATE, "cannot read state file %s: %s", path,
			         strerror(errno));
		return r;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (root == NULL) {
		snprintf(why, sizeof(why), "it does not parse: %s at line %d", je.text, je.line);
		return state_corrupt(e, path, why);
	}
	r = state_parse(path, root, t, doms, ndoms, e);
	json_decref(root);
	return r;
}

/* Builds the document from the model. */
static json_t *state_build(const struct pool_table *t, const struct dom *doms, size_t n)
{
	char cpus[CPUMAP_TEXT_MAX], uuid[37];
	json_t *root, *pools, *jdoms;

	pools = json_array();
	jdoms = json_array();
	root = json_pack("{s:i, s:I, s:o, s:o}", "version", STATE_VERSION, "next_pool_id",
	                 (json_int_t)t->next_id, "pools", pools, "domains", jdoms);
	if (root == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct pool *p = &t->pools[i];
		json_t *jp;

		if (cpumap_format(&p->cpus, cpus, sizeof(cpus)) < 0)
			goto fail;
		jp = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)p->id, "name", p->name,
		               "cpus", cpus, "cap", (json_int_t)p->cap);
		/* Only when off: the files of pools that never changed it stay as they were. */
		if (jp != NULL && p->share_off &&
		    json_object_set_new(jp, "share", json_string("off")) < 0) {
			json_decref(jp);
			goto fail;
		}
		/* The scale its credit1 weights were written with: a restart writes the same. */
		if (jp != NULL && p->scale.set &&
		    json_object_set_new(jp, "credit1_step", json_integer(p->scale.step)) < 0) {
			json_decref(jp);
			goto fail;
		}
		if (json_array_append_new(pools, jp) < 0)
			goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dom *d = &doms[i];

		json_t *jd;

		uuid_format(d->uuid, uuid);
		jd = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "uuid", uuid, "domid",
		               (json_int_t)d->domid, "name", d->name, "want", d->want, "key_seen",
		               d->key_seen, "weight", (json_int_t)d->weight, "cap",
		               (json_int_t)d->cap);
		/* Only while a guest's value waits for dom0's write (reconcile.c pass_place). */
		if (jd != NULL && d->key_ignored[0] != '\0' &&
		    json_object_set_new(jd, "key_untrusted", json_string(d->key_ignored)) < 0) {
			json_decref(jd);
			goto fail;
		}
		/* Only for a domain that is gone: records of live ones stay as they were. */
		if (jd != NULL && d->gone > 0 &&
		    json_object_set_new(jd, "gone", json_integer(d->gone)) < 0) {
			json_decref(jd);
			goto fail;
		}
		if (json_array_append_new(jdoms, jd) < 0)
			goto fail;
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

int state_mkdirs(const char *dir)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return len == 0 ? 0 : -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* mkstemp()'s six characters, each one of [A-Za-z0-9] in glibc and musl. */
#define STATE_TEMP_X "XXXXXX"

bool state_is_temp(const char *base, const char *name)
{
	size_t n = strlen(base), x = strlen(STATE_TEMP_X);

	if (name[0] != '.' || strncmp(name + 1, base, n) != 0 || name[n + 1] != '.' ||
	    strlen(name + n + 2) != x)
		return false;
	for (const char *p = name + n + 2; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9'))
			return false;
	return true;
}

int state_remove_temps(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	char dir[4096];
	struct dirent *de;
	struct stat st;
	int n = 0, dfd;
	DIR *d;

	if (slash == NULL)
		strcpy(dir, ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (!state_is_temp(base, de->d_name))
			continue;
		/* Only files: a directory or a link of that name is not one of ours. */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0) {
			log_warn("cannot remove %s/%s, left by a save that was killed", dir,
			         de->d_name);
			continue;
		}
		log_notice("removed %s/%s, left by a save that was killed", dir, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Writes all of buf or fails. */
static int state_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int state_save(const char *path, const struct pool_table *t, const struct dom *doms, size_t n,
               struct perr *e)
{
	char dir[4096], tmp[4096 + 16];
	const char *slash, *what = "writing";
	char *text = NULL;
	json_t *root;
	int fd = -1, dfd, r;

	slash = strrchr(path, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if ((size_t)(slash - path) >= sizeof(dir) - 1)
		return perr_set(e, POOLD_E_STATE, "state file path %s is too long", path);
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	/* state_is_temp() knows this name: keep the two in step. */
	snprintf(tmp, sizeof(tmp), "%s/.%s." STATE_TEMP_X, dir, slash ? slash + 1 : path);

	root = state_build(t, doms, n);
	if (root != NULL)
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL) {
		r = -ENOMEM;
		what = "building";
		goto fail;
	}
	if ((r = state_mkdirs(dir)) < 0) {
		what = "creating the directory of";
		goto fail;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		what = "creating a temporary file for";
		goto fail;
	}
	if ((r = state_write_all(fd, text, strlen(text))) < 0 ||
	    (r = state_write_all(fd, "\n", 1)) < 0)
		goto fail_unlink;
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail_unlink;
	}
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = -errno;
		goto fail_unlink;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		what = "renaming the new";
		goto fail_unlink;
	}
	/* The rename is durable only once the directory entry is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		if (dfd >= 0)
			close(dfd);
		what = "syncing the directory of";
		goto fail;
	}
	close(dfd);
	free(text);
	return 0;

fail_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
fail:
	free(text);
	return perr_set(e, POOLD_E_STATE,
	                "%s the state file %s failed: %s: check that %s is writable and has space",
	                what, path, strerror(-r), dir);
}
