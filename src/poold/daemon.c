/* The daemon's life: startup to READY, signals, deferred rescans, reload and shutdown. */
#include "poold/daemon.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <inttypes.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "ctl/server.h"
#include "hv/hv.h"
#include "poold/config.h"
#include "poold/engine.h"
#include "poold/reconcile.h"
#include "poold/saver.h"
#include "poold/state.h"
#include "util/log.h"
#include "xs/xsw.h"

/*
 * Tells systemd the counts (STATUS=), when they changed, at most once a
 * second: sd_notify() blocks while the manager's queue is full, and the
 * dirty set's batches would otherwise say it many times a second.
 */
static void poold_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;
	char text[sizeof(pd->status_sent)];

	snprintf(text, sizeof(text), "STATUS=%zu pools, %zu domains, %" PRIu64 " hypervisor writes",
	         pd->eng.pools.n, pd->eng.ndoms, pd->eng.hv_writes);
	if (strcmp(text, pd->status_sent) == 0)
		return;
	sd_notify(0, text);
	memcpy(pd->status_sent, text, sizeof(text));
}

/* How often poold asks xenstored whether it is there, without a watchdog (s). */
#define POOLD_HEARTBEAT_SEC 5

/*
 * The heartbeat: one cheap xenstore read, so that a lost connection is
 * noticed now (the loop stops and poold exits for its service manager to
 * start it on a fresh one); then WATCHDOG=1 when systemd's watchdog is on.
 * A xenstored that stalls holds that read, the loop with it, and the
 * watchdog's silence is what lets systemd restart poold.
 */
static void poold_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;

	/* A lost connection stopped the loop; poold_run() says so. */
	if (pd->eng.xs != NULL && (xsw_ping(pd->eng.xs) < 0 && xsw_lost(pd->eng.xs)))
		return;
	if (pd->watchdog)
		sd_notify(0, "WATCHDOG=1");
}

/* Arms the heartbeat: every half of systemd's watchdog interval, or POOLD_HEARTBEAT_SEC. */
static int poold_heartbeat_arm(struct poold *pd)
{
	struct timeval tv = {POOLD_HEARTBEAT_SEC, 0};
	uint64_t usec = 0;

	pd->watchdog = sd_watchdog_enabled(0, &usec) > 0 && usec > 0;
	if (pd->watchdog) {
		usec /= 2;
		tv = (struct timeval){(time_t)(usec / 1000000), (suseconds_t)(usec % 1000000)};
		log_info("watchdog: every %" PRIu64 " ms", usec / 1000);
	}
	pd->heartbeat = event_new(pd->eng.base, -1, EV_PERSIST, poold_heartbeat_cb, pd);
	if (pd->heartbeat == NULL || event_add(pd->heartbeat, &tv) < 0)
		return -ENOMEM;
	return 0;
}

/* The engine's events: to subscribers through the control server, counts to systemd. */
static void poold_sink(void *arg, const struct engine *eng, const struct engine_event *ev)
{
	static const struct timeval second = {1, 0};
	struct poold *pd = arg;

	if (ev->kind == ENGINE_EV_STATUS) {
		if (pd->status != NULL && !event_pending(pd->status, EV_TIMEOUT, NULL))
			event_add(pd->status, &second);
		return;
	}
	ctl_server_engine_event(pd->ctl, eng, ev);
}

void poold_schedule_rescan(struct poold *pd)
{
	if (pd->eng.rescan != NULL)
		event_active(pd->eng.rescan, EV_TIMEOUT, 0);
}

/* Runs the rescan the events asked for; failures were logged by the pass. */
static void poold_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;
	struct perr e = {0};

	engine_reconcile(&pd->eng, &e);
}

/* A domain came or went, or a pool key changed (xsw remembers whose): rescan for that. */
static void poold_xs_changed(void *arg, unsigned what)
{
	struct poold *pd = arg;

	if (what & XSW_INTRODUCED)
		engine_note(&pd->eng, ENGINE_CAUSE_NEW_DOMAIN);
	if (what & XSW_KEY)
		engine_note(&pd->eng, ENGINE_CAUSE_KEY);
	if (what & ~(unsigned)(XSW_INTRODUCED | XSW_KEY))
		engine_note(&pd->eng, ENGINE_CAUSE_OTHER);
	poold_schedule_rescan(pd);
}

/* The next batch of the dirty set, after the loop served what was waiting. */
static void poold_work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;

	engine_work(&pd->eng);
}

/* Domain records a rescan changed, saved together a moment later. */
static void poold_save_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;

	reconcile_save_timer(&pd->eng);
}

static void poold_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	poold_schedule_rescan(arg);
}

/* Asks for a rescan that reads every domain back: drift made behind poold's back. */
static void poold_verify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;

	pd->eng.verify_all = true;
	poold_schedule_rescan(pd);
}

/* (Re)arms the periodic full verify; 0 needs no timer, as every rescan verifies all. */
static void poold_verify_arm(struct poold *pd)
{
	struct timeval tv = {pd->eng.cfg.verify_interval, 0};

	if (pd->eng.verify == NULL)
		return;
	event_del(pd->eng.verify);
	if (pd->eng.cfg.verify_interval > 0 && event_add(pd->eng.verify, &tv) < 0)
		log_warnx("cannot arm the periodic verify timer; drift is repaired on SIGHUP");
}

/* A share controller period is due: the next rescan runs it (shares.c). */
static void poold_share_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poold *pd = arg;

	pd->eng.share_due = true;
	poold_schedule_rescan(pd);
}

/*
 * (Re)arms the share controller's period timer. With share_control = off it
 * still runs: its periods measure every domain's CPU use (poolctl top,
 * domain-list) and write nothing.
 */
static void poold_share_arm(struct poold *pd)
{
	struct timeval tv = {pd->eng.cfg.share_period_ms / 1000,
	                     (pd->eng.cfg.share_period_ms % 1000) * 1000};

	if (pd->eng.share_timer == NULL)
		return;
	event_del(pd->eng.share_timer);
	if (event_add(pd->eng.share_timer, &tv) < 0)
		log_warnx("cannot arm the share controller's timer: weights hold only as far as "
		          "pinning gives them");
}

static void poold_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct poold *pd = arg;

	log_notice("%s: stopping", strsignal(sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(pd->eng.base);
}

/* Logs pCPUs the state file had that the host does not have online any more. */
static void poold_log_vanished(const struct pool_table *t, const struct cpumap *online)
{
	char buf[CPUMAP_TEXT_MAX];
	struct cpumap gone;

	for (size_t i = 0; i < t->n; i++) {
		cpumap_andnot(&gone, &t->pools[i].cpus, online);
		if (cpumap_empty(&gone))
			continue;
		cpumap_format(&gone, buf, sizeof(buf));
		log_warnx("pool %s: pCPUs %s are not online any more: dropped from the pool",
		          t->pools[i].name, buf);
	}
}

/* Makes the pool table follow the host's online pCPUs; true when it changed. */
static int poold_follow_host(struct poold *pd, struct perr *e)
{
	struct pool_table was;
	struct cpumap online;
	int r;

	topo_online(pd->eng.topo, &online);
	if (cpumap_equal(&online, &pd->eng.pools.online))
		return 0;
	poold_log_vanished(&pd->eng.pools, &online);
	/* What the pools were, to tell subscribers what changed. */
	was = pd->eng.pools;
	was.pools = malloc((was.n + 1) * sizeof(*was.pools));
	if (was.pools == NULL)
		return perr_set(e, -ENOMEM, "out of memory");
	memcpy(was.pools, pd->eng.pools.pools, was.n * sizeof(*was.pools));
	r = pool_table_set_online(&pd->eng.pools, pd->eng.topo, e);
	if (r == 0) {
		pd->eng.state_dirty = true;
		engine_announce_pools(&pd->eng, &was);
	}
	free(was.pools);
	return r;
}

/* Re-reads poold.conf (log level, default pool) and the topology, then rescans. */
static void poold_reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct poold *pd = arg;
	struct poold_config c;
	struct perr e = {0};
	struct topo *topo;
	int r;

	log_notice("SIGHUP: reloading %s", pd->eng.cfg.config_file);
	config_init(&c);
	r = config_read(&c, pd->eng.cfg.config_file,
	                pd->cli.config_file != NULL ? CONFIG_MUST_EXIST : 0, &e);
	if (r == 0)
		r = config_merge(&c, &pd->cli);
	if (r == 0)
		r = config_defaults(&c);
	if (r != 0) {
		log_warnx("reload: %s; keeping the old settings",
		          r > 0 || e.msg[0] ? e.msg : strerror(-r));
	} else {
		if (c.log_level != log_get_level())
			engine_set_log_level(&pd->eng, c.log_level);
		pd->eng.cfg.log_level = c.log_level;
		pd->eng.cfg.verify_interval = c.verify_interval;
		poold_verify_arm(pd);
		pd->eng.cfg.share_control = c.share_control;
		pd->eng.cfg.share_period_ms = c.share_period_ms;
		poold_share_arm(pd);
		free(pd->eng.cfg.default_pool);
		pd->eng.cfg.default_pool = c.default_pool;
		c.default_pool = NULL;
	}
	config_fini(&c);

	topo = calloc(1, sizeof(*topo));
	if (topo != NULL && pd->eng.hv->ops->topology(pd->eng.hv, topo) == 0) {
		struct topo *old = pd->eng.topo;

		/* The new topology stays only if the pools can follow it. */
		pd->eng.topo = topo;
		if (poold_follow_host(pd, &e) != 0) {
			log_warnx("reload: the pools can't follow the host's pCPUs: %s", e.msg);
			pd->eng.topo = old;
			free(topo);
		} else {
			free(old);
		}
	} else {
		free(topo);
		log_warnx("reload: cannot read the host topology; keeping the old one");
	}
	pd->eng.verify_all = true;
	poold_schedule_rescan(pd);
}

/* Adds a signal event that only schedules work. */
static int poold_signal(struct poold *pd, struct event **ev, int sig, event_callback_fn fn)
{
	*ev = evsignal_new(pd->eng.base, sig, fn, pd);
	if (*ev == NULL || event_add(*ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* Sets up the event base, the deferred rescan and the signals. */
static int poold_events(struct poold *pd)
{
	int r;

	pd->eng.base = event_base_new();
	pd->eng.sink = (struct engine_sink){.event = poold_sink, .arg = pd};
	if (pd->eng.base == NULL)
		return -ENOMEM;
	pd->eng.rescan = event_new(pd->eng.base, -1, 0, poold_rescan_cb, pd);
	pd->eng.retry = evtimer_new(pd->eng.base, poold_retry_cb, pd);
	pd->eng.verify = event_new(pd->eng.base, -1, EV_PERSIST, poold_verify_cb, pd);
	pd->eng.share_timer = event_new(pd->eng.base, -1, EV_PERSIST, poold_share_cb, pd);
	pd->eng.work = evtimer_new(pd->eng.base, poold_work_cb, pd);
	pd->status = evtimer_new(pd->eng.base, poold_status_cb, pd);
	if (pd->status == NULL)
		return -ENOMEM;
	pd->eng.save = evtimer_new(pd->eng.base, poold_save_cb, pd);
	if (pd->eng.work == NULL || pd->eng.save == NULL)
		return -ENOMEM;
	if (pd->eng.rescan == NULL || pd->eng.retry == NULL || pd->eng.verify == NULL ||
	    pd->eng.share_timer == NULL)
		return -ENOMEM;
	if ((r = poold_signal(pd, &pd->sigterm, SIGTERM, poold_stop_cb)) < 0 ||
	    (r = poold_signal(pd, &pd->sigint, SIGINT, poold_stop_cb)) < 0 ||
	    (r = poold_signal(pd, &pd->sighup, SIGHUP, poold_reload_cb)) < 0)
		return r;
	return 0;
}

/* Sets up the pools: the state file's, or pool0 with every pCPU on a first start. */
static int poold_pools(struct poold *pd, struct pool_table *loaded, bool first, struct perr *e)
{
	char buf[CPUMAP_TEXT_MAX];
	int r;

	if (first) {
		r = pool_table_init(&pd->eng.pools, pd->eng.topo);
		if (r != 0)
			return perr_set(e, r, "cannot set up pool0: %s", perr_name(r));
		cpumap_format(&pd->eng.pools.online, buf, sizeof(buf));
		log_notice("no state file %s: first start, pool0 owns pCPUs %s",
		           pd->eng.cfg.state_file, buf);
		pd->eng.state_dirty = true;
		return 0;
	}
	pd->eng.pools = *loaded;
	memset(loaded, 0, sizeof(*loaded));
	r = poold_follow_host(pd, e);
	if (r != 0)
		return perr_set(e, r, "state file %s does not fit this host: %s",
		                pd->eng.cfg.state_file, e->msg);
	log_info("state file %s: %zu pools, %zu domain records", pd->eng.cfg.state_file,
	         pd->eng.pools.n, pd->eng.nsaved);
	return 0;
}

/* Creates the directory a socket goes in (/run/poold), if it is missing. */
static void poold_socket_dir(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warn("cannot create %s", dir);
	}
}

/*
 * Opens the control socket: systemd's if it passed one, else our own; then
 * the read-only socket if one is configured (poold's own in either case).
 */
static int poold_listen(struct poold *pd, struct perr *e)
{
	const char *path = pd->eng.cfg.ctl_socket, *ro = pd->eng.cfg.ctl_socket_ro;
	int n, r;

	n = sd_listen_fds(1);
	if (n > 1)
		log_warnx("systemd passed %d sockets; using the first", n);
	if (n >= 1) {
		pd->activated = true;
		r = ctl_server_new_fd(&pd->ctl, pd->eng.base, SD_LISTEN_FDS_START, &pd->eng);
		if (r != 0)
			return perr_set(e, r, "cannot serve the socket systemd passed: %s",
			                perr_name(r));
	} else {
		poold_socket_dir(path);
		r = ctl_server_new(&pd->ctl, pd->eng.base, path, &pd->eng);
		if (r != 0)
			return perr_set(e, r, "cannot listen on %s: %s", path, perr_name(r));
	}
	if (pd->eng.cfg.socket_group != NULL && pd->eng.cfg.socket_group[0] != '\0') {
		const char *name = pd->eng.cfg.socket_group;
		struct group *g = getgrnam(name);

		if (g == NULL)
			return perr_set(
			    e, POOLD_E_INVALID,
			    "socket_group \"%s\" is not a group of this system: create it "
			    "(groupadd %s) or fix poold.conf",
			    name, name);
		r = ctl_server_set_group(pd->ctl, g->gr_gid);
		if (r < 0)
			return perr_set(e, r, "cannot give %s to group %s: %s", path, name,
			                strerror(-r));
		log_info("members of group %s may change things on %s", name,
		         pd->activated ? "the socket systemd passed" : path);
	}
	if (ro == NULL || ro[0] == '\0')
		return 0;
	poold_socket_dir(ro);
	r = ctl_server_listen_ro(pd->ctl, ro);
	if (r != 0)
		return perr_set(e, r, "cannot listen on the read-only socket %s: %s", ro,
		                perr_name(r));
	return 0;
}

int poold_init(struct poold *pd, const struct poold_config *cfg, const struct poold_config *cli,
               struct perr *e)
{
	struct pool_table loaded = {0};
	bool first, ro;
	int r;

	config_init(&pd->eng.cfg);
	config_init(&pd->cli);
	if ((r = config_merge(&pd->eng.cfg, cfg)) < 0 || (r = config_merge(&pd->cli, cli)) < 0)
		return perr_set(e, r, "out of memory");
	log_set_level(pd->eng.cfg.log_level);
	if ((r = poold_events(pd)) < 0)
		return perr_set(e, r, "cannot set up the event loop: %s", strerror(-r));

	/* The state file first: one poold won't use stops it before it touches anything. */
	r = state_load(pd->eng.cfg.state_file, &loaded, &pd->eng.saved, &pd->eng.nsaved, e);
	pd->eng.asaved = pd->eng.nsaved;
	if (r != 0 && r != -ENOENT)
		return r;
	first = r == -ENOENT;

	/* Until the host is known the loaded table has nowhere to go. */
	pd->eng.pools = loaded;
	memset(&loaded, 0, sizeof(loaded));
	if (strcmp(pd->eng.cfg.hv_backend, "sim") == 0 && pd->eng.cfg.sim_socket == NULL)
		return perr_set(e, POOLD_E_INVALID,
		                "backend sim needs xensim's socket: give --sim-socket PATH or "
		                "sim_socket in poold.conf");
	r = hv_open(&pd->eng.hv, pd->eng.cfg.hv_backend, pd->eng.cfg.sim_socket);
	if (r < 0)
		return perr_set(e, r, "cannot open the %s hypervisor backend: %s%s",
		                pd->eng.cfg.hv_backend, strerror(-r),
		                strcmp(pd->eng.cfg.hv_backend, "xen") == 0
		                    ? " (is this dom0 of a running Xen, as root?)"
		                    : " (is xensim running? see --sim-socket)");
	pd->eng.topo = calloc(1, sizeof(*pd->eng.topo));
	if (pd->eng.topo == NULL)
		return perr_set(e, -ENOMEM, "out of memory");
	r = pd->eng.hv->ops->topology(pd->eng.hv, pd->eng.topo);
	if (r < 0)
		return perr_set(e, r, "cannot read the host's pCPUs: %s", strerror(-r));

	loaded = pd->eng.pools;
	memset(&pd->eng.pools, 0, sizeof(pd->eng.pools));
	r = poold_pools(pd, &loaded, first, e);
	if (r != 0) {
		if (loaded.pools != NULL)
			pool_table_fini(&loaded);
		return r;
	}

	if (pd->eng.cfg.xenstore_path != NULL &&
	    setenv("XENSTORED_PATH", pd->eng.cfg.xenstore_path, 1) < 0)
		return perr_set(e, -errno, "cannot set XENSTORED_PATH: %s", strerror(errno));
	r = xsw_open(&pd->eng.xs, pd->eng.base, poold_xs_changed, pd);
	if (r < 0)
		return perr_set(e, r, "cannot connect to xenstore%s%s: %s (is xenstored running?)",
		                pd->eng.cfg.xenstore_path ? " at " : "",
		                pd->eng.cfg.xenstore_path ? pd->eng.cfg.xenstore_path : "",
		                strerror(-r));

	/* A failed first pass is retried; only an undurable state is fatal. */
	pd->eng.verify_all = true;
	r = engine_reconcile(&pd->eng, e);
	if (r != 0)
		log_warnx("first reconcile incomplete, retrying: %s", e->msg);
	if (pd->eng.state_dirty && (r = reconcile_save(&pd->eng, e)) != 0)
		return r;
	/* From now on the state file is written off the loop, changes coalesced (saver.h). */
	r = saver_open(&pd->saver, pd->eng.base, pd->eng.cfg.state_file, engine_saved, &pd->eng);
	if (r < 0)
		return perr_set(e, r, "cannot start the state file's writer: %s", strerror(-r));
	engine_saver_attach(&pd->eng, pd->saver);

	if ((r = poold_listen(pd, e)) != 0)
		return r;
	poold_verify_arm(pd);
	poold_share_arm(pd);
	if ((r = poold_heartbeat_arm(pd)) < 0)
		return perr_set(e, r, "cannot arm the heartbeat: %s", strerror(-r));
	pd->eng.ready = true;
	/* The first pass's listing and records are freed: give their pages back. */
	malloc_trim(0);
	sd_notifyf(0, "READY=1\nSTATUS=%zu pools, %zu domains", pd->eng.pools.n, pd->eng.ndoms);
	ro = pd->eng.cfg.ctl_socket_ro != NULL && pd->eng.cfg.ctl_socket_ro[0] != '\0';
	log_notice("ready: %zu pools, %zu domains, backend %s, socket %s%s%s", pd->eng.pools.n,
	           pd->eng.ndoms, pd->eng.cfg.hv_backend,
	           pd->activated ? "from systemd" : pd->eng.cfg.ctl_socket,
	           ro ? ", read-only socket " : "", ro ? pd->eng.cfg.ctl_socket_ro : "");
	return 0;
}

int poold_run(struct poold *pd)
{
	if (event_base_dispatch(pd->eng.base) < 0)
		return -EIO;
	/* The loop also stops when xenstore is gone: that is a failure to restart from. */
	if (!xsw_lost(pd->eng.xs))
		return 0;
	sd_notify(0, "STATUS=xenstore connection lost: exiting");
	return -ECONNRESET;
}

/* Frees an event that may not exist. */
static void poold_event_free(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

void poold_fini(struct poold *pd)
{
	pd->ctl = ctl_server_free(pd->ctl);
	/* Domain records waiting for the save timer are written before they are forgotten. */
	if (pd->eng.save != NULL && event_pending(pd->eng.save, EV_TIMEOUT, NULL))
		reconcile_save_due(&pd->eng);
	/* Every save handed to the writer ends before poold does. */
	saver_close(pd->saver);
	pd->saver = NULL;
	engine_saver_attach(&pd->eng, NULL);
	reconcile_clear(&pd->eng);
	pd->eng.xs = xsw_close(pd->eng.xs);
	pd->eng.hv = hv_close(pd->eng.hv);
	poold_event_free(&pd->eng.rescan);
	poold_event_free(&pd->eng.retry);
	poold_event_free(&pd->eng.verify);
	poold_event_free(&pd->eng.share_timer);
	poold_event_free(&pd->eng.work);
	poold_event_free(&pd->status);
	poold_event_free(&pd->heartbeat);
	poold_event_free(&pd->eng.save);
	poold_event_free(&pd->sigterm);
	poold_event_free(&pd->sigint);
	poold_event_free(&pd->sighup);
	if (pd->eng.base != NULL)
		event_base_free(pd->eng.base);
	pd->eng.base = NULL;
	if (pd->eng.pools.pools != NULL)
		pool_table_fini(&pd->eng.pools);
	plan_fini(&pd->eng.plan);
	free(pd->eng.topo);
	pd->eng.topo = NULL;
	config_fini(&pd->eng.cfg);
	config_fini(&pd->cli);
}

int poold_check_state(const struct poold_config *cfg, bool verbose, FILE *out)
{
	struct pool_table t;
	struct state_dom *doms = NULL;
	struct perr e = {0};
	size_t n = 0;
	int r;

	r = state_load(cfg->state_file, &t, &doms, &n, &e);
	if (r == -ENOENT) {
		if (verbose)
			fprintf(out,
			        "# state file %s does not exist: a first start (pool0 gets "
			        "every pCPU)\n",
			        cfg->state_file);
		return 0;
	}
	if (r != 0) {
		fprintf(out, "poold: %s\n", e.msg[0] ? e.msg : perr_name(r));
		return r;
	}
	if (verbose)
		fprintf(out, "# state file %s: %zu pools, %zu domain records\n", cfg->state_file,
		        t.n, n);
	free(doms);
	pool_table_fini(&t);
	return 0;
}
