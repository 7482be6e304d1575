#!/bin/sh
# Restart: pools and members come back from the state file, and a converged host gets no write.
. /tests/lib.sh

# What Xen says about every domain: each vCPU's hard affinity, weight and cap.
xen_view()
{
	xl vcpu-list | awk 'NR > 1 { print $1, $3, $7 }'
	xl sched-"$SCHED" | awk '$2 ~ /^[0-9]+$/ { print $1, $3, $4 }'
}

poold_view()
{
	pc --json pool-list | jq -S '[.pools[] | del(.sched)]'
	# used/entitled are measurements of the last share period, not state: left out.
	pc --json domain-list | jq -S '.domains |= map(del(.used, .entitled))'
}

start_poold
pc pool-create pool1 cpu=2-3 || fail "pool-create pool1"
pc pool-create pool2 cpu=1 || fail "pool-create pool2"
guest_create a 2
guest_create b 1
guest_create c 1
toolstack_set_pool "$(domid_of a)" pool1
toolstack_set_pool "$(domid_of c)" nosuch
wait_pinned a 2-3
wait_until "pc --json domain-list | jq -e '.domains[] | select(.name == \"c\") | .misplaced'"
pc pool-migrate b pool2 || fail "pool-migrate b"
pc domain-set b weight=1024 cap=80 || fail "domain-set b"
pc domain-set a weight=300 || fail "domain-set a"
assert_pinned b 1
assert_eq "b cap" 80 "$(hv_cap b)"
xen_view >"$T/xen.before"
poold_view >"$T/poold.before"
cat "$T/xen.before"

step "SIGTERM and start again: same pools and domains, no hypervisor write"
stop_poold
jq -e '.version == 1' "$T/state.json" >/dev/null || fail "state file without version 1"
start_poold
poold_view >"$T/poold.after"
diff -u "$T/poold.before" "$T/poold.after" || fail "poold's view changed over a restart"
xen_view >"$T/xen.after"
diff -u "$T/xen.before" "$T/xen.after" || fail "Xen's view changed over a restart"
assert_eq "hv_writes after a restart with nothing to change" 0 "$(hv_writes)"

step "SIGKILL and start again: the same"
kill_poold
start_poold
poold_view >"$T/poold.after"
diff -u "$T/poold.before" "$T/poold.after" || fail "poold's view changed over a SIGKILL"
xen_view >"$T/xen.after"
diff -u "$T/xen.before" "$T/xen.after" || fail "Xen's view changed over a SIGKILL"
assert_eq "hv_writes after SIGKILL + start" 0 "$(hv_writes)"

step "changes made while poold was down are repaired on start"
kill_poold
xl vcpu-pin a all 0-3 || fail "xl vcpu-pin a"
xl sched-"$SCHED" -d b -c 0 || fail "clear b's cap"
guest_create d 1
toolstack_set_pool "$(domid_of d)" pool2
pc pool-create pool3 cpu=0 2>/dev/null && fail "poolctl reached a dead poold"
start_poold
wait_pinned a 2-3
wait_pinned d 1
assert_eq "b cap restored" 80 "$(hv_cap b)"
[ "$(hv_writes)" -gt 0 ] || fail "no hypervisor write reported for the repairs"
assert_eq "d pool" pool2 "$(dom_pool d)"
echo PASS
