#!/bin/sh
# pool-migrate, domain-set weight=/cap= and the destroy of a member, checked with xl.
. /tests/lib.sh

start_poold
pc pool-create pool1 cpu=2-3 || fail "pool-create pool1 cpu=2-3"
guest_create a 2
guest_create b 1
wait_until "dom_pool b"

step "pool-migrate by name and by domid"
pc pool-migrate a pool1 || fail "pool-migrate a"
pc pool-migrate "$(domid_of b)" pool1 || fail "pool-migrate b by domid"
assert_pinned a 2-3
assert_pinned b 2-3
assert_pinned Domain-0 0-1
assert_eq "a pool" pool1 "$(dom_pool a)"

step "domain-set weights: written as $SCHED wants them"
pc domain-set a weight=768 || fail "domain-set a weight=768"
pc domain-set b weight=256 || fail "domain-set b weight=256"
wa=$(hv_weight a)
wb=$(hv_weight b)
echo "Xen's weights: a=$wa b=$wb"
pc domain-list
if [ "$SCHED" = credit2 ]; then
	assert_eq "a weight" 768 "$wa"
	assert_eq "b weight" 256 "$wb"
else
	# credit1: rescaled, but shares within the pool keep the users' 3:1.
	[ $((wa - 3 * wb)) -le 3 ] && [ $((3 * wb - wa)) -le 3 ] ||
		fail "credit1 weights a=$wa b=$wb do not keep 3:1"
fi
for d in a b; do
	hw=$(pc --json domain-list | jq -r --arg n $d '.domains[] | select(.name == $n) | .hv_weight')
	assert_eq "$d: poold's hv_weight vs Xen" "$hw" "$(hv_weight $d)"
done

step "domain-set caps (a: 2 vCPUs on 2 pCPUs, so 200 % is no cap)"
pc domain-set a cap=50 || fail "cap=50"
assert_eq "a cap" 50 "$(hv_cap a)"
pc domain-set a cap=150 || fail "cap=150"
assert_eq "a cap" 150 "$(hv_cap a)"
pc domain-set a cap=200 || fail "cap=200"
assert_eq "a cap (200 % on 2 pCPUs is written as none)" 0 "$(hv_cap a)"
pc domain-set a cap=80 || fail "cap=80"
pc domain-set a cap=0 || fail "cap=0"
assert_eq "a cap cleared" 0 "$(hv_cap a)"

step "out-of-range settings are refused and change nothing in Xen"
before="$(hv_weight a) $(hv_cap a)"
expect_rc 1 pc domain-set a weight=0
grep -q 65535 "$T/err" || fail "the refusal does not give the range: $(cat "$T/err")"
expect_rc 1 pc domain-set a weight=70000
expect_rc 1 pc domain-set nosuch weight=100
expect_rc 1 pc pool-migrate a nosuch
assert_eq "a weight/cap" "$before" "$(hv_weight a) $(hv_cap a)"
assert_pinned a 2-3

step "destroying a member: poold forgets it, the pool goes on"
bid=$(domid_of b)
xl destroy b || fail "xl destroy b"
wait_until "! pc --json domain-list | jq -e --argjson d $bid '.domains[] | select(.domid == \$d)'"
pc --json pool-list | jq -e --argjson d $bid \
	'[.pools[].domains[]] | index($d) == null' >/dev/null || fail "pool-list still lists b"
pc pool-modify pool1 cpu=3 || fail "pool-modify pool1 cpu=3 after b died"
assert_pinned a 3
assert_pinned Domain-0 0-2

step "pool-migrate back to pool0 keeps the user weight"
pc pool-migrate a pool0 || fail "pool-migrate a pool0"
assert_pinned a 0-2
[ "$SCHED" = credit ] || assert_eq "a weight" 768 "$(hv_weight a)"
pc domain-list
echo PASS
