#!/bin/bash
# The pool key's trust, with the real xenstore-chmod and xenstore-write against xensim: a value
# the guest wrote stays ignored after dom0 takes the node over (chmod), until dom0 writes the
# key itself; and a guest rewriting its key 5,000 times makes a handful of log lines, not 5,000.
. "$(dirname "$0")/lib.sh"

start_xensim 1x4x1 1 credit2
start_poold
pc pool-create p1 cpu=2-3 >/dev/null
pc pool-create p2 cpu=1 >/dev/null
p0=$(pool_cpus pool0)

step "a guest-owned key is ignored"
id=$(sim create rogue vcpus=1 pool=p1 pool-owner=guest)
key=/local/domain/$id/pool
wait_until "dom_pool rogue"
sleep 0.3
assert_eq "rogue pool" pool0 "$(dom_pool rogue)"
assert_pinned rogue "$p0"
grep -q "ignoring its pool key \"p1\".*xenstore-write $key" "$T/poold.log" ||
	fail "the warning does not tell the admin to xenstore-write the key"

step "dom0 takes the node over (chmod): the guest's value still does not count"
xenstore-chmod "$key" n0 "r$id"
sleep 0.5
assert_eq "rogue pool after the chmod alone" pool0 "$(dom_pool rogue)"
assert_pinned rogue "$p0"
pc --json domain-list | jq -e '.domains[] | select(.name == "rogue") | .pool == "pool0"' \
	>/dev/null || fail "poold reports rogue moved"
grep -q "dom0 owns it now.*xenstore-write $key POOL" "$T/poold.log" ||
	fail "no warning that the guest's value needs a write from dom0"

step "dom0 writes the same value: now it counts"
xenstore-write "$key" p1
wait_pinned rogue 2-3
assert_eq "rogue pool" p1 "$(dom_pool rogue)"

step "a guest value, chmod, then dom0 writes another value: that one counts"
id2=$(sim create rogue2 vcpus=1 pool=p1 pool-owner=guest)
key2=/local/domain/$id2/pool
wait_until "dom_pool rogue2"
sleep 0.3
xenstore-chmod "$key2" n0 "r$id2"
sleep 0.3
assert_eq "rogue2 pool after the chmod" pool0 "$(dom_pool rogue2)"
xenstore-write "$key2" p2
wait_pinned rogue2 1
assert_eq "rogue2 pool" p2 "$(dom_pool rogue2)"

step "a guest value, chmod, poold restarted: still ignored (the state file remembers it)"
id4=$(sim create rogue4 vcpus=1 pool=p1 pool-owner=guest)
key4=/local/domain/$id4/pool
wait_until "dom_pool rogue4"
sleep 0.3
wait_until "jq -e --arg u p1 '.domains[] | select(.domid == $id4) | .key_untrusted == \$u' '$T/state.json'"
stop_poold
xenstore-chmod "$key4" n0 "r$id4"
start_poold
sleep 0.5
assert_eq "rogue4 pool after the chmod and a restart" pool0 "$(dom_pool rogue4)"
xenstore-write "$key4" p1
wait_pinned rogue4 2-3
wait_until "jq -e '.domains[] | select(.domid == $id4) | has(\"key_untrusted\") | not' '$T/state.json'"

step "a guest rewriting its key 5,000 times: a handful of warnings, and it stays put"
id3=$(sim create noisy vcpus=1 pool=p1 pool-owner=guest)
key3=/local/domain/$id3/pool
wait_until "dom_pool noisy"
sleep 0.3
before=$(grep -c "domain $id3 (noisy): ignoring its pool key" "$T/poold.log" || true)
for b in $(seq 0 49); do
	args=()
	for i in $(seq 1 100); do args+=("$key3" "x$((b * 100 + i))"); done
	xenstore-write "${args[@]}"
done
xenstore-write "$key3" p2
sleep 0.5
pc status >/dev/null
after=$(grep -c "domain $id3 (noisy): ignoring its pool key" "$T/poold.log" || true)
echo "warnings for 5,000 guest writes: $((after - before))"
[ $((after - before)) -le 2 ] || fail "$((after - before)) warnings for one domain's 5,000 writes"
assert_eq "noisy pool" pool0 "$(dom_pool noisy)"
assert_pinned noisy "$p0"
stop_poold
echo "PASS"
