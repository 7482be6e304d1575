/* xensim's hypervisor socket: the protocol between xensim, the sim backend and xensim ctl. */
#pragma once

/*
 * One JSON object per line in each direction, request then reply, on the
 * Unix socket given by `xensim --hv-socket` (default: "hv.sock" beside the
 * xenstore socket). No greeting.
 *
 *   request:  {"op": OP, ...arguments}
 *   reply:    {"ok": {...}}  or  {"error": {"errno": N, "desc": TEXT}}
 *
 * cpu sets travel as strings in xl's syntax ("0-3,8"; "" for empty).
 *
 * Time: the host's clock (now_ns) moves by the run op and, with
 * `xensim --clock real`, by real time too: before each request that reads
 * cpu time or changes what the run model uses (all ops but topology,
 * cpupool, get_affinity, get_sched, reset_counters and fault), the host
 * runs for the CLOCK_MONOTONIC time since the last such request.
 *
 * Hypervisor ops (what libxenctrl gives poold; each counted in "counters"):
 *   topology                         -> {"cpus": [{"cpu":0,"online":true,
 *                                        "socket":0,"core":0,"node":0}, ...]}
 *   domains  {"first":N, "max":M}    -> {"domains": [{"domid":0,"uuid":
 *                                        "<36-char uuid>","vcpus":16,
 *                                        "cpupool":0,"dying":false,
 *                                        "cpu_time":N}, ...], "now_ns":N}
 *        cpu_time: ns run by all the domain's vCPUs since creation
 *        (getdomaininfo's cpu_time); now_ns: the simulated clock at the
 *        listing, ns since boot, the time base of cpu_time deltas.
 *        first (optional): only domids >= first; max (optional, 0 = all):
 *        at most that many, the lowest domids.
 *   cpupool     {"cpupool":0}        -> {"sched":"credit"|"credit2","cpus":"0-15"}
 *   get_affinity {"domid","vcpu"}    -> {"hard":"0-15","soft":"0-15"}
 *   set_affinity {"domid","vcpu","hard","soft"?} -> {"hard": effective}
 *        EINVAL when hard has no online cpu of the domain's cpupool,
 *        ESRCH for an unknown domain, EINVAL for a bad vcpu; soft, when
 *        given, is set in the same call (any set).
 *   get_node_affinity {"domid"}      -> {"nodes":"0-1"}
 *        the nodes of an explicit node affinity, or (automatic, as at
 *        creation) those of the cpus the vCPUs may run on and prefer.
 *   set_node_affinity {"domid","nodes"} -> {}
 *        EINVAL when nodes holds no node of the host; every node makes it
 *        automatic again. Counted apart (set_node_affinity), faulted as
 *        set_affinity.
 *   get_sched   {"domid","sched"}    -> {"weight":256,"cap":0}
 *        EINVAL when "sched" is not the scheduler of the domain's cpupool.
 *   set_sched   {"domid","sched","weight","cap"} -> {}
 *        weight 0 = unchanged; credit: cap 0xFFFF = unchanged;
 *        weight > 65535 or cap > 100 * vcpus: EINVAL.
 *   vcpu_time   {"domid","vcpu"}     -> {"ns": N}
 *
 * Control ops (for tests, demos and xensim ctl; not counted):
 *   create  {"name", "vcpus", "pool"?: NAME, "pool_owner"?: "dom0"|"guest",
 *            "weight"?, "cap"?, "hard"?: CPUS, "soft"?: CPUS, "nodes"?: NODES,
 *            "load"?: 0..100 (100),
 *            "uuid"?: "<36-char uuid>", "paused"?: bool}
 *            -> {"domid": N}  (writes /local/domain/N/{name,domid}, the pool
 *            key when asked, then fires @introduceDomain; EINVAL for a uuid
 *            that is not 8-4-4-4-12 hex digits, EEXIST for one a live domain
 *            has: a uuid comes back only after its domain was destroyed)
 *   destroy {"domid"} -> {}  (removes /local/domain/N, fires @releaseDomain)
 *   show    -> {"sched", "now_ns", "cpus": [...as topology...],
 *               "domains": [{"domid","name","uuid","cpupool","weight","cap",
 *                            "load","cpu_time",
 *                            "nodes":"0-1","nodes_auto":true,
 *                            "vcpus": [{"vcpu":0,"hard":"0-15","soft":"0-15",
 *                                       "time_ns":N}]}],
 *               "counters": {"set_affinity":N,"set_sched":N,"writes":N,
 *                            "failed":N, ...one per op},
 *               "xenstore": {...xsd statistics}}
 *            per domain also "paused", "idle" (load 0), "dying".
 *            "writes" = set_affinity + set_node_affinity + set_sched calls
 *            that succeeded;
 *            the per-op counters count calls, failed ones included.
 *   reset_counters -> {}
 *   fault   {"target": "set_affinity"|"set_sched", "errno"?: N (EINVAL),
 *            "count"?: N (1; 0 clears), "domid"?: N, "delay_ms"?: N} -> {}
 *            (the next count matching calls fail, before any other check;
 *            with delay_ms (1..4000, no errno) they are slow instead: they
 *            take effect and their reply is held delay_ms, while xensim
 *            serves xenstore and other clients; that client's next
 *            requests wait behind it)
 *   pause / unpause {"domid"} -> {}  (nested as in Xen; dom0 refused)
 *   load    {"domid","load"} -> {}  (each vCPU of the guest wants load % of
 *            the time, 0..100, else EINVAL; ESRCH for an unknown domain;
 *            guests start at 100, dom0 at 0)
 *   run     {"ms": N} -> {}  (advances now_ns by ms and cpu_time as if every
 *            unpaused vCPU wanted load % of ms, sharing each pCPU by the
 *            scheduler's rules among vCPUs pinned there)
 *   xs_restart {"down_ms": N} -> {}  (0..600000; the xenstore side drops
 *            every connection, with its watches and transactions, refuses
 *            connections for N ms, then listens again; the store is kept,
 *            as a restarted xenstored keeps it, and create/destroy still
 *            work meanwhile: their @introduceDomain/@releaseDomain reach
 *            no one)
 *   xs_stall {"ms": N} -> {}  (0..600000; the xenstore side reads requests
 *            but sends no reply or watch event for N ms; ENOTCONN while it
 *            is restarting)
 */

#define SIMPROTO_LINE_MAX (4 * 1024 * 1024)
