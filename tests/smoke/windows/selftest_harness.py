#!/usr/bin/env python3
"""The parts of the Windows smoke harness that decide verdicts without
touching Windows, checked on any OS: how `cordon doctor` output is read
(recorded outputs: today's Windows build under Wine, and every state of
the contract in docs/windows.md), which modes run and why the others skip,
which delete-child verdict each mode and reading expects (the table of
tests/winmodel/test_smoke_scenarios.c), how `cordon setup --plan` is read
(from the real render when a cordon binary is given), the order of the
cases, and how paths and PATH reach cordon.exe under Wine.

  selftest_harness.py [CORDON]

Ends with `N passed, M failed`."""
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import win_harness as H  # noqa: E402
import win_cases  # noqa: E402,F401  (registers cases)
import win_setup_cases  # noqa: E402,F401  (registers the life-cycle cases)
from win_classes import ITEMS  # noqa: E402

checks = [0, 0]


def expect(condition, what):
    checks[0 if condition else 1] += 1
    if not condition:
        print("FAIL: %s" % what)


# ------------------------------------------------------------------ recorded doctor outputs
# What the mingw cordon.exe printed under Wine before the probe and setup
# existed (its keys differ from the contract: nothing may be read from it
# but "elevated mode: not set up").
DOCTOR_BEFORE_CONTRACT = """platform: Windows 6.1.7601
  MISSING  elevated mode: not set up ('cordon setup' is not available in this version)
           lost: the protecting mode: a sandbox account your files grant nothing (blocks deletes and renames outside the roots), WFP filters that enforce the network policy
           Hint: sandboxed runs refuse without it; 'cordon run --best-effort' runs in restricted-token mode
  ok       restricted-token mode: with --best-effort: write-restricted token, privileges removed, capability SIDs
  MISSING  restricted-token: delete-child: not probed: assumed not re-checked
           Hint: elevated mode blocks them (not available in this version)
  ok       ConPTY (--pty): a pseudo console under the same token and job
5 protections are missing: see the hints above; 'cordon run --best-effort' runs with what is available
"""

# What the mingw cordon.exe with the delete-child probe printed under Wine
# (Wine does not enforce write-restricted tokens, so the probe says unknown).
DOCTOR_PROBED_UNDER_WINE = """platform: Windows 6.1.7601
  MISSING  elevated mode: not set up ('cordon setup' is not available in this version)
           Hint: sandboxed runs refuse without it; 'cordon run --best-effort' runs in restricted-token mode
  ok       state directory: C:\\users\\root\\AppData\\Local\\cordon
  MISSING  write-restricted delete-child: unknown (the DACL rewrite was allowed: this host does not enforce write-restricted tokens (as under Wine)) (cached for build 7601)
           Hint: elevated mode blocks them (not available in this version); delete the cache file 'delete-child-probe' in the state directory to probe again
"""

# The contract's lines, each state (docs/windows.md, "The probe and cordon doctor").
DOCTOR_NOT_SET_UP = """platform: Windows 10.0.22631
  ok       write-restricted delete-child: not re-checked (probe: deleted a scratch file through its parent)
  MISSING  elevated mode: not set up (run 'cordon setup' once, as administrator)
  ok       state directory: C:\\Users\\alice\\AppData\\Local\\cordon
"""
DOCTOR_READY = """platform: Windows 10.0.22631
  ok       write-restricted delete-child: re-checked (probe: the delete was refused)
  ok       elevated mode: ready
           Hint: elevated mode: stale would be reported here
  ok       state directory: C:\\Users\\alice\\AppData\\Local\\cordon
"""
DOCTOR_STALE = """platform: Windows 10.0.22631
  MISSING  write-restricted delete-child: unknown (probe failed: cannot create a scratch directory: access denied)
  MISSING  elevated mode: stale (the account CordonSandboxOnline is missing; run 'cordon setup' again)
  ok       state directory: D:\\state\\cordon
"""

r = H.DoctorReport(DOCTOR_BEFORE_CONTRACT, 1)
expect(r.elevated_state == H.SETUP_NOT_SET_UP, "pre-contract output: not set up: %r" % r.elevated_state)
expect(r.reading is None, "pre-contract 'restricted-token: delete-child: not probed' is no reading: %r" % r.reading)
expect(r.state_dir is None, "pre-contract output has no state directory: %r" % r.state_dir)
expect(H.elevated_skip_reason(r) is not None and "not set up" in H.elevated_skip_reason(r),
       "pre-contract: elevated cases skip as not set up: %r" % H.elevated_skip_reason(r))
expect(H.restricted_skip_reason(r) is None, "pre-contract: restricted-token cases run")

r = H.DoctorReport(DOCTOR_PROBED_UNDER_WINE, 1)
expect(r.reading is None, "probed under Wine: unknown (...) is no reading: %r" % r.reading)
expect(r.elevated_state == H.SETUP_NOT_SET_UP, "probed under Wine: not set up")
expect(r.state_dir == "C:\\users\\root\\AppData\\Local\\cordon", "probed under Wine: %r" % r.state_dir)
expect(H.restricted_skip_reason(r) is None and H.elevated_skip_reason(r) is not None,
       "probed under Wine: restricted-token cases run, elevated skip")

r = H.DoctorReport(DOCTOR_NOT_SET_UP, 1)
expect(r.reading == H.NOT_RECHECKED, "not re-checked (...): %r" % r.reading)
expect(r.elevated_state == H.SETUP_NOT_SET_UP and r.elevated_ready is False, "not set up (...)")
expect(r.state_dir == "C:\\Users\\alice\\AppData\\Local\\cordon", "state directory: %r" % r.state_dir)
expect("run 'cordon setup' once" in H.elevated_skip_reason(r), "not set up: the skip says what to do")
expect(H.restricted_skip_reason(r) is None, "not set up: restricted-token cases run")

r = H.DoctorReport(DOCTOR_READY, 0)
expect(r.reading == H.RECHECKED, "re-checked (...): %r" % r.reading)
expect(r.elevated_state == H.SETUP_READY and r.elevated_ready is True, "ready, and the later Hint line ignored")
expect(H.elevated_skip_reason(r) is None, "ready: elevated cases run")
expect("runs in elevated mode too" in (H.restricted_skip_reason(r) or ""),
       "ready: restricted-token cases skip (--best-effort runs elevated then): %r" % H.restricted_skip_reason(r))

r = H.DoctorReport(DOCTOR_STALE, 1)
expect(r.reading is None, "unknown (...) is no reading: %r" % r.reading)
expect(r.elevated_state == H.SETUP_STALE and r.elevated_ready is False, "stale (...): %r" % r.elevated_state)
expect(r.elevated_detail.startswith("(the account CordonSandboxOnline is missing"),
       "stale detail: %r" % r.elevated_detail)
expect("stale" in H.elevated_skip_reason(r) and "CordonSandboxOnline" in H.elevated_skip_reason(r),
       "stale: elevated cases skip naming what changed: %r" % H.elevated_skip_reason(r))
expect("stale" in (H.restricted_skip_reason(r) or ""), "stale: restricted-token cases skip too (every run refuses)")
expect(r.state_dir == "D:\\state\\cordon", "state directory after a stale line: %r" % r.state_dir)

r = H.DoctorReport("elevated mode: broken somehow\n", 0)
expect(r.elevated_state is None and "none of ready" in H.elevated_skip_reason(r), "an unknown elevated state")
r = H.DoctorReport("write-restricted delete-child: re-checkedness unknown\n", 0)
expect(r.reading is None, "a value merely starting with re-checked is no reading: %r" % r.reading)

# doctor silent about elevated mode: one plain run decides
r = H.DoctorReport("platform: Windows\n", 0)
expect(H.elevated_skip_reason(r) == "cordon doctor printed no 'elevated mode:' line", "no line, no run")
refused = H.Result(125, "", "cordon: cannot sandbox on Windows: elevated mode is not set up ('cordon setup')\n")
expect("not set up" in H.elevated_skip_reason(r, refused), "no line, run refused naming setup")
expect(H.elevated_skip_reason(r, H.Result(0, "", "")) is None, "no line, plain run works: elevated usable")
expect("runs in it too" in (H.restricted_skip_reason(r, H.Result(0, "", "")) or ""),
       "no line, plain run works: restricted-token cases skip")
expect(H.restricted_skip_reason(r, refused) is None, "no line, plain run refused: restricted-token cases run")
expect("failed (rc 1)" in H.elevated_skip_reason(r, H.Result(1, "", "boom")), "no line, plain run fails")
failed = H.DoctorReport("", None)
failed.error = "cordon doctor did not return within 120s"
expect("did not run" in H.elevated_skip_reason(failed), "doctor did not run")


# ------------------------------------------------------------------ skip decisions per case
class FakeHost(H.Host):
    pass


def suite_for(doctor_text, wine=False, plumbing_only=False, allow=False):
    s = H.Suite("cordon.exe", host=FakeHost(wine), plumbing_only=plumbing_only, allow_setup_changes=allow)
    s.doctor = H.DoctorReport(doctor_text, 0)
    s.elevated_reason = H.elevated_skip_reason(s.doctor)
    s.restricted_reason = H.restricted_skip_reason(s.doctor)
    return s


C = H.CASES
wine = suite_for(DOCTOR_BEFORE_CONTRACT, wine=True, plumbing_only=True)
expect(wine.skip_reason(C["exit_statuses"], H.RESTRICTED) is None, "Wine: a plumbing case runs (restricted)")
expect("not set up" in wine.skip_reason(C["exit_statuses"], H.ELEVATED), "Wine: elevated skips as not set up")
expect(wine.skip_reason(C["ws_create_outside_denied"], H.RESTRICTED) == H.WINE_NO_ENFORCEMENT,
       "Wine: an enforcement case skips with 'Wine enforces no ACLs'")
expect("Wine enforces no ACLs" in H.WINE_NO_ENFORCEMENT, "the Wine skip reason says it")
ready = suite_for(DOCTOR_READY)
expect(ready.skip_reason(C["outside_delete_and_move_in"], H.ELEVATED) is None, "ready: an elevated case runs")
expect(ready.skip_reason(C["outside_delete_and_move_in"], H.RESTRICTED) is not None, "ready: restricted skips")
expect(ready.skip_reason(C["probe_write_restricted_delete_child"], H.ELEVATED) == "not a elevated-mode case",
       "the probe is restricted-only")
if not H.is_admin():
    expect("administrator" in ready.skip_reason(C["setup_second_run_changes_nothing"], H.ELEVATED),
           "an admin case skips without an elevated suite")
ready.host.wine = True  # (the admin check is Windows-only; under the fake, only the flag decides)
expect("--allow-setup-changes" in ready.skip_reason(C["setup_uninstall_leaves_nothing"], H.ELEVATED),
       "uninstall needs --allow-setup-changes")
allowed = suite_for(DOCTOR_READY, wine=True, allow=True)
expect(allowed.skip_reason(C["setup_uninstall_leaves_nothing"], H.ELEVATED) is None,
       "with --allow-setup-changes (and admin) uninstall runs")

# ------------------------------------------------------------------ the registry
names = list(C)
expect(names[0] == "probe_write_restricted_delete_child", "the probe is the first case: %s" % names[0])
expect(names[-1] == "setup_uninstall_leaves_nothing", "uninstall is the last case: %s" % names[-1])
life = [n for n in names if C[n].changes_setup or C[n].admin]
expect(names[-len(life):] == life, "the setup life-cycle cases come after every other case: %r" % life)
expect(all(C[n].admin for n in names if C[n].changes_setup), "a case that changes setup is an admin case")
restricted_only = sorted(n for n in names if C[n].modes == (H.RESTRICTED,))
expect(restricted_only == ["best_effort_names_what_is_not_enforced", "modes_fail_closed",
                           "probe_write_restricted_delete_child"],
       "only the probe and the no-setup contract are restricted-only: %r" % restricted_only)
expect(all(set(C[n].modes) == set(H.MODES) for n in names if C[n].classes),
       "every case tied to a reference class runs in both modes")
for item in ITEMS:
    expect(any(item in C[n].items for n in names), "item %s has a case" % item)
plumbing = [n for n in names if C[n].plumbing]
expect(len(plumbing) >= 10, "at least ten plumbing cases for the Wine run: %d" % len(plumbing))
expect(not any(C[n].admin for n in plumbing), "no plumbing case needs an administrator")

# ------------------------------------------------------------------ delete-child verdicts


class FakeSuite:
    def __init__(self, reading):
        self.doctor = H.DoctorReport("write-restricted delete-child: %s\n" % reading if reading else "", 0)
        self.cordon = "cordon.exe"
        self.base = None
        self.host = H.Host()


def open_for(mode, reading, everyone=False):
    ctx = H.Ctx.__new__(H.Ctx)  # no directories: only the verdict logic
    ctx.suite = FakeSuite(reading)
    ctx.mode = mode
    try:
        return ctx.delete_child_open(everyone)
    except H.CaseSkipped:
        return "skip"


# restricted-token, Forshaw; restricted, re-checked; elevated, Forshaw; elevated, re-checked
expect(open_for(H.RESTRICTED, H.NOT_RECHECKED) is True, "restricted + not re-checked: open")
expect(open_for(H.RESTRICTED, H.RECHECKED) is False, "restricted + re-checked: closed")
expect(open_for(H.ELEVATED, H.NOT_RECHECKED) is False, "elevated + not re-checked: closed (user's folders)")
expect(open_for(H.ELEVATED, H.RECHECKED) is False, "elevated + re-checked: closed")
expect(open_for(H.ELEVATED, H.NOT_RECHECKED, everyone=True) is True, "elevated, Everyone grants: open")
expect(open_for(H.ELEVATED, H.RECHECKED, everyone=True) is False, "elevated, Everyone grants, re-checked")
expect(open_for(H.RESTRICTED, None) == "skip", "no reading reported: a restricted case skips")
expect(open_for(H.RESTRICTED, "unknown (probe failed)") == "skip", "unknown (...): a restricted case skips")
expect(open_for(H.ELEVATED, "unknown (probe failed)") is False, "unknown (...): elevated is closed anyway")
expect(open_for(H.ELEVATED, None, everyone=True) == "skip", "no reading: the elevated Everyone case skips")

# ------------------------------------------------------------------ argv, paths, PATH under Wine


def fake_ctx(mode, wine):
    return type("C", (), {"cordon": "c.exe", "mode": mode, "ws": "/w/ws", "host": H.Host(wine),
                          "w": lambda self, p: self.host.path(p)})()


argv = H.Ctx.argv(fake_ctx(H.RESTRICTED, False), ["x"])
expect(argv == ["c.exe", "run", "--best-effort", "-C", "/w/ws", "-m", "workspace-write", "--", "x"],
       "restricted argv: %r" % argv)
argv = H.Ctx.argv(fake_ctx(H.ELEVATED, False), ["x"], H.RO)
expect(argv == ["c.exe", "run", "-C", "/w/ws", "-m", "read-only", "--", "x"], "elevated argv: %r" % argv)
argv = H.Ctx.argv(fake_ctx(H.RESTRICTED, True), ["x"])
expect(argv[:4] == ["wine", "c.exe", "run", "--best-effort"] and argv[5] == "Z:\\w\\ws",
       "Wine argv: wine first, the workspace as Z:\\...: %r" % argv)
expect(H.Host(True).path("/tmp/a b/c") == "Z:\\tmp\\a b\\c", "Wine path spelling")
expect(H.Host(False).path("C:\\x") == "C:\\x", "Windows paths unchanged")
env = H.Host(True).env({"CORDON_SMOKE_PATH": "Z:\\bin", "PATH": "/usr/bin"})
expect(env.get("WINEPATH") == "Z:\\bin" and env["PATH"] == "/usr/bin", "Wine: the command's PATH is WINEPATH")
env = H.Host(False).env({"CORDON_SMOKE_PATH": "C:\\bin;C:\\Windows", "PATH": "C:\\Windows"})
expect(env["PATH"] == "C:\\bin;C:\\Windows" and "CORDON_SMOKE_PATH" not in env, "Windows: PATH itself")

# ------------------------------------------------------------------ network off, end to end on loopback
# net_off_blocks_tcp_udp_icmp with real host listeners on this machine's
# loopback and a fake cordon: one that runs the command's socket code
# unsandboxed (everything gets through: the case must fail, counting the
# command's traffic and not the suite's controls), one that blocks it all
# (the case must pass), and restricted-token mode (advisory: it must skip
# after checking that --best-effort said so).


def net_off_with(mode, run_command, err=""):
    suite = H.Suite("cordon.exe", base=tempfile.gettempdir(), host=H.Host(False))
    suite.doctor = H.DoctorReport("elevated mode: ready\n", 0)
    suite.setup_plan = lambda uninstall=False: "no plan here"

    class NetCtx(H.Ctx):
        def py(self, code, **kw):
            out = H.RAN + "\n"
            if run_command:
                p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
                out += p.stdout
            return H.Result(0, out, err)

        def batch(self, lines, **kw):
            return H.Result(0, H.RAN + "\n", err)

    ctx = NetCtx(suite, mode, "net_off_blocks_tcp_udp_icmp")
    try:
        C["net_off_blocks_tcp_udp_icmp"].fn(ctx)
        return ("ok", ctx.failures)
    except H.CaseSkipped as e:
        return ("skip", str(e))
    finally:
        ctx.close()


# Loopback only here: the host's own non-loopback address is for Windows hosts.
H.own_addresses = lambda: []
verdict, failures = net_off_with(H.ELEVATED, True)
expect(verdict == "ok" and len(failures) == 1 and "TCP 127.0.0.1 (1 connection(s))" in failures[0] and
       "UDP 127.0.0.1 (3 datagram(s))" in failures[0], "net off, traffic through: the case fails counting only the "
       "command's connection and datagrams: %r" % failures)
verdict, failures = net_off_with(H.ELEVATED, False)
expect(verdict == "ok" and failures == [], "net off, traffic blocked: the case passes: %r" % failures)
verdict, reason = net_off_with(H.RESTRICTED, True, "cordon: best-effort: not enforced: network: advisory only\n")
expect(verdict == "skip" and "advisory" in reason and "TCP 127.0.0.1" in reason,
       "restricted-token mode: skips saying what got through: %r" % reason)
verdict, failures = net_off_with(H.RESTRICTED, True)
expect(verdict == "ok" and any("did not say the network block is advisory" in f for f in failures),
       "restricted-token mode without the advisory line: the case fails: %r" % failures)

# ------------------------------------------------------------------ setup life cycle, simulated
import selftest_setup_sim  # noqa: E402

selftest_setup_sim.check(expect)

# ------------------------------------------------------------------ whoami, netsh
expect(H.whoami_name("%s\nhost-1\\CordonSandboxOffline\n" % H.RAN) == "cordonsandboxoffline", "whoami, sentinel")
expect(H.whoami_name("VM\\root\r\n") == "root", "whoami under Wine")
expect(H.whoami_name(H.RAN + "\n") is None, "whoami printed nothing")
expect(H.ACCOUNT_FOR_NETWORK == {"off": "CordonSandboxOffline", "proxy": "CordonSandboxOffline",
                                 "on": "CordonSandboxOnline"}, "account per network mode")
netsh = "<item><filterKey>{A66DE066-AF1F-8795-AAD6-47AF651CC244}</filterKey></item>"
expect(H.wfp_leftovers(netsh, ["a66de066-af1f-8795-aad6-47af651cc244", "5ebbf8ea-7429-496f-9baf-b42f4c2a6990"]) ==
       ["a66de066-af1f-8795-aad6-47af651cc244"], "netsh leftovers: braces and case ignored")

# ------------------------------------------------------------------ cordon setup --plan
PLAN = """{"setup": "install", "proxy_port": 3128, "counts": {"steps": 1},
 "group": {"name": "CordonSandboxUsers"}, "accounts": [{"name": "CordonSandboxOffline"}],
 "wfp": {"provider": {"key": "p"}, "sublayer": {"key": "s"}, "filters": [{"key": "f1"}]},
 "steps": [{"step": "create-account"}]}"""
plan = H.SetupPlan(PLAN)
expect(plan.step_count == 1 and plan.proxy_port == 3128 and plan.wfp_keys() == ["p", "s", "f1"],
       "recorded plan read")
for bad, why in (('{"counts": {"steps": 2}, "steps": []}', "counts disagree with the list"),
                 ('{"steps": []}', "no counts.steps"), ("nothing", "no JSON")):
    try:
        H.SetupPlan(bad)
        expect(False, "a plan with %s is refused" % why)
    except ValueError:
        expect(True, "")

cordon = sys.argv[1] if len(sys.argv) > 1 else None
if cordon:
    # The real render (src/windows/plan/setup_plan.c) through the harness's
    # reader: `cordon setup --plan --profile DIR` plans anywhere.
    with tempfile.TemporaryDirectory() as profile:
        for sub in ("Documents", ".ssh", "AppData"):
            os.mkdir(os.path.join(profile, sub))
        for args, kind in ((["setup", "--plan"], "install"), (["setup", "--uninstall", "--plan"], "uninstall")):
            p = subprocess.run([cordon] + args + ["--profile", profile], capture_output=True, text=True, timeout=60)
            expect(p.returncode == 0, "cordon %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr[-300:]))
            try:
                plan = H.SetupPlan(p.stdout)
            except ValueError as e:
                expect(False, "the harness cannot read the real %s plan: %s" % (kind, e))
                continue
            expect(plan.kind == kind and plan.step_count > 0, "real %s plan: %d steps" % (kind, plan.step_count))
            if kind == "install":
                expect(plan.accounts == [H.SANDBOX_OFFLINE, H.SANDBOX_ONLINE], "real plan accounts: %r" %
                       plan.accounts)
                expect(plan.group == H.SANDBOX_GROUP, "real plan group: %r" % plan.group)
                expect(plan.provider_key and plan.sublayer_key and len(plan.filter_keys) >= 1,
                       "real plan WFP keys: %r" % plan.wfp_keys())
                expect(isinstance(plan.proxy_port, int) and plan.proxy_port > 0, "real plan proxy port")
else:
    print("note: no cordon binary given: the real setup plan render was not read")

print("%d passed, %d failed" % tuple(checks))
sys.exit(1 if checks[1] else 0)
