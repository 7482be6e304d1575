#!/bin/bash
# NUMA: xl's node items in cpu lists, pool-create nodes=, the nodes of each pool in pool-list,
# and every member's soft affinity and node affinity made its pool's nodes' in xensim's view
# (a guest libxl placed on node 0 and moved to a pool on node 1 allocates from node 1).
. "$(dirname "$0")/lib.sh"

# Two nodes: node 0 is cpus 0-7, node 1 is cpus 8-15.
start_xensim 2x4x2 2 credit2
start_poold

# A domain's soft affinity (every vCPU's, deduplicated) and node affinity in xensim's view.
hv_soft()
{
	view | jq -er --arg n "$1" \
		'[.domains[] | select(.name == $n) | .vcpus[].soft] | unique | join(" ")'
}
hv_nodes()
{
	view | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .nodes'
}
pool_nodes()
{
	pc --json pool-list | jq -er --arg p "$1" '.pools[] | select(.name == $p) | .nodes'
}

step "pool-create nodes=1 takes every pCPU of node 1; pool-list shows the nodes"
pc pool-create db nodes=1
assert_eq "db cpus" 8-15 "$(pool_cpus db)"
assert_eq "db nodes" 1 "$(pool_nodes db)"
assert_eq "pool0 cpus" 0-7 "$(pool_cpus pool0)"
assert_eq "pool0 nodes" 0 "$(pool_nodes pool0)"
pc pool-list | tee "$T/list"
head -n 1 "$T/list" | grep -Eq '^pool +cpus +nodes +sched +share +domains *$' ||
	fail "pool-list has no nodes column on a host of two nodes"
grep -Eq '^db +8-15 +1 +credit2 ' "$T/list" || fail "pool-list's db line"

step "xl's node items in a cpu list: cpu=nodes:1,^15"
pc pool-modify db cpu=nodes:1,^15 >/dev/null
assert_eq "db cpus" 8-14 "$(pool_cpus db)"
pc pool-modify db nodes=1 >/dev/null
assert_eq "db cpus" 8-15 "$(pool_cpus db)"

step "refusals name the fix"
expect_rc 1 pc pool-create x nodes=2
grep -q "node 2 is out of range: this host has 2 NUMA nodes (0-1)" "$T/err" || fail "nodes=2: $(cat "$T/err")"
expect_rc 1 pc pool-create x cpu=node:7
grep -q "node 7 is out of range" "$T/err" || fail "cpu=node:7: $(cat "$T/err")"
expect_rc 1 pc pool-create x nodes=0
grep -q "pool0" "$T/err" || fail "nodes=0 (all of pool0): $(cat "$T/err")"
expect_rc 2 pc pool-create x nodes=1 ncpu=2
grep -q "give one of ncpu=N, cpu=LIST or nodes=LIST" "$T/err" || fail "nodes= with ncpu=: $(cat "$T/err")"
assert_eq "pools after the refusals" "db pool0" "$(pc --json pool-list | jq -r '[.pools[].name] | sort | join(" ")')"

step "a guest libxl placed on node 0, moved to db: soft and node affinity follow"
sim create g vcpus=2 soft=0-7 nodes=0 >/dev/null
wait_until "dom_pool g"
assert_pinned g 0-7
assert_eq "g soft in pool0 (node 0)" 0-7 "$(hv_soft g)"
assert_eq "g nodes in pool0" 0 "$(hv_nodes g)"
pc pool-migrate g db >/dev/null
wait_pinned g 8-15
assert_eq "g soft in db" 8-15 "$(hv_soft g)"
assert_eq "g node affinity in db" 1 "$(hv_nodes g)"
pc pool-migrate g pool0 >/dev/null
wait_pinned g 0-7
assert_eq "g soft back in pool0" 0-7 "$(hv_soft g)"
assert_eq "g node affinity back in pool0" 0 "$(hv_nodes g)"

step "a new guest whose key names db is born with db's soft and node affinity"
sim create h vcpus=1 pool=db soft=0-7 nodes=0 >/dev/null
wait_pinned h 8-15
assert_eq "h soft" 8-15 "$(hv_soft h)"
assert_eq "h node affinity" 1 "$(hv_nodes h)"

step "a pool on both nodes: soft affinity every pCPU of both, node affinity Xen's own"
pc pool-modify db cpu=6-9 >/dev/null
pc pool-migrate g db >/dev/null
wait_pinned g 6-9
assert_eq "g soft in a pool over two nodes" 0-15 "$(hv_soft g)"
assert_eq "g node affinity" 0-1 "$(hv_nodes g)"
assert_eq "g node affinity automatic" true \
	"$(view | jq -r '.domains[] | select(.name == "g") | .nodes_auto')"
assert_eq "db nodes" 0-1 "$(pool_nodes db)"

step "converged: a new pass writes nothing"
pc pool-modify db nodes=1 >/dev/null
wait_pinned g 8-15
wait_until "[ \"\$(hv_soft g)\" = 8-15 ]"
sim reset-counters
pc --json status >/dev/null
wait_settled
assert_eq "writes on a converged host" 0 "$(hv_writes)"

step "layouts take nodes too; a dry run's plan names the soft and node affinity it writes"
cat >"$T/numa.json" <<'EOF2'
{"pools": [{"name": "db", "nodes": "1"}], "domains": [{"name": "h", "pool": "pool0"}]}
EOF2
pc --json apply --dry-run "$T/numa.json" >"$T/plan.json"
jq -e '.plan.writes | any(.op == "nodes" and .name == "h" and .nodes == "0")' "$T/plan.json" \
	>/dev/null || fail "the plan has no node affinity write for h: $(cat "$T/plan.json")"
jq -e '.plan.writes | any(.op == "affinity" and .name == "h" and .cpus == "0-7" and
	.soft == "0-7")' "$T/plan.json" >/dev/null ||
	fail "the plan has no affinity write with soft for h: $(cat "$T/plan.json")"
pc apply --dry-run "$T/numa.json" | grep -Eq "write: domain [0-9]+ \(h\) node affinity 0" ||
	fail "the text plan does not say the node affinity write"
assert_eq "h still in db after the dry run" 1 "$(hv_nodes h)"
pc --json apply "$T/numa.json" >"$T/applied.json"
diff -u <(jq -S .plan "$T/plan.json") <(jq -S .plan "$T/applied.json") ||
	fail "apply did not do what its dry run planned"
wait_pinned h 0-7
assert_eq "h soft after apply" 0-7 "$(hv_soft h)"
assert_eq "h node affinity after apply" 0 "$(hv_nodes h)"
pc export | pc --json apply --dry-run - >"$T/again.json"
jq -e '[.plan.pools, .plan.domains, .plan.writes] | map(length) == [0, 0, 0]' \
	"$T/again.json" >/dev/null || fail "export | apply --dry-run - is not empty: $(cat "$T/again.json")"
echo PASS
