#!/usr/bin/env python3
"""cordon's smoke suite for Windows hosts: attacks the real cordon.exe in
both modes and checks every verdict on the host.

  python smoke.py --cordon PATH [--mode restricted|elevated|both] [--only NAME...]
                  [--base DIR] [--no-host-browser] [--allow-setup-changes]
                  [--require-elevated]
  python smoke.py --cordon PATH/cordon.exe --wine   plumbing cases under Wine (Linux)
  python smoke.py --list [--plumbing]  one case name a line (any OS)
  python smoke.py --classes         "CLASS<TAB>CASE" lines: which case covers which
                                    class of smoke-cases.md (any OS)
  python smoke.py --items           "ITEM<TAB>CASE<TAB>MODES" lines: which case answers
                                    which item of the issues (any OS)
  python smoke.py --modes           "CASE<TAB>MODES" lines (any OS)

restricted: `cordon run --best-effort` before `cordon setup`, the user's own
account under a write-restricted token. elevated: `cordon run` after
`cordon setup`, the command as a separate sandbox account. Each mode's
cases skip, with the reason, when doctor says this host is not in it.
`cordon doctor` runs first: its `write-restricted delete-child:` line
decides the expected verdict of every delete or rename through a parent's
delete-child right, and the probe case checks it against a real delete.

Output: `ok N - MODE CASE`, `not ok N - MODE CASE` plus a `#` line,
`ok N - MODE CASE # SKIP reason` (never counted as passed), and last
`N passed, M failed, K skipped`. Exit 1 on any failure. Under --wine every
line says `plumbing (Wine)`: such a run proves the suite's Python and
cordon's plumbing, never confinement."""
import argparse
import os
import sys
import traceback

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import win_harness as H  # noqa: E402
import win_cases  # noqa: E402,F401  (registers cases)
import win_setup_cases  # noqa: E402,F401  (registers the life-cycle cases, last)
from win_classes import CLASSES, ITEMS, NO_WINDOWS_MEANING  # noqa: E402


def run_one(suite, mode, case):
    """(verdict, detail): verdict is ok, fail or skip."""
    reason = suite.skip_reason(case, mode)
    if reason:
        return ("skip", reason)
    ctx = None
    try:
        ctx = H.Ctx(suite, mode, case.name)
        case.fn(ctx)
        verdict = ("ok", "; ".join(ctx.notes))
    except H.CaseSkipped as e:
        verdict = ("skip", str(e))
    except H.CaseFailed as e:
        verdict = ("fail", str(e))
    except Exception:  # a bug in a case is a failure, never a pass
        verdict = ("fail", "harness error: " + traceback.format_exc().strip().replace("\n", " | "))
    if ctx is None:
        return verdict
    try:
        ctx.close()
    except Exception as e:  # noqa: BLE001
        ctx.failures.append("cleanup failed: %s" % e)
    if ctx.failures:
        detail = "; ".join(ctx.failures)
        if verdict[0] == "fail":
            detail = verdict[1] + "; " + detail
        return ("fail", detail)
    return verdict


def print_listings(opts):
    if opts.list:
        for name, c in H.CASES.items():
            if c.plumbing or not opts.plumbing:
                print(name)
    elif opts.classes:
        for number in sorted(CLASSES):
            if number in NO_WINDOWS_MEANING:
                print("%d\t-\t%s" % (number, NO_WINDOWS_MEANING[number]))
            for name, c in H.CASES.items():
                if number in c.classes:
                    print("%d\t%s" % (number, name))
    elif opts.modes:
        for name, c in H.CASES.items():
            print("%s\t%s" % (name, "+".join(c.modes)))
    else:
        for item in ITEMS:
            for name, c in H.CASES.items():
                if item in c.items:
                    print("%s\t%s\t%s" % (item, name, "+".join(c.modes)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cordon")
    ap.add_argument("--mode", choices=["restricted", "elevated", "both"], default="both")
    ap.add_argument("--only", nargs="+", default=None, metavar="NAME")
    ap.add_argument("--base", default=None, help="where case directories are made (default: the user's TEMP)")
    ap.add_argument("--no-host-browser", action="store_true",
                    help="do not calibrate the shell-open case by opening a URL on the host")
    ap.add_argument("--allow-setup-changes", action="store_true",
                    help="run the cases that break or remove this machine's cordon setup (a stale setup, "
                         "--uninstall) and then set it up again; needs an administrator")
    ap.add_argument("--require-elevated", action="store_true",
                    help="fail, not skip, when elevated mode is not ready (for CI after 'cordon setup')")
    ap.add_argument("--plumbing", action="store_true",
                    help="run only the cases whose verdicts are plumbing (exit statuses, output, PATH stubs, "
                         "timeouts); the others skip")
    ap.add_argument("--wine", action="store_true",
                    help="run cordon.exe through wine from Linux; implies --plumbing")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--classes", action="store_true")
    ap.add_argument("--items", action="store_true")
    ap.add_argument("--modes", action="store_true", help="CASE<TAB>MODES lines (any OS)")
    opts = ap.parse_args()

    if opts.list or opts.classes or opts.items or opts.modes:
        print_listings(opts)
        return 0
    if not opts.cordon:
        ap.error("--cordon PATH is required")
    cordon = os.path.abspath(opts.cordon)
    tag = "plumbing (Wine) " if opts.wine else ""
    if os.name != "nt" and not opts.wine:
        print("not ok 1 - this suite runs on Windows hosts only (os.name is %r); --list works anywhere, and "
              "--wine runs its plumbing cases under Wine" % os.name)
        print("0 passed, 1 failed")
        return 1
    if not os.path.isfile(cordon):
        print("not ok 1 - %scordon binary %s does not exist" % (tag, cordon))
        print("0 passed, 1 failed")
        return 1

    names = list(H.CASES)
    if opts.only:
        unknown = [n for n in opts.only if n not in H.CASES]
        if unknown:
            ap.error("unknown case(s): %s (see --list)" % ", ".join(unknown))
        names = [n for n in names if n in opts.only]
    modes = list(H.MODES) if opts.mode == "both" else [opts.mode]

    suite = H.Suite(cordon, base=opts.base, host_browser=not opts.no_host_browser, host=H.Host(wine=opts.wine),
                    plumbing_only=opts.plumbing or opts.wine, allow_setup_changes=opts.allow_setup_changes)
    doctor = suite.run_doctor()
    suite.detect_modes()
    if opts.wine:
        print("# PLUMBING run under Wine: only cases whose verdicts are plumbing (exit statuses, output, files "
              "in the workspace, PATH stubs, the tree dying on timeout) run; Wine enforces no ACLs, so nothing "
              "here shows confinement")
    print("# cordon Windows smoke suite: %s, %d cases, modes %s" % (cordon, len(names), "+".join(modes)))
    print("# doctor (rc %s): write-restricted delete-child: %s; elevated mode: %s; state directory: %s" %
          (doctor.rc, doctor.values.get("write-restricted delete-child", "NOT REPORTED"),
           doctor.values.get("elevated mode", "not reported"), doctor.state_dir or "not reported"))
    for mode, reason in ((H.RESTRICTED, suite.restricted_reason), (H.ELEVATED, suite.elevated_reason)):
        if mode in modes and reason:
            print("# %s cases skip: %s" % (mode, reason))
    sys.stdout.flush()

    counts = {"ok": 0, "fail": 0, "skip": 0}
    n = 0

    def report(verdict, label, detail):
        counts[verdict] += 1
        if verdict == "ok":
            print("ok %d - %s" % (n, label) + ("  # note: %s" % detail if detail else ""))
        elif verdict == "skip":
            print("ok %d - %s # SKIP %s" % (n, label, detail))
        else:
            print("not ok %d - %s" % (n, label))
            print("#   %s" % detail[:3000])
        sys.stdout.flush()

    if opts.require_elevated and H.ELEVATED in modes:
        n += 1
        report("fail" if suite.elevated_reason else "ok", "%selevated mode is ready (--require-elevated)" % tag,
               suite.elevated_reason or "")
    for name in names:
        case = H.CASES[name]
        for mode in modes:
            if mode not in case.modes:
                continue
            n += 1
            verdict, detail = run_one(suite, mode, case)
            report(verdict, "%s%s %s" % (tag, mode, name), detail)
            if case.changes_setup and verdict != "skip":
                suite.run_doctor()  # the case changed the setup and restored it: read it again
                suite.detect_modes()

    print("%s%d passed, %d failed, %d skipped" % ("plumbing: " if opts.wine else "", counts["ok"], counts["fail"],
                                                  counts["skip"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
