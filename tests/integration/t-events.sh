#!/bin/bash
# Every change is an event, in causal order: a pool's before the placements it causes.
. "$(dirname "$0")/lib.sh"

start_xensim 1x8x1 1 credit2
start_poold
sim create vm9 vcpus=2 pool=pool9 >/dev/null
sim create web vcpus=1 >/dev/null
wait_until "dom_pool vm9 && dom_pool web"
wait_settled

# A subscriber for the whole test: one JSON event per line in $T/events.
pc --json monitor >"$T/events" 2>"$T/monitor.err" &
MON_PID=$!
# Subscribed once a change of ours shows up there.
wait_until "pc log-level debug && grep -q log-level-changed '$T/events'"

# Each step reads the events since its mark (the monitor appends; the file is never cut).
MARK=0
mark()
{
	MARK=$(wc -l <"$T/events")
}
since()
{
	tail -n +$((MARK + 1)) "$T/events"
}
mark

# Prints the events of the given name since the mark, as compact JSON lines, in order.
events()
{
	since | jq -c --arg n "$1" 'select(.event == $n)'
}

# The index (since the mark) of the first event named $1 whose data has the members of $2.
index_of()
{
	local n

	n=$(since | jq -s --arg n "$1" --argjson want "$2" \
		'to_entries | map(select(.value.event == $n and
			(.value.data | contains($want)))) | first | .key // empty')
	[ -n "$n" ] || fail "no $1 event with $2 in: $(since)"
	echo "$n"
}

step "log-level sends log-level-changed"
pc log-level info >/dev/null
wait_until "events log-level-changed | grep -q info"
assert_eq "level" info "$(events log-level-changed | jq -r .data.level | tail -1)"

step "pool-create: the new pool, with its cpus, before the domain placed in it"
pc pool-create pool9 cpu=4-5 cap=150 >/dev/null
wait_pinned vm9 "4-5"
wait_until "events domain-placed | grep -q vm9"
created=$(events pool-changed | jq -c 'select(.data.pool == "pool9")' | head -1)
assert_eq "pool9 created" \
	'{"pool":"pool9","action":"created","cpus":"4-5","ncpu":2,"cap":150,"share":"auto","renamed_from":null}' \
	"$(jq -c .data <<<"$created")"
p9=$(index_of pool-changed '{"pool":"pool9","action":"created"}')
p0=$(index_of pool-changed '{"pool":"pool0","action":"modified"}')
placed=$(index_of domain-placed '{"name":"vm9","pool":"pool9"}')
[ "$p9" -lt "$placed" ] || fail "vm9 placed (event $placed) before pool9 created (event $p9)"
[ "$p0" -lt "$placed" ] || fail "vm9 placed (event $placed) before pool0 shrank (event $p0)"
assert_eq "pool0's cpus in its event" "$(pool_cpus pool0)" \
	"$(events pool-changed | jq -r 'select(.data.pool == "pool0") | .data.cpus' | tail -1)"
# What the event says is what the hypervisor has.
assert_pinned web "$(pool_cpus pool0)"

step "pool-modify: the new cpus and cap, then the members re-pinned"
mark
pc pool-modify pool9 cpu=4-6 cap=0 share=off >/dev/null
wait_pinned vm9 "4-6"
wait_until "events pool-changed | grep -q modified"
assert_eq "pool9 modified" \
	'{"pool":"pool9","action":"modified","cpus":"4-6","ncpu":3,"cap":0,"share":"off","renamed_from":null}' \
	"$(events pool-changed | jq -c 'select(.data.pool == "pool9") | .data' | head -1)"

step "domain-set sends domain-changed with the new settings"
mark
pc domain-set vm9 weight=512 cap=80 >/dev/null
wait_until "events domain-changed | grep -q vm9"
assert_eq "vm9 changed" "vm9 pool9 512 80 $(domid_of vm9)" \
	"$(events domain-changed | jq -r '.data | "\(.name) \(.pool) \(.weight) \(.cap) \(.domid)"')"
assert_eq "weight in the hypervisor" 512 "$(hv_weight vm9)"

step "pool-rename: renamed, with the old name; nobody placed anew"
mark
pc pool-rename pool9 pool8 >/dev/null
wait_until "events pool-changed | grep -q renamed"
assert_eq "pool9 renamed" \
	'{"pool":"pool8","action":"renamed","cpus":"4-6","ncpu":3,"cap":0,"share":"off","renamed_from":"pool9"}' \
	"$(events pool-changed | jq -c .data)"
sleep 0.3
assert_eq "events after the rename" pool-changed "$(since | jq -r .event | paste -sd' ')"
assert_pinned vm9 4-6

step "pool-destroy: the pool gone, then its members placed in pool0"
mark
pc pool-destroy pool8 --force >/dev/null
wait_until "events domain-placed | grep -q vm9"
gone=$(index_of pool-changed '{"pool":"pool8","action":"destroyed"}')
placed=$(index_of domain-placed '{"name":"vm9","pool":"pool0"}')
[ "$gone" -lt "$placed" ] || fail "vm9 placed in pool0 (event $placed) before pool9 went ($gone)"
assert_eq "what a destroyed pool has" '{"cpus":null,"ncpu":null,"cap":null,"share":null}' \
	"$(events pool-changed | jq -c 'select(.data.pool == "pool8") | .data |
		{cpus, ncpu, cap, share}')"
wait_pinned vm9 "$(pool_cpus pool0)"

step "a domain that goes sends domain-gone"
sim destroy web >/dev/null
wait_until "events domain-gone | grep -q web"

kill "$MON_PID"
wait "$MON_PID" || true
[ ! -s "$T/monitor.err" ] || fail "monitor said: $(cat "$T/monitor.err")"
echo "PASS"
