#!/bin/bash
# socket_group: its members may change things on the main socket as root may; anyone else who
# can connect may only read (the kernel's SO_PEERCRED says who is who).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! getent group 65534 >/dev/null; then
	echo "SKIP: needs root, setpriv and a group 65534"
	exit 77
fi
group=$(getent group 65534 | cut -d: -f1)
member=(setpriv --reuid=65534 --regid=65534 --clear-groups)
other=(setpriv --reuid=1 --regid=1 --clear-groups)

start_xensim 1x4x1 1 credit2
echo "socket_group = \"$group\"" >"$T/group.conf"
"$POOLD" -d -v -v -f "$T/group.conf" --backend sim --sim-socket "$T/hv.sock" \
	--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
	>>"$T/poold.log" 2>&1 &
POOLD_PID=$!
wait_until "pc status"
chmod 0755 "$T"

step "the socket is 0660 in group $group"
assert_eq "socket mode and group" "660 $group" "$(stat -c '%a %G' "$T/poold.sock")"

step "a member of $group changes things"
"${member[@]}" "$POOLCTL" -s "$T/poold.sock" pool-create p1 ncpu=1 >/dev/null ||
	fail "a member of $group could not create a pool"
pc --json pool-list | jq -e '.pools | map(.name) | index("p1") != null' >/dev/null ||
	fail "p1 is not there"

step "anyone else cannot even connect"
expect_rc 3 "${other[@]}" "$POOLCTL" -s "$T/poold.sock" status

step "who can connect but is not a member may only read"
chmod 0666 "$T/poold.sock"
"${other[@]}" "$POOLCTL" -s "$T/poold.sock" status >/dev/null || fail "status refused"
expect_rc 1 "${other[@]}" "$POOLCTL" -s "$T/poold.sock" pool-destroy p1
grep -q "socket_group" "$T/err" || fail "the refusal does not say how: $(cat "$T/err")"
pc --json pool-list | jq -e '.pools | map(.name) | index("p1") != null' >/dev/null ||
	fail "a refused pool-destroy destroyed p1"

step "a name that is no group stops poold at start, saying so"
stop_poold
echo 'socket_group = "no-such-group-here"' >"$T/group.conf"
rc=0
"$POOLD" -d -f "$T/group.conf" --backend sim --sim-socket "$T/hv.sock" \
	--xenstore "$T/xenstore.sock" -s "$T/poold.sock" --state "$T/state.json" \
	>"$T/start.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "poold started with socket_group naming no group"
grep -q "no-such-group-here" "$T/start.log" || fail "no word of the group: $(cat "$T/start.log")"
echo "PASS"
