#!/bin/sh
# Errors from real Xen (a domain dying under poold, a refused affinity): clear errors, sane state.
. /tests/lib.sh

# poold is alive, answers, and its pools still cover every pCPU exactly once.
consistent()
{
	kill -0 "$POOLD_PID" 2>/dev/null || fail "poold died"
	_all=$(pc --json pool-list | jq -r '[.pools[].cpus] | join(",")') || fail "pool-list failed"
	assert_eq "pools cover every pCPU" "$(cpus_norm all)" "$(cpus_norm "$_all")"
	assert_eq "pCPUs over all pools (no overlap)" "$NR_CPUS" \
		"$(pc --json pool-list | jq '[.pools[].ncpu] | add')"
	assert_pinned Domain-0 "$(pool_cpus pool0)"
}

start_poold
pc pool-create pool1 cpu=2 || fail "pool-create pool1"
pc pool-create pool2 cpu=3 || fail "pool-create pool2"

step "a domain destroyed while poold is stopped mid-way, then asked to pin it"
guest_create e1 2
guest_create e2 1
wait_until "dom_pool e2"
pc pool-migrate e1 pool1 || fail "pool-migrate e1"
id1=$(domid_of e1)
kill -STOP "$POOLD_PID"
xl destroy e1
(pc pool-modify pool1 cpu=1 >"$T/m.out" 2>"$T/m.err"; echo $? >"$T/m.rc") &
sleep 1
kill -CONT "$POOLD_PID"
wait $!
echo "pool-modify with e1 gone: rc $(cat "$T/m.rc"): $(cat "$T/m.out" "$T/m.err")"
echo "what poold saw of it:"
grep -E "domain $id1\b|pool-modify" "$T/poold.log" | tail -n 8
case $(cat "$T/m.rc") in
0) ;;
1) grep -Eq '[A-Za-z]' "$T/m.err" || fail "an error without a message" ;;
*) fail "pool-modify exited $(cat "$T/m.rc")" ;;
esac
wait_until "! pc --json domain-list | jq -e '.domains[] | select(.name == \"e1\")'"
assert_eq "pool1 cpus" 1 "$(cpus_norm "$(pool_cpus pool1)")"
assert_pinned e2 0,2
consistent

step "a race: pool-migrate while xl destroys the domain"
guest_create e3 2
wait_until "dom_pool e3"
pc pool-migrate e3 pool2 >"$T/r.out" 2>"$T/r.err" &
xl destroy e3
wait $!
rc=$?
echo "pool-migrate racing xl destroy: rc $rc: $(cat "$T/r.out" "$T/r.err")"
[ $rc -le 1 ] || fail "pool-migrate exited $rc"
[ $rc -eq 0 ] || grep -Eq '[A-Za-z]' "$T/r.err" || fail "an error without a message"
wait_until "! pc --json domain-list | jq -e '.domains[] | select(.name == \"e3\")'"
consistent

step "an affinity Xen refuses: the domain was moved to a native cpupool behind poold's back"
xl cpupool-cpu-remove Pool-0 3 || fail "cpupool-cpu-remove"
xl cpupool-create name=\"xp\" sched=\"$SCHED\" cpus=\"3\" || fail "cpupool-create"
xl cpupool-migrate e2 xp || fail "cpupool-migrate"
xl vcpu-list e2
expect_rc 1 pc pool-migrate e2 pool1
cat "$T/err"
grep -q HypervisorError "$T/err" || fail "not reported as HypervisorError"
grep -q e2 "$T/err" || grep -q "$(domid_of e2)" "$T/err" ||
	fail "the error does not name the domain"
grep -qi "invalid argument" "$T/err" || fail "the error does not give Xen's reason"
consistent
echo "e2 after the refused pin:"
xl vcpu-list e2
step "once the domain is back in Pool-0, a reconcile (SIGHUP) pins it as asked"
xl cpupool-migrate e2 Pool-0 || fail "cpupool-migrate back"
kill -HUP "$POOLD_PID"
wait_pinned e2 1
assert_eq "e2 pool" pool1 "$(dom_pool e2)"
consistent
xl cpupool-destroy xp
xl cpupool-cpu-add Pool-0 3
echo PASS
