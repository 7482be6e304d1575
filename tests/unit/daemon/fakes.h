/* In-process fakes of the hypervisor and xenstore, and a sink of events, for engine tests. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hv/hv.h"
#include "poold/engine-int.h"

#define FAKE_DOMS   8
#define FAKE_VCPUS  16
#define FAKE_EVENTS 64

struct fake_dom {
	bool exists;
	bool dying;
	bool shutdown;
	uint32_t domid;
	uint8_t uuid[16];
	char name[DOM_NAME_MAX + 1];
	unsigned nr_vcpus;
	uint32_t cpupool;
	struct cpumap hard[FAKE_VCPUS];
	unsigned weight, cap;
	uint64_t cpu_time; /* ns, as the domain listing reports it */
	/* xenstore: the pool key, and whether the guest may write it */
	char key[128];
	bool has_key;
	unsigned key_events; /* how often the watch of its pool key fired */
	bool guest_writable;
	/* fault injection: errno returned by writes to this domain */
	int fail_set_affinity;
	int fail_set_sched;
};

struct fake_hv {
	struct hv hv;
	struct topo topo;
	enum sched_kind sched[2]; /* per cpupool 0 and 1 */
	int fail_list;            /* errno list_domains fails with, 0 = none */
	uint64_t now_ns;          /* the hypervisor's clock the listing reports */
	struct fake_dom doms[FAKE_DOMS];
	unsigned affinity_writes, sched_writes;
	/* the last affinity writes: domid * 100 + vcpu */
	unsigned written[64];
	unsigned nwritten;
};

/* The fake xenstore reads names and keys from the fake hypervisor's domains. */
struct xsw {
	struct fake_hv *hv;
	unsigned watches;
};

/* The engine's events, by their protocol names. */
struct fake_sink {
	char names[FAKE_EVENTS][32];
	char what[FAKE_EVENTS][80]; /* the pool's name, or the domain's, or the log level */
	unsigned n;
};

/* Sets up a host of ncpus pCPUs (1 socket) with dom0 of dom0_vcpus vCPUs, all under kind. */
void fake_init(struct fake_hv *f, unsigned ncpus, unsigned dom0_vcpus, enum sched_kind kind);
/* Adds a guest as libxl leaves it: pinned to every pCPU, weight 256. */
struct fake_dom *fake_add(struct fake_hv *f, uint32_t domid, const char *name, unsigned vcpus,
                          const char *key);
void fake_reset_counts(struct fake_hv *f);
/* True when the last writes include exactly vCPU v of domid. */
bool fake_written(const struct fake_hv *f, uint32_t domid, unsigned v);

/* Wires the fakes into eng, with the state file at state_path. */
void fake_poold(struct engine *eng, struct fake_hv *f, struct xsw *xs, struct fake_sink *ctl,
                const char *state_path);
void fake_poold_fini(struct engine *eng);

/* Makes a fresh /tmp/poold-test-NAME.XXXXXX in dir, and state as its state.json. 0 or -errno. */
int fake_dir_new(char dir[64], char state[128], const char *name);
/* Removes such a directory and everything in it; 0 on success. */
int fake_dir_remove(const char *dir);
unsigned fake_events(const struct fake_sink *c, const char *name);
/* The index of the first event name about what (a pool or domain name) since the start; -1: none. */
int fake_event_at(const struct fake_sink *c, const char *name, const char *what);
