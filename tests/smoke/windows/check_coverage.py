#!/usr/bin/env python3
"""Checks, on any OS, that the Windows smoke suite is complete by reading:
`smoke.py --list` prints one unique case name a line, `smoke.py
--classes` maps every class 1-46 of smoke-cases.md either to at least one
listed case or to a stated reason it has no Windows meaning, `smoke.py
--items` gives every item the issues ask of the suite (win_classes.ITEMS:
the probe, deletes and renames, network off under WFP, the proxy's
allowlist, the sandbox account's identity, setup twice, stale, uninstall,
...) a case in each mode it needs, and `--list --plumbing` names the cases
the Wine run executes.

  check_coverage.py PYTHON SMOKE_PY

Prints the case count by class, by item and by mode; exits 1 on any gap."""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True

CLASS_COUNT = 46


def run(python, script, *flags):
    r = subprocess.run([python, script] + list(flags), capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print("FAIL: %s %s exited %d: %s" % (script, " ".join(flags), r.returncode, r.stderr.strip()[-500:]))
        sys.exit(1)
    return r.stdout.splitlines()


def main():
    python, script = sys.argv[1], sys.argv[2]
    failures = []
    names = run(python, script, "--list")
    if not names:
        failures.append("--list printed nothing")
    for name in names:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            failures.append("--list line %r is not one case name" % name)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        failures.append("duplicate case names: %s" % ", ".join(duplicates))

    covered = {}
    no_meaning = {}
    for line in run(python, script, "--classes"):
        fields = line.split("\t")
        if len(fields) == 3 and fields[1] == "-":
            no_meaning[int(fields[0])] = fields[2]
            continue
        if len(fields) != 2 or not fields[0].isdigit():
            failures.append("--classes line %r is not CLASS<TAB>CASE" % line)
            continue
        number, name = int(fields[0]), fields[1]
        if name not in names:
            failures.append("class %d names case %s, which --list does not print" % (number, name))
        covered.setdefault(number, []).append(name)

    for number in range(1, CLASS_COUNT + 1):
        if number in no_meaning:
            if not no_meaning[number].strip():
                failures.append("class %d: no Windows meaning, and no reason given" % number)
            if number in covered:
                failures.append("class %d is both covered and said to have no Windows meaning" % number)
        elif number not in covered:
            failures.append("class %d has no case" % number)
    extra = sorted(set(covered) - set(range(1, CLASS_COUNT + 1)))
    if extra:
        failures.append("classes outside 1-%d: %s" % (CLASS_COUNT, extra))

    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    from win_classes import ITEMS  # noqa: PLC0415

    by_item = {}
    modes_of = {}
    for line in run(python, script, "--items"):
        fields = line.split("\t")
        if len(fields) != 3:
            failures.append("--items line %r is not ITEM<TAB>CASE<TAB>MODES" % line)
            continue
        item, name, modes = fields
        if name not in names:
            failures.append("item %s names case %s, which --list does not print" % (item, name))
        by_item.setdefault(item, []).append(name)
        if modes_of.setdefault(name, set(modes.split("+"))) != set(modes.split("+")):
            failures.append("case %s is listed with different modes" % name)
    for item, (what, needed) in ITEMS.items():
        for mode in needed:
            if not any(mode in modes_of.get(n, ()) for n in by_item.get(item, [])):
                failures.append("item %s (%s) has no case running in %s mode" % (item, what, mode))
    for line in run(python, script, "--modes"):
        name, _, modes = line.partition("\t")
        modes_of[name] = set(modes.split("+"))
    if set(modes_of) != set(names):
        failures.append("--modes and --list name different cases")
    plumbing = run(python, script, "--list", "--plumbing")
    if not plumbing or any(n not in names for n in plumbing):
        failures.append("--list --plumbing is empty or names unknown cases: %r" % plumbing)
    if names and names[0] != "probe_write_restricted_delete_child":
        failures.append("the probe is not the first case (%s is)" % names[0])
    if names and names[-1] != "setup_uninstall_leaves_nothing":
        failures.append("uninstall is not the last case (%s is)" % names[-1])

    print("%d cases; by class:" % len(names))
    for number in range(1, CLASS_COUNT + 1):
        cases = covered.get(number, [])
        print("  %2d: %d  %s" % (number, len(cases), " ".join(cases) or "(no Windows meaning: %s)" %
                                 no_meaning.get(number, "?")))
    unclassed = [n for n in names if not any(n in c for c in covered.values())]
    print("  not tied to a class: %d  %s" % (len(unclassed), " ".join(unclassed)))
    print("by item:")
    for item in ITEMS:
        print("  %-18s %s" % (item, " ".join(by_item.get(item, [])) or "(none)"))
    both = [n for n in names if modes_of.get(n, {"restricted", "elevated"}) == {"restricted", "elevated"}]
    print("by mode: %d in both modes; restricted only: %s; elevated only: %s" % (
        len(both), " ".join(n for n in names if modes_of.get(n) == {"restricted"}) or "-",
        " ".join(n for n in names if modes_of.get(n) == {"elevated"}) or "-"))
    print("plumbing (also run under Wine): %d  %s" % (len(plumbing), " ".join(plumbing)))
    for f in failures:
        print("FAIL: %s" % f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
