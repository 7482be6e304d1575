#!/bin/sh
# The layering of src/, from the includes and from the symbols the objects call:
#   - src/core includes only core and util headers, and no I/O library;
#   - src/ctl sees the daemon only through its engine's interface (poold/engine.h);
#   - the engine (engine.c, reconcile.c, saver.c, shares.c, state.c) never calls into src/ctl
#     or systemd: its events go to the sink the daemon gives it;
#   - poolctl never includes a daemon header.
# Usage: check-layers.sh SRCDIR [LIBDAEMON.a]; the engine's members of the library are
# checked with nm for the calls they make.
set -u
src=${1:?usage: check-layers.sh SRCDIR [LIBDAEMON.a]}
lib=${2:-}
bad=0

violation()
{
	echo "layering: $*" >&2
	bad=1
}

# "file: header" for every quoted include of the files given.
includes()
{
	for f in "$@"; do
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
			while read -r h; do echo "$f: $h"; done
	done
}

# Any include of these files outside the allowed patterns is a violation.
check_includes()
{
	what=$1
	allowed=$2
	shift 2
	includes "$@" | while read -r f h; do
		f=${f%:}
		case "$h" in
		*/*) ;;
		*) continue ;; # a header of the same directory (or the protocol at the top)
		esac
		echo "$h" | grep -Eq "^($allowed)$" || echo "$what: $f includes $h"
	done
}

out=$(
	check_includes "core must stay pure" 'core/[a-z-]+\.h|util/(error|log)\.h' "$src"/src/core/*.[ch]
	check_includes "ctl sees only the engine's interface" \
		'core/[a-z-]+\.h|util/[a-z-]+\.h|ctl/[a-z-]+\.h|poold/engine\.h' "$src"/src/ctl/*.[ch]
	check_includes "the engine never reaches the control server" \
		'core/[a-z-]+\.h|util/[a-z-]+\.h|hv/hv\.h|xs/xsw\.h|poold/(engine|engine-int|reconcile|saver|shares|state|config)\.h' \
		"$src"/src/poold/engine.[ch] "$src"/src/poold/engine-int.h "$src"/src/poold/reconcile.[ch] \
		"$src"/src/poold/saver.[ch] "$src"/src/poold/shares.[ch] "$src"/src/poold/state.[ch]
	check_includes "poolctl never includes the daemon" 'poolctl/[a-z-]+\.h|util/[a-z-]+\.h' \
		"$src"/src/poolctl/*.[ch]
)
[ -n "$out" ] && violation "$out"

# System headers the engine must not use either.
for f in "$src"/src/poold/engine.c "$src"/src/poold/reconcile.c "$src"/src/poold/saver.c "$src"/src/poold/shares.c \
	"$src"/src/poold/state.c "$src"/src/core/*.c; do
	grep -Eq '^[[:space:]]*#[[:space:]]*include[[:space:]]*<systemd/' "$f" &&
		violation "$f includes systemd: the daemon tells systemd, from the engine's events"
done
for f in "$src"/src/core/*.c; do
	grep -Eq '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(event2/|xen|jansson|sys/socket)' "$f" &&
		violation "$f includes an I/O library: core is pure"
done

# The calls the engine's objects make: none into ctl_*, none into sd_*.
if [ -n "$lib" ]; then
	calls=$(nm -u "$lib" | awk '
		/:$/ { m = $0; sub(/:$/, "", m); next }
		m ~ /(^|[-_.\/])(engine|reconcile|saver|shares|state)\.c\.o$/ && $2 ~ /^(ctl_|sd_)/ {
			print m ": " $2
		}')
	[ -n "$calls" ] && violation "the engine calls out: $calls"
	nm -u "$lib" | grep -q 'reconcile.c.o:' || violation "no reconcile object in $lib"
fi

# The test must be able to fail: a planted violation is found.
if [ -z "${LAYERS_SELF:-}" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/src/core" "$tmp/src/ctl" "$tmp/src/poold" "$tmp/src/poolctl"
	for d in core ctl poold poolctl; do
		cp "$src"/src/$d/*.[ch] "$tmp/src/$d/"
	done
	echo '#include "poold/engine-int.h"' >>"$tmp/src/ctl/cmd.c"
	echo '#include "ctl/server.h"' >>"$tmp/src/poold/reconcile.c"
	LAYERS_SELF=1 sh "$0" "$tmp" >/dev/null 2>"$tmp/err"
	grep -q 'ctl sees only' "$tmp/err" && grep -q 'never reaches' "$tmp/err" ||
		violation "the planted violations were not found: $(cat "$tmp/err")"
fi

[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
