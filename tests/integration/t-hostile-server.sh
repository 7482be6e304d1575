#!/bin/bash
# poolctl against a hostile fake poold (fake-poold.py): a clear error, never a crash or a hang.
#
# The integration suite also runs under ASan/UBSan (.ci/run), where a write past a
# buffer or a read of freed memory fails poolctl here.
. "$(dirname "$0")/lib.sh"

: "${POOLCTL_COMPLETION:?path to completion/poolctl.bash}"
FAKE=$(dirname "$0")/fake-poold.py
FAKE_PID=
FS=$T/fake.sock
trap cleanup_all EXIT
cleanup_all()
{
	local rc=$?

	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	(exit "$rc")
	cleanup
}

start_fake()
{
	rm -f "$FS"
	python3 "$FAKE" "$FS" "$T" "$@" 2>>"$T/fake.log" &
	FAKE_PID=$!
	wait_until "[ -S '$FS' ]"
}

stop_fake()
{
	kill "$FAKE_PID"
	wait "$FAKE_PID" 2>/dev/null || true
	FAKE_PID=
}

# Sets what the next connection gets: a mode, and the reply bytes from stdin.
fake()
{
	echo "$1" >"$T/mode"
	cat >"$T/reply"
}

# Runs poolctl on the fake; the rc must be $1 and stderr must hold $2. Never more than 10 s.
# A refusal prints nothing on stdout, but for monitor's events; a success ($2 "") nothing on stderr.
fpc_expect()
{
	local want=$1 msg=$2 rc=0 start end

	shift 2
	start=$(date +%s%N)
	timeout 10 "$POOLCTL" -s "$FS" "$@" >"$T/out" 2>"$T/err" || rc=$?
	end=$(date +%s%N)
	[ "$rc" -ne 124 ] || fail "poolctl $* hung (killed after 10 s)"
	[ "$rc" -lt 128 ] || fail "poolctl $* died of signal $((rc - 128)): $(cat "$T/err")"
	[ "$rc" -eq "$want" ] || fail "poolctl $*: exit $rc, want $want: $(cat "$T/out" "$T/err")"
	if [ -z "$msg" ]; then
		[ ! -s "$T/err" ] || fail "poolctl $*: said $(cat "$T/err")"
	else
		grep -qF -- "$msg" "$T/err" || fail "poolctl $*: stderr lacks '$msg': $(cat "$T/err")"
	fi
	if [ "$want" -ne 0 ] && [ "${*: -1}" != monitor ]; then
		[ ! -s "$T/out" ] || fail "poolctl $*: printed a reply it refused: $(head -c 300 "$T/out")"
	fi
	ELAPSED_MS=$(((end - start) / 1000000))
	echo "exit $rc in ${ELAPSED_MS} ms: $(head -c 240 "$T/err")"
}

reply()
{
	printf '{"return": %s, "id": 1}\n' "$1"
}
pool_obj()
{
	# name cpus sched share share_active domains
	printf '{"id":0,"name":%s,"cpus":%s,"sched":%s,"share":%s,"share_active":%s,"domains":%s}' \
		"$@"
}
dom_obj()
{
	# domid name pool vcpus weight cap hv_weight hv_cap used entitled misplaced
	printf '{"domid":%s,"name":%s,"pool":%s,"vcpus":%s,"weight":%s,"cap":%s,"hv_weight":%s,' \
		"${@:1:7}"
	shift 7
	printf '"hv_cap":%s,"used":%s,"entitled":%s,"misplaced":%s,"share_cap":0}' "$@"
}

start_fake

step "no greeting: the greeting timeout"
fake nogreet </dev/null
fpc_expect 3 "no greeting from $FS within 1 s" --timeout 1 status
[ "$ELAPSED_MS" -lt 3000 ] || fail "took ${ELAPSED_MS} ms for a 1 s timeout"
fpc_expect 3 "systemctl status poold" --timeout 0.3 pool-list
step "the default timeout is 5 s"
fpc_expect 3 "within 5 s" status
[ "$ELAPSED_MS" -ge 4900 ] && [ "$ELAPSED_MS" -lt 8000 ] || fail "default took ${ELAPSED_MS} ms"

step "monitor is not exempt from the greeting timeout"
fpc_expect 3 "no greeting from $FS within 1 s" --timeout 1 monitor

step "a silent server after the greeting: the reply timeout"
fake greet-silent </dev/null
fpc_expect 3 "no reply from poold at $FS within 1 s" --timeout 1 pool-list
grep -qF "systemctl status poold" "$T/err" || fail "no fix named"
step "with --json the refusal is a JSON error object on stdout, the exit status the same"
rc=0
timeout 10 "$POOLCTL" -s "$FS" --timeout 1 domain-list --json >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "--json domain-list: exit $rc, want 3"
[ ! -s "$T/err" ] || fail "--json: said on stderr: $(cat "$T/err")"
jq -e '(keys == ["error"]) and .error.class == "Unreachable" and
	(.error.desc | contains("no reply from poold"))' "$T/out" >/dev/null ||
	fail "--json: not the error object: $(cat "$T/out")"
fpc_expect 3 "no reply from poold" --timeout 1 monitor

step "monitor: events later than the timeout still arrive"
{
	echo '{"event": "pool-changed", "data": {"pool": "p1", "action": "created"}, "timestamp": {"seconds": 1, "microseconds": 0}}'
	echo '{"event": "domain-gone", "data": {"domid": 3, "name": "vm\u001b[2J"}, "timestamp": {"seconds": 99999999999999999, "microseconds": 0}}'
} | fake events
fpc_expect 3 "lost poold at $FS: it closed the connection" --timeout 1 monitor
[ "$ELAPSED_MS" -ge 2900 ] || fail "monitor returned after ${ELAPSED_MS} ms, before the events"
grep -q " pool-changed pool=p1 action=created$" "$T/out" || fail "first event: $(cat "$T/out")"
grep -q "^? domain-gone domid=3 name=vm?\[2J$" "$T/out" || fail "second event: $(cat -A "$T/out")"
! grep -q $'\e' "$T/out" || fail "an escape character reached the terminal"

step "the connect timeout: a server that never accepts"
stop_fake
start_fake --no-accept
fpc_expect 3 "$FS did not accept the connection within 1 s" --timeout 1 status
[ "$ELAPSED_MS" -lt 3000 ] || fail "took ${ELAPSED_MS} ms"
fpc_expect 3 "did not accept the connection" --timeout 1 monitor

step "bash completion never hangs on such a server"
complete_names()
{
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_poolctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$POOLCTL_COMPLETION" "$@"
}
for m in accept nogreet greet-silent; do
	if [ "$m" != accept ]; then
		stop_fake
		start_fake
		fake "$m" </dev/null
	fi
	start=$(date +%s%N)
	got=$(timeout 10 bash -c "$(declare -f complete_names); complete_names \"\$@\"" _ \
		"$POOLCTL" -s "$FS" pool-destroy "") || fail "completion ($m) failed or hung"
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "completion against '$m' gave '$got' in $ms ms"
	[ -z "$got" ] || fail "completion offered '$got'"
	[ "$ms" -lt 3000 ] || fail "completion against '$m' took $ms ms"
done

step "no greeting but garbage, or a greeting over the protocol's line limit"
printf 'not json\n' | fake greeting
fpc_expect 3 "no greeting from $FS: it sent a line that is not a JSON object" --timeout 2 status
head -c 70000 /dev/zero | tr '\0' 'x' | fake greeting
fpc_expect 3 "it sent a line longer than 65536 bytes" --timeout 2 status
printf '{"poold": {"protocol": 1' | fake greeting
fpc_expect 3 "no greeting from $FS within 2 s" --timeout 2 status
printf '{"poold": "yes"}\n' | fake greeting
fpc_expect 3 "did not greet like poold" --timeout 2 status

step "truncated lines and a server that closes mid-reply"
printf '{"return": {"pools": [' | fake reply-close
fpc_expect 3 "it closed the connection in the middle of a line" --timeout 2 pool-list
printf '{"return": {"pools": [' | fake reply
fpc_expect 3 "no reply from poold at $FS within 1 s" --timeout 1 pool-list
fake reply-close </dev/null
fpc_expect 3 "lost poold at $FS: it closed the connection" --timeout 2 status
printf '{"return": {"pools": []}, "id": 1\n' | fake reply
fpc_expect 3 "it sent a line that is not a JSON object" --timeout 2 pool-list
printf '[1, 2]\n' | fake reply
fpc_expect 3 "it sent a line that is not a JSON object" --timeout 2 pool-list

step "a reply line over poolctl's limit (16 MiB) is refused, not buffered for ever"
python3 -c 'import sys; sys.stdout.write("{\"return\": {\"s\": \"" + "y" * (17 << 20) + "\"}}\n")' |
	fake reply-close
fpc_expect 3 "it sent a line longer than 16777216 bytes" --timeout 10 status

step "huge and negative domain ids"
for id in 9007199254740993 -1 9223372036854775807 -9223372036854775808 32752; do
	reply "{\"pools\": [$(pool_obj '"p"' '"0"' '"credit"' '"auto"' false "[0,$id]")]}" |
		fake reply
	fpc_expect 3 "pools[0].domains[1] is $id, not a domain id (0-32751)" pool-list
	reply "{\"domains\": [$(dom_obj "$id" '"d"' '"p"' 1 256 0 256 0 null null false)]}" | fake reply
	fpc_expect 3 "domains[0].domid is $id, not a domain id" domain-list
	reply "{\"domain\": {\"domid\": $id, \"name\": \"d\", \"pool\": \"p\", \"weight\": 1, \"cap\": 0}}" |
		fake reply
	fpc_expect 3 "domain.domid is $id" pool-migrate d p
	fpc_expect 3 "domain.domid is $id" domain-set d weight=1
done
step "an integer past 64 bits is not JSON poolctl takes"
reply '{"pools": [{"domains": [18446744073709551616]}]}' | fake reply
fpc_expect 3 "it sent a line that is not a JSON object" pool-list
step "--json shows a huge id as it came"
reply "{\"pools\": [$(pool_obj '"p"' '"0"' '"credit"' '"auto"' false '[9007199254740993]')]}" |
	fake reply
fpc_expect 0 "" --json pool-list
# (jq would read it as a double: look at the text)
[ "$(tr -d ' \n' <"$T/out" | grep -o '"domains":\[[0-9]*\]')" = '"domains":[9007199254740993]' ] ||
	fail "--json: $(cat "$T/out")"

step "very long names are shown whole, in their column"
long=$(head -c 6000 /dev/zero | tr '\0' 'n')
reply "{\"pools\": [$(pool_obj "\"$long\"" '"0-3"' '"credit2"' '"auto"' false '[0,1,2]')]}" |
	fake reply
fpc_expect 0 "" pool-list
[ "$(sed -n 2p "$T/out")" = "$long  0-3           credit2    auto     0,1,2" ] ||
	fail "the long pool row: $(sed -n 2p "$T/out" | tr -s n | head -c 200)"
assert_eq "lines" 2 "$(wc -l <"$T/out")"
reply "{\"domains\": [$(dom_obj 5 "\"$long\"" "\"$long\"" 1 256 0 256 0 12.34 null true |
	sed "s/}\$/,\"wanted\":\"$long\"}/")]}" | fake reply
fpc_expect 0 "" domain-list
[ "$(sed -n 2p "$T/out")" = \
	"5      $long  $long (wants $long)  1      256     0    256        0       12.3   -" ] ||
	fail "the long domain row: $(sed -n 2p "$T/out" | tr -s n | head -c 200)"

step "control characters in names never reach the terminal"
reply "{\"pools\": [$(pool_obj '"a\u001b]0;pwned\u0007\r"' '"0"' '"credit"' '"auto"' false '[]')]}" |
	fake reply
fpc_expect 0 "" pool-list
! grep -q $'[\e\a\r]' "$T/out" || fail "control characters printed: $(cat -A "$T/out")"
grep -q '^a?\]0;pwned??  ' "$T/out" || fail "the name: $(cat -A "$T/out")"
printf '{"error": {"class": "Busy", "desc": "no\\u001b[31m"}, "id": 1}\n' | fake reply
fpc_expect 1 "poolctl: no?[31m (Busy)" pool-list

step "wrong JSON types, member by member"
P=(name cpus sched share share_active domains)
PV=('"p"' '"0"' '"credit"' '"auto"' false '[1]')
D=(domid name pool vcpus weight cap hv_weight hv_cap used entitled misplaced)
DV=(1 '"d"' '"p"' 1 256 0 256 0 1.5 null false)
n=0
for wrong in '"s"' 7 2.5 true null '[]' '{}' MISSING; do
	for i in "${!P[@]}"; do
		v=("${PV[@]}")
		v[i]=$wrong
		[ "${P[i]}" = share_active ] && [ "$wrong" = true ] && continue # valid
		obj=$(pool_obj "${v[@]}")
		[ "$wrong" = MISSING ] && obj=$(echo "$obj" | sed -E "s/\"${P[i]}\":MISSING,?//; s/,}/}/")
		case ${P[i]}:$wrong in
		name:\"s\" | cpus:\"s\" | sched:\"s\" | share:\"s\" | domains:\[\]) continue ;; # valid
		domains:*) want="pools[0].domains" ;;
		*) want="pools[0].${P[i]} is" ;;
		esac
		reply "{\"pools\": [$obj]}" | fake reply
		fpc_expect 3 "$want" pool-list
		n=$((n + 1))
	done
	for i in "${!D[@]}"; do
		v=("${DV[@]}")
		v[i]=$wrong
		case ${D[i]}:$wrong in
		name:\"s\" | pool:\"s\" | used:7 | used:2.5 | used:null | entitled:7 | entitled:2.5 | \
			entitled:null | misplaced:true) continue ;; # valid (a misplaced one wants "wanted")
		domid:7 | vcpus:7 | weight:7 | cap:7 | hv_weight:7 | hv_cap:7) continue ;;
		esac
		obj=$(dom_obj "${v[@]}")
		[ "$wrong" = MISSING ] && obj=$(echo "$obj" | sed -E "s/\"${D[i]}\":MISSING,?//")
		reply "{\"domains\": [$obj]}" | fake reply
		fpc_expect 3 "domains[0].${D[i]} is" domain-list
		n=$((n + 1))
	done
	for c in "pool-create p ncpu=1" "pool-modify p ncpu=1"; do
		for k in name cpus cap; do
			v='{"name": "p", "cpus": "1", "cap": 0}'
			[ "$wrong" = '"s"' ] && [ "$k" != cap ] && continue
			[ "$wrong" = 7 ] && [ "$k" = cap ] && continue
			v=$(echo "$v" | jq -c --argjson w "$([ "$wrong" = MISSING ] && echo null || echo "$wrong")" \
				--arg k "$k" --arg m "$wrong" 'if $m == "MISSING" then del(.[$k]) else .[$k] = $w end')
			reply "{\"pool\": $v}" | fake reply
			# shellcheck disable=SC2086
			fpc_expect 3 "pool.$k is" $c
			n=$((n + 1))
		done
	done
	for k in name domid pool weight cap; do
		[ "$wrong" = '"s"' ] && { [ "$k" = name ] || [ "$k" = pool ]; } && continue
		[ "$wrong" = 7 ] && [ "$k" != name ] && [ "$k" != pool ] && continue
		v=$(echo '{"name": "d", "domid": 1, "pool": "p", "weight": 1, "cap": 0}' |
			jq -c --argjson w "$([ "$wrong" = MISSING ] && echo null || echo "$wrong")" \
				--arg k "$k" --arg m "$wrong" 'if $m == "MISSING" then del(.[$k]) else .[$k] = $w end')
		reply "{\"domain\": $v}" | fake reply
		fpc_expect 3 "domain.$k is" domain-set d weight=1
		n=$((n + 1))
		case $k in name | domid | pool)
			fpc_expect 3 "domain.$k is" pool-migrate d p
			n=$((n + 1))
			;;
		esac
	done
	if [ "$wrong" != '"s"' ]; then
		reply "{\"level\": $([ "$wrong" = MISSING ] && echo '"x", "y": 1' || echo "$wrong")}" |
			sed 's/"level": "x", /"/' | fake reply
		fpc_expect 3 "is" log-level info
		n=$((n + 1))
	fi
	if [ "$wrong" != '{}' ] && [ "$wrong" != MISSING ]; then
		reply "$wrong" | fake reply
		fpc_expect 3 "neither a return object nor an error object" status
		n=$((n + 1))
		for top in pools domains; do
			[ "$wrong" = '[]' ] && continue
			reply "{\"$top\": $wrong}" | fake reply
			fpc_expect 3 "$top is" "${top%s}-list"
			n=$((n + 1))
		done
	fi
done
echo "$n mistyped replies refused"
[ "$n" -ge 100 ] || fail "only $n cases"

step "status shows whatever poold reports, made printable"
reply '{"a": [1, {"b": "\u001b"}], "k_\u0007": null}' | fake reply
fpc_expect 0 "" status
assert_eq "status" "a           [1,{\"b\":\"\\u001B\"}]
k-?         -" "$(cat "$T/out")"
echo "PASS"
