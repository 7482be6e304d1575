#!/bin/bash
# pool-rename keeps a pool's id, pCPUs and members, and what wanted it follows (records of gone
# guests too, across a restart); pool-migrate --all moves all but dom0 in one save.
. "$(dirname "$0")/lib.sh"

U=4d5e6f70-8192-4a3b-9c4d-5e6f708192a3

start_xensim 1x8x1 1 credit2
start_poold --default-pool base

"$POOLCTL" -s "$T/poold.sock" --json monitor >"$T/events.jsonl" 2>"$T/monitor.err" &
MON_PID=$!
wait_until "pc log-level info >/dev/null && grep -q log-level-changed '$T/events.jsonl'"

# The state file's figures: a field of status, the pool record of a name, a uuid's wish.
saves() { pc --json status | jq -er .state_saves; }
state_pool() { jq -c --arg p "$1" '.pools[] | select(.name == $p) | [.id, .cpus]' "$T/state.json"; }
state_want() { jq -er --arg u "$1" '.domains[] | select(.uuid == $u) | .want' "$T/state.json"; }
# Waits until the monitor has printed an event matching a jq condition, and prints it.
event() { wait_until "jq -c 'select($1)' '$T/events.jsonl' | grep -q ."; jq -c "select($1)" "$T/events.jsonl"; }

step "web (cpus 4-5, cap 50) with k (by its pool key), m and g (by pool-migrate)"
pc pool-create base cpu=1 >/dev/null
pc pool-create web cpu=4-5 cap=50 >/dev/null
ID=$(pc --json pool-list | jq -er '.pools[] | select(.name == "web") | .id')
sim create k vcpus=2 pool=web >/dev/null
sim create m vcpus=1 >/dev/null
G=$(sim create g vcpus=2 uuid=$U)
wait_until "dom_pool m && dom_pool g"
pc pool-migrate m web >/dev/null
pc pool-migrate g web >/dev/null
for d in k m g; do wait_pinned $d 4-5; done
sim destroy g >/dev/null
wait_until "jq -e --arg u $U '.domains[] | select(.uuid == \$u) | .gone > 0' '$T/state.json'"
assert_eq "the record of the gone g" web "$(state_want $U)"

step "refusals name the fix; to its own name, nothing is written"
expect_rc 1 pc pool-rename pool0 main
grep -q "pool0 can't be renamed: it always holds dom0" "$T/err" || fail "$(cat "$T/err")"
grep -q "(Protected)" "$T/err" || fail "$(cat "$T/err")"
expect_rc 1 pc pool-rename web base
grep -q "already exists.*(AlreadyExists)" "$T/err" || fail "$(cat "$T/err")"
expect_rc 1 pc pool-rename web 'a b'
grep -q "use 1 to 64 of A-Z a-z 0-9 _ . -" "$T/err" || fail "$(cat "$T/err")"
expect_rc 1 pc pool-rename nope x
grep -q "no pool named \"nope\": see poolctl pool-list (NotFound)" "$T/err" || fail "$(cat "$T/err")"
expect_rc 2 pc pool-rename web
wait_settled
before=$(saves)
assert_eq "rename to itself" "web is already named so: nothing changed" "$(pc pool-rename web web)"
sleep 0.3
assert_eq "state saves after a rename to itself" "$before" "$(saves)"

step "web renamed front: same id, pCPUs, cap, members; nothing re-pinned"
writes=$(hv_writes)
K=$(domid_of k)
M=$(domid_of m)
assert_eq "pool-rename" "web renamed to front (id $ID): cpus 4-5, domains $K,$M" \
	"$(pc pool-rename web front)"
pc --json pool-list | jq -c '.pools[] | select(.name == "front") | [.id, .cpus, .cap, .domains]' \
	>"$T/front"
assert_eq "front in pool-list" "[$ID,\"4-5\",50,[$K,$M]]" "$(cat "$T/front")"
pc --json pool-list | jq -e '[.pools[].name] | index("web") == null' >/dev/null ||
	fail "web still listed"
sleep 0.3
assert_eq "hypervisor writes of a rename" "$writes" "$(hv_writes)"
assert_pinned k 4-5
assert_pinned m 4-5
assert_eq "the state file's pool" "[$ID,\"4-5\"]" "$(state_pool front)"
assert_eq "the gone g's record" front "$(state_want $U)"
ev=$(event '.event == "pool-changed" and .data.action == "renamed"')
assert_eq "pool-changed" "front web 4-5 50" \
	"$(jq -r '[.data.pool, .data.renamed_from, .data.cpus, .data.cap] | join(" ")' <<<"$ev")"

step "k's key still says web: acted on already, it keeps k in front"
assert_eq "k's key" web "$(xenstore-read "/local/domain/$K/pool")"
toolstack_set_pool "$K" web
sleep 0.3
assert_eq "k after its key was written again with the old name" front "$(dom_pool k)"
assert_pinned k 4-5

step "restart: the state file says front, and k stays without a write"
stop_poold
jq -e '[.pools[].name] | index("web") == null' "$T/state.json" >/dev/null || fail "web saved"
writes=$(hv_writes)
start_poold --default-pool base
wait_settled
assert_eq "front's id after a restart" "$ID" \
	"$(pc --json pool-list | jq -er '.pools[] | select(.name == "front") | .id')"
assert_eq "k after a restart" front "$(dom_pool k)"
assert_eq "hypervisor writes of the restart" "$writes" "$(hv_writes)"

step "g reboots (same uuid, new domid): it lands in front"
G2=$(sim create g vcpus=2 uuid=$U)
[ "$G2" != "$G" ] || fail "g kept its domid"
wait_pinned g 4-5
assert_eq "g's pool" front "$(dom_pool g)"

step "the old name written anew to the key is a wish for a pool there is not"
# Changed to it from another value (front, which keeps k where it is), as a toolstack does.
toolstack_set_pool "$K" front
sleep 0.3
assert_eq "k after its key said front" front "$(dom_pool k)"
toolstack_set_pool "$K" web
wait_until "[ \"\$(dom_pool k)\" = base ]"
pc --json domain-list | jq -e '.domains[] | select(.name == "k") |
	.misplaced and .wanted == "web"' >/dev/null || fail "k is not misplaced wanting web"
wait_pinned k 1
toolstack_set_pool "$K" front
wait_pinned k 4-5

step "pool-migrate --all front db: k, m, g in one save, a domain-placed each"
"$POOLCTL" -s "$T/poold.sock" --json monitor >"$T/events2.jsonl" 2>>"$T/monitor.err" &
MON2_PID=$!
wait_until "pc log-level notice >/dev/null && grep -q log-level-changed '$T/events2.jsonl'"
pc pool-create db cpu=6-7 >/dev/null
wait_settled
before=$(saves)
G2=$(domid_of g)
pc pool-migrate --all front db >"$T/out"
printf 'k (domid %s) moved to db\nm (domid %s) moved to db\ng (domid %s) moved to db\n' \
	"$K" "$M" "$G2" | sort >"$T/want"
sort "$T/out" | diff -u "$T/want" - || fail "pool-migrate --all's lines"
for d in k m g; do wait_pinned $d 6-7; done
wait_settled
assert_eq "state saves of pool-migrate --all" $((before + 1)) "$(saves)"
for d in k m g; do
	wait_until "jq -se 'map(select(.event == \"domain-placed\" and .data.name == \"$d\" and
		.data.pool == \"db\")) | length == 1' '$T/events2.jsonl' >/dev/null"
done
# Causal order: db's creation, then the placements into it.
jq -sc '[.[] | select(.event == "pool-changed" and .data.pool == "db" or
	(.event == "domain-placed" and .data.pool == "db")) | .event] | .[0]' "$T/events2.jsonl" \
	>"$T/first"
assert_eq "first event about db" '"pool-changed"' "$(cat "$T/first")"
assert_eq "front's members" "[]" \
	"$(pc --json pool-list | jq -c '.pools[] | select(.name == "front") | .domains')"

step "from pool0: dom0 stays, and the reply says so"
sim create h vcpus=1 >/dev/null
wait_until "[ \"\$(dom_pool h)\" = base ]"
pc pool-migrate h pool0 >/dev/null
wait_pinned h 0,2-3
pc --json pool-migrate --all pool0 front >"$T/out"
jq -e '.from == "pool0" and .pool == "front" and .skipped == [0] and
	([.domains[].name] == ["h"]) and .domains[0].pool == "front"' "$T/out" >/dev/null ||
	fail "pool-migrate --all pool0 front: $(cat "$T/out")"
wait_pinned h 4-5
assert_eq "dom0's pool" pool0 "$(dom_pool Domain-0)"
pc pool-migrate --all front pool0 | grep -q "^h (domid .*) moved to pool0$" || fail "h back"
pc pool-migrate --all pool0 front >"$T/out"
grep -q "^domain 0 stays in pool0: dom0 always does$" "$T/out" || fail "$(cat "$T/out")"

step "the same pool, or none to move: nothing written; unknown pools NotFound"
wait_settled
before=$(saves)
assert_eq "--all db db" "no domain of db to move to db" \
	"$(pc pool-migrate --all db db | tail -n 1)"
pc --json pool-migrate --all db db | jq -e '.domains == [] and .skipped == []' >/dev/null ||
	fail "db to db moved something"
expect_rc 0 pc pool-migrate --all base front
sleep 0.3
assert_eq "state saves" "$before" "$(saves)"
expect_rc 1 pc pool-migrate --all nope db
grep -q 'no pool named "nope": see poolctl pool-list (NotFound)' "$T/err" || fail "$(cat "$T/err")"
expect_rc 1 pc pool-migrate --all db nope
grep -q '"nope"' "$T/err" || fail "$(cat "$T/err")"

step "default_pool named base: it follows, with a warning to edit the config"
pc pool-rename base rear >"$T/out" 2>"$T/err"
grep -q "^poolctl: warning: default_pool names \"base\".*poold.conf" "$T/err" ||
	fail "no warning: $(cat "$T/err")"
grep -q "default_pool names \"base\"" "$T/poold.log" || fail "poold did not log the warning"
pc --json pool-rename rear rear2 | jq -e '(.warning | type) == "string" and
	.renamed_from == "rear" and .pool.name == "rear2"' >/dev/null || fail "--json warning"
sim create n vcpus=1 >/dev/null
wait_until "[ \"\$(dom_pool n)\" = rear2 ]"
wait_pinned n 1
pc --json domain-list | jq -e '.domains[] | select(.name == "n") | .misplaced | not' \
	>/dev/null || fail "n is misplaced"

kill "$MON_PID" "$MON2_PID"
wait "$MON_PID" "$MON2_PID" || true
echo "PASS"
