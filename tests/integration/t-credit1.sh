#!/bin/bash
# credit1 weights are rescaled so that each pool's weight mass follows its pCPUs.
. "$(dirname "$0")/lib.sh"

start_xensim 2x4x2 2 credit
start_poold

step "alone in pool0, dom0 gets the average weight"
assert_eq "dom0 weight" 256 "$(hv_weight Domain-0)"

step "a 2-vCPU guest in a 4-pCPU pool"
pc pool-create pool1 cpu=8-11
sim create g vcpus=2 pool=pool1 >/dev/null
wait_pinned g "8-11"
# A = 16 + 2 vCPUs, N = 16 pCPUs: K = 256 * 18 / 16 = 288.
# g: 288 * 4 * 256 / (256 * 2) = 576; dom0: 288 * 12 * 256 / (256 * 16) = 216.
wait_until "[ \"\$(hv_weight g)\" = 576 ]"
assert_eq "dom0 weight" 216 "$(hv_weight Domain-0)"

step "weights are relative within the pool"
sim create h vcpus=2 pool=pool1 >/dev/null
wait_pinned h "8-11"
pc domain-set h weight=768
# A = 20, K = 320; U = 256*2 + 768*2 = 2048; g: 320*4*256/2048 = 160, h: 480;
# dom0: 320 * 12 * 256 / 4096 = 240.
assert_eq "g weight" 160 "$(hv_weight g)"
assert_eq "h weight" 480 "$(hv_weight h)"
assert_eq "dom0 weight" 240 "$(hv_weight Domain-0)"
pc --json domain-list | jq -e '.domains[] | select(.name=="h") | .weight == 768 and .hv_weight == 480' >/dev/null ||
	fail "domain-list does not show user and written weight"

step "a pool cap is split among members by weight"
pc pool-modify pool1 cap=200
assert_eq "g cap" 50 "$(hv_cap g)"
assert_eq "h cap" 150 "$(hv_cap h)"
echo "PASS"
