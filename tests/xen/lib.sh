# Helpers of the xen scenarios (busybox sh in the test dom0): run poold, read Xen's own view.
#
# A scenario sources this file, starts poold with start_poold, drives it with
# `pc` (poolctl) and checks the effect through xl and xenstore, never only
# through what poold reports. The working directory is the scenario's own
# (/tmp/s-NAME); $SCHED is the scheduler Xen booted with.

set -u

T=$(pwd)
SCHED=${SCHED:-credit2}
POOLD_PID=
NR_CPUS=$(xl info | awk '$1 == "nr_cpus" { print $3 }')
TEST_NAME=$(basename "$0" .sh)

on_exit()
{
	rc=$?
	[ -n "$POOLD_PID" ] && kill -KILL "$POOLD_PID" 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		echo "--- $TEST_NAME failed (rc $rc); xl vcpu-list:"
		xl vcpu-list
		echo "--- poold log (last 60 lines):"
		tail -n 60 "$T/poold.log" 2>/dev/null
	fi
	exit "$rc"
}
trap on_exit EXIT

fail()
{
	echo "FAIL: $*"
	exit 1
}

step()
{
	echo "== $TEST_NAME [$(cut -d' ' -f1 /proc/uptime)]: $*"
}

# Retries a command until it succeeds, for up to $2 seconds (default 20).
wait_until()
{
	_cmd=$1
	_n=$((${2:-20} * 5))
	while [ "$_n" -gt 0 ]; do
		eval "$_cmd" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	fail "timed out after ${2:-20}s waiting for: $_cmd"
}

# Expands an xl cpu list ("0-2,5", "all", "0,^1") into sorted numbers ("0 1 2 5").
cpus_norm()
{
	echo "$1" | awk -v n="$NR_CPUS" '
	{
		if ($0 == "all" || $0 == "any cpu") { for (i = 0; i < n; i++) set[i] = 1 }
		else if ($0 != "none" && $0 != "") {
			k = split($0, part, /[, ]+/)
			for (j = 1; j <= k; j++) {
				p = part[j]; neg = 0
				if (p == "") continue
				if (substr(p, 1, 1) == "^") { neg = 1; p = substr(p, 2) }
				if (p == "all") { lo = 0; hi = n - 1 }
				else if (index(p, "-")) { split(p, r, "-"); lo = r[1]; hi = r[2] }
				else { lo = p; hi = p }
				for (i = lo + 0; i <= hi + 0; i++) { if (neg) delete set[i]; else set[i] = 1 }
			}
		}
		out = ""
		for (i = 0; i < 4096; i++) if (i in set) out = out (out == "" ? "" : " ") i
		print out
	}'
}

# The distinct hard affinities of a domain's vCPUs, as xl reports them (normalized, "|" between).
hv_hard()
{
	xl vcpu-list "$1" | awk 'NR > 1 { print $7 }' | while read -r a; do
		cpus_norm "$a"
	done | sort -u | awk '{ printf "%s%s", (NR > 1 ? " | " : ""), $0 } END { print "" }'
}

hv_vcpus()
{
	xl vcpu-list "$1" | awk 'NR > 1' | wc -l
}

# Weight and cap as the scheduler of the boot reports them.
hv_weight()
{
	xl sched-"$SCHED" -d "$1" | awk 'NR > 1 { print $3 }'
}

hv_cap()
{
	xl sched-"$SCHED" -d "$1" | awk 'NR > 1 { print $4 }'
}

domid_of()
{
	xl domid "$1"
}

assert_eq()
{
	[ "$3" = "$2" ] || fail "$1: want '$2', got '$3'"
}

# Checks in Xen's view that every vCPU of a domain is pinned to exactly these cpus.
assert_pinned()
{
	assert_eq "hard affinity of every vCPU of $1" "$(cpus_norm "$2")" "$(hv_hard "$1")"
}

wait_pinned()
{
	wait_until "[ \"\$(hv_hard $1)\" = \"\$(cpus_norm '$2')\" ]" "${3:-20}"
	assert_pinned "$1" "$2"
}

# Creates a paused PV guest (the same kernel as dom0, a busybox initrd).
guest_create()
{
	_name=$1
	_vcpus=${2:-1}
	cat >"$T/$_name.cfg" <<-EOF
	name = "$_name"
	type = "pv"
	kernel = "/guest/vmlinuz"
	ramdisk = "/guest/initrd.gz"
	extra = "console=hvc0 loglevel=3 ${3:-}"
	memory = 128
	vcpus = $_vcpus
	on_crash = "destroy"
	EOF
	xl create -p -q "$T/$_name.cfg" >"$T/$_name.create.log" 2>&1 || {
		cat "$T/$_name.create.log"
		fail "xl create $_name"
	}
}

# Writes a pool key as a dom0 toolstack does: dom0 owns it, the guest may only read.
toolstack_set_pool()
{
	xenstore-write "/local/domain/$1/pool" "$2" || fail "xenstore-write pool of $1"
	xenstore-chmod "/local/domain/$1/pool" n0 "r$1" || fail "xenstore-chmod pool of $1"
}

# Starts poold in the foreground; $POOLD_CONF (if set) is its poold.conf, printf-expanded.
start_poold()
{
	printf "%b" "${POOLD_CONF:-}" >"$T/poold.conf"
	poold -d -v -v -f "$T/poold.conf" --backend xen -s "$T/poold.sock" \
		--state "$T/state.json" "$@" >>"$T/poold.log" 2>&1 &
	POOLD_PID=$!
	wait_until "pc status" 60
}

stop_poold()
{
	kill -TERM "$POOLD_PID"
	wait "$POOLD_PID"
	_rc=$?
	POOLD_PID=
	[ "$_rc" -eq 0 ] || fail "poold exited with $_rc on SIGTERM"
}

kill_poold()
{
	kill -KILL "$POOLD_PID"
	wait "$POOLD_PID" 2>/dev/null
	POOLD_PID=
}

pc()
{
	poolctl -s "$T/poold.sock" "$@"
}

pool_cpus()
{
	pc --json pool-list | jq -er --arg p "$1" '.pools[] | select(.name == $p) | .cpus'
}

dom_pool()
{
	pc --json domain-list | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .pool'
}

hv_writes()
{
	pc --json status | jq -er '.hv_writes'
}

# Runs a command that must fail with exit code $1; its stderr goes to $T/err.
expect_rc()
{
	_want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	_rc=$?
	[ "$_rc" -eq "$_want" ] || {
		cat "$T/out" "$T/err"
		fail "'$*' exited $_rc, want $_want"
	}
}

uptime_s()
{
	cut -d' ' -f1 /proc/uptime
}

# Waits until a guest's kernel is up: it has written control/feature-poweroff (libxl made it empty).
guest_wait_booted()
{
	_id=$(domid_of "$1") || fail "no domain $1"
	_key=/local/domain/$_id/control/feature-poweroff
	wait_until "[ \"\$(xenstore-read $_key)\" = 1 ]" "${2:-120}"
}

# Samples Xen's CPU time of domains (xl list's Time(s)) every ~$2 s (or as fast as xl answers)
# for $1 s (0: once), one line "UPTIME T1 T2 ..." per sample. xl list takes ~0.5-1 s in dom0
# under TCG and reads the domains late in its run: UPTIME is taken 3/4 into the call (rates of
# pinned busy guests, known to be 1.0, jitter least so). One awk runs the loop: forks cost.
cpu_samples()
{
	_dur=$1
	_iv=$2
	shift 2
	awk -v dur="$_dur" -v iv="$_iv" -v names="$*" '
	function now(   l, f) {
		getline l <"/proc/uptime"
		close("/proc/uptime")
		split(l, f, " ")
		return f[1] + 0
	}
	BEGIN {
		n = split(names, w, " ")
		end = now() + dur
		while (1) {
			split("", t)
			a = now()
			while (("xl list" | getline l) > 0) {
				k = split(l, f, " ")
				t[f[1]] = f[k]
			}
			close("xl list")
			m = a + 0.75 * (now() - a)
			out = sprintf("%.2f", m)
			for (i = 1; i <= n; i++) {
				if (!(w[i] in t)) {
					print "cpu_samples: no domain " w[i] >"/dev/stderr"
					exit 1
				}
				out = out " " t[w[i]]
			}
			print out
			fflush()
			if (m >= end)
				break
			# xl list alone can take longer than $2 under TCG: sleep only what is left.
			left = iv - (now() - a)
			if (left >= 0.05)
				system("sleep " left)
		}
	}'
}

# Xen's CPU time of domains over about $1 seconds: "WALL D1 D2 ..." (seconds).
cpu_window()
{
	_w=$1
	shift
	_a=$(cpu_samples 0 0 "$@") || fail "xl list"
	sleep "$_w"
	_b=$(cpu_samples 0 0 "$@") || fail "xl list"
	echo "$_a $_b" | awk '{
		n = NF / 2
		printf "%.2f", $(n + 1) - $1
		for (i = 2; i <= n; i++)
			printf " %.1f", $(n + i) - $i
		print ""
	}'
}

# Each domain's share (%) of the CPU time a cpu_window line sums: "25.3/74.7".
cpu_split()
{
	echo "$1" | awk '{
		s = 0
		for (i = 2; i <= NF; i++)
			s += $i
		for (i = 2; i <= NF; i++)
			printf "%s%.1f", (i > 2 ? "/" : ""), (s > 0 ? 100 * $i / s : 0)
		print ""
	}'
}

# The CPU time of a cpu_window line as % of $2 pCPUs over its wall time: "99.6".
cpu_use()
{
	echo "$1" | awk -v n="$2" '{
		s = 0
		for (i = 2; i <= NF; i++)
			s += $i
		printf "%.1f\n", 100 * s / ($1 * n)
	}'
}

# The largest difference, in percentage points, between two splits ("25.3/74.7" "25.9/74.1").
split_diff()
{
	echo "$1 $2" | awk '{
		n = split($1, a, "/")
		if (split($2, b, "/") != n) {
			print "999"
			exit
		}
		m = 0
		for (i = 1; i <= n; i++) {
			d = a[i] - b[i]
			if (d < 0)
				d = -d
			if (d > m)
				m = d
		}
		printf "%.1f\n", m
	}'
}
