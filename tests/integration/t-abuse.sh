#!/bin/bash
# Client abuse at 2,000 domains: 200 idle clients on each socket, a subscriber that never
# reads while 10,000 events are made, a slow reader of the domain list; meanwhile root's
# status is answered within 50 ms and poold's memory stays bounded.
. "$(dirname "$0")/lib.sh"

ABUSE="python3 $(dirname "$0")/abuse.py"
NDOMS=2000
# The issue asks for 10,000; log-level-changed events are about 105 bytes, and 20,000 of
# them pass the subscriber's 1 MiB with room to spare (domain-changed ones would be bigger,
# but each waits for a state save: 10,000 take minutes).
NEVENTS=20000
IDLE=200
LATENCY_MS=50
# A sanitized poold answers a few times slower: the bound then says it still answers.
[ "${POOLD_SANITIZED:-0}" = 1 ] && LATENCY_MS=500
# What the abuse may add to poold's RSS: the stuck subscriber's 1 MiB of events (its
# bound), the slow reader's listing (about 1 MiB, held once encoded and once queued), and
# 120 idle clients of a few KiB of buffers each, with room for malloc's arenas.
RSS_BOUND_KB=$((16 * 1024))

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$POOLD_PID/status"
}

start_xensim 1x8x1 1 credit2
step "$NDOMS paused guests, created while poold is stopped"
create_guests ab "$NDOMS" 1
start_poold --socket-ro "$T/poold-ro.sock"
wait_until "pc --json status | jq -e '.domains == $((NDOMS + 1)) and .pending == 0'" 30
RSS_BEFORE=$(rss_kb)

# Idle clients as another user where we are root (the main socket keeps its last places
# for root), as ourselves otherwise (leaving one place for the status probe).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$T"
	chmod 0666 "$T/poold.sock"
	cp "$(dirname "$0")/abuse.py" "$T/"
	# A python3 that user may run (ours may live in root's home).
	for py in python3 /usr/bin/python3; do
		setpriv --reuid=65534 --regid=65534 --clear-groups "$py" -c '' 2>/dev/null && break
	done
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups "$py" "$T/abuse.py")
else
	as=(python3 "$(dirname "$0")/abuse.py")
fi
step "$IDLE idle clients on each socket"
"${as[@]}" idle "$T/poold.sock" "$IDLE" >"$T/idle-main.json" &
IDLE_MAIN=$!
"${as[@]}" idle "$T/poold-ro.sock" "$IDLE" >"$T/idle-ro.json" &
IDLE_RO=$!
wait_until "[ -s '$T/idle-main.json' ] && [ -s '$T/idle-ro.json' ]" 20
echo "main socket: $(cat "$T/idle-main.json"); read-only socket: $(cat "$T/idle-ro.json")"
if [ "$(id -u)" -eq 0 ]; then
	assert_eq "idle clients on the main socket (56 places besides root's 8)" \
		'{"held": 56, "refused": 144}' "$(cat "$T/idle-main.json")"
else
	assert_eq "idle clients on the main socket (ours: 56)" \
		'{"held": 56, "refused": 144}' "$(cat "$T/idle-main.json")"
	kill "$IDLE_MAIN"
	$ABUSE idle "$T/poold.sock" 55 >"$T/idle-main.json" &
	IDLE_MAIN=$!
	wait_until "[ -s '$T/idle-main.json' ]"
fi
assert_eq "idle clients on the read-only socket" '{"held": 64, "refused": 136}' \
	"$(cat "$T/idle-ro.json")"

step "a stuck subscriber, a slow reader and $NEVENTS events; status probed meanwhile"
$ABUSE latency "$T/poold.sock" "$T/done" "$T/latency.json" &
LAT=$!
$ABUSE stuck "$T/poold.sock" "$T/go" "$T/stuck.json" &
STUCK=$!
sleep 0.3
$ABUSE slow "$T/poold.sock" "$T/slow.json" &
SLOW=$!
(
	peak=0
	while kill -0 "$POOLD_PID" 2>/dev/null && [ ! -e "$T/go" ]; do
		r=$(rss_kb)
		[ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$T/rss-peak"
		sleep 0.1
	done
) &
SAMPLER=$!
$ABUSE events "$T/poold.sock" "$NEVENTS" >"$T/events.json"
echo "events: $(cat "$T/events.json")"
wait "$SLOW" || fail "the slow reader failed"
echo "slow reader: $(cat "$T/slow.json")"
touch "$T/go"
wait "$SAMPLER"
wait "$STUCK" || fail "the stuck subscriber failed"
echo "stuck subscriber: $(jq -c '{events, cut}' "$T/stuck.json"), last: $(jq -c .last "$T/stuck.json")"
touch "$T/done"
wait "$LAT" || fail "the status probe failed"
RSS_DURING=$(cat "$T/rss-peak")
kill "$IDLE_MAIN" "$IDLE_RO"
wait "$IDLE_MAIN" "$IDLE_RO" 2>/dev/null || true
wait_until "[ \"\$(pc --json status | jq .pending)\" = 0 ]" 30
sleep 0.5
RSS_AFTER=$(rss_kb)
echo "root's status: $(cat "$T/latency.json")"
echo "poold RSS: before ${RSS_BEFORE} KiB, during at most ${RSS_DURING} KiB, after ${RSS_AFTER} KiB"

step "the figures against the bounds"
jq -e '.last.event == "subscription-dropped" and .last.data.reason == "events-behind" and
	.last.data.dropped > 0 and .cut == 0' "$T/stuck.json" >/dev/null ||
	fail "the stuck subscriber was not told it was dropped: $(cat "$T/stuck.json")"
assert_eq "domains in the slow reader's listing" $((NDOMS + 1)) "$(jq .domains "$T/slow.json")"
jq -e ".errors == 0 and .n > 10 and .worst_ms < $LATENCY_MS" "$T/latency.json" >/dev/null ||
	fail "root's status not answered within $LATENCY_MS ms every time: $(cat "$T/latency.json")"
if [ "${POOLD_SANITIZED:-0}" = 1 ]; then
	# ASan holds freed memory in its quarantine (256 MiB): the RSS is not poold's.
	echo "RSS bounds not checked under the sanitizers (checked in the plain build)"
else
	[ $((RSS_DURING - RSS_BEFORE)) -le "$RSS_BOUND_KB" ] ||
		fail "poold grew by $((RSS_DURING - RSS_BEFORE)) KiB under abuse, more than $RSS_BOUND_KB"
	[ $((RSS_AFTER - RSS_BEFORE)) -le "$RSS_BOUND_KB" ] ||
		fail "poold kept $((RSS_AFTER - RSS_BEFORE)) KiB after the abuse, more than $RSS_BOUND_KB"
fi
# The guests, in xensim's own view: all still there, none moved by the abuse.
assert_eq "guests pinned to pool0's pCPUs, in xensim" "$NDOMS" \
	"$(view | jq '[.domains[] | select(.name | startswith("ab")) | select([.vcpus[].hard] | unique == ["0-7"])] | length')"
pc status >/dev/null || fail "poold unusable after the abuse"
echo "PASS"
