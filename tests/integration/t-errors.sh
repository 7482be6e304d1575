#!/bin/bash
# poolctl's exit codes and messages, and hypervisor refusals that leave a consistent state.
. "$(dirname "$0")/lib.sh"

step "poold unreachable: exit 3, naming the socket"
expect_rc 3 pc pool-list
grep -q "$T/poold.sock" "$T/err" || fail "no socket path in: $(cat "$T/err")"

start_xensim 1x8x1 1 credit2
start_poold

step "usage errors: exit 2"
expect_rc 2 pc
expect_rc 2 pc no-such-command
expect_rc 2 pc pool-create
expect_rc 2 pc pool-create p ncpu=x
expect_rc 2 pc pool-create p ncpu=2 cpu=1
expect_rc 2 pc domain-set

step "refusals: exit 1 with the reason"
expect_rc 1 pc pool-create 'bad name!' ncpu=1
expect_rc 1 pc pool-create p ncpu=8
grep -qi "pool0" "$T/err" || fail "no mention of pool0 keeping a pCPU: $(cat "$T/err")"
expect_rc 1 pc pool-create p cpu=9
grep -q "9" "$T/err" || fail "out-of-range cpu not named"
pc pool-create p ncpu=2
expect_rc 1 pc pool-create p ncpu=1
expect_rc 1 pc pool-destroy pool0
expect_rc 1 pc pool-destroy nosuch
expect_rc 1 pc pool-migrate nosuch p
expect_rc 1 pc pool-migrate Domain-0 p
expect_rc 1 pc domain-set Domain-0 weight=0
expect_rc 1 pc domain-set Domain-0 weight=70000
pc --json pool-list | jq -e '.pools | length == 2' >/dev/null || fail "a refused command changed the pools"

step "with --json (anywhere on the line): the error object on stdout, the exit status kept"
# Asserts that $T/out is exactly one error object of class $1 and that stderr is empty.
expect_json_error()
{
	jq -e --arg c "$1" '(keys == ["error"]) and .error.class == $c and
		(.error | keys == ["class", "desc"]) and (.error.desc | length > 0)' "$T/out" \
		>/dev/null || fail "not a $1 error object: $(cat "$T/out")"
	[ ! -s "$T/err" ] || fail "said on stderr too: $(cat "$T/err")"
}
expect_rc 1 pc pool-destroy nosuch --json
expect_json_error NotFound
expect_rc 1 pc --json pool-create p ncpu=1
expect_json_error AlreadyExists
expect_rc 2 pc pool-create --json
expect_json_error UsageError
expect_rc 2 pc --json --bogus pool-list
expect_json_error UsageError
expect_rc 3 "$POOLCTL" -s "$T/nowhere.sock" status -j
expect_json_error Unreachable
pc pool-list --json | jq -e '.pools | length == 2' >/dev/null || fail "--json after the command"
pc -s "$T/poold.sock" --timeout 5 pool-list -j | jq -e .pools >/dev/null || fail "-j after the command"
pc help pool-create --json | jq -e '.execute == "pool-create"' >/dev/null || fail "help --json"

step "a pool without pCPUs takes no member, by pool-migrate or by key"
pc pool-create e ncpu=1
pc pool-modify e ncpu=0
sim create k vcpus=1 pool=e >/dev/null
wait_until "dom_pool k"
assert_eq "k pool" pool0 "$(dom_pool k)"
pc --json domain-list | jq -e '.domains[] | select(.name=="k") | .misplaced and .wanted == "e"' >/dev/null ||
	fail "k not shown misplaced"
expect_rc 1 pc pool-migrate k e
grep -q "no pCPUs" "$T/err" || fail "no reason given: $(cat "$T/err")"
step "given a pCPU again, the pool takes the domain that wanted it"
pc pool-modify e ncpu=1
wait_pinned k "$(pool_cpus e)"
sim destroy k
wait_until "! pc --json domain-list | jq -e '.domains[] | select(.name==\"k\")'"
pc pool-destroy e

step "Xen refuses an affinity: a clear error, the state stays consistent"
sim create g vcpus=2 >/dev/null
wait_until "dom_pool g"
sim fault set_affinity errno=EINVAL count=1
expect_rc 1 pc pool-migrate g p
grep -qi "g" "$T/err" && grep -qi "invalid" "$T/err" || fail "no clear hypervisor error: $(cat "$T/err")"
step "the next reconcile repairs it"
pc pool-create q ncpu=1
wait_pinned g "$(pool_cpus p)"

step "a domain that dies while it is pinned is skipped quietly"
sim create h vcpus=2 >/dev/null
wait_until "dom_pool h"
sim fault set_affinity errno=ESRCH count=2
pc pool-migrate h p
kill -0 "$POOLD_PID" || fail "poold died"
pc status >/dev/null
echo "PASS"
