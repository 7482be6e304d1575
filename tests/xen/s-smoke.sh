#!/bin/sh
# Smoke: the real Xen host answers (xl, xenstore) and a paused PV guest can be created and pinned.
. /tests/lib.sh

step "xl info / xl list / xenstore-ls"
xl info | grep -E "^(nr_cpus|nr_nodes|cores_per_socket|threads_per_core|xen_version|xen_scheduler)"
xl info -n | sed -n "/cpu_topology/,/numa_info/p"
xl list
xenstore-ls /local/domain/0 | head -n 20
xl vcpu-list
xl cpupool-list
xl sched-$SCHED -d Domain-0 || fail "xl sched-$SCHED"

step "a paused PV guest"
guest_create g1 2
xl list
xl vcpu-list g1
xl vcpu-pin g1 all 1-2 || fail "xl vcpu-pin"
xl vcpu-list g1
assert_pinned g1 "1 2"
xenstore-ls -p /local/domain/$(domid_of g1) | head -n 5
xl destroy g1
echo PASS
