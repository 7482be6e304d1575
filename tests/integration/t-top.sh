#!/bin/bash
# poolctl top: per pool and per domain CPU use, as poold's last share period measured it,
# held against xensim's own cpu_time, in batch mode (text and --json) and with the
# share controller off.
. "$(dirname "$0")/lib.sh"

# xensim's clock and each domain's cpu_time, in ns: "now=ns name=ns ...".
cpu_times()
{
	view | jq -r '["now=\(.now_ns)"] + [.domains[] | "\(.name)=\(.cpu_time)"] | join(" ")'
}

# Prints each named domain's % of one pCPU over $1 seconds of xensim's clock.
measure()
{
	local secs=$1 before after

	shift
	before=$(cpu_times)
	sleep "$secs"
	after=$(cpu_times)
	python3 - "$before" "$after" "$@" <<-'PY'
	import sys
	b = dict(kv.split("=") for kv in sys.argv[1].split())
	a = dict(kv.split("=") for kv in sys.argv[2].split())
	ns = int(a["now"]) - int(b["now"])
	print(" ".join("%.1f" % (100.0 * (int(a[n]) - int(b[n])) / ns) for n in sys.argv[3:]))
	PY
}

# Fails unless $2 is within $3 of $1.
near()
{
	python3 -c "import sys; sys.exit(0 if abs($1 - $2) <= $3 else 1)" ||
		fail "$4: want $1 +- $3, got $2"
}

# Prints column $3 (1-based) of the row of pool (or, with $1 = domains, domain) $2, by
# name, in the pools (domains) table of frame $4 of a top -b output in $T/top.
cell()
{
	awk -v table="$1" -v key="$2" -v col="$3" -v want="$4" '
		/^top:/ { frame++; part = "pools"; head = 1; next }
		frame != want { next }
		/^$/ { part = "domains"; head = 1; next }
		head { head = 0; next }
		part == table && $(table == "pools" ? 1 : 2) == key { print $col }' "$T/top"
}

"$XENSIM" --dir "$T" --topology 1x4x1 --nodes 1 --sched credit --clock real \
	>"$T/xensim.log" 2>&1 &
XENSIM_PID=$!
wait_until "sim show"
start_poold

# p1: a busy and b at half load on 2 pCPUs (75 % of the pool); pool0: c's 2 vCPUs busy
# on its 2 pCPUs (saturated) beside an idle dom0.
pc pool-create p1 cpu=2-3 >/dev/null
sim create a vcpus=1 pool=p1 >/dev/null
sim create b vcpus=1 pool=p1 >/dev/null
sim create c vcpus=2 >/dev/null
sim load b 50 >/dev/null
wait_pinned a 2-3
wait_pinned b 2-3
wait_pinned c 0-1
# Two share periods (1 s each) after every domain was placed: each one measured.
p0=$(pc --json status | jq .share_periods)
wait_until "[ \$(pc --json status | jq .share_periods) -ge $((p0 + 2)) ]"

step "top -b -n 2 -d 1: two frames, a second apart, exit 0"
t0=$(date +%s.%N)
pc top -b -n 2 -d 1 >"$T/top" || fail "top -b -n 2 -d 1 exited $?"
t1=$(date +%s.%N)
cat "$T/top"
assert_eq "frames" 2 "$(grep -c '^top:' "$T/top")"
python3 -c "import sys; sys.exit(0 if 1.0 <= $t1 - $t0 < 4 else 1)" ||
	fail "two frames -d 1 took $(python3 -c "print($t1 - $t0)") s"
# The domains table: domid name pool vcpus used% weight cap hv-weight hv-cap.
read -r ua ub uc < <(measure 1.5 a b c)
# poold measured over its last period (about 1 s of xensim's clock), xensim here over
# 1.5 s; the loads are steady, so the rates agree up to the scheduler's noise (t-share
# holds 3 % over such windows) and one walk step's offset: 5 % of a pCPU.
near "$ua" "$(cell domains a 5 2)" 5 "a's use in top (xensim: $ua)"
near "$ub" "$(cell domains b 5 2)" 5 "b's use in top (xensim: $ub)"
near "$uc" "$(cell domains c 5 2)" 5 "c's use in top (xensim: $uc)"
near 100 "$ua" 5 "a busy (xensim)"
near 50 "$ub" 5 "b at half load (xensim)"
assert_eq "a's pool in top" p1 "$(cell domains a 3 2)"
assert_eq "c's vCPUs in top" "$(hv_vcpus c)" "$(cell domains c 4 2)"
assert_eq "a's cap written, in top" "$(hv_cap a)" "$(cell domains a 9 2)"
assert_eq "b's weight written, in top" "$(hv_weight b)" "$(cell domains b 8 2)"

step "the pools: members, sums of their members' use, load, saturation"
# The pools table: pool ncpu cpus nodes members vcpus used% load% controller saturated.
assert_eq "p1's pCPUs" 2-3 "$(cell pools p1 3 2)"
assert_eq "p1's node" 0 "$(cell pools p1 4 2)"
assert_eq "p1's members (a, b)" 2 "$(cell pools p1 5 2)"
assert_eq "pool0's members (dom0, c)" 2 "$(cell pools pool0 5 2)"
assert_eq "pool0's vCPUs (dom0's 4 and c's 2)" $(($(hv_vcpus Domain-0) + 2)) \
	"$(cell pools pool0 6 2)"
sum=$(python3 -c "print($(cell domains a 5 2) + $(cell domains b 5 2))")
# Each use is rounded to a tenth: the sum of two may differ from their rounded sum by 0.1.
near "$sum" "$(cell pools p1 7 2)" 0.1 "p1's use, the sum of a's and b's"
near "$(python3 -c "print($sum / 2)")" "$(cell pools p1 8 2)" 0.1 "p1's load, of 2 pCPUs"
assert_eq "p1 at 75 % is not saturated" no "$(cell pools p1 10 2)"
assert_eq "pool0 at 100 % is saturated" yes "$(cell pools pool0 10 2)"
assert_eq "p1's controller (room: no caps)" idle "$(cell pools p1 9 2)"

step "top -n 2 --json: the raw replies, one per line"
pc top -b -n 2 -d 0.5 --json >"$T/top.jsonl" || fail "top --json exited $?"
assert_eq "lines" 2 "$(wc -l <"$T/top.jsonl")"
jq -e -s 'length == 2 and all(.[]; .pools and .domains and (.window > 0.5) and
	(.window < 1.5))' "$T/top.jsonl" >/dev/null || fail "replies: $(cat "$T/top.jsonl")"
near "$ua" "$(jq -s '.[1].domains[] | select(.name == "a") | .used' "$T/top.jsonl")" 5 \
	"a's use in the JSON reply"

step "share_control = off: use is still measured, the controller says off"
printf 'share_control = "off"\n' >"$T/poold.conf"
kill -HUP "$POOLD_PID"
wait_until "[ \"\$(pc --json status | jq -r .share_control)\" = off ]"
p0=$(pc --json status | jq .share_periods)
wait_until "[ \$(pc --json status | jq .share_periods) -ge $((p0 + 2)) ]"
pc top -b -n 1 >"$T/top" || fail "top -b -n 1 exited $?"
assert_eq "p1's controller with share_control = off" off "$(cell pools p1 9 1)"
near 100 "$(cell domains a 5 1)" 5 "a's use measured with the controller off"
near 50 "$(cell domains b 5 1)" 5 "b's use measured with the controller off"

step "errors: a bad -n is a usage error, no poold is exit 3"
expect_rc 2 pc top -b -n 0
grep -q -- "-n 0: give the number of frames" "$T/err" || fail "$(cat "$T/err")"
expect_rc 2 pc top -d 0.01
expect_rc 3 "$POOLCTL" -s "$T/nowhere.sock" top -b -n 1
echo "PASS"
