#!/bin/bash
# credit1 weights are rescaled so that each pool's weight mass follows its pCPUs.
. "$(dirname "$0")/lib.sh"

# The rule of poold(8): a pool's ideal scale is 256 * A / N * n_P / U_P; its
# weights are round(2^(k/16) * u) for the grid step k it holds, kept while
# 16 * log2(ideal) is within 1 of k, else the nearest step.

# ideal A N N_P U_P: the ideal scale.
ideal()
{
	awk -v a="$1" -v n="$2" -v np="$3" -v u="$4" 'BEGIN { printf "%.17g\n", 256 * a / n * np / u }'
}

# pos IDEAL: where the ideal lies on the grid, 16 * log2(IDEAL).
pos()
{
	awk -v s="$1" 'BEGIN { printf "%.17g\n", 16 * log(s) / log(2) }'
}

# step_of HELD IDEAL: the step a pool holds after a pass; HELD "" = none yet.
step_of()
{
	awk -v h="$1" -v s="$2" 'BEGIN {
		x = 16 * log(s) / log(2)
		if (h == "" || x - h > 1 || h - x > 1)
			h = x < 0 ? -int(-x + 0.5) : int(x + 0.5)
		print h
	}'
}

# w_of STEP U: round(2^(STEP/16) * U).
w_of()
{
	awk -v k="$1" -v u="$2" 'BEGIN { printf "%d\n", int(exp(k / 16 * log(2)) * u + 0.5) }'
}

start_xensim 2x4x2 2 credit
start_poold
V0=$(hv_vcpus Domain-0)

step "alone in pool0, dom0 gets the average weight"
# A = N = n_P = 16, U_P = 256 * 16: ideal 1, step 0.
S0=$(step_of "" "$(ideal "$V0" 16 16 $((256 * V0)))")
assert_eq "pool0's step" 0 "$S0"
assert_eq "dom0 weight" 256 "$(hv_weight Domain-0)"

step "a 2-vCPU guest in a 4-pCPU pool"
pc pool-create pool1 cpu=8-11
sim create g vcpus=2 pool=pool1 >/dev/null
wait_pinned g "8-11"
# A = 16 + 2 vCPUs, N = 16 pCPUs: K = 288; ideal scales 288 * 12 / 4096 = 0.84 (pool0)
# and 288 * 4 / 512 = 2.25 (pool1).
S0=$(step_of "$S0" "$(ideal $((V0 + 2)) 16 12 $((256 * V0)))")
S1=$(step_of "" "$(ideal $((V0 + 2)) 16 4 512)")
want=$(w_of "$S1" 256)
wait_until "[ \"\$(hv_weight g)\" = $want ]"
assert_eq "dom0 weight" "$(w_of "$S0" 256)" "$(hv_weight Domain-0)"

step "weights are relative within the pool"
sim create h vcpus=2 pool=pool1 >/dev/null
wait_pinned h "8-11"
S0=$(step_of "$S0" "$(ideal $((V0 + 4)) 16 12 $((256 * V0)))")
S1=$(step_of "$S1" "$(ideal $((V0 + 4)) 16 4 1024)")
pc domain-set h weight=768
# U_P = 256 * 2 + 768 * 2: one scale for both, 1:3 up to rounding.
S1=$(step_of "$S1" "$(ideal $((V0 + 4)) 16 4 2048)")
hw=$(w_of "$S1" 768)
assert_eq "g weight" "$(w_of "$S1" 256)" "$(hv_weight g)"
assert_eq "h weight" "$hw" "$(hv_weight h)"
assert_eq "dom0 weight" "$(w_of "$S0" 256)" "$(hv_weight Domain-0)"
pc --json domain-list | jq -e --argjson w "$hw" \
	'.domains[] | select(.name=="h") | .weight == 768 and .hv_weight == $w' >/dev/null ||
	fail "domain-list does not show user and written weight"

step "a pool cap is split among members by weight"
pc pool-modify pool1 cap=200
assert_eq "g cap" 50 "$(hv_cap g)"
assert_eq "h cap" 150 "$(hv_cap h)"
pc pool-modify pool1 cap=0

step "one more guest in a populated pool writes only its own affinity and weight"
stop_poold
M=40
for ((i = 0; i < M; i++)); do
	sim create "f$i" vcpus=1 pool=pool1 >/dev/null
done
start_poold
wait_pinned "f$((M - 1))" "8-11"
# A fresh start: each pool on the step nearest its ideal.
A=$((V0 + 4 + M))
U1=$((2048 + 256 * M))
S0=$(step_of "" "$(ideal $A 16 12 $((256 * V0)))")
S1=$(step_of "" "$(ideal $A 16 4 $U1)")
wait_until "[ \"\$(hv_weight f0)\" = $(w_of "$S1" 256) ]"
assert_eq "h weight" "$(w_of "$S1" 768)" "$(hv_weight h)"
assert_eq "dom0 weight" "$(w_of "$S0" 256)" "$(hv_weight Domain-0)"
# One more 1-vCPU guest moves both ideals by less than the band: no pool is rescaled.
for p in "$S0 $(ideal $((A + 1)) 16 12 $((256 * V0)))" "$S1 $(ideal $((A + 1)) 16 4 $((U1 + 256)))"; do
	set -- $p
	awk -v k="$1" -v x="$(pos "$2")" 'BEGIN { exit !(x - k <= 1 && k - x <= 1) }' ||
		fail "the test's premise: ideal $2 is out of the band of step $1"
done
view | jq -S '[.domains[] | {name, weight, cap}]' >"$T/weights.before"
sim reset-counters
sim create new vcpus=1 pool=pool1 >/dev/null
wait_pinned new "8-11"
wait_until "[ \"\$(hv_weight new)\" = $(w_of "$S1" 256) ]"
counters=$(view | jq -c '.counters')
assert_eq "set_affinity for the new guest's one vCPU" 1 "$(jq -r .set_affinity <<<"$counters")"
assert_eq "set_sched for the new guest alone" 1 "$(jq -r .set_sched <<<"$counters")"
# Its node affinity too (node 1 here): pool1's nodes, written at birth.
assert_eq "set_node_affinity for the new guest" 1 "$(jq -r .set_node_affinity <<<"$counters")"
assert_eq "hypervisor writes" 3 "$(jq -r .writes <<<"$counters")"
view | jq -S '[.domains[] | select(.name != "new") | {name, weight, cap}]' |
	diff -u "$T/weights.before" - || fail "another domain's weight or cap changed"
echo "PASS"
