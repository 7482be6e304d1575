/* Rescan and reconcile: list domains, place them, and write only what differs. */
#include "poold/reconcile.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/plan.h"
#include "core/weight.h"
#include "hv/hv.h"
#include "poold/engine.h"
#include "poold/saver.h"
#include "poold/shares.h"
#include "poold/state.h"
#include "util/log.h"
#include "xs/xsw.h"

/* How long a reconcile the hypervisor refused waits before trying again. */
#define RECONCILE_RETRY_SEC     10
/* One batch of the dirty set works this long, then the loop serves clients (us). */
#define RECONCILE_BUDGET_US     500
/* ... having done at least this many domains, so that the work always moves. */
#define RECONCILE_BATCH_MIN     1
/* Records of gone domains are kept this long for their uuid to come back (s), ... */
#define RECORD_KEEP_SEC         (7 * 86400)
/* ... and this many at most, the most recently gone. */
#define RECORD_KEEP_MAX         1024
/* Domain records found by a rescan are saved this long after, together (ms), ... */
#define RECONCILE_SAVE_DELAY_MS 50
/* ... and at most this often (ms): a save of 10,000 records is 100 ms of the writer's CPU. */
#define RECONCILE_SAVE_MIN_MS   1000
/* Domains one step of a walk lists: a step then costs well under a millisecond. */
#define WALK_CHUNK              64

/* What a walk over every domain is for (eng->walk). */
enum {
	WALK_ON = 0x1,     /* under way */
	WALK_SHARE = 0x2,  /* its end runs a share controller period */
	WALK_VERIFY = 0x4, /* marks each domain to be read back (the verify sweep) */
	WALK_KEYS = 0x8,   /* marks each pool key to be read again */
};

/* What one reconcile pass found and did. */
struct pass {
	struct engine *eng;
	bool changed;  /* a domain came, went, moved or changed: status update */
	bool period;   /* a share controller period ran */
	bool more;     /* the dirty set is not empty: the loop continues it */
	int err;       /* first POOLD_E_HYPERVISOR or -errno met */
	size_t marked; /* domains the plan marked dirty */
	uint64_t list_us, merge_us, plan_us; /* where a rescan's time went */
	size_t done;                         /* domains worked */
	struct perr *e;
	size_t verified; /* domains read back from the hypervisor */
	uint64_t writes;
	bool planned;     /* a plan ran: what the listings show may have moved */
	struct plan *dry; /* a dry run: the writes are collected here, none is made */
};

struct state_image *reconcile_image(const struct engine *eng)
{
	struct state_image *img = calloc(1, sizeof(*img));
	size_t n = eng->ndoms;

	if (img == NULL)
		return NULL;
	img->pools = eng->pools;
	img->pools.pools = calloc(eng->pools.n + 1, sizeof(*img->pools.pools));
	img->pools.alloc = eng->pools.n + 1;
	/* Records of domains not alive (or not listed yet) are kept: their uuid may come back. */
	img->doms = calloc(eng->ndoms + eng->nsaved + 1, sizeof(*img->doms));
	if (img->pools.pools == NULL || img->doms == NULL) {
		state_image_free(img);
		return NULL;
	}
	memcpy(img->pools.pools, eng->pools.pools, eng->pools.n * sizeof(*img->pools.pools));
	if (eng->ndoms > 0)
		memcpy(img->doms, eng->doms, eng->ndoms * sizeof(*img->doms));
	for (size_t i = 0; i < eng->nsaved; i++) {
		const struct state_dom *rec = &eng->saved[i];
		struct dom *d = &img->doms[n++];

		memcpy(d->uuid, rec->uuid, sizeof(d->uuid));
		d->domid = rec->domid;
		memcpy(d->name, rec->name, sizeof(d->name));
		memcpy(d->want, rec->want, sizeof(d->want));
		memcpy(d->key_seen, rec->key_seen, sizeof(d->key_seen));
		memcpy(d->key_ignored, rec->key_untrusted, sizeof(d->key_ignored));
		d->weight = rec->weight;
		d->cap = rec->cap;
		d->gone = rec->gone;
	}
	img->n = n;
	return img;
}

int reconcile_save(struct engine *eng, struct perr *e)
{
	struct state_image *img = reconcile_image(eng);
	int r;

	if (img == NULL)
		return perr_set(e, POOLD_E_STATE, "state file not written: out of memory");
	r = state_save(eng->cfg.state_file, &img->pools, img->doms, img->n, e);
	state_image_free(img);
	eng->state_dirty = r != 0;
	eng->state_saves += r == 0;
	return r;
}

void reconcile_emit(struct engine *eng, const struct engine_event *ev)
{
	if (eng->sink.event != NULL)
		eng->sink.event(eng->sink.arg, eng, ev);
}

void reconcile_status(struct engine *eng)
{
	if (eng->ready)
		reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_STATUS});
}

void reconcile_clear(struct engine *eng)
{
	for (size_t i = 0; eng->xs != NULL && i < eng->ndoms; i++)
		xsw_unwatch_domain(eng->xs, eng->doms[i].domid);
	free(eng->doms);
	eng->doms = NULL;
	free(eng->applied);
	eng->applied = NULL;
	eng->ndoms = eng->adoms = 0;
	free(eng->saved);
	eng->saved = NULL;
	eng->nsaved = 0;
	/* Commits still waiting (a writer that never answered): nothing undoes them now. */
	for (size_t i = 0; i < eng->ncommits; i++) {
		free(eng->commits[i].pools.pools);
		free(eng->commits[i].undo);
		free(eng->commits[i].default_was);
	}
	free(eng->commits);
	eng->commits = NULL;
	eng->ncommits = eng->acommits = 0;
}

/*
 * Logs a failure (once: a failure the previous pass began with again is only a
 * debug message, as the retry timer repeats passes) and records the first.
 */
static void pass_fail(struct pass *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pass_fail(struct pass *ps, int code, const char *fmt, ...)
{
	char msg[PERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, ps->eng->last_error) == 0)
		log_debug("still: %s", msg);
	else
		log_warnx("%s", msg);
	if (ps->err != 0)
		return;
	ps->err = code;
	perr_set(ps->e, code, "%s", msg);
}

/*
 * Returns the scheduler of a cpupool, asking the hypervisor only the first
 * time after a full verify: a controller period then costs one listing.
 */
static enum sched_kind pass_sched(struct engine *eng, struct poold_sched_cache *c, uint32_t cpupool)
{
	enum sched_kind k = SCHED_UNKNOWN;
	int r;

	for (unsigned i = 0; i < c->n; i++)
		if (c->cpupool[i] == cpupool)
			return c->kind[i];
	r = eng->hv->ops->cpupool_sched(eng->hv, cpupool, &k);
	if (r < 0) {
		log_warnx("cannot read the scheduler of cpupool %" PRIu32 ": %s", cpupool,
		          strerror(-r));
		return SCHED_UNKNOWN; /* asked again by the next pass */
	}
	if (c->n < sizeof(c->cpupool) / sizeof(c->cpupool[0])) {
		c->cpupool[c->n] = cpupool;
		c->kind[c->n++] = k;
	}
	return k;
}

/* Sets up a domain seen for the first time: its record, or what libxl gave it. */
static bool dom_new(struct engine *eng, struct dom *d, const struct hv_dominfo *info,
                    enum sched_kind kind)
{
	struct state_dom *rec = NULL;

	memset(d, 0, sizeof(*d));
	d->domid = info->domid;
	d->cpu_ns = info->cpu_time;
	d->used = d->entitled = -1;
	memcpy(d->uuid, info->uuid, sizeof(d->uuid));
	d->nr_vcpus = info->nr_vcpus;
	d->shutdown = info->shutdown;
	d->sched = kind;
	d->pool_id = POOL0_ID;
	d->weight = DOM_WEIGHT_DEFAULT;
	for (size_t i = 0; i < eng->nsaved; i++)
		if (memcmp(eng->saved[i].uuid, d->uuid, sizeof(d->uuid)) == 0)
			rec = &eng->saved[i];
	if (rec == NULL)
		return false;
	memcpy(d->want, rec->want, sizeof(d->want));
	memcpy(d->key_seen, rec->key_seen, sizeof(d->key_seen));
	memcpy(d->key_ignored, rec->key_untrusted, sizeof(d->key_ignored));
	memcpy(d->name, rec->name, sizeof(d->name));
	d->weight = rec->weight;
	d->cap = rec->cap;
	if (rec->gone > 0)
		log_info("domain %" PRIu32 " (%s) is back (uuid of domain %" PRIu32
		         ", gone %" PRId64 " s ago): pool %s, weight %u, cap %u",
		         d->domid, d->name, rec->domid, (int64_t)time(NULL) - rec->gone,
		         d->want[0] ? d->want : "by default", d->weight, d->cap);
	/* The record lives on in the domain now. */
	*rec = eng->saved[--eng->nsaved];
	return true;
}

/*
 * Meets a new domain in xenstore and the hypervisor, as the dirty set's
 * work reaches it: its name, the weight and cap libxl gave it (adopt: it
 * had no record; *seen says what was read). Its key and watch follow.
 */
static void dom_meet(struct engine *eng, struct dom *d, bool adopt, struct sched_params *seen)
{
	char name[DOM_NAME_MAX + 1];
	unsigned w = 0, c = 0;
	int r;

	*seen = (struct sched_params){0};
	if (eng->xs != NULL && xsw_read_name(eng->xs, d->domid, name, sizeof(name)) == 0)
		memcpy(d->name, name, sizeof(d->name));
	if (adopt && (d->sched == SCHED_CREDIT || d->sched == SCHED_CREDIT2)) {
		/* libxl set these from the domain's config: keep the admin's choice. */
		r = eng->hv->ops->get_sched(eng->hv, d->domid, d->sched, &w, &c);
		if (r == 0)
			*seen = (struct sched_params){.weight = w, .cap = c, .write = true};
		if (r == 0 && w >= DOM_WEIGHT_MIN && w <= DOM_WEIGHT_MAX) {
			d->weight = w;
			d->cap = c;
		}
	}
	log_about(LOG_LEVEL_INFO, d->domid, NULL, "domain %" PRIu32 " (%s) appeared, %u vCPUs, %s",
	          d->domid, d->name, d->nr_vcpus, sched_kind_name(d->sched));
}

/* Watches the pool key of a domain just met (its registration fires it once). */
static void dom_watch(struct engine *eng, const struct dom *d)
{
	if (eng->xs != NULL && xsw_watch_domain(eng->xs, d->domid) < 0)
		log_warn("domain %" PRIu32 ": cannot watch its pool key", d->domid);
}

/*
 * Keeps the record of a domain that went, by uuid: a guest that reboots, or
 * is saved and restored, comes back with a new domid to its pool and its
 * settings (doc/design.md, "Domains and their records"). Only records that say something
 * the next domain of that uuid would not get anyway are kept.
 */
static bool record_says_something(const char *want, unsigned weight, unsigned cap)
{
	return want[0] != '\0' || weight != DOM_WEIGHT_DEFAULT || cap != 0;
}

static void record_keep(struct engine *eng, const struct dom *d, int64_t now)
{
	struct state_dom *rec, *grown;

	if (d->domid == 0 || !record_says_something(d->want, d->weight, d->cap))
		return;
	if (eng->nsaved >= eng->asaved) {
		size_t n = eng->nsaved > 8 ? 2 * eng->nsaved : 16;

		grown = realloc(eng->saved, n * sizeof(*grown));
		if (grown == NULL) {
			log_warnx("domain %" PRIu32 " (%s): out of memory, its record is dropped",
			          d->domid, d->name);
			return;
		}
		eng->saved = grown;
		eng->asaved = n;
	}
	rec = &eng->saved[eng->nsaved++];
	*rec =
	    (struct state_dom){.domid = d->domid, .weight = d->weight, .cap = d->cap, .gone = now};
	memcpy(rec->uuid, d->uuid, sizeof(rec->uuid));
	memcpy(rec->name, d->name, sizeof(rec->name));
	memcpy(rec->want, d->want, sizeof(rec->want));
	memcpy(rec->key_seen, d->key_seen, sizeof(rec->key_seen));
	memcpy(rec->key_untrusted, d->key_ignored, sizeof(rec->key_untrusted));
}

static int record_older(const void *a, const void *b)
{
	const struct state_dom *x = a, *y = b;

	return x->gone < y->gone ? -1 : x->gone > y->gone;
}

/*
 * Ages the records of gone domains out: after RECORD_KEEP_SEC, and past
 * RECORD_KEEP_MAX the oldest first. Records loaded for domains alive when
 * the file was written and not listed now start their clock. Returns true
 * when one was dropped or stamped.
 */
static bool records_age(struct engine *eng, int64_t now)
{
	size_t k = 0, n0 = eng->nsaved;
	bool stamped = false;

	for (size_t i = 0; i < eng->nsaved; i++) {
		struct state_dom *rec = &eng->saved[i];

		if (rec->gone == 0) {
			rec->gone = now;
			stamped = true;
		}
		if (!record_says_something(rec->want, rec->weight, rec->cap))
			continue;
		if (now - rec->gone > RECORD_KEEP_SEC) {
			log_info("domain record %s (uuid of domain %" PRIu32
			         ") dropped: gone for %" PRId64 " days",
			         rec->name, rec->domid, (now - rec->gone) / 86400);
			continue;
		}
		eng->saved[k++] = *rec;
	}
	eng->nsaved = k;
	if (eng->nsaved > RECORD_KEEP_MAX) {
		size_t drop = eng->nsaved - RECORD_KEEP_MAX;

		qsort(eng->saved, eng->nsaved, sizeof(*eng->saved), record_older);
		log_info("%zu domain records of gone domains dropped: more than %d are kept", drop,
		         RECORD_KEEP_MAX);
		memmove(eng->saved, eng->saved + drop, RECORD_KEEP_MAX * sizeof(*eng->saved));
		eng->nsaved = RECORD_KEEP_MAX;
	}
	return stamped || eng->nsaved != n0;
}

/* Gives back the room of records that were met or aged out (most, after a start). */
static void records_shrink(struct engine *eng)
{
	struct state_dom *s;

	if (eng->asaved <= 2 * eng->nsaved + 16)
		return;
	s = realloc(eng->saved, (eng->nsaved + 16) * sizeof(*s));
	if (s == NULL)
		return;
	eng->saved = s;
	eng->asaved = eng->nsaved + 16;
}

/* Tells subscribers a domain is gone and stops watching it. */
static void dom_gone(struct engine *eng, const struct dom *d)
{
	log_about(LOG_LEVEL_INFO, d->domid, NULL, "domain %" PRIu32 " (%s) is gone", d->domid,
	          d->name);
	record_keep(eng, d, (int64_t)time(NULL));
	if (eng->xs != NULL)
		xsw_unwatch_domain(eng->xs, d->domid);
	reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_DOMAIN_GONE, .dom = d});
}

/* Finds the domain of domid in eng->doms (ascending domids); false when none. */
static bool dom_index(const struct engine *eng, uint32_t domid, size_t *at)
{
	size_t lo = 0, hi = eng->ndoms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (eng->doms[mid].domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return lo < eng->ndoms && eng->doms[lo].domid == domid;
}

/* Continues the work from the loop (without one, in tests, the caller does it). */
static void work_soon(struct engine *eng)
{
	static const struct timeval now = {0, 0};

	if (eng->work != NULL && !event_pending(eng->work, EV_TIMEOUT, NULL))
		event_add(eng->work, &now);
}

/* Makes room for n more domains in eng->doms and eng->applied (amortized). */
static int doms_reserve(struct engine *eng, size_t n)
{
	struct dom_applied *na;
	struct dom *nd;
	size_t want = eng->ndoms + n + 1, a;

	if (want <= eng->adoms && eng->applied != NULL)
		return 0;
	a = eng->adoms > 16 ? eng->adoms : 16;
	while (a < want)
		a *= 2;
	nd = realloc(eng->doms, a * sizeof(*nd));
	if (nd == NULL)
		return -ENOMEM;
	eng->doms = nd;
	na = realloc(eng->applied, a * sizeof(*na));
	if (na == NULL)
		return -ENOMEM;
	if (eng->applied == NULL)
		memset(na, 0, eng->ndoms * sizeof(*na));
	eng->applied = na;
	eng->adoms = a;
	return 0;
}

/* Sets up a domain listed for the first time in the slots d and ap. */
static void merge_add(struct engine *eng, struct pass *ps, struct dom *d, struct dom_applied *ap,
                      const struct hv_dominfo *info, enum sched_kind kind, bool born,
                      uint64_t now_ns)
{
	memset(ap, 0, sizeof(*ap));
	ap->dirty = DIRTY_NEW | (dom_new(eng, d, info, kind) ? 0 : DIRTY_ADOPT);
	d->cpu_at = now_ns;
	ap->born = born;
	ps->changed = true;
	eng->state_dirty = true;
}

/* Takes what a listing says of a known domain. */
static void merge_update(struct engine *eng, struct dom *d, const struct hv_dominfo *info,
                         enum sched_kind kind, uint64_t now_ns)
{
	d->nr_vcpus = info->nr_vcpus;
	d->shutdown = info->shutdown;
	d->cpu_ns = info->cpu_time;
	d->cpu_at = now_ns;
	d->sched = kind;
	if (d->name[0] == '\0' && eng->xs != NULL &&
	    xsw_read_name(eng->xs, d->domid, d->name, sizeof(d->name)) == 0)
		eng->state_dirty = true;
}

/*
 * Merges a listing of the domids [first, last] into eng->doms: keeps known
 * domains (same domid and uuid, since domids are reused), adds new ones
 * (DIRTY_NEW), drops gone and dying ones; domains outside the range stay as
 * they are. What it costs is the range: a listing of domains past every
 * known domid (a new domain) only appends, one that finds the range as it
 * was (a step of a walk) only updates; only a range whose domains came or
 * went rebuilds the arrays.
 */
static int pass_merge(struct engine *eng, struct pass *ps, struct poold_sched_cache *sc,
                      const struct hv_dominfo *info, size_t n, uint32_t first, uint32_t last,
                      uint64_t now_ns)
{
	struct dom_applied *na;
	struct dom *nd;
	size_t k = 0, o = 0, lo = 0, hi, alloc;
	bool same;

	if (first > 0 && eng->ndoms > 0 && first > eng->doms[eng->ndoms - 1].domid) {
		/* Only new domains: appended where they belong, nobody else touched. */
		if (doms_reserve(eng, n) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			if (info[i].dying)
				continue;
			merge_add(eng, ps, &eng->doms[eng->ndoms], &eng->applied[eng->ndoms],
			          &info[i], pass_sched(eng, sc, info[i].cpupool), true, now_ns);
			eng->ndoms++;
		}
		if (records_age(eng, (int64_t)time(NULL)))
			eng->state_dirty = true;
		return 0;
	}
	(void)dom_index(eng, first, &lo);
	for (hi = lo; hi < eng->ndoms && eng->doms[hi].domid <= last; hi++)
		;
	same = hi - lo == n && eng->applied != NULL;
	for (size_t i = 0; same && i < n; i++)
		same = !info[i].dying && eng->doms[lo + i].domid == info[i].domid &&
		       memcmp(eng->doms[lo + i].uuid, info[i].uuid, 16) == 0;
	if (same) {
		for (size_t i = 0; i < n; i++)
			merge_update(eng, &eng->doms[lo + i], &info[i],
			             pass_sched(eng, sc, info[i].cpupool), now_ns);
		if (records_age(eng, (int64_t)time(NULL)))
			eng->state_dirty = true;
		return 0;
	}
	alloc = eng->ndoms - (hi - lo) + n + 1;
	nd = calloc(alloc, sizeof(*nd));
	na = calloc(alloc, sizeof(*na));
	if (nd == NULL || na == NULL) {
		free(nd);
		free(na);
		return -ENOMEM;
	}
	for (; o < lo; o++, k++) {
		nd[k] = eng->doms[o];
		if (eng->applied != NULL)
			na[k] = eng->applied[o];
	}
	for (size_t i = 0; i < n; i++) {
		enum sched_kind kind;

		while (o < hi && eng->doms[o].domid < info[i].domid) {
			dom_gone(eng, &eng->doms[o++]);
			ps->changed = true;
		}
		if (info[i].dying)
			continue;
		kind = pass_sched(eng, sc, info[i].cpupool);
		if (o < hi && eng->doms[o].domid == info[i].domid &&
		    memcmp(eng->doms[o].uuid, info[i].uuid, 16) == 0) {
			if (eng->applied != NULL)
				na[k] = eng->applied[o];
			nd[k] = eng->doms[o++];
			merge_update(eng, &nd[k], &info[i], kind, now_ns);
		} else {
			if (o < hi && eng->doms[o].domid == info[i].domid)
				dom_gone(eng, &eng->doms[o++]);
			/* Listed past the highest domid while running: a domain just created. */
			merge_add(eng, ps, &nd[k], &na[k], &info[i], kind,
			          first > 0 && eng->ndoms > 0 &&
			              info[i].domid > eng->doms[eng->ndoms - 1].domid,
			          now_ns);
		}
		k++;
	}
	while (o < hi) {
		dom_gone(eng, &eng->doms[o++]);
		ps->changed = true;
	}
	for (; o < eng->ndoms; o++, k++) {
		nd[k] = eng->doms[o];
		if (eng->applied != NULL)
			na[k] = eng->applied[o];
	}
	/* Gone domains or aged records change what the state file should say. */
	if (records_age(eng, (int64_t)time(NULL)) || ps->changed)
		eng->state_dirty = true;
	free(eng->doms);
	eng->doms = nd;
	free(eng->applied);
	eng->applied = na;
	eng->ndoms = k;
	eng->adoms = alloc;
	return 0;
}

/* A domain's key warnings: at most KEY_WARN_MAX per KEY_WARN_US, then how many were held. */
#define KEY_WARN_US  (60 * 1000000ull)
#define KEY_WARN_MAX 3

static uint64_t key_warn_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Warns that d's pool key is ignored and why, at most KEY_WARN_MAX times a
 * minute per domain: a guest that rewrites its key in a loop makes a few
 * lines a minute, the next one saying how many were held back.
 */
static void key_warn(struct dom *d, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void key_warn(struct dom *d, const char *key, const char *fmt, ...)
{
	uint64_t now = key_warn_clock();
	char why[512];
	va_list ap;

	if (d->key_warned_us == 0 || now - d->key_warned_us >= KEY_WARN_US) {
		d->key_warned_us = now;
		d->key_warn_n = 0;
	}
	if (d->key_warn_n >= KEY_WARN_MAX) {
		d->key_warn_held++;
		return;
	}
	d->key_warn_n++;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (d->key_warn_held > 0)
		log_about(LOG_LEVEL_WARNING, d->domid, NULL,
		          "domain %" PRIu32 " (%s): ignoring its pool key \"%.64s\": %s (%u more "
		          "such warnings held back)",
		          d->domid, d->name, key, why, d->key_warn_held);
	else
		log_about(LOG_LEVEL_WARNING, d->domid, NULL,
		          "domain %" PRIu32 " (%s): ignoring its pool key \"%.64s\": %s", d->domid,
		          d->name, key, why);
	d->key_warn_held = 0;
}

/*
 * Reads the trusted pool key of d (when read_key, when d is new or when its
 * key's watch fired) and places it; events when it moved. Keys change only
 * with a xenstore event, so other keys are placed from what was read.
 */
static void pass_place(struct engine *eng, struct pass *ps, struct dom *d, struct dom_applied *ap,
                       bool fresh, bool read_key)
{
	/* Longer than a pool name, so that a too-long key shows up as misplaced (dom.c). */
	char key[4 * POOL_NAME_MAX];
	bool trusted = false, event;
	unsigned events;
	int r;

	/*
	 * An absent key counts as no key. An untrusted one (not dom0's, or
	 * writable by another domain) is ignored, so that a guest can never move
	 * itself; an unreadable one changes nothing either. A value seen
	 * untrusted stays ignored once dom0 owns the node (a chmod leaves the
	 * guest's value in place): it counts after a later key event on the
	 * trusted node (dom0's write: no other domain can change it now), or
	 * when dom0 writes another value. Events that came together are read
	 * once: the chmod's and the write's then count as two.
	 */
	events = eng->xs != NULL ? xsw_key_events(eng->xs, d->domid) : 0;
	event = events > 0;
	if (d->domid != 0 && eng->xs != NULL && (read_key || fresh || event)) {
		r = xsw_read_pool_key(eng->xs, d->domid, key, sizeof(key), &trusted);
		if (r == 0 && !trusted) {
			if (strncmp(key, d->key_ignored, sizeof(d->key_ignored) - 1) != 0 ||
			    d->key_rechecked)
				key_warn(d, key,
				         "dom0 must own it and no other domain write it; set it "
				         "from dom0: xenstore-chmod /local/domain/%" PRIu32
				         "/pool n0 r%" PRIu32
				         ", then xenstore-write /local/domain/%" PRIu32
				         "/pool POOL",
				         d->domid, d->domid, d->domid);
			if (strncmp(key, d->key_ignored, sizeof(d->key_ignored) - 1) != 0)
				eng->state_dirty = true;
			snprintf(d->key_ignored, sizeof(d->key_ignored), "%.64s", key);
			d->key_rechecked = false;
		} else if (r < 0 && r != -ENOENT) {
			log_debug("domain %" PRIu32 ": pool key unreadable: %s", d->domid,
			          strerror(-r));
		} else if (r == 0 && d->key_ignored[0] != '\0' &&
		           strncmp(key, d->key_ignored, sizeof(d->key_ignored) - 1) == 0 &&
		           events + d->key_rechecked < 2) {
			if (event)
				d->key_rechecked = true;
			key_warn(d, key,
			         "dom0 owns it now, but the value is the one it had while another "
			         "domain could write it; write it from dom0 for it to count: "
			         "xenstore-write /local/domain/%" PRIu32 "/pool POOL",
			         d->domid);
		} else {
			if (d->key_ignored[0] != '\0')
				eng->state_dirty = true;
			d->key_ignored[0] = '\0';
			d->key_rechecked = false;
			if (dom_take_key(d, r == 0 ? key : NULL)) {
				log_info("domain %" PRIu32 " (%s): pool key says \"%s\"", d->domid,
				         d->name, d->want);
				eng->state_dirty = true;
				ps->changed = true;
			}
		}
	}
	if (dom_place(d, &eng->pools, eng->cfg.default_pool) || fresh) {
		const struct pool *p = pool_find_id(&eng->pools, d->pool_id);

		if (d->misplaced)
			log_about(LOG_LEVEL_NOTICE, d->domid, d->want,
			          "domain %" PRIu32 " (%s) wants pool %s, which does not exist: "
			          "held in %s until it is created",
			          d->domid, d->name, d->want, p != NULL ? p->name : "?");
		else
			log_about(LOG_LEVEL_INFO, d->domid, p != NULL ? p->name : NULL,
			          "domain %" PRIu32 " (%s) placed in %s", d->domid, d->name,
			          p != NULL ? p->name : "?");
		/* Announced once it is pinned there (announce_placed()). */
		ap->dirty |= DIRTY_PLACED;
		ps->changed = true;
	}
}

/* Tells subscribers where d is, once its pinning is done (or it runs nowhere). */
static void announce_placed(struct engine *eng, struct dom *d, struct dom_applied *ap)
{
	if (!(ap->dirty & DIRTY_PLACED))
		return;
	ap->dirty &= (uint8_t)~DIRTY_PLACED;
	reconcile_emit(eng, &(struct engine_event){.kind = ENGINE_EV_DOMAIN_PLACED,
	                                           .dom = d,
	                                           .pool = pool_find_id(&eng->pools, d->pool_id)});
}

/* True when a failure only means the domain died meanwhile. */
static bool dom_died(int r)
{
	return r == -ESRCH || r == -ENOENT;
}

/* Makes one op; on failure says which domain, vCPU and cpus. Returns the hv result. */
static int pass_apply(struct engine *eng, struct pass *ps, const struct dom *d,
                      const struct plan_op *op)
{
	char cpus[CPUMAP_TEXT_MAX];
	int r;

	if (ps->dry != NULL)
		return plan_add(ps->dry, op);
	if (op->kind == PLAN_SET_AFFINITY)
		r = eng->hv->ops->set_affinity(eng->hv, op->domid, op->vcpu, &op->cpus,
		                               op->with_soft ? &op->soft : NULL);
	else if (op->kind == PLAN_SET_NODES)
		r = eng->hv->ops->set_node_affinity(eng->hv, op->domid, &op->nodes);
	else
		r = eng->hv->ops->set_sched(eng->hv, op->domid, op->sched, op->weight, op->cap);
	if (r == 0) {
		eng->hv_writes++;
		ps->writes++;
		return 0;
	}
	if (dom_died(r))
		return r;
	if (op->kind == PLAN_SET_AFFINITY) {
		cpumap_format(&op->cpus, cpus, sizeof(cpus));
		pass_fail(ps, POOLD_E_HYPERVISOR,
		          "domain %" PRIu32 " (%s) vCPU %u: pinning to cpus %s failed: %s",
		          d->domid, d->name, op->vcpu, cpus, strerror(-r));
	} else if (op->kind == PLAN_SET_NODES) {
		cpumap_format(&op->nodes, cpus, sizeof(cpus));
		pass_fail(ps, POOLD_E_HYPERVISOR,
		          "domain %" PRIu32
		          " (%s): setting its node affinity to nodes %s failed: %s",
		          d->domid, d->name, cpus, strerror(-r));
	} else {
		pass_fail(ps, POOLD_E_HYPERVISOR,
		          "domain %" PRIu32 " (%s): setting %s weight %u cap %u failed: %s",
		          d->domid, d->name, sched_kind_name(op->sched), op->weight, op->cap,
		          strerror(-r));
	}
	return r;
}

/*
 * Whether poold keeps soft and node affinity with the pool: the backend can set node affinity
 * and the host has more than one node (on one, every pool's nodes are all of them: nothing to
 * read or write).
 */
static bool numa_managed(const struct engine *eng)
{
	return eng->hv->ops->get_node_affinity != NULL && eng->hv->ops->set_node_affinity != NULL &&
	       eng->topo != NULL && topo_nr_nodes(eng->topo) > 1;
}

/*
 * What a member of a pool whose online pCPUs are eff wants beyond its pinning (doc/design.md,
 * NUMA): node affinity the pool's nodes, so that its new memory comes from them, and soft
 * affinity every online pCPU of those nodes.
 */
static void numa_want(const struct engine *eng, const struct cpumap *eff, struct cpumap *nodes,
                      struct cpumap *soft)
{
	topo_cpumap_nodes(eng->topo, eff, nodes);
	topo_nodes_cpus(eng->topo, nodes, soft);
}

/* True when d is pinned as it was last verified to be. */
static bool applied_pinned(const struct dom_applied *a, const struct dom *d,
                           const struct cpumap *cpus)
{
	return a->valid && a->nr_vcpus == d->nr_vcpus && a->kind == d->sched &&
	       cpumap_equal(&a->cpus, cpus);
}

/* True when what d should have now is what it was last verified to have. */
static bool applied_same(const struct dom_applied *a, const struct dom *d,
                         const struct cpumap *cpus, const struct sched_params *sp)
{
	return applied_pinned(a, d, cpus) && a->sched.write == sp->write &&
	       a->sched.weight == sp->weight && a->sched.cap == sp->cap;
}

/*
 * Reads what the hypervisor has for d, diffs it against what d should have,
 * writes it. Outside a full verify, a domain whose wanted state is what it was
 * last verified or written to have is trusted without a read: on a converged
 * host an event then costs no hypervisor call per vCPU, and one whose pinning
 * stays costs one write for a new weight or cap. Drift made behind poold's
 * back is found by the next full verify.
 */
static void pass_dom(struct engine *eng, struct pass *ps, struct dom *d, struct dom_applied *ap,
                     bool verify)
{
	const struct sched_params *sp = &ap->want;
	const struct pool *p = pool_find_id(&eng->pools, d->pool_id);
	struct dom_desired want = {.domid = d->domid, .sched = *sp, .kind = d->sched};
	struct dom_actual act = {.domid = d->domid, .nr_vcpus = d->nr_vcpus};
	struct cpumap eff;
	struct dom_applied was;
	bool trust;
	int r = 0;

	if (d->shutdown) {
		/* Nothing runs; read it all back should it resume. */
		ap->valid = false;
		return;
	}
	if (p == NULL || cpumap_empty(&p->cpus)) {
		/* A pool whose pCPUs all went offline: its members run in pool0. */
		p = &eng->pools.pools[0];
	}
	want.cpus = p->cpus;
	cpumap_and(&eff, &p->cpus, &eng->pools.online);
	want.numa = numa_managed(eng);
	if (want.numa)
		numa_want(eng, &eff, &want.nodes, &want.soft);
	if (!verify && applied_same(ap, d, &eff, sp))
		return;
	if (!verify && sp->write && applied_pinned(ap, d, &eff)) {
		/*
		 * Only the weight or cap moved (a share period, domain-set): what
		 * was verified needs no read again, the one write will do.
		 */
		struct plan_op op = {.kind = PLAN_SET_SCHED,
		                     .domid = d->domid,
		                     .sched = d->sched,
		                     .weight = sp->weight,
		                     .cap = sp->cap};

		ap->valid = false;
		r = pass_apply(eng, ps, d, &op);
		if (r == 0) {
			ap->valid = true;
			ap->sched = *sp;
		} else if (dom_died(r)) {
			log_debug("domain %" PRIu32 " died while being reconciled", d->domid);
		}
		return;
	}
	/*
	 * A domain verified (or written) before whose pool moved: what it was
	 * left with is trusted, as for a weight alone, and only the differences
	 * are written, without a read (the sweep finds changes made behind
	 * poold's back). Anything else is read back first.
	 */
	trust = !verify && ap->valid && ap->nr_vcpus == d->nr_vcpus && ap->kind == d->sched;
	was = *ap;
	/* Until this read and its writes all succeed, nothing is known. */
	ap->valid = false;
	act.hard = calloc(d->nr_vcpus + 1, sizeof(*act.hard));
	if (act.hard == NULL) {
		pass_fail(ps, -ENOMEM, "domain %" PRIu32 ": out of memory", d->domid);
		return;
	}
	if (want.numa && !trust) {
		act.soft = calloc(d->nr_vcpus + 1, sizeof(*act.soft));
		if (act.soft == NULL) {
			free(act.hard);
			pass_fail(ps, -ENOMEM, "domain %" PRIu32 ": out of memory", d->domid);
			return;
		}
	}
	if (trust) {
		for (unsigned v = 0; v < d->nr_vcpus; v++)
			act.hard[v] = was.cpus;
		act.weight = was.sched.weight;
		act.cap = was.sched.cap;
		act.sched_known = was.sched.write;
		/* Its soft and node affinity were made from the pool it had, as its pinning was. */
		if (want.numa) {
			struct cpumap soft;

			numa_want(eng, &was.cpus, &act.nodes, &soft);
			act.nodes_known = true;
		}
	} else {
		ps->verified++;
	}
	for (unsigned v = 0; !trust && v < d->nr_vcpus && r == 0; v++) {
		r = eng->hv->ops->get_affinity(eng->hv, d->domid, v, &act.hard[v],
		                               act.soft != NULL ? &act.soft[v] : NULL);
		eng->hv_reads++;
		if (r < 0 && !dom_died(r))
			pass_fail(ps, POOLD_E_HYPERVISOR,
			          "domain %" PRIu32 " (%s) vCPU %u: reading affinity failed: %s",
			          d->domid, d->name, v, strerror(-r));
	}
	if (r == 0 && !trust && want.numa) {
		r = eng->hv->ops->get_node_affinity(eng->hv, d->domid, &act.nodes);
		eng->hv_reads++;
		if (r == 0)
			act.nodes_known = true;
		else if (!dom_died(r))
			pass_fail(ps, POOLD_E_HYPERVISOR,
			          "domain %" PRIu32 " (%s): reading its node affinity failed: %s",
			          d->domid, d->name, strerror(-r));
	}
	if (r == 0 && !trust && sp->write &&
	    (d->sched == SCHED_CREDIT || d->sched == SCHED_CREDIT2)) {
		r = eng->hv->ops->get_sched(eng->hv, d->domid, d->sched, &act.weight, &act.cap);
		eng->hv_reads++;
		if (r == 0)
			act.sched_known = true;
		else if (!dom_died(r))
			pass_fail(ps, POOLD_E_HYPERVISOR,
			          "domain %" PRIu32 " (%s): reading %s weight failed: %s", d->domid,
			          d->name, sched_kind_name(d->sched), strerror(-r));
	}
	if (r == 0) {
		plan_reset(&eng->plan);
		r = plan_diff(&eng->plan, &want, &act, &eng->pools.online);
		if (r < 0)
			pass_fail(ps, r, "domain %" PRIu32 ": planning failed: %s", d->domid,
			          strerror(-r));
	}
	/* After a failed op the domain waits for the next pass; others go on. */
	for (size_t i = 0; r == 0 && i < eng->plan.n; i++)
		r = pass_apply(eng, ps, d, &eng->plan.ops[i]);
	if (dom_died(r))
		log_debug("domain %" PRIu32 " died while being reconciled", d->domid);
	if (r == 0) {
		ap->valid = true;
		ap->nr_vcpus = d->nr_vcpus;
		ap->kind = d->sched;
		ap->cpus = eff;
		ap->sched = *sp;
	}
	plan_reset(&eng->plan);
	free(act.hard);
	free(act.soft);
}

/* Logs a failed pass once per distinct message and schedules a retry. */
static void pass_report(struct engine *eng, const struct pass *ps)
{
	static const struct timeval retry = {RECONCILE_RETRY_SEC, 0};

	if (ps->err == 0) {
		eng->last_error[0] = '\0';
		return;
	}
	/* After an error nothing remembered is sure: the next pass reads everything. */
	eng->verify_all = true;
	snprintf(eng->last_error, sizeof(eng->last_error), "%s", ps->e->msg);
	if (eng->retry != NULL && !event_pending(eng->retry, EV_TIMEOUT, NULL))
		event_add(eng->retry, &retry);
}

/* Returns a monotonic clock reading in us, for budgets and the debug lines. */
static uint64_t pass_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Writes the state file now, or soon when the loop runs: placements never wait for a fsync. */
static void save_soon(struct engine *eng)
{
	uint64_t since = pass_clock() - eng->records_saved_us, delay_us;
	struct timeval tv;

	if (!eng->state_dirty)
		return;
	if (eng->save != NULL) {
		if (event_pending(eng->save, EV_TIMEOUT, NULL))
			return;
		delay_us = RECONCILE_SAVE_DELAY_MS * 1000;
		if (eng->saver != NULL && since < RECONCILE_SAVE_MIN_MS * 1000 &&
		    RECONCILE_SAVE_MIN_MS * 1000 - since > delay_us)
			delay_us = RECONCILE_SAVE_MIN_MS * 1000 - since;
		tv = (struct timeval){(time_t)(delay_us / 1000000),
		                      (suseconds_t)(delay_us % 1000000)};
		event_add(eng->save, &tv);
		return;
	}
	reconcile_save_due(eng);
}

void reconcile_save_timer(struct engine *eng)
{
	static const struct timeval soon = {0, RECONCILE_SAVE_DELAY_MS * 1000};

	/* Records wait while the writer works: they go in the next image, not behind it. */
	if (eng->saver != NULL && eng->save != NULL && saver_busy(eng->saver)) {
		event_add(eng->save, &soon);
		return;
	}
	eng->records_saved_us = pass_clock();
	reconcile_save_due(eng);
}

void reconcile_save_due(struct engine *eng)
{
	struct state_image *img;
	struct perr se;

	if (!eng->state_dirty)
		return;
	if (eng->saver == NULL) {
		if (reconcile_save(eng, &se) != 0)
			log_warnx("domain records not saved (retried on the next change): %s",
			          se.msg);
		return;
	}
	/* Written off the loop; a failure marks the state dirty again (engine_saved()). */
	img = reconcile_image(eng);
	if (img == NULL) {
		log_warnx("domain records not saved (retried on the next change): out of memory");
		return;
	}
	eng->state_dirty = false;
	(void)saver_submit(eng->saver, img);
}

/*
 * Places every domain (keys read where new or changed), computes what each
 * should have (weights, the pool-cap split, the controller's caps) and marks
 * where that differs from what was applied: the work the reconciler then
 * does. A pass over memory only, O(domains): no hypervisor call.
 */
static int pass_plan(struct engine *eng, struct pass *ps, bool keys, uint64_t now_ns, bool period)
{
	struct pool_scale *steps;
	struct sched_params *sp;
	size_t marked = 0, unmet = 0;

	eng->plan_due = false;
	ps->planned = true;
	for (size_t i = 0; i < eng->ndoms; i++) {
		/*
		 * A new domain is placed from its record until the work reads its
		 * key; one without a record counts in no pool's weights or caps
		 * until then (its pool and weight are not known yet).
		 */
		if (eng->applied[i].dirty & DIRTY_NEW) {
			unmet++;
			dom_place(&eng->doms[i], &eng->pools, eng->cfg.default_pool);
			eng->applied[i].unmet = eng->doms[i].sched;
			if (eng->applied[i].dirty & DIRTY_ADOPT)
				eng->doms[i].sched = SCHED_UNKNOWN;
		} else {
			pass_place(eng, ps, &eng->doms[i], &eng->applied[i], false, keys);
		}
	}
	sp = calloc(eng->ndoms + 1, sizeof(*sp));
	if (sp == NULL)
		return -ENOMEM;
	steps = calloc(eng->pools.n + 1, sizeof(*steps));
	for (size_t j = 0; steps != NULL && j < eng->pools.n; j++)
		steps[j] = eng->pools.pools[j].scale;
	weight_compute(&eng->pools, eng->doms, eng->ndoms, sp);
	for (size_t i = 0; i < eng->ndoms; i++)
		if (eng->applied[i].dirty & DIRTY_NEW)
			eng->doms[i].sched = eng->applied[i].unmet;
	/*
	 * While new domains are still to be met nothing is applied, and a plan
	 * of part of them must not move a credit1 scale: the plan after the
	 * last one decides, once. A scale that moved is saved: a restart then
	 * writes the same weights.
	 */
	for (size_t j = 0; j < eng->pools.n; j++) {
		if (steps != NULL && unmet > 0)
			eng->pools.pools[j].scale = steps[j];
		else if (steps == NULL || steps[j].set != eng->pools.pools[j].scale.set ||
		         steps[j].step != eng->pools.pools[j].scale.step)
			eng->state_dirty = true;
	}
	free(steps);
	shares_apply(eng, sp, now_ns, period);
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct dom *d = &eng->doms[i];
		struct dom_applied *ap = &eng->applied[i];
		const struct pool *p = pool_find_id(&eng->pools, d->pool_id);
		struct cpumap eff;

		d->hv_weight = sp[i].write ? sp[i].weight : 0;
		d->hv_cap = sp[i].write ? sp[i].cap : 0;
		ap->want = sp[i];
		if (p == NULL || cpumap_empty(&p->cpus))
			p = &eng->pools.pools[0];
		cpumap_and(&eff, &p->cpus, &eng->pools.online);
		if (!d->shutdown && !applied_same(ap, d, &eff, &sp[i])) {
			ap->dirty |= DIRTY_APPLY;
			marked++;
		} else if (!(ap->dirty & DIRTY_NEW)) {
			/* Pinned there already (or it runs nowhere): nothing to wait for. */
			announce_placed(eng, d, ap);
		}
	}
	free(sp);
	ps->marked = marked;
	return 0;
}

/*
 * Marks every domain to be read back, and its key read again unless this
 * rescan reads it anyway (a new domain): the verify sweep.
 */
static void mark_verify(struct engine *eng)
{
	for (size_t i = 0; i < eng->ndoms; i++)
		eng->applied[i].dirty |=
		    DIRTY_READ | (eng->applied[i].dirty & DIRTY_NEW ? 0 : DIRTY_KEY);
	eng->sweep_start = pass_clock();
}

/*
 * Works the dirty set: first what must change (new domains, new pools,
 * weights, caps), then what a verify reads back. With a budget it stops
 * after budget_us (having done at least RECONCILE_BATCH_MIN domains) and
 * continues from the loop, so that clients are served between batches.
 */
/* True when the budget of a batch is spent (never before RECONCILE_BATCH_MIN domains). */
static bool batch_spent(uint64_t t0, uint64_t budget_us, size_t done)
{
	return budget_us > 0 && done >= RECONCILE_BATCH_MIN && pass_clock() - t0 >= budget_us;
}

/*
 * Pins a domain created while poold runs to its pool without reading it
 * first (libxl leaves a new domain on every pCPU, or where its config
 * said): a placement costs its vCPUs' writes and is announced right after.
 * Its weight and cap follow with the next plan; seen is what dom_meet()
 * read of them.
 */
static void pin_born(struct engine *eng, struct pass *ps, struct dom *d, struct dom_applied *ap,
                     const struct sched_params *seen)
{
	const struct pool *p = pool_find_id(&eng->pools, d->pool_id);
	struct plan_op op = {.kind = PLAN_SET_AFFINITY, .domid = d->domid};
	struct cpumap eff;
	int r = 0;

	if (d->shutdown)
		return;
	if (p == NULL || cpumap_empty(&p->cpus))
		p = &eng->pools.pools[0];
	cpumap_and(&eff, &p->cpus, &eng->pools.online);
	if (cpumap_empty(&eff))
		return;
	op.cpus = eff;
	op.with_soft = numa_managed(eng);
	if (op.with_soft)
		numa_want(eng, &eff, &op.nodes, &op.soft);
	for (unsigned v = 0; v < d->nr_vcpus && r == 0; v++) {
		op.vcpu = v;
		r = pass_apply(eng, ps, d, &op);
	}
	/* libxl's own NUMA placement may have set a node affinity: made the pool's, last. */
	if (r == 0 && op.with_soft) {
		op.kind = PLAN_SET_NODES;
		r = pass_apply(eng, ps, d, &op);
	}
	if (r != 0)
		return; /* read back and redone by the next batch (DIRTY_APPLY) */
	ap->valid = true;
	ap->nr_vcpus = d->nr_vcpus;
	ap->kind = d->sched;
	ap->cpus = eff;
	ap->sched = *seen;
	announce_placed(eng, d, ap);
}

/*
 * Meets the new domains (dom_meet(), then their key and placement), as many
 * as the budget allows. Domains created while poold runs are pinned at
 * once, their weights left to a plan due next (plan_due). Of the others
 * (those listed at start) nothing is applied while any is left: the plan
 * then counts them all at once, so that weights move once, not once a
 * batch. Returns true when every such domain has been met (and one was).
 */
static bool work_meet(struct engine *eng, struct pass *ps, uint64_t t0, uint64_t budget_us,
                      size_t *done, bool *left)
{
	bool met = false;

	*left = false;
	for (size_t i = 0; i < eng->ndoms; i++) {
		struct dom_applied *ap = &eng->applied[i];
		struct dom *d = &eng->doms[i];
		struct sched_params seen;

		if (!(ap->dirty & DIRTY_NEW))
			continue;
		if (batch_spent(t0, budget_us, *done)) {
			*left = true;
			return false;
		}
		dom_meet(eng, d, (ap->dirty & DIRTY_ADOPT) != 0, &seen);
		ap->dirty &= (uint8_t) ~(DIRTY_NEW | DIRTY_ADOPT | DIRTY_KEY);
		/* Its key is read before the watch is set: the watch fires once when set. */
		pass_place(eng, ps, d, ap, true, true);
		eng->state_dirty = true;
		(*done)++;
		if (ap->born) {
			ap->born = false;
			ap->dirty |= DIRTY_APPLY;
			pin_born(eng, ps, d, ap, &seen);
			eng->plan_due = true;
		} else {
			met = true;
		}
		/* After the pinning: the event of a new domain waits for no more. */
		dom_watch(eng, d);
	}
	return met;
}

static void pass_work(struct engine *eng, struct pass *ps, uint64_t budget_us, bool apply_only)
{
	uint64_t t0 = pass_clock();
	size_t done = 0;
	bool replan = false, left = false;

	ps->more = false;
	/*
	 * New domains first: their name, key and pool. A request meets them all
	 * too (only at start are there many): what it changed may be one of them.
	 */
	replan = work_meet(eng, ps, t0, budget_us, &done, &left);
	if (left) {
		ps->more = true;
		goto out;
	}
	for (int cls = 0; cls < 2 && !ps->more && !replan && !eng->plan_due; cls++) {
		unsigned mask = cls == 0 ? DIRTY_APPLY : DIRTY_READ;

		if (cls == 1 && apply_only)
			break;
		for (size_t i = 0; i < eng->ndoms; i++) {
			struct dom_applied *ap = &eng->applied[i];
			struct dom *d = &eng->doms[i];
			uint32_t pool = d->pool_id;

			if (!(ap->dirty & mask) || (ap->dirty & DIRTY_NEW))
				continue;
			if (batch_spent(t0, budget_us, done)) {
				ps->more = true;
				break;
			}
			if (replan)
				continue; /* a plan is due: nothing more is applied before it */
			if (ap->dirty & DIRTY_KEY) {
				/* The sweep re-reads the key: drift of xenstore behind a lost watch. */
				pass_place(eng, ps, d, ap, false, true);
				if (d->pool_id != pool) {
					replan = true;
					ap->dirty &= (uint8_t)~DIRTY_KEY;
					continue; /* the plan below redoes it with its new pool */
				}
			}
			pass_dom(eng, ps, d, ap, (ap->dirty & DIRTY_READ) != 0);
			ap->dirty &= DIRTY_PLACED;
			if (ap->valid || d->shutdown)
				announce_placed(eng, d, ap);
			done++;
		}
	}
	if (replan && pass_plan(eng, ps, false, 0, false) == 0)
		ps->more = true;
out:
	/* A plan is due (new domains pinned): the next batch makes it, after the events went. */
	if (eng->plan_due)
		ps->more = true;
	ps->done = done;
	if (ps->more && eng->work != NULL) {
		work_soon(eng);
	} else if (ps->more) {
		/* Without a loop (tests) the work is done in one go. */
		if (eng->plan_due && pass_plan(eng, ps, false, 0, false) < 0)
			return;
		pass_work(eng, ps, 0, apply_only);
	}
}

size_t reconcile_pending(const struct engine *eng)
{
	size_t n = 0;

	for (size_t i = 0; i < eng->ndoms; i++)
		n += eng->applied[i].dirty != 0;
	return n;
}

/* Ends a pass: saves soon, reports the counts and failures, logs what it did. */
static int pass_end(struct engine *eng, struct pass *ps, uint64_t t0, const char *what)
{
	/* The listings' cache holds while nothing they show moved (a walk's step, a batch of reads). */
	if (ps->changed || ps->planned || ps->writes > 0 || ps->period)
		eng->generation++;
	save_soon(eng);
	if (ps->changed)
		reconcile_status(eng);
	pass_report(eng, ps);
	t0 = pass_clock() - t0;
	if (ps->period)
		eng->share_pass_us = t0;
	log_debug("%s: %zu domains, %zu marked, %zu done, %zu read back, %" PRIu64
	          " writes%s, %" PRIu64 " us (list %" PRIu64 ", merge %" PRIu64 ", plan %" PRIu64
	          ")",
	          what, eng->ndoms, ps->marked, ps->done, ps->verified, ps->writes,
	          ps->more ? ", more to do" : "", t0, ps->list_us, ps->merge_us, ps->plan_us);
	if (!ps->more && eng->sweep_start != 0 && reconcile_pending(eng) == 0) {
		log_debug("verify sweep done in %" PRIu64 " ms",
		          (pass_clock() - eng->sweep_start) / 1000);
		eng->sweep_start = 0;
		records_shrink(eng);
		/* What the sweep's listings and reads freed goes back to the system. */
		malloc_trim(0);
	}
	return ps->err;
}

/*
 * Plans from the model, without a listing, then works the dirty set: one
 * batch (budget_us), or for a request all that must change (apply_only).
 */
static int plan_and_work(struct engine *eng, struct perr *e, uint64_t budget_us, bool apply_only,
                         const char *what)
{
	struct perr local;
	struct pass ps = {.eng = eng, .e = e != NULL ? e : &local};
	uint64_t t0 = pass_clock();
	int r;

	r = pass_plan(eng, &ps, false, 0, false);
	if (r < 0)
		return perr_set(ps.e, r, "out of memory");
	pass_work(eng, &ps, budget_us, apply_only);
	/* A sweep under way goes on in batches. */
	if (apply_only && reconcile_pending(eng) > 0)
		work_soon(eng);
	return pass_end(eng, &ps, t0, what);
}

/*
 * Key events: reads the keys that changed (xsw_next_changed()) and places
 * their domains; a plan and its work follow only when one of them moved.
 * The cost is the keys that changed, not a look at every domain.
 */
static int keys_work(struct engine *eng, struct perr *e)
{
	struct perr local;
	struct pass ps = {.eng = eng, .e = e != NULL ? e : &local};
	uint64_t t0 = pass_clock();
	bool moved = false;

	if (eng->xs == NULL)
		return plan_and_work(eng, e, RECONCILE_BUDGET_US, false, "keys");
	for (uint32_t id = xsw_next_changed(eng->xs, 0); id != UINT32_MAX;
	     id = id == UINT32_MAX - 1 ? UINT32_MAX : xsw_next_changed(eng->xs, id + 1)) {
		size_t i;

		if (!dom_index(eng, id, &i)) {
			(void)xsw_key_events(eng->xs, id); /* not listed yet: met with its key */
			continue;
		}
		struct dom *d = &eng->doms[i];
		uint32_t pool = d->pool_id;
		bool misplaced = d->misplaced;

		if (eng->applied[i].dirty & DIRTY_NEW)
			continue; /* its meeting reads the key */
		pass_place(eng, &ps, d, &eng->applied[i], false, true);
		/* The watch fires once when set, too: only a key that moved its domain plans. */
		moved |= d->pool_id != pool || d->misplaced != misplaced;
	}
	if (moved)
		return plan_and_work(eng, e, RECONCILE_BUDGET_US, false, "keys");
	return pass_end(eng, &ps, t0, "keys");
}

static void walk_step(struct engine *eng, struct pass *ps);

/*
 * Starts a walk over every domain (WALK_*), or queues what it is for
 * behind the one under way: listings of walk_chunk domains, one a loop
 * turn, so that no listing of every domain holds the loop.
 */
static void walk_start(struct engine *eng, struct pass *ps, unsigned what)
{
	if (eng->walk != 0) {
		eng->walk_queued |= what;
		return;
	}
	eng->walk = what | WALK_ON;
	eng->walk_from = 0;
	if (what & WALK_VERIFY) {
		eng->sched_cache.n = 0;
		eng->sweep_start = pass_clock();
	}
	if (eng->work != NULL) {
		work_soon(eng);
		return;
	}
	while (eng->walk != 0 && ps->err == 0)
		walk_step(eng, ps);
}

/*
 * One step of a walk: lists the next walk_chunk domains, merges them, marks
 * them for the sweep; the last step plans (and runs the share period).
 */
static void walk_step(struct engine *eng, struct pass *ps)
{
	struct poold_sched_cache *sc = &eng->sched_cache;
	size_t chunk = eng->walk_chunk > 0 ? eng->walk_chunk : WALK_CHUNK, n = 0, i;
	struct hv_dominfo *info = NULL;
	uint64_t t0 = pass_clock(), now_ns = 0, periods;
	uint32_t last;
	unsigned what = eng->walk;
	int r;

	r = eng->hv->ops->list_domains_from(eng->hv, eng->walk_from, chunk, &info, &n, &now_ns);
	ps->list_us += pass_clock() - t0;
	if (r < 0) {
		/* Given up: the retry timer verifies every domain. */
		pass_fail(ps, r, "listing domains failed: %s", strerror(-r));
		eng->walk = eng->walk_queued = 0;
		pass_report(eng, ps);
		return;
	}
	last = n == chunk && n > 0 ? info[n - 1].domid : UINT32_MAX;
	r = pass_merge(eng, ps, sc, info, n, eng->walk_from, last, now_ns);
	free(info);
	if (r < 0) {
		pass_fail(ps, r, "out of memory");
		eng->walk = eng->walk_queued = 0;
		eng->verify_all = true;
		pass_report(eng, ps);
		return;
	}
	if (what & (WALK_VERIFY | WALK_KEYS)) {
		(void)dom_index(eng, eng->walk_from, &i);
		for (; i < eng->ndoms && eng->doms[i].domid <= last; i++) {
			struct dom_applied *ap = &eng->applied[i];

			if (ap->dirty & DIRTY_NEW)
				continue; /* met, key and all */
			ap->dirty |= DIRTY_KEY | (what & WALK_VERIFY ? DIRTY_READ : 0);
		}
	}
	if (last != UINT32_MAX) {
		eng->walk_from = last + 1;
		ps->more = true;
		return;
	}
	/* The end: what every domain should have now, the share period with it. */
	eng->walk = 0;
	eng->sched0 = pass_sched(eng, sc, 0);
	periods = eng->share_periods;
	t0 = pass_clock();
	r = pass_plan(eng, ps, false, now_ns, (what & WALK_SHARE) != 0);
	ps->plan_us += pass_clock() - t0;
	if (r < 0) {
		pass_fail(ps, r, "out of memory");
		eng->verify_all = true;
		pass_report(eng, ps);
		return;
	}
	ps->period = eng->share_periods != periods;
	ps->more = true;
	if (eng->walk_queued != 0) {
		what = eng->walk_queued;
		eng->walk_queued = 0;
		walk_start(eng, ps, what);
	}
}

int engine_reconcile(struct engine *eng, struct perr *e)
{
	struct perr local;
	struct pass ps = {.eng = eng, .e = e != NULL ? e : &local};
	struct poold_sched_cache *sc = &eng->sched_cache;
	struct hv_dominfo *info = NULL;
	uint64_t t0 = pass_clock(), now_ns = 0, periods;
	bool period, full, keys;
	uint32_t first = 0;
	unsigned causes;
	size_t n = 0;
	int r;

	full = eng->verify_all || eng->cfg.verify_interval <= 0;
	keys = eng->keys_stale;
	eng->verify_all = eng->keys_stale = false;
	if (full)
		sc->n = 0;
	period = eng->share_due;
	eng->share_due = false;
	causes = eng->causes;
	eng->causes = 0;

	/*
	 * What the events ask for: a new domain is listed from past the highest
	 * domid known (hypervisors hand domids out upwards), a key event needs
	 * no listing at all; anything else, or nothing said, lists every domain.
	 */
	if (!full && !period && !keys && causes != 0 && !(causes & ENGINE_CAUSE_OTHER)) {
		if (!(causes & ENGINE_CAUSE_NEW_DOMAIN))
			return keys_work(eng, e);
		if (eng->hv->ops->list_domains_from != NULL && eng->ndoms > 0)
			first = eng->doms[eng->ndoms - 1].domid + 1;
	}
	if (first > 0) {
		r = eng->hv->ops->list_domains_from(eng->hv, first, 0, &info, &n, &now_ns);
		/* None there: a domid below (they wrapped), or a spurious event. */
		if (r == 0 && n == 0) {
			free(info);
			info = NULL;
			first = 0;
		}
	}
	if (first == 0 && eng->ready && eng->ndoms > 0 && eng->hv->ops->list_domains_from != NULL) {
		/* Once running, every domain is listed by a walk, step by step. */
		walk_start(eng, &ps,
		           (period ? WALK_SHARE : 0) | (full ? WALK_VERIFY : 0) |
		               (keys ? WALK_KEYS : 0));
		if (eng->work == NULL)
			pass_work(eng, &ps, 0, false);
		return pass_end(eng, &ps, t0, "walk starts");
	}
	if (first == 0)
		r = eng->hv->ops->list_domains(eng->hv, &info, &n, &now_ns);
	ps.list_us = pass_clock() - t0;
	if (r < 0) {
		pass_fail(&ps, r, "listing domains failed: %s", strerror(-r));
		eng->keys_stale |= keys;
		eng->verify_all |= full;
		pass_report(eng, &ps);
		return r;
	}
	r = pass_merge(eng, &ps, sc, info, n, first, UINT32_MAX, now_ns);
	free(info);
	if (r < 0) {
		eng->verify_all |= full;
		eng->keys_stale |= keys;
		return perr_set(ps.e, r, "out of memory");
	}
	eng->sched0 = pass_sched(eng, sc, 0);
	if (full)
		mark_verify(eng);

	periods = eng->share_periods;
	ps.merge_us = pass_clock() - t0 - ps.list_us;
	/*
	 * New domains alone need no plan first: they are met and pinned by the
	 * work below, and the plan of their weights follows (plan_due).
	 */
	if (first > 0 && !full && !period && !keys) {
		eng->plan_due = true;
		r = 0;
	} else {
		r = pass_plan(eng, &ps, keys, now_ns, period);
	}
	if (r < 0) {
		eng->verify_all |= full;
		return perr_set(ps.e, r, "out of memory");
	}
	ps.period = eng->share_periods != periods;
	ps.plan_us = pass_clock() - t0 - ps.list_us - ps.merge_us;
	pass_work(eng, &ps, RECONCILE_BUDGET_US, false);
	return pass_end(eng, &ps, t0,
	                full        ? "rescan (verify sweep starts)"
	                : ps.period ? "rescan (share period)"
	                : first > 0 ? "rescan (new domains)"
	                            : "rescan");
}

int reconcile_preview(struct engine *eng, struct plan *writes, struct perr *e)
{
	struct perr local;
	struct pass ps = {.eng = eng, .e = e != NULL ? e : &local, .dry = writes};
	struct sched_params *sp = calloc(eng->ndoms + 1, sizeof(*sp));
	enum sched_kind *kind = calloc(eng->ndoms + 1, sizeof(*kind));
	const uint8_t adopt = DIRTY_NEW | DIRTY_ADOPT;

	if (sp == NULL || kind == NULL) {
		free(sp);
		free(kind);
		return perr_set(ps.e, -ENOMEM, "out of memory");
	}
	/* As pass_plan() places and weighs, without reading a key or marking anything. */
	for (size_t i = 0; i < eng->ndoms; i++) {
		dom_place(&eng->doms[i], &eng->pools, eng->cfg.default_pool);
		kind[i] = eng->doms[i].sched;
		if ((eng->applied[i].dirty & adopt) == adopt)
			eng->doms[i].sched = SCHED_UNKNOWN;
	}
	weight_compute(&eng->pools, eng->doms, eng->ndoms, sp);
	for (size_t i = 0; i < eng->ndoms; i++)
		eng->doms[i].sched = kind[i];
	free(kind);
	shares_apply(eng, sp, 0, false);
	/* As the settle's pass_work() then works what the plan marks, on copies. */
	for (size_t i = 0; i < eng->ndoms && ps.err == 0; i++) {
		struct dom *d = &eng->doms[i];
		struct dom_applied ap = eng->applied[i];
		const struct pool *p = pool_find_id(&eng->pools, d->pool_id);
		struct cpumap eff;

		if (ap.dirty & DIRTY_NEW)
			continue;
		if (p == NULL || cpumap_empty(&p->cpus))
			p = &eng->pools.pools[0];
		cpumap_and(&eff, &p->cpus, &eng->pools.online);
		ap.want = sp[i];
		if (d->shutdown || applied_same(&ap, d, &eff, &sp[i]))
			continue;
		pass_dom(eng, &ps, d, &ap, (ap.dirty & DIRTY_READ) != 0);
	}
	free(sp);
	return ps.err;
}

int engine_settle(struct engine *eng, struct perr *e)
{
	/* What the request changed is done before it is answered. */
	return plan_and_work(eng, e, 0, true, "settle");
}

void engine_work(struct engine *eng)
{
	struct perr local;
	struct pass ps = {.eng = eng, .e = &local};
	uint64_t t0 = pass_clock();
	bool plan = eng->plan_due;

	if (eng->walk != 0) {
		/* A walk's step, then a batch: neither waits for the other to end. */
		walk_step(eng, &ps);
		if (ps.more)
			work_soon(eng);
		if (reconcile_pending(eng) == 0 && !eng->plan_due) {
			pass_end(eng, &ps, t0, eng->walk != 0 ? "walk" : "walk ends");
			return;
		}
		plan = eng->plan_due;
	}
	if (plan && pass_plan(eng, &ps, false, 0, false) < 0) {
		log_warnx("planning failed: out of memory (retried)");
		eng->plan_due = true;
	}
	pass_work(eng, &ps, RECONCILE_BUDGET_US, false);
	pass_end(eng, &ps, t0, plan ? "plan and batch" : "batch");
}
