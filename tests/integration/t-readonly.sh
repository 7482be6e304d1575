#!/bin/bash
# The read-only control socket (--socket-ro): any user may list and subscribe, nobody may change.
. "$(dirname "$0")/lib.sh"

RO=$T/ro.sock
start_xensim 1x4x1 1 credit2
start_poold --socket-ro "$RO"

# As a user other than poold's, when we can be one (root with setpriv): nobody.
as_user=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chmod 0711 "$T" # the sockets' directory must be reachable; the files keep their modes
fi
ro() { "${as_user[@]}" "$POOLCTL" -s "$RO" "$@"; }

step "the sockets' modes: 0600 for the main one, 0666 for the read-only one"
assert_eq "main socket mode" 600 "$(stat -c %a "$T/poold.sock")"
assert_eq "read-only socket mode" 666 "$(stat -c %a "$RO")"
assert_eq "read-only socket type" socket "$(stat -c %F "$RO")"

step "listing and status work there"
pc pool-create pool1 ncpu=1 >/dev/null
ro pool-list >"$T/list"
grep -q '^pool1 ' "$T/list" || fail "pool-list on the read-only socket does not show pool1"
ro --json domain-list | jq -e '.domains[] | select(.domid == 0)' >/dev/null ||
	fail "domain-list on the read-only socket does not show dom0"
assert_eq "status on the read-only socket" true "$(ro --json status | jq -r .ready)"
ro top -b -n 1 >"$T/top" || fail "top on the read-only socket exited $?"
grep -q '^pool1 ' "$T/top" || fail "top on the read-only socket does not show pool1"

step "a mutating command is refused: exit 1, PermissionDenied, and nothing changes"
writes=$(hv_writes)
level=$(pc --json status | jq -r .log_level)
expect_rc 1 ro pool-create pool2 ncpu=1
grep -q "(PermissionDenied)" "$T/err" || fail "no PermissionDenied: $(cat "$T/err")"
grep -q "read-only" "$T/err" && grep -q "main control socket" "$T/err" ||
	fail "the message does not say to use the main socket: $(cat "$T/err")"
expect_rc 1 ro log-level debug
grep -q "(PermissionDenied)" "$T/err" || fail "log-level was not refused: $(cat "$T/err")"
expect_rc 1 ro pool-destroy pool1 --force
pool_cpus pool1 >/dev/null || fail "pool1 is gone after a refused pool-destroy"
pc --json pool-list | jq -e '[.pools[].name] == ["pool0", "pool1"]' >/dev/null ||
	fail "the pools changed: $(pc pool-list)"
assert_eq "hypervisor writes after refused commands" "$writes" "$(hv_writes)"
assert_eq "log level after a refused log-level" "$level" "$(pc --json status | jq -r .log_level)"

step "the protocol itself: the class on the wire"
"${as_user[@]}" /usr/bin/python3 - "$RO" <<'PY'
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
assert json.loads(f.readline())["poold"]["protocol"] == 1

def ask(line):
    f.write(line.encode() + b"\n")
    while True:
        msg = json.loads(f.readline())
        if "event" not in msg:
            return msg

for cmd in ("status", "pool-list", "domain-list", "query-commands", "subscribe", "export"):
    r = ask('{"execute": "%s"}' % cmd)
    assert "return" in r, (cmd, r)
r = ask('{"execute": "pool-create", "arguments": {"name": "p", "ncpu": 1}, "id": 3}')
assert r["error"]["class"] == "PermissionDenied" and r["id"] == 3, r
r = ask('{"execute": "apply", "arguments": {"layout": {}, "dry_run": true}, "id": 4}')
assert r["error"]["class"] == "PermissionDenied" and r["id"] == 4, r
print("ok: read-only protocol")
PY

if [ ${#as_user[@]} -gt 0 ]; then
	step "that user can't reach the main socket at all"
	expect_rc 3 "${as_user[@]}" "$POOLCTL" -s "$T/poold.sock" status
fi

step "the read-only socket goes away with poold"
stop_poold
[ ! -e "$RO" ] || fail "$RO left behind"

step "socket_ro in poold.conf, and -nv prints it back"
printf 'socket_ro = "%s"\n' "$T/conf-ro.sock" >"$T/ro.conf"
"$POOLD" -n -v -f "$T/ro.conf" --state "$T/state.json" >"$T/printed"
grep -qx "socket_ro = \"$T/conf-ro.sock\"" "$T/printed" || fail "-nv: $(cat "$T/printed")"
"$POOLD" -d -f "$T/ro.conf" --backend sim --sim-socket "$T/hv.sock" \
	--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
	>>"$T/poold.log" 2>&1 &
POOLD_PID=$!
wait_until "pc status"
expect_rc 1 "$POOLCTL" -s "$T/conf-ro.sock" domain-set 0 weight=300
grep -q "(PermissionDenied)" "$T/err" || fail "domain-set was not refused: $(cat "$T/err")"
"$POOLCTL" -s "$T/conf-ro.sock" pool-list | grep -q '^pool1 ' || fail "no pool-list via socket_ro"
