#!/bin/bash
# Changes are answered once durable, several at once sharing writes; a change that can't be
# made durable is refused with StateError and undone.
. "$(dirname "$0")/lib.sh"

start_xensim 1x8x1 1 credit2
mkdir "$T/st"
start_poold --state "$T/st/state.json"
for i in 1 2 3 4 5 6 7 8; do
	sim create "g$i" vcpus=1 >/dev/null
done
wait_settled

saves() { pc --json status | jq -r .state_saves; }

step "answered once durable: the file holds the change when the reply comes"
pc pool-create p ncpu=2
jq -e '.pools | map(.name) | index("p") != null' "$T/st/state.json" >/dev/null ||
	fail "pool-create answered, the state file does not have p"
grep -Eq "pool p created.* \(asked by uid $(id -u), pid [0-9]+\)" "$T/poold.log" ||
	fail "the log does not say who created p: $(grep 'pool p created' "$T/poold.log")"

step "eight clients at once: each answered, every change in the file"
s0=$(saves)
pids=()
for i in 1 2 3 4 5 6 7 8; do
	pc domain-set "g$i" weight=$((100 + i)) >"$T/set$i" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a domain-set failed: $(cat "$T"/set*)"
done
for i in 1 2 3 4 5 6 7 8; do
	jq -e --arg n "g$i" --argjson w $((100 + i)) \
		'.domains | map(select(.name == $n))[0].weight == $w' "$T/st/state.json" >/dev/null ||
		fail "g$i's weight is not in the state file"
done
s1=$(saves)
echo "8 changes from 8 clients: $((s1 - s0)) state file writes"
[ $((s1 - s0)) -ge 1 ] && [ $((s1 - s0)) -le 8 ] || fail "$((s1 - s0)) writes for 8 changes"

step "a state file that can't be written: StateError, and the change is undone"
pc --json monitor >"$T/events" 2>/dev/null &
MON_PID=$!
wait_until "pc log-level info && grep -q log-level-changed '$T/events'"
pc pool-migrate g2 p >/dev/null
pc pool-migrate g3 p >/dev/null
wait_settled
sim destroy g3 >/dev/null
wait_until "jq -e '[.domains[] | select(.name == \"g3\" and .gone > 0)] | length == 1' \
	'$T/st/state.json'"
mv "$T/st" "$T/st.away"
: >"$T/st"
expect_rc 1 pc pool-create q ncpu=1
grep -qi "state file" "$T/err" || fail "no word of the state file: $(cat "$T/err")"
pc --json pool-list | jq -e '.pools | map(.name) | index("q") == null' >/dev/null ||
	fail "the pool whose creation was refused is still there"
expect_rc 1 pc domain-set g1 weight=999
pc --json domain-list | jq -e '.domains | map(select(.name == "g1"))[0].weight == 101' \
	>/dev/null || fail "the refused weight stayed"
# A rename undone: the name, g2's wish and the record of the gone g3 all say p again.
expect_rc 1 pc pool-rename p p2
grep -qi "state file" "$T/err" || fail "no word of the state file: $(cat "$T/err")"
pc --json pool-list | jq -e '.pools | map(.name) | (index("p") != null and index("p2") == null)' \
	>/dev/null || fail "the refused rename stayed"
pc --json domain-list | jq -e '.domains | map(select(.name == "g2"))[0] |
	.wanted == "p" and .pool == "p"' >/dev/null || fail "g2 does not want p again"
kill -0 "$POOLD_PID" || fail "poold died"
step "subscribers heard of each change applied, and then of its undoing"
wait_until "[ \"\$(jq -r 'select(.event == \"domain-changed\") | .data.weight' '$T/events' |
	paste -sd' ')\" = '999 101' ]"
jq -r 'select(.event == "pool-changed" and .data.pool == "q") | .data.action' "$T/events" |
	paste -sd' ' | grep -qx "created destroyed" || fail "q: $(cat "$T/events")"
wait_until "[ \"\$(jq -r 'select(.event == \"pool-changed\" and .data.action == \"renamed\") |
	.data.renamed_from + \">\" + .data.pool' '$T/events' | paste -sd' ')\" = 'p>p2 p2>p' ]"
kill "$MON_PID"
wait "$MON_PID" || true

step "the directory back: the next change is saved, with nothing of the refused ones"
rm "$T/st"
mv "$T/st.away" "$T/st"
pc pool-create r ncpu=1
jq -e '.pools | map(.name) | (index("r") != null and index("q") == null)' \
	"$T/st/state.json" >/dev/null || fail "the state file does not say r without q"
jq -e '[.domains[] | select(.name == "g2" or .name == "g3") | .want] == ["p", "p"]' \
	"$T/st/state.json" >/dev/null || fail "g2 and the gone g3 do not want p in the file"
# g3 back (its uuid): in p, as its record says.
U3=$(jq -er '.domains[] | select(.name == "g3") | .uuid' "$T/st/state.json")
sim create g3 vcpus=1 uuid="$U3" >/dev/null
wait_until "[ \"\$(dom_pool g3)\" = p ]"
echo "PASS"
