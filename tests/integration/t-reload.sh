#!/bin/bash
# systemctl reload, as poold.service runs it: a config poold -n rejects fails the reload and no
# SIGHUP is sent; a good one is applied. A SIGHUP by hand still reloads (or logs the rejection).
. "$(dirname "$0")/lib.sh"

: "${POOLD_UNIT:?path to the built poold.service}"

start_xensim 1x4x1 1 credit2
POOLD_OPTS="-f $T/poold.conf --backend sim --sim-socket $T/hv.sock --xenstore $T/xenstore.sock"
POOLD_OPTS+=" -s $T/poold.sock --state $T/state.json"
echo 'log_level = "info"' >"$T/poold.conf"
# As ExecStart runs it (no -v: the file's log_level is the one in effect).
# shellcheck disable=SC2086 # POOLD_OPTS is split into words, as systemd splits $POOLD_OPTS
"$POOLD" -d $POOLD_OPTS >>"$T/poold.log" 2>&1 &
POOLD_PID=$!
wait_until "pc status"
assert_eq "log level at start" info "$(pc --json status | jq -r .log_level)"

# Runs the unit's ExecReload= lines in order as systemd does: the first that fails fails the
# reload. Their output goes to $T/reload.out; returns the reload's exit status.
reload()
{
	local line cmd rc=0

	: >"$T/reload.out"
	while IFS= read -r line; do
		cmd=${line#ExecReload=}
		cmd=${cmd//\$MAINPID/$POOLD_PID}
		cmd=${cmd//\$POOLD_OPTS/$POOLD_OPTS}
		# The installed poold is the built one here.
		case "$cmd" in
		*/poold\ *) cmd="$POOLD ${cmd#*/poold }" ;;
		esac
		echo "+ $cmd" >>"$T/reload.out"
		# shellcheck disable=SC2086 # systemd splits the command line into words
		$cmd >>"$T/reload.out" 2>&1 || {
			rc=$?
			break
		}
	done < <(grep '^ExecReload=' "$POOLD_UNIT")
	return "$rc"
}

# How many times poold has taken a SIGHUP so far.
hups()
{
	grep -c 'SIGHUP: reloading' "$T/poold.log" || true
}

step "the unit checks before it signals"
[ "$(grep -c '^ExecReload=' "$POOLD_UNIT")" -ge 2 ] || fail "no check before the signal in $POOLD_UNIT"
# shellcheck disable=SC2016 # a literal $POOLD_OPTS, as the unit holds it
grep '^ExecReload=' "$POOLD_UNIT" | head -1 | grep -q 'poold -n \$POOLD_OPTS$' ||
	fail "the first ExecReload is not poold -n \$POOLD_OPTS"
# shellcheck disable=SC2016 # the same
grep -q '^ExecStart=.*poold -d \$POOLD_OPTS$' "$POOLD_UNIT" ||
	fail "ExecStart does not take \$POOLD_OPTS: the check would read other files"

step "a good config: the reload succeeds and applies it"
echo 'log_level = "debug"' >"$T/poold.conf"
reload || fail "the reload failed: $(cat "$T/reload.out")"
wait_until "[ \"\$(pc --json status | jq -r .log_level)\" = debug ]"
assert_eq "SIGHUPs after a good reload" 1 "$(hups)"

step "a typo in a key: the reload fails, names file, line and the key meant; no SIGHUP"
printf 'log_level = "info"\ndefualt_pool = "general"\n' >"$T/poold.conf"
rc=0
reload || rc=$?
[ "$rc" -ne 0 ] || fail "the reload of a config with an unknown key succeeded"
grep -qF "$T/poold.conf:2: unknown key \"defualt_pool\": did you mean default_pool?" \
	"$T/reload.out" || fail "no file:line and suggestion: $(cat "$T/reload.out")"
grep -q 'kill' "$T/reload.out" && fail "the signal was sent after a failed check"
sleep 0.3
assert_eq "SIGHUPs after a rejected reload" 1 "$(hups)"
assert_eq "log level after a rejected reload" debug "$(pc --json status | jq -r .log_level)"

step "a bad value: the reload fails with file:line; poold keeps its settings"
printf '\nlog_level = "loud"\n' >"$T/poold.conf"
rc=0
reload || rc=$?
[ "$rc" -ne 0 ] || fail "the reload of a config with a bad value succeeded"
grep -qF "$T/poold.conf:2: log_level \"loud\" is unknown" "$T/reload.out" ||
	fail "no file:line: $(cat "$T/reload.out")"
assert_eq "SIGHUPs after a rejected reload" 1 "$(hups)"
kill -0 "$POOLD_PID" || fail "poold died"

step "a SIGHUP by hand with the bad value: logged with file:line, old settings kept"
kill -HUP "$POOLD_PID"
wait_until "grep -qF 'reload: $T/poold.conf:2: log_level \"loud\" is unknown' '$T/poold.log'"
grep -q 'keeping the old settings' "$T/poold.log" || fail "the rejection does not say so"
assert_eq "log level after a rejected SIGHUP" debug "$(pc --json status | jq -r .log_level)"

step "a SIGHUP by hand with an unknown key: warned about, the rest applied (as at start)"
printf 'log_level = "info"\ndefualt_pool = "general"\n' >"$T/poold.conf"
kill -HUP "$POOLD_PID"
wait_until "[ \"\$(pc --json status | jq -r .log_level)\" = info ]"
grep -qF "$T/poold.conf:2: unknown key \"defualt_pool\" ignored: did you mean default_pool?" \
	"$T/poold.log" || fail "no warning for the unknown key"

stop_poold
echo "ok"
