#!/bin/sh
# Reboot: a guest re-created with its uuid (new domid) comes back to its pool, weight and cap.
. /tests/lib.sh

W=700
C=60

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

# One field of a domain in poold's listing, by domid.
dl_field()
{
	pc --json domain-list |
		jq -er --argjson id "$1" --arg f "$2" '.domains[] | select(.domid == $id) | .[$f]'
}

xl_uuid()
{
	xl list -l "$1" | jq -er '.[0].config.c_info.uuid'
}

# Destroys g and waits until poold has seen it go and kept its record as gone.
destroy_g()
{
	xl destroy g || fail "xl destroy g"
	wait_until "! dom_pool g"
	wait_until "state_gone $U"
	state_rec "$U" | jq -e --arg w "$W" --arg c "$C" \
		'.want == "pool1" and .weight == ($w | tonumber) and .cap == ($c | tonumber)' \
		>/dev/null || fail "g's gone record: $(state_rec "$U")"
}

# Creates g again from its config (uuid U): a new domid, back in pool1 with its settings.
reboot_check()
{
	_old=$1
	xl create -p -q "$T/g.cfg" >"$T/g.create.log" 2>&1 || {
		cat "$T/g.create.log"
		fail "xl create g again"
	}
	_new=$(domid_of g) || fail "no domain g after its re-creation"
	[ "$_new" != "$_old" ] || fail "g kept domid $_old: not a reboot"
	assert_eq "g's uuid in Xen" "$U" "$(xl_uuid g)"
	wait_pinned g "$P1"
	wait_until "[ \"\$(hv_weight g)\" = $XW ] && [ \"\$(hv_cap g)\" = $C ]"
	assert_eq "g's weight in Xen" "$XW" "$(hv_weight g)"
	assert_eq "g's cap in Xen" "$C" "$(hv_cap g)"
	assert_eq "g's hv_weight in poold" "$XW" "$(dl_field "$_new" hv_weight)"
	assert_eq "g's hv_cap in poold" "$C" "$(dl_field "$_new" hv_cap)"
	assert_eq "g's user weight" "$W" "$(dl_field "$_new" weight)"
	assert_eq "g's user cap" "$C" "$(dl_field "$_new" cap)"
	assert_eq "g's pool" pool1 "$(dl_field "$_new" pool)"
	pc domain-list >"$T/dl"
	grep -Eq "^ *$_new +g +pool1( |\$)" "$T/dl" ||
		fail "domain-list does not show g ($_new) in pool1: $(cat "$T/dl")"
	# The record lives on in the domain: its new domid, no gone.
	wait_until "state_rec $U | jq -e '.domid == $_new and (has(\"gone\") | not)'"
	xl vcpu-list g
	echo "REBOOT sched=$SCHED case=$2 domid $_old -> $_new pool=pool1 cpus=$(hv_hard g |
		tr ' ' ,) weight=$W xen_weight=$(hv_weight g) cap=$(hv_cap g) OK"
}

start_poold
pc pool-create pool1 cpu=2-3 || fail "pool-create pool1"
P1=$(pool_cpus pool1)
assert_eq "pool1 cpus" 2-3 "$P1"

step "g (2 vCPUs) migrated to pool1 with weight $W cap $C"
guest_create g 2
id=$(domid_of g)
U=$(xl_uuid g) || fail "no uuid of g in xl list -l"
echo "g: domid $id uuid $U"
# The same config with the same uuid is what a reboot re-creates.
echo "uuid = \"$U\"" >>"$T/g.cfg"
wait_until "dom_pool g"
assert_eq "g's pool at first" pool0 "$(dom_pool g)"
pc pool-migrate g pool1 || fail "pool-migrate g pool1"
pc domain-set g weight=$W cap=$C || fail "domain-set g"
wait_pinned g "$P1"
wait_until "[ \"\$(hv_cap g)\" = $C ]"
XW=$(hv_weight g)
if [ "$SCHED" = credit2 ]; then
	assert_eq "g's weight in Xen (credit2: as set)" "$W" "$XW"
else
	# credit1: poold rescales; what Xen has must be what poold says it wrote.
	assert_eq "g's weight in Xen (credit1: rescaled)" "$(dl_field "$id" hv_weight)" "$XW"
fi
assert_eq "g's user weight" "$W" "$(dl_field "$id" weight)"
[ -z "$(xenstore-read /local/domain/$id/pool 2>/dev/null)" ] ||
	fail "g has a pool key: the reboot would not test the record"

step "a: g reboots (destroy + create, same uuid) while poold runs"
destroy_g
reboot_check "$id" running

step "b: g destroyed, poold stopped (SIGTERM) and started again, g created"
id=$(domid_of g)
destroy_g
stop_poold
state_gone "$U" >/dev/null || fail "state file after SIGTERM without g's gone record"
start_poold
state_gone "$U" >/dev/null || fail "g's gone record lost on start: $(state_rec "$U")"
! dom_pool g >/dev/null 2>&1 || fail "poold lists g while it is down"
reboot_check "$id" restarted
echo PASS
