#!/usr/bin/python3
"""cordon's end-to-end smoke suite (Linux): attacks the real cordon binary
and checks every verdict from the host.

  smoke.py --cordon PATH [--mode captured|pty|both] [--only NAME...] [--list]

Each case runs in a fresh temp workspace, once with cordon's stdout/stderr
on pipes (captured) and once with `cordon run --pty` on a pty made here
(pty). In --mode both the verdicts of the two modes are compared as well.
Output is TAP-like; the last line is "N passed, N failed, N skipped"."""
import argparse
import os
import signal
import sys
import traceback

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import smoke_harness as H  # noqa: E402
import smoke_cases  # noqa: E402,F401  (registers cases)
import smoke_cases_linux  # noqa: E402,F401
from smoke_registry import CASES  # noqa: E402


def on_alarm(_signum, _frame):
    raise H.CaseTimeout()


def run_one(cordon, mode, name, fn, timeout):
    """Returns (verdict, detail): verdict is ok, fail or skip."""
    ctx = None
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    verdict = None
    try:
        ctx = H.Ctx(cordon, mode, name)
        fn(ctx)
        verdict = ("ok", "; ".join(ctx.notes))
    except H.CaseSkipped as e:
        verdict = ("skip", str(e))
    except H.CaseFailed as e:
        verdict = ("fail", str(e))
    except H.CaseTimeout:
        verdict = ("fail", "case timed out after %d s" % timeout)
    except Exception:  # a bug in a case is a failure, never a pass
        verdict = ("fail", "harness error: " + traceback.format_exc().strip().replace("\n", " | "))
    finally:
        signal.alarm(0)
    if ctx is None:
        return verdict
    try:
        # closing checks the host too (leftover processes, leaked mounts),
        # so it comes before the verdict
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
    ap.add_argument("--cordon", required=False)
    ap.add_argument("--mode", choices=["captured", "pty", "both"], default="both")
    ap.add_argument("--only", nargs="+", default=None, metavar="NAME")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=int, default=60, help="per case and mode, seconds")
    opts = ap.parse_args()

    if opts.list:
        for name, (_fn, doc) in CASES.items():
            print("%-45s %s" % (name, doc))
        return 0
    if not opts.cordon:
        ap.error("--cordon PATH is required")
    cordon = os.path.abspath(opts.cordon)
    if not os.access(cordon, os.X_OK):
        print("not ok 1 - cordon binary %s is not executable" % cordon)
        print("0 passed, 1 failed, 0 skipped")
        return 1

    names = list(CASES)
    if opts.only:
        unknown = [n for n in opts.only if n not in CASES]
        if unknown:
            ap.error("unknown case(s): %s (see --list)" % ", ".join(unknown))
        names = [n for n in names if n in opts.only]
    modes = ["captured", "pty"] if opts.mode == "both" else [opts.mode]

    print("# cordon smoke suite: %s, uid %d, modes %s, %d cases" % (cordon, os.getuid(), "+".join(modes),
                                                                   len(names)), flush=True)
    counts = {"ok": 0, "fail": 0, "skip": 0}
    n = 0

    def report(verdict, label, detail):
        nonlocal n
        n += 1
        counts[verdict] += 1
        if verdict == "ok":
            print("ok %d - %s" % (n, label) + ("  # note: %s" % detail if detail else ""))
        elif verdict == "skip":
            print("ok %d - %s # SKIP %s" % (n, label, detail))
        else:
            print("not ok %d - %s" % (n, label))
            print("#   %s" % detail[:3000])
        sys.stdout.flush()

    for name in names:
        fn = CASES[name][0]
        verdicts = {}
        for mode in modes:
            verdict, detail = run_one(cordon, mode, name, fn, opts.timeout)
            verdicts[mode] = verdict
            report(verdict, "%s %s" % (mode, name), detail)
        if len(modes) == 2:
            a, b = verdicts["captured"], verdicts["pty"]
            if a == b == "skip":
                report("skip", "same_verdict %s" % name, "skipped in both modes")
            elif a == b:
                report("ok", "same_verdict %s" % name, "")
            else:
                report("fail", "same_verdict %s" % name,
                       "captured mode said %s but pty mode said %s: the two spawn paths differ" % (a, b))

    print("%d passed, %d failed, %d skipped" % (counts["ok"], counts["fail"], counts["skip"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
