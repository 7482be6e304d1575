#!/bin/sh
# Group changes on real Xen, checked with xl: a layout applied (its dry run first, then again
# with no write, then export | apply --dry-run empty), pool-migrate --all, pool-rename.
. /tests/lib.sh

start_poold
guest_create a 2
guest_create b 1
guest_create c 1
wait_until "dom_pool c"

step "apply --dry-run: the plan, and nothing changed in Xen"
cat >"$T/layout.json" <<-EOF2
	{"version": 1,
	 "pools": [{"name": "web", "cpus": "2"}, {"name": "batch", "ncpu": 1, "cap": 50}],
	 "domains": [{"name": "a", "pool": "web", "weight": 512}, {"name": "b", "pool": "batch"}]}
EOF2
w0=$(hv_writes)
pc --json apply --dry-run "$T/layout.json" >"$T/dry.json" || fail "apply --dry-run"
pc apply --dry-run "$T/layout.json"
assert_eq "hypervisor writes of the dry run" "$w0" "$(hv_writes)"
assert_pinned a 0-3
pc --json pool-list | jq -e '[.pools[].name] == ["pool0"]' >/dev/null ||
	fail "the dry run created pools"
planned=$(jq '.plan.writes | length' "$T/dry.json")
batch=$(jq -r '.plan.pools[] | select(.name == "batch") | .cpus' "$T/dry.json")
echo "planned: $planned writes, batch on cpus $batch"

step "apply: what the plan said, in Xen"
pc --json apply "$T/layout.json" >"$T/real.json" || fail "apply"
jq -S .plan "$T/dry.json" >"$T/dry.plan"
jq -S .plan "$T/real.json" >"$T/real.plan"
diff -u "$T/dry.plan" "$T/real.plan" || fail "apply's plan differs from its dry run's"
assert_eq "batch's cpus (as planned)" "$batch" "$(pool_cpus batch)"
assert_pinned a 2
assert_pinned b "$(cpus_norm "$batch")"
assert_eq "hypervisor writes of the apply (as planned)" $((w0 + planned)) "$(hv_writes)"
[ "$SCHED" = credit ] || assert_eq "a's weight in Xen" 512 "$(hv_weight a)"

step "the same layout again writes nothing; export | apply --dry-run - is empty"
w1=$(hv_writes)
pc --json apply "$T/layout.json" >"$T/again.json" || fail "second apply"
jq -e '.plan.writes == []' "$T/again.json" >/dev/null || fail "a second apply planned writes"
assert_eq "hypervisor writes of a second apply" "$w1" "$(hv_writes)"
pc export >"$T/export.json" || fail "export"
pc --json apply --dry-run - <"$T/export.json" >"$T/exp.json" || fail "export | apply --dry-run -"
jq -e '[.plan.pools, .plan.domains, .plan.writes] | map(length) == [0, 0, 0]' "$T/exp.json" \
	>/dev/null || fail "export | apply --dry-run - is not empty: $(cat "$T/exp.json")"

step "an invalid layout is refused whole: nothing changes"
echo '{"pools": [{"name": "web", "cpus": "3"}, {"name": "bad name"}]}' >"$T/bad.json"
expect_rc 1 pc apply "$T/bad.json"
cat "$T/err"
assert_eq "web's cpus after the refusal" 2 "$(pool_cpus web)"
assert_eq "hypervisor writes of the refusal" "$w1" "$(hv_writes)"

step "pool-migrate --all: every guest of pool0 into web, dom0 stays"
pc pool-migrate --all pool0 web || fail "pool-migrate --all pool0 web"
assert_pinned c 2
assert_pinned Domain-0 "$(cpus_norm "$(pool_cpus pool0)")"
assert_eq "c pool" web "$(dom_pool c)"
pc pool-migrate --all web batch || fail "pool-migrate --all web batch"
for g in a c; do
	assert_pinned "$g" "$(cpus_norm "$batch")"
	assert_eq "$g pool" batch "$(dom_pool "$g")"
done

step "pool-rename: same id and pCPUs, members stay pinned, nothing written"
id=$(pc --json pool-list | jq -r '.pools[] | select(.name == "batch") | .id')
w2=$(hv_writes)
pc pool-rename batch jobs || fail "pool-rename batch jobs"
assert_eq "jobs' id" "$id" "$(pc --json pool-list | jq -r '.pools[] | select(.name == "jobs") | .id')"
assert_eq "hypervisor writes of the rename" "$w2" "$(hv_writes)"
for g in a b c; do
	assert_pinned "$g" "$(cpus_norm "$batch")"
	assert_eq "$g pool" jobs "$(dom_pool "$g")"
done
echo PASS
