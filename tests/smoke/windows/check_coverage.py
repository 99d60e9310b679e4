#!/usr/bin/env python3
"""Checks, on any OS, that the Windows smoke suite is complete by reading:
`smoke.py --list` prints one unique case name a line, and `smoke.py
--classes` maps every class 1-46 of smoke-cases.md either to at least one
listed case or to a stated reason it has no Windows meaning.

  check_coverage.py PYTHON SMOKE_PY

Prints the case count by class; exits 1 on any gap."""
import re
import subprocess
import sys

CLASS_COUNT = 46


def run(python, script, flag):
    r = subprocess.run([python, script, flag], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print("FAIL: %s %s exited %d: %s" % (script, flag, r.returncode, r.stderr.strip()[-500:]))
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

    print("%d cases; by class:" % len(names))
    for number in range(1, CLASS_COUNT + 1):
        cases = covered.get(number, [])
        print("  %2d: %d  %s" % (number, len(cases), " ".join(cases) or "(no Windows meaning: %s)" %
                                 no_meaning.get(number, "?")))
    unclassed = [n for n in names if not any(n in c for c in covered.values())]
    print("  not tied to a class: %d  %s" % (len(unclassed), " ".join(unclassed)))
    for f in failures:
        print("FAIL: %s" % f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
