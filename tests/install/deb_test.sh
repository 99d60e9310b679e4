#!/usr/bin/env bash
# The Debian package cpack makes (cmake/package.cmake).
#   deb_test.sh build BUILD_DIR OUT      cpack -G DEB into OUT
#   deb_test.sh contents OUT             Depends, file list, and the files
#                                        (dpkg -x) run: version, a sandbox
#   deb_test.sh dpkg-install OUT         a real `dpkg -i` on a throwaway
#                                        overlay of this very system, then
#                                        cordon from PATH, man, pkg-config
# dpkg-install never touches the host: the overlay's upper layer is a tmpfs
# in a private mount namespace, gone when the test ends. It needs root and
# overlayfs; without them it exits 77 (skipped) and says why.
set -euo pipefail
failures=0
ok() { echo "ok   $*"; }
fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	echo "all package checks passed"
}
package_in() {
	local found
	found=$(find "$1" -maxdepth 1 -name 'cordon_*.deb' -print -quit)
	[ -n "$found" ] || {
		echo "no cordon_*.deb in $1: run '$0 build' first" >&2
		exit 1
	}
	echo "$found"
}

# Runs the sandbox the way the README does, with the cordon given, in a
# workspace under $2; the temp directory is kept read-only (--no-tmp) so a
# scratch directory under /tmp is "outside".
sandbox_check() {
	local cordon=$1 scratch=$2 label=$3
	mkdir -p "$scratch/ws"
	local status=0
	"$cordon" run -q --no-tmp -C "$scratch/ws" -- sh -c "echo inside > hello.txt; echo x > '$scratch/outside.txt'" \
		2>"$scratch/sandbox.err" || status=$?
	if [ "$status" = 125 ] && grep -q "cannot build the sandbox" "$scratch/sandbox.err"; then
		echo "SKIP $label: $(cat "$scratch/sandbox.err")"
		return 77
	fi
	check "$label: the write in the workspace landed" grep -qx inside "$scratch/ws/hello.txt"
	check "$label: the write outside was refused (status $status)" test ! -e "$scratch/outside.txt" -a "$status" != 0
}

case ${1:-} in
build)
	build=$2
	out=$3
	rm -rf "$out"
	mkdir -p "$out"
	# The configuration a user's `cpack -G DEB` in the build directory reads.
	(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || {
		cat "$out/cpack.log"
		exit 1
	}
	ls -l "$(package_in "$out")"
	;;
contents)
	deb=$(package_in "$2")
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/cordon-deb-test.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	depends=$(dpkg-deb -f "$deb" Depends)
	echo "Depends: $depends"
	check "Depends names libc6" grep -q 'libc6' <<<"$depends"
	# Every shared library a packaged program or library needs comes from
	# a package Depends names (what dpkg-shlibdeps is for).
	dpkg-deb -x "$deb" "$scratch/root"
	# ldconfig lives in /sbin, off an ordinary user's PATH.
	ldconfig=$(PATH=$PATH:/usr/sbin:/sbin command -v ldconfig || true)
	for elf in "$scratch"/root/usr/bin/cordon "$scratch"/root/usr/lib/*/libcordon.so.0 \
		"$scratch"/root/usr/lib/libcordon.so.0; do
		[ -f "$elf" ] || continue
		for needed in $(objdump -p "$elf" | awk '$1 == "NEEDED" { print $2 }'); do
			path=$("${ldconfig:-ldconfig}" -p | awk -v n="$needed" '$1 == n { print $NF; exit }' || true)
			owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1 || true)
			[ -n "$owner" ] || owner=$(dpkg -S "$path" 2>/dev/null | head -n1 | cut -d: -f1 || true)
			check "${elf#"$scratch"/root}: $needed comes from ${owner:-?}, which Depends names" \
				grep -Eq "(^|, )${owner:-no-owner}( |,|$)" <<<"$depends"
		done
	done
	check "Depends does not name libseccomp2 (compiled in at build time)" \
		bash -c '! grep -q libseccomp2 <<<"$1"' _ "$depends"
	# Each dependency is met by this system's packages, as dpkg -i checks.
	IFS=',' read -ra items <<<"$depends"
	for item in "${items[@]}"; do
		item=$(sed -E 's/^ +| +$//g' <<<"$item")
		name=$(awk '{ print $1 }' <<<"$item")
		relation=$(sed -nE 's/.*\((>=|<=|>>|<<|=) *([^)]*)\).*/\1 \2/p' <<<"$item")
		installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
		if [ -z "$installed" ]; then
			fail "dependency $name is not installed here"
		elif [ -n "$relation" ] && ! dpkg --compare-versions "$installed" "${relation%% *}" "${relation#* }"; then
			fail "dependency $item: installed $installed does not satisfy it"
		else
			ok "dependency $item: installed $installed"
		fi
	done
	dpkg-deb -c "$deb" | sed -E 's/ -> .*//' | awk '{ print $NF }' >"$scratch/files"
	# The library directory is lib or lib/<multiarch> (a /usr-prefixed build).
	for file in ./usr/bin/cordon ./usr/include/cordon.h './usr/lib(/[^/]+)?/libcordon.a' \
		'./usr/lib(/[^/]+)?/libcordon.so.0' './usr/lib(/[^/]+)?/pkgconfig/cordon.pc' ./usr/share/man/man1/cordon.1 \
		./usr/share/bash-completion/completions/cordon ./usr/share/zsh/vendor-completions/_cordon \
		./usr/share/doc/cordon/README.md; do
		check "the package holds ${file#.}" grep -Eqx -- "$file" "$scratch/files"
	done
	dpkg-deb -x "$deb" "$scratch/root"
	# ldconfig lives in /sbin, off an ordinary user's PATH.
	ldconfig=$(PATH=$PATH:/usr/sbin:/sbin command -v ldconfig || true)
	pc=$(find "$scratch/root/usr/lib" -path '*/pkgconfig/cordon.pc' -print -quit)
	check "cordon.pc names the package's prefix, /usr" grep -qx 'prefix=/usr' "$pc"
	# A user with the package but not libseccomp-dev can still ask.
	check "pkg-config --cflags --libs cordon needs nothing outside the package" \
		bash -c 'PKG_CONFIG_LIBDIR=$1 pkg-config --cflags --libs cordon >/dev/null' pc "$(dirname "$pc")"
	check "the packaged cordon says its version" \
		bash -c "'$scratch/root/usr/bin/cordon' version | grep -qx 'cordon $(dpkg-deb -f "$deb" Version)'"
	sandbox_check "$scratch/root/usr/bin/cordon" "$scratch/run" "the packaged cordon" || exit 77
	finish
	;;
dpkg-install)
	deb=$(package_in "$2")
	[ "$(id -u)" = 0 ] || {
		echo "SKIP: a real dpkg -i needs root (it installs into an overlay of this system, never the host)"
		exit 77
	}
	if ! command -v unshare >/dev/null || ! grep -qw overlay /proc/filesystems; then
		echo "SKIP: needs unshare and overlayfs to install into a throwaway copy of this system"
		exit 77
	fi
	unshare --mount --propagation private true 2>/dev/null || {
		echo "SKIP: cannot make a private mount namespace here, so no throwaway system to dpkg -i into"
		exit 77
	}
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/cordon-dpkg-test.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	cp "$deb" "$scratch/cordon.deb"
	cp "$0" "$scratch/deb_test.sh"
	# A private mount namespace: the overlay, and the host's /proc, /dev and
	# /sys bound into it, vanish with it. pivot_root, not chroot: a
	# chrooted process may not make the user namespace cordon needs.
	status=0
	unshare --mount --propagation private bash -euc '
		scratch=$1
		layers=$scratch/layers
		mkdir "$layers"
		mount -t tmpfs cordon-dpkg-test "$layers"
		mkdir "$layers/upper" "$layers/work" "$layers/merged"
		merged=$layers/merged
		if ! mount -t overlay cordon-dpkg-test -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" \
			"$merged" 2>"$layers/mount.err"; then
			echo "SKIP: cannot put an overlay on / here ($(cat "$layers/mount.err")), so no throwaway system to dpkg -i into"
			exit 77
		fi
		mount --rbind /proc "$merged/proc"
		mount --rbind /dev "$merged/dev"
		mount --rbind /sys "$merged/sys"
		mount -t tmpfs cordon-dpkg-tmp "$merged/tmp"
		cp "$scratch/cordon.deb" "$scratch/deb_test.sh" "$merged/tmp/"
		mkdir "$merged/tmp/old-root"
		cd "$merged"
		pivot_root . tmp/old-root
		cd /
		umount -l /tmp/old-root
		rmdir /tmp/old-root
		exec env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash /tmp/deb_test.sh inside-overlay /tmp/cordon.deb
	' cordon-dpkg-test "$scratch" || status=$?
	exit "$status"
	;;
inside-overlay)
	# Run by dpkg-install in the throwaway system; not for direct use.
	deb=$2
	if dpkg-query -W -f='${Status}' cordon 2>/dev/null | grep -q "install ok installed"; then
		echo "SKIP: a cordon package is already installed on this system; remove it to test a fresh install"
		exit 77
	fi
	dpkg -i "$deb" >/tmp/dpkg.log 2>&1 || {
		cat /tmp/dpkg.log
		fail "dpkg -i cordon.deb"
		finish
	}
	ok "dpkg -i installed $(dpkg-query -W -f='${Package} ${Version}' cordon)"
	check "cordon is on PATH at /usr/bin/cordon" test "$(command -v cordon)" = /usr/bin/cordon
	check "cordon version" bash -c "cordon version | grep -qx 'cordon $(dpkg-query -W -f='${Version}' cordon)'"
	check "man finds cordon(1)" bash -c "man -w cordon 2>/dev/null | grep -q /usr/share/man/man1/cordon.1"
	check "libcordon.so.0 is in the linker cache" bash -c "ldconfig -p | grep -q 'libcordon.so.0 '"
	check "pkg-config finds cordon" bash -c "pkg-config --exists cordon"
	sandbox_check cordon /tmp/run "the installed cordon" || exit 77
	if dpkg -r cordon >/tmp/dpkg-r.log 2>&1; then ok "dpkg -r removed it"; else fail "dpkg -r cordon: $(cat /tmp/dpkg-r.log)"; fi
	check "no /usr/bin/cordon after removal" test ! -e /usr/bin/cordon
	finish
	;;
*)
	echo "usage: $0 build BUILD_DIR OUT | contents OUT | dpkg-install OUT" >&2
	exit 2
	;;
esac
