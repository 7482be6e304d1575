#!/bin/bash
# A state file that does not parse, or is from the future, is refused and never overwritten.
. "$(dirname "$0")/lib.sh"

start_xensim 1x4x1 1 credit2

check_refused()
{
	local what=$1 rc=0

	cp "$T/state.json" "$T/state.orig"
	timeout 10 "$POOLD" -d -f /dev/null --backend sim --sim-socket "$T/hv.sock" \
		--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
		>"$T/out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$what: poold started (rc $rc)"
	cmp -s "$T/state.json" "$T/state.orig" || fail "$what: state file was modified"
	grep -q "state.json" "$T/out" || fail "$what: the message does not name the file: $(cat "$T/out")"
	[ ! -S "$T/poold.sock" ] || fail "$what: poold left a socket"
	echo "refused ($what): $(head -n 3 "$T/out")"
}

step "not JSON"
printf '{"version": 1, "pools": [' >"$T/state.json"
check_refused "truncated JSON"

step "a future version"
echo '{"version": 99, "next_pool_id": 1, "pools": [], "domains": []}' >"$T/state.json"
check_refused "future version"
grep -qi "version" "$T/out" || fail "the message does not mention the version"

step "two pools owning the same pCPU"
cat >"$T/state.json" <<'JSON'
{"version": 1, "next_pool_id": 3,
 "pools": [{"id": 0, "name": "pool0", "cpus": "0-1", "cap": 0},
           {"id": 1, "name": "a", "cpus": "2-3", "cap": 0},
           {"id": 2, "name": "b", "cpus": "3", "cap": 0}],
 "domains": []}
JSON
check_refused "overlapping pools"

step "a valid file starts"
cat >"$T/state.json" <<'JSON'
{"version": 1, "next_pool_id": 2,
 "pools": [{"id": 0, "name": "pool0", "cpus": "0-1", "cap": 0},
           {"id": 1, "name": "a", "cpus": "2-3", "cap": 0}],
 "domains": []}
JSON
start_poold
assert_eq "pool a restored" "2-3" "$(pool_cpus a)"
assert_pinned Domain-0 "0-1"
echo "PASS"
