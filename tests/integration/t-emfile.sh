#!/bin/bash
# poold at its open-file limit: idle clients fill it until poold keeps the last descriptors
# for itself, then the limit is lowered until accept() fails with EMFILE. poold must pause
# accept (logged once, no spinning), go on with its own work (a placement and its state
# save), take a waiting client once a descriptor frees (the retry timer) or a client closes
# (at once), serve root again and lose nothing.
. "$(dirname "$0")/lib.sh"

LIMIT=64
# src/ctl/server.c: CTL_FD_RESERVE, CTL_ACCEPT_RETRY_SEC, CTL_REFUSE_LOG_SEC.
RESERVE=16
RETRY_SEC=1
LOG_SEC=10
# What poold may burn in 2 s at the limit: a retry a second costs microseconds.
CPU_BOUND=0.2

# utime + stime of poold, in seconds.
cpu_s()
{
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
		"/proc/$POOLD_PID/stat"
}

# poold's open descriptors numbered below $LIMIT (inherited ones above it take no place).
fds_below_limit()
{
	local n=0 fd

	for fd in /proc/"$POOLD_PID"/fd/*; do
		[ "${fd##*/}" -lt "$LIMIT" ] && n=$((n + 1))
	done
	echo "$n"
}

# Sets poold's soft open-file limit.
set_limit()
{
	prlimit --pid "$POOLD_PID" --nofile="$1:"
}

# Waits until the helper has written $1 lines of figures, and prints the last.
helper_line()
{
	wait_until "[ \"\$(wc -l <'$T/clients.json')\" -ge $1 ]" 20
	sed -n "${1}p" "$T/clients.json"
}

start_xensim 1x8x1 1 credit2
create_guests g 4 1
HARD=$(ulimit -H -n)
ulimit -S -n "$LIMIT"
start_poold
ulimit -S -n "$HARD"
assert_eq "poold's open-file limit (soft)" "$LIMIT" \
	"$(awk '/^Max open files/ { print $4 }' "/proc/$POOLD_PID/limits")"
wait_until "[ \"\$(pc --json status | jq .domains)\" = 5 ]"
pc pool-create pool1 ncpu=2 >/dev/null
pc pool-migrate g0 pool1 >/dev/null
wait_settled
P1=$(pool_cpus pool1)
wait_pinned g0 "$P1"
pc --json pool-list | jq -S '.pools[].domains |= sort' >"$T/pools-before"
OWN=$(fds_below_limit)
echo "poold's own descriptors: $OWN of $LIMIT"

step "idle clients until poold keeps the last $RESERVE descriptors for itself"
# The helper raises its own limit; each step waits for a file the test touches.
python3 - "$T/poold.sock" "$T" >"$T/clients.json" <<'PY' &
import json, os, resource, socket, sys, time

path, dir = sys.argv[1], sys.argv[2]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def report(**kv):
    print(json.dumps(kv), flush=True)


def wait_for(name):
    while not os.path.exists(os.path.join(dir, name)):
        if not os.path.isdir(dir):
            sys.exit("the test is gone")
        time.sleep(0.01)


def answer(s, timeout):
    """'greeted', 'refused' (TooManyClients) or None when poold says nothing in time."""
    s.settimeout(timeout)
    try:
        line = s.recv(4096)
    except socket.timeout:
        return None
    if b'"poold"' in line:
        return "greeted"
    if b"TooManyClients" in line and b"short of file descriptors" in line:
        return "refused"
    sys.exit(f"neither a greeting nor a refusal for lack of descriptors: {line!r}")


def client():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


held = []
while True:
    if len(held) > 1000:
        sys.exit("1000 clients greeted under a limit of 64 descriptors")
    s = client()
    a = answer(s, 5)
    if a != "greeted":
        break
    held.append(s)
s.close()
report(held=len(held), first=a)

# The limit lowered to what poold has open: accept() itself fails, the client waits.
wait_for("lowered")
pending = client()
a = answer(pending, 2.5)
report(waiting=a is None)

# One descriptor more than the reserve: the retry timer must find it, no client closed.
wait_for("raised")
t0 = time.monotonic()
a = answer(pending, 5)
timer_s = time.monotonic() - t0
if a != "greeted":
    sys.exit(f"the waiting client was not greeted after the limit was raised: {a}")
held.append(pending)
# The next one is in the reserve again: refused, and accept pauses.
a = answer(client(), 5)
if a != "refused":
    sys.exit(f"a client in the reserve was not refused: {a}")

# A client waits through that pause; every idle one closes: it is greeted at once.
pending = client()
for s in held:
    s.close()
t0 = time.monotonic()
a = answer(pending, 5)
close_s = time.monotonic() - t0
if a != "greeted":
    sys.exit(f"not greeted after the clients closed: {a}")
report(held=len(held), timer_s=round(timer_s, 3), close_s=round(close_s, 3))
PY
HELPER=$!
T0=$(date +%s)
FILL=$(helper_line 1)
HELD=$(jq .held <<<"$FILL")
AT_LIMIT=$(fds_below_limit)
echo "clients held: $HELD, then $(jq -r .first <<<"$FILL"); poold's descriptors: $AT_LIMIT of $LIMIT"
assert_eq "the first client past the clients' share" '"refused"' "$(jq .first <<<"$FILL")"
assert_eq "poold's descriptors when it refuses clients" $((LIMIT - RESERVE)) "$AT_LIMIT"
assert_eq "clients held" $((LIMIT - RESERVE - OWN)) "$HELD"

step "poold's own work goes on: a new guest is placed and its record saved"
create_guests h 1 1 pool1
wait_pinned h0 "$P1"
wait_until "jq -e '.domains[] | select(.name == \"h0\")' '$T/state.json'"
! grep -i 'state file.*failed' "$T/poold.log" || fail "poold could not save its state at the limit"

step "the limit lowered to what poold has open: accept() fails with EMFILE"
USED=$(fds_below_limit)
set_limit "$USED"
touch "$T/lowered"
# Longer than the retry period: at the old limit the retry would have refused it by now.
[ "$(jq .waiting <<<"$(helper_line 2)")" = true ] || fail "a client was answered past the limit"
kill -0 "$POOLD_PID" || fail "poold died at the limit"

step "2 s at the limit: no spinning"
CPU0=$(cpu_s)
sleep 2
CPU1=$(cpu_s)
CPU=$(awk -v a="$CPU0" -v b="$CPU1" 'BEGIN { printf "%.3f\n", b - a }')
echo "poold's CPU time over 2 s at the limit: $CPU s"
awk -v c="$CPU" -v m="$CPU_BOUND" 'BEGIN { exit !(c < m) }' ||
	fail "poold used $CPU s of CPU in 2 s at the limit"
kill -0 "$POOLD_PID" || fail "poold died at the limit"

step "a descriptor more than the reserve, then every client closing"
set_limit $((USED + RESERVE + 1))
touch "$T/raised"
wait "$HELPER" || fail "the client helper failed: $(cat "$T/clients.json")"
ELAPSED=$(($(date +%s) - T0 + 1))
RES=$(helper_line 3)
echo "recovery: $RES"
jq -e ".timer_s < $RETRY_SEC + 0.5" <<<"$RES" >/dev/null ||
	fail "not accepted within the retry period ($RETRY_SEC s) of a descriptor freeing: $RES"
jq -e ".close_s < $RETRY_SEC" <<<"$RES" >/dev/null ||
	fail "not accepted at once when the clients closed: $RES"
set_limit "$LIMIT"

step "the pauses logged at most once every $LOG_SEC s"
grep 'pausing accept' "$T/poold.log"
PAUSES=$(grep -c 'pausing accept' "$T/poold.log" || true)
[ "$PAUSES" -ge 1 ] && [ "$PAUSES" -le $((1 + ELAPSED / LOG_SEC)) ] ||
	fail "$PAUSES messages about pausing accept in ${ELAPSED} s"
grep -q 'control socket: accepting again' "$T/poold.log" ||
	fail "poold did not say it accepts again"

step "root is served again; nothing was lost; a change works"
kill -0 "$POOLD_PID" || fail "poold died"
pc status >/dev/null || fail "status fails after the limit"
# The pools as they were, h0 in pool1.
jq -S --argjson d "$(domid_of h0)" \
	'.pools |= map(if .name == "pool1" then .domains = (.domains + [$d] | sort) else . end)' \
	"$T/pools-before" >"$T/pools-want"
pc --json pool-list | jq -S '.pools[].domains |= sort' >"$T/pools-after"
diff -u "$T/pools-want" "$T/pools-after" || fail "pool-list is not what it was, with h0 in pool1"
assert_pinned g0 "$P1"
assert_pinned h0 "$P1"
pc pool-migrate g1 pool1 >/dev/null
wait_pinned g1 "$P1"
wait_until "jq -e '.domains[] | select(.name == \"g1\" and .want == \"pool1\")' '$T/state.json'"
echo "figures: limit $LIMIT, poold's own descriptors $OWN, at the reserve $AT_LIMIT," \
	"at EMFILE $USED; clients held $HELD; CPU while paused $CPU s in 2 s; recovery" \
	"$(jq -r '"\(.timer_s) s (a descriptor freed, retry timer), \(.close_s) s (clients closed)"' <<<"$RES")"
echo "PASS"
