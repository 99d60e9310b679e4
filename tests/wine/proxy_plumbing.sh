#!/usr/bin/env bash
# --network proxy under Wine, restricted-token mode (--best-effort):
# plumbing only. It shows that cordon.exe starts its allowlist proxy on
# 127.0.0.1 at the proxy port, gives the command HTTPS_PROXY pointing
# there, answers CONNECT by the allowlist (403 for a name not on it, a
# working tunnel for one that is), serves only the processes of its own
# run (a client outside the run's job gets 403 naming its process, and
# the echo server never hears from it), also when a runner (elevated
# mode's, within one account) started the command, and refuses (125, one
# line) when the port is taken. The owner of a connection comes from
# Wine's TCP table, which names the process once it has sent on the
# socket (the proxy judges after reading the request). It shows nothing about enforcement: in restricted-token
# mode the command could ignore the proxy, and elevated mode's WFP filters
# (the only thing that makes the proxy the one way out) exist on a Windows
# host only.
# Usage: tests/wine/proxy_plumbing.sh MINGW_BUILD_DIR
# Exit: 0 passed, 1 failed, 77 skipped (the reason is printed).
set -uo pipefail
build=${1:?usage: $0 MINGW_BUILD_DIR}
port=3128 # CORDON_PROXY_PORT (src/proxy/proxy.h)
helper=$build/tests/wine/wine_helper.exe
library_test=$build/tests/wine/wine_library_test.exe
runner_test=$build/tests/wine/runner_plumbing.exe
if ! command -v wine >/dev/null || ! command -v python3 >/dev/null; then
	echo "SKIP: needs wine and python3 (scripts/setup-debian.sh installs both)"
	exit 77
fi
if [ ! -f "$build/cordon.exe" ] || [ ! -f "$helper" ] || [ ! -f "$library_test" ] || [ ! -f "$runner_test" ]; then
	echo "SKIP: $build has no cordon.exe or tests/wine/wine_helper.exe, wine_library_test.exe or runner_plumbing.exe; wine.plumbing builds them"
	exit 77
fi
# SO_REUSEADDR: connections of an earlier run in TIME_WAIT do not count,
# a listener does.
port_free() {
	python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)' "$port" 2>/dev/null
}
if ! port_free; then
	echo "SKIP: 127.0.0.1 port $port (cordon's proxy port) is in use on this machine; the test needs it free"
	exit 77
fi
export WINEPREFIX="$build/wineprefix-proxy" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
mkdir -p "$WINEPREFIX"
work=$(mktemp -d "$build/proxy-plumbing.XXXXXX")
servers=()
cleanup() {
	for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; done
	timeout 30 wineserver -k >/dev/null 2>&1
}
trap cleanup EXIT
winpath() { printf 'Z:%s' "${1//\//\\}"; }
helper_w=$(winpath "$helper")
ws_w=$(winpath "$work")
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
run_cordon() { timeout 120 wine "$build/cordon.exe" "$@" >"$work/out" 2>"$work/err"; }

# An echo server on the Linux side, on a free port: one line back per
# connection; every line it hears is logged.
python3 - "$work/echo-port" "$work/echo-log" <<'PY' &
import socket, sys, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
def serve(c):
    with c:
        data = b""
        while not data.endswith(b"\n"):
            got = c.recv(1024)
            if not got:
                return
            data += got
        with open(sys.argv[2], "ab") as log:
            log.write(data)
        c.sendall(b"echo:" + data)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
servers+=($!)
for _ in $(seq 50); do [ -s "$work/echo-port" ] && break; sleep 0.1; done
echo_port=$(cat "$work/echo-port" 2>/dev/null)
[ -n "$echo_port" ] || { echo "not ok - plumbing (Wine): the echo server did not start"; exit 1; }

run_cordon run --best-effort -q -n proxy --allow-domain localhost -C "$ws_w" -- "$helper_w" env HTTPS_PROXY
status=$?
tr -d '\r' <"$work/out" >"$work/out.lf"
check "--network proxy runs under Wine (best effort, exit $status) and HTTPS_PROXY names 127.0.0.1:$port" \
	grep -qx "http://127.0.0.1:$port" "$work/out.lf"

run_cordon run --best-effort -n proxy --allow-domain localhost -C "$ws_w" -- \
	"$helper_w" proxy-connect "localhost:$echo_port" hello-through-proxy
status=$?
tr -d '\r' <"$work/out" >"$work/out.lf"
check "CONNECT localhost:$echo_port (allowed) through the proxy: 200 (exit $status)" \
	grep -q '^status=HTTP/1.1 200' "$work/out.lf"
check "  ... and the tunnel carries bytes both ways to the Linux echo server" \
	grep -qx 'echo=echo:hello-through-proxy' "$work/out.lf"
check "  ... best effort says the proxy is advisory in restricted-token mode" \
	grep -q "network proxy: the allowlist proxy listens on 127.0.0.1 and \[::1\] port $port, but in restricted-token mode" "$work/err"

run_cordon run --best-effort -q -n proxy --allow-domain localhost -C "$ws_w" -- \
	"$helper_w" proxy-connect "example.invalid:443" nothing
tr -d '\r' <"$work/out" >"$work/out.lf"
check "CONNECT example.invalid:443 (not on the allowlist): 403 from cordon" \
	grep -q '^status=HTTP/1.1 403' "$work/out.lf"
check "  ... naming the host and --allow-domain" \
	grep -q '^body=cordon: example.invalid is not in the allowed domains (--allow-domain)' "$work/out.lf"

run_cordon run --best-effort -q -n proxy --allow-domain example.org -C "$ws_w" -- \
	"$helper_w" proxy-connect "localhost:$echo_port" nothing
tr -d '\r' <"$work/out" >"$work/out.lf"
check "control: localhost is refused (403) when the allowlist has only example.org" \
	grep -q '^status=HTTP/1.1 403' "$work/out.lf"

check "after cordon exits nothing listens on the proxy port" port_free

# A client outside the run: a Wine process cordon did not start, told to
# use the proxy of a run that is waiting.
timeout 120 wine "$build/cordon.exe" run --best-effort -q -n proxy --allow-domain localhost -C "$ws_w" -- \
	"$helper_w" sleep >"$work/sleeper.out" 2>"$work/sleeper.err" &
sleeper=$!
for _ in $(seq 100); do port_free || break; sleep 0.1; done
HTTPS_PROXY="http://127.0.0.1:$port" timeout 60 wine "$helper" proxy-connect "localhost:$echo_port" outsider-was-here \
	>"$work/outsider.out" 2>&1
tr -d '\r' <"$work/outsider.out" >"$work/outsider.lf"
check "a process outside the run reaching the run's proxy: 403" grep -q '^status=HTTP/1.1 403' "$work/outsider.lf"
check "  ... saying which process and that it is not part of this run" \
	grep -Eq '^body=cordon: process [0-9]+ is not part of this run; this proxy serves only the processes of the cordon run that started it' "$work/outsider.lf"
check "  ... and the echo server never heard from it" test "$(grep -c outsider-was-here "$work/echo-log")" = 0
# A second --network proxy run while that one holds the port: refused.
# Wine names no listener's process, so the line is the plain one; on
# Windows it names the other cordon run (unit.test_proxy_admission).
run_cordon run --best-effort -q -n proxy --allow-domain localhost -C "$ws_w" -- "$helper_w" args should-not-run
status=$?
check "a second --network proxy run while another holds the port: exit 125 (got $status), nothing run" \
	test "$status" = 125 -a ! -s "$work/out"
check "  ... one line saying the port is in use (Wine: by another program; the listener's owner is not named)" \
	test "$(wc -l <"$work/err")" = 1 -a "$(grep -c "port $port is in use by another program, and the command may reach only that port; nothing was run" "$work/err")" = 1
kill "$sleeper" 2>/dev/null
wait "$sleeper" 2>/dev/null
timeout 30 wineserver -k >/dev/null 2>&1
for _ in $(seq 100); do port_free && break; sleep 0.1; done

# The same through elevated mode's runner (within one account: the
# test-only entry): the job the proxy checks is the runner's.
timeout 200 wine "$runner_test" "$(winpath "$build/cordon.exe")" "$helper_w" "$ws_w" \
	proxy "$echo_port" >"$work/runner.out" 2>&1
status=$?
sed 's/^/  /' "$work/runner.out"
check "the runner's proxy checks: $status failure(s)" \
	test "$status" = 0 -a "$(grep -c '^ok - plumbing' "$work/runner.out")" = 6
check "  ... and the echo server never heard from the outsider" test "$(grep -c outsider-was-here "$work/echo-log")" = 0
check "  ... but did hear the runner's command" grep -q hello-from-the-runner "$work/echo-log"

# Through the library: the proxy lives exactly as long as the child.
timeout 120 wine "$library_test" "$helper_w" "$ws_w" proxy >"$work/library.out" 2>&1
status=$?
sed 's/^/  /' "$work/library.out"
check "the library's proxy checks (listening while the child exists, stopped by cordon_child_free): $status failure(s)" \
	test "$status" = 0 -a "$(grep -c '^ok - plumbing' "$work/library.out")" = 4

# Someone else on the proxy port: cordon refuses, nothing runs.
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); open(sys.argv[2],"w").write("up"); time.sleep(120)' \
	"$port" "$work/squatter" &
servers+=($!)
for _ in $(seq 50); do [ -s "$work/squatter" ] && break; sleep 0.1; done
run_cordon run --best-effort -q -n proxy --allow-domain localhost -C "$ws_w" -- "$helper_w" args should-not-run
status=$?
check "with 127.0.0.1:$port taken by another program: exit 125 (got $status), nothing run" \
	test "$status" = 125 -a ! -s "$work/out"
check "  ... one line saying the port is in use" \
	test "$(wc -l <"$work/err")" = 1 -a "$(grep -c "port $port is in use by another program" "$work/err")" = 1

echo "$failures failure(s)"
[ "$failures" = 0 ]
