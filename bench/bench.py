#!/usr/bin/env python3
"""Per-run overhead of cordon against the sandboxes users would pick instead.

Every tool runs the same command over the same workspace, interleaved in
one loop (tool A, tool B, ... then again, each round starting one tool
later), so machine noise hits all tools alike. For each tool and workload it reports the median and p90 wall time
over --runs runs, and the peak resident memory: the largest max RSS of
any process of the run, measured by GNU time (/usr/bin/time -f %M) in a
separate pass, so the timing runs carry no wrapper. (wait4 on a child of
this script would report the forked Python's memory before exec.)

Workloads:
  true         the cheapest command: pure sandbox set-up and tear-down
  real         a small real command: `git status` and `ls -R` in a small repo
  roots300     `true` with 300 extra writable roots, empty ones: for cordon
               every protected name in each is missing and is held by a
               placeholder directory (cordon and bubblewrap)
  roots300held the same with every protected name already present in each
               root: read-only binds only, no placeholders

Besides the sandboxes, two floors run in the same loop for `true` and
`real`: "bare" (the command alone) and "unshare" (util-linux `unshare
-Urmpfn`: user, mount, pid, net namespaces, nothing else).

Usage: bench/bench.py --cordon build/cordon [--runs 40] [--markdown out.md]
         [--baseline other/cordon] [--tools cordon,bubblewrap]
         [--workloads true,roots300]
--baseline adds a second cordon build (as "cordon-baseline", with its own
state directory) to compare two versions in the same interleaved loop.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CODEX_DEFAULT = "/opt/codex-bench/node_modules/.bin/codex"


def make_workspace(base):
    ws = os.path.join(base, "ws")
    os.makedirs(os.path.join(ws, "src", "lib"))
    for i in range(50):
        with open(os.path.join(ws, "src", "lib", f"f{i}.c"), "w") as f:
            f.write(f"int f{i}(void) {{ return {i}; }}\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")
    subprocess.run(["git", "init", "-q", ws], check=True, env=env)
    subprocess.run(["git", "-C", ws, "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", ws, "commit", "-qm", "init"], check=True, env=env)
    roots, held = [], []
    for i in range(300):
        r = os.path.join(base, "roots", f"r{i:03d}")
        os.makedirs(r)
        roots.append(r)
        h = os.path.join(base, "held", f"h{i:03d}")
        for name in (".git", ".codex", ".agents", ".cordon"):
            os.makedirs(os.path.join(h, name))
        held.append(h)
    return ws, roots, held


REAL = ["sh", "-c", "git status --short >/dev/null && ls -R >/dev/null"]


def cordon_workloads(cordon, ws, roots, held):
    run = [os.path.abspath(cordon), "run", "-q", "-C", ws]
    return {
        "true": run + ["--", "true"],
        "real": run + ["--"] + REAL,
        "roots300": run + sum((["-w", r] for r in roots), []) + ["--", "true"],
        "roots300held": run + sum((["-w", h] for h in held), []) + ["--", "true"],
    }


def tools(args, base_dir, ws, roots, held):
    """name -> {workload: argv}. A tool missing here is reported, not faked."""
    out = {}
    out["cordon"] = cordon_workloads(args.cordon, ws, roots, held)
    if args.baseline:
        # Its own state directory: two versions must not share placeholder
        # bookkeeping.
        out["cordon-baseline"] = cordon_workloads(args.baseline, ws, roots, held)
    bwrap = shutil.which("bwrap")
    if bwrap:
        # Comparable to cordon's default: host read-only, workspace and /tmp
        # writable, every namespace, fresh /dev and /proc, dies with parent.
        base = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", ws, ws,
                "--bind", "/tmp", "/tmp", "--unshare-all", "--die-with-parent", "--new-session",
                "--chdir", ws]
        out["bubblewrap"] = {
            "true": base + ["true"],
            "real": base + REAL,
            "roots300": base + sum((["--bind", r, r] for r in roots), []) + ["true"],
            "roots300held": base + sum((["--bind", h, h] for h in held), []) + ["true"],
        }
    firejail = shutil.which("firejail")
    if firejail:
        base = [firejail, "--quiet", "--noprofile", "--read-only=/", f"--read-write={ws}",
                "--read-write=/tmp", "--net=none", "--private-dev", "--caps.drop=all", "--seccomp",
                "--nonewprivs"]
        out["firejail"] = {"true": base + ["true"], "real": base + ["--"] + REAL}
    # The floors, for reading the others: the command alone, and the same
    # namespaces entered by util-linux unshare with no other protection.
    out["bare"] = {"true": ["true"], "real": REAL}
    unshare = shutil.which("unshare")
    if unshare:
        base = [unshare, "-Urmpfn"]
        out["unshare"] = {"true": base + ["true"], "real": base + REAL}
    codex = args.codex if os.path.exists(args.codex) else shutil.which("codex")
    if codex:
        # run from the workspace as its cwd: with --cd, codex also wants a
        # permission profile
        base = [codex, "sandbox", "-c", 'sandbox_mode="workspace-write"', "--"]
        out["codex"] = {"true": base + ["true"], "real": base + REAL}
    return out


def tool_environment(tool):
    """The environment a tool runs with: the baseline build gets its own
    state directory, as two versions must not share placeholder
    bookkeeping."""
    if tool != "cordon-baseline":
        return None
    state = os.path.join(os.path.expanduser("~"), ".cache", "cordon-bench-baseline-state")
    return dict(os.environ, XDG_STATE_HOME=state)


def peak_rss_kib(argv, cwd, env):
    """Largest max RSS (KiB) of the run's processes, by GNU time."""
    time_bin = "/usr/bin/time"
    if not os.path.exists(time_bin):
        return None
    out = subprocess.run([time_bin, "-f", "CORDON_BENCH_RSS=%M"] + argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in out.stderr.splitlines():
        if line.startswith("CORDON_BENCH_RSS="):
            return int(line.split("=", 1)[1])
    return None


def run_once(argv, cwd, env):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, code, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cordon", required=True)
    ap.add_argument("--codex", default=CODEX_DEFAULT)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--markdown")
    ap.add_argument("--baseline", help="a second cordon binary to compare in the same loop")
    ap.add_argument("--tools", help="comma-separated subset of tools to run")
    ap.add_argument("--workloads", default="true,real,roots300,roots300held",
                    help="comma-separated subset of workloads to run")
    args = ap.parse_args()

    base = tempfile.mkdtemp(prefix="cordon-bench-")
    try:
        ws, roots, held = make_workspace(base)
        table = tools(args, base, ws, roots, held)
        if args.tools:
            wanted = args.tools.split(",")
            table = {t: w for t, w in table.items() if t in wanted}
        workloads = args.workloads.split(",")
        samples = {(t, w): [] for t in table for w in workloads if w in table[t]}
        rss = {k: 0 for k in samples}
        broken = {}
        keys = list(samples)
        for i in range(args.warmup + args.runs):
            # Each round starts one tool later, so none always runs right
            # after the same other one.
            for key in keys[i % len(keys):] + keys[:i % len(keys)]:
                if key in broken:
                    continue
                tool, workload = key
                elapsed, _, code, err = run_once(table[tool][workload], ws, tool_environment(tool))
                if code != 0:
                    broken[key] = f"exit {code}: {' '.join(err.split())[:160]}"
                    continue
                if i >= args.warmup:
                    samples[key].append(elapsed)
        for key in samples:
            if key not in broken:
                for _ in range(3):
                    kib = peak_rss_kib(table[key[0]][key[1]], ws, tool_environment(key[0]))
                    if kib is not None:
                        rss[key] = max(rss[key], kib)
        lines = ["| tool | workload | median ms | p90 ms | peak RSS MiB (largest process) | runs |",
                 "|---|---|---:|---:|---:|---:|"]
        for (tool, workload), xs in samples.items():
            if (tool, workload) in broken:
                lines.append(f"| {tool} | {workload} | failed: {broken[(tool, workload)]} | | | |")
                continue
            xs.sort()
            p90 = xs[min(len(xs) - 1, int(len(xs) * 0.9))]
            lines.append(f"| {tool} | {workload} | {statistics.median(xs) * 1000:.2f} | {p90 * 1000:.2f} "
                         f"| {rss[(tool, workload)] / 1024:.1f} | {len(xs)} |")
        ratios = []
        for workload in workloads:
            ours, theirs = samples.get(("cordon", workload)), samples.get(("bubblewrap", workload))
            if ours and theirs and ("cordon", workload) not in broken and ("bubblewrap", workload) not in broken:
                ratios.append(f"cordon / bubblewrap, {workload}: median "
                              f"{statistics.median(ours) / statistics.median(theirs):.2f}")
        if ratios:
            lines.append("\n" + "\n".join(ratios))
        missing = [t for t in ("bubblewrap", "firejail", "codex")
                   if t not in table and (not args.tools or t in args.tools.split(","))]
        report = "\n".join(lines)
        if missing:
            report += "\n\nNot installed, so not measured: " + ", ".join(missing)
        print(report)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(report + "\n")
        return 1 if any(k[0] == "cordon" for k in broken) else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
