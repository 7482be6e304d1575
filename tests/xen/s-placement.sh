#!/bin/sh
# Placement by the xenstore `pool` key, written by another dom0 toolstack, checked with xl.
. /tests/lib.sh

# Checks over a few seconds that a domain stays where it is (a key poold must ignore).
stays_pinned()
{
	sleep 1
	assert_pinned "$1" "$2"
	sleep 2
	assert_pinned "$1" "$2"
}

start_poold
pc pool-create pool1 cpu=2-3 || fail "pool-create pool1"

step "a paused guest gets its key from a toolstack and is re-pinned to pool1"
guest_create p1 2
id1=$(domid_of p1)
wait_until "dom_pool p1"
assert_pinned p1 0-1
xenstore-write /local/domain/$id1/pool pool1 || fail "xenstore-write"
echo "perms of a key dom0 wrote: $(xenstore-ls -p /local/domain/$id1 | grep '^pool ')"
wait_pinned p1 2-3
assert_eq "p1 pool" pool1 "$(dom_pool p1)"
assert_pinned Domain-0 0-1

step "an unknown pool: the default pool, shown as misplaced; creating the pool places it"
guest_create p2 1
id2=$(domid_of p2)
toolstack_set_pool $id2 nosuch
wait_until "pc --json domain-list | jq -e '.domains[] | select(.name == \"p2\") | .misplaced'"
pc domain-list | tee "$T/dl"
grep -Eq "^ *$id2 +p2 +pool0 \(wants nosuch\)" "$T/dl" ||
	fail "domain-list does not show p2 as misplaced"
pc --json domain-list | jq -e '.domains[] | select(.name == "p2") | .wanted == "nosuch"' |
	grep -q true ||
	fail "wanted is not nosuch"
assert_pinned p2 0-1
pc pool-create nosuch cpu=1 || fail "pool-create nosuch"
wait_pinned p2 1
assert_eq "p2 pool" nosuch "$(dom_pool p2)"
pc --json domain-list | jq -e '.domains[] | select(.name == "p2") | .misplaced == false' |
	grep -q true ||
	fail "p2 still misplaced"
assert_pinned Domain-0 0

step "a key the guest owns, or may write, is ignored"
guest_create p3 1
id3=$(domid_of p3)
wait_until "dom_pool p3"
# The node is born trusted (n0,r$id3: inherited): it must name p3's pool while it is.
xenstore-write /local/domain/$id3/pool pool0 || fail "xenstore-write"
xenstore-chmod /local/domain/$id3/pool n$id3 || fail "xenstore-chmod n$id3"
xenstore-write /local/domain/$id3/pool pool1 || fail "xenstore-write"
xenstore-ls -p /local/domain/$id3 | grep '^pool '
stays_pinned p3 0
assert_eq "p3 pool" pool0 "$(dom_pool p3)"
xenstore-chmod /local/domain/$id3/pool n0 b$id3 || fail "xenstore-chmod n0 b$id3"
xenstore-write /local/domain/$id3/pool pool1
stays_pinned p3 0
xenstore-chmod /local/domain/$id3/pool n0 w$id3 || fail "xenstore-chmod n0 w$id3"
stays_pinned p3 0
xenstore-chmod /local/domain/$id3/pool b0 || fail "xenstore-chmod b0 (all may write)"
stays_pinned p3 0
step "made read-only for the guest, the value written while others could write stays ignored"
xenstore-chmod /local/domain/$id3/pool n0 r$id3 || fail "xenstore-chmod n0 r$id3"
stays_pinned p3 0
assert_eq "p3 pool" pool0 "$(dom_pool p3)"
step "dom0 writing the key itself makes it count"
xenstore-write /local/domain/$id3/pool pool1 || fail "xenstore-write"
wait_pinned p3 2-3
assert_eq "p3 pool" pool1 "$(dom_pool p3)"
step "a key another domain may write is ignored (n0 r$id3 w$id2)"
xenstore-chmod /local/domain/$id3/pool n0 r$id3 w$id2 || fail "xenstore-chmod n0 r$id3 w$id2"
xenstore-write /local/domain/$id3/pool nosuch
stays_pinned p3 2-3
assert_eq "p3 pool" pool1 "$(dom_pool p3)"
xenstore-chmod /local/domain/$id3/pool n0 r$id3 || fail "xenstore-chmod n0 r$id3"

step "a rewritten key moves the domain"
xenstore-write /local/domain/$id1/pool nosuch || fail "rewrite p1's key"
wait_pinned p1 1
assert_eq "p1 pool" nosuch "$(dom_pool p1)"
xenstore-write /local/domain/$id1/pool pool0 || fail "rewrite p1's key"
wait_pinned p1 0
assert_eq "p1 pool" pool0 "$(dom_pool p1)"

step "strict placement: unpaused after placement, the guest runs only in its pool"
xenstore-write /local/domain/$id1/pool pool1
wait_pinned p1 2-3
xl unpause p1 || fail "xl unpause p1"
sleep 3
xl vcpu-list p1
assert_pinned p1 2-3
xl vcpu-list p1 | awk 'NR > 1 && $4 != "-" && $4 != 2 && $4 != 3 { bad = 1 } END { exit bad }' ||
	fail "a vCPU of p1 ran outside pool1"
xl pause p1

step "xl's own vcpu-pin is undone on the next rescan"
xl vcpu-pin p3 all 0-3
xenstore-write /local/domain/$id3/pool pool1
wait_pinned p3 2-3
echo PASS
