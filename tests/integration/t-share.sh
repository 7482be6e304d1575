#!/bin/bash
# The share controller on xensim's credit1 model, clock in real time: caps follow a changing load.
#
# xensim's credit1 splits a pinned pCPU 1:1 whatever the weights while the
# rest of the host idles (the seed's pitfall); the controller must turn
# 256:768 into 1:3 with caps, lift them when the pool has room, follow a
# member going idle and coming back, honour a pool cap, and leave a pool
# alone with share=off. Every figure comes from xensim's own cpu_time.
. "$(dirname "$0")/lib.sh"

# xensim's clock and the CPU time of each domain, in ns: "now=ns name=ns ..." on one line.
cpu_times()
{
	view | jq -r '["now=\(.now_ns)"] + [.domains[] | "\(.name)=\(.cpu_time)"] | join(" ")'
}

# Prints each domain's % of one pCPU over about $1 seconds of xensim's clock: "a b" for a b.
measure()
{
	local secs=$1
	shift
	local before after

	before=$(cpu_times)
	sleep "$secs"
	after=$(cpu_times)
	python3 - "$secs" "$before" "$after" "$@" <<-'EOF'
	import sys
	b = dict(kv.split("=") for kv in sys.argv[2].split())
	a = dict(kv.split("=") for kv in sys.argv[3].split())
	ns = int(a["now"]) - int(b["now"])
	print(" ".join("%.1f" % (100.0 * (int(a[n]) - int(b[n])) / ns) for n in sys.argv[4:]))
	EOF
}

# Fails unless $2 is within $3 of $1 (numbers).
near()
{
	python3 -c "import sys; sys.exit(0 if abs($1 - $2) <= $3 else 1)" ||
		fail "$4: want $1 +- $3, got $2"
}

# xensim with its clock in real time, so that cpu_time grows as on a real host.
start_xensim_real()
{
	"$XENSIM" --dir "$T" --topology 1x4x1 --nodes 1 --sched credit --clock real \
		>"$T/xensim.log" 2>&1 &
	XENSIM_PID=$!
	wait_until "sim show"
}

start_xensim_real
start_poold
printf 'share_period = "0.2"\n' >"$T/poold.conf"
kill -HUP "$POOLD_PID"
wait_until "[ \"\$(pc --json status | jq -r .share_period)\" = 0.2 ]"

step "two busy members 256:768 in a 1-pCPU pool: 1:1 without the controller"
pc pool-create p1 cpu=3 share=off >/dev/null
sim create a vcpus=1 pool=p1 >/dev/null
sim create b vcpus=1 pool=p1 >/dev/null
wait_pinned a 3
wait_pinned b 3
pc domain-set a weight=256 >/dev/null
pc domain-set b weight=768 >/dev/null
read -r ua ub < <(measure 1 a b)
near 50 "$ua" 3 "a's share with share=off (credit1 ignores weights under pinning)"
assert_eq "cap of a with share=off" 0 "$(hv_cap a)"

step "share=auto: caps make it 1:3 within a few periods"
pc pool-modify p1 share=auto >/dev/null
wait_until "[ \"\$(hv_cap a)\" != 0 ]" 5
sleep 0.6
read -r ua ub < <(measure 1.5 a b)
near 25 "$ua" 3 "a's share (weight 256 of 1024)"
near 75 "$ub" 3 "b's share (weight 768 of 1024)"
near 100 "$(python3 -c "print($ua + $ub)")" 3 "the pool's use (work-conserving)"
assert_eq "pool-list share state" capping "$(pc --json pool-list |
	jq -r '.pools[] | select(.name == "p1") | if .share_active then "capping" else .share end')"
ent=$(pc --json domain-list | jq -r '.domains[] | select(.name == "a") | .entitled')
near 25 "$ent" 1 "a's entitlement in domain-list"

step "steady load: no cap written once converged"
w0=$(hv_writes)
sleep 1.5
assert_eq "writes on a steady load" "$w0" "$(hv_writes)"

step "b goes idle: a takes the pCPU within 3 s"
sim load b 0 >/dev/null
wait_until "[ \"\$(hv_cap a)\" = 0 ] || [ \"\$(hv_cap a)\" -ge 95 ]" 3
read -r ua ub < <(measure 1 a b)
near 100 "$ua" 5 "a alone busy"

step "b comes back: 1:3 again"
sim load b 100 >/dev/null
sleep 1.5
read -r ua ub < <(measure 1.5 a b)
near 25 "$ua" 3 "a's share after b came back"
near 75 "$ub" 3 "b's share after b came back"

step "a user cap bounds the controller"
pc domain-set b cap=40 >/dev/null
sleep 1
read -r ua ub < <(measure 1.5 a b)
near 40 "$ub" 3 "b at its user cap"
near 60 "$ua" 4 "a takes what b's cap leaves"
[ "$(hv_cap b)" -le 40 ] || fail "b's cap $(hv_cap b) passes its user cap 40"
pc domain-set b cap=0 >/dev/null

step "a pool cap of 50: the members together stay at 50, split 1:3"
pc pool-modify p1 cap=50 >/dev/null
sleep 1.5
read -r ua ub < <(measure 1.5 a b)
near 50 "$(python3 -c "print($ua + $ub)")" 3 "the pool's use under its cap"
near 12.5 "$ua" 3 "a's part of the pool cap"
sim load b 0 >/dev/null
sleep 1.5
read -r ua ub < <(measure 1.5 a b)
near 50 "$ua" 4 "a alone gets the whole pool cap"
sim load b 100 >/dev/null
pc pool-modify p1 cap=0 >/dev/null

step "share=off lifts the caps at once"
pc pool-modify p1 share=off >/dev/null
assert_eq "cap of a" 0 "$(hv_cap a)"
assert_eq "cap of b" 0 "$(hv_cap b)"
assert_eq "p1's share setting in the state file" off \
	"$(jq -r '.pools[] | select(.name == "p1") | .share' "$T/state.json")"

echo "PASS"
