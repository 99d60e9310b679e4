"""Elevated mode's life cycle on a Windows host: a second `cordon setup`
changes nothing, a stale setup refuses runs until setup runs again, and
`cordon setup --uninstall` leaves nothing behind. Registered after every
other case (smoke.py imports this module last), so they run last, the
uninstall case last of all; it sets elevated mode up again when it found
it set up, so a suite run leaves the machine as it found it.

Each needs an administrator (the suite elevated); the two that break or
remove the setup also need --allow-setup-changes. Verdicts come from the
machine: `net user`, `net localgroup`, `reg query`, `netsh wfp show state`,
the record's bytes, `icacls` of the profile, and `cordon setup --plan`."""
import os
import re
import subprocess
import tempfile

import win_harness as H
from win_harness import ELEVATED, case

HIDE_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList"


def host_cmd(argv, timeout=120):
    """Runs a host tool (unsandboxed): (rc, stdout+stderr as text)."""
    try:
        r = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def account_exists(name):
    rc, _ = host_cmd(["net", "user", name])
    return rc == 0


def group_exists(name):
    rc, _ = host_cmd(["net", "localgroup", name])
    return rc == 0


def local_sid(name, kind="User"):
    """The SID of a local user or group (PowerShell Get-Local*), or None."""
    rc, out = host_cmd(["powershell.exe", "-NoProfile", "-NonInteractive", "-Command",
                        "(Get-Local%s -Name '%s').SID.Value" % (kind, name)])
    m = re.search(r"S-1-5-[0-9-]+", out or "")
    return m.group(0) if rc == 0 and m else None


def wfp_state_text(ctx):
    """`netsh wfp show state` (providers, sublayers, filters) as text;
    skips when netsh cannot produce it."""
    path = os.path.join(ctx.base, "wfpstate.xml")
    rc, out = host_cmd(["netsh", "wfp", "show", "state", "file=%s" % path], timeout=300)
    text = H.read_bytes(path)
    if rc != 0 or not text:
        ctx.skip("netsh wfp show state failed (rc %s): %s" % (rc, (out or "")[-300:]))
    # netsh writes UTF-8 or UTF-16 depending on the version
    return text.decode("utf-16") if text[:2] in (b"\xff\xfe", b"\xfe\xff") else text.decode(errors="replace")


def plan_or_fail(ctx, uninstall=False):
    plan = ctx.suite.setup_plan(uninstall)
    if not isinstance(plan, H.SetupPlan):
        raise H.CaseFailed(plan)
    return plan


def doctor_state(ctx):
    doctor = ctx.suite.run_doctor()
    return doctor.elevated_state, doctor.values.get("elevated mode")


def setup_again(ctx, what):
    """`cordon setup`, then doctor must say ready and the plan 0 steps."""
    r = ctx.suite.cordon_run(["setup"], timeout=1800)
    ctx.check(r.rc == 0, "%s: cordon setup exited %s: %s" % (what, r.rc, r.brief()))
    state, line = doctor_state(ctx)
    ctx.check(state == H.SETUP_READY, "%s: after cordon setup doctor says 'elevated mode: %s'" % (what, line))
    plan = ctx.suite.setup_plan()
    ctx.check(isinstance(plan, H.SetupPlan) and plan.step_count == 0,
              "%s: after cordon setup the plan is not empty: %s" %
              (what, plan if not isinstance(plan, H.SetupPlan) else [s.get("step") for s in plan.steps][:20]))


@case(modes=(ELEVATED,), items=("setup-idempotent",), admin=True)
def setup_second_run_changes_nothing(ctx):
    """a second cordon setup: exit 0, says there is nothing to do; the plan stays at 0 steps, record.json's bytes unchanged, the accounts and doctor still ready"""
    record = ctx.suite.record_path()
    before = H.read_bytes(record)
    ctx.check(before is not None, "no setup record at %s (doctor's state directory + setup\\record.json)" % record)
    plan = plan_or_fail(ctx)
    ctx.check(plan.step_count == 0, "before the second setup the plan already has %d step(s): %r" %
              (plan.step_count, [s.get("step") for s in plan.steps][:20]))
    r = ctx.suite.cordon_run(["setup"], timeout=1800)
    ctx.check(r.rc == 0, "second cordon setup exited %s: %s" % (r.rc, r.brief()))
    ctx.check(re.search(r"nothing (is )?to (be )?do|already set up|up to date|0 steps", r.text, re.I) is not None,
              "second cordon setup did not say there is nothing to do: %r" % r.text[-400:])
    ctx.unchanged(record, before, "setup record after a second cordon setup")
    plan = plan_or_fail(ctx)
    ctx.check(plan.step_count == 0, "after the second setup the plan has %d step(s)" % plan.step_count)
    for name in (H.SANDBOX_OFFLINE, H.SANDBOX_ONLINE):
        ctx.check(account_exists(name), "net user %s: the account is missing after setup" % name)
    ctx.check(group_exists(H.SANDBOX_GROUP), "net localgroup %s: the group is missing" % H.SANDBOX_GROUP)
    state, line = doctor_state(ctx)
    ctx.check(state == H.SETUP_READY, "after a second setup doctor says 'elevated mode: %s'" % line)


@case(modes=(ELEVATED,), items=("setup-stale",), admin=True, changes_setup=True)
def setup_stale_refuses_then_repairs(ctx):
    """delete CordonSandboxOnline behind cordon's back -> doctor 'stale (...)' naming it, runs refuse (125, one line naming it and 'cordon setup', nothing run); cordon setup repairs it"""
    rc, out = host_cmd(["net", "user", H.SANDBOX_ONLINE, "/delete"])
    if rc != 0:
        raise H.CaseFailed("could not delete %s to make the setup stale: %s" % (H.SANDBOX_ONLINE, out[-300:]))
    try:
        state, line = doctor_state(ctx)
        ctx.check(state == H.SETUP_STALE and H.SANDBOX_ONLINE.lower() in (line or "").lower(),
                  "with %s deleted doctor says 'elevated mode: %s', expected 'stale (...)' naming it" %
                  (H.SANDBOX_ONLINE, line))
        for network in ("on", "off"):
            r = ctx.batch(["echo should-not-run"], extra=["-n", network])
            lines = [ln for ln in r.err.splitlines() if ln.strip()]
            ctx.check(r.rc == H.EXIT_REFUSED and not r.ran,
                      "stale setup, --network %s: rc %s, ran %s, expected 125 and nothing run" % (network, r.rc,
                                                                                                r.ran))
            ctx.check(len(lines) == 1 and "cordon setup" in lines[0] and
                      (network == "off" or H.SANDBOX_ONLINE.lower() in lines[0].lower()),
                      "stale setup, --network %s: the refusal is not one line naming %s and 'cordon setup': %r" %
                      (network, H.SANDBOX_ONLINE, lines))
    finally:
        setup_again(ctx, "repairing the stale setup")
    r = ctx.batch(["whoami"], extra=["-n", "on"])
    ctx.require_ran(r, "a run after the repair")
    ctx.check(H.whoami_name(r.out) == H.SANDBOX_ONLINE.lower(),
              "after the repair --network on runs as %r" % H.whoami_name(r.out))


@case(modes=(ELEVATED,), items=("setup-uninstall",), admin=True, changes_setup=True)
def setup_uninstall_leaves_nothing(ctx):
    """cordon setup --uninstall: no account, group, hidden-account value, WFP provider/sublayer/filter, grant on the profile, record or stored password left; runs refuse again; then setup is restored"""
    plan = plan_or_fail(ctx)
    keys = plan.wfp_keys()
    ctx.check(plan.provider_key and plan.sublayer_key and plan.filter_keys,
              "the setup plan names no WFP provider, sublayer or filters to look for")
    accounts = plan.accounts or [H.SANDBOX_OFFLINE, H.SANDBOX_ONLINE]
    group = plan.group or H.SANDBOX_GROUP
    group_sid = local_sid(group, "Group")
    hide_key = ((plan.doc.get("accounts") or [{}])[0].get("hidden_from_sign_in")) or HIDE_KEY
    setup_dir = os.path.dirname(ctx.suite.record_path())
    # control: what uninstall must remove is there now
    before = wfp_state_text(ctx)
    ctx.check(all(account_exists(a) for a in accounts), "control: not every sandbox account exists before")
    ctx.check(H.wfp_leftovers(before, keys) == keys, "control: netsh wfp show state lists only %d of cordon's %d "
              "WFP objects before uninstall" % (len(H.wfp_leftovers(before, keys)), len(keys)))
    r = ctx.suite.cordon_run(["setup", "--uninstall"], timeout=1800)
    try:
        ctx.check(r.rc == 0, "cordon setup --uninstall exited %s: %s" % (r.rc, r.brief()))
        for a in accounts:
            ctx.check(not account_exists(a), "net user %s: the account is still there" % a)
            rc, _ = host_cmd(["reg", "query", hide_key, "/v", a])
            ctx.check(rc != 0, "the sign-in screen value %s\\%s is still there" % (hide_key, a))
        ctx.check(not group_exists(group), "net localgroup %s: the group is still there" % group)
        left = H.wfp_leftovers(wfp_state_text(ctx), keys)
        ctx.check(not left, "WFP objects still there after uninstall: %s" % ", ".join(left))
        ctx.check(not H.exists(ctx.suite.record_path()), "the record %s is still there" % ctx.suite.record_path())
        stored = [n for n in (os.listdir(setup_dir) if os.path.isdir(setup_dir) else []) if n.endswith(".dpapi")]
        ctx.check(not stored, "stored passwords still in %s: %s" % (setup_dir, stored))
        if group_sid:
            rc, out = host_cmd(["icacls", os.environ.get("USERPROFILE", "")])
            ctx.check(group_sid not in (out or ""), "the profile still has an ACE for the removed group %s: %s" %
                      (group_sid, out[-400:]))
        else:
            ctx.note("the group's SID could not be read before uninstall: grants not checked")
        state, line = doctor_state(ctx)
        ctx.check(state == H.SETUP_NOT_SET_UP, "after uninstall doctor says 'elevated mode: %s'" % line)
        work = tempfile.mkdtemp(prefix="cordon-smoke-uninstalled-", dir=ctx.base)
        run = ctx.suite.cordon_run(["run", "-C", work, "--", "cmd.exe", "/d", "/c", "echo %s" % H.RAN])
        ctx.check(run.rc == H.EXIT_REFUSED and not run.ran and "cordon setup" in run.err,
                  "after uninstall a plain run: rc %s, expected 125 naming 'cordon setup': %s" % (run.rc,
                                                                                             run.brief()))
    finally:
        setup_again(ctx, "setting elevated mode up again after the uninstall case")
