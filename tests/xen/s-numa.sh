#!/bin/sh
# NUMA on a machine of two nodes (run-xen-test --numa 2): pool-create nodes=, the nodes in
# pool-list, and every member's soft affinity and node affinity made its pool's nodes', as
# xl vcpu-list and xl list -n show them.
. /tests/lib.sh

# The cpus of a node as Xen reports them (xl info -n), normalized.
node_cpus()
{
	xl info -n | awk -v n="$1" '
		/^cpu_topology/ { t = 1; next }
		t && /^ *[0-9]+: +[0-9]+ +[0-9]+ +[0-9]+ *$/ { sub(":", "", $1); if ($4 == n) print $1; next }
		t && !/^cpu:/ { t = 0 }' | awk '{ printf "%s%s", (NR > 1 ? "," : ""), $0 } END { print "" }'
}

# The distinct soft affinities of a domain's vCPUs, normalized as hv_hard's.
hv_soft()
{
	xl vcpu-list "$1" | awk 'NR > 1 { print $9 }' | while read -r a; do
		cpus_norm "$a"
	done | sort -u | awk '{ printf "%s%s", (NR > 1 ? " | " : ""), $0 } END { print "" }'
}

# A domain's node affinity as xl list -n shows it, normalized over the nodes.
hv_nodes()
{
	_a=$(xl list -n "$1" | awk 'NR > 1 { print $NF }')
	[ "$_a" = all ] && _a=0-1
	echo "$_a" | awk '{ if (index($0, "-")) { split($0, r, "-"); s = ""; for (i = r[1]; i <= r[2]; i++) s = s (s == "" ? "" : " ") i; print s } else { gsub(",", " "); print } }'
}

nr_nodes=$(xl info | awk '$1 == "nr_nodes" { print $3 }')
xl info -n | sed -n '/^cpu_topology/,/^device_topology/p'
[ "$nr_nodes" = 2 ] || fail "Xen sees $nr_nodes NUMA nodes, want 2: boot with run-xen-test --numa 2"
n0=$(node_cpus 0)
n1=$(node_cpus 1)
echo "node 0: cpus $n0; node 1: cpus $n1"
[ -n "$n0" ] && [ -n "$n1" ] || fail "a node without cpus"

start_poold

step "pool-create nodes=1 takes the pCPUs of node 1; pool-list shows the nodes"
pc pool-create db nodes=1 || fail "pool-create db nodes=1"
assert_eq "db cpus" "$(cpus_norm "$n1")" "$(cpus_norm "$(pool_cpus db)")"
assert_eq "db nodes" 1 "$(pc --json pool-list | jq -r '.pools[] | select(.name == "db") | .nodes')"
pc pool-list | tee "$T/list"
head -n 1 "$T/list" | grep -Eq '^pool +cpus +nodes +sched +share +domains *$' ||
	fail "pool-list has no nodes column"
assert_pinned Domain-0 "$(cpus_norm "$n0")"

step "a guest xl placed (soft and node affinity of its choice) moved to db"
guest_create g 2
wait_until "dom_pool g"
xl vcpu-list g
xl list -n g
assert_pinned g "$(cpus_norm "$n0")"
pc pool-migrate g db || fail "pool-migrate g db"
xl vcpu-list g
xl list -n g
assert_pinned g "$(cpus_norm "$n1")"
assert_eq "g soft affinity in db" "$(cpus_norm "$n1")" "$(hv_soft g)"
assert_eq "g node affinity in db" 1 "$(hv_nodes g)"

step "back to pool0: node 0's"
pc pool-migrate g pool0 || fail "pool-migrate g pool0"
assert_pinned g "$(cpus_norm "$n0")"
assert_eq "g soft affinity in pool0" "$(cpus_norm "$n0")" "$(hv_soft g)"
assert_eq "g node affinity in pool0" 0 "$(hv_nodes g)"

step "a guest whose key names db is born with db's"
guest_create h 1
toolstack_set_pool "$(domid_of h)" db
wait_pinned h "$(cpus_norm "$n1")"
xl vcpu-list h
xl list -n h
assert_eq "h soft affinity" "$(cpus_norm "$n1")" "$(hv_soft h)"
assert_eq "h node affinity" 1 "$(hv_nodes h)"

step "a pool over both nodes: soft affinity every pCPU, node affinity both"
pc pool-modify db cpu="$(echo "$n0" | cut -d, -f2),$n1" || fail "pool-modify db over both nodes"
pc pool-migrate g db || fail "pool-migrate g db"
xl vcpu-list g
xl list -n g
assert_eq "g soft affinity over both nodes" "$(cpus_norm all)" "$(hv_soft g)"
assert_eq "g node affinity over both nodes" "0 1" "$(hv_nodes g)"

step "restarted with nothing changed, poold writes nothing"
stop_poold
start_poold
sleep 2
pc status
assert_eq "hypervisor writes after the restart" 0 "$(hv_writes)"
echo PASS
