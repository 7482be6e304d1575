#!/bin/bash
# The seed's scenario, step by step, checked in the hypervisor's view.
. "$(dirname "$0")/lib.sh"

start_xensim 2x4x2 2 credit2
start_poold

step "at start pool0 owns every pCPU and dom0 may run on all of them"
assert_eq "pool0 cpus" "0-15" "$(pool_cpus pool0)"
assert_pinned Domain-0 "0-15"
sim create vm1 vcpus=2 >/dev/null
sim create vm2 vcpus=4 >/dev/null
wait_until "dom_pool vm2"
assert_eq "vm1 pool" "pool0" "$(dom_pool vm1)"

step "pool-create pool1 ncpu=4: whole cores of one socket, away from dom0's cpu 0"
pc pool-create pool1 ncpu=4
assert_eq "pool1 cpus" "8-11" "$(pool_cpus pool1)"
assert_eq "pool0 cpus" "0-7,12-15" "$(pool_cpus pool0)"
assert_pinned Domain-0 "0-7,12-15"
assert_pinned vm1 "0-7,12-15"

step "pool-create pool2 cpu=1,3,5"
pc pool-create pool2 cpu=1,3,5
assert_eq "pool2 cpus" "1,3,5" "$(pool_cpus pool2)"
assert_pinned Domain-0 "0,2,4,6-7,12-15"
assert_pinned vm2 "0,2,4,6-7,12-15"

step "cpus that are not free are refused, naming them"
expect_rc 1 pc pool-create pool3 cpu=3,4
grep -q "3" "$T/err" || fail "the error does not name cpu 3: $(cat "$T/err")"

step "pool-migrate moves members; every vCPU is re-pinned"
pc pool-migrate vm1 pool1
pc pool-migrate "$(domid_of vm2)" pool2
assert_pinned vm1 "8-11"
assert_pinned vm2 "1,3,5"
assert_pinned Domain-0 "0,2,4,6-7,12-15"

step "pool-list in the seed's layout"
pc pool-list | tee "$T/list"
# Two NUMA nodes (0-7, 8-15): the nodes of each pool follow its cpus.
head -n 1 "$T/list" | grep -Eq '^pool +cpus +nodes +sched +share +domains *$' ||
	fail "pool-list header"
grep -Eq "^pool1 +8-11 +1 +credit2 +auto +$(domid_of vm1) *$" "$T/list" || fail "pool-list pool1 line"
grep -Eq "^pool0 +0,2,4,6-7,12-15 +0-1 +credit2 +auto +0 *$" "$T/list" || fail "pool-list pool0 line"

step "domain-set writes weight and cap (credit2 passes weights through)"
pc domain-set vm2 weight=512 cap=50
assert_eq "vm2 weight" 512 "$(hv_weight vm2)"
assert_eq "vm2 cap" 50 "$(hv_cap vm2)"
step "a cap at or above what pinning allows is written as 0"
pc domain-set vm2 cap=300
assert_eq "vm2 cap" 0 "$(hv_cap vm2)"

step "pool-modify pool1 ncpu=3: shrinks, the freed pCPU goes back to pool0"
pc pool-modify pool1 ncpu=3
c1=$(pool_cpus pool1)
assert_eq "pool1 size" 3 "$(pc --json pool-list | jq '.pools[] | select(.name=="pool1") | .ncpu')"
assert_pinned vm1 "$c1"
assert_eq "pool0 size" 10 "$(pc --json pool-list | jq '.pools[] | select(.name=="pool0") | .ncpu')"

step "pool-modify pool1 cpu=6,7,9"
pc pool-modify pool1 cpu=6,7,9
assert_eq "pool1 cpus" "6-7,9" "$(pool_cpus pool1)"
assert_pinned vm1 "6-7,9"
assert_pinned Domain-0 "$(pool_cpus pool0)"
assert_eq "pool0 cpus" "0,2,4,8,10-15" "$(pool_cpus pool0)"

step "xm create vm5 pool=pool1: a new domain is placed by its pool key"
sim create vm5 vcpus=2 pool=pool1 >/dev/null
wait_pinned vm5 "6-7,9"
assert_eq "vm5 pool" pool1 "$(dom_pool vm5)"

step "pool-destroy refuses while the pool has members"
expect_rc 1 pc pool-destroy pool1
grep -qi "force" "$T/err" || fail "the refusal does not say how to proceed: $(cat "$T/err")"
assert_pinned vm1 "6-7,9"

step "pool-destroy --force moves members to pool0 and frees the pCPUs"
pc pool-destroy pool1 --force
assert_eq "pool0 cpus" "0,2,4,6-15" "$(pool_cpus pool0)"
assert_pinned vm1 "0,2,4,6-15"
assert_pinned vm5 "0,2,4,6-15"
assert_pinned Domain-0 "0,2,4,6-15"
assert_eq "vm5 pool" pool0 "$(dom_pool vm5)"
pc pool-destroy pool2 --force
assert_pinned Domain-0 "0-15"
assert_pinned vm2 "0-15"
pc pool-list
echo "PASS"
