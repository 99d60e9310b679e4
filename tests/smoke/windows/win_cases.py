"""The Windows smoke cases: every class of smoke-cases.md with its Windows
meaning (win_classes.py), plus the probe, deletes and renames through a
parent's delete-child right, the mode contract and ConPTY. Each verdict is
checked on the host after cordon returns.

Cases whose outcome depends on what a write-restricted token re-checks
(deletes and renames through a parent's FILE_DELETE_CHILD) assert the
verdict for the reading `cordon doctor` reports, the same verdicts as
tests/winmodel/test_smoke_scenarios.c."""
import getpass
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import win_harness as H
from win_harness import RESTRICTED, RO, TRY_OPS, WS, case


def q(path):
    """A path as a Python literal inside a generated script."""
    return repr(path)


def ntpath_extended(path):
    return "\\\\?\\" + path


# ------------------------------------------------------------------ probe first
@case(modes=(RESTRICTED,), items=("probe-first",))
def probe_write_restricted_delete_child(ctx):
    """doctor reports what a write-restricted token re-checks; a real delete through the parent's delete-child agrees"""
    doctor = ctx.suite.doctor
    ctx.check(doctor is not None and doctor.reading is not None,
              "cordon doctor printed no 'write-restricted delete-child: re-checked|not re-checked' line: %r" %
              (doctor.text[-800:] if doctor else None))
    # The probe's situation: a file whose own DACL grants the run nothing,
    # in a folder where the user's own SIDs hold delete-child.
    victim = os.path.join(ctx.outside, "victim.txt")
    ctx.write(victim, b"victim\n")
    r = ctx.batch(['del /f /q "%s"' % ctx.w(victim)])
    ctx.require_ran(r)
    observed = H.NOT_RECHECKED if not H.exists(victim) else H.RECHECKED
    ctx.note("observed from a cordon run: delete-child %s" % observed)
    if doctor is not None and doctor.reading is not None:
        ctx.check(observed == doctor.reading, "doctor says delete-child %s, but a restricted-token run's delete "
                  "of an outside file %s" % (doctor.reading, "succeeded" if observed == H.NOT_RECHECKED else
                                              "failed"))
    # --best-effort names what this mode does not enforce.
    ctx.check(re.search(r"cordon: best-effort: not enforced: .*network", r.err, re.I) is not None,
              "--best-effort did not say that the network block is advisory: %r" % r.err[-400:])
    if observed == H.NOT_RECHECKED:
        ctx.check(re.search(r"cordon: best-effort: not enforced: .*delet", r.err, re.I) is not None,
                  "delete-child is not re-checked here but --best-effort did not say deletes are not enforced: %r"
                  % r.err[-400:])


@case(modes=(RESTRICTED,), items=("mode-contract",), plumbing=True)
def modes_fail_closed(ctx):
    """without setup a plain run refuses (125, one line naming 'cordon setup' and '--best-effort'); --best-effort runs"""
    if ctx.suite.doctor.elevated_state != H.SETUP_NOT_SET_UP:
        ctx.skip("doctor does not say 'elevated mode: not set up' (it says %r): the refusal without setup is not "
                 "what this host shows" % ctx.suite.doctor.values.get("elevated mode"))
    argv = ctx.host.cordon_argv(ctx.cordon) + ["run", "-C", ctx.w(ctx.ws), "--", "cmd.exe", "/d", "/c",
                                               "echo %s" % H.RAN]
    r = ctx.run(None, raw_argv=argv)
    ctx.check(r.rc == H.EXIT_REFUSED, "plain run without setup: rc %s, expected 125: %s" % (r.rc, r.brief()))
    ctx.check(not r.ran, "plain run without setup ran the command: %s" % r.brief())
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    ctx.check(len(lines) == 1 and lines[0].startswith("cordon: ") and "cordon setup" in lines[0] and
              "--best-effort" in lines[0], "refusal is not one line naming 'cordon setup' and '--best-effort': %r"
              % lines)
    r = ctx.batch(["exit /b 7"])
    ctx.require_ran(r)
    ctx.check(r.rc == 7, "--best-effort run: exit status %s, expected the command's 7" % r.rc)


@case(plumbing=True)
def exit_statuses(ctx):
    """the command's exit status passes through; a missing program is 127; a bad option is 125"""
    r = ctx.batch(["exit /b 42"])
    ctx.require_ran(r)
    ctx.check(r.rc == 42, "exit status %s, expected 42" % r.rc)
    r = ctx.run([ctx.w(os.path.join(ctx.ws, "no-such-program.exe"))])
    ctx.check(r.rc == 127, "missing program: rc %s, expected 127: %s" % (r.rc, r.brief()))
    r = ctx.run(["cmd.exe", "/c", "exit 0"], extra=["--no-such-option"])
    ctx.check(r.rc == H.EXIT_REFUSED, "bad option: rc %s, expected 125" % r.rc)


@case(modes=(RESTRICTED,), items=("mode-contract",), plumbing=True)
def best_effort_names_what_is_not_enforced(ctx):
    """--best-effort: stderr has 'cordon: best-effort: not enforced: ...' lines, one for the advisory network block; network on drops that one"""
    r = ctx.batch(["exit /b 0"], extra=["-n", "off"])
    ctx.require_ran(r)
    lines = [ln for ln in r.err.splitlines() if ln.startswith("cordon: best-effort: not enforced: ")]
    ctx.check(any("network" in ln for ln in lines), "no 'not enforced' line for the network: %r" % r.err[-600:])
    r = ctx.batch(["exit /b 0"], extra=["-n", "on"])
    ctx.require_ran(r)
    ctx.check(not re.search(r"not enforced: network", r.err), "--network on still says the network block is "
              "advisory: %r" % r.err[-600:])
    r = ctx.batch(["exit /b 0"], extra=["-q"])
    ctx.require_ran(r)
    ctx.note("with -q stderr holds %d line(s)" % len(r.err.splitlines()))


# ------------------------------------------------------------------ 1-9
@case(classes=(1,))
def ro_create_in_cwd_denied(ctx):
    """RO: create a file in the working directory -> denied, no file"""
    r = ctx.batch(["echo x> new.txt"], policy=RO)
    ctx.require_ran(r)
    ctx.absent(os.path.join(ctx.ws, "new.txt"), "read-only create")


@case(classes=(2,), plumbing=True)
def ws_create_in_cwd_allowed(ctx):
    """WS: create a file in the working directory -> allowed"""
    r = ctx.batch(["echo hello> new.txt"])
    ctx.require_ran(r)
    ctx.check(H.read_bytes(os.path.join(ctx.ws, "new.txt")) == b"hello\r\n", "workspace create failed: %s" %
              r.brief())


@case(classes=(3,))
def ws_create_outside_denied(ctx):
    """WS: create and overwrite files outside every root (a user-owned dir, the profile) -> denied"""
    profile_file = os.path.join(os.environ.get("USERPROFILE", ctx.outside), ctx.token + ".txt")
    ctx.cleanups.append(lambda: H.exists(profile_file) and os.unlink(profile_file))
    secret = os.path.join(ctx.outside, "secret.txt")
    before = H.read_bytes(secret)
    new = os.path.join(ctx.outside, "new.txt")
    r = ctx.py(TRY_OPS + "attempt('new', write(%s))\nattempt('profile', write(%s))\n"
               "attempt('overwrite', write(%s))\nattempt('append', append(%s))" % (q(new), q(profile_file),
                                                                                 q(secret), q(secret)))
    ctx.require_ran(r)
    ctx.absent(new, "outside create")
    ctx.absent(profile_file, "create in the user's profile")
    ctx.unchanged(secret, before, "outside overwrite/append")


@case(classes=(4,), plumbing=True)
def ws_extra_root_write_allowed(ctx):
    """WS -w EXTRA: write in the extra root -> allowed"""
    target = os.path.join(ctx.extra, "f.txt")
    r = ctx.batch(['echo extra> "%s"' % ctx.w(target)], policy=WS + ["-w", ctx.w(ctx.extra)])
    ctx.require_ran(r)
    ctx.check(H.read_bytes(target) == b"extra\r\n", "extra root write failed: %s" % r.brief())


@case(classes=(5,))
def ro_extra_root_write_denied(ctx):
    """RO: write in the extra root -> denied (RO with -w refused with 125, or the write fails)"""
    target = os.path.join(ctx.extra, "f.txt")
    r = ctx.batch(['echo x> "%s"' % target], policy=RO + ["-w", ctx.extra])
    if r.rc == H.EXIT_REFUSED:
        ctx.check(not r.ran, "cordon said 125 but the command ran: %s" % r.brief())
    else:
        ctx.require_ran(r)
    ctx.absent(target, "read-only + extra root")
    r = ctx.batch(['echo x> "%s"' % target], policy=RO)
    ctx.require_ran(r)
    ctx.absent(target, "read-only write into the former extra root")


@case(classes=(6,))
def ws_temp_write_allowed(ctx):
    """WS: write in the temp directory (%TEMP%) -> allowed"""
    r = ctx.batch(['echo tmp> "%TEMP%\\t.txt"'])
    ctx.require_ran(r)
    ctx.check(H.read_bytes(os.path.join(ctx.tmp, "t.txt")) == b"tmp\r\n", "temp write failed: %s" % r.brief())


@case(classes=(7,))
def ro_temp_write_denied(ctx):
    """RO: write in the temp directory -> denied"""
    r = ctx.batch(['echo x> "%TEMP%\\t.txt"', 'echo x> "%s"' % os.path.join(ctx.tmp, "t2.txt")], policy=RO)
    ctx.require_ran(r)
    ctx.check(os.listdir(ctx.tmp) == [], "read-only temp write reached the host: %r" % os.listdir(ctx.tmp))


@case(classes=(8,), plumbing=True)
def ws_append_allowed(ctx):
    """WS: append to a file -> allowed"""
    target = os.path.join(ctx.ws, "src", "a.txt")
    r = ctx.batch(['echo more>> "%s"' % ctx.w(target)])
    ctx.require_ran(r)
    ctx.check(H.read_bytes(target) == b"workspace file\nmore\r\n", "append failed: %s" % r.brief())


@case(classes=(9, 29))
def ro_append_and_redirection_denied(ctx):
    """RO: append (>>) and overwrite (>) through cmd.exe redirection -> denied, bytes unchanged"""
    target = os.path.join(ctx.ws, "src", "a.txt")
    before = H.read_bytes(target)
    r = ctx.batch(['echo more>> "%s"' % target, 'echo gone> "%s"' % target, 'type nul> "%s"' % target], policy=RO)
    ctx.require_ran(r)
    ctx.unchanged(target, before, "read-only append/overwrite")


# ------------------------------------------------------------------ 10-16
@case(classes=(10, 11, 21))
def powershell_set_content(ctx):
    """PowerShell Set-Content/Add-Content: WS workspace write allowed; RO workspace and temp writes denied"""
    target = os.path.join(ctx.ws, "ps.txt")
    r = ctx.ps("Set-Content -LiteralPath '%s' -Value 'ps'" % target)
    ctx.require_ran(r)
    ctx.check(H.read_bytes(target) is not None and H.read_bytes(target).startswith(b"ps"),
              "WS Set-Content failed: %s" % r.brief())
    before = H.read_bytes(target)
    r = ctx.ps("Set-Content -LiteralPath '%s' -Value 'ro'\nAdd-Content -LiteralPath '%s' -Value 'ro'\n"
               "Set-Content -LiteralPath (Join-Path $env:TEMP 'ps.txt') -Value 'ro'" % (target, target), policy=RO)
    ctx.require_ran(r)
    ctx.unchanged(target, before, "RO Set-Content/Add-Content")
    ctx.absent(os.path.join(ctx.tmp, "ps.txt"), "RO temp write from PowerShell")


@case(classes=(12,), plumbing=True)
def ws_mkdir_then_write(ctx):
    """WS: mkdir then write inside -> allowed"""
    r = ctx.batch(["mkdir newdir", "echo in> newdir\\f.txt"])
    ctx.require_ran(r)
    ctx.check(H.read_bytes(os.path.join(ctx.ws, "newdir", "f.txt")) == b"in\r\n", "mkdir+write failed: %s" %
              r.brief())


@case(classes=(13,), plumbing=True)
def ws_rename(ctx):
    """WS: rename a file in the workspace -> allowed"""
    r = ctx.batch(["ren src\\a.txt b.txt"])
    ctx.require_ran(r)
    ctx.check(H.exists(os.path.join(ctx.ws, "src", "b.txt")) and not H.exists(os.path.join(ctx.ws, "src", "a.txt")),
              "rename failed: %s" % r.brief())


@case(classes=(14,))
def ws_delete(ctx):
    """WS: delete a file in the workspace -> allowed; RO: per reading (delete-child of the user's own folder)"""
    target = os.path.join(ctx.ws, "src", "a.txt")
    r = ctx.batch(['del /f /q "%s"' % target])
    ctx.require_ran(r)
    ctx.absent(target, "workspace delete (should have been allowed: %s)" % r.brief())
    ctx.write(target, b"again\n")
    r = ctx.batch(['del /f /q "%s"' % target], policy=RO)
    ctx.require_ran(r)
    if ctx.delete_child_open():
        ctx.check(not H.exists(target), "read-only delete: the reported reading says delete-child is not "
                  "re-checked, yet the file survived")
        ctx.note("read-only run deleted a workspace file: not stopped in restricted-token mode under this reading")
    else:
        ctx.check(H.read_bytes(target) == b"again\n", "read-only delete of a workspace file succeeded")


@case(classes=(15, 16, 25, 26))
def python_and_raw_bytes_write(ctx):
    """Python open() and os.open/os.write: WS allowed, RO denied"""
    a, b = os.path.join(ctx.ws, "py.txt"), os.path.join(ctx.ws, "raw.bin")
    code = TRY_OPS + "attempt('open', write(%s))\nattempt('raw', raw(%s, b'\\x00\\x01raw'))" % (q(a), q(b))
    r = ctx.py(code, policy=RO)
    ctx.require_ran(r)
    ctx.absent(a, "RO Python write")
    ctx.absent(b, "RO raw write")
    r = ctx.py(code)
    ctx.require_ran(r)
    ctx.check(H.read_bytes(a) == b"cordon-smoke", "WS Python write failed: %s" % r.brief())
    ctx.check(H.read_bytes(b) == b"\x00\x01raw", "WS raw write failed: %s" % r.brief())


# ------------------------------------------------------------------ 17-20: network
def advisory_or_denied(ctx, server, what, res):
    """Restricted-token mode only advises (environment, PATH stubs): a
    reach there is a SKIP that says what happened, after checking that
    cordon said so. Elevated mode enforces (WFP): the server must see
    nothing."""
    if ctx.mode == RESTRICTED:
        ctx.check(re.search(r"not enforced: .*network", res.err, re.I) is not None,
                  "--best-effort did not say the network block is advisory: %r" % res.err[-300:])
        if ctx.failures:
            return
        ctx.skip("restricted-token mode does not enforce network (advisory only); %s: the host server saw %d "
                 "connection(s)" % (what, server.accepted))
    ctx.check(server.accepted == 0, "%s reached the host server (%d connection(s))" % (what, server.accepted))


@case(classes=(17,))
def net_curl_direct_denied(ctx):
    """WS, network off: curl.exe to a host 127.0.0.1 server -> server sees nothing (elevated); advisory (restricted)"""
    if not shutil.which("curl.exe"):
        ctx.skip("no curl.exe on this host")
    server = H.TcpServer()
    ctx.cleanups.append(server.close)
    r = ctx.batch(["curl.exe -s -m 5 http://127.0.0.1:%d/%s" % (server.port, ctx.token),
                   "curl.exe -s -m 5 --noproxy * http://127.0.0.1:%d/%s" % (server.port, ctx.token)],
                  extra=["-n", "off"])
    ctx.require_ran(r)
    time.sleep(0.5)
    advisory_or_denied(ctx, server, "curl.exe", r)


@case(classes=(18,))
def net_invoke_webrequest_denied(ctx):
    """WS, network off: Invoke-WebRequest to the host server -> server sees nothing (elevated); advisory (restricted)"""
    server = H.TcpServer()
    ctx.cleanups.append(server.close)
    r = ctx.ps("try { Invoke-WebRequest -UseBasicParsing -TimeoutSec 5 http://127.0.0.1:%d/%s } catch { "
               "Write-Output $_.Exception.Message }" % (server.port, ctx.token), extra=["-n", "off"])
    ctx.require_ran(r)
    time.sleep(0.5)
    advisory_or_denied(ctx, server, "Invoke-WebRequest", r)


@case(classes=(19,), items=("proxy-allowlist",))
def net_proxy_allowed(ctx):
    """WS, --network proxy --allow-domain localhost: curl.exe through the configured proxy reaches the host server"""
    if not shutil.which("curl.exe"):
        ctx.skip("no curl.exe on this host")
    server = H.TcpServer()
    ctx.cleanups.append(server.close)
    r = ctx.batch(["curl.exe -s -m 10 http://localhost:%d/%s" % (server.port, ctx.token)],
                  extra=["-n", "proxy", "--allow-domain", "localhost"])
    ctx.refused_proxy(r)
    ctx.require_ran(r)
    ctx.check(server.accepted >= 1 and "SMOKE-SERVER-OK" in r.out,
              "the proxied request did not reach the host server (%d): %s" % (server.accepted, r.brief()))


@case(classes=(20,), items=("proxy-allowlist",))
def net_proxy_bypass_denied(ctx):
    """WS, --network proxy: curl.exe --noproxy straight to the server, and a non-allowed name via the proxy -> nothing"""
    if not shutil.which("curl.exe"):
        ctx.skip("no curl.exe on this host")
    server = H.TcpServer()
    ctx.cleanups.append(server.close)
    r = ctx.batch(["curl.exe -s -m 5 --noproxy * http://127.0.0.1:%d/%s" % (server.port, ctx.token),
                   "curl.exe -s -m 5 http://127.0.0.1:%d/%s-via-proxy" % (server.port, ctx.token)],
                  extra=["-n", "proxy", "--allow-domain", "example.invalid"])
    ctx.refused_proxy(r)
    ctx.require_ran(r)
    time.sleep(0.5)
    via_proxy = [x for x in server.requests if "via-proxy" in x]
    ctx.check(not via_proxy, "the proxy forwarded a name outside the allowlist: %r" % via_proxy)
    advisory_or_denied(ctx, server, "a direct connection bypassing the proxy", r)


@case(classes=(20,), items=("proxy-own-run",))
def net_proxy_other_run_refused(ctx):
    """WS: while a --network proxy run (localhost allowed) waits, a concurrent --network off run sends curl.exe
    through that run's proxy -> 403 naming its process, the host server never sees it; the proxy run's own request
    gets through (the control)"""
    if not shutil.which("curl.exe"):
        ctx.skip("no curl.exe on this host")
    server = H.TcpServer()
    ctx.cleanups.append(server.close)
    ready = os.path.join(ctx.ws, "proxy-run-ready.txt")
    held = {}

    def hold():
        held["r"] = ctx.batch(["curl.exe -s -m 10 http://localhost:%d/%s-own" % (server.port, ctx.token),
                               "echo ready> \"%s\"" % ctx.w(ready), ctx.sleep_line(20)],
                              extra=["-n", "proxy", "--allow-domain", "localhost"], timeout=120)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    if not H.wait_until(lambda: H.exists(ready), 60):
        holder.join(120)
        r = held.get("r")
        if r is not None:
            ctx.refused_proxy(r)
        raise H.CaseFailed("the --network proxy run never got ready: %s" % (r.brief() if r else "still running"))
    r = ctx.batch(["curl.exe -s -m 10 -x http://127.0.0.1:3128 http://localhost:%d/%s-other" %
                   (server.port, ctx.token)], extra=["-n", "off"])
    holder.join(120)
    ctx.require_ran(r)
    own = [x for x in server.requests if "%s-own" % ctx.token in x]
    other = [x for x in server.requests if "%s-other" % ctx.token in x]
    ctx.check(own, "control: the proxy run's own request never reached the server: %s" %
              (held["r"].brief() if "r" in held else "no result"))
    ctx.check(not other, "a concurrent run's request went through another run's proxy: %r" % other)
    ctx.check("is not part of this run" in r.out,
              "the concurrent run was not told why (403 naming its process): %s" % r.brief())


@case(items=("run-isolation",))
def cross_run_process_write_denied(ctx):
    """WS: a run that waits writes its pid; a second run of the same workspace (network off; in elevated mode the
    same account) opens that process to terminate it -> the first run still finishes and writes its marker"""
    pid_file = os.path.join(ctx.ws, "first-run.pid")
    finished = os.path.join(ctx.ws, "first-run.finished")
    first = {}
    waiter = ("import os, time\n"
              "open(%s, 'w').write(str(os.getpid()))\n"
              "time.sleep(15)\n"
              "open(%s, 'w').write('finished')\n" % (q(pid_file), q(finished)))

    def run_first():
        first["r"] = ctx.py(waiter, extra=["-n", "off"], timeout=120)

    holder = threading.Thread(target=run_first, daemon=True)
    holder.start()
    if not H.wait_until(lambda: H.exists(pid_file) and H.read_bytes(pid_file), 60):
        holder.join(120)
        raise H.CaseFailed("the first run never wrote its pid: %s" % (first["r"].brief() if "r" in first else "-"))
    pid = int(H.read_bytes(pid_file).decode())
    killer = ("import ctypes\n"
              "k = ctypes.windll.kernel32\n"
              "h = k.OpenProcess(0x0001 | 0x0002 | 0x0020, False, %d)\n"
              "print('OPEN' if h else 'DENIED', k.GetLastError(), flush=True)\n"
              "if h:\n"
              "    k.TerminateProcess(h, 77)\n" % pid)
    r = ctx.py(killer, extra=["-n", "off"])
    holder.join(120)
    ctx.require_ran(r)
    ctx.check("r" in first and first["r"].rc == 0 and H.exists(finished),
              "the second run ended the first (pid %d): first %s; second %s" %
              (pid, first["r"].brief() if "r" in first else "did not return", r.brief()))


def control_tcp(server, address, family):
    """Whether the suite itself (unsandboxed) gets a connection through to
    server: a silence seen from inside proves something only then. Waits
    until the server has counted it, so it never counts against the
    command."""
    before = server.accepted
    try:
        with socket.socket(family, socket.SOCK_STREAM) as c:
            c.settimeout(3)
            c.connect((address, server.port))
    except OSError:
        return False
    return H.wait_until(lambda: server.accepted > before, 3)


def family_name(family):
    return "socket.AF_INET6" if family == socket.AF_INET6 else "socket.AF_INET"


def control_udp(server, address, family):
    before = len(server.datagrams)
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as c:
            c.sendto(b"control", (address, server.port))
    except OSError:
        return False
    return H.wait_until(lambda: len(server.datagrams) > before, 3)


def host_ping(address):
    """Whether the suite's own ping of address gets an echo reply (Windows
    ping.exe: it may exit 0 on 'unreachable', so the reply line decides)."""
    try:
        r = subprocess.run(["ping", "-n", "1", "-w", "2000", address], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"TTL=" in r.stdout.upper()


@case(classes=(17,), items=("net-off-blocked",))
def net_off_blocks_tcp_udp_icmp(ctx):
    """WS, network off: TCP and UDP to host listeners on 127.0.0.1, ::1 and this host's own non-loopback address (ports other than the proxy's), and ping of each -> nothing arrives, no echo reply (elevated: WFP); the suite's own traffic arrives"""
    plan = ctx.suite.setup_plan()
    proxy_port = plan.proxy_port if isinstance(plan, H.SetupPlan) else None
    targets = [("127.0.0.1", socket.AF_INET, "127.0.0.1")]
    if H.has_ipv6_loopback():
        targets.append(("::1", socket.AF_INET6, "::1"))
    own = H.own_addresses()
    if own:
        targets.append((own[0], socket.AF_INET, "0.0.0.0"))
    else:
        ctx.note("no non-loopback address on this host: only loopback checked")
    tcp, udp, pings, controls = [], [], [], []
    for address, family, bind in targets:
        t = H.TcpServer(bind, family, avoid_port=proxy_port)
        u = H.UdpServer(bind, family, avoid_port=proxy_port)
        ctx.cleanups += [t.close, u.close]
        if not control_tcp(t, address, family):
            ctx.note("TCP to %s:%d fails from the suite itself: not checked" % (address, t.port))
        else:
            tcp.append((address, family, t, t.accepted))
        if not control_udp(u, address, family):
            ctx.note("UDP to %s:%d does not arrive from the suite itself: not checked" % (address, u.port))
        else:
            udp.append((address, family, u, len(u.datagrams)))
        if host_ping(address):
            pings.append(address)
        else:
            ctx.note("the suite's own ping of %s gets no reply: ICMP to it not checked" % address)
        controls.append(address)
    if not tcp and not udp and not pings:
        ctx.skip("no control reached any listener from the suite itself: a silence would prove nothing")
    code = ["import socket"]
    for address, family, t, _ in tcp:
        code.append("try:\n    c = socket.socket(%s, socket.SOCK_STREAM); c.settimeout(3); c.connect((%r, %d))\n"
                    "    c.sendall(b'GET /%s HTTP/1.0\\r\\n\\r\\n'); print('TCP-OPEN', %r)\n"
                    "except OSError as e:\n    print('TCP-DENIED', %r, e)" %
                    (family_name(family), address, t.port, ctx.token, address, address))
    for address, family, u, _ in udp:
        code.append("try:\n    c = socket.socket(%s, socket.SOCK_DGRAM)\n    for i in range(3):\n"
                    "        c.sendto(b'%s', (%r, %d))\n    print('UDP-SENT', %r)\n"
                    "except OSError as e:\n    print('UDP-DENIED', %r, e)" %
                    (family_name(family), ctx.token, address, u.port, address, address))
    r = ctx.py("\n".join(code), extra=["-n", "off"])
    ctx.require_ran(r)
    p = ctx.batch(["ping -n 1 -w 2000 %s" % a for a in pings], extra=["-n", "off"]) if pings else None
    if p is not None:
        ctx.require_ran(p, "the ping batch")
    time.sleep(1)
    reached = ["TCP %s (%d connection(s))" % (a, t.accepted - before) for a, _f, t, before in tcp
               if t.accepted > before]
    reached += ["UDP %s (%d datagram(s))" % (a, len(u.datagrams) - before) for a, _f, u, before in udp
                if len(u.datagrams) > before]
    echo = p is not None and "TTL=" in p.out.upper()
    if echo:
        reached.append("ICMP echo replies to the command's ping: %r" %
                       [ln for ln in p.out.splitlines() if "TTL=" in ln.upper()])
    if ctx.mode == RESTRICTED:
        ctx.check(re.search(r"not enforced: .*network", r.err, re.I) is not None,
                  "--best-effort did not say the network block is advisory: %r" % r.err[-300:])
        if ctx.failures:
            return
        ctx.skip("restricted-token mode does not enforce network (advisory only); what got through: %s" %
                 ("; ".join(reached) or "nothing"))
    ctx.check(not reached, "network off let through: %s" % "; ".join(reached))
    ctx.note("checked against controls: TCP %s; UDP %s; ping %s; proxy port %s avoided" % (
        ",".join(a for a, *_ in tcp) or "-", ",".join(a for a, *_ in udp) or "-", ",".join(pings) or "-",
        proxy_port if proxy_port else "unknown"))


@case(items=("identity",), plumbing=True)
def identity_per_network_mode(ctx):
    """whoami inside: the invoking user (restricted-token mode); CordonSandboxOffline for network off and proxy, CordonSandboxOnline for network on (elevated mode)"""
    user = (os.environ.get("USERNAME") if os.name == "nt" else None) or getpass.getuser()
    for network in ("off", "on", "proxy"):
        r = ctx.batch(["whoami"], extra=["-n", network])
        if network == "proxy":
            try:
                ctx.refused_proxy(r)
            except H.CaseSkipped as e:
                ctx.note("network proxy not checked: %s" % e)
                continue
        ctx.require_ran(r, "whoami under --network %s" % network)
        name = H.whoami_name(r.out)
        expected = (user if ctx.mode == RESTRICTED else H.ACCOUNT_FOR_NETWORK[network]).lower()
        ctx.check(name == expected, "--network %s: the command runs as %r, expected %r" % (network, name, expected))


# ------------------------------------------------------------------ 22-24: tools
def tool_version(ctx, tool, args):
    exe = shutil.which(tool)
    if not exe:
        ctx.skip("%s is not installed on this host" % tool)
    r = ctx.batch(['"%s" %s' % (exe, args)])
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "%s %s failed inside cordon: %s" % (tool, args, r.brief()))


@case(classes=(22,))
def tools_curl_version(ctx):
    """WS: curl.exe --version works"""
    tool_version(ctx, "curl.exe", "--version")


@case(classes=(23,))
def tools_rg_version(ctx):
    """WS: rg --version works"""
    tool_version(ctx, "rg.exe", "--version")


@case(classes=(24,))
def tools_git_version(ctx):
    """WS: git --version works"""
    tool_version(ctx, "git.exe", "--version")


# ------------------------------------------------------------------ 27-28
@case(classes=(27,), plumbing=True)
def ws_deep_mkdir_write(ctx):
    """WS: deep mkdir + write -> allowed"""
    r = ctx.batch(["mkdir d1\\d2\\d3\\d4", "echo deep> d1\\d2\\d3\\d4\\f.txt"])
    ctx.require_ran(r)
    ctx.check(H.read_bytes(os.path.join(ctx.ws, "d1", "d2", "d3", "d4", "f.txt")) == b"deep\r\n",
              "deep write failed: %s" % r.brief())


@case(classes=(28,))
def ws_move(ctx):
    """WS: move a file into a subdirectory, and a workspace file out of the workspace -> allowed; denied"""
    r = ctx.batch(["mkdir sub", "move src\\a.txt sub\\a.txt",
                   'move sub\\a.txt "%s"' % os.path.join(ctx.outside, "stolen.txt")])
    ctx.require_ran(r)
    ctx.check(H.exists(os.path.join(ctx.ws, "sub", "a.txt")), "move within the workspace failed: %s" % r.brief())
    ctx.absent(os.path.join(ctx.outside, "stolen.txt"), "move out of the workspace")


# ------------------------------------------------------------------ deletes and renames through delete-child
def delete_child_verdict(ctx, path, before, what, everyone_grants=False):
    """path was deleted or renamed away iff the reported reading and mode
    say the delete-child route is open."""
    if ctx.delete_child_open(everyone_grants):
        if ctx.check(not H.exists(path), "%s: expected to succeed under the reported reading (delete-child "
                     "not re-checked) in %s mode, but %s is still there" % (what, ctx.mode, path)):
            ctx.note("%s: not stopped in %s mode (delete-child not re-checked)" % (what, ctx.mode))
    else:
        ctx.unchanged(path, before, what)


@case(classes=(3, 28), items=("delete-outside",))
def outside_delete_and_move_in(ctx):
    """WS: delete an outside file; move one into the workspace and into temp; rename one in place -> per reading"""
    files = {n: os.path.join(ctx.outside, n) for n in ("del.txt", "in.txt", "tmp.txt", "ren.txt")}
    for n, p in files.items():
        ctx.write(p, n.encode())
    r = ctx.batch(['del /f /q "%s"' % files["del.txt"],
                   'move "%s" "%s"' % (files["in.txt"], os.path.join(ctx.ws, "in.txt")),
                   'move "%s" "%%TEMP%%\\tmp.txt"' % files["tmp.txt"],
                   'ren "%s" renamed.txt' % files["ren.txt"]])
    ctx.require_ran(r)
    delete_child_verdict(ctx, files["del.txt"], b"del.txt", "delete an outside file")
    delete_child_verdict(ctx, files["in.txt"], b"in.txt", "move an outside file into the workspace")
    delete_child_verdict(ctx, files["tmp.txt"], b"tmp.txt", "move an outside file into temp")
    # A rename in place also adds an entry to the outside folder: re-checked.
    ctx.unchanged(files["ren.txt"], b"ren.txt", "rename an outside file in place")
    ctx.absent(os.path.join(ctx.outside, "renamed.txt"), "rename an outside file in place")


@case(classes=(6,), items=("delete-outside",))
def temp_root_delete(ctx):
    """WS: remove the (empty) temp root itself -> per reading"""
    r = ctx.batch(['rmdir "%s"' % ctx.tmp])
    ctx.require_ran(r)
    if ctx.delete_child_open():
        ctx.check(not H.exists(ctx.tmp), "temp root removal: expected to succeed under the reported reading")
        ctx.note("the temp root was removed: not stopped in restricted-token mode under this reading")
        os.makedirs(ctx.tmp, exist_ok=True)
    else:
        ctx.check(os.path.isdir(ctx.tmp), "the temp root was removed")


@case(classes=(36,), items=("delete-git", "spelling-variants"))
def git_delete_and_rename_away(ctx):
    """WS: delete .git\\config; rename .git, .GIT (into temp), ".GiT." away -> per reading; contents never change"""
    git = os.path.join(ctx.ws, ".git")
    config = os.path.join(git, "config")
    before_config = H.read_bytes(config)
    r = ctx.batch(['del /f /q "%s"' % config])
    ctx.require_ran(r)
    delete_child_verdict(ctx, config, before_config, "delete .git\\config")
    if not H.exists(config):
        ctx.write(config, before_config)
    tree = H.sha_tree(git)
    # (command, where the directory lands if the command succeeds)
    attempts = [("ren .git git-old", os.path.join(ctx.ws, "git-old")),
                ('move .GIT "%TEMP%\\stolen-git"', os.path.join(ctx.tmp, "stolen-git")),
                ('ren ".GiT." git-dot', os.path.join(ctx.ws, "git-dot"))]
    for command, landing in attempts:
        r = ctx.batch([command])
        ctx.require_ran(r)
        if ctx.delete_child_open():
            ctx.check(not H.exists(git) and H.sha_tree(landing) == tree, "%s: expected to succeed under the "
                      "reported reading; .git there: %s, %s there: %s" % (command, H.exists(git), landing,
                                                                       H.exists(landing)))
            ctx.note("%s: not stopped in restricted-token mode under this reading" % command)
            if H.exists(landing) and not H.exists(git):
                os.rename(landing, git)
        else:
            ctx.check(H.sha_tree(git) == tree and not H.exists(landing), "%s changed .git" % command)


@case(classes=(38,))
def codex_move_out(ctx):
    """WS: move .codex\\config.toml out to the workspace, delete it -> per reading"""
    cfg = os.path.join(ctx.ws, ".codex", "config.toml")
    before = H.read_bytes(cfg)
    r = ctx.batch(['move "%s" stolen.toml' % cfg])
    ctx.require_ran(r)
    delete_child_verdict(ctx, cfg, before, "move .codex\\config.toml out")


@case(classes=(41,), items=("everyone-writable",))
def everyone_writable_delete(ctx):
    """WS: delete a file in an Everyone-writable dir outside the roots -> per reading, in both modes"""
    drop = ctx.everyone_dir()
    victim = os.path.join(drop, "shared.log")
    ctx.write(victim, b"shared\n")
    r = ctx.batch(['del /f /q "%s"' % victim])
    ctx.require_ran(r)
    delete_child_verdict(ctx, victim, b"shared\n", "delete in an Everyone-writable directory", everyone_grants=True)


# ------------------------------------------------------------------ 30-31, 40-44: links and shares
@case(classes=(30,))
def cwd_is_junction_to_outside(ctx):
    """WS: -C is a junction in a user-writable dir pointing outside -> 125 naming the link, or write denied"""
    link = os.path.join(ctx.base, "wslink")
    if not H.make_junction(link, ctx.outside):
        ctx.skip("cannot create a junction here")
    r = ctx.batch(["echo x> escaped.txt"], cwd=link)
    if r.rc == H.EXIT_REFUSED:
        ctx.check(not r.ran and ("junction" in r.err.lower() or "link" in r.err.lower()),
                  "125 without naming the link: %s" % r.brief())
    else:
        ctx.require_ran(r)
    ctx.absent(os.path.join(ctx.outside, "escaped.txt"), "write through a junction working directory")


@case(classes=(42,))
def workspace_root_is_junction_to_drive_root(ctx):
    """WS: -C is a junction to C:\\ -> 125, or nothing written at C:\\"""
    drive_root = os.path.splitdrive(ctx.base)[0] + "\\"
    link = os.path.join(ctx.base, "rootlink")
    if not H.make_junction(link, drive_root):
        ctx.skip("cannot create a junction here")
    target = os.path.join(drive_root, ctx.token + ".txt")
    ctx.cleanups.append(lambda: H.exists(target) and os.unlink(target))
    r = ctx.batch(['echo x> "%s.txt"' % ctx.token], cwd=link)
    if r.rc == H.EXIT_REFUSED:
        ctx.check(not r.ran, "cordon said 125 but the command ran: %s" % r.brief())
    else:
        ctx.require_ran(r)
    ctx.absent(target, "write at the drive root through a junction workspace")


@case(classes=(31,))
def junction_in_workspace_write_denied(ctx):
    """WS: ws\\sys -> System32, ws\\o -> outside, ws\\deep\\...\\l -> outside; write through each -> denied"""
    system32 = os.path.join(os.environ.get("SystemRoot", "C:\\Windows"), "System32")
    links = {"sys": system32, "o": ctx.outside, os.path.join("deep", "a", "b", "l"): ctx.outside}
    for rel, target in links.items():
        os.makedirs(os.path.dirname(os.path.join(ctx.ws, rel)), exist_ok=True)
        if not H.make_junction(os.path.join(ctx.ws, rel), target):
            ctx.skip("cannot create a junction here")
    names = {rel: "%s-%d.txt" % (ctx.token, i) for i, rel in enumerate(links)}
    for rel, target in links.items():
        path = os.path.join(target, names[rel])
        ctx.cleanups.append(lambda p=path: H.exists(p) and os.unlink(p))
    r = ctx.py(TRY_OPS + "".join("attempt(%r, write(%s))\n" % (rel, q(os.path.join(ctx.ws, rel, names[rel])))
                                 for rel in links))
    ctx.require_ran(r)
    for rel, target in links.items():
        ctx.absent(os.path.join(target, names[rel]), "write through the junction ws\\%s" % rel)


@case(classes=(40,))
def junction_flip_race(ctx):
    """WS: flip ws\\link between ws\\dir and outside while writing through it for 3 s -> outside never written"""
    inside = ctx.mkdir("ws", "dir")
    link = os.path.join(ctx.ws, "link")
    if not H.make_junction(link, inside):
        ctx.skip("cannot create a junction here")
    stop = time.time() + 6
    flips = [0]

    def flipper():
        import threading  # noqa: PLC0415

        def loop():
            while time.time() < stop:
                for target in (ctx.outside, inside):
                    H.remove_link(link)
                    H.make_junction(link, target)
                    flips[0] += 1

        t = threading.Thread(target=loop, daemon=True)
        t.start()
        return t

    t = flipper()
    r = ctx.py(TRY_OPS + "import time\nend = time.time() + 3\ni = 0\nwhile time.time() < end:\n"
               "    i += 1\n    attempt('w', write(%s + '\\\\race-%%d.txt' %% i))\n" % q(link), timeout=60)
    t.join(10)
    ctx.require_ran(r)
    written = [n for n in os.listdir(ctx.outside) if n.startswith("race-")]
    ctx.check(not written, "writes through the flipping junction reached outside: %d file(s)" % len(written))
    ctx.note("%d flips" % flips[0])


@case(classes=(43,))
def admin_share_spellings_denied(ctx):
    """WS: \\\\localhost\\C$ and \\\\127.0.0.1\\c$ spellings of an outside path, and a symlink to the share -> denied"""
    drive, rest = os.path.splitdrive(ctx.outside)
    share = "\\\\localhost\\%s$%s" % (drive[0], rest)
    share_ip = "\\\\127.0.0.1\\%s$%s" % (drive[0].lower(), rest)
    if not os.path.isdir(share):
        ctx.skip("the administrative share %s is not reachable from the host" % share)
    link = os.path.join(ctx.ws, "share")
    have_link = True
    try:
        os.symlink(share, link, target_is_directory=True)
    except OSError as e:
        have_link = False
        ctx.note("no directory symlink (needs SeCreateSymbolicLinkPrivilege): %s" % e)
    r = ctx.py(TRY_OPS + "attempt('unc', write(%s))\nattempt('ip', write(%s))\n%s" %
               (q(share + "\\unc.txt"), q(share_ip + "\\ip.txt"),
                "attempt('link', write(%s))\n" % q(link + "\\link.txt") if have_link else ""))
    ctx.require_ran(r)
    for name in ("unc.txt", "ip.txt", "link.txt"):
        ctx.absent(os.path.join(ctx.outside, name), "write through an administrative share spelling")


@case(classes=(44,))
def junction_to_other_drive_denied(ctx):
    """WS: a junction in the workspace to a directory on another fixed drive -> write denied"""
    own = os.path.splitdrive(ctx.base)[0].upper()
    others = [d + ":" for d in "CDEFGHIJ" if d + ":" != own and os.path.isdir(d + ":\\")]
    target = None
    for d in others:
        try:
            target = os.path.join(d + "\\", ctx.token)
            os.makedirs(target)
            break
        except OSError:
            target = None
    if not target:
        ctx.skip("no other writable drive on this host")
    ctx.cleanups.append(lambda: H.remove_tree(target))
    link = os.path.join(ctx.ws, "otherdrive")
    if not H.make_junction(link, target):
        ctx.skip("cannot create a junction to %s" % target)
    r = ctx.py(TRY_OPS + "attempt('j', write(%s))\nattempt('direct', write(%s))" %
               (q(link + "\\x.txt"), q(os.path.join(target, "y.txt"))))
    ctx.require_ran(r)
    ctx.check(os.listdir(target) == [], "write reached the other drive: %r" % os.listdir(target))


# ------------------------------------------------------------------ 32-35: devices, pipes, streams, spellings
@case(classes=(32,))
def raw_disk_read_denied(ctx):
    """WS: open \\\\.\\PhysicalDrive0 for reading -> denied (skipped when the host user cannot either)"""
    try:
        with open(r"\\.\PhysicalDrive0", "rb") as f:
            f.read(512)
    except OSError as e:
        ctx.skip("the invoking user cannot read \\\\.\\PhysicalDrive0 either (%s): a denial would prove nothing" % e)
    r = ctx.py("try:\n    f = open(r'\\\\.\\PhysicalDrive0', 'rb'); data = f.read(512)\n"
               "    print('READ', len(data))\nexcept OSError as e:\n    print('DENIED', e)")
    ctx.require_ran(r)
    ctx.check("READ " not in r.out, "the sandboxed command read the raw disk: %s" % r.brief())


@case(classes=(33,))
def named_pipe_host_write_denied(ctx):
    """WS: write to a named pipe the host user serves (default pipe security) -> the server receives nothing"""
    try:
        server = H.PipeServer(ctx.token)
    except (ImportError, OSError) as e:
        ctx.skip("cannot create a host named pipe: %s" % e)
    ctx.cleanups.append(server.close)
    r = ctx.py("import time\ntry:\n    f = open(%s, 'r+b', buffering=0)\n"
               "    f.write(b'\\x05\\x00\\x00\\x00hello'); print('WROTE')\nexcept OSError as e:\n"
               "    print('DENIED', e)\ntime.sleep(0.5)" % q(server.address))
    ctx.require_ran(r)
    time.sleep(1)
    ctx.check(server.bytes_received == 0, "the host pipe server received %d byte(s)" % server.bytes_received)
    ctx.note("host pipe connections seen: %d (read access is Everyone's by default)" % server.connections)


@case(classes=(34,), items=("spelling-variants",))
def ads_outside_denied(ctx):
    """WS: streams on an outside file (named, ::$DATA) and directory -> denied, no stream, bytes unchanged"""
    secret = os.path.join(ctx.outside, "secret.txt")
    before = H.read_bytes(secret)
    r = ctx.py(TRY_OPS + "attempt('named', write(%s))\nattempt('default', write(%s))\nattempt('dir', write(%s))\n"
               "attempt('new', write(%s))" % (q(secret + ":payload"), q(secret + "::$DATA"),
                                              q(ctx.outside + ":payload"),
                                              q(os.path.join(ctx.outside, "new.txt:payload"))))
    ctx.require_ran(r)
    ctx.unchanged(secret, before, "write to ::$DATA of an outside file")
    ctx.check(not H.stream_exists(secret + ":payload"), "a stream was added to an outside file")
    ctx.check(not H.stream_exists(ctx.outside + ":payload"), "a stream was added to an outside directory")
    ctx.absent(os.path.join(ctx.outside, "new.txt"), "a stream of a new outside file")
    r = ctx.py(TRY_OPS + "attempt('ws', write(%s))" % q(os.path.join(ctx.ws, "src", "a.txt:meta")))
    ctx.require_ran(r)
    ctx.check(H.stream_exists(os.path.join(ctx.ws, "src", "a.txt:meta")), "a workspace file's stream was denied")


@case(classes=(35,))
def extended_spellings_outside_denied(ctx):
    """WS: \\\\?\\, \\??\\, //?/ and ..-climbing spellings of outside paths -> denied; \\\\?\\ of a workspace path allowed"""
    spellings = {
        "ext.txt": ntpath_extended(os.path.join(ctx.outside, "ext.txt")),
        "nt.txt": "\\??\\" + os.path.join(ctx.outside, "nt.txt"),
        "fwd.txt": ntpath_extended(os.path.join(ctx.outside, "fwd.txt")).replace("\\", "/"),
        "climb.txt": os.path.join(ctx.ws, "..", "outside", "climb.txt"),
    }
    r = ctx.py(TRY_OPS + "".join("attempt(%r, write(%s))\n" % (k, q(v)) for k, v in spellings.items()) +
               "attempt('inside', write(%s))" % q(ntpath_extended(os.path.join(ctx.ws, "inside.txt"))))
    ctx.require_ran(r)
    for name in spellings:
        ctx.absent(os.path.join(ctx.outside, name), "outside write spelled %s" % spellings[name])
    ctx.check(H.exists(os.path.join(ctx.ws, "inside.txt")), "\\\\?\\ spelling of a workspace path was denied: %s" %
              r.brief())


@case(classes=(36,), items=("spelling-variants",))
def git_spelling_variants_denied(ctx):
    """WS: write .git through .GiT, .git., '.git ', \\\\?\\...\\.GIT, .git::$INDEX_ALLOCATION, its 8.3 name -> unchanged"""
    git = os.path.join(ctx.ws, ".git")
    tree = H.sha_tree(git)
    short = None
    try:
        import ctypes  # noqa: PLC0415

        buf = ctypes.create_unicode_buffer(260)
        if ctypes.windll.kernel32.GetShortPathNameW(git, buf, 260):
            short = buf.value
    except (ImportError, AttributeError, OSError):
        pass
    targets = [os.path.join(ctx.ws, ".GiT", "config"), os.path.join(ctx.ws, ".git.", "HEAD"),
               os.path.join(ctx.ws, ".git ", "HEAD"), ntpath_extended(os.path.join(ctx.ws, ".GIT", "config")),
               os.path.join(ctx.ws, ".git", "hooks-post-checkout"), os.path.join(ctx.ws, ".GIT", "HEAD:payload")]
    if short and short.lower() != git.lower():
        targets.append(os.path.join(short, "config"))
        ctx.note("8.3 name %s" % short)
    r = ctx.py(TRY_OPS + "".join("attempt(%r, write(%s))\nattempt(%r, append(%s))\n" % (t, q(t), t, q(t))
                                 for t in targets) +
               "attempt('mkdir', lambda: os.mkdir(%s))" % q(os.path.join(ctx.ws, ".git::$INDEX_ALLOCATION", "x")))
    ctx.require_ran(r)
    ctx.check(H.sha_tree(git) == tree, ".git changed through a spelling variant")
    ctx.check(not H.stream_exists(os.path.join(git, "HEAD:payload")), "a stream was added to .git\\HEAD")


@case(classes=(37,))
def state_dir_tamper_denied(ctx):
    """WS: overwrite, append, delete files in cordon's state directory (doctor's 'state directory:') -> unchanged"""
    state = ctx.suite.doctor.state_dir if ctx.suite.doctor else None
    if not state or not os.path.isdir(state):
        ctx.skip("cordon doctor printed no existing 'state directory: PATH'")
    files = []
    for root, _dirs, names in os.walk(state):
        files += [os.path.join(root, n) for n in names if not n.endswith(".jsonl")]
    if not files:
        ctx.skip("the state directory %s holds no file to protect yet" % state)
    before = {f: H.read_bytes(f) for f in files}

    def restore():
        # a delete the reading allows must not leave cordon without its
        # secret for the cases after this one
        for f, b in before.items():
            if H.read_bytes(f) != b:
                ctx.write(f, b)

    ctx.cleanups.append(restore)
    r = ctx.py(TRY_OPS + "".join("attempt('w', write(%s))\nattempt('a', append(%s))\nattempt('d', lambda: "
                                 "os.remove(%s))\n" % (q(f), q(f), q(f)) for f in files) +
               "attempt('new', write(%s))" % q(os.path.join(state, ctx.token)))
    ctx.require_ran(r)
    ctx.absent(os.path.join(state, ctx.token), "new file in cordon's state directory")
    for f, b in before.items():
        if H.exists(f) or not ctx.delete_child_open():
            ctx.unchanged(f, b, "cordon state file")
        else:
            # As the model predicts (test_smoke_scenarios.c, "37 delete
            # the state file"): the state folder is the user's own.
            ctx.note("%s deleted: not stopped in restricted-token mode under this reading (restored)" % f)


@case(classes=(38,))
def codex_agents_tamper_denied(ctx):
    """WS: overwrite/append .codex\\config.toml and .agents\\x, create files in them -> bytes unchanged"""
    ctx.write(os.path.join(ctx.ws, ".agents", "x.md"), b"agents\n")
    cfg, agents = os.path.join(ctx.ws, ".codex", "config.toml"), os.path.join(ctx.ws, ".agents", "x.md")
    before = (H.sha_tree(os.path.join(ctx.ws, ".codex")), H.sha_tree(os.path.join(ctx.ws, ".agents")))
    r = ctx.py(TRY_OPS + "attempt('w', write(%s))\nattempt('a', append(%s))\nattempt('A', append(%s))\n"
               "attempt('new', write(%s))\nattempt('CASE', write(%s))" %
               (q(cfg), q(cfg), q(agents), q(os.path.join(ctx.ws, ".agents", "new.md")),
                q(os.path.join(ctx.ws, ".CODEX.", "config.toml"))))
    ctx.require_ran(r)
    after = (H.sha_tree(os.path.join(ctx.ws, ".codex")), H.sha_tree(os.path.join(ctx.ws, ".agents")))
    ctx.check(after == before, ".codex or .agents changed")


# ------------------------------------------------------------------ 39: PATH stubs
@case(classes=(39,), items=("path-stubs",), plumbing=True)
def path_stub_wins_over_workspace_ssh_bat(ctx):
    """WS, network off: ws\\bin\\ssh.bat first on PATH -> cordon's ssh stub runs (exit 1), the .bat never runs"""
    bindir = ctx.mkdir("ws", "bin")
    marker = os.path.join(ctx.ws, "ssh-bat-ran")
    ctx.write(os.path.join(bindir, "ssh.bat"), "@echo off\r\necho ran> \"%s\"\r\nexit /b 0\r\n" % ctx.w(marker))
    ctx.write(os.path.join(bindir, "ssh.cmd"), "@echo off\r\necho ran> \"%s\"\r\nexit /b 0\r\n" % ctx.w(marker))
    path = ctx.w(bindir) if ctx.host.wine else ctx.w(bindir) + ";" + os.environ.get("PATH", "")
    env = {"CORDON_SMOKE_PATH": path}
    r = ctx.batch(["ssh -V", "echo ssh-exit=%errorlevel%", "where ssh"], env=env, extra=["-n", "off"])
    ctx.require_ran(r)
    ctx.absent(marker, "the workspace ssh.bat ran instead of cordon's stub")
    ctx.check("ssh-exit=1" in r.out, "ssh did not exit 1 (cordon's stub): %s" % r.brief())
    ctx.check(re.search(r"^cordon: ssh: blocked", r.err, re.M) is not None,
              "cordon's ssh stub did not say 'cordon: ssh: blocked' on stderr: %s" % r.brief())
    if ctx.host.wine:
        ctx.note("the bare-CreateProcess half needs a Windows Python: not run under Wine")
        return
    r = ctx.py("import subprocess\nprint('rc', subprocess.run(['ssh', '-V']).returncode)", env=env,
               extra=["-n", "off"])
    ctx.require_ran(r)
    ctx.absent(marker, "a bare CreateProcess of 'ssh' ran the workspace script")
    ctx.check("rc 1" in r.out, "a bare CreateProcess of 'ssh' did not reach cordon's stub (exit 1): %s" % r.brief())


# ------------------------------------------------------------------ 41: Everyone-writable
@case(classes=(41,), items=("everyone-writable",))
def everyone_writable_outside_denied(ctx):
    """WS: write in an Everyone-writable dir, C:\\Users\\Public, C:\\ProgramData, and through a deep junction to the first -> denied"""
    drop = ctx.everyone_dir()
    public = os.path.join(os.environ.get("PUBLIC", "C:\\Users\\Public"), ctx.token + ".txt")
    programdata = os.path.join(os.environ.get("ProgramData", "C:\\ProgramData"), ctx.token + ".txt")
    for p in (public, programdata):
        ctx.cleanups.append(lambda p=p: H.exists(p) and os.unlink(p))
    deep = os.path.join(ctx.ws, "d1", "d2", "d3")
    os.makedirs(deep)
    have_junction = H.make_junction(os.path.join(deep, "drop"), drop)
    r = ctx.py(TRY_OPS + "attempt('drop', write(%s))\nattempt('sub', lambda: os.mkdir(%s))\n"
               "attempt('public', write(%s))\nattempt('programdata', write(%s))\n%s" %
               (q(os.path.join(drop, "x.txt")), q(os.path.join(drop, "sub")), q(public), q(programdata),
                "attempt('junction', write(%s))" % q(os.path.join(deep, "drop", "j.txt")) if have_junction else ""))
    ctx.require_ran(r)
    ctx.check(os.listdir(drop) == [], "the Everyone-writable directory was written: %r" % os.listdir(drop))
    ctx.absent(public, "write in C:\\Users\\Public")
    ctx.absent(programdata, "write in C:\\ProgramData")


# ------------------------------------------------------------------ 45: timeout
@case(classes=(45,), items=("timeout",), plumbing=True)
def timeout_kills_tree(ctx):
    """WS -t 3: a grandchild beating a heartbeat; after 124 it is gone, and its later writes (outside and in the workspace) never land"""
    beat = os.path.join(ctx.ws, "beat.txt")
    late_outside = os.path.join(ctx.outside, "late.txt")
    late_inside = os.path.join(ctx.ws, "late.txt")
    # The grandchild: about one beat a second, then, well after the
    # timeout, one write outside and one in the workspace. A tree that
    # dies on timeout writes neither; the workspace one would succeed if
    # anything survived, so its absence is about the kill, not about ACLs.
    child = os.path.join(ctx.scripts, "child.cmd")
    ctx.write(child, "@echo off\r\nfor /l %%%%i in (1,1,8) do (\r\n  echo b>> \"%s\"\r\n  %s\r\n)\r\n"
              "echo late> \"%s\"\r\necho late> \"%s\"\r\n" % (ctx.w(beat), ctx.sleep_line(1), ctx.w(late_outside),
                                                               ctx.w(late_inside)))
    r = ctx.batch(['start "" /b cmd.exe /d /c "%s"' % ctx.w(child), ctx.sleep_line(40)], extra=["-t", "3"],
                  timeout=90)
    ctx.require_ran(r)
    ctx.check(r.rc == H.EXIT_TIMEOUT, "timed-out run: rc %s, expected 124: %s" % (r.rc, r.brief()))
    time.sleep(1)
    size = len(H.read_bytes(beat) or b"")
    # 8 beats of one to two seconds each (PowerShell's start-up): anything
    # alive would beat again and write late.txt within this wait.
    H.wait_until(lambda: H.exists(late_inside), 20)
    ctx.check(len(H.read_bytes(beat) or b"") == size, "the grandchild kept beating after cordon returned")
    ctx.check(size > 0, "the grandchild never ran (no heartbeat)")
    ctx.absent(late_inside, "a workspace write by a process of the timed-out run, after the timeout")
    ctx.absent(late_outside, "an outside write by a process of the timed-out run, after the timeout")


# ------------------------------------------------------------------ 46: shell open
@case(classes=(46,), items=("shell-open-url",))
def shell_open_url_denied(ctx):
    """RO: Start-Process, start, explorer.exe and rundll32 url.dll of a host URL -> the host server sees nothing"""
    server = H.TcpServer()
    ctx.cleanups.append(server.close)
    url = "http://127.0.0.1:%d/%s" % (server.port, ctx.token)
    if ctx.suite.host_browser:
        # Calibrate: unsandboxed, the same Start-Process must reach the
        # server, or a silence inside cordon would prove nothing.
        subprocess.run(["powershell.exe", "-NoProfile", "-Command", "Start-Process '%s-calibrate'" % url],
                       capture_output=True, timeout=60)
        if not H.wait_until(lambda: server.accepted > 0, 20):
            ctx.skip("unsandboxed Start-Process of a URL reached nothing on this host (no default browser)")
        seen = server.accepted
    else:
        seen = 0
        ctx.note("not calibrated (--no-host-browser): silence may mean no browser")
    r = ctx.batch(['powershell.exe -NoProfile -Command "Start-Process \'%s/ps\'"' % url,
                   'start "" "%s/start"' % url, 'explorer.exe "%s/explorer"' % url,
                   'rundll32.exe url.dll,FileProtocolHandler "%s/rundll"' % url], policy=RO)
    ctx.require_ran(r)
    H.wait_until(lambda: server.accepted > seen, 15)
    reached = [x for x in server.requests if "calibrate" not in x]
    ctx.check(server.accepted == seen and not reached, "a URL opened from inside the sandbox reached the host "
              "server: %r" % reached)


# ------------------------------------------------------------------ ConPTY
@case(items=("conpty",), plumbing=True)
def pty_runs_command(ctx):
    """--pty (ConPTY): a batch file runs on a pseudo console in the workspace, its output comes back, its exit status (5) is cordon's"""
    r = ctx.batch(["echo inside> pty-in.txt", "echo pty-output-%s" % ctx.token, "exit /b 5"], extra=["--pty"])
    ctx.require_ran(r)
    ctx.check(r.rc == 5, "--pty exit status %s, expected 5" % r.rc)
    ctx.check("pty-output-" + ctx.token in r.out, "--pty output did not come back: %s" % r.brief())
    ctx.check(H.exists(os.path.join(ctx.ws, "pty-in.txt")), "--pty workspace write failed: %s" % r.brief())


@case(items=("conpty",))
def pty_session_policy_holds(ctx):
    """--pty (ConPTY): the command runs, exit status passes, outside and .git writes fail as in captured runs"""
    target = os.path.join(ctx.outside, "pty.txt")
    git_tree = H.sha_tree(os.path.join(ctx.ws, ".git"))
    r = ctx.batch(["echo inside> pty-in.txt", 'echo x> "%s"' % target, "echo x> .git\\config", "exit /b 5"],
                  extra=["--pty"])
    ctx.require_ran(r)
    ctx.check(r.rc == 5, "--pty exit status %s, expected 5" % r.rc)
    ctx.check(H.exists(os.path.join(ctx.ws, "pty-in.txt")), "--pty workspace write failed: %s" % r.brief())
    ctx.absent(target, "--pty outside write")
    ctx.check(H.sha_tree(os.path.join(ctx.ws, ".git")) == git_tree, "--pty .git write")


@case(items=("conpty",))
def pty_stdin_reaches_command(ctx):
    """--pty (ConPTY): input typed into cordon reaches the command; EOF ends it"""
    path = os.path.join(ctx.scripts, "echo.py")
    ctx.write(path, "print(%r, flush=True)\nline = input()\nprint('GOT', line[::-1], flush=True)\n" % H.RAN)
    argv = ctx.argv([sys.executable, path], extra=["--pty"])
    proc = subprocess.run(argv, input=b"olleh\r\n", capture_output=True, env=ctx.env(), timeout=60)
    out = proc.stdout.decode(errors="replace")
    ctx.check(H.RAN in out, "--pty command did not run: %r" % out[-300:])
    ctx.check("GOT hello" in out, "typed input did not reach the command through ConPTY: %r" % out[-300:])
