#!/bin/bash
# The bash completion (completion/poolctl.bash), sourced in bash against a running poold.
. "$(dirname "$0")/lib.sh"

: "${POOLCTL_COMPLETION:?path to completion/poolctl.bash}"

start_xensim 1x4x1 1 credit2
start_poold
pc pool-create alpha ncpu=1 >/dev/null
pc pool-create beta ncpu=1 >/dev/null
sim create vm1 vcpus=1 >/dev/null
wait_until "pc domain-list | grep -q vm1"

# Prints, one per line, the completions of a command line whose last word is the cursor's.
complete_line()
{
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_poolctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$POOLCTL_COMPLETION" "$@" | sort
}

# Asserts the completions of a command line, given sorted and space separated.
expect_completion()
{
	local want=$1 got

	shift
	got=$(complete_line "$@" | paste -sd' ')
	assert_eq "completions of '$*'" "$want" "$got"
}

step "the script registers itself"
bash -c '. "$1"; complete -p poolctl' _ "$POOLCTL_COMPLETION" | grep -q -- '-F _poolctl' ||
	fail "no complete -F _poolctl poolctl"

step "commands, from poolctl's own table"
expect_completion "pool-create" "$POOLCTL" pool-c
expect_completion "$("$POOLCTL" --commands | sort | paste -sd' ')" "$POOLCTL" ""
expect_completion "domain-list domain-set" "$POOLCTL" dom
expect_completion "--json" "$POOLCTL" --js

step "pool names from the running poold, after the options and a command prefix"
want=$(pc --json pool-list | jq -r '.pools[].name' | sort | paste -sd' ')
assert_eq "pools" "alpha beta pool0" "$want"
expect_completion "$want" "$POOLCTL" pool-destroy ""
expect_completion "alpha" "$POOLCTL" -s "$T/poold.sock" pool-destroy a
expect_completion "beta" "$POOLCTL" --json pool-mod b
expect_completion "alpha beta pool0" "$POOLCTL" pool-migrate vm1 ""
step "a new pool is seen at the next completion"
pc pool-create gamma ncpu=1 >/dev/null
expect_completion "gamma" "$POOLCTL" pool-destroy g
step "after the positional words: the command's keys and flags"
expect_completion "--force" "$POOLCTL" pool-destroy alpha ""
expect_completion "cap= cpu= cpus= ncpu= share=" "$POOLCTL" pool-create delta ""
expect_completion "cap= cpu= cpus= ncpu= share=" "$POOLCTL" pool-modify alpha ""
expect_completion "ncpu=" "$POOLCTL" pool-modify alpha nc
expect_completion "cap= weight=" "$POOLCTL" domain-set vm1 ""
expect_completion "" "$POOLCTL" pool-create delta ncpu=

step "domain names and log levels"
expect_completion "Domain-0 vm1" "$POOLCTL" domain-set ""
expect_completion "vm1" "$POOLCTL" pool-migrate v
expect_completion "debug" "$POOLCTL" log-level d

step "another socket named with -s: the names come from there"
expect_completion "" "$POOLCTL" -s "$T/nowhere.sock" pool-destroy ""
