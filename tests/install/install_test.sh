#!/usr/bin/env bash
# `cmake --install` into a DESTDIR, then what a user of the installed cordon
# does: the layout is complete, `pkg-config --cflags --libs cordon` (and
# --static) builds tests/install/consumer.c with the system cc, and the
# program, linked against the installed library either way, really
# sandboxes: its write in the workspace lands, its write outside does not.
# The shared library exports exactly the functions cordon.h declares.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR     (exit 77: skipped)
set -euo pipefail
build=$1
source=$2
prefix=/usr/local
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cordon-install-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
destdir=$scratch/destdir
root=$destdir$prefix
failures=0
ok() { echo "ok   $*"; }
fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

DESTDIR=$destdir cmake --install "$build" --prefix "$prefix" >"$scratch/install.log"
libdir=$(dirname "$(find "$root" -name cordon.pc -path '*/pkgconfig/*' -print -quit)")
libdir=${libdir%/pkgconfig}
for file in bin/cordon include/cordon.h share/man/man1/cordon.1 share/bash-completion/completions/cordon \
	share/zsh/site-functions/_cordon share/doc/cordon/README.md share/doc/cordon/docs/cli.md \
	share/doc/cordon/docs/threat-model.md; do
	check "installed $prefix/$file" test -s "$root/$file"
done
check "installed ${libdir#"$destdir"}/libcordon.a" test -s "$libdir/libcordon.a"
check "installed ${libdir#"$destdir"}/libcordon.so.0 (a link to the versioned file)" \
	test -L "$libdir/libcordon.so.0" -a -s "$libdir/libcordon.so.0"
check "libcordon.so.0's soname is libcordon.so.0" \
	bash -c "readelf -d '$libdir/libcordon.so.0' | grep -q 'Library soname: \[libcordon.so.0\]'"
version=$("$root/bin/cordon" version)
check "the installed cordon runs: '$version'" test "$version" = "$("$build/cordon" version)"

# Exports: the functions cordon.h declares, no more (no internals in the
# ABI) and no fewer (nothing declared but missing).
grep -oE '^([a-z][a-z0-9_ *]*[ *])?cordon_[a-z0-9_]+\(' "$root/include/cordon.h" |
	grep -oE 'cordon_[a-z0-9_]+\($' | tr -d '(' | sort -u >"$scratch/declared"
nm -D --defined-only "$libdir/libcordon.so.0" | awk '$2 == "T" { print $3 }' | sort -u >"$scratch/exported"
if diff "$scratch/declared" "$scratch/exported" >"$scratch/exports.diff"; then
	ok "libcordon.so.0 exports exactly the $(wc -l <"$scratch/declared") functions cordon.h declares"
else
	fail "libcordon.so.0's exports differ from cordon.h's declarations (< declared only, > exported only):"
	cat "$scratch/exports.diff"
fi

# pkg-config as for any staged install: the sysroot prefixes -I and -L.
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$destdir
check "pkg-config --modversion cordon is ${version#cordon }" test "$(pkg-config --modversion cordon)" = "${version#cordon }"
check "pkg-config --static --libs cordon adds pthread, and no libseccomp (compiled in at build time)" \
	bash -c 'libs=$(pkg-config --static --libs cordon); [[ $libs == *-pthread* && $libs != *seccomp* ]]'
cc=${CC:-cc}
# shellcheck disable=SC2046 # pkg-config's output is a list of words
"$cc" -Wall -Werror -o "$scratch/consumer-shared" "$source/tests/install/consumer.c" $(pkg-config --cflags --libs cordon)
check "the shared build links libcordon.so.0" \
	bash -c "readelf -d '$scratch/consumer-shared' | grep -q 'Shared library: \[libcordon.so.0\]'"
# shellcheck disable=SC2046
"$cc" -static -Wall -o "$scratch/consumer-static" "$source/tests/install/consumer.c" \
	$(pkg-config --static --cflags --libs cordon) 2>"$scratch/static.log" ||
	{
		cat "$scratch/static.log"
		exit 1
	}
check "the static build needs no shared library" \
	bash -c "! readelf -d '$scratch/consumer-static' 2>/dev/null | grep -q NEEDED"

skipped=""
for kind in shared static; do
	workspace=$scratch/ws-$kind
	outside=$scratch/outside-$kind.txt
	mkdir "$workspace"
	status=0
	LD_LIBRARY_PATH=$libdir "$scratch/consumer-$kind" "$workspace" "$outside" >"$scratch/out-$kind" 2>&1 || status=$?
	if [ "$status" = 77 ]; then
		skipped="$skipped $kind: $(tail -n 1 "$scratch/out-$kind")"
		continue
	fi
	check "$kind consumer exited 0" test "$status" = 0
	check "$kind consumer printed the resolved policy" \
		grep -q "\"cwd\": \"$(cd "$workspace" && pwd -P)\"" "$scratch/out-$kind"
	check "$kind consumer's sandboxed write in the workspace is on the host" \
		grep -qx inside "$workspace/written-inside.txt"
	check "$kind consumer's sandboxed write outside every root is not" test ! -e "$outside"
	[ "$status" = 0 ] || cat "$scratch/out-$kind"
done

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
if [ -n "$skipped" ]; then
	echo "SKIP: this host cannot build cordon's sandbox:$skipped"
	exit 77
fi
echo "all install checks passed"
