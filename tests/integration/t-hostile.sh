#!/bin/bash
# Malformed and hostile requests (hostile.py's table): each its exact class and a desc that
# says what was wrong, and afterwards nothing changed, in poold or in the hypervisor.
. "$(dirname "$0")/lib.sh"

RO=$T/ro.sock
start_xensim 1x4x1 1 credit2
start_poold --socket-ro "$RO"

step "the host hostile.py expects: pool1 with web1, a pool without pCPUs, db1 in pool0"
pc pool-create pool1 cpus=2-3 >/dev/null
pc pool-create empty ncpu=1 >/dev/null
pc pool-modify empty ncpu=0 >/dev/null
sim create web1 vcpus=2 pool=pool1 paused >/dev/null
sim create db1 vcpus=1 paused >/dev/null
wait_until "[ \"\$(dom_pool web1)\" = pool1 ]"
pc domain-set web1 weight=512 cap=150 >/dev/null
wait_settled
assert_pinned web1 2-3
assert_eq "web1's weight" 512 "$(hv_weight web1)"
view | jq '{web1: (.domains[] | select(.name == "web1") | {domid, vcpus: (.vcpus | length)}),
	dom0: (.domains[] | select(.domid == 0) | {vcpus: (.vcpus | length)})}' >"$T/facts.json"

# What must not move: poold's listings (less what the share controller measures each
# period), the state file's bytes, and the hypervisor's view of every domain and its writes.
snapshot()
{
	pc --json pool-list
	pc --json domain-list | jq 'del(.domains[].used, .domains[].entitled)'
	pc --json status | jq '{pools, domains, log_level, ready}'
	sha256sum <"$T/state.json"
	view | jq '{cpus, writes: .counters.writes, failed: .counters.failed,
		domains: [.domains[] | {domid, name, uuid, cpupool, weight, cap, paused,
			hard: [.vcpus[].hard]}]}'
}
snapshot >"$T/before"

step "the table"
python3 "$(dirname "$0")/hostile.py" "$T/poold.sock" "$RO" "$T/facts.json" ||
	fail "hostile.py: a case failed"

step "a name sent with a newline did not forge a line of the log (poold runs at debug)"
grep -qF 'x\x0apoold: pool pool0 destroyed' "$T/poold.log" ||
	fail "the request with a newline in its command was not logged, escaped"
! grep -q '^poold: pool pool0 destroyed' "$T/poold.log" || fail "a client forged a log line"

step "nothing changed, and poold answers on both sockets"
kill -0 "$POOLD_PID" 2>/dev/null || fail "poold is gone"
wait_settled
snapshot >"$T/after"
diff -u "$T/before" "$T/after" || fail "the hostile requests changed the state"
pc status >/dev/null || fail "the main socket does not answer"
"$POOLCTL" -s "$RO" status >/dev/null || fail "the read-only socket does not answer"
"$POOLCTL" -s "$RO" --json pool-list | jq -e '[.pools[].name] == ["pool0", "pool1", "empty"]' \
	>/dev/null || fail "the read-only socket's pool-list: $("$POOLCTL" -s "$RO" pool-list)"
echo "PASS"
