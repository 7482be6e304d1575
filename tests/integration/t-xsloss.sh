#!/bin/bash
# Xenstore loss: xensim's xenstore side restarted (connections dropped, refused for a while,
# the store kept) and stalled. poold notices a drop at once, from the socket's hangup, not
# from the 5 s heartbeat, and a stall within its 5 s bound on a call; it exits 1 for systemd,
# which the test plays (Restart=on-failure); domains created while xenstore was down are
# pinned in their pool after, in xensim's view.
. "$(dirname "$0")/lib.sh"

# Waits up to $1 tenths of a second for poold to exit; sets RC to its status.
wait_exit()
{
	for _ in $(seq 1 "$1"); do
		kill -0 "$POOLD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$POOLD_PID" 2>/dev/null && return 1
	RC=0
	wait "$POOLD_PID" || RC=$?
	POOLD_PID=
}

# Starts poold in the background as systemd would, without waiting for it.
run_poold()
{
	"$POOLD" -d -v -v -f "$T/poold.conf" --backend sim --sim-socket "$T/hv.sock" \
		--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
		>>"$T/poold.log" 2>&1 &
	POOLD_PID=$!
}

start_xensim 1x4x1 1 credit2
start_poold
pc pool-create p1 cpu=2-3
sim create g0 vcpus=2 pool=p1 >/dev/null
wait_pinned g0 2-3

step "xenstore restarted: poold exits 1 at once (well before the 5 s heartbeat)"
: >"$T/poold.log"
t0=$(date +%s%N)
sim xs-restart 3000
wait_exit 20 || fail "poold still runs 2 s after xenstore dropped its connection"
t1=$(date +%s%N)
echo "noticed and exited in $(((t1 - t0) / 1000000)) ms"
assert_eq "exit status after losing xenstore" 1 "$RC"
grep -q "xenstore connection lost; exiting" "$T/poold.log" || fail "no word of the lost connection"

step "domains created while xenstore is down"
sim create g1 vcpus=1 pool=p1 >/dev/null
sim create g2 vcpus=3 pool=p1 >/dev/null
sim create g5 vcpus=1 >/dev/null
sim destroy g0

step "systemd restarts poold while xenstore still refuses: exit 1, the reason said"
: >"$T/poold.log"
run_poold
wait_exit 50 || fail "poold did not give up on a refusing xenstore"
assert_eq "exit status with xenstore refusing" 1 "$RC"
grep -q "cannot connect to xenstore" "$T/poold.log" || fail "no word of why poold could not start"

step "xenstore back: the next restart places every domain made meanwhile"
sleep 3
start_poold
wait_pinned g1 2-3
wait_pinned g2 2-3
wait_pinned g5 0-1
[ "$(view | jq '[.domains[] | select(.name == "g0")] | length')" = 0 ] || fail "g0 not destroyed"
[ "$(pc --json domain-list | jq '[.domains[] | select(.name == "g0")] | length')" = 0 ] ||
	fail "poold still lists g0, destroyed while xenstore was down"

step "watches hold on the new connection: a new guest is placed"
sim create g3 vcpus=2 pool=p1 >/dev/null
wait_pinned g3 2-3

step "xenstore stalls: status answers or fails within the bound, never hangs; poold exits 1"
: >"$T/poold.log"
sim xs-stall 9000
sim create g4 vcpus=1 pool=p1 >/dev/null
t0=$(date +%s%N)
src=0
timeout 12 "$POOLCTL" -s "$T/poold.sock" status >/dev/null 2>&1 || src=$?
[ "$src" -ne 124 ] || fail "status hung 12 s behind a stalled xenstore"
wait_exit 80 || fail "poold still runs 8 s into a xenstore stall"
t1=$(date +%s%N)
echo "stall: status rc $src, poold exited after $(((t1 - t0) / 1000000)) ms"
assert_eq "exit status after a stalled xenstore" 1 "$RC"
grep -q "xenstore did not answer in 5000 ms; exiting" "$T/poold.log" ||
	fail "no word of the stalled xenstore"

step "the stall ends: restarted, poold places the guest made during it"
wait_until "timeout 2 xenstore-read /local/domain/0/name >/dev/null 2>&1" 15
start_poold
wait_pinned g4 2-3
wait_pinned g3 2-3
stop_poold
echo "PASS"
