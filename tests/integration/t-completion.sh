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

# Prints, one per line, the completions of a command line whose words are the arguments,
# the cursor at its end, as bash calls the function: COMP_LINE and COMP_POINT, and
# COMP_WORDS split at the characters of COMP_WORDBREAKS too (bash's default breaks
# "--socket=PATH" into "--socket" "=" "PATH"). $BREAKS replaces bash's COMP_WORDBREAKS.
complete_line()
{
	bash -c '. "$1"; shift
		COMP_WORDBREAKS=${BREAKS-$COMP_WORDBREAKS}
		COMP_LINE="$*" COMP_POINT=${#COMP_LINE} COMP_WORDS=()
		for arg; do
			[ -n "$arg" ] || COMP_WORDS+=("")
			w= brk=
			for ((i = 0; i < ${#arg}; i++)); do
				c=${arg:i:1} b=0
				[[ $COMP_WORDBREAKS == *"$c"* ]] && b=1
				if [ -n "$w" ] && [ "$b" != "$brk" ]; then
					COMP_WORDS+=("$w")
					w=
				fi
				w+=$c brk=$b
			done
			[ -z "$w" ] || COMP_WORDS+=("$w")
		done
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_poolctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$POOLCTL_COMPLETION" "$@" | sort
}

# The word breaks: "split", bash's own COMP_WORDBREAKS; "whole", the same without '='
# and ':' (as some users set it), so that the words reach the function whole.
bash_breaks=$(bash -c 'printf %s "$COMP_WORDBREAKS"')
[[ $bash_breaks == *=* ]] || fail "bash's COMP_WORDBREAKS has no '='"

# Asserts the completions of a command line, given sorted and space separated, with the
# word breaks named (split or whole).
expect_with()
{
	local mode=$1 breaks=$bash_breaks want=$2 got

	[ "$mode" = whole ] && breaks=${bash_breaks//[=:]/}
	shift 2
	got=$(BREAKS=$breaks complete_line "$@" | paste -sd' ')
	assert_eq "completions of '$*' ($mode words)" "$want" "$got"
}

# Asserts the completions of a command line with bash's word breaks and with whole words.
expect_completion()
{
	expect_with split "$@"
	expect_with whole "$@"
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
expect_completion "--dry-run --force" "$POOLCTL" pool-destroy alpha ""
expect_completion "--dry-run cap= cpu= cpus= ncpu= node= nodes= share=" "$POOLCTL" pool-create delta ""
expect_completion "--dry-run cap= cpu= cpus= ncpu= node= nodes= share=" "$POOLCTL" pool-modify alpha ""
expect_completion "ncpu=" "$POOLCTL" pool-modify alpha nc
expect_completion "--dry-run cap= weight=" "$POOLCTL" domain-set vm1 ""
expect_completion "" "$POOLCTL" pool-create delta ncpu=

step "--json after the command too, and help completes command names"
expect_completion "--dry-run --force --json" "$POOLCTL" pool-destroy alpha --
expect_completion "--json" "$POOLCTL" pool-list --j
expect_completion "beta" "$POOLCTL" pool-destroy --json b
expect_completion "pool-migrate pool-modify" "$POOLCTL" help pool-m
expect_completion "pool-create pool-destroy pool-list pool-migrate pool-modify pool-rename" \
	"$POOLCTL" --json help pool
expect_completion "help" "$POOLCTL" he

step "domain names and log levels"
expect_completion "Domain-0 vm1" "$POOLCTL" domain-set ""
expect_completion "vm1" "$POOLCTL" pool-migrate v
expect_completion "debug" "$POOLCTL" log-level d

step "pool-migrate --all FROM POOL: its second form, two pool names"
expect_completion "--all --dry-run --json" "$POOLCTL" pool-migrate -
expect_completion "alpha beta gamma pool0" "$POOLCTL" pool-migrate --all ""
expect_completion "beta" "$POOLCTL" pool-migrate --all alpha b
expect_completion "alpha beta gamma pool0" "$POOLCTL" pool-mig --all alpha ""
expect_completion "" "$POOLCTL" pool-migrate --all alpha beta ""
expect_completion "--dry-run --json" "$POOLCTL" pool-migrate --all alpha --
expect_completion "--dry-run --json" "$POOLCTL" pool-migrate vm1 --
expect_completion "" "$POOLCTL" pool-migrate vm1 alpha ""
expect_completion "Domain-0 vm1" "$POOLCTL" pool-migrate ""
step "pool-rename NAME NEW_NAME: a pool, then a name of the user's"
expect_completion "alpha" "$POOLCTL" pool-rename a
expect_completion "" "$POOLCTL" pool-rename alpha ""

step "top's options: each once, and nothing for their values"
expect_completion "--json -b -d -n" "$POOLCTL" top -
expect_completion "--json -d" "$POOLCTL" top -b -n 2 -
expect_completion "" "$POOLCTL" top -b -n ""
expect_completion "" "$POOLCTL" top -d ""

step "another socket named with -s: the names come from there"
expect_completion "" "$POOLCTL" -s "$T/nowhere.sock" pool-destroy ""
expect_completion "" "$POOLCTL" --socket "$T/nowhere.sock" pool-destroy ""
expect_completion "" "$POOLCTL" --socket="$T/nowhere.sock" pool-destroy ""
expect_completion "" "$POOLCTL" -s"$T/nowhere.sock" pool-destroy ""
expect_completion "alpha" "$POOLCTL" --socket="$T/poold.sock" pool-destroy a
expect_completion "alpha" "$POOLCTL" --socket="$T/poold.sock" --json pool-destroy a

step "the socket's path: file names, after -s, --socket and --socket="
mkdir "$T/sockdir"
: >"$T/sockdir/one.sock"
: >"$T/sockdir/other"
mkdir "$T/sockdir/sub"
expect_completion "$T/sockdir/one.sock $T/sockdir/other" "$POOLCTL" -s "$T/sockdir/o"
expect_completion "$T/sockdir/one.sock $T/sockdir/other" "$POOLCTL" --socket "$T/sockdir/o"
expect_completion "$T/sockdir/one.sock" "$POOLCTL" --json --socket "$T/sockdir/on"
expect_completion "$T/sockdir/sub" "$POOLCTL" --socket "$T/sockdir/s"
# bash inserts the text after the word's last break: the path alone after "--socket=".
expect_with split "$T/sockdir/one.sock $T/sockdir/other" "$POOLCTL" --socket="$T/sockdir/o"
expect_with whole "--socket=$T/sockdir/one.sock --socket=$T/sockdir/other" \
	"$POOLCTL" --socket="$T/sockdir/o"
expect_completion "-s$T/sockdir/one.sock" "$POOLCTL" -s"$T/sockdir/on"
# A ':' in the path is a break of bash's too: past it, the rest of the name.
: >"$T/sockdir/a:b.sock"
expect_with split "b.sock" "$POOLCTL" --socket="$T/sockdir/a:"
expect_with split "b.sock" "$POOLCTL" -s "$T/sockdir/a:b"
expect_with whole "$T/sockdir/a:b.sock" "$POOLCTL" -s "$T/sockdir/a:b"
step "apply: the layout file's name, then --dry-run; export: nothing"
: >"$T/sockdir/layout.json"
expect_completion "$T/sockdir/layout.json" "$POOLCTL" apply "$T/sockdir/l"
expect_completion "--dry-run --json" "$POOLCTL" apply --
expect_completion "--dry-run" "$POOLCTL" apply "$T/sockdir/layout.json" ""
expect_completion "" "$POOLCTL" export ""
step "a --timeout's value is seconds: nothing offered"
expect_completion "" "$POOLCTL" --timeout ""
expect_completion "pool-create" "$POOLCTL" --timeout 3 pool-c

step "a KEY= given is not offered again, nor its other spellings or what excludes it"
expect_completion "--dry-run cap= share=" "$POOLCTL" pool-create delta ncpu=2 ""
expect_completion "--dry-run cap= share=" "$POOLCTL" pool-create delta cpu=1 ""
expect_completion "--dry-run cap= share=" "$POOLCTL" pool-create delta cpus=1-2 ""
expect_completion "--dry-run cap= share=" "$POOLCTL" pool-create delta nodes=1 ""
expect_completion "--dry-run cpu= cpus= ncpu= node= nodes= share=" "$POOLCTL" pool-modify alpha cap=50 ""
expect_completion "--dry-run share=" "$POOLCTL" pool-modify alpha cap=50 cpu=1 ""
expect_completion "--dry-run" "$POOLCTL" pool-modify alpha cap=50 cpu=1 share=off ""
expect_completion "" "$POOLCTL" pool-modify alpha cap=50 cpu=1 share=off --dry-run ""
expect_completion "cap=" "$POOLCTL" pool-create delta ncpu=2 c
expect_completion "--dry-run weight=" "$POOLCTL" domain-set vm1 cap=10 ""
expect_completion "--dry-run cap=" "$POOLCTL" domain-set weight=5 vm1 ""
step "nor a --FLAG given"
expect_completion "--dry-run" "$POOLCTL" pool-destroy --force alpha ""
expect_completion "" "$POOLCTL" pool-destroy --force alpha --dry-run ""
expect_completion "--dry-run --json" "$POOLCTL" pool-destroy alpha --force --
expect_completion "--dry-run" "$POOLCTL" pool-destroy alpha --force --json --
expect_completion "--dry-run --force" "$POOLCTL" --json pool-destroy alpha --
step "the positional words count KEY=VALUE as one word, as poolctl does"
expect_completion "alpha beta gamma pool0" "$POOLCTL" pool-migrate vm1 ""
