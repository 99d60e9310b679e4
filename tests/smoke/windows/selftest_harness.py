#!/usr/bin/env python3
"""The parts of the Windows smoke harness that decide verdicts without
touching Windows, checked on any OS: how `cordon doctor` output is read,
and which delete-child verdict each mode and reading expects (the same
table as tests/winmodel/test_smoke_scenarios.c). Ends with `N passed, M
failed`."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import win_harness as H  # noqa: E402

checks = [0, 0]


def expect(condition, what):
    checks[0 if condition else 1] += 1
    if not condition:
        print("FAIL: %s" % what)


DOCTOR = """platform: Windows 10.0.22631
  ok       write-restricted delete-child: not re-checked (probe: deleted a scratch file through its parent)
  MISSING  elevated mode: not set up; run 'cordon setup' as an administrator
  ok       state directory: C:\\Users\\alice\\AppData\\Local\\cordon
"""

r = H.DoctorReport(DOCTOR, 1)
expect(r.reading == H.NOT_RECHECKED, "reading from a status-prefixed line: %r" % r.reading)
expect(r.elevated_ready is False, "elevated mode not set up: %r" % r.elevated_ready)
expect(r.state_dir == "C:\\Users\\alice\\AppData\\Local\\cordon", "state directory: %r" % r.state_dir)

r = H.DoctorReport("write-restricted delete-child: re-checked\nelevated mode: ready\n", 0)
expect(r.reading == H.RECHECKED, "bare line, re-checked: %r" % r.reading)
expect(r.elevated_ready is True, "elevated ready: %r" % r.elevated_ready)

r = H.DoctorReport("platform: Windows\n  ok  restricted token: yes\n", 0)
expect(r.reading is None and r.elevated_ready is None and r.state_dir is None, "nothing reported")

r = H.DoctorReport("write-restricted delete-child: unknown (probe failed: access denied)\n", 1)
expect(r.reading is None, "an unknown probe result is no reading: %r" % r.reading)


class FakeSuite:
    def __init__(self, reading):
        self.doctor = H.DoctorReport("write-restricted delete-child: %s\n" % reading if reading else "", 0)
        self.cordon = "cordon.exe"
        self.base = None


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
expect(open_for(H.RESTRICTED, None) == "skip", "no reading reported: the case skips")

argv = H.Ctx.argv(type("C", (), {"cordon": "c.exe", "mode": H.RESTRICTED, "ws": "W"})(), ["x"])
expect(argv == ["c.exe", "run", "--best-effort", "-C", "W", "-m", "workspace-write", "--", "x"],
       "restricted argv: %r" % argv)
argv = H.Ctx.argv(type("C", (), {"cordon": "c.exe", "mode": H.ELEVATED, "ws": "W"})(), ["x"], H.RO)
expect(argv == ["c.exe", "run", "-C", "W", "-m", "read-only", "--", "x"], "elevated argv: %r" % argv)

print("%d passed, %d failed" % tuple(checks))
sys.exit(1 if checks[1] else 0)
