#!/bin/bash
# The JSON contract: every reply and event, as poolctl --json prints them, has exactly
# the members poolctl(8) lists, of the types it gives (tests/integration/contract.py).
. "$(dirname "$0")/lib.sh"

: "${POOLCTL_MAN:?path to man/poolctl.8}"
CONTRACT="python3 $(dirname "$0")/contract.py"
R=$T/replies
mkdir "$R"

start_xensim 1x8x1 1 credit2
start_poold
sim create vm1 vcpus=2 >/dev/null
sim create vm2 vcpus=1 pool=pool1 >/dev/null
wait_until "dom_pool vm1 && dom_pool vm2"

# Every event from here on, one JSON line each, by poolctl itself (kill ends it, not a
# subshell running pc); the last, subscription-dropped, comes from a
# monitor of its own below.
"$POOLCTL" -s "$T/poold.sock" --json monitor >"$R/events.jsonl" 2>"$T/monitor.err" &
MON_PID=$!
wait_until "pc --json log-level info >'$R/reply-log-level.json' &&
	grep -q log-level-changed '$R/events.jsonl'"

# Runs poolctl --json (at the end of the line: it is accepted anywhere) and keeps the reply.
keep()
{
	local name=$1

	shift
	pc "$@" --json >"$R/reply-$name.json" || fail "poolctl $* --json failed"
}

step "every command, with --json"
keep pool-create pool-create pool1 ncpu=2 cap=100
wait_until "[ \"\$(dom_pool vm2)\" = pool1 ]"
keep pool-modify pool-modify pool1 ncpu=3 share=off
keep pool-migrate pool-migrate vm1 pool1
keep pool-rename pool-rename pool1 web
pc pool-rename web pool1 >/dev/null
keep domain-set domain-set vm1 weight=512 cap=50
keep dry-run pool-migrate vm1 pool0 --dry-run
jq -e '.plan.domains != [] and .plan.writes != []' "$R/reply-dry-run.json" >/dev/null ||
	fail "a dry run with nothing planned: its objects went unchecked"
keep export export
jq '.layout | .pools += [{"name": "pool3", "ncpu": 1}] |
	(.domains[] | select(.name == "vm1") | .weight) = 300' "$R/reply-export.json" >"$T/layout.json"
keep apply apply "$T/layout.json"
jq -e '.plan.pools != [] and .plan.domains != [] and .plan.writes != []' "$R/reply-apply.json" >/dev/null ||
	fail "apply planned nothing: its objects went unchecked"
keep domain-list domain-list
keep pool-list pool-list
keep status status
# One frame, with members measured: used, load and saturated as numbers, not nulls
# (xensim's clock moves only when told: each period measures what `sim run` advanced).
wait_until "sim run 200 >/dev/null && [ \"\$(pc --json top -b -n 1 |
	jq '[.pools[] | select(.members > 0) | .used] | all(. != null)')\" = true ]"
keep top top -b -n 1
jq -e '[.pools[] | select(.members > 0)] | length > 0' "$R/reply-top.json" >/dev/null ||
	fail "no pool with members in top: its figures went unchecked"
jq -e '[.pools[].domains | length] | add > 0' "$R/reply-pool-list.json" >/dev/null ||
	fail "no pool with members: the domains arrays went unchecked"
keep pool-destroy pool-destroy pool1 --force
jq -e '.domains | length == 2' "$R/reply-pool-destroy.json" >/dev/null ||
	fail "pool-destroy did not list the two members it moved: $(cat "$R/reply-pool-destroy.json")"
pc pool-create pool2 ncpu=2 >/dev/null
keep pool-migrate-all pool-migrate --all pool0 pool2
jq -e '(.domains | length == 2) and .skipped == [0]' "$R/reply-pool-migrate-all.json" \
	>/dev/null || fail "pool-migrate --all: not vm1 and vm2 moved, dom0 skipped: $(cat \
	"$R/reply-pool-migrate-all.json")"
sim destroy vm2 >/dev/null
wait_until "grep -q domain-gone '$R/events.jsonl'"
jq -e -s '[.[] | select(.event == "pool-changed" and .data.action == "renamed" and
	.data.renamed_from == "pool1" and .data.pool == "web")] | length == 1' \
	"$R/events.jsonl" >/dev/null || fail "no pool-changed renamed from pool1 to web"
jq -e -s '[.[] | select(.event == "pool-changed" and .data.action != "renamed")] |
	all(.data.renamed_from == null)' "$R/events.jsonl" >/dev/null ||
	fail "renamed_from set on a pool-changed that is no rename"

step "the protocol's own commands: subscribe and query-commands"
python3 - "$T/poold.sock" "$R" <<'PY'
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
f.readline()
for cmd in ("query-commands", "subscribe"):
    f.write(json.dumps({"execute": cmd}).encode() + b"\n")
    while True:
        msg = json.loads(f.readline())
        if "event" not in msg:
            break
    with open(f"{sys.argv[2]}/reply-{cmd}.json", "w") as out:
        json.dump(msg["return"], out)
PY

step "an error, with --json: the object on stdout, the exit status kept"
expect_rc 1 pc pool-destroy pool0 --json
cp "$T/out" "$R/error.json"
[ ! -s "$T/err" ] || fail "--json error said on stderr: $(cat "$T/err")"
jq -e '.error.class == "Protected"' "$R/error.json" >/dev/null || fail "$(cat "$R/error.json")"

kill "$MON_PID"
wait "$MON_PID" || true

step "a monitor that stops reading is dropped, with subscription-dropped, and exits 4"
# poolctl itself, not a subshell running pc: SIGSTOP must stop the reader.
"$POOLCTL" -s "$T/poold.sock" --json monitor >"$T/slow.jsonl" 2>"$T/slow.err" &
SLOW_PID=$!
wait_until "pc log-level debug && grep -q log-level-changed '$T/slow.jsonl'"
kill -STOP "$SLOW_PID"
# More than its 1 MiB of backlog and what the socket holds: log-level-changed events of
# about 100 bytes, asked for on one connection, the replies read as they come.
python3 - "$T/poold.sock" 20000 <<'PY'
import json, socket, sys, threading

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rb")
f.readline()
n = int(sys.argv[2])
got = []
def replies():
    for _ in range(n):
        got.append(json.loads(f.readline()))
t = threading.Thread(target=replies)
t.start()
lines = b"".join(json.dumps({"execute": "log-level", "arguments": {"level": ("info", "debug")[i % 2]}}).encode() + b"\n" for i in range(n))
s.sendall(lines)
t.join()
bad = [r for r in got if "return" not in r]
if bad:
    sys.exit(f"log-level refused: {bad[0]}")
PY
kill -CONT "$SLOW_PID"
wait_until "! kill -0 $SLOW_PID" 20
rc=0
wait "$SLOW_PID" || rc=$?
assert_eq "exit status of a dropped monitor" 4 "$rc"
tail -n 1 "$T/slow.jsonl" | jq -e '.error.class == "Dropped"' >/dev/null ||
	fail "no Dropped error last: $(tail -n 1 "$T/slow.jsonl")"
jq -c 'select(.event)' "$T/slow.jsonl" | tail -n 1 >"$T/dropped.json"
jq -e '.event == "subscription-dropped" and .data.reason == "events-behind" and
	.data.dropped > 0 and .data.limit == 1048576' "$T/dropped.json" >/dev/null ||
	fail "not the event of a dropped subscriber: $(cat "$T/dropped.json")"
# Every line it printed is whole: the events before it, cut where poold cut them.
jq -c 'select(.event)' "$T/slow.jsonl" >>"$R/events.jsonl"


step "the replies and events against poolctl(8)"
$CONTRACT "$POOLCTL_MAN" "$R" || fail "the replies differ from poolctl(8)"

step "the check fails for a member added or removed on one side only"
cp -r "$R" "$T/r2"
jq '.pool.extra = 1' "$R/reply-pool-create.json" >"$T/r2/reply-pool-create.json"
! $CONTRACT "$POOLCTL_MAN" "$T/r2" 2>"$T/err" || fail "a member poolctl(8) lacks went unnoticed"
grep -q "member 'extra' is not in poolctl(8)" "$T/err" || fail "$(cat "$T/err")"
cp "$R/reply-pool-create.json" "$T/r2/"
jq 'del(.domains[0].uuid)' "$R/reply-domain-list.json" >"$T/r2/reply-domain-list.json"
! $CONTRACT "$POOLCTL_MAN" "$T/r2" 2>"$T/err" || fail "a member missing went unnoticed"
grep -q "member 'uuid' of poolctl(8) is missing" "$T/err" || fail "$(cat "$T/err")"
cp "$R/reply-domain-list.json" "$T/r2/"
jq '.pending = "0"' "$R/reply-status.json" >"$T/r2/reply-status.json"
! $CONTRACT "$POOLCTL_MAN" "$T/r2" 2>/dev/null || fail "a member of another type went unnoticed"
cp "$R/reply-status.json" "$T/r2/"
# And the page's side: a field the page drops, or one it adds.
sed '/^\\fBhv_reads\\fR (integer)$/d' "$POOLCTL_MAN" >"$T/less.8"
! $CONTRACT "$T/less.8" "$R" 2>"$T/err" || fail "a member the page dropped went unnoticed"
grep -q "member 'hv_reads' is not in poolctl(8)" "$T/err" || fail "$(cat "$T/err")"
sed 's/^\\fBhv_reads\\fR (integer)$/&\n.TP\n\\fBhv_bogus\\fR (integer)\nA field./' \
	"$POOLCTL_MAN" >"$T/more.8"
! $CONTRACT "$T/more.8" "$R" 2>"$T/err" || fail "a member only the page has went unnoticed"
grep -q "member 'hv_bogus' of poolctl(8) is missing" "$T/err" || fail "$(cat "$T/err")"
echo "PASS"
