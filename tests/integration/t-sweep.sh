#!/bin/bash
# Control requests are answered during verify sweeps at 2,000 domains, and a sweep repairs drift.
. "$(dirname "$0")/lib.sh"

NDOMS=2000
VERIFY_S=2
WINDOW_S=6
BOUND_MS=250
SECONDS=0

# Starts poold with verify_interval (start_poold would empty poold.conf).
start_poold_verify()
{
	printf 'verify_interval = %d\n' "$VERIFY_S" >"$T/poold.conf"
	"$POOLD" -d -v -f "$T/poold.conf" --backend sim --sim-socket "$T/hv.sock" \
		--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
		>>"$T/poold.log" 2>&1 &
	POOLD_PID=$!
	wait_until "pc status" 30
}

# Sends one request per argument (JSON) on xensim's hypervisor socket; prints each reply.
hv_ops()
{
	python3 - "$T/hv.sock" "$@" <<'PY'
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
for req in sys.argv[2:]:
    f.write(req.encode() + b"\n")
    rep = json.loads(f.readline())
    if "ok" not in rep:
        sys.exit("xensim refused %s: %s" % (req, rep))
    print(json.dumps(rep["ok"]))
PY
}

start_xensim 2x64x2 2 credit2
assert_eq "pCPUs in xensim" 256 "$(view | jq '.cpus | length')"
start_poold
pc pool-create p1 ncpu=64
P1=$(pool_cpus p1)
P0=$(pool_cpus pool0)
stop_poold

step "$NDOMS paused guests of 4 vCPUs, half with pool=p1, created while poold is stopped"
create_guests g "$NDOMS" 4 p1
echo "created in ${SECONDS}s"

step "poold starts with verify_interval = $VERIFY_S and places them all"
start_poold_verify
wait_until "pc --json status | jq -e '.domains == $((NDOMS + 1)) and .pending == 0'" 30
# Every guest, in xensim's view: the even ones on p1's pCPUs, the odd ones on pool0's.
placed()
{
	view | jq -e --arg p1 "$P1" --arg p0 "$P0" '
		[.domains[] | select(.domid != 0) |
		 (.name[1:] | tonumber % 2) as $odd |
		 ([.vcpus[].hard] | unique) == [if $odd == 0 then $p1 else $p0 end]] |
		length == '"$NDOMS"' and all'
}
wait_until placed 30
echo "placed by ${SECONDS}s"

step "drift behind poold's back: one vCPU of g0 pinned to one pCPU of p1"
G0=$(domid_of g0)
ONE=$(jq -rn --arg c "$P1" '$c | split(",")[0] | split("-")[0]')
hv_ops "{\"op\":\"set_affinity\",\"domid\":$G0,\"vcpu\":2,\"hard\":\"$ONE\"}" >/dev/null
assert_eq "g0's vCPU 2 in xensim" "$ONE" \
	"$(view | jq -er --argjson d "$G0" '.domains[] | select(.domid == $d) | .vcpus[2].hard')"
# (Read once, right after the write: a sweep may repair it any moment from here on.)

step "status back to back for ${WINDOW_S}s during verify sweeps"
python3 - "$T/poold.sock" "$WINDOW_S" "$BOUND_MS" "$NDOMS" >"$T/lat" <<'PY'
import json, socket, sys, time

path, window, bound, ndoms = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rwb", buffering=0)
assert "poold" in json.loads(f.readline())

def status():
    f.write(b'{"execute": "status"}\n')
    rep = json.loads(f.readline())
    return rep["return"]

st = status()
reads0, pending0 = st["hv_reads"], st["pending"]
lat, busy, starts, swept, at_start = [], 0, 0, 0, []
end = time.monotonic() + window
while time.monotonic() < end:
    t0 = time.perf_counter()
    st = status()
    lat.append((time.perf_counter() - t0) * 1000)
    # A sweep starts when domains have work left again; it has read them all
    # once the reads since the last one counted reach 4 vCPUs per domain.
    if st["pending"] > 0:
        busy += 1
        if pending0 == 0:
            starts += 1
            at_start.append(st["hv_reads"])
    pending0 = st["pending"]
    if st["hv_reads"] - reads0 >= 4 * ndoms:
        swept += 1
        reads0 = st["hv_reads"]
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))]
per = [(b - a) / ndoms for a, b in zip(at_start, at_start[1:])]
print(json.dumps({"n": len(lat), "max": lat[-1], "p99": pct(99), "p50": pct(50),
                  "reads_per_dom": sum(per) / len(per) if per else 0, "starts": starts,
                  "swept": swept, "busy": busy, "over": sum(1 for x in lat if x > bound)}))
PY
# The figures, rounded; then the checks.
r()
{
	jq -r --argjson k "${2:-100}" ".$1 * \$k | round / \$k" "$T/lat"
}
echo "status: $(r n 1) requests, max $(r max) ms, p99 $(r p99) ms, p50 $(r p50 1000) ms"
echo "sweeps seen: $(r starts 1) started, $(r swept 1) read through;" \
	"$(r busy 1) answers while a sweep had work left;" \
	"$(r reads_per_dom) hypervisor reads per domain from one sweep start to the next"
[ "$(r swept 1)" -ge 2 ] || fail "fewer than 2 sweeps read the domains in the window"
# A slow machine (sanitizers) runs sweeps back to back: pending then never drops to 0
# between them, so the reads above are what counts sweeps; one start must be seen.
[ "$(r starts 1)" -ge 1 ] || fail "no sweep started in the window"
[ "$(r busy 1)" -gt 0 ] || fail "no answer came while a sweep had work left"
[ "$(r over 1)" -eq 0 ] ||
	fail "$(r over 1) status requests took longer than $BOUND_MS ms (max $(r max) ms)"

step "the sweep repaired g0"
assert_pinned g0 "$P1"
stop_poold
echo "total ${SECONDS}s"
echo "PASS"
