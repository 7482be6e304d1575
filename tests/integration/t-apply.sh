#!/bin/bash
# poolctl apply / export / --dry-run: one change, idempotent, refused whole; plans that hold.
. "$(dirname "$0")/lib.sh"

start_xensim 2x4x2 2 credit2
start_poold
sim create a vcpus=2 >/dev/null
sim create b vcpus=4 >/dev/null
sim create c vcpus=1 >/dev/null
wait_until "dom_pool c"

# No work left and the records saved: a save follows a change by up to a second.
quiet()
{
	wait_settled
	sleep 1.1
}
quiet
uuid_b=$(pc --json domain-list | jq -er '.domains[] | select(.name == "b") | .uuid')

cat >"$T/layout.json" <<EOF
{
  "version": 1,
  "pools": [
    {"name": "web", "cpus": "2-5"},
    {"name": "batch", "ncpu": 4, "cap": 200, "share": "off"}
  ],
  "domains": [
    {"name": "a", "pool": "web", "weight": 512},
    {"uuid": "$uuid_b", "pool": "batch", "cap": 150},
    {"name": "c", "weight": 128}
  ]
}
EOF

# The model, the state file and the hypervisor, to tell that nothing changed.
snapshot()
{
	pc --json pool-list | jq -S '[.pools[] | del(.sched, .share_active)]' >"$T/$1.pools"
	pc --json domain-list | jq -S '[.domains[] | del(.used, .entitled)]' >"$T/$1.doms"
	view | jq -S '[.domains[] | {name, weight, cap, hard: [.vcpus[].hard]}]' >"$T/$1.view"
	sha256sum <"$T/state.json" >"$T/$1.state"
}

same_as()
{
	snapshot now
	for k in pools doms view state; do
		diff -u "$T/$1.$k" "$T/now.$k" >&2 || fail "$2: the $k changed"
	done
}

events_start()
{
	pc --json monitor >"$T/events" &
	MONITOR_PID=$!
	sleep 0.3
}

events_stop()
{
	sleep 0.3
	kill "$MONITOR_PID"
	wait "$MONITOR_PID" 2>/dev/null || true
}

step "apply --dry-run: a plan, and nothing changed (no write, no save, no event)"
snapshot before
sim reset-counters
saves=$(pc --json status | jq .state_saves)
events_start
pc --json apply "$T/layout.json" --dry-run >"$T/dry.json"
events_stop
jq -e '.dry_run == true' "$T/dry.json" >/dev/null || fail "dry_run is not true"
assert_eq "hypervisor writes of a dry run" 0 "$(hv_writes)"
assert_eq "state saves of a dry run" "$saves" "$(pc --json status | jq .state_saves)"
assert_eq "events of a dry run" 0 "$(grep -c '"pool-changed"\|"domain-placed"\|"domain-changed"' "$T/events" || true)"
same_as before "apply --dry-run"
jq -e '[.plan.pools[] | select(.name == "web")][0] | .action == "created" and .cpus == "2-5" and .gained == "2-5"' \
	"$T/dry.json" >/dev/null || fail "the plan does not create web on 2-5"
batch=$(jq -er '.plan.pools[] | select(.name == "batch") | .cpus' "$T/dry.json")
assert_eq "pCPUs the plan gives batch" 4 "$(jq -r '.plan.pools[] | select(.name == "batch") | .ncpu' "$T/dry.json")"
jq -e '.plan.pools[] | select(.name == "pool0") | .action == "modified"' "$T/dry.json" >/dev/null ||
	fail "the plan does not say pool0 loses pCPUs"
nwrites=$(jq '.plan.writes | length' "$T/dry.json")
# Each vCPU of a domain that moves, or stays in pool0 as it shrinks, is pinned once.
for d in a b c Domain-0; do
	assert_eq "pinning writes planned for $d" "$(hv_vcpus "$d")" \
		"$(jq --arg n "$d" '[.plan.writes[] | select(.name == $n and .op == "affinity")] | length' "$T/dry.json")"
done
jq -e '[.plan.writes[] | select(.op == "sched")] | map({name, weight}) |
	(contains([{"name": "a", "weight": 512}, {"name": "c", "weight": 128}]))' "$T/dry.json" >/dev/null ||
	fail "weights planned: $(jq -c .plan.writes "$T/dry.json")"
pc apply "$T/layout.json" --dry-run | grep -q '^plan (dry run' || fail "no text plan"

step "apply: what the plan said, as one change"
sim reset-counters
events_start
pc --json apply "$T/layout.json" >"$T/real.json"
events_stop
diff -u <(jq -S .plan "$T/dry.json") <(jq -S .plan "$T/real.json") || fail "apply's plan differs from the dry run's"
assert_eq "hypervisor writes of the apply (as planned)" "$nwrites" "$(hv_writes)"
assert_eq "web's pCPUs" "2-5" "$(pool_cpus web)"
assert_eq "batch's pCPUs (as planned)" "$batch" "$(pool_cpus batch)"
assert_pinned a "2-5"
assert_pinned b "$batch"
# Every planned write is in xensim's view.
jq -c '.plan.writes[]' "$T/real.json" | while read -r w; do
	name=$(jq -r .name <<<"$w")
	if [ "$(jq -r .op <<<"$w")" = affinity ]; then
		got=$(view | jq -r --arg n "$name" --argjson v "$(jq .vcpu <<<"$w")" \
			'.domains[] | select(.name == $n) | .vcpus[$v].hard')
		assert_eq "$name vCPU $(jq .vcpu <<<"$w") affinity" "$(jq -r .cpus <<<"$w")" "$got"
		if [ "$(jq -r .soft <<<"$w")" != null ]; then
			got=$(view | jq -r --arg n "$name" --argjson v "$(jq .vcpu <<<"$w")" \
				'.domains[] | select(.name == $n) | .vcpus[$v].soft')
			assert_eq "$name vCPU $(jq .vcpu <<<"$w") soft affinity" \
				"$(jq -r .soft <<<"$w")" "$got"
		fi
	elif [ "$(jq -r .op <<<"$w")" = nodes ]; then
		got=$(view | jq -r --arg n "$name" '.domains[] | select(.name == $n) | .nodes')
		assert_eq "$name node affinity" "$(jq -r .nodes <<<"$w")" "$got"
	else
		assert_eq "$name weight" "$(jq .weight <<<"$w")" "$(hv_weight "$name")"
		assert_eq "$name cap" "$(jq .cap <<<"$w")" "$(hv_cap "$name")"
	fi
done
assert_eq "b's cap setting" 150 "$(pc --json domain-list | jq '.domains[] | select(.name == "b") | .cap')"
assert_eq "batch's cap" 200 "$(pc --json pool-list | jq '.pools[] | select(.name == "batch") | .cap')"
# Causal order: web created before a placed into it.
created=$(grep -n '"pool-changed"' "$T/events" | grep '"web"' | grep -m1 created | cut -d: -f1)
placed=$(grep -n '"domain-placed"' "$T/events" | grep -m1 '"name": *"a"\|"name":"a"' | cut -d: -f1)
[ -n "$created" ] && [ -n "$placed" ] || fail "missing events: $(cat "$T/events")"
[ "$created" -lt "$placed" ] || fail "a placed (line $placed) before web created (line $created)"
quiet

step "apply again: nothing to do, 0 writes, no save"
snapshot applied
sim reset-counters
saves=$(pc --json status | jq .state_saves)
pc --json apply "$T/layout.json" >"$T/again.json"
jq -e '.plan.pools == [] and .plan.domains == [] and .plan.writes == []' "$T/again.json" >/dev/null ||
	fail "a second apply plans: $(cat "$T/again.json")"
assert_eq "hypervisor writes of the second apply" 0 "$(hv_writes)"
assert_eq "state saves of the second apply" "$saves" "$(pc --json status | jq .state_saves)"
same_as applied "the second apply"
pc apply "$T/layout.json" | grep -q '^no change' || fail "text of an empty plan"

step "export | apply --dry-run -: no change"
pc export >"$T/export.json"
jq -e '.pools[] | select(.name == "batch") | .cpus' "$T/export.json" >/dev/null || fail "export without batch"
pc --json export | jq .layout | pc --json apply --dry-run - >"$T/round.json"
jq -e '.plan.pools == [] and .plan.domains == [] and .plan.writes == []' "$T/round.json" >/dev/null ||
	fail "export | apply --dry-run - plans: $(cat "$T/round.json")"
pc apply --dry-run - <"$T/export.json" | grep -q '^no change' || fail "exported text is no layout"

step "an invalid part refuses the whole layout, nothing changed"
jq '.pools += [{"name": "more", "ncpu": 2}] | .domains += [{"name": "nosuch", "pool": "web"}]' \
	"$T/layout.json" >"$T/bad1.json"
sim reset-counters
expect_rc 1 pc apply "$T/bad1.json"
grep -q 'nosuch' "$T/err" || fail "the error does not name the domain: $(cat "$T/err")"
jq '.pools[0].cpus = "2-5,7-8" | .pools[1].cpu = "1"' "$T/layout.json" >"$T/bad2.json"
expect_rc 1 pc apply "$T/bad2.json"
grep -q 'pools\[1\] (batch): unknown key "cpu"' "$T/err" || fail "unknown key: $(cat "$T/err")"
jq '.pools += [{"name": "more", "cpus": "2"}]' "$T/layout.json" >"$T/bad3.json"
expect_rc 1 pc apply "$T/bad3.json"
grep -q 'more' "$T/err" || fail "taken pCPUs: $(cat "$T/err")"
printf '{"pools": [\n  {"name": "x",}\n]}\n' >"$T/bad4.json"
expect_rc 2 pc apply "$T/bad4.json"
grep -q 'bad4.json:2:' "$T/err" || fail "syntax error without its line: $(cat "$T/err")"
expect_rc 1 pc apply --dry-run "$T/bad1.json"
assert_eq "hypervisor writes of refused layouts" 0 "$(hv_writes)"
same_as applied "a refused layout"
pc pool-list | grep -q '^more' && fail "pool more was created"

step "the example layout reads: refused only for its domains, which this host does not run"
expect_rc 1 pc apply --dry-run "${LAYOUT_EXAMPLE:?path to doc/examples/layout.json}"
grep -q 'domain www1: no running domain has this name' "$T/err" || fail "the example: $(cat "$T/err")"

step "pool-create ncpu=N --dry-run names the pCPUs that pool-create then takes"
sim reset-counters
pc --json pool-create p ncpu=2 --dry-run >"$T/pc.json"
want=$(jq -er '.plan.pools[] | select(.name == "p" and .action == "created") | .gained' "$T/pc.json")
pc pool-create p ncpu=2 --dry-run | grep -q "pool p created: cpus $want" || fail "text plan of pool-create"
assert_eq "writes of the dry runs" 0 "$(hv_writes)"
pc pool-list | grep -q '^p ' && fail "the dry run created p"
pc pool-create p ncpu=2 >/dev/null
assert_eq "p's pCPUs (as the dry run said)" "$want" "$(pool_cpus p)"

step "--dry-run on pool-migrate, domain-set, pool-modify, pool-destroy"
quiet
snapshot mid
sim reset-counters
pc --json pool-migrate c p --dry-run >"$T/mig.json"
pc --json domain-set a weight=700 --dry-run >"$T/set.json"
pc --json pool-modify web ncpu=2 --dry-run >"$T/mod.json"
pc --json pool-destroy batch --force --dry-run >"$T/des.json"
assert_eq "writes of the dry runs" 0 "$(hv_writes)"
same_as mid "dry runs"
jq -e '.plan.domains == [{"domid": .plan.domains[0].domid, "name": "c", "pool_was": "pool0", "pool": "p", "weight": 128, "cap": 0}]' \
	"$T/mig.json" >/dev/null || fail "pool-migrate's plan: $(cat "$T/mig.json")"
assert_eq "pinning writes planned for c" 1 "$(jq '[.plan.writes[] | select(.op == "affinity")] | length' "$T/mig.json")"
jq -e '.plan.writes == [.plan.writes[0]] and .plan.writes[0].op == "sched" and .plan.writes[0].weight == 700' \
	"$T/set.json" >/dev/null || fail "domain-set's plan: $(cat "$T/set.json")"
jq -e '.plan.pools[] | select(.name == "web") | .ncpu == 2 and .lost != ""' "$T/mod.json" >/dev/null ||
	fail "pool-modify's plan: $(cat "$T/mod.json")"
jq -e '(.plan.pools[] | select(.name == "batch") | .action == "destroyed") and
	(.plan.domains[] | select(.name == "b") | .pool == "pool0")' "$T/des.json" >/dev/null ||
	fail "pool-destroy's plan: $(cat "$T/des.json")"
pc pool-migrate c p >/dev/null
assert_eq "writes of pool-migrate (as planned)" "$(jq '.plan.writes | length' "$T/mig.json")" "$(hv_writes)"
assert_pinned c "$want"

step "prune: pools the file leaves out are destroyed, unless they hold domains"
jq '.prune = true' "$T/layout.json" >"$T/prune1.json"
expect_rc 1 pc apply "$T/prune1.json"
grep -q 'pool p would be pruned but holds domain c' "$T/err" || fail "prune with members: $(cat "$T/err")"
jq '.prune = true | .domains[2].pool = "web"' "$T/layout.json" >"$T/prune2.json"
pc apply "$T/prune2.json" >/dev/null
pc pool-list | grep -q '^p ' && fail "p was not pruned"
assert_eq "c's pool after prune" web "$(dom_pool c)"
assert_eq "pools after prune" "pool0 web batch" "$(pc --json pool-list | jq -r '[.pools[].name] | join(" ")')"
echo "PASS"
