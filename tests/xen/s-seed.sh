#!/bin/sh
# The seed's scenario on real Xen: pool-create/list/modify/destroy, checked with xl at each step.
. /tests/lib.sh

# The socket of a pCPU, from Xen's own topology.
socket_of()
{
	xl info -n | awk -v c="$1:" '$1 == c { print $3 }'
}

# Every domain poold put in pool0 (dom0 and the guests) is pinned to pool0's cpus.
check_pool0()
{
	_c=$(pool_cpus pool0) || fail "pool0 missing from pool-list"
	assert_pinned Domain-0 "$_c"
	for _d in "$@"; do
		assert_pinned "$_d" "$_c"
	done
}

start_poold
step "at start pool0 owns every pCPU ($NR_CPUS) and dom0 may run on all of them"
assert_eq "pool0 cpus" "$(cpus_norm all)" "$(cpus_norm "$(pool_cpus pool0)")"
assert_pinned Domain-0 all
guest_create vm1 2
guest_create vm2 1
wait_until "dom_pool vm2"
assert_eq "vm1 pool" pool0 "$(dom_pool vm1)"
check_pool0 vm1 vm2

step "pool-create pool1 ncpu=2: whole cores of one socket"
pc pool-create pool1 ncpu=2 || fail "pool-create pool1"
p1=$(cpus_norm "$(pool_cpus pool1)")
assert_eq "pool1 size" 2 "$(echo $p1 | wc -w)"
set -- $p1
assert_eq "pool1 cpus share a socket" "$(socket_of "$1")" "$(socket_of "$2")"
case " $p1 " in
*" 0 "*) echo "note: pool1 took cpu 0 (dom0's boot cpu)" ;;
esac
check_pool0 vm1 vm2
case " $(cpus_norm "$(pool_cpus pool0)") " in
*" $1 "*) fail "pool0 still has cpu $1" ;;
esac

step "pool-create pool2 cpu=3 (refused, naming 3, if pool1 took it)"
case " $p1 " in
*" 3 "*)
	expect_rc 1 pc pool-create pool2 cpu=3
	grep -q 3 "$T/err" || fail "the refusal does not name cpu 3: $(cat "$T/err")"
	c2=$(cpus_norm "$(pool_cpus pool0)" | awk '{ print $NF }')
	;;
*)
	c2=3
	;;
esac
pc pool-create pool2 cpu="$c2" || fail "pool-create pool2 cpu=$c2"
assert_eq "pool2 cpus" "$c2" "$(cpus_norm "$(pool_cpus pool2)")"
check_pool0 vm1 vm2
expect_rc 1 pc pool-create pool1 ncpu=1
expect_rc 1 pc pool-create pool3 ncpu=$NR_CPUS

step "pool-migrate moves members; every vCPU is re-pinned"
pc pool-migrate vm1 pool1 || fail "pool-migrate vm1"
pc pool-migrate "$(domid_of vm2)" pool2 || fail "pool-migrate vm2 by domid"
assert_pinned vm1 "$p1"
assert_pinned vm2 "$c2"
check_pool0

step "pool-list in the seed's layout, sched as Xen reports it"
pc pool-list | tee "$T/list"
xl cpupool-list
head -n 1 "$T/list" | grep -Eq '^pool +cpus +sched +share +domains *$' || fail "pool-list header"
grep -Eq "^pool1 +$(pool_cpus pool1) +$SCHED +auto +$(domid_of vm1) *\$" "$T/list" || fail "pool1 line"
grep -Eq "^pool2 +$c2 +$SCHED +auto +$(domid_of vm2) *\$" "$T/list" || fail "pool2 line"
grep -Eq "^pool0 +$(pool_cpus pool0) +$SCHED +auto +0 *\$" "$T/list" || fail "pool0 line"

step "domain-set writes weight and cap; poold's hv view matches Xen's"
pc domain-set vm2 weight=512 cap=50 || fail "domain-set vm2"
assert_eq "vm2 cap" 50 "$(hv_cap vm2)"
hw=$(pc --json domain-list | jq -r '.domains[] | select(.name == "vm2") | .hv_weight')
assert_eq "vm2 weight in Xen vs poold's hv_weight" "$hw" "$(hv_weight vm2)"
[ "$SCHED" = credit ] || assert_eq "vm2 weight (credit2 passes it through)" 512 "$(hv_weight vm2)"
step "a cap at what pinning allows anyway (1 vCPU on 1 pCPU: 100) is written as 0"
pc domain-set vm2 cap=100 || fail "domain-set vm2 cap=100"
assert_eq "vm2 cap" 0 "$(hv_cap vm2)"

step "pool-modify pool1 ncpu=1: the freed pCPU goes back to pool0"
pc pool-modify pool1 ncpu=1 || fail "pool-modify pool1 ncpu=1"
n1=$(cpus_norm "$(pool_cpus pool1)")
assert_eq "pool1 size" 1 "$(echo $n1 | wc -w)"
assert_pinned vm1 "$n1"
check_pool0
total=$(pc --json pool-list | jq '[.pools[].ncpu] | add')
assert_eq "pCPUs over all pools" "$NR_CPUS" "$total"

step "pool-modify pool1 cpu=<the other one it had>"
other=$(for c in $p1; do [ "$c" = "$n1" ] || echo "$c"; done)
pc pool-modify pool1 cpu="$other" || fail "pool-modify pool1 cpu=$other"
assert_eq "pool1 cpus" "$other" "$(cpus_norm "$(pool_cpus pool1)")"
assert_pinned vm1 "$other"
check_pool0

step "pool-destroy refuses while the pool has members, and says how to proceed"
expect_rc 1 pc pool-destroy pool1
grep -qi force "$T/err" || fail "the refusal does not mention --force: $(cat "$T/err")"
assert_pinned vm1 "$other"
expect_rc 1 pc pool-destroy pool0

step "pool-destroy --force moves members to pool0 and frees the pCPUs"
pc pool-destroy pool1 --force || fail "pool-destroy pool1 --force"
check_pool0 vm1
assert_eq "vm1 pool" pool0 "$(dom_pool vm1)"
pc pool-destroy pool2 --force || fail "pool-destroy pool2 --force"
check_pool0 vm1 vm2
assert_pinned Domain-0 all
pc pool-list
xl vcpu-list
echo PASS
