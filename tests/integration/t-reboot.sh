#!/bin/bash
# A guest that reboots (same uuid, new domid) comes back to its pool with its weight and cap.
. "$(dirname "$0")/lib.sh"

U=6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b
V=7b2e1d3f-4c5e-4f60-9bac-1d2e3f405b6c
W=8c3f2e40-5d6f-4071-acbd-2e3f40516c7d

start_xensim 2x4x2 2 credit2
start_poold

# The state file's record of a uuid, or nothing.
state_rec()
{
	jq -c --arg u "$1" '.domains[] | select(.uuid == $u)' "$T/state.json"
}

# Succeeds once the state file keeps the record of a gone domain with that uuid.
state_gone()
{
	jq -e --arg u "$1" '[.domains[] | select(.uuid == $u and
		(.gone | type) == "number" and .gone > 0)] | length == 1' "$T/state.json"
}

# Destroys g and waits until poold has seen it go and saved its record as gone.
destroy_g()
{
	sim destroy g
	wait_until "! pc --json domain-list | jq -e '.domains[] | select(.name==\"g\")'"
	wait_until "state_gone $U"
}

# Creates g again with uuid U: it must get a new domid and come back to p1 with its settings.
reboot_check()
{
	local old=$1 new

	new=$(sim create g vcpus=2 uuid=$U)
	[ "$new" != "$old" ] || fail "g kept domid $old: not a reboot"
	[ -n "$POOLD_PID" ] || start_poold
	assert_eq "g's uuid in xensim" "$U" \
		"$(view | jq -er '.domains[] | select(.name=="g") | .uuid')"
	wait_pinned g "$P1"
	wait_until "[ \"\$(hv_weight g)\" = 700 ] && [ \"\$(hv_cap g)\" = 60 ]"
	assert_eq "g's weight in xensim" 700 "$(hv_weight g)"
	assert_eq "g's cap in xensim" 60 "$(hv_cap g)"
	assert_eq "g's pool" p1 "$(dom_pool g)"
	pc domain-list >"$T/dl"
	grep -Eq "^$new +g +p1( |\$)" "$T/dl" ||
		fail "domain-list text does not show g ($new) in p1: $(cat "$T/dl")"
	# The record lives on in the domain: alive, no gone.
	wait_until "state_rec $U | jq -e '.domid == $new and (has(\"gone\") | not)'"
}

step "a: g (uuid U) migrated to p1 with weight 700 cap 60"
id=$(sim create g vcpus=2 uuid=$U)
wait_until "dom_pool g"
assert_eq "g's pool before" pool0 "$(dom_pool g)"
pc pool-create p1 cpu=4-7
P1=$(pool_cpus p1)
assert_eq "p1 cpus" 4-7 "$P1"
P0=$(pool_cpus pool0)
pc pool-migrate g p1
pc domain-set g weight=700 cap=60
wait_pinned g "$P1"
assert_eq "g's weight before" 700 "$(hv_weight g)"
assert_eq "g's cap before" 60 "$(hv_cap g)"

step "a: g reboots while poold runs"
destroy_g
state_rec $U | jq -e '.want == "p1" and .weight == 700 and .cap == 60' >/dev/null ||
	fail "g's gone record: $(state_rec $U)"
reboot_check "$id"
echo "g came back as $(domid_of g)"

step "b: poold stopped (SIGTERM) and started again while g is down"
id=$(domid_of g)
destroy_g
stop_poold
state_gone $U >/dev/null || fail "state file after SIGTERM without g's gone record: $(state_rec $U)"
gone=$(state_rec $U | jq -er .gone)
now=$(date +%s)
if [ "$gone" -gt "$now" ] || [ "$gone" -lt $((now - 60)) ]; then
	fail "gone $gone is not a time of the last minute (now $now)"
fi
start_poold
wait_until "state_gone $U"
sleep 0.2
state_gone $U >/dev/null || fail "g's record lost on start: $(state_rec $U)"
reboot_check "$id"

step "c: poold down during the whole reboot"
id=$(domid_of g)
stop_poold
state_rec $U | jq -e 'has("gone") | not' >/dev/null ||
	fail "g alive but its record says gone: $(state_rec $U)"
sim destroy g
reboot_check "$id"

step "d: a record that says nothing is not kept"
sim create h vcpus=1 uuid=$V >/dev/null
wait_pinned h "$P0"
assert_eq "h's pool" pool0 "$(dom_pool h)"
assert_eq "h's weight" 256 "$(hv_weight h)"
assert_eq "h's cap" 0 "$(hv_cap h)"
wait_until "state_rec $V | jq -e ."
sim destroy h
# g's gone record written after h went shows the file saw h's departure.
destroy_g
[ -z "$(state_rec $V)" ] || fail "h's record kept though it says nothing: $(state_rec $V)"

step "e: another uuid with g's name does not inherit g's settings"
sim create g vcpus=2 uuid=$W >/dev/null
wait_pinned g "$P0"
assert_eq "stranger g's pool" pool0 "$(dom_pool g)"
sleep 0.3
assert_pinned g "$P0"
assert_eq "stranger g's weight" 256 "$(hv_weight g)"
assert_eq "stranger g's cap" 0 "$(hv_cap g)"
state_gone $U >/dev/null || fail "g's record consumed by another uuid: $(state_rec $U)"
id=$(domid_of g)
sim destroy g
wait_until "! pc --json domain-list | jq -e '.domains[] | select(.name==\"g\")'"
step "e: U's record still brings g back after the stranger"
reboot_check "$id"
echo "PASS"
