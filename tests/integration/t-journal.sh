#!/bin/bash
# Structured journal fields: under systemd (stderr is the journal's stream) every change goes
# through the journal's native protocol with POOLD_DOMID=, POOLD_POOL= and who asked
# (POOLD_UID=, POOLD_PID=); with the journal gone, the same messages on stderr. A fake journald
# listens on /run/systemd/journal/socket in a mount namespace of the test's own.
if [ -z "${POOLD_JOURNAL_NS:-}" ]; then
	if ! unshare -m true 2>/dev/null; then
		echo "SKIP: no mount namespace (unshare -m needs root)"
		exit 77
	fi
	POOLD_JOURNAL_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

# /run of this namespace only: the host's journal, if any, is not touched.
mount -t tmpfs poold-test /run || fail "cannot mount a tmpfs on /run in the test's namespace"
mkdir -p /run/systemd/journal
python3 "$(dirname "$0")/fake-journald.py" /run/systemd/journal/socket "$T/journal" &
JPID=$!
trap '_rc=$?; set +e; kill "$JPID" 2>/dev/null; (exit $_rc); cleanup' EXIT
wait_until "[ -S /run/systemd/journal/socket ]"

# The entries whose MESSAGE matches a regex, as JSON objects.
entries()
{
	jq -c --arg re "$1" 'select(.MESSAGE | test($re))' "$T/journal"
}

has_entry()
{
	[ -n "$(entries "$1")" ]
}

start_xensim 1x4x1 1 credit2
: >"$T/poold.log"
JOURNAL_STREAM=$(stat -c %d:%i "$T/poold.log")
export JOURNAL_STREAM
start_poold
unset JOURNAL_STREAM
me=$(id -u)

step "a pool created: POOLD_POOL= and who asked"
pc pool-create p1 cpu=2-3 >/dev/null
wait_until "has_entry '^pool p1 created'"
e=$(entries '^pool p1 created')
echo "$e"
echo "$e" | jq -e --arg me "$me" '.PRIORITY == "5" and .POOLD_POOL == "p1" and
	.POOLD_UID == $me and (.POOLD_PID | test("^[0-9]+$")) and .SYSLOG_IDENTIFIER == "poold" and
	(has("POOLD_DOMID") | not) and (.MESSAGE | test("asked by uid"))' >/dev/null ||
	fail "pool-create's entry lacks its fields"

step "a domain placed and migrated: POOLD_DOMID= and POOLD_POOL="
id=$(sim create g vcpus=1)
wait_until "dom_pool g"
pc pool-migrate g p1 >/dev/null
wait_until "has_entry '^domain $id \\(g\\) migrates to p1'"
entries "^domain $id \\(g\\) migrates to p1" | jq -e --arg id "$id" \
	'.POOLD_DOMID == $id and .POOLD_POOL == "p1" and .PRIORITY == "5"' >/dev/null ||
	fail "pool-migrate's entry lacks its fields"
entries "^domain $id \\(g\\) appeared" | jq -e --arg id "$id" \
	'.POOLD_DOMID == $id and .PRIORITY == "6" and (has("POOLD_UID") | not)' >/dev/null ||
	fail "the new domain's entry lacks POOLD_DOMID or claims someone asked"
pc domain-set g weight=512 >/dev/null
wait_until "has_entry '^domain $id \\(g\\): weight 512'"
entries "^domain $id \\(g\\): weight 512" | jq -e --arg id "$id" \
	'.POOLD_DOMID == $id and .POOLD_POOL == "p1"' >/dev/null ||
	fail "domain-set's entry lacks its fields"
! grep -q "migrates to p1" "$T/poold.log" || fail "a message went to stderr as well"

step "the journal gone: the messages go to stderr"
kill "$JPID"
wait "$JPID" 2>/dev/null || true
pc pool-create p2 cpu=1 >/dev/null
wait_until "grep -q '^<5>pool p2 created' '$T/poold.log'"
assert_eq "p2's entries in the dead journal" "" "$(entries '^pool p2 created')"
echo "journal entries: $(wc -l <"$T/journal"), with POOLD_DOMID: $(grep -c POOLD_DOMID "$T/journal")"
echo PASS
