#!/usr/bin/env bash
# The Windows-host smoke suite's plumbing cases, run from Linux against the
# mingw-w64 cordon.exe under Wine (ctest wine.smoke_windows_plumbing, label
# wine). This exercises the suite's Python (harness, path spelling, PATH
# handover, doctor parsing, the mode and skip decisions) and cordon's
# plumbing (exit statuses, output, the workspace, ssh stubs first on PATH,
# the tree dying on timeout, ConPTY). Every line of the suite says
# "plumbing (Wine)"; the cases that need enforcement skip with "Wine
# enforces no ACLs". Nothing here shows confinement.
#
# Usage: wine_plumbing.sh PYTHON MINGW_BUILD_DIR WORK_DIR
# Exit: 0 passed, 1 failed, 77 skipped (no wine, or no mingw cordon.exe:
# wine.plumbing builds it first).
set -uo pipefail
python=$1
mingw=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)

command -v wine >/dev/null 2>&1 || {
	echo "SKIP: wine is not installed (scripts/setup-debian.sh installs it)"
	exit 77
}
[ -f "$mingw/cordon.exe" ] || {
	echo "SKIP: $mingw/cordon.exe is missing; the mingw-w64 build (made by wine.plumbing) comes first"
	exit 77
}

mkdir -p "$work"
work=$(cd "$work" && pwd -P)
. "$here/../../wine/wine_prefix.sh"
wine_prefix_use "$work/prefix" "$work/.lock" "not ok - plumbing (Wine): wineboot failed"
# One wineserver for the whole run (each cordon.exe start is faster); it
# is this prefix's own, and ends with the run.
wineserver -p 60
trap 'timeout 30 wineserver -k >/dev/null 2>&1' EXIT

base="$work/cases"
rm -rf "$base" && mkdir -p "$base"
"$python" "$here/smoke.py" --cordon "$mingw/cordon.exe" --wine --mode both --base "$base" | tee "$work/suite.out"
status=${PIPESTATUS[0]}

# The run must have exercised something and must say it is plumbing.
passed=$(sed -n 's/^plumbing: \([0-9]*\) passed, .*/\1/p' "$work/suite.out")
if [ -z "$passed" ] || [ "$passed" -lt 1 ]; then
	echo "not ok - plumbing (Wine): the suite passed no plumbing case (closing line: $(tail -1 "$work/suite.out"))"
	exit 1
fi
if grep -E '^(not )?ok [0-9]+ - ' "$work/suite.out" | grep -qv ' - plumbing (Wine) '; then
	echo "not ok - plumbing (Wine): a result line does not say 'plumbing (Wine)'"
	exit 1
fi
exit "$status"
