#!/bin/bash
# New domains are placed by the pool key a dom0 toolstack writes.
. "$(dirname "$0")/lib.sh"

start_xensim 1x8x1 1 credit2
start_poold
pc pool-create pool1 cpu=4-7

step "a domain created with pool=pool1 is placed and pinned"
sim create web vcpus=3 pool=pool1 >/dev/null
wait_pinned web "4-7"
assert_eq "web pool" pool1 "$(dom_pool web)"

step "a domain without a key stays in pool0"
sim create plain vcpus=1 >/dev/null
wait_until "dom_pool plain"
assert_eq "plain pool" pool0 "$(dom_pool plain)"
assert_pinned plain "0-3"

step "an unknown pool: held in pool0, shown misplaced with the wanted name"
sim create db vcpus=2 pool=pool9 >/dev/null
wait_until "dom_pool db"
assert_eq "db pool" pool0 "$(dom_pool db)"
assert_pinned db "0-3"
pc --json domain-list | jq -e '.domains[] | select(.name=="db") | .misplaced == true and .wanted == "pool9"' >/dev/null ||
	fail "db not shown misplaced: $(pc --json domain-list)"
pc domain-list | tee "$T/dl"
grep -E '^[0-9]+ +db ' "$T/dl" | grep -q pool9 || fail "domain-list text does not show the wanted pool"

step "creating the wanted pool places the misplaced domain"
pc pool-create pool9 cpu=2-3
wait_pinned db "2-3"
assert_eq "db pool" pool9 "$(dom_pool db)"
pc --json domain-list | jq -e '.domains[] | select(.name=="db") | .misplaced == false' >/dev/null ||
	fail "db still misplaced"

step "a toolstack rewriting the key moves the domain"
toolstack_set_pool "$(domid_of plain)" pool1
wait_pinned plain "4-7"
assert_eq "plain pool" pool1 "$(dom_pool plain)"

step "pool-migrate overrides the key: the same value again changes nothing, a new write acts"
pc pool-migrate plain pool0 >/dev/null
wait_pinned plain "$(pool_cpus pool0)"
toolstack_set_pool "$(domid_of plain)" pool1
sleep 0.5
assert_eq "plain pool after its key got the value it had" pool0 "$(dom_pool plain)"
xenstore-rm "/local/domain/$(domid_of plain)/pool"
sleep 0.3
toolstack_set_pool "$(domid_of plain)" pool1
wait_pinned plain "4-7"
assert_eq "plain pool after its key was removed and written" pool1 "$(dom_pool plain)"

step "a key the guest owns is ignored"
id=$(sim create rogue vcpus=1 pool=pool1 pool-owner=guest)
wait_until "dom_pool rogue"
sleep 0.3
assert_eq "rogue pool" pool0 "$(dom_pool rogue)"
assert_pinned rogue "0-1"
step "a dom0-owned key the guest may write is ignored too"
xenstore-chmod "/local/domain/$id/pool" n0 "b$id"
xenstore-write "/local/domain/$id/pool" pool9
sleep 0.3
assert_eq "rogue pool" pool0 "$(dom_pool rogue)"
step "a dom0-owned key another domain may write is ignored too"
other=$(sim create other vcpus=1)
xenstore-chmod "/local/domain/$id/pool" n0 "r$id" "w$other"
xenstore-write "/local/domain/$id/pool" pool9
sleep 0.3
assert_eq "rogue pool" pool0 "$(dom_pool rogue)"
step "once dom0 owns it read-only for the guest and writes it, the key counts"
xenstore-chmod "/local/domain/$id/pool" n0 "r$id"
xenstore-write "/local/domain/$id/pool" pool9
wait_pinned rogue "2-3"
step "a key that later becomes writable by the guest changes nothing"
xenstore-chmod "/local/domain/$id/pool" "n$id"
xenstore-write "/local/domain/$id/pool" pool1
sleep 0.3
assert_eq "rogue pool" pool9 "$(dom_pool rogue)"
assert_pinned rogue "2-3"
xenstore-rm "/local/domain/$id/pool"
sleep 0.3
assert_eq "rogue pool after the guest removed its key" pool9 "$(dom_pool rogue)"

step "destroying a member: poold forgets it, the pool stays"
sim destroy web
wait_until "! pc --json domain-list | jq -e '.domains[] | select(.name==\"web\")'"
assert_eq "pool1 cpus" "4-7" "$(pool_cpus pool1)"
pc pool-destroy pool1 --force
echo "PASS"
