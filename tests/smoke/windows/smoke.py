#!/usr/bin/env python3
"""cordon's smoke suite for Windows hosts: attacks the real cordon.exe in
both modes and checks every verdict on the host.

  python smoke.py --cordon PATH [--mode restricted|elevated|both] [--only NAME...]
                  [--base DIR] [--no-host-browser] [--timeout SEC]
  python smoke.py --list            one case name a line (any OS)
  python smoke.py --classes         "CLASS<TAB>CASE" lines: which case covers which
                                    class of smoke-cases.md (any OS)

restricted: `cordon run --best-effort`, the user's own account under a
write-restricted token. elevated: `cordon run` after `cordon setup`, the
command as a separate sandbox account; its cases skip, with the reason,
until setup is done. `cordon doctor` runs first: its
`write-restricted delete-child:` line decides the expected verdict of every
delete or rename through a parent's delete-child right, and the probe case
checks it against a real delete.

Output: `ok N - MODE CASE`, `not ok N - MODE CASE` plus a `#` line,
`ok N - MODE CASE # SKIP reason` (never counted as passed), and last
`N passed, M failed, K skipped`. Exit 1 on any failure."""
import argparse
import os
import sys
import traceback

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import win_harness as H  # noqa: E402
import win_cases  # noqa: E402,F401  (registers cases)
from win_classes import CLASSES, NO_WINDOWS_MEANING  # noqa: E402


def run_one(suite, mode, name, fn):
    """(verdict, detail): verdict is ok, fail or skip."""
    if mode == H.ELEVATED and suite.elevated_reason:
        return ("skip", suite.elevated_reason)
    ctx = None
    try:
        ctx = H.Ctx(suite, mode, name)
        fn(ctx)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cordon")
    ap.add_argument("--mode", choices=["restricted", "elevated", "both"], default="both")
    ap.add_argument("--only", nargs="+", default=None, metavar="NAME")
    ap.add_argument("--base", default=None, help="where case directories are made (default: the user's TEMP)")
    ap.add_argument("--no-host-browser", action="store_true",
                    help="do not calibrate the shell-open case by opening a URL on the host")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--classes", action="store_true")
    opts = ap.parse_args()

    if opts.list:
        for name in H.CASES:
            print(name)
        return 0
    if opts.classes:
        for number in sorted(CLASSES):
            if number in NO_WINDOWS_MEANING:
                print("%d\t-\t%s" % (number, NO_WINDOWS_MEANING[number]))
            for name, (_fn, _doc, classes, _modes) in H.CASES.items():
                if number in classes:
                    print("%d\t%s" % (number, name))
        return 0
    if not opts.cordon:
        ap.error("--cordon PATH is required")
    cordon = os.path.abspath(opts.cordon)
    if os.name != "nt":
        print("not ok 1 - this suite runs on Windows hosts only (os.name is %r); --list works anywhere" % os.name)
        print("0 passed, 1 failed")
        return 1
    if not os.path.isfile(cordon):
        print("not ok 1 - cordon binary %s does not exist" % cordon)
        print("0 passed, 1 failed")
        return 1

    names = list(H.CASES)
    if opts.only:
        unknown = [n for n in opts.only if n not in H.CASES]
        if unknown:
            ap.error("unknown case(s): %s (see --list)" % ", ".join(unknown))
        names = [n for n in names if n in opts.only]
    modes = list(H.MODES) if opts.mode == "both" else [opts.mode]

    suite = H.Suite(cordon, base=opts.base, host_browser=not opts.no_host_browser)
    doctor = suite.run_doctor()
    suite.detect_elevated()
    print("# cordon Windows smoke suite: %s, %d cases, modes %s" % (cordon, len(names), "+".join(modes)))
    print("# doctor (rc %s): write-restricted delete-child: %s; elevated mode: %s; state directory: %s" %
          (doctor.rc, doctor.reading or "NOT REPORTED", doctor.values.get("elevated mode", "not reported"),
           doctor.state_dir or "not reported"))
    if suite.elevated_reason:
        print("# elevated cases skip: %s" % suite.elevated_reason)
    sys.stdout.flush()

    counts = {"ok": 0, "fail": 0, "skip": 0}
    n = 0
    for name in names:
        fn, _doc, _classes, case_modes = H.CASES[name]
        for mode in modes:
            if mode not in case_modes:
                continue
            verdict, detail = run_one(suite, mode, name, fn)
            n += 1
            counts[verdict] += 1
            label = "%s %s" % (mode, name)
            if verdict == "ok":
                print("ok %d - %s" % (n, label) + ("  # note: %s" % detail if detail else ""))
            elif verdict == "skip":
                print("ok %d - %s # SKIP %s" % (n, label, detail))
            else:
                print("not ok %d - %s" % (n, label))
                print("#   %s" % detail[:3000])
            sys.stdout.flush()

    print("%d passed, %d failed, %d skipped" % (counts["ok"], counts["fail"], counts["skip"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
