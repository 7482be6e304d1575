#!/bin/bash
# One poold per state file: a second is refused at once, naming the first; stale temp files go.
. "$(dirname "$0")/lib.sh"

start_xensim 1x4x1 1 credit2
start_poold
pc pool-create alpha ncpu=1 >/dev/null
sim create vm1 vcpus=1 >/dev/null
wait_until "[ \"\$(dom_pool vm1)\" = pool0 ]"
wait_settled
alpha=$(pool_cpus alpha)

step "the lock file names the running poold"
assert_eq "pid in $T/state.json.lock" "$POOLD_PID" "$(cat "$T/state.json.lock")"

# Temp files as a killed save leaves them (state.c: ".<base>.XXXXXX"), and some that are not.
stale=(.state.json.AbC123 .state.json.zz09ZZ)
keep=(.state.json.AbC12 .state.json.AbC1234 .state.json.ab-123 .other.json.AbC123 state.json.AbC123
	notes.txt)
for f in "${stale[@]}" "${keep[@]}"; do
	echo "planted" >"$T/$f"
done
mkdir "$T/.state.json.dir123"

# Runs a second poold on the same state file (its own socket); fails unless it exits 3.
second_refused()
{
	local start end

	cp "$T/state.json" "$T/state.before"
	start=$(date +%s%N)
	expect_rc 3 timeout 10 "$POOLD" "$@" -f /dev/null --backend sim --sim-socket "$T/hv.sock" \
		--xenstore "$T/xenstore.sock" -s "$T/poold2.sock" --state "$T/state.json"
	end=$(date +%s%N)
	echo "refused in $(((end - start) / 1000000)) ms: $(cat "$T/err")"
	[ $(((end - start) / 1000000)) -lt 2000 ] || fail "the refusal took more than 2 s"
	grep -q "another poold (pid $POOLD_PID) uses state file $T/state.json" "$T/err" ||
		fail "the message does not name the first poold's pid $POOLD_PID: $(cat "$T/err")"
	grep -q "systemctl stop poold" "$T/err" || fail "the message does not say what to do"
	cmp "$T/state.json" "$T/state.before" || fail "the attempt changed the state file"
	[ ! -e "$T/poold2.sock" ] || fail "the refused poold made a socket"
}

step "a second poold in the foreground is refused"
second_refused -d
step "and one that would daemonize"
second_refused

step "the refused ones removed nothing; the first still serves and places"
for f in "${stale[@]}"; do
	[ -e "$T/$f" ] || fail "$f was removed by a poold that does not hold the lock"
done
kill -0 "$POOLD_PID" || fail "the first poold died"
assert_eq "pid in the lock file" "$POOLD_PID" "$(cat "$T/state.json.lock")"
pc pool-create beta ncpu=1 >/dev/null
pc pool-migrate vm1 beta >/dev/null
beta=$(pool_cpus beta)
wait_pinned vm1 "$beta"
grep -q '"beta"' "$T/state.json" || fail "beta is not in the state file"

step "poold -n says one is running, and the check still passes"
"$POOLD" -n -f /dev/null --state "$T/state.json" >"$T/out" 2>"$T/err" ||
	fail "poold -n failed with a poold running: $(cat "$T/out" "$T/err")"
grep -q "a poold (pid $POOLD_PID) is running on state file $T/state.json" "$T/out" ||
	fail "poold -n: $(cat "$T/out" "$T/err")"
"$POOLD" -n -v -f /dev/null --state "$T/state.json" >"$T/out" ||
	fail "poold -nv failed with a poold running"
grep -q "^# a poold (pid $POOLD_PID) is running" "$T/out" || fail "poold -nv: $(cat "$T/out")"
assert_eq "pid in the lock file after -n" "$POOLD_PID" "$(cat "$T/state.json.lock")"

step "SIGKILL frees the lock"
kill -KILL "$POOLD_PID"
wait "$POOLD_PID" 2>/dev/null || true
old=$POOLD_PID
POOLD_PID=
"$POOLD" -n -v -f /dev/null --state "$T/state.json" >"$T/out" || fail "poold -nv failed"
grep -q "^# no poold is running on state file $T/state.json" "$T/out" ||
	fail "poold -nv after the kill: $(cat "$T/out")"
[ -e "$T/${stale[0]}" ] || fail "poold -n removed a temp file"

step "a new poold starts, takes the lock and removes only the stale temp files"
start_poold
[ "$POOLD_PID" != "$old" ] || fail "same pid"
assert_eq "pid in the lock file" "$POOLD_PID" "$(cat "$T/state.json.lock")"
for f in "${stale[@]}"; do
	[ ! -e "$T/$f" ] || fail "stale temp file $f is still there"
	grep -q "removed $T/$f" "$T/poold.log" || fail "removing $f was not logged"
done
for f in "${keep[@]}"; do
	[ "$(cat "$T/$f")" = planted ] || fail "$f was not kept"
done
[ -d "$T/.state.json.dir123" ] || fail "a directory with a temp file's name was removed"
assert_eq "alpha kept" "$alpha" "$(pool_cpus alpha)"
assert_eq "beta kept" "$beta" "$(pool_cpus beta)"
wait_pinned vm1 "$beta"

step "the new poold refuses another in its turn"
second_refused -d

step "a daemonized poold writes the daemon's pid, not its parent's"
stop_poold
"$POOLD" -f /dev/null --backend sim --sim-socket "$T/hv.sock" --xenstore "$T/xenstore.sock" \
	-s "$T/poold.sock" --state "$T/state.json" 2>>"$T/poold.log" &
parent=$!
wait "$parent" || fail "the daemonizing poold exited $?"
POOLD_PID=$(cat "$T/state.json.lock")
[ "$POOLD_PID" != "$parent" ] || fail "the lock names the parent, which exited"
kill -0 "$POOLD_PID" || fail "no process $POOLD_PID"
[ "$(readlink "/proc/$POOLD_PID/exe")" = "$(readlink -f "$POOLD")" ] ||
	fail "pid $POOLD_PID is not poold"
pc status >/dev/null
second_refused -d
# Not our child: lib.sh's cleanup can't wait for it.
kill -TERM "$POOLD_PID"
wait_until "! kill -0 $POOLD_PID"
POOLD_PID=
echo "PASS"
