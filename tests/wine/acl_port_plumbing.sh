#!/usr/bin/env bash
# Builds tests/wine/acl_port_plumbing.c against a mingw build of cordon and
# runs it under Wine in a prefix of its own. Plumbing only: Wine stores no
# file DACLs and enforces none, so nothing here shows confinement.
# Usage: tests/wine/acl_port_plumbing.sh MINGW_BUILD_DIR
# Exit: 0 passed, 1 failed, 77 skipped (no mingw compiler or no wine).
set -euo pipefail
build=${1:?usage: $0 MINGW_BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=x86_64-w64-mingw32-gcc
if ! command -v "$cc" >/dev/null || ! command -v wine >/dev/null; then
	echo "SKIP: needs $cc and wine (scripts/setup-debian.sh installs both)"
	exit 77
fi
if [ ! -f "$build/libcordon.a" ]; then
	echo "SKIP: $build/libcordon.a missing; build cordon with cmake/mingw-w64-x86_64.cmake first"
	exit 77
fi
"$cc" -std=gnu11 -Wall -Wextra -Werror -DWIN32_LEAN_AND_MEAN -DUNICODE -D_UNICODE -D_WIN32_WINNT=0x0A00 \
	-I"$root/include" -I"$root/src" "$root/tests/wine/acl_port_plumbing.c" "$build/libcordon.a" -ladvapi32 \
	-o "$build/acl_port_plumbing.exe"
export WINEPREFIX="$build/wineprefix-acl" WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
status=0
timeout 300 wine "$build/acl_port_plumbing.exe" || status=$?
timeout 60 wineserver -w || true
exit "$status"
