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
echo "PASS"
