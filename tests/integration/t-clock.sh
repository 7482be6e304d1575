#!/bin/bash
# xensim --clock real: cpu_time grows with real time, by the scheduler's rules and each guest's load.
. "$(dirname "$0")/lib.sh"

# One look at the host: "now_ns wall_ns cpu_time..." for the named domains, in that order.
snap()
{
	local wall

	wall=$(date +%s%N)
	view | jq -r --arg wall "$wall" --args \
		'[.now_ns, ($wall | tonumber)] + [.domains as $d | $ARGS.positional[] as $n
		  | $d[] | select(.name == $n) | .cpu_time] | map(tostring) | join(" ")' "$@"
}

# Checks that lo <= value <= hi, all decimal numbers.
within()
{
	local what=$1 value=$2 lo=$3 hi=$4

	python3 -c "import sys; v, lo, hi = map(float, sys.argv[1:]); sys.exit(not lo <= v <= hi)" \
		"$value" "$lo" "$hi" || fail "$what: $value not within [$lo, $hi]"
	echo "   $what: $value"
}

# Prints the ratio a / b of two decimal numbers.
ratio()
{
	python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(round(a / b, 4))" "$1" "$2"
}

start_xensim 1x4x1 1 credit2 --clock real
grep -q "clock real" "$T/xensim.log" || fail "the ready line does not say clock real"
sim create busy cpus=0 >/dev/null
sim create half cpus=1 load=50 >/dev/null
sim create idle cpus=2 load=0 >/dev/null
sim create paused cpus=3 paused >/dev/null
assert_eq "half's load" 50 "$(view | jq -r '.domains[] | select(.name == "half") | .load')"

step "over 2 s of real time: busy runs one pCPU, half half of one, idle and paused nothing"
read -r n0 w0 b0 h0 i0 p0 <<<"$(snap busy half idle paused)"
sleep 2
read -r n1 w1 b1 h1 i1 p1 <<<"$(snap busy half idle paused)"
dn=$((n1 - n0)) dw=$((w1 - w0))
# Both readings ride on separate processes: allow their start-up on a loaded machine.
within "simulated / real seconds" "$(ratio "$dn" "$dw")" 0.8 1.2
within "busy, pCPUs per real second" "$(ratio $((b1 - b0)) "$dw")" 0.8 1.2
within "half, pCPUs per real second" "$(ratio $((h1 - h0)) "$dw")" 0.4 0.6
# Against the simulated clock the model is exact: no tolerance beyond rounding.
within "busy, pCPUs per simulated second" "$(ratio $((b1 - b0)) "$dn")" 0.999 1.001
within "half, pCPUs per simulated second" "$(ratio $((h1 - h0)) "$dn")" 0.4995 0.5005
assert_eq "idle's cpu_time" "$i0" "$i1"
assert_eq "paused's cpu_time" 0 "$p1"

step "a load change applies from the request on"
sim load half 100
read -r n0 w0 b0 h0 <<<"$(snap busy half)"
sleep 1
read -r n1 w1 b1 h1 <<<"$(snap busy half)"
within "half at load 100, pCPUs per simulated second" "$(ratio $((h1 - h0)) $((n1 - n0)))" \
	0.999 1.001

step "two guests on one pCPU share it by weight, in real time too"
sim create heavy cpus=0 weight=768 >/dev/null
read -r n0 w0 b0 v0 <<<"$(snap busy heavy)"
sleep 1
read -r n1 w1 b1 v1 <<<"$(snap busy heavy)"
within "busy (256) beside heavy (768)" "$(ratio $((b1 - b0)) $((n1 - n0)))" 0.249 0.251
within "heavy" "$(ratio $((v1 - v0)) $((n1 - n0)))" 0.749 0.751

step "run still jumps ahead in simulated time"
read -r n0 w0 <<<"$(snap)"
sim run 5000
read -r n1 w1 <<<"$(snap)"
within "simulated seconds over a run 5000" "$(ratio $((n1 - n0)) 1000000000)" 5 5.5

step "the default clock is manual: time stands still without run"
stop_xensim
start_xensim 1x4x1 1 credit2
sim create busy cpus=0 >/dev/null
read -r n0 w0 b0 <<<"$(snap busy)"
sleep 0.5
read -r n1 w1 b1 <<<"$(snap busy)"
assert_eq "now_ns without run" 0 "$n1"
assert_eq "busy's cpu_time without run" 0 "$b1"
sim run 100
assert_eq "now_ns after run 100" 100000000 "$(view | jq -r .now_ns)"
echo "PASS"
