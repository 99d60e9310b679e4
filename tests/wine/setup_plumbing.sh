#!/usr/bin/env bash
# `cordon setup` under Wine: plumbing only. Wine has no WFP
# (RPC_S_CANNOT_SUPPORT), keeps NetUserAdd's accounts per process and
# DPAPI's key in the open, enforces no file DACL: nothing here shows what
# setup protects on Windows.
# Usage: tests/wine/setup_plumbing.sh MINGW_BUILD_DIR
# Exit: 0 passed, 1 failed, 77 skipped (no mingw compiler, wine or build).
set -uo pipefail
build=${1:?usage: $0 MINGW_BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=x86_64-w64-mingw32-gcc
if ! command -v "$cc" >/dev/null || ! command -v wine >/dev/null; then
	echo "SKIP: needs $cc and wine (scripts/setup-debian.sh installs both)"
	exit 77
fi
if [ ! -f "$build/libcordon.a" ] || [ ! -f "$build/cordon.exe" ]; then
	echo "SKIP: $build has no libcordon.a or cordon.exe; build cordon with cmake/mingw-w64-x86_64.cmake first"
	exit 77
fi
"$cc" -std=gnu11 -municode -Wall -Wextra -Werror -DWIN32_LEAN_AND_MEAN -DUNICODE -D_UNICODE \
	-D_WIN32_WINNT=0x0A00 -I"$root/include" -I"$root/src" "$root/tests/wine/setup_plumbing.c" \
	"$build/libcordon.a" -ladvapi32 -lnetapi32 -lfwpuclnt -lcrypt32 -lbcrypt -luserenv -lws2_32 -luser32 -lshell32 -lole32 -static \
	-o "$build/setup_plumbing.exe" || exit 1
export WINEPREFIX="$build/wineprefix-setup" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$WINEPREFIX"
trap 'timeout 30 wineserver -k >/dev/null 2>&1' EXIT
winpath() { printf 'Z:%s' "${1//\//\\}"; }
work=$(mktemp -d "$build/setup-plumbing.XXXXXX")
failures=0
ok() { echo "ok - plumbing (Wine): $*"; }
not_ok() {
	echo "not ok - plumbing (Wine): $*"
	failures=$((failures + 1))
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

timeout 300 wine "$build/setup_plumbing.exe" store "$(winpath "$work/state")" || failures=$((failures + 1))

cordon_w=$(winpath "$build/cordon.exe")
timeout 120 wine "$build/cordon.exe" setup >"$work/out" 2>"$work/err"
status=$?
check "cordon setup under Wine (elevated, no WFP) exits 125 with one line (status $status)" \
	test "$status" = 125 -a "$(wc -l <"$work/err")" = 1
check "  ... the line names RPC_S_CANNOT_SUPPORT and says nothing was changed" \
	grep -q "RPC_S_CANNOT_SUPPORT.*nothing was changed" "$work/err"
check "  ... it never reports success" bash -c "! grep -qi 'done\|nothing to do' '$work/out'"
record=$(ls "$WINEPREFIX"/drive_c/users/*/AppData/Local/cordon/setup/record.json 2>/dev/null | head -1)
check "  ... and leaves no record" test -z "$record"

# Wine starts processes with a full (elevated) administrator token; the
# linked token is the limited one, so the unelevated refusal is tested
# through it.
timeout 120 wine "$build/setup_plumbing.exe" limited "$cordon_w setup" >"$work/out" 2>"$work/err"
status=$?
if [ "$status" = 77 ]; then
	echo "skip - plumbing (Wine): no linked token to start cordon unelevated: $(cat "$work/err")"
else
	check "cordon setup from a non-elevated token exits 125 (status $status)" test "$status" = 125
	check "  ... with the one line asking for an elevated prompt" \
		grep -q "cordon setup needs an elevated (administrator) prompt; nothing was changed" "$work/err"
fi

timeout 120 wine "$build/cordon.exe" doctor >"$work/out" 2>"$work/err"
check "cordon doctor prints 'elevated mode: not set up'" grep -q "elevated mode: not set up" "$work/out"
timeout 120 wine "$build/cordon.exe" setup --uninstall >"$work/out" 2>"$work/err"
status=$?
check "cordon setup --uninstall without a record: nothing to remove, exit 0 (status $status)" \
	test "$status" = 0 -a -n "$(grep 'nothing to remove' "$work/out")"

rm -rf "$work"
[ "$failures" = 0 ] || exit 1
exit 0
