#!/usr/bin/env bash
# Wine plumbing tests for cordon's Windows backend (ctest label "wine").
# Usage: run_wine_tests.sh SOURCE_DIR MINGW_BUILD_DIR WORK_DIR
#
# What this proves: cordon.exe, built with mingw-w64, starts commands in a
# job, passes exit codes, stdin, stdout and stderr, kills the tree, keeps
# inheritable handles out, and puts its ssh/scp stubs first, as Wine runs
# them. What it does not prove: any confinement. Wine ignores restricting
# SIDs and WRITE_RESTRICTED and stores no DACLs, so every line says
# "plumbing" and none claims a Windows security property.
#
# Exit: 0 all passed, 1 a check failed, 77 skipped (wine or mingw-w64
# missing: the reason is printed; never a pass).
set -uo pipefail
src=$1
mingw=$2
work=$3

skip() {
	echo "SKIP: $*"
	exit 77
}
command -v wine >/dev/null 2>&1 || skip "wine is not installed (scripts/setup-debian.sh installs wine and wine64)"
command -v wineboot >/dev/null 2>&1 || skip "wineboot is not installed (Debian package wine)"
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || skip "mingw-w64 is not installed (scripts/setup-debian.sh)"

echo "== building the mingw-w64 tree in $mingw"
if [ ! -f "$mingw/CMakeCache.txt" ]; then
	cmake -S "$src" -B "$mingw" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/mingw-w64-x86_64.cmake" \
		-DCMAKE_BUILD_TYPE=Release -DCORDON_TEST_HOOKS=ON >/dev/null || exit 1
fi
cmake --build "$mingw" -j"$(nproc)" >/dev/null || {
	echo "not ok - the mingw-w64 build failed"
	exit 1
}

mkdir -p "$work"
work=$(cd "$work" && pwd -P)
# One prefix per build directory, booted once; concurrent runs wait.
. "$src/tests/wine/wine_prefix.sh"
wine_prefix_use "$work/prefix" "$work/.lock" "not ok - wineboot failed"
trap 'timeout 30 wineserver -k >/dev/null 2>&1' EXIT

winpath() { printf 'Z:%s' "${1//\//\\}"; }
cordon=$mingw/cordon.exe
helper=$mingw/tests/wine/wine_helper.exe
helper_w=$(winpath "$helper")
ws=$work/ws
rm -rf "$ws" && mkdir -p "$ws"
ws_w=$(winpath "$ws")
failures=0
ok() { echo "ok - plumbing (Wine): $*"; }
not_ok() {
	echo "not ok - plumbing (Wine): $*"
	failures=$((failures + 1))
}
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# Runs cordon.exe under wine with a time limit; stdout/stderr to files.
run_cordon() {
	timeout 120 wine "$cordon" "$@" >"$work/out" 2>"$work/err"
}
tree_count() { pgrep -fc "$1" 2>/dev/null || true; }
wait_count() { # wait_count TOKEN OP N SECONDS: until count OP N
	local deadline=$((SECONDS + $4))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(tree_count "$1")" -"$2" "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

echo "== library API (pipes and inherit mode)"
timeout 300 wine "$mingw/tests/wine/wine_library_test.exe" "$helper_w" "$ws_w" >"$work/library.out" 2>&1
library_status=$?
sed 's/^ok - plumbing:/ok - plumbing (Wine, library):/; s/^not ok - plumbing:/not ok - plumbing (Wine, library):/' \
	"$work/library.out"
if [ "$library_status" -ne 0 ]; then
	failures=$((failures + 1))
	echo "not ok - the library plumbing test exited $library_status"
fi

echo "== elevated mode's runner, within one account (the test-only entry)"
timeout 400 wine "$mingw/tests/wine/runner_plumbing.exe" "$(winpath "$cordon")" "$helper_w" "$ws_w" \
	>"$work/runner.out" 2>&1
runner_status=$?
sed 's/^ok - plumbing:/ok - plumbing (Wine, runner):/; s/^not ok - plumbing:/not ok - plumbing (Wine, runner):/' \
	"$work/runner.out"
if [ "$runner_status" -ne 0 ]; then
	failures=$((failures + 1))
	echo "not ok - the runner plumbing test exited $runner_status"
fi
for how in hold hold-outside-job; do
	case $how in
	hold) why="the runner's job closes, and the broken pipe" ;;
	*) why="the runner outside the user side's job: the broken pipe alone" ;;
	esac
	token=cordon-runner-$how-$$
	timeout 200 wine "$mingw/tests/wine/runner_plumbing.exe" "$(winpath "$cordon")" "$helper_w" "$ws_w" $how "$token" \
		>"$work/hold.out" 2>&1 &
	holder=$!
	check "runner, cordon killed ($why): the command, its child and grandchild run" wait_count "$token" ge 3 60
	check "  ... and the runner itself (cordon.exe __runner)" wait_count "__runner" ge 1 10
	holder_process=$(pgrep -P "$holder")
	check "  ... found the process holding the run" test -n "$holder_process"
	kill -KILL $holder_process 2>/dev/null
	wait "$holder" 2>/dev/null
	check "  ... SIGKILL to it: the whole tree dies" wait_count "$token" eq 0 20
	check "  ... and so does the runner" wait_count "__runner" eq 0 20
done

echo "== cordon.exe"
run_cordon run -C "$ws_w" -- "$helper_w" args should-not-run
status=$?
check "without --best-effort cordon run refuses: 125, one line naming cordon setup and --best-effort, nothing run" \
	test "$status" = 125 -a "$(wc -l <"$work/err")" = 1 -a ! -s "$work/out"
check "  ... the line names 'cordon setup' and --best-effort" grep -q "'cordon setup'.*--best-effort" "$work/err"

run_cordon run --best-effort -C "$ws_w" -- "$helper_w" exit 42
check "exit code 42 passes through" test $? = 42
check "best-effort says on stderr what is not enforced (network advisory)" \
	grep -q "not enforced: network: advisory only" "$work/err"
check "  ... and the delete-child line from the probe, which could not decide under Wine" \
	grep -q "not blocked: the delete-child probe could not decide (the DACL rewrite was allowed" "$work/err"
check "  ... and the Everyone-writable line from the audit's record" \
	grep -q "Everyone may write: denied where the audit of well-known places found them" "$work/err"
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" exit 0
check "exit code 0 passes through" test $? = 0
run_cordon run --best-effort -C "$ws_w" -- "$helper_w" exit 0xC0000005
status=$?
# Wine hands Linux the low 8 bits of the 32-bit code.
check "an NTSTATUS exit is named on stderr and passed on (Wine shows its low byte: $status)" \
	grep -q "NTSTATUS 0xC0000005 (STATUS_ACCESS_VIOLATION)" "$work/err"
run_cordon run --best-effort -C "$ws_w" -- no-such-program-here
check "a missing program is 127" test $? = 127
run_cordon run -m full-access -C "$ws_w" -- "$helper_w" exit 3
check "full-access runs without --best-effort (no sandbox, still in a job) and says so" \
	test $? = 3 -a "$(grep -c 'WITHOUT a sandbox' "$work/err")" = 1

run_cordon run --best-effort -C "$ws_w" -- "$helper_w" args "a b" 'c"d' 'e\' '' 'x\"y' 'tab	z' 'ü'
printf '[a b]\n[c"d]\n[e\\]\n[]\n[x\\"y]\n[tab\tz]\n[ü]\n' >"$work/args.expected"
check "arguments reach the program unchanged (CommandLineToArgvW quoting)" cmp -s "$work/out" "$work/args.expected"

timeout 300 wine "$cordon" run --best-effort -q -C "$ws_w" -- "$helper_w" write 20 20 >"$work/out" 2>"$work/err"
status=$?
lines=$((20 * 1048576 / 13 + 1))
check_stream() { # check_stream FILE PREFIX: every line numbered in order, none missing
	grep -v '^cordon: ' "$1" | awk -v p="$2" -v n="$lines" \
		'{ if ($0 != sprintf("%s %08d", p, NR - 1)) bad++ } END { exit (bad || NR != n) }'
}
check "inherit mode: 20 MiB on stdout, complete and only stdout lines (exit $status)" check_stream "$work/out" out
check "inherit mode: 20 MiB on stderr, complete and only stderr lines" check_stream "$work/err" err

# The default DACL the command's processes get (token plan): the user,
# SYSTEM and the run's own SID -- a different one every run, so two runs
# of one workspace cannot write into each other's processes (that they
# cannot: model, winmodel.test_run_isolation; Wine enforces no
# restricting SIDs). Wine keeps and hands on a token's default DACL.
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" default-dacl
tr -d '\r' <"$work/out" | sed -n 's/^ace=//p' >"$work/dacl1"
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" default-dacl
tr -d '\r' <"$work/out" | sed -n 's/^ace=//p' >"$work/dacl2"
check "the command's default DACL: three ACEs, SYSTEM second, a run SID third ($(tr '\n' ' ' <"$work/dacl1"))" \
	sh -c 'test "$(wc -l <"$1")" = 3 && test "$(sed -n 2p "$1")" = S-1-5-18 && sed -n 3p "$1" | grep -Eq "^S-1-5-21(-[0-9]+){4}$"' - "$work/dacl1"
check "  ... the first is the user's, the same in both runs" \
	sh -c 'test -n "$(sed -n 1p "$1")" && test "$(sed -n 1p "$1")" = "$(sed -n 1p "$2")"' - "$work/dacl1" "$work/dacl2"
check "  ... and the run SID differs between two runs of the same workspace" \
	sh -c 'test "$(wc -l <"$2")" = 3 && test "$(sed -n 3p "$1")" != "$(sed -n 3p "$2")"' - "$work/dacl1" "$work/dacl2"

# The private desktop (desktop.c): where the command's thread really is.
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" desktop
check "a sandboxed command runs on a private desktop of the run (thread desktop $(grep -o 'thread-desktop=.*' "$work/out" | tr -d '\r'))" \
	grep -q '^thread-desktop=WinSta0\\cordon-' "$work/out"
check "  ... the one STARTUPINFO named" sh -c 'a=$(sed -n "s/^thread-desktop=//p" "$1" | tr -d "\r"); b=$(sed -n "s/^startup-desktop=//p" "$1" | tr -d "\r"); test -n "$a" -a "$a" = "$b"' - "$work/out"
run_cordon run -m full-access -q -C "$ws_w" -- "$helper_w" desktop
check "a full-access command stays on cordon's desktop" grep -q '^thread-desktop=WinSta0\\Default' "$work/out"

# Process mitigation policies (mitigation.c): the attribute is accepted
# and the command runs; whether Windows applied them, only a host shows.
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" mitigations
status=$?
check "a sandboxed command starts with the mitigation-policy attribute (exit $status)" \
	test "$status" = 0 -a "$(grep -c '^extension-points=' "$work/out")" = 1
if grep -q '^extension-points=1 no-low-label=1' "$work/out"; then
	ok "the command reports extension points disabled and Low-label images refused"
else
	echo "SKIP - plumbing (Wine): mitigation policies applied: Wine 8 applies none (the command reads $(tr -d '\r' <"$work/out")); Windows host only"
fi

# Ctrl-C at cordon's console (signals.c). ctrl-sender makes a console,
# starts its program on it, and raises Ctrl-C on that console after 3 s.
ctrl_sender() { timeout 60 wine "$helper" ctrl-sender 3000 "$@" >"$work/out" 2>"$work/err"; }
ctrl_sender "$helper_w" ctrl-c
status=$?
if [ $status != 5 ]; then
	echo "SKIP - plumbing (Wine): Ctrl-C at cordon's console: this Wine does not deliver GenerateConsoleCtrlEvent(CTRL_C_EVENT) to a program on the console (control exit $status)"
else
	ok "control: Wine delivers a console's Ctrl-C to a program attached to it (exit 5)"
	ctrl_sender "$cordon" run --best-effort -q -C "$ws_w" -- "$helper_w" ctrl-c
	status=$?
	check "Ctrl-C at cordon's console reaches the command itself, and cordon stays to pass on its status (exit $status, want 5)" \
		test "$status" = 5 -a "$(grep -c '^got-ctrl-c' "$work/out")" = 1
	ctrl_sender "$cordon" run --best-effort -q -C "$ws_w" -- "$helper_w" sleep "$$-ctrl-sleep"
	status=$?
	# Wine's default handler exits 0 (Windows': STATUS_CONTROL_C_EXIT).
	check "a command that does not handle Ctrl-C ends with it and cordon with the command (exit $status, not the sender's 99)" \
		test "$status" != 99
	check "  ... and nothing of the run is left" wait_count "$$-ctrl-sleep" eq 0 10
fi

head -c 3145728 /dev/urandom >"$work/in"
timeout 120 wine "$cordon" run --best-effort -q -C "$ws_w" -- "$helper_w" cat <"$work/in" >"$work/out" 2>"$work/err"
check "stdin reaches the command: 3 MiB through cat unchanged" cmp -s "$work/in" "$work/out"

token=cordon-timeout-$$
timeout 120 wine "$cordon" run --best-effort -q -t 3 -C "$ws_w" -- "$helper_w" spawn-tree "$token" sleep \
	>"$work/out" 2>"$work/err" &
runner=$!
check "timeout: the command, its child and grandchild run" wait_count "$token" ge 3 30
wait "$runner"
status=$?
check "timeout: cordon exits 124" test "$status" = 124
check "timeout: child and grandchild are gone" wait_count "$token" eq 0 10

token=cordon-rootexit-$$
timeout 120 wine "$cordon" run --best-effort -q -C "$ws_w" -- "$helper_w" spawn-tree "$token" exit \
	>"$work/out" 2>"$work/err" &
runner=$!
check "root exit: the command, its child and grandchild run" wait_count "$token" ge 3 30
wait "$runner"
check "root exit: cordon returns the root's status (0) once it exits" test $? = 0
check "root exit: child and grandchild do not outlive it" wait_count "$token" eq 0 10

token=cordon-killed-$$
timeout 120 wine "$cordon" run --best-effort -q -C "$ws_w" -- "$helper_w" spawn-tree "$token" sleep \
	>"$work/out" 2>"$work/err" &
runner=$!
check "cordon killed: the command, its child and grandchild run" wait_count "$token" ge 3 30
# $runner is timeout(1); the process running cordon.exe is its child.
cordon_process=$(pgrep -P "$runner")
check "cordon killed: found the process running cordon.exe" test -n "$cordon_process"
kill -KILL $cordon_process 2>/dev/null
wait "$runner" 2>/dev/null
check "cordon killed (SIGKILL to its process): the job closes and the whole tree dies" wait_count "$token" eq 0 15

printf '@echo SHIM-RAN\r\n' >"$ws/ssh.bat"
cp "$ws/ssh.bat" "$ws/ssh.cmd"
WINEPATH="$ws_w" run_cordon run -m full-access -C "$ws_w" -- ssh example.org
check "control: without the stubs (full access) a workspace ssh.bat on PATH runs" grep -q SHIM-RAN "$work/out"
WINEPATH="$ws_w" run_cordon run --best-effort -C "$ws_w" -- ssh example.org
status=$?
check "the ssh stub comes before a workspace ssh.bat on PATH: exit 1, one line, the shim never ran" \
	test "$status" = 1 -a "$(grep -c '^cordon: ssh: blocked' "$work/err")" = 1 -a ! -s "$work/out"
WINEPATH="$ws_w" run_cordon run --best-effort -C "$ws_w" -- scp a b
check "the scp stub answers too" grep -q '^cordon: scp: blocked' "$work/err"
WINEPATH="$ws_w" run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" env PATH
check "the command's PATH starts with cordon's stub directory" grep -qi '^C:\\users\\[^;]*\\cordon\\stubs;' "$work/out"

printf '@echo ARG[%%1]\r\n' >"$ws/show.bat"
run_cordon run --best-effort -C "$ws_w" -- "$ws_w\\show.bat" '"&echo INJECTED'
check "a batch-file argument with a quote is refused (125) before anything runs" \
	test $? = 125 -a ! -s "$work/out"
check "  ... saying why" grep -q "safely" "$work/err"
run_cordon run --best-effort -C "$ws_w" -- "$ws_w\\show.bat" 'a&echo INJECTED'
tr -d '\r' <"$work/out" >"$work/out.lf"
check "a batch-file argument with & reaches the batch file quoted, as one argument (Wine's cmd.exe)" \
	grep -qx 'ARG\["a&echo INJECTED"\]' "$work/out.lf"
check "  ... and no second command ran" test "$(grep -c INJECTED "$work/out")" = 1

printf 'typed-line\r' | timeout 120 wine "$cordon" run --best-effort -q --pty -C "$ws_w" -- "$helper_w" pty-line \
	>"$work/out" 2>"$work/err"
status=$?
# The console host renders VT: drop escape sequences and carriage returns.
perl -pe 's/\e\[[0-?]*[ -\/]*[@-~]//g; s/\e\][^\a]*\a//g; s/\r//g' "$work/out" >"$work/out.text"
check "--pty: the command runs on a pseudo console and its output comes back" grep -q '^ready' "$work/out.text"
check "--pty: piped input reaches the command" grep -q 'got:typed-line' "$work/out.text"
check "--pty: the end of cordon's input is end of input for the command" grep -q 'got-eof' "$work/out.text"
check "--pty: the command's exit status (7) is cordon's" test "$status" = 7
run_cordon setup
check "cordon setup refuses (125): Wine has no WFP (details: wine.setup_plumbing)" test $? = 125
run_cordon doctor
status=$?
check "doctor lists both modes: elevated not set up, restricted-token available (exit $status)" \
	grep -q "MISSING  elevated mode: not set up" "$work/out"
check "  ... restricted-token mode" grep -q "ok       restricted-token mode" "$work/out"
check "  ... the delete-child probe's contract line: unknown, because Wine allowed the DACL rewrite" \
	grep -q "write-restricted delete-child: unknown (the DACL rewrite was allowed: this host does not enforce write-restricted tokens" "$work/out"
check "  ... the Everyone-writable audit, run afresh by doctor" \
	grep -q "Everyone-writable audit: [0-9]* found in the well-known places.*objects examined" "$work/out"
check "  ... ConPTY" grep -q "ok       ConPTY" "$work/out"

secret=$(ls "$WINEPREFIX"/drive_c/users/*/AppData/Local/cordon/capsid-secret 2>/dev/null | head -1)
check "the per-install secret exists and is 32 bytes (its user-only DACL: Windows host only)" \
	test -n "$secret" -a "$(stat -c %s "$secret" 2>/dev/null)" = 32
before=$(sha256sum "$secret" 2>/dev/null)
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" exit 0
check "  ... and is made once: a second run keeps it" test "$(sha256sum "$secret" 2>/dev/null)" = "$before"

echo "== the delete-child probe's cache and the audit's record (plumbing)"
state=$(dirname "$secret")
probe_cache=$state/delete-child-probe
rm -f "$probe_cache"
run_cordon doctor
check "doctor with no cache probes now and says so" grep -q "write-restricted delete-child: unknown (.*) (probed on build [0-9]*)" "$work/out"
build=$(sed -n 's/^build //p' "$probe_cache" 2>/dev/null)
check "  ... the cache file appears, keyed by the OS build ($build)" test -n "$build"
check "  ... holding the reading and its reason" grep -q "^reason the DACL rewrite was allowed" "$probe_cache"
check "  ... and the scratch directory is gone" test -z "$(ls -d "$state"/probe-* 2>/dev/null)"
cached=$(sha256sum "$probe_cache")
run_cordon doctor
check "a second doctor uses the cache (cached for build $build) and does not rewrite it" \
	grep -q "write-restricted delete-child: unknown (.*) (cached for build $build)" "$work/out"
check "  ... the cache is unchanged" test "$(sha256sum "$probe_cache")" = "$cached"
printf 'cordon delete-child probe 1\nbuild 1\nreading re-checked\nreason \n' >"$probe_cache"
run_cordon doctor
check "a cache for another build (1, re-checked) is ignored: doctor probes again (probed on build $build)" \
	grep -q "write-restricted delete-child: unknown (.*) (probed on build $build)" "$work/out"
check "  ... and the cache is for this build again" grep -q "^build $build\$" "$probe_cache"
check "the audit's record is in the state directory" grep -q "^cordon everyone-writable audit 1" "$state/everyone-writable.audit"

echo "== the run log's count of security descriptors written (plumbing)"
log=$state/runs.jsonl
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" exit 0
first=$(tail -1 "$log" | sed -n 's/.*"acl_descriptors_written":\([0-9]*\).*/\1/p')
run_cordon run --best-effort -q -C "$ws_w" -- "$helper_w" exit 0
second=$(tail -1 "$log" | sed -n 's/.*"acl_descriptors_written":\([0-9]*\).*/\1/p')
check "a best-effort run logs acl_descriptors_written ($first)" test -n "$first"
check "  ... more than zero: the ACL layer wrote descriptors ($first)" test "${first:-0}" -gt 0
# Wine stores no DACL: it reads back a synthetic one made from the Unix
# mode bits, without cordon's ACEs, so the second identical run finds
# them missing and writes them again. On Windows a warm run writes zero
# (port test test_warm_run_writes_nothing); here the count equals the
# first run's.
check "  ... a second identical run rewrites the same number under Wine ($second; Wine keeps no DACL)" \
	test -n "$second" -a "$second" = "$first"
run_cordon run -m full-access -q -C "$ws_w" -- "$helper_w" exit 0
check "  ... a full-access run (no ACL layer) leaves the field out" \
	sh -c '! tail -1 "$1" | grep -q acl_descriptors_written' _ "$log"

mkdir -p "$work/real-ws"
ln -sfn "$work/real-ws" "$work/linked-ws"
run_cordon run --best-effort -C "$(winpath "$work/linked-ws")" -- "$helper_w" args should-not-run
status=$?
check "a working directory reached through a link (a Linux symlink under Wine's Z:) is refused: 125, nothing run" \
	test "$status" = 125 -a ! -s "$work/out"
check "  ... saying what it really is" grep -q "is really .*real-ws" "$work/err"
run_cordon run --best-effort -C "$(winpath "$work/real-ws")" -- "$helper_w" exit 0
check "  ... control: the real path runs" test $? = 0

echo "$failures failure(s)"
[ "$failures" = 0 ]
