# bash completion for poolctl(8). Installed as bash-completion/completions/poolctl.
#
# The command names and each command's KEY= and --FLAG words come from
# poolctl's own table (`poolctl --commands [COMMAND]`), so this file never
# needs to learn a new command. Pool and domain names come from the running
# poold (`poolctl pool-list`, `domain-list`, which the read-only socket
# serves too), through the same -s SOCKET or $POOLD_SOCKET as the command line.

# Runs the poolctl being completed with the socket the command line names. A TAB
# must never hang: a poold that does not answer within a second offers nothing.
_poolctl_run()
{
	"${_poolctl_argv0}" --timeout 1 "${_poolctl_sock[@]}" "$@" 2>/dev/null
}

# Prints pool names: pool-list's first column, below its header.
_poolctl_pools()
{
	_poolctl_run pool-list | {
		read -r _
		while read -r name _; do
			printf '%s\n' "$name"
		done
	}
}

# Prints domain names: domain-list's second column, below its header.
_poolctl_domains()
{
	_poolctl_run domain-list | {
		read -r _
		while read -r _ name _; do
			printf '%s\n' "$name"
		done
	}
}

# Resolves a command word as poolctl does: the exact name, or a unique prefix.
_poolctl_command()
{
	local word=$1 name found= n=0

	while read -r name; do
		if [ "$name" = "$word" ]; then
			printf '%s\n' "$name"
			return
		fi
		if [ "${name#"$word"}" != "$name" ]; then
			found=$name
			n=$((n + 1))
		fi
	done < <(_poolctl_run --commands)
	[ "$n" -eq 1 ] && printf '%s\n' "$found"
}

_poolctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local i w cmd= cmd_i=0 npos=0 full words=
	local _poolctl_argv0=${COMP_WORDS[0]}
	local -a _poolctl_sock=()

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	[ "${_poolctl_argv0:0:1}" = "~" ] && _poolctl_argv0=$HOME${_poolctl_argv0:1}
	COMPREPLY=()

	# poolctl's own options come before the command ('+' in its getopt).
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-s | --socket)
			i=$((i + 1))
			[ "$i" -lt "$COMP_CWORD" ] && _poolctl_sock=(-s "${COMP_WORDS[i]}")
			;;
		--socket=*) _poolctl_sock=(-s "${w#--socket=}") ;;
		-t | --timeout) i=$((i + 1)) ;; # its value is not the command
		-*) ;;
		*)
			cmd=$w
			cmd_i=$i
			break
			;;
		esac
	done

	if [ -z "$cmd" ]; then
		case $prev in
		-s | --socket)
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return
			;;
		esac
		if [ "${cur:0:1}" = "-" ]; then
			mapfile -t COMPREPLY < <(compgen -W "-s --socket -j --json -t --timeout \
				-h --help -V --version --commands" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_poolctl_run --commands)" -- "$cur")
		fi
		return
	fi

	full=$(_poolctl_command "$cmd")
	[ -n "$full" ] || return
	# Which positional word the cursor is on: KEY=VALUE and --FLAG words don't count.
	for ((i = cmd_i + 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-* | *=*) ;;
		*) npos=$((npos + 1)) ;;
		esac
	done
	case $cur in
	*=*) return ;; # a value: counts and cpu lists are the user's
	esac

	case $full:$npos in
	pool-modify:0 | pool-destroy:0 | pool-migrate:1)
		words=$(_poolctl_pools)
		;;
	pool-migrate:0 | domain-set:0)
		words=$(_poolctl_domains)
		;;
	log-level:0)
		words="err warning notice info debug"
		;;
	pool-create:0) ;; # a new pool's name
	*)
		words=$(_poolctl_run --commands "$full")
		;;
	esac
	# A --FLAG is welcome anywhere after the command.
	if [ "${cur:0:1}" = "-" ]; then
		words=$(_poolctl_run --commands "$full" | grep -- '^--')
	fi
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	# KEY= wants its value right after the '='.
	if [ "${#COMPREPLY[@]}" -eq 1 ] && [ "${COMPREPLY[0]: -1}" = "=" ]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _poolctl poolctl
