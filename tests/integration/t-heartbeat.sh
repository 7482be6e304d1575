#!/bin/bash
# The heartbeat: WATCHDOG=1 while the loop turns and xenstored answers, none while xenstored
# stalls (so systemd's watchdog restarts poold), and an exit at once when xenstored is gone.
. "$(dirname "$0")/lib.sh"

python3 "$(dirname "$0")/notify-listen.py" "$T/notify.sock" "$T/notify" &
LISTEN_PID=$!
trap '[ -n "${XENSIM_PID:-}" ] && kill -CONT "$XENSIM_PID" 2>/dev/null; kill "$LISTEN_PID" 2>/dev/null; cleanup' EXIT
wait_until "[ -S '$T/notify.sock' ]"
watchdogs() { grep -c '^WATCHDOG=1$' "$T/notify" || true; }

start_xensim 1x4x1 1 credit2
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 start_poold

step "WATCHDOG=1 twice a second while xenstored answers"
wait_until "grep -q '^READY=1' '$T/notify'"
w0=$(watchdogs)
sleep 2
w1=$(watchdogs)
[ $((w1 - w0)) -ge 3 ] || fail "$((w1 - w0)) WATCHDOG=1 in 2 s, want about 4"

step "xenstored stalls (SIGSTOP): no WATCHDOG=1, so systemd would restart poold"
kill -STOP "$XENSIM_PID"
sleep 0.6
w2=$(watchdogs)
sleep 2
w3=$(watchdogs)
[ "$w3" -eq "$w2" ] || fail "$((w3 - w2)) WATCHDOG=1 while xenstored was stopped"
kill -CONT "$XENSIM_PID"
sleep 1.5
w4=$(watchdogs)
[ "$w4" -gt "$w3" ] || fail "no WATCHDOG=1 after xenstored came back"
pc status >/dev/null

step "xenstored gone: poold exits at once, not when the next guest comes"
kill -KILL "$XENSIM_PID"
wait "$XENSIM_PID" 2>/dev/null || true
XENSIM_PID=
rc=0
for _ in $(seq 1 80); do
	kill -0 "$POOLD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$POOLD_PID" 2>/dev/null && fail "poold still runs 8 s after xenstored went"
wait "$POOLD_PID" || rc=$?
POOLD_PID=
[ "$rc" -ne 0 ] || fail "poold exited 0 after losing xenstored: systemd would not restart it"
grep -q "xenstore connection lost" "$T/poold.log" || fail "no word of the lost connection"
grep -q "^STATUS=xenstore connection lost" "$T/notify" || fail "STATUS= said nothing of it"
echo "PASS"
