# Shared harness of the integration tests: a real xensim, poold and poolctl in a temp dir.
#
# A test sources this file, calls start_xensim and start_poold, drives poold
# with `pc` (poolctl) and the simulated host with `sim` (xensim ctl), and
# checks the effect in xensim's own view (`view`), never only in poold's
# report. Everything lives in $T, removed on exit; the daemons die with the
# test.

set -euo pipefail

: "${POOLD:?path to poold}"
: "${POOLCTL:?path to poolctl}"
: "${XENSIM:?path to xensim}"

T=$(mktemp -d "${TMPDIR:-/tmp}/poold-it.XXXXXX")
export XENSIM_DIR=$T
export XENSTORED_PATH=$T/xenstore.sock
export POOLD_SOCKET=$T/poold.sock
XENSIM_PID=
POOLD_PID=
TEST_NAME=$(basename "$0" .sh)

cleanup()
{
	local rc=$?

	[ -n "$POOLD_PID" ] && kill "$POOLD_PID" 2>/dev/null && wait "$POOLD_PID" 2>/dev/null
	[ -n "$XENSIM_PID" ] && kill "$XENSIM_PID" 2>/dev/null && wait "$XENSIM_PID" 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		echo "--- $TEST_NAME failed (rc $rc); poold log:" >&2
		cat "$T/poold.log" >&2 2>/dev/null || true
		echo "--- xensim log:" >&2
		cat "$T/xensim.log" >&2 2>/dev/null || true
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

step()
{
	echo "== $*"
}

# Retries a command until it succeeds, for up to $2 seconds (default 10).
wait_until()
{
	local cmd=$1 limit=${2:-10} i

	for ((i = 0; i < limit * 20; i++)); do
		if eval "$cmd" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	fail "timed out after ${limit}s waiting for: $cmd"
}

# Starts xensim with a topology (SxCxT), nodes and scheduler; extra arguments go to xensim.
start_xensim()
{
	local topo=${1:-2x4x2} nodes=${2:-2} sched=${3:-credit2}

	"$XENSIM" --dir "$T" --topology "$topo" --nodes "$nodes" --sched "$sched" "${@:4}" \
		>"$T/xensim.log" 2>&1 &
	XENSIM_PID=$!
	wait_until "sim show"
}

# Starts poold against xensim; extra arguments go to poold.
start_poold()
{
	: >"$T/poold.conf"
	"$POOLD" -d -v -v -f "$T/poold.conf" --backend sim --sim-socket "$T/hv.sock" \
		--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
		"$@" >>"$T/poold.log" 2>&1 &
	POOLD_PID=$!
	wait_until "pc status"
}

# Waits until poold has no work left (status pending 0) and its records are saved
# (a rescan's save follows it by 50 ms).
wait_settled()
{
	wait_until "[ \"\$(pc --json status | jq .pending)\" = 0 ]"
	sleep 0.2
}

# Stops xensim with SIGTERM and waits for it; fails if it does not exit 0.
stop_xensim()
{
	local rc=0

	kill -TERM "$XENSIM_PID"
	wait "$XENSIM_PID" || rc=$?
	XENSIM_PID=
	[ "$rc" -eq 0 ] || fail "xensim exited with $rc on SIGTERM"
}

# Stops poold with SIGTERM and waits for it; fails if it does not exit 0.
stop_poold()
{
	local rc=0

	kill -TERM "$POOLD_PID"
	wait "$POOLD_PID" || rc=$?
	POOLD_PID=
	[ "$rc" -eq 0 ] || fail "poold exited with $rc on SIGTERM"
}

pc()
{
	"$POOLCTL" -s "$T/poold.sock" "$@"
}

sim()
{
	"$XENSIM" ctl -S "$T/hv.sock" "$@"
}

# create_guests PREFIX N VCPUS [POOL]: N paused guests PREFIX0.. of VCPUS vCPUs,
# over one connection to xensim (a sim call each would take minutes at 2,000);
# with POOL, the even ones get that pool key.
create_guests()
{
	python3 - "$T/hv.sock" "$@" <<'PY'
import json, socket, sys

prefix, n, vcpus = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pool = sys.argv[5] if len(sys.argv) > 5 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
for i in range(n):
    req = {"op": "create", "name": "%s%d" % (prefix, i), "vcpus": vcpus, "paused": True}
    if pool is not None and i % 2 == 0:
        req["pool"] = pool
    f.write(json.dumps(req).encode() + b"\n")
    rep = json.loads(f.readline())
    if "ok" not in rep:
        sys.exit("create %s%d refused: %s" % (prefix, i, rep))
PY
}

# The hypervisor's view, as JSON.
view()
{
	sim show --json
}

domid_of()
{
	view | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .domid'
}

# The distinct hard affinities of a domain's vCPUs, space separated.
hv_hard()
{
	view | jq -er --arg n "$1" \
		'[.domains[] | select(.name == $n) | .vcpus[].hard] | unique | join(" ")'
}

hv_vcpus()
{
	view | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .vcpus | length'
}

hv_weight()
{
	view | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .weight'
}

hv_cap()
{
	view | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .cap'
}

hv_writes()
{
	view | jq -er '.counters.writes'
}

# The cpus of a pool as poold reports them.
pool_cpus()
{
	pc --json pool-list | jq -er --arg p "$1" '.pools[] | select(.name == $p) | .cpus'
}

# The pool poold placed a domain in.
dom_pool()
{
	pc --json domain-list | jq -er --arg n "$1" '.domains[] | select(.name == $n) | .pool'
}

assert_eq()
{
	local what=$1 want=$2 got=$3

	[ "$got" = "$want" ] || fail "$what: want '$want', got '$got'"
}

# Checks in the hypervisor's view that every vCPU of a domain is pinned to cpus.
assert_pinned()
{
	local name=$1 cpus=$2

	assert_eq "hard affinity of every vCPU of $name" "$cpus" "$(hv_hard "$name")"
}

# Waits until every vCPU of a domain is pinned to cpus in the hypervisor's view.
wait_pinned()
{
	wait_until "[ \"\$(hv_hard $1)\" = '$2' ]" "${3:-10}"
	assert_pinned "$1" "$2"
}

# Runs a command that must fail with exit code $1; its stderr goes to $T/err.
expect_rc()
{
	local want=$1 rc=0

	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || {
		cat "$T/out" "$T/err" >&2
		fail "'$*' exited $rc, want $want"
	}
}

# Writes a pool key as a dom0 toolstack does: dom0 owns it, the guest reads it.
toolstack_set_pool()
{
	local domid=$1 pool=$2

	xenstore-write "/local/domain/$domid/pool" "$pool"
	xenstore-chmod "/local/domain/$domid/pool" n0 "r$domid"
}
