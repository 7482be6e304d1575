#!/bin/bash
# Crash consistency: random changes, poold SIGKILLed at random moments and started again; no
# acknowledged change lost, none half-applied, the hypervisor converged, no temp file left.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-20}
CHANGES=${CRASH_CHANGES:-1000}
DOMS="g1 g2 g3 g4 g5 g6"
POOLS="p1 p2 pool0"

start_xensim 1x8x1 1 credit2
start_poold
pc pool-create p1 cpu=2-3 >/dev/null
pc pool-create p2 cpu=4-5 >/dev/null
declare -A W P CAP
for g in $DOMS; do
	sim create "$g" vcpus=2 >/dev/null
	W[$g]=256
	P[$g]=pool0
done
for p in $POOLS; do CAP[$p]=0; done
wait_settled

# What the command in flight when poold died would have made, if it made it: either value is fine.
UK=
UV=
pick() { local a=($1); echo "${a[RANDOM % ${#a[@]}]}"; }

# One random change; records it when acknowledged, as unknown when poold died under it.
change()
{
	local g p w c rc=0

	case $((RANDOM % 3)) in
	0)
		g=$(pick "$DOMS") w=$((1 + RANDOM % 2000))
		pc domain-set "$g" weight=$w >/dev/null 2>&1 || rc=$?
		[ $rc -eq 0 ] && W[$g]=$w || { UK="W $g"; UV=$w; }
		;;
	1)
		g=$(pick "$DOMS") p=$(pick "$POOLS")
		pc pool-migrate "$g" "$p" >/dev/null 2>&1 || rc=$?
		[ $rc -eq 0 ] && P[$g]=$p || { UK="P $g"; UV=$p; }
		;;
	2)
		p=$(pick "p1 p2") c=$((RANDOM % 3 * 50))
		pc pool-modify "$p" cap=$c >/dev/null 2>&1 || rc=$?
		[ $rc -eq 0 ] && CAP[$p]=$c || { UK="CAP $p"; UV=$c; }
		;;
	esac
	return $rc
}

# Takes the in-flight change's value when poold's state has it (it became durable unanswered).
settle_unknown()
{
	local kind key got

	[ -n "$UK" ] || return 0
	read -r kind key <<<"$UK"
	case $kind in
	W) got=$(jq -r --arg n "$key" '.domains[] | select(.name == $n) | .weight' "$T/dl") ;;
	P) got=$(jq -r --arg n "$key" '.domains[] | select(.name == $n) | .pool' "$T/dl") ;;
	CAP) got=$(jq -r --arg n "$key" '.pools[] | select(.name == $n) | .cap' "$T/pl") ;;
	esac
	if [ "$got" = "$UV" ]; then
		case $kind in
		W) W[$key]=$UV ;;
		P) P[$key]=$UV ;;
		CAP) CAP[$key]=$UV ;;
		esac
	fi
	UK=
}

check()
{
	local g p cpus got

	pc --json domain-list >"$T/dl"
	pc --json pool-list >"$T/pl"
	settle_unknown
	for p in $POOLS; do
		got=$(jq -r --arg n "$p" '.pools[] | select(.name == $n) | .cap' "$T/pl")
		[ "$got" = "${CAP[$p]}" ] || fail "round $1: pool $p cap $got, acknowledged ${CAP[$p]}"
	done
	wait_settled
	view >"$T/view"
	for g in $DOMS; do
		got=$(jq -r --arg n "$g" '.domains[] | select(.name == $n) | "\(.weight) \(.pool)"' "$T/dl")
		[ "$got" = "${W[$g]} ${P[$g]}" ] ||
			fail "round $1: $g has weight and pool $got, acknowledged ${W[$g]} ${P[$g]}"
		cpus=$(jq -r --arg n "${P[$g]}" '.pools[] | select(.name == $n) | .cpus' "$T/pl")
		got=$(jq -r --arg n "$g" '.domains[] | select(.name == $n) |
			"\(.weight) \([.vcpus[].hard] | unique | join(" "))"' "$T/view")
		[ "$got" = "${W[$g]} $cpus" ] ||
			fail "round $1: $g in the hypervisor: weight and cpus $got, want ${W[$g]} $cpus"
	done
	ls -a "$T" | grep -q '^\.state\.json\.' && fail "round $1: a temp file is left: $(ls -a "$T")"
	return 0
}

step "$ROUNDS rounds or more, until $CHANGES changes: changes until a SIGKILL at a random moment, a restart, the checks"
total=0
r=0
while [ $r -lt "$ROUNDS" ] || { [ $total -lt "$CHANGES" ] && [ $r -lt $((ROUNDS * 4)) ]; }; do
	r=$((r + 1))
	delay=$(awk -v x=$RANDOM 'BEGIN { printf "%.3f", 0.1 + x / 32768 * 0.7 }')
	(sleep "$delay" && kill -KILL "$POOLD_PID" 2>/dev/null) &
	killer=$!
	while change; do
		total=$((total + 1))
	done
	wait "$killer" || true
	wait "$POOLD_PID" 2>/dev/null || true
	POOLD_PID=
	start_poold
	check "$r"
done
echo "$r kills, $total acknowledged changes: none lost, none half-applied"
[ "$total" -ge "$CHANGES" ] || fail "only $total changes in $r rounds: the host is too slow"

echo "PASS"
