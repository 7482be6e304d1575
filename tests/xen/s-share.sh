#!/bin/sh
# CPU shares under poold's share controller against a native Xen cpupool of the same pCPUs.
#
# Three busy 1-vCPU guests are created once. First the reference: the same
# cases in a native cpupool "ref" ($SCHED) of the same pCPUs, before poold
# runs. Then the same cases through poold (pool-create, pool-migrate,
# domain-set). Every figure is Xen's own CPU time (xl list's Time(s)) over
# $WINDOW seconds after a settling time. One line per case:
#   SHARE case=256:768 sched=credit poold=25.3/74.7 native=25.9/74.1 diff=0.6 PASS
# Cases: 256:768 (2 guests, pCPU 3), 1:2:4 (3 guests, pCPUs 2-3), alone (one
# of the two on pCPU 3 busy: >= 90 % of the pool), cap50 (pool cap 50 on
# pCPU 3: 50 +- 5 % together), idle (the weight-4 guest of 1:2:4 paused: the
# other two take its share within 3 s).
. /tests/lib.sh

# Seconds: each measurement, and the settling before it (poold's controller acts every second).
WINDOW=20
SETTLE_NATIVE=3
SETTLE_POOLD=10
TOL=5
GUESTS="g1 g2 g3"
FAILED=
CTL=yes

# Leaves exactly the named guests running, every other of $GUESTS paused (Xen counts pauses).
run_only()
{
	for _g in $GUESTS; do
		_st=$(xl list "$_g" | awk 'NR == 2 { print substr($5, 3, 1) }')
		case " $* " in
		*" $_g "*) [ "$_st" = p ] && { xl unpause "$_g" || fail "xl unpause $_g"; } ;;
		*) [ "$_st" = p ] || xl pause "$_g" || fail "xl pause $_g" ;;
		esac
	done
	return 0
}

# Weighted water-filling of CAPACITY (% of one pCPU) over "WEIGHT:LIMIT ...": each member's
# entitlement as a split of their sum ("16.7/33.3/50.0"), the ideal a native cpupool nears.
ideal_split()
{
	echo "$*" | awk '{
		left = $1
		n = NF - 1
		for (i = 1; i <= n; i++) {
			split($(i + 1), p, ":")
			w[i] = p[1]
			lim[i] = p[2]
			done[i] = 0
		}
		for (;;) {
			W = 0
			for (i = 1; i <= n; i++)
				if (!done[i])
					W += w[i]
			if (W == 0)
				break
			fixed = 0
			for (i = 1; i <= n; i++)
				if (!done[i] && left * w[i] / W >= lim[i]) {
					e[i] = lim[i]
					done[i] = 1
					left -= lim[i]
					fixed = 1
				}
			if (!fixed) {
				for (i = 1; i <= n; i++)
					if (!done[i]) {
						e[i] = left * w[i] / W
						done[i] = 1
					}
				break
			}
		}
		s = 0
		for (i = 1; i <= n; i++)
			s += e[i]
		for (i = 1; i <= n; i++)
			printf "%s%.1f", (i > 1 ? "/" : ""), 100 * e[i] / s
		print ""
	}'
}

# "1:2.90": a cpu_window line's CPU times relative to the first domain's.
ratio_of()
{
	echo "$1" | awk '{
		printf "1"
		for (i = 3; i <= NF; i++)
			printf ":%.2f", ($2 > 0 ? $i / $2 : 0)
		print ""
	}'
}

# Measures the busy domains over $WINDOW s after $1 s of settling; sets M to the cpu_window line.
measure()
{
	_settle=$1
	shift
	sleep "$_settle"
	M=$(cpu_window "$WINDOW" "$@") || fail "measuring $*"
	echo "  Xen CPU time over ${WINDOW}s (wall, then $*): $M"
}

# The members left after one is paused: samples them for 12 s (one sample before the pause)
# and sets TO to "T90 FINAL SPACING" (see takeover). $1: the domain to pause, the rest: the
# members left.
measure_takeover()
{
	_victim=$1
	shift
	cpu_samples 0 0 "$@" >"$T/takeover" || fail "xl list"
	_a=$(uptime_s)
	xl pause "$_victim" || fail "xl pause $_victim"
	_b=$(uptime_s)
	# As for cpu_samples: xl acts late in its run, which takes up to seconds on a loaded host.
	_tp=$(echo "$_a $_b" | awk '{ printf "%.2f\n", $1 + 0.75 * ($2 - $1) }')
	cpu_samples 12 0.5 "$@" >>"$T/takeover" || fail "xl list"
	echo "  $_victim paused at $_tp (xl pause from $_a to $_b); samples (uptime, Time(s) of $*):"
	sed 's/^/    /' "$T/takeover"
	TO=$(takeover "$T/takeover" "$_tp")
}

# From cpu_samples lines of the members left and a pause at uptime $2: "T90 FINAL SPACING",
# i.e. the first sample after the pause from which their summed rate over >= 1.5 s reached
# 90 % of the final one (s after the pause, 99 if never: an upper bound, good to the sample
# spacing), the final rate (pCPUs, from 5 s after the pause on) and the mean spacing of the
# samples after the pause (s).
takeover()
{
	awk -v tp="$2" '
	{
		t[NR] = $1 - tp
		s = 0
		for (i = 2; i <= NF; i++)
			s += $i
		S[NR] = s
		n = NR
	}
	END {
		for (f = 1; f <= n && t[f] < 5; f++)
			;
		for (p = 1; p <= n && t[p] < 0; p++)
			;
		if (f >= n || p >= n) {
			print "99 0 99"
			exit
		}
		rf = (S[n] - S[f]) / (t[n] - t[f])
		t90 = 99
		for (k = p; k < n && t90 == 99; k++)
			for (j = k + 1; j <= n; j++)
				if (t[j] - t[k] >= 1.5) {
					if ((S[j] - S[k]) / (t[j] - t[k]) >= 0.9 * rf)
						t90 = t[k]
					break
				}
		printf "%.1f %.2f %.1f\n", t90, rf, (t[n] - t[p]) / (n - p)
	}' "$1"
}

verdict()
{
	if awk "BEGIN { exit !($1) }"; then
		echo PASS
	else
		echo FAIL
	fi
}

# Prints one table line and remembers a failure.
report()
{
	echo "SHARE $*"
	case "$*" in
	*" FAIL"*)
		_c=${1%% *}
		FAILED="$FAILED ${_c#case=}"
		;;
	esac
}

# poold's view of the members at the end of a case (used, entitled, share_cap: the controller).
show_domains()
{
	echo "  poolctl --json domain-list:"
	pc --json domain-list | jq -c '.domains[] | select(.name != "Domain-0") |
		{name, pool, weight, cap, hv_weight, hv_cap, used, entitled, share_cap}' |
		sed 's/^/    /'
	xl sched-"$SCHED" | sed 's/^/    xl: /'
}

# Checks in Xen's view that every named domain's cap is the share_cap poold reports (a cap of
# 100 % per vCPU or more is written as none); retried for 5 s, as the controller moves caps.
check_share_caps()
{
	[ "$CTL" = yes ] || return 0
	for _d in "$@"; do
		_n=10
		while :; do
			_want=$(pc --json domain-list | jq -r --arg n "$_d" '.domains[] |
				select(.name == $n) |
				if .share_cap >= 100 * .vcpus then 0 else .share_cap end')
			_got=$(hv_cap "$_d")
			[ "$_got" = "$_want" ] && break
			_n=$((_n - 1))
			if [ "$_n" -eq 0 ]; then
				echo "  $_d: Xen's cap is $_got, poold's share_cap says $_want"
				FAILED="$FAILED share_cap-$_d"
				break
			fi
			sleep 0.5
		done
	done
}

step "guests g1 g2 g3: 1 vCPU each, busy; created once, booted together in Pool-0"
for g in $GUESTS; do
	guest_create "$g" 1 poold_busy
done
run_only $GUESTS
for g in $GUESTS; do
	guest_wait_booted "$g" 180
done
# Each spins on a pCPU of its own (4 pCPUs, dom0 mostly idle) once its /init runs: wait for it,
# as a guest that does not spin is no load to share.
n=30
while :; do
	M=$(cpu_window 2 $GUESTS) || fail "xl list"
	echo "  Xen CPU time over 2s (wall, then $GUESTS): $M"
	echo "$M" | awk '{ for (i = 2; i <= NF; i++) if ($i < 0.8 * $1) exit 1 }' && break
	n=$((n - 1))
	[ "$n" -gt 0 ] ||
		fail "a guest is not busy (its /init spins when the command line says poold_busy)"
done
run_only
xl list

# ---- The reference: a native cpupool of the same pCPUs, before poold runs.

step "native: cpupool ref ($SCHED) of pCPU 3, g1 g2 weights 256:768"
xl cpupool-cpu-remove Pool-0 3 || fail "cpupool-cpu-remove Pool-0 3"
xl cpupool-create "name=\"ref\"" "sched=\"$SCHED\"" "cpus=\"3\"" || fail "cpupool-create ref"
for g in g1 g2; do
	xl cpupool-migrate "$g" ref || fail "cpupool-migrate $g ref"
done
# cpupool-migrate resets weights (and affinity): set them after.
xl sched-"$SCHED" -d g1 -w 256 || fail "weight g1"
xl sched-"$SCHED" -d g2 -w 768 || fail "weight g2"
xl cpupool-list
run_only g1 g2
measure "$SETTLE_NATIVE" g1 g2
N1=$(cpu_split "$M")
I1=$(ideal_split 100 256:100 768:100)
echo "SHARE-NATIVE case=256:768 sched=$SCHED split=$N1 ratio=$(ratio_of "$M")" \
	"use=$(cpu_use "$M" 1) ideal=$I1"

step "native: g1 alone busy on pCPU 3 (g2 paused)"
run_only g1
measure "$SETTLE_NATIVE" g1
N3=$(cpu_use "$M" 1)
echo "SHARE-NATIVE case=alone sched=$SCHED use=$N3"

step "native: ref grows to pCPUs 2-3, g1 g2 g3 weights 1:2:4"
xl cpupool-cpu-remove Pool-0 2 || fail "cpupool-cpu-remove Pool-0 2"
xl cpupool-cpu-add ref 2 || fail "cpupool-cpu-add ref 2"
xl cpupool-migrate g3 ref || fail "cpupool-migrate g3 ref"
xl sched-"$SCHED" -d g1 -w 1 || fail "weight g1"
xl sched-"$SCHED" -d g2 -w 2 || fail "weight g2"
xl sched-"$SCHED" -d g3 -w 4 || fail "weight g3"
xl cpupool-list
run_only g1 g2 g3
measure "$SETTLE_NATIVE" g1 g2 g3
N2=$(cpu_split "$M")
I2=$(ideal_split 200 1:100 2:100 4:100)
echo "SHARE-NATIVE case=1:2:4 sched=$SCHED split=$N2 ratio=$(ratio_of "$M")" \
	"use=$(cpu_use "$M" 2) ideal=$I2"

step "native: g3 paused mid-run, g1 g2 take its share"
measure_takeover g3 g1 g2
N5=$TO
echo "SHARE-NATIVE case=idle sched=$SCHED t90=$(echo "$N5" | cut -d' ' -f1)s" \
	"final=$(echo "$N5" | cut -d' ' -f2) spacing=$(echo "$N5" | cut -d' ' -f3)s"

step "native: back to Pool-0, ref destroyed"
run_only
for g in $GUESTS; do
	xl cpupool-migrate "$g" Pool-0 || fail "cpupool-migrate $g Pool-0"
done
xl cpupool-destroy ref || fail "cpupool-destroy ref"
for c in 2 3; do
	xl cpupool-cpu-add Pool-0 "$c" || fail "cpupool-cpu-add Pool-0 $c"
done
xl cpupool-list
pool0=$(xl cpupool-list -c | awk '$1 == "Pool-0" { print $2 }')
assert_eq "Pool-0's pCPUs" "0 1 2 3" "$(cpus_norm "$pool0")"

# The reference must itself be what Xen's weights mean, or nothing is compared.
[ "$(split_diff "$N1" "$I1" | awk '{ print ($1 <= 8) }')" = 1 ] ||
	fail "the native reference 256:768 ($N1) is not near the ideal $I1: check the CPU model"
[ "$(split_diff "$N2" "$I2" | awk '{ print ($1 <= 8) }')" = 1 ] ||
	fail "the native reference 1:2:4 ($N2) is not near the ideal $I2: check the CPU model"
awk "BEGIN { exit !($N3 >= 90) }" || fail "native: g1 alone got only $N3 % of pCPU 3"

# ---- The same cases through poold.

step "poold with share_control = auto, share_period = 1"
POOLD_CONF='share_control = "auto"\nshare_period = 1\n'
start_poold
if grep -q 'unknown key "share_' "$T/poold.log"; then
	CTL=no
	echo "poold has no share controller: it ignores share_control/share_period:"
	grep 'unknown key' "$T/poold.log"
fi
if ! pc --json domain-list | jq -e '.domains | length > 0 and
	all(has("used") and has("entitled") and has("share_cap"))' >/dev/null; then
	CTL=no
	echo "poold has no share controller: domain-list has no used/entitled/share_cap"
fi
[ "$CTL" = yes ] || echo "FAIL: poold has no share controller; the cases run anyway for the table"

pc pool-create share cpu=3 || fail "pool-create share cpu=3"
pc pool-migrate g1 share || fail "pool-migrate g1 share"
pc pool-migrate g2 share || fail "pool-migrate g2 share"
pc domain-set g1 weight=256 || fail "domain-set g1 weight=256"
pc domain-set g2 weight=768 || fail "domain-set g2 weight=768"
wait_pinned g1 3
wait_pinned g2 3

step "poold: g1 g2 weights 256:768 in pool share (pCPU 3)"
run_only g1 g2
measure "$SETTLE_POOLD" g1 g2
P1=$(cpu_split "$M")
D1=$(split_diff "$P1" "$N1")
check_share_caps g1 g2
report "case=256:768 sched=$SCHED poold=$P1 native=$N1 diff=$D1" \
	"$(verdict "$D1 <= $TOL") (ratio $(ratio_of "$M"), use $(cpu_use "$M" 1) %, ideal $I1)"
show_domains

step "poold: g1 alone busy (g2 paused)"
run_only g1
measure "$SETTLE_POOLD" g1
P3=$(cpu_use "$M" 1)
report "case=alone sched=$SCHED poold=$P3 native=$N3 want>=90 $(verdict "$P3 >= 90")"
show_domains

step "poold: pool cap 50 on pool share, g1 g2 busy"
pc pool-modify share cap=50 || fail "pool-modify share cap=50"
run_only g1 g2
measure "$SETTLE_POOLD" g1 g2
P4=$(cpu_use "$M" 1)
report "case=cap50 sched=$SCHED poold=$P4 native=n/a want=50+-5" \
	"$(verdict "$P4 >= 45 && $P4 <= 55") (split $(cpu_split "$M"))"
show_domains
pc pool-modify share cap=0 || fail "pool-modify share cap=0"

step "poold: pool share grows to pCPUs 2-3, g1 g2 g3 weights 1:2:4"
pc pool-modify share cpu=2-3 || fail "pool-modify share cpu=2-3"
pc pool-migrate g3 share || fail "pool-migrate g3 share"
pc domain-set g1 weight=1 || fail "domain-set g1 weight=1"
pc domain-set g2 weight=2 || fail "domain-set g2 weight=2"
pc domain-set g3 weight=4 || fail "domain-set g3 weight=4"
for g in $GUESTS; do
	wait_pinned "$g" 2-3
done
run_only g1 g2 g3
measure "$SETTLE_POOLD" g1 g2 g3
P2=$(cpu_split "$M")
D2=$(split_diff "$P2" "$N2")
check_share_caps g1 g2 g3
report "case=1:2:4 sched=$SCHED poold=$P2 native=$N2 diff=$D2" \
	"$(verdict "$D2 <= $TOL") (ratio $(ratio_of "$M"), use $(cpu_use "$M" 2) %, ideal $I2)"
show_domains

step "poold: g3 paused mid-run, g1 g2 take its share"
measure_takeover g3 g1 g2
P5=$TO
t90=$(echo "$P5" | cut -d' ' -f1)
fin=$(echo "$P5" | cut -d' ' -f2)
report "case=idle sched=$SCHED poold=t90=${t90}s native=t90=$(echo "$N5" | cut -d' ' -f1)s" \
	"want<=3s $(verdict "$t90 <= 3 && $fin >= 1.8")" \
	"(final $fin/$(echo "$N5" | cut -d' ' -f2) pCPUs," \
	"samples every $(echo "$P5" | cut -d' ' -f3)/$(echo "$N5" | cut -d' ' -f3) s)"
show_domains

[ "$CTL" = yes ] ||
	fail "poold has no share controller (share_control; domain-list used/entitled/share_cap)"
[ -z "$FAILED" ] || fail "failed:$FAILED"
echo PASS
