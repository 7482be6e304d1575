#!/bin/bash
# Pools and members survive a restart, and a converged host gets zero writes.
. "$(dirname "$0")/lib.sh"

start_xensim 2x4x2 2 credit
start_poold
pc pool-create pool1 ncpu=4
pc pool-create pool2 cpu=1,3,5
sim create a vcpus=2 pool=pool1 >/dev/null
sim create b vcpus=4 >/dev/null
sim create c vcpus=1 pool=nosuch >/dev/null
wait_until "dom_pool c"
pc pool-migrate b pool2
pc domain-set b weight=1024 cap=80
pc domain-set a weight=300
wait_pinned a "$(pool_cpus pool1)"
pc --json pool-list | jq -S '[.pools[] | del(.sched)]' >"$T/pools.before"
pc --json domain-list | jq -S . >"$T/doms.before"
view | jq -S '[.domains[] | {name, weight, cap, hard: [.vcpus[].hard]}]' >"$T/view.before"

step "SIGTERM: poold exits cleanly"
stop_poold
[ -s "$T/state.json" ] || fail "no state file"
jq -e '.version == 1' "$T/state.json" >/dev/null || fail "state file without version 1"

step "restart: pools, members and settings restored; no hypervisor write"
sim reset-counters
start_poold
pc --json pool-list | jq -S '[.pools[] | del(.sched)]' >"$T/pools.after"
pc --json domain-list | jq -S . >"$T/doms.after"
diff -u "$T/pools.before" "$T/pools.after" || fail "pools differ after restart"
diff -u "$T/doms.before" "$T/doms.after" || fail "domains differ after restart"
assert_eq "hypervisor writes after a restart with nothing changed" 0 "$(hv_writes)"

step "SIGKILL and restart: the same"
kill -KILL "$POOLD_PID"
wait "$POOLD_PID" 2>/dev/null || true
POOLD_PID=
start_poold
diff -u "$T/doms.before" <(pc --json domain-list | jq -S .) || fail "domains differ after SIGKILL"
assert_eq "hypervisor writes" 0 "$(hv_writes)"
view | jq -S '[.domains[] | {name, weight, cap, hard: [.vcpus[].hard]}]' >"$T/view.after"
diff -u "$T/view.before" "$T/view.after" || fail "the hypervisor's view changed"

step "a change made while poold was down is repaired on start"
stop_poold
sim reset-counters
"$XENSIM" ctl -S "$T/hv.sock" create d vcpus=2 pool=pool2 >/dev/null
start_poold
wait_pinned d "1,3,5"
[ "$(hv_writes)" -gt 0 ] || fail "no write for the new domain"
echo "PASS"
