# bash completion for poolctl(8). Installed as bash-completion/completions/poolctl.
#
# The command names and each command's KEY=, --FLAG and --FORM words come from
# poolctl's own table (`poolctl --commands [COMMAND]`), so this file never
# needs to learn a new command; a KEY= already on the command line is not
# offered again, nor its other spellings or what excludes it (one line of
# --commands each). Pool and domain names come from the running poold
# (`poolctl pool-list`, `domain-list`, which the read-only socket serves too),
# through the same -s SOCKET, --socket=SOCKET or $POOLD_SOCKET as the command
# line.

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

# Rebuilds the command line's words up to the cursor into _poolctl_argv (the last
# one cut at the cursor) and its index into _poolctl_cword. bash splits words at
# the characters of COMP_WORDBREAKS too ('=', ':'), so "--socket=PATH" arrives as
# "--socket" "=" "PATH"; words that touch on the line are joined again, as poolctl
# gets them. A line that does not read as COMP_WORDS leaves bash's words as they are.
_poolctl_join()
{
	local line=${COMP_LINE-} rest w i

	_poolctl_argv=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
	_poolctl_cword=$COMP_CWORD
	[ -n "${COMP_LINE+set}" ] || return 0
	line=${line:0:${COMP_POINT:-${#line}}}
	local -a argv=()
	for ((i = 0; i <= COMP_CWORD; i++)); do
		rest=${line#"${line%%[![:space:]]*}"}
		w=${COMP_WORDS[i]}
		if [ "$i" -eq "$COMP_CWORD" ]; then
			w=$rest
		elif [ -z "$w" ] || [ "${rest#"$w"}" = "$rest" ]; then
			return 0
		fi
		if [ "$i" -gt 0 ] && [ "${#rest}" -eq "${#line}" ]; then
			argv[-1]+=$w
		else
			argv+=("$w")
		fi
		line=${rest#"$w"}
	done
	_poolctl_argv=("${argv[@]}")
	_poolctl_cword=$((${#argv[@]} - 1))
}

# Completes file names for value, the end of word (the word under the cursor),
# as bash inserts them: in place of the text after the word's last
# COMP_WORDBREAKS character.
_poolctl_files()
{
	local word=$1 value=$2 head= f i

	for ((i = ${#word} - 1; i >= 0; i--)); do
		if [[ ${COMP_WORDBREAKS-} == *"${word:i:1}"* ]]; then
			head=${word:0:i+1}
			break
		fi
	done
	compopt -o filenames 2>/dev/null
	while IFS= read -r f; do
		f=${word%"$value"}$f
		COMPREPLY+=("${f#"$head"}")
	done < <(compgen -f -- "$value")
}

# _poolctl_unused COMMAND WORD...: prints the words of `poolctl --commands COMMAND`
# from the lines that have none of the WORDs (the command line's, after the command)
# already: no KEY= given as KEY=VALUE, no --FLAG or -X option given.
_poolctl_unused()
{
	local full=$1 line w
	local -a ws
	local given=" "

	shift
	for w; do
		case $w in
		--*) given+="$w " ;;
		-[a-z]) given+="$w " ;; # top's -b, -n, -d
		*=*) given+="${w%%=*}= " ;;
		esac
	done
	while read -r line; do
		read -ra ws <<<"$line"
		for w in "${ws[@]}"; do
			case $given in
			*" $w "*) continue 2 ;;
			esac
		done
		printf '%s\n' "${ws[@]}"
	done < <(_poolctl_run --commands "$full")
}

_poolctl()
{
	local -a _poolctl_argv=() _poolctl_sock=()
	local _poolctl_cword=0 _poolctl_argv0=${COMP_WORDS[0]}
	local cur prev= i w cmd= cmd_i=0 npos=0 full words=

	_poolctl_join
	cur=${_poolctl_argv[_poolctl_cword]}
	[ "$_poolctl_cword" -gt 0 ] && prev=${_poolctl_argv[_poolctl_cword - 1]}
	[ "${_poolctl_argv0:0:1}" = "~" ] && _poolctl_argv0=$HOME${_poolctl_argv0:1}
	COMPREPLY=()

	# poolctl's own options come before the command ('+' in its getopt); only
	# --json may follow it too.
	for ((i = 1; i < _poolctl_cword; i++)); do
		w=${_poolctl_argv[i]}
		case $w in
		-s | --socket)
			i=$((i + 1))
			[ "$i" -lt "$_poolctl_cword" ] && _poolctl_sock=(-s "${_poolctl_argv[i]}")
			;;
		--socket=*) _poolctl_sock=(-s "${w#--socket=}") ;;
		-s?*) _poolctl_sock=(-s "${w#-s}") ;;
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
		case $prev:$cur in
		-s:* | --socket:*)
			_poolctl_files "$cur" "$cur"
			return
			;;
		*:--socket=*)
			_poolctl_files "$cur" "${cur#--socket=}"
			return
			;;
		*:-s?*)
			_poolctl_files "$cur" "${cur#-s}"
			return
			;;
		-t:* | --timeout:*) return ;; # seconds
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
	for ((i = cmd_i + 1; i < _poolctl_cword; i++)); do
		case ${_poolctl_argv[i]} in
		-* | *=*) ;;
		*) npos=$((npos + 1)) ;;
		esac
	done
	case $cur in
	*=*) return ;; # a value: counts and cpu lists are the user's
	esac

	# pool-migrate --all FROM POOL, its second form, takes two pool names.
	local form=
	if [ "$full" = pool-migrate ]; then
		for ((i = cmd_i + 1; i < _poolctl_cword; i++)); do
			[ "${_poolctl_argv[i]}" = --all ] && form=--all
		done
	fi

	case $full$form:$npos in
	apply:0)
		# The layout file (- for stdin); --dry-run before it is offered too.
		if [ "${cur:0:1}" != "-" ]; then
			_poolctl_files "$cur" "$cur"
			return 0
		fi
		;;
	pool-modify:0 | pool-destroy:0 | pool-migrate:1 | pool-migrate--all:[01] | pool-rename:0)
		words=$(_poolctl_pools)
		;;
	pool-migrate:0 | domain-set:0)
		words=$(_poolctl_domains)
		;;
	pool-rename:* | pool-migrate:* | pool-migrate--all:*) ;; # a new name, or nothing left
	log-level:0)
		words="err warning notice info debug"
		;;
	help:0)
		words=$(_poolctl_run --commands)
		;;
	top:*)
		# -n N and -d SECS: the value is the user's.
		case $prev in
		-n | -d) return 0 ;;
		esac
		words=$(_poolctl_unused "$full" "${_poolctl_argv[@]:cmd_i+1:_poolctl_cword-cmd_i-1}")
		;;
	pool-create:0) ;; # a new pool's name
	*)
		words=$(_poolctl_unused "$full" "${_poolctl_argv[@]:cmd_i+1:_poolctl_cword-cmd_i-1}")
		;;
	esac
	# A --FLAG is welcome anywhere after the command, and so is --json.
	if [ "${cur:0:1}" = "-" ]; then
		words=$(_poolctl_unused "$full" "${_poolctl_argv[@]:cmd_i+1:_poolctl_cword-cmd_i-1}" |
			grep -- '^-')
		# A second form's --FORM word comes before the positional words it changes.
		[ "$npos" -gt 0 ] && words=$(printf '%s\n' $words | grep -vx -- --all)
		# Offered until it is on the line, before or after the command.
		case " ${_poolctl_argv[*]:1:_poolctl_cword-1} " in
		*" --json "* | *" -j "*) ;;
		*) words+=" --json" ;;
		esac
	fi
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	# KEY= wants its value right after the '='.
	if [ "${#COMPREPLY[@]}" -eq 1 ] && [ "${COMPREPLY[0]: -1}" = "=" ]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _poolctl poolctl
