#!/usr/bin/env bash
# Wine plumbing of elevated mode's read-grant helper (src/windows/grant_helper.c)
# and junction stand-in (src/windows/junction.c).
# Usage: grant_helper_plumbing.sh MINGW_BUILD_DIR WORK_DIR
#
# What it proves: `cordon.exe __grant-helper` is dispatched; without its
# lock it does nothing: Wine 8 has no private namespaces
# (CreateBoundaryDescriptorW is a stub, CreatePrivateNamespaceW missing),
# so there the helper exits 125 with one line naming the call, whatever
# holds the old Global\CordonReadGrants name; the other cases run it with
# the test hook CORDON_TEST_GRANT_MUTEX (a plain mutex instead of the
# namespace; CORDON_TEST_HOOKS builds only); one helper at a time (a
# second exits at once, status 3, saying why) and the owner file the
# users' runs read (running while the holder lives, not running after it
# died or when the file names another process's creation time); the
# helper that created the mutex stays while another that took it over
# in the hand-off holds it (the control, one that did not create it,
# leaves at once); progress is
# recorded after every step and a restarted helper resumes without
# applying a step twice (counted from the descriptor writes it logs),
# also after a real kill; a corrupt progress file means a clean restart;
# a changed record is re-planned; one helper serves every user's record;
# win_grant_helper_start copies the user's record into the grants folder
# and starts a helper that is detached and outlives its starter and the
# starter's kill-on-close job (and, as the control, dies with a job that
# forbids breaking away); the status query answers from the files.
# Each case uses its own grants folder (CORDON_TEST_GRANTS_DIR) instead
# of %ProgramData%\cordon\grants.
# What it does not prove: any DACL. Wine stores none (a "descriptor
# written" is a SetSecurityInfo call that returned success, and every
# step writes, since Wine's synthetic DACL never holds the ACE), has no
# local groups (the group SID comes from the test hook) and no junctions
# (error 50: that case is a skip with the reason).
#
# Exit: 0 passed, 1 failed, 77 skipped (wine or the mingw build missing).
set -uo pipefail
mingw=${1:?usage: $0 MINGW_BUILD_DIR WORK_DIR}
work=${2:?usage: $0 MINGW_BUILD_DIR WORK_DIR}
command -v wine >/dev/null 2>&1 || {
	echo "SKIP: wine is not installed (scripts/setup-debian.sh installs it)"
	exit 77
}
cordon=$mingw/cordon.exe
starter=$mingw/tests/wine/grant_helper_starter.exe
if [ ! -f "$cordon" ] || [ ! -f "$starter" ]; then
	echo "SKIP: $cordon or $starter missing; wine.plumbing builds the mingw tree first"
	exit 77
fi

grep -q '^CORDON_TEST_HOOKS:BOOL=ON' "$mingw/CMakeCache.txt" 2>/dev/null || {
	echo "SKIP: $mingw was built without CORDON_TEST_HOOKS, and these cases need its CORDON_TEST_* variables (configure it with -DCORDON_TEST_HOOKS=ON)"
	exit 77
}

mkdir -p "$work"
work=$(cd "$work" && pwd -P)
. "$(dirname "$0")/wine_prefix.sh"
wine_prefix_use "$mingw/wineprefix-grants" "$mingw/.wineprefix-grants.lock" "not ok - wineboot failed"
trap 'timeout 30 wineserver -k >/dev/null 2>&1' EXIT
# Wine has no local groups: the helper grants BUILTIN\Users instead.
export CORDON_TEST_GRANT_GROUP_SID=S-1-5-32-545

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
winpath() { printf 'Z:%s' "${1//\//\\}"; }
json_path() { winpath "$1" | sed 's/\\/\\\\/g'; }

# make_record FILE FINGERPRINT_CHAR TREE "NAMES" [ROOT]: a setup record
# wanting a list grant on TREE and tree grants on TREE\NAME for each name,
# ROOT (one of the names) recorded as a root.
make_record() {
	local file=$1 mark=$2 tree=$3 names=$4 root=${5:-}
	local t
	mkdir -p "$(dirname "$file")" "$tree"
	t=$(json_path "$tree")
	{
		printf '{"version":1,"fingerprint":"%s","proxy_port":3128,"group":true,"accounts":[],' \
			"$(printf "$mark%.0s" $(seq 64))"
		printf '"wfp_provider":true,"wfp_sublayer":true,"wfp_filters":[],"read_grants":['
		printf '{"path":"%s","kind":"list","directory":true}' "$t"
		for name in $names; do
			mkdir -p "$tree/$name"
			printf ',{"path":"%s\\\\%s","kind":"tree","directory":true}' "$t" "$name"
		done
		printf '],"roots":['
		[ -n "$root" ] && printf '"%s\\\\%s"' "$t" "$root"
		printf ']}'
	} >"$file"
}
names() { for i in $(seq 1 "$1"); do printf 'd%d ' "$i"; done; }
# A user SID for the cases that run the helper directly (its record copy
# and progress are named after it).
alice=S-1-5-21-1-2-3-1001
bob=S-1-5-21-1-2-3-1002
helper() { # helper GRANTS_DIR [ENV=VALUE...]: cordon.exe __grant-helper in the foreground
	local grants=$1
	shift
	env CORDON_TEST_GRANTS_DIR="$(winpath "$grants")" "$@" timeout 120 wine "$cordon" __grant-helper \
		>"$work/out" 2>"$work/err"
}
written() { grep -c 'descriptor written' "$1" || true; }
done_count() { # done_count GRANTS_DIR SID: grants recorded done (0 when no progress yet)
	if [ -f "$1/$2.progress.json" ]; then
		sed -n '/"done"/,/"failed"/p' "$1/$2.progress.json" | grep -c '"kind"'
	else
		echo 0
	fi
}

echo "== dispatch and usage"
timeout 60 wine "$cordon" __grant-helper extra >"$work/out" 2>"$work/err"
check "cordon.exe __grant-helper with an argument: usage line, status 125" \
	test $? = 125 -a "$(grep -c 'usage: cordon __grant-helper (started by' "$work/err")" = 1
rm -rf "$work/none" && mkdir -p "$work/none"
helper "$work/none" CORDON_TEST_GRANT_MUTEX='Local\CordonTestReadGrants'
check "no setup record: status 125, says to run cordon setup" \
	test $? = 125 -a "$(grep -c "no setup record in .*: run 'cordon setup'" "$work/err")" = 1

echo "== the lock: a private namespace, which Wine does not implement: fail closed"
grants=$work/g-lock
rm -rf "$grants" "$work/tree0"
make_record "$grants/$alice.record.json" a "$work/tree0" "$(names 2)"
helper "$grants"
status=$?
check "no private namespace (Wine): status 125, one line naming CreateBoundaryDescriptorW, nothing else logged" \
	test "$status" = 125 -a "$(grep -c 'read-grant helper.s lock (a mutex in the private namespace CordonReadGrants): CreateBoundaryDescriptorW failed' "$work/err")" = 1 \
	-a "$(wc -l <"$work/err")" = 1
check "  ... no grant applied, no progress written" \
	test "$(written "$work/err")" = 0 -a ! -e "$grants/$alice.progress.json" -a ! -e "$grants/$alice.helper.json"
timeout 60 wine "$starter" squat 'Global\CordonReadGrants' 20 >"$work/squat.out" 2>&1 &
squatter=$!
for _ in $(seq 1 100); do grep -q holding "$work/squat.out" 2>/dev/null && break; sleep 0.1; done
helper "$grants"
check "the old name Global\\CordonReadGrants held by another process: still that failure, not 'another helper is running'" \
	test $? = 125 -a "$(grep -c 'CreateBoundaryDescriptorW failed' "$work/err")" = 1 \
	-a "$(grep -c 'another read-grant helper' "$work/err")" = 0
# Every other case: the test hook's plain mutex stands in for the namespace.
export CORDON_TEST_GRANT_MUTEX='Local\CordonTestReadGrants'
helper "$grants"
check "with the test hook's mutex, the squatted old name does not stop the helper: status 0, 3 grants" \
	test $? = 0 -a "$(written "$work/err")" = 3 -a "$(done_count "$grants" $alice)" = 3
kill "$squatter" 2>/dev/null
wait "$squatter" 2>/dev/null

echo "== progress recorded, resumed, no step twice"
grants=$work/g-resume
rm -rf "$grants" "$work/tree1"
make_record "$grants/$alice.record.json" a "$work/tree1" "$(names 8)" d3
helper "$grants" CORDON_TEST_GRANT_STOP_AFTER=3
status=$?
first=$(written "$work/err")
check "first helper stops after 3 steps (test hook, as if killed): status 0, 3 SetSecurityInfo calls" \
	test "$status" = 0 -a "$first" = 3
check "  ... the progress file holds those 3 as done" test "$(done_count "$grants" $alice)" = 3
check "  ... the root's tree grant (d3) first, then the list grant, then the other trees" \
	test "$(grep -o 'granted [a-z]* Z:[^:]*' "$work/err" | sed 's/.*tree1//' | tr '\n' ' ')" = '\d3  \d1 '
cp "$work/err" "$work/first.log"
helper "$grants"
status=$?
second=$(written "$work/err")
check "restarted helper resumes: status 0, 6 more calls, 9 in all for 9 grants ($first + $second)" \
	test "$status" = 0 -a "$second" = 6 -a $((first + second)) = 9
cat "$work/first.log" "$work/err" | grep -o 'granted [a-z]* Z:[^:]*' | sort | uniq -d >"$work/dups"
check "  ... no grant applied twice across the two runs" test ! -s "$work/dups"
check "  ... progress: 9 done, 9 descriptors written, finished with the record's fingerprint" \
	test "$(done_count "$grants" $alice)" = 9 \
	-a "$(grep -c '"descriptors_written": 9' "$grants/$alice.progress.json")" = 1 \
	-a "$(grep -c '"finished_fingerprint": "aaaa' "$grants/$alice.progress.json")" = 1
helper "$grants"
check "a third run finds nothing left and writes nothing" \
	test $? = 0 -a "$(written "$work/err")" = 0 -a "$(grep -c '9 of 9 wanted grants done, 0 steps left' "$work/err")" -ge 1
check "the helper's log file holds every run's lines" \
	test "$(grep -c 'descriptor written' "$grants/helper.log")" = 9

echo "== a changed record is re-planned"
make_record "$grants/$alice.record.json" c "$work/tree1" "$(names 7) d10" d3
helper "$grants"
# Wine never stored the ACE, so removing it finds nothing to write.
check "d8 no longer wanted: removed (nothing to write under Wine); d10 new: granted; nothing else written" \
	test "$(grep -c 'removed tree .*tree1.d8: ' "$work/err")" = 1 \
	-a "$(grep -c 'granted tree .*tree1.d10: descriptor written' "$work/err")" = 1 -a "$(written "$work/err")" = 1
check "  ... progress: d10 done, d8 gone" \
	test "$(grep -c 'tree1\\\\d10"' "$grants/$alice.progress.json")" = 1 \
	-a "$(grep -c 'tree1\\\\d8"' "$grants/$alice.progress.json")" = 0

echo "== a corrupt progress file"
head -c 22 /dev/zero >"$grants/$alice.progress.json"
helper "$grants"
check "22 NUL bytes: the helper says so and starts again from the beginning (status 0)" \
	test $? = 0 -a "$(grep -c 'cannot read the read-grant progress: not JSON.*starts again from the beginning' "$work/err")" = 1
check "  ... and leaves a whole progress file: 9 done" test "$(done_count "$grants" $alice)" = 9

echo "== one helper for every user's record"
make_record "$grants/$bob.record.json" b "$work/tree-bob" "$(names 2)"
helper "$grants"
check "a second user's record: its 3 grants applied by the same helper, the first user's left alone" \
	test $? = 0 -a "$(done_count "$grants" $bob)" = 3 -a "$(written "$work/err")" = 3 \
	-a "$(grep -c "grant-helper [0-9]* $bob: granted" "$work/err")" = 3

echo "== one helper at a time"
in_grants() { CORDON_TEST_GRANTS_DIR="$(winpath "$grants")" "$@"; }
in_grants timeout 60 wine "$starter" hold 15 $alice >"$work/hold.out" 2>&1 &
holder=$!
for _ in $(seq 1 100); do grep -q holding "$work/hold.out" 2>/dev/null && break; sleep 0.1; done
holder_pid=$(sed -n 's/^holding pid=\([0-9]*\),.*/\1/p' "$work/hold.out")
check "while a helper holds the lock, win_grant_helper_running says so (the owner file names a live process)" \
	grep -q 'holding pid=[0-9]*, running=running' "$work/hold.out"
check "  ... the owner file is written for every user with a record" \
	test "$(grep -c "\"pid\":$holder_pid," "$grants/$alice.helper.json" "$grants/$bob.helper.json" | grep -c ':1$')" = 2
start=$SECONDS
helper "$grants"
status=$?
check "a second helper exits at once with status 3 ($((SECONDS - start)) s)" test "$status" = 3 -a $((SECONDS - start)) -lt 10
check "  ... saying another helper is running, and writes nothing" \
	test "$(grep -c 'another read-grant helper is running (it holds the lock)' "$work/err")" = 1 \
	-a "$(written "$work/err")" = 0
cp "$grants/$alice.helper.json" "$work/owner.json"
sed 's/"created":"[0-9]*"/"created":"1"/' "$work/owner.json" >"$grants/$alice.helper.json"
in_grants timeout 60 wine "$starter" liveness $alice >"$work/out" 2>&1
check "the owner file naming that live process with another creation time (a reused id): not running" \
	grep -q '^not running' "$work/out"
cp "$work/owner.json" "$grants/$alice.helper.json"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
for _ in $(seq 1 50); do
	in_grants timeout 60 wine "$starter" liveness $alice >"$work/out" 2>&1
	grep -q '^not running' "$work/out" && break
	sleep 0.2
done
check "the holder killed: the same owner file now says not running" grep -q '^not running' "$work/out"

echo "== the hand-off: the helper that made the lock outlives one that took it over"
grants=$work/g-handoff
rm -rf "$grants" "$work/tree4"
make_record "$grants/$alice.record.json" f "$work/tree4" "$(names 150)"
mutex=$CORDON_TEST_GRANT_MUTEX
# handoff_case early|late: a helper runs; another process waits for the
# mutex and so takes it the moment the helper releases it after its round
# (the hand-off), and holds it 8 s. early: that process is started first
# and waits until the helper has made the mutex; late: it is started once
# the helper is at work (the mutex exists already in the control). Prints
# whether the helper was still running while the other held the mutex,
# the helper's status, and whether the other released it.
handoff_case() {
	local first second
	rm -f "$grants/$alice.progress.json" "$work/b.out"
	if [ "$1" = early ]; then
		timeout 60 wine "$starter" wait-hold "$mutex" 8 >"$work/b.out" 2>&1 &
		second=$!
		sleep 1
	fi
	CORDON_TEST_GRANTS_DIR="$(winpath "$grants")" timeout 120 wine "$cordon" __grant-helper >/dev/null 2>"$work/a.err" &
	first=$!
	for _ in $(seq 1 300); do grep -q 'pass:' "$work/a.err" 2>/dev/null && break; sleep 0.1; done
	if [ "$1" = late ]; then
		timeout 60 wine "$starter" wait-hold "$mutex" 8 >"$work/b.out" 2>&1 &
		second=$!
	fi
	for _ in $(seq 1 600); do grep -q '^holding' "$work/b.out" 2>/dev/null && break; sleep 0.1; done
	sleep 2
	if kill -0 "$first" 2>/dev/null && ! grep -q finished "$work/a.err"; then echo -n "stayed "; else echo -n "left "; fi
	wait "$first"
	echo -n "$? "
	wait "$second"
	grep -c '^released' "$work/b.out"
}
result=$(handoff_case early)
check "the helper that created the mutex waits while the one that took it over holds it, then finishes: status 0 ($result)" \
	test "$result" = "stayed 0 1" -a "$(grep -c finished "$work/a.err")" = 1 -a "$(done_count "$grants" $alice)" = 151
timeout 60 wine "$starter" keep "$mutex" 60 >"$work/keep.out" 2>&1 &
keeper=$!
for _ in $(seq 1 100); do grep -q keeping "$work/keep.out" 2>/dev/null && break; sleep 0.1; done
# The early case's creator exits holding the mutex; wineserver may mark it
# abandoned a moment after the process is reaped. Take and release it
# once, so the next helper does not meet the dying one.
timeout 60 wine "$starter" wait-hold "$mutex" 0 >/dev/null 2>&1
result=$(handoff_case late)
check "control: a helper that did not create the mutex (another process had it open) leaves at once: status 0 ($result)" \
	test "$result" = "left 0 1"
kill "$keeper" 2>/dev/null
wait "$keeper" 2>/dev/null

echo "== a real kill mid-way, then resume"
grants=$work/g-killed
rm -rf "$grants" "$work/tree3"
make_record "$grants/$alice.record.json" e "$work/tree3" "$(names 150)"
CORDON_TEST_GRANTS_DIR="$(winpath "$grants")" timeout 120 wine "$cordon" __grant-helper >/dev/null 2>&1 &
for _ in $(seq 1 600); do [ "$(done_count "$grants" $alice)" -ge 20 ] && break; sleep 0.1; done
pkill -KILL -f "cordon.exe __grant-helper" 2>/dev/null
wait 2>/dev/null
done_before=$(done_count "$grants" $alice)
check "killed mid-way ($done_before of 151 recorded): the progress file is whole JSON" \
	test "$done_before" -gt 0 -a "$done_before" -lt 151
helper "$grants"
grep -o 'granted [a-z]* Z:[^:]*' "$grants/helper.log" | sort | uniq -d >"$work/dups"
check "restarted: all 151 done; at most the one step in flight at the kill applied twice ($(wc -l <"$work/dups"))" \
	test "$(done_count "$grants" $alice)" = 151 -a "$(wc -l <"$work/dups")" -le 1

echo "== win_grant_helper_start: record handed over, helper detached, outlives its starter"
grants=$work/g-detached
state=$work/state
rm -rf "$grants" "$state" "$work/tree2"
mkdir -p "$grants"
make_record "$state/setup/record.json" d "$work/tree2" "$(names 150)"
export CORDON_TEST_GRANTS_DIR="$(winpath "$grants")"
# To a file, not a pipe: Wine hands a new process its parent's Unix
# descriptors 0-2 whatever the STARTUPINFO says, so a pipe would stay
# open until the helper ends (on Windows nothing is inherited).
timeout 60 wine "$starter" start-in-job "$(winpath "$state")" >"$work/starter.out" 2>&1
status=$?
finished_early=$(grep -c finished "$grants/helper.log" 2>/dev/null || true)
check "the starter (in a kill-on-close job allowing breakaway) returns at once: status 0, helper still working" \
	test "$status" = 0 -a "${finished_early:-0}" = 0
record_copy=$(ls "$grants" | grep '\.record\.json$' | head -1)
user=${record_copy%.record.json}
check "  ... the record was copied for this user ($user)" \
	test -n "$user" -a "$(grep -c '"fingerprint": "dddd' "$grants/$record_copy")" = 1
for _ in $(seq 1 120); do grep -q finished "$grants/helper.log" 2>/dev/null && break; sleep 1; done
starter_pid=$(sed -n 's/^starter \([0-9]*\):.*/\1/p' "$work/starter.out")
helper_pid=$(sed -n 's/.*grant-helper \([0-9]*\): finished/\1/p' "$grants/helper.log")
check "the helper finished all 151 grants after its starter and the starter's job were gone" \
	test "$(done_count "$grants" "$user")" = 151 -a -n "$helper_pid" -a "$helper_pid" != "$starter_pid"
check "the starter made cordon's folder and its junctions folder under ProgramData (grants: the test's)" \
	test -d "$WINEPREFIX/drive_c/ProgramData/cordon/junctions"
timeout 60 wine "$starter" status "$(winpath "$state")" "$(winpath "$work/tree2/d5/src")" >"$work/out" 2>&1
check "status query: a directory below a done tree grant is ready (151/151)" grep -q '^ready 151/151 done_for=1' "$work/out"
timeout 60 wine "$starter" status "$(winpath "$state")" "$(winpath "$work/elsewhere")" >"$work/out" 2>&1
check "status query: a directory no grant covers says to run cordon setup with it as a root" \
	grep -q "^no read grant covers .*elsewhere: run 'cordon setup' again" "$work/out"
rm -f "$grants/$user.progress.json" "$grants/helper.log"
timeout 60 wine "$starter" status "$(winpath "$state")" "$(winpath "$work/tree2/d5")" >"$work/out" 2>&1
check "status query: nothing done yet, no helper running: says so and to run cordon setup again" \
	grep -q "^pending 0/151 done_for=0" "$work/out"
check "  ... in one line" grep -q "cannot read .*d5 yet: the read grants are still being applied (0 of 151 done); no helper is running: run 'cordon setup' again" "$work/out"
timeout 60 wine "$starter" start-in-job "$(winpath "$state")" strict >"$work/starter.out" 2>&1
sleep 8
check "control: in a job that forbids breaking away, the helper dies with its starter's job (nothing finished)" \
	test "$(grep -c finished "$grants/helper.log" 2>/dev/null)" != 1 -a "$(done_count "$grants" "$user")" -lt 151
unset CORDON_TEST_GRANTS_DIR

echo "== the junction stand-in"
timeout 60 wine "$starter" junction "$(winpath "$work/tree1/d3")" >"$work/out" 2>&1
status=$?
if [ "$status" = 77 ] && grep -q 'does not support junctions (Windows error 50)' "$work/out"; then
	echo "skip - plumbing (Wine): junction creation: Wine does not support junctions (FSCTL_SET_REPARSE_POINT, error 50); Windows host only"
else
	not_ok "junction creation: expected Wine's error 50 skip, got status $status: $(cat "$work/out")"
fi

timeout 60 wineserver -w || true
echo "== $failures failed"
[ "$failures" = 0 ]
