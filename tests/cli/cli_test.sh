#!/bin/bash
# Behaviour of the cordon command as a user meets it: exact error lines and
# exit statuses, what reaches stdout and stderr, signals, timeouts, the run
# log. Usage: cli_test.sh PATH-TO-CORDON
#
# Prints "ok N - name" / "not ok N - name" / "ok N - name # SKIP reason"
# per case, then "N passed, N failed[, N skipped]". Exits 1 on any failure.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 PATH-TO-CORDON" >&2
	exit 2
fi
CORDON=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

T=$(mktemp -d "${TMPDIR:-/tmp}/cli-behaviour.XXXXXX")
# The sandboxed cases write into $T, so it must be a real, canonical path.
T=$(cd "$T" && pwd -P)
cleanup() {
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Keep the user's own run log out of it.
export XDG_STATE_HOME="$T/state"

n=0 passed=0 failed=0 skipped=0
ok() {
	n=$((n + 1)) passed=$((passed + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do
		echo "#   $line"
	done
}
skip() {
	n=$((n + 1)) skipped=$((skipped + 1))
	echo "ok $n - $1 # SKIP $2"
}

# run_cordon ARG... : runs cordon with stdin from /dev/null; sets $status,
# stdout in $T/out, stderr in $T/err.
run_cordon() {
	"$CORDON" "$@" </dev/null >"$T/out" 2>"$T/err"
	status=$?
}

# expect_error NAME 'exact stderr line' ARG... : exit 125, that one line on
# stderr, nothing on stdout.
expect_error() {
	local name=$1 line=$2
	shift 2
	run_cordon "$@"
	local err lines
	err=$(cat "$T/err")
	lines=$(wc -l <"$T/err")
	if [ "$status" -eq 125 ] && [ "$err" = "$line" ] && [ "$lines" -eq 1 ] && [ ! -s "$T/out" ]; then
		ok "$name"
	else
		not_ok "$name" "status $status (want 125)" "stderr: $err" "want:   $line" "stdout bytes: $(wc -c <"$T/out")"
	fi
}

# expect_library_error NAME 'text the line must contain' ARG... : exit 125
# and one "cordon: " line (the wording is the library's).
expect_library_error() {
	local name=$1 needle=$2
	shift 2
	run_cordon "$@"
	local err lines
	err=$(cat "$T/err")
	lines=$(wc -l <"$T/err")
	if [ "$status" -eq 125 ] && [ "$lines" -eq 1 ] && [[ $err == "cordon: "* ]] &&
		[[ $err != "cordon: cordon: "* ]] && [[ $err == *"$needle"* ]] && [ ! -s "$T/out" ]; then
		ok "$name"
	else
		not_ok "$name" "status $status (want 125)" "stderr ($lines lines): $err" "want a line containing: $needle"
	fi
}

# expect_status NAME WANT : compares $status after a run.
expect_status() {
	if [ "$status" -eq "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "status $status (want $2)" "stderr: $(head -c 300 "$T/err")"
	fi
}

# wait_for_file PATH : up to 5 s.
wait_for_file() {
	for _ in $(seq 50); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

mkdir -p "$T/ws" "$T/extra"
echo "a file" >"$T/plainfile"

# ------------------------------------------------------------ bad input

expect_error "no command" \
	"cordon: no command given: use 'cordon run [options] -- PROGRAM [ARG...]', or see 'cordon --help'"
expect_error "unknown command" \
	"cordon: unknown command 'rnu': use run, doctor, setup or version; see 'cordon --help'" rnu
expect_error "unknown option" \
	"cordon: unknown option '--frobnicate': see 'cordon run --help'" run --frobnicate -- true
expect_error "unknown short option" \
	"cordon: unknown option '-x': see 'cordon run --help'" run -x -- true
expect_error "missing option argument (long)" \
	"cordon: option '--cwd' needs a value: see 'cordon run --help'" run --cwd
expect_error "missing option argument (short)" \
	"cordon: option '-t' needs a value: see 'cordon run --help'" run -t
expect_error "unknown mode" \
	"cordon: unknown mode 'rw': use read-only, workspace-write or full-access" run -m rw -- true
expect_error "unknown network mode" \
	"cordon: unknown network mode 'maybe': use off, on or proxy" run --network maybe -- true
expect_error "missing program" \
	"cordon: no program to run: give one after '--', e.g. cordon run -- make test" run
expect_error "missing program after --" \
	"cordon: no program to run: give one after '--', e.g. cordon run -- make test" run -q --
expect_error "--allow-domain without --network proxy" \
	"cordon: --allow-domain needs --network proxy: add --network proxy, or drop --allow-domain" \
	run --allow-domain example.org -- true
expect_error "--writable with read-only" \
	"cordon: extra writable roots need workspace-write mode: use --mode workspace-write, or drop --writable" \
	run -m read-only -w "$T/extra" -- true
for bad in 0 -1 abc 1e3 2147484; do
	expect_error "bad --timeout '$bad'" \
		"cordon: bad timeout '$bad': give seconds greater than 0 (at most 2147483), e.g. --timeout 30 or --timeout 2.5" \
		run -t "$bad" -- true
done
expect_error "missing --policy file" \
	"cordon: cannot read policy file '$T/nope.json': No such file or directory; check the path given to --policy" \
	run --policy "$T/nope.json" -- true
expect_error "--policy names a directory" \
	"cordon: cannot read policy file '$T/ws': it is a directory; give --policy a cordon policy JSON file" \
	run --policy "$T/ws" -- true
if [ "$(id -u)" -ne 0 ]; then
	echo '{}' >"$T/secret.json"
	chmod 000 "$T/secret.json"
	expect_error "unreadable --policy file" \
		"cordon: cannot read policy file '$T/secret.json': Permission denied; check the path given to --policy" \
		run --policy "$T/secret.json" -- true
else
	skip "unreadable --policy file" "root reads any file; runs in the unprivileged pass"
fi
printf '{"mode": "read-only",\n "network": }\n' >"$T/broken.json"
expect_library_error "malformed --policy JSON" "line 2" run --policy "$T/broken.json" -- true
echo '{"mode": "read-only"}' >"$T/ro.json"
expect_error "policy file read-only plus --writable" \
	"cordon: extra writable roots need workspace-write mode: use --mode workspace-write, or drop --writable" \
	run --policy "$T/ro.json" -w "$T/extra" --print-policy
expect_library_error "missing cwd" "$T/does-not-exist" run -C "$T/does-not-exist" -- true
expect_library_error "cwd is not a directory" "$T/plainfile" run -C "$T/plainfile" -- true
expect_error "compat form without policy" \
	"cordon: --sandbox-policy-cwd needs a directory and a policy: cordon --sandbox-policy-cwd DIR POLICY -- PROGRAM [ARG...]" \
	--sandbox-policy-cwd "$T/ws"
expect_error "compat form without program" \
	"cordon: no program to run: give one after '--', e.g. cordon --sandbox-policy-cwd DIR POLICY -- make test" \
	--sandbox-policy-cwd "$T/ws" read-only --

# ------------------------------------------------------------ information

run_cordon version
if [ "$status" -eq 0 ] && [ "$(cat "$T/out")" = "cordon 0.1.0" ] && [ ! -s "$T/err" ]; then
	ok "version"
else
	not_ok "version" "status $status" "stdout: $(cat "$T/out")"
fi
run_cordon --version
if [ "$status" -eq 0 ] && [ "$(cat "$T/out")" = "cordon 0.1.0" ]; then ok "--version"; else not_ok "--version" "status $status"; fi
run_cordon --help
if [ "$status" -eq 0 ] && grep -q '^Usage: cordon run \[options\] -- PROGRAM' "$T/out" && [ ! -s "$T/err" ]; then
	ok "--help"
else
	not_ok "--help" "status $status"
fi
run_cordon run --help
if [ "$status" -eq 0 ] && grep -q -- '--print-policy' "$T/out" && grep -q -- '--allow-domain' "$T/out"; then
	ok "run --help"
else
	not_ok "run --help" "status $status"
fi
run_cordon setup
if [ "$status" -eq 0 ] && grep -q 'nothing to set up' "$T/out"; then ok "setup on Linux"; else not_ok "setup on Linux" "status $status"; fi
expect_error "setup --plan needs a profile on Linux" \
	"cordon: cannot plan setup: no profile directory; setup is Windows-only, and on this system 'cordon setup --plan' needs --profile DIR (a directory whose entries stand for a Windows profile's)" \
	setup --plan
mkdir -p "$T/profile/alice/.ssh" "$T/profile/alice/Documents" "$T/profile/alice/.config/gh" "$T/profile/alice/.config/nvim"
touch "$T/profile/alice/NTUSER.DAT"
run_cordon setup --plan --profile "$T/profile/alice" --root 'D:\work'
setup_plan_check=$(python3 - "$T/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
grants = {g["path"]: g["kind"] for g in d["read_grants"]["grants"]}
want = {"C:\\Users\\alice": "list", "C:\\Users\\alice\\Documents": "tree", "C:\\Users\\alice\\.config": "list",
        "C:\\Users\\alice\\.config\\nvim": "tree", "D:\\work": "tree"}
problems = []
if grants != want:
    problems.append("grants %r" % grants)
if d["counts"]["accounts"] != 2 or d["counts"]["wfp_filters"] != 10 or d["counts"]["steps"] != 9 + 12 + 5:
    problems.append("counts %r" % d["counts"])
if sorted(d["read_grants"]["excluded"]) != ["C:\\Users\\alice\\.config\\gh", "C:\\Users\\alice\\.ssh", "C:\\Users\\alice\\NTUSER.DAT"]:
    problems.append("excluded %r" % d["read_grants"]["excluded"])
print("; ".join(problems))
EOF
)
if [ "$status" -eq 0 ] && [ ! -s "$T/err" ] && [ -z "$setup_plan_check" ]; then
	ok "setup --plan prints the Windows plan for a profile"
else
	not_ok "setup --plan prints the Windows plan for a profile" "status $status" "stderr: $(cat "$T/err")" "$setup_plan_check"
fi

run_cordon doctor
doctor_shape=$(python3 - "$T/out" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
if not lines or not lines[0].startswith("platform: "):
    print("first line is not 'platform: ...'"); sys.exit()
features = 0
for line in lines[1:-1]:
    if re.match(r"^  (ok      |MISSING |slower  |n/a     ) \S.*$", line):
        features += 1
    elif not re.match(r"^           (lost|Hint): \S", line):
        print("unexpected line: %r" % line); sys.exit()
if features == 0:
    print("no feature lines")
EOF
)
missing=$(grep -c '^  MISSING ' "$T/out")
last=$(tail -n 1 "$T/out")
# The status follows what the output lists as missing, whatever this host
# has: 0 with no MISSING line (a 'slower' one costs speed, not
# protection), 1 with any; the last line says the same.
if [ -n "$doctor_shape" ]; then
	not_ok "doctor output" "$doctor_shape"
elif { [ "$missing" -eq 0 ] && [ "$status" -eq 0 ] && [[ $last == "everything cordon enforces is available here"* ]]; } ||
	{ [ "$missing" -gt 0 ] && [ "$status" -eq 1 ] && [[ $last == "$missing protection"*" missing: "* ]]; }; then
	ok "doctor output and status agree ($missing missing, status $status)"
else
	not_ok "doctor output and status agree" "status $status with $missing missing" "last line: $last"
fi

# The missing side, where this host lets us take a protection away: inside
# a user namespace whose max_user_namespaces is 0, doctor must list user
# namespaces as MISSING and exit 1.
if unshare -U --map-root-user sh -c 'echo 0 >/proc/sys/user/max_user_namespaces' 2>/dev/null; then
	unshare -U --map-root-user sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" doctor' "$CORDON" \
		</dev/null >"$T/out" 2>"$T/err"
	status=$?
	missing=$(grep -c '^  MISSING ' "$T/out")
	are="protections are"
	[ "$missing" -eq 1 ] && are="protection is"
	if [ "$status" -eq 1 ] && grep -q '^  MISSING  user namespaces: ' "$T/out" &&
		[ "$(tail -n 1 "$T/out")" = "$missing $are missing: see the hints above; 'cordon run --best-effort' runs with what is available" ]; then
		ok "doctor without user namespaces: MISSING lines and status 1"
	else
		not_ok "doctor without user namespaces: MISSING lines and status 1" "status $status, $missing missing" "$(cat "$T/out")"
	fi
else
	skip "doctor without user namespaces: MISSING lines and status 1" "cannot turn user namespaces off in a user namespace here"
fi

# ------------------------------------------------------------ --print-policy

# --no-tmp: $T may itself lie in the temp directory, which would swallow
# the other roots.
run_cordon run --print-policy --no-tmp -C "$T/ws" -w "$T/extra" --protect .secret --deny-read "$T/plainfile" \
	-n proxy --allow-domain example.org -- touch "$T/marker"
shape=$(python3 - "$T/out" "$T" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
t = sys.argv[2]
want = {"mode", "cwd", "writable_roots", "protected_names", "deny_read", "network",
        "allowed_domains", "state_dir", "best_effort"}
problems = []
if not want <= set(p):
    problems.append("missing keys %s" % sorted(want - set(p)))
else:
    if p["mode"] != "workspace-write": problems.append("mode %r" % p["mode"])
    if p["cwd"] != t + "/ws": problems.append("cwd %r" % p["cwd"])
    roots = [(r.get("path"), r.get("kind")) for r in p["writable_roots"]]
    if sorted(roots) != sorted([(t + "/ws", "workspace"), (t + "/extra", "extra")]):
        problems.append("roots %r" % roots)
    for name in (".git", ".codex", ".agents", ".cordon", ".secret"):
        if name not in p["protected_names"]: problems.append("protected %s missing" % name)
    if t + "/plainfile" not in p["deny_read"]: problems.append("deny_read %r" % p["deny_read"])
    if p["network"] != "proxy": problems.append("network %r" % p["network"])
    if p["allowed_domains"] != ["example.org"]: problems.append("domains %r" % p["allowed_domains"])
    if p["state_dir"] != t + "/state/cordon": problems.append("state_dir %r" % p["state_dir"])
print("; ".join(problems))
EOF
)
if [ "$status" -eq 0 ] && [ -z "$shape" ] && [ ! -e "$T/marker" ]; then
	ok "--print-policy prints the resolved policy and runs nothing"
else
	not_ok "--print-policy prints the resolved policy and runs nothing" "status $status" "$shape" \
		"marker exists: $([ -e "$T/marker" ] && echo yes || echo no)" "stderr: $(cat "$T/err")"
fi

run_cordon run --print-policy -C "$T/ws" -m read-only --no-tmp
mode=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["mode"], len(p["writable_roots"]))' "$T/out" 2>&1)
if [ "$status" -eq 0 ] && [ "$mode" = "read-only 0" ]; then
	ok "--print-policy without a program, read-only has no writable roots"
else
	not_ok "--print-policy without a program, read-only has no writable roots" "status $status" "$mode"
fi

run_cordon run --policy "$T/ro.json" --print-policy -C "$T/ws"
mode_file=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mode"])' "$T/out" 2>&1)
run_cordon run --policy "$T/ro.json" -m workspace-write --print-policy -C "$T/ws"
mode_override=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mode"])' "$T/out" 2>&1)
if [ "$mode_file" = "read-only" ] && [ "$mode_override" = "workspace-write" ]; then
	ok "--policy file applies first, options override it"
else
	not_ok "--policy file applies first, options override it" "file: $mode_file" "override: $mode_override"
fi

"$CORDON" run --policy <(echo '{"mode": "read-only"}') --print-policy -C "$T/ws" </dev/null >"$T/out" 2>"$T/err"
status=$?
mode_pipe=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mode"])' "$T/out" 2>&1)
if [ "$status" -eq 0 ] && [ "$mode_pipe" = "read-only" ]; then
	ok "--policy reads a pipe (process substitution)"
else
	not_ok "--policy reads a pipe (process substitution)" "status $status" "mode: $mode_pipe" "stderr: $(cat "$T/err")"
fi

# Relative paths in a policy file are taken from the file's directory,
# whichever directory cordon runs from; options on the command line and a
# piped policy keep the process's working directory.
mkdir -p "$T/pf/conf/out" "$T/pf/proj" "$T/pf/elsewhere/out"
printf '%s\n' '{"cwd": "../proj", "writable_roots": ["out"], "deny_read": ["secret.txt"]}' >"$T/pf/conf/rel.json"
(cd "$T/pf/elsewhere" && "$CORDON" run --print-policy --no-tmp --policy ../conf/rel.json </dev/null >"$T/out" 2>"$T/err")
status=$?
rel=$(python3 - "$T/out" "$T/pf" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1])); t = sys.argv[2]
problems = []
if p["cwd"] != t + "/proj": problems.append("cwd %r" % p["cwd"])
roots = [r["path"] for r in p["writable_roots"]]
if roots != [t + "/proj", t + "/conf/out"]: problems.append("roots %r" % roots)
if p["deny_read"] != [t + "/conf/secret.txt"]: problems.append("deny_read %r" % p["deny_read"])
print("; ".join(problems))
EOF
)
if [ "$status" -eq 0 ] && [ -z "$rel" ]; then
	ok "--policy: relative cwd, roots and deny_read are taken from the file's directory"
else
	not_ok "--policy: relative cwd, roots and deny_read are taken from the file's directory" "status $status" "$rel" "stderr: $(cat "$T/err")"
fi
(cd "$T/pf/elsewhere" && "$CORDON" run --print-policy --no-tmp --policy ../conf/rel.json -C . -w out </dev/null >"$T/out" 2>"$T/err")
status=$?
rel=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["cwd"], " ".join(r["path"] for r in p["writable_roots"]))' "$T/out" 2>&1)
if [ "$status" -eq 0 ] && [ "$rel" = "$T/pf/elsewhere $T/pf/elsewhere $T/pf/conf/out $T/pf/elsewhere/out" ]; then
	ok "--policy: command-line paths still resolve against the working directory"
else
	not_ok "--policy: command-line paths still resolve against the working directory" "status $status" "got: $rel"
fi
(cd "$T/pf/elsewhere" && "$CORDON" run --print-policy --no-tmp --policy <(echo '{"writable_roots": ["out"]}') </dev/null >"$T/out" 2>"$T/err")
status=$?
rel=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["writable_roots"][-1]["path"])' "$T/out" 2>&1)
if [ "$status" -eq 0 ] && [ "$rel" = "$T/pf/elsewhere/out" ]; then
	ok "--policy from a pipe: relative paths keep the working directory"
else
	not_ok "--policy from a pipe: relative paths keep the working directory" "status $status" "got: $rel" "stderr: $(cat "$T/err")"
fi

# ------------------------------------------------------------ credential stores

mkdir -p "$T/home/.ssh" "$T/home/.aws" "$T/home/.docker"
echo key >"$T/home/.ssh/id_ed25519"
echo '[default]' >"$T/home/.aws/credentials"
echo 'machine m' >"$T/home/.netrc"
echo notes >"$T/home/notes.txt"
HOME="$T/home" run_cordon run --print-policy --no-tmp -C "$T/ws" --deny-read "$T/plainfile" --allow-read-credential "$T/home/.aws"
cred=$(python3 - "$T/out" "$T/home" "$T/plainfile" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1])); h = sys.argv[2]
c = p.get("credential_stores", {})
problems = []
if c.get("homes") != [h]: problems.append("homes %r" % c.get("homes"))
if c.get("hidden") != [h + "/.ssh", h + "/.netrc"]: problems.append("hidden %r" % c.get("hidden"))
if c.get("allowed") != [h + "/.aws"]: problems.append("allowed %r" % c.get("allowed"))
if p["deny_read"] != [sys.argv[3]]: problems.append("deny_read %r" % p["deny_read"])
print("; ".join(problems))
EOF
)
if [ "$status" -eq 0 ] && [ -z "$cred" ]; then
	ok "--print-policy lists the hidden credential stores apart from deny_read"
else
	not_ok "--print-policy lists the hidden credential stores apart from deny_read" "status $status" "$cred" "stderr: $(cat "$T/err")"
fi
HOME="$T/home" run_cordon run --print-policy -m full-access -C "$T/ws"
cred=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential_stores"]["hidden"])' "$T/out" 2>&1)
if [ "$status" -eq 0 ] && [ "$cred" = "[]" ]; then ok "full-access: --print-policy hides no credential store"; else
	not_ok "full-access: --print-policy hides no credential store" "status $status" "hidden: $cred"
fi
HOME="$T/home" run_cordon run --print-policy --policy <(echo '{"allow_read_credentials": ["all"]}') -C "$T/ws"
cred=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["credential_stores"]; print(c["allowed"], c["hidden"])' "$T/out" 2>&1)
if [ "$status" -eq 0 ] && [ "$cred" = "['all'] []" ]; then ok "policy key allow_read_credentials: all"; else
	not_ok "policy key allow_read_credentials: all" "status $status" "got: $cred" "stderr: $(cat "$T/err")"
fi
run_cordon run --allow-read-credential .bashrc -- true
if [ "$status" -eq 125 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ] &&
	grep -q '^cordon: credential store ".bashrc" is not one cordon hides: give all, or one of .ssh, .gnupg, .aws, ' "$T/err"; then
	ok "--allow-read-credential with an unknown name: one line naming the valid ones"
else
	not_ok "--allow-read-credential with an unknown name: one line naming the valid ones" "status $status" "stderr: $(cat "$T/err")"
fi
# The list the binary enforces and the one docs/threat-model.md explains
# are the same list: the names come from cordon's own refusal line.
docs_names=$(sed -n '/^## Credential stores hidden by default/,/^## /p' "$HERE/../../docs/threat-model.md" |
	sed -n 's/^| `~\/\([^`]*\)` | .*/\1/p' | paste -sd, - | sed 's/,/, /g')
run_cordon run --allow-read-credential not-a-store -- true
code_names=$(sed -n 's/^cordon: credential store "not-a-store" is not one cordon hides: give all, or one of //p' "$T/err")
if [ -n "$code_names" ] && [ "$code_names" = "$docs_names" ]; then
	ok "the credential stores in docs/threat-model.md are the ones cordon hides"
else
	not_ok "the credential stores in docs/threat-model.md are the ones cordon hides" "cordon: $code_names" "docs:   $docs_names"
fi
HOME="$T/home" expect_error "--allow-read-credential: an absolute path outside the home" \
	"cordon: credential store /etc/.ssh to allow is not one cordon hides under $T/home: give a name such as .ssh, or all" \
	run --allow-read-credential /etc/.ssh -- true
# The caller of sudo is looked up by uid. For a uid /etc/passwd does not
# hold, glibc goes on to the other modules nsswitch.conf names; a static
# cordon that let it dlopen one (libnss_systemd here) died of SIGSEGV.
# It must ask getent instead and, with no such account anywhere, go on
# without that home.
if [ "$(id -u)" -eq 0 ]; then
	unknown_uid=54321
	while getent passwd "$unknown_uid" >/dev/null; do unknown_uid=$((unknown_uid + 1)); done
	SUDO_UID=$unknown_uid HOME="$T/home" run_cordon run --print-policy -C "$T/ws"
	homes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential_stores"]["homes"])' "$T/out" 2>&1)
	if [ "$status" -eq 0 ] && [ "$homes" = "['$T/home']" ]; then
		ok "sudo caller without an account: no crash, only \$HOME's stores"
	else
		not_ok "sudo caller without an account: no crash, only \$HOME's stores" "status $status" "homes: $homes" "stderr: $(cat "$T/err")"
	fi
else
	skip "sudo caller without an account" "SUDO_UID counts only for root; runs in the root pass"
fi

# ------------------------------------------------------------ full-access runs

FA=(run -m full-access -q --)

run_cordon run -m full-access -- true
if [ "$status" -eq 0 ] &&
	[ "$(cat "$T/err")" = "cordon: full-access: the command runs WITHOUT a sandbox" ]; then
	ok "full-access says so on stderr"
else
	not_ok "full-access says so on stderr" "status $status" "stderr: $(cat "$T/err")"
fi
run_cordon "${FA[@]}" true
if [ "$status" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ]; then ok "-q keeps stderr clean"; else
	not_ok "-q keeps stderr clean" "status $status" "stderr: $(cat "$T/err")"
fi

head -c $((20 << 20)) /dev/urandom >"$T/a"
head -c $((20 << 20)) /dev/urandom >"$T/b"
(cd "$T" && "$CORDON" "${FA[@]}" sh -c 'cat a; cat b >&2' </dev/null >"$T/a.out" 2>"$T/b.err")
status=$?
if [ "$status" -eq 0 ] && cmp -s "$T/a" "$T/a.out" && cmp -s "$T/b" "$T/b.err"; then
	ok "20 MiB on stdout and 20 MiB on stderr, separate and byte-exact"
else
	not_ok "20 MiB on stdout and 20 MiB on stderr, separate and byte-exact" "status $status" \
		"stdout $(wc -c <"$T/a.out") bytes, stderr $(wc -c <"$T/b.err") bytes"
fi
"$CORDON" "${FA[@]}" cat <"$T/a" >"$T/a.cat" 2>"$T/err"
status=$?
if [ "$status" -eq 0 ] && cmp -s "$T/a" "$T/a.cat"; then ok "stdin passes through (20 MiB)"; else
	not_ok "stdin passes through (20 MiB)" "status $status" "$(wc -c <"$T/a.cat") bytes"
fi
rm -f "$T/a" "$T/b" "$T/a.out" "$T/b.err" "$T/a.cat"

run_cordon "${FA[@]}" sh -c 'exit 0'
expect_status "exit status 0" 0
run_cordon "${FA[@]}" sh -c 'exit 7'
expect_status "exit status 7" 7
printf '#!/bin/sh\necho should not run\n' >"$T/noexec"
chmod 644 "$T/noexec"
run_cordon "${FA[@]}" "$T/noexec"
if [ "$status" -eq 126 ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^cordon: .*noexec" "$T/err"; then
	ok "not executable: 126 and one line"
else
	not_ok "not executable: 126 and one line" "status $status" "stderr: $(cat "$T/err")"
fi
run_cordon "${FA[@]}" cordon-no-such-program-xyz
if [ "$status" -eq 127 ] && [ "$(cat "$T/err")" = "cordon: cannot run 'cordon-no-such-program-xyz': not found in PATH" ]; then
	ok "not found: 127 and the line naming it"
else
	not_ok "not found: 127 and the line naming it" "status $status" "stderr: $(cat "$T/err")"
fi
run_cordon "${FA[@]}" sh -c 'kill -9 $$'
expect_status "killed by signal 9: 137" 137

# Timeout: a double-forked, setsid'd grandchild must die with the run.
start=$(date +%s%N)
run_cordon run -m full-access -t 1 -- sh -c \
	"(setsid sh -c 'sleep 2; touch \"$T/late\"' &); sleep 30"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
timeout_err=$(cat "$T/err")
sleep 2.5
want_line="cordon: timed out after 1 s; every process of the run was killed"
if [ "$status" -eq 124 ] && [ ! -e "$T/late" ] && [ "$elapsed_ms" -lt 5000 ] &&
	[ "$timeout_err" = "cordon: full-access: the command runs WITHOUT a sandbox
$want_line" ]; then
	ok "timeout: 124, the summary line, and the setsid'd grandchild died"
else
	not_ok "timeout: 124, the summary line, and the setsid'd grandchild died" "status $status" \
		"elapsed ${elapsed_ms} ms" "late file: $([ -e "$T/late" ] && echo created || echo absent)" \
		"stderr: $timeout_err"
fi
run_cordon run -m full-access -q -t 0.3 -- sleep 10
expect_status "decimal timeout 0.3 s" 124

# Signals sent to cordon reach the command, which traps them (and gives
# up by itself after about 5 s, so a lost signal fails rather than hangs).
for sig in TERM INT HUP QUIT USR1 USR2; do
	rm -f "$T/ready" "$T/got"
	"$CORDON" "${FA[@]}" sh -c "trap 'echo $sig >\"$T/got\"; exit 3' $sig; touch \"$T/ready\"; i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i+1)); done; exit 9" \
		</dev/null >/dev/null 2>"$T/err" &
	pid=$!
	if wait_for_file "$T/ready"; then
		kill -s "$sig" "$pid"
	fi
	wait "$pid"
	status=$?
	if [ "$status" -eq 3 ] && [ "$(cat "$T/got" 2>/dev/null)" = "$sig" ]; then
		ok "SIG$sig to cordon reaches the command"
	else
		not_ok "SIG$sig to cordon reaches the command" "status $status" "marker: $(cat "$T/got" 2>&1)"
	fi
done

# Run log.
rm -rf "$T/state"
"$CORDON" "${FA[@]}" true </dev/null >/dev/null 2>"$T/err"
"$CORDON" "${FA[@]}" sh -c 'exit 7' </dev/null >/dev/null 2>>"$T/err"
log=$(python3 - "$T/state/cordon/runs.jsonl" <<'EOF' 2>&1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
print(len(lines), lines[0].get("program"), lines[0].get("exit_status"), lines[1].get("exit_status"),
      lines[1].get("mode"))
EOF
)
if [ "$log" = "2 true 0 7 full-access" ] && [ ! -s "$T/err" ]; then
	ok "run log: one JSON line per run in \$XDG_STATE_HOME/cordon/runs.jsonl"
else
	not_ok "run log: one JSON line per run in \$XDG_STATE_HOME/cordon/runs.jsonl" "$log" "stderr: $(cat "$T/err")"
fi
# A directory where the log file should be: nobody, root included, can
# append to it.
mkdir -p "$T/state-broken/cordon/runs.jsonl"
XDG_STATE_HOME="$T/state-broken" "$CORDON" "${FA[@]}" sh -c 'echo out; exit 7' </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" -eq 7 ] && [ "$(cat "$T/out")" = "out" ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	grep -q '^cordon: warning: run log not written: ' "$T/err"; then
	ok "unwritable state dir: one warning, the run's status unaffected"
else
	not_ok "unwritable state dir: one warning, the run's status unaffected" "status $status" "stderr: $(cat "$T/err")"
fi

# --pty: the command is on a terminal, output arrives complete, status kept.
run_cordon run -m full-access -q --pty -- sh -c 'test -t 0 && test -t 1 && echo on-a-tty; exit 5'
if [ "$status" -eq 5 ] && grep -q 'on-a-tty' "$T/out"; then
	ok "--pty: the command runs on a terminal, status kept"
else
	not_ok "--pty: the command runs on a terminal, status kept" "status $status" "stdout: $(head -c 200 "$T/out")"
fi
run_cordon run -m full-access -q --pty -- sh -c 'head -c 200000 /dev/zero | tr "\\0" x'
if [ "$status" -eq 0 ] && [ "$(tr -d '\r\n' <"$T/out" | wc -c)" -eq 200000 ]; then
	ok "--pty: the last bytes are drained"
else
	not_ok "--pty: the last bytes are drained" "status $status" "$(wc -c <"$T/out") bytes"
fi
printf 'typed-line\n' | "$CORDON" run -m full-access -q --pty -- sh -c 'read l; echo "got:$l"' >"$T/out" 2>"$T/err"
status=$?
if [ "$status" -eq 0 ] && grep -q 'got:typed-line' "$T/out"; then
	ok "--pty: stdin (not a terminal) is relayed, then EOF"
else
	not_ok "--pty: stdin (not a terminal) is relayed, then EOF" "status $status" "stdout: $(cat "$T/out")" "stderr: $(cat "$T/err")"
fi
run_cordon run -m full-access -q --pty -t 0.5 -- sleep 10
expect_status "--pty with --timeout: 124" 124
run_cordon run -m full-access -q --pty -- cat
if [ "$status" -eq 0 ]; then ok "--pty: EOF on stdin ends cat"; else not_ok "--pty: EOF on stdin ends cat" "status $status"; fi

# Raw mode is restored: run cordon --pty on a terminal made by python.
if python3 -c 'import pty, termios' 2>/dev/null; then
	tty_result=$(python3 "$HERE/pty_check.py" "$CORDON" 2>&1)
	if [ "$tty_result" = "ok" ]; then
		ok "--pty on a terminal: size, resize, Ctrl-C reach the command, mode restored"
	else
		not_ok "--pty on a terminal: size, resize, Ctrl-C reach the command, mode restored" "$tty_result"
	fi
else
	skip "--pty on a terminal" "python3 pty module unavailable"
fi

# ------------------------------------------------------------ sandboxed runs

(cd "$T/ws" && "$CORDON" run -- true </dev/null >/dev/null 2>"$T/err")
probe=$?
if [ "$probe" -eq 125 ]; then
	sandbox_reason="'cordon run -- true' exits 125: $(head -n1 "$T/err")"
else
	sandbox_reason=""
fi
sandbox_case() {
	local name=$1
	shift
	if [ -n "$sandbox_reason" ]; then
		skip "$name" "$sandbox_reason"
		return
	fi
	"$@"
}

ws_write_inside() {
	run_cordon run -q -C "$T/ws" -- sh -c 'echo x >inside'
	if [ "$status" -eq 0 ] && [ -f "$T/ws/inside" ]; then ok "workspace-write: write in the workspace"; else
		not_ok "workspace-write: write in the workspace" "status $status" "stderr: $(cat "$T/err")"
	fi
}
ws_write_outside() {
	# --no-tmp: $T itself usually lies in the (writable) temp directory.
	run_cordon run -q --no-tmp -C "$T/ws" -- sh -c "echo x >'$T/outside'"
	if [ "$status" -ne 0 ] && [ ! -e "$T/outside" ]; then ok "workspace-write: no write outside"; else
		not_ok "workspace-write: no write outside" "status $status"
	fi
}
ro_write_cwd() {
	run_cordon run -q -m read-only -C "$T/ws" -- sh -c 'echo x >ro-file'
	if [ "$status" -ne 0 ] && [ ! -e "$T/ws/ro-file" ]; then ok "read-only: no write in the working directory"; else
		not_ok "read-only: no write in the working directory" "status $status"
	fi
}
protected_git() {
	mkdir -p "$T/ws/.git"
	echo original >"$T/ws/.git/config"
	run_cordon run -q -C "$T/ws" -- sh -c 'echo evil >.git/config'
	if [ "$status" -ne 0 ] && [ "$(cat "$T/ws/.git/config")" = "original" ]; then ok "workspace-write: .git stays read-only"; else
		not_ok "workspace-write: .git stays read-only" "status $status" "content: $(cat "$T/ws/.git/config")"
	fi
}
compat_read_only() {
	run_cordon --sandbox-policy-cwd "$T/ws" read-only -- sh -c 'pwd; echo x >compat-file'
	if [ "$status" -ne 0 ] && [ "$(head -n1 "$T/out")" = "$T/ws" ] && [ ! -e "$T/ws/compat-file" ]; then
		ok "compatibility form: DIR is the cwd, read-only enforced"
	else
		not_ok "compatibility form: DIR is the cwd, read-only enforced" "status $status" "stdout: $(cat "$T/out")"
	fi
}
sandbox_exit_codes() {
	local got=""
	run_cordon run -q -C "$T/ws" -- sh -c 'exit 7'
	got="$got $status"
	run_cordon run -q -C "$T/ws" -- cordon-no-such-program-xyz
	got="$got $status"
	run_cordon run -q -C "$T/ws" -- sh -c 'kill -9 $$'
	got="$got $status"
	if [ "$got" = " 7 127 137" ]; then ok "sandboxed exit statuses 7 127 137"; else
		not_ok "sandboxed exit statuses 7 127 137" "got:$got"
	fi
}
sandbox_timeout() {
	rm -f "$T/ws/late"
	run_cordon run -q -t 1 -C "$T/ws" -- sh -c "(setsid sh -c 'sleep 2; touch late' &); sleep 30"
	local s=$status
	sleep 2.5
	if [ "$s" -eq 124 ] && [ ! -e "$T/ws/late" ]; then ok "sandboxed timeout kills the setsid'd grandchild"; else
		not_ok "sandboxed timeout kills the setsid'd grandchild" "status $s"
	fi
}
sandbox_signal() {
	rm -f "$T/ws/ready" "$T/ws/got"
	"$CORDON" run -q -C "$T/ws" -- sh -c "trap 'echo TERM >got; exit 3' TERM; touch ready; i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i+1)); done; exit 9" \
		</dev/null >/dev/null 2>"$T/err" &
	local pid=$!
	wait_for_file "$T/ws/ready" && kill -TERM "$pid"
	wait "$pid"
	local s=$?
	if [ "$s" -eq 3 ] && [ "$(cat "$T/ws/got" 2>/dev/null)" = "TERM" ]; then ok "sandboxed: SIGTERM to cordon reaches the command"; else
		not_ok "sandboxed: SIGTERM to cordon reaches the command" "status $s" "stderr: $(cat "$T/err")"
	fi
}

# Ctrl-Z without --pty: SIGTSTP to cordon stops cordon and the command (its
# tick counter stands still), SIGCONT resumes both.
sandbox_stop_continue() {
	local name="sandboxed: SIGTSTP stops cordon and the command, SIGCONT resumes both"
	rm -f "$T/ws/ready" "$T/ws/ticks"
	"$CORDON" run -q -C "$T/ws" -- sh -c 'touch ready; i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo $i >ticks.new && mv ticks.new ticks; sleep 0.05; done' \
		</dev/null >/dev/null 2>"$T/err" &
	local pid=$!
	wait_for_file "$T/ws/ticks"
	kill -TSTP "$pid"
	sleep 0.5
	local state stopped_a stopped_b resumed
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
	stopped_a=$(cat "$T/ws/ticks" 2>/dev/null)
	sleep 0.5
	stopped_b=$(cat "$T/ws/ticks" 2>/dev/null)
	kill -CONT "$pid"
	sleep 0.5
	resumed=$(cat "$T/ws/ticks" 2>/dev/null)
	kill -TERM "$pid"
	wait "$pid"
	local s=$?
	if [ "$state" = "T" ] && [ -n "$stopped_a" ] && [ "$stopped_a" = "$stopped_b" ] &&
		[ "${resumed:-0}" -gt "$stopped_b" ] && [ "$s" -eq 143 ]; then
		ok "$name"
	else
		not_ok "$name" "cordon state while stopped: '$state' (want T)" \
			"ticks while stopped: '$stopped_a' then '$stopped_b'; after SIGCONT: '$resumed'" \
			"status $s (want 143)" "stderr: $(cat "$T/err")"
	fi
}

sandbox_pty() {
	run_cordon run -q --pty -C "$T/ws" -- sh -c 'test -t 0 && test -t 1 && echo on-a-tty; exit 5'
	if [ "$status" -eq 5 ] && grep -q 'on-a-tty' "$T/out"; then ok "sandboxed --pty: a terminal, status kept"; else
		not_ok "sandboxed --pty: a terminal, status kept" "status $status" "stdout: $(head -c 200 "$T/out")" "stderr: $(cat "$T/err")"
	fi
}

sandbox_pty_terminal() {
	local result
	result=$(cd "$T/ws" && python3 "$HERE/pty_check.py" "$CORDON" workspace-write 2>&1)
	if [ "$result" = "ok" ]; then ok "sandboxed --pty on a terminal: size, resize, Ctrl-C, mode restored"; else
		not_ok "sandboxed --pty on a terminal: size, resize, Ctrl-C, mode restored" "$result"
	fi
}

compat_seeds_json() {
	rm -f "$T/extra/compat-extra" "$T/compat-outside"
	# Temp directories excluded, since $T usually lies in one.
	run_cordon --sandbox-policy-cwd "$T/ws" \
		"{\"type\":\"workspace-write\",\"writable_roots\":[\"$T/extra\"],\"network_access\":false,\"exclude_slash_tmp\":true,\"exclude_tmpdir_env_var\":true}" \
		sh -c "echo x >'$T/extra/compat-extra'; echo x >'$T/compat-outside'"
	if [ "$status" -ne 0 ] && [ -f "$T/extra/compat-extra" ] && [ ! -e "$T/compat-outside" ]; then
		ok "compatibility form: the seeds' JSON shape, extra root writable, nothing else"
	else
		not_ok "compatibility form: the seeds' JSON shape, extra root writable, nothing else" "status $status" \
			"extra written: $([ -f "$T/extra/compat-extra" ] && echo yes || echo no)" \
			"outside written: $([ -e "$T/compat-outside" ] && echo yes || echo no)" "stderr: $(cat "$T/err")"
	fi
}
best_effort_lines() {
	"$CORDON" doctor >"$T/doctor" 2>&1
	local missing
	missing=$(grep -c '^  MISSING ' "$T/doctor")
	run_cordon run --best-effort -C "$T/ws" -- true
	local lines
	lines=$(grep -c '^cordon: best-effort: ' "$T/err")
	if [ "$status" -eq 0 ] && [ "$lines" -eq "$missing" ] && [ "$(wc -l <"$T/err")" -eq "$missing" ]; then
		ok "--best-effort: one line per missing feature ($missing here)"
	else
		not_ok "--best-effort: one line per missing feature" "status $status" "$lines lines for $missing missing" "stderr: $(cat "$T/err")"
	fi
}

timeout_in_setup() {
	# 1 ms is shorter than creating the sandbox's namespaces: the timeout
	# passes during set-up, so the command never runs.
	run_cordon run -t 0.001 -C "$T/ws" -- sh -c "touch '$T/ws/setup-ran'"
	if [ "$status" -eq 124 ] && [ ! -e "$T/ws/setup-ran" ] &&
		[ "$(cat "$T/err")" = "cordon: timed out after 0.001 s while the sandbox was being set up; the command never ran" ]; then
		ok "--timeout covers sandbox set-up: 124, the line, nothing ran"
	else
		not_ok "--timeout covers sandbox set-up: 124, the line, nothing ran" "status $status" \
			"marker: $([ -e "$T/ws/setup-ran" ] && echo created || echo absent)" "stderr: $(cat "$T/err")"
	fi
}

sandbox_case "workspace-write: write in the workspace" ws_write_inside
sandbox_case "--timeout covers sandbox set-up" timeout_in_setup
sandbox_case "workspace-write: no write outside" ws_write_outside
sandbox_case "read-only: no write in the working directory" ro_write_cwd
sandbox_case "workspace-write: .git stays read-only" protected_git
sandbox_case "compatibility form: DIR is the cwd, read-only enforced" compat_read_only
sandbox_case "sandboxed exit statuses 7 127 137" sandbox_exit_codes
sandbox_case "sandboxed timeout kills the setsid'd grandchild" sandbox_timeout
sandbox_case "sandboxed: SIGTERM to cordon reaches the command" sandbox_signal
sandbox_case "sandboxed: SIGTSTP stops cordon and the command, SIGCONT resumes both" sandbox_stop_continue
sandbox_case "sandboxed --pty: a terminal, status kept" sandbox_pty
sandbox_case "compatibility form: the seeds' JSON shape, extra root writable, nothing else" compat_seeds_json
sandbox_case "--best-effort: one line per missing feature" best_effort_lines
sandbox_case "sandboxed --pty on a terminal: size, resize, Ctrl-C, mode restored" sandbox_pty_terminal

# ------------------------------------------------------------ summary

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
