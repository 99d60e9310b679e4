"""The reference smoke-case classes (smoke-cases.md, 1-46) and what each
means on Windows. A class whose meaning is None has no Windows meaning and
must say why; every other class must be covered by at least one case
(`@case(classes=...)` in win_cases.py). check_coverage.py enforces this."""

CLASSES = {
    1: "RO: create a file in the working directory -> denied, no file",
    2: "WS: create a file in the working directory -> allowed",
    3: "WS: create a file outside the workspace (user-owned dir, profile) -> denied, no file",
    4: "WS -w EXTRA: write in the extra root -> allowed",
    5: "RO: write in that extra root -> denied",
    6: "WS: write in the temp directory (TEMP) -> allowed",
    7: "RO: write in the temp directory -> denied",
    8: "WS: append to a file -> allowed",
    9: "RO: append to a file -> denied, bytes unchanged",
    10: "WS: write through PowerShell Set-Content -> allowed",
    11: "RO: write through PowerShell Set-Content -> denied",
    12: "WS: mkdir then write inside -> allowed",
    13: "WS: rename a file in the workspace -> allowed",
    14: "WS: delete a file in the workspace -> allowed",
    15: "RO: write from Python -> denied",
    16: "WS: write from Python -> allowed",
    17: "WS, network off: curl.exe to a host loopback server -> denied, server sees nothing (elevated: WFP)",
    18: "WS, network off: Invoke-WebRequest to the host server -> denied, server sees nothing (elevated: WFP)",
    19: "WS, network proxy: reach the host server through the configured proxy -> allowed",
    20: "WS, network proxy: reach it directly, bypassing the proxy -> denied (elevated: WFP)",
    21: "RO: temp write through PowerShell and Python -> denied",
    22: "WS: curl.exe --version works",
    23: "WS: rg --version works",
    24: "WS: git --version works",
    25: "WS: write raw bytes through os.open/os.write -> allowed",
    26: "RO: write raw bytes through os.open/os.write -> denied",
    27: "WS: deep mkdir + write -> allowed",
    28: "WS: move a file within the workspace -> allowed",
    29: "RO: cmd.exe redirection (> and >>) -> denied, bytes unchanged",
    30: "WS: -C is a junction pointing outside -> 125 naming the link, or write denied",
    31: "WS: a junction in the workspace into System32 / outside; write through it -> denied",
    32: "WS: read \\\\.\\PhysicalDrive0 -> denied",
    33: "WS: write to a host named pipe (Windows' default pipe security) -> nothing received",
    34: "WS: alternate data streams on an outside file and directory -> denied, no stream",
    35: "WS: \\\\?\\, \\??\\ and //?/ spellings of an outside path -> denied",
    36: "WS: .git through case, trailing-dot, trailing-space, \\\\?\\, stream and 8.3 spellings -> bytes unchanged",
    37: "WS: tamper with cordon's state directory (per-install secret) -> bytes unchanged",
    38: "WS: tamper with .codex/ and .agents/ in the workspace -> bytes unchanged",
    39: "WS: a workspace ssh.bat first on PATH -> cordon's ssh stub still wins",
    40: "WS: flip a junction between inside and outside while writing through it -> outside never written",
    41: "WS: Everyone-writable directories (own, C:\\Users\\Public, C:\\ProgramData) and a deep junction to one"
        " -> denied",
    42: "WS: -C is a junction to the drive root -> 125, or nothing written at C:\\",
    43: "WS: \\\\localhost\\C$ spellings and a symlink to the share -> denied",
    44: "WS: a junction to another drive -> denied",
    45: "WS -t: the run times out (124); its processes are gone and write nothing afterwards",
    46: "RO: Start-Process / start / explorer / rundll32 of a URL -> the host server sees nothing",
}

# Classes with no Windows meaning, and why. Empty: the reference list was
# written for Windows.
NO_WINDOWS_MEANING = {}

# What the issues ask of the Windows-host suite beyond the classes (issue 9
# item 6, issue 10 item 6), and in which modes each must run: every item
# needs at least one case running in each mode named. check_coverage.py
# enforces this.
ITEMS = {
    "probe-first": ("issue 9: the probe of what a write-restricted token re-checks, first", ("restricted",)),
    "delete-outside": ("deletes and renames outside the roots: per reading (restricted), denied (elevated)",
                       ("restricted", "elevated")),
    "delete-git": ("deletes and renames of .git: per reading (restricted), denied (elevated)",
                   ("restricted", "elevated")),
    "spelling-variants": ("case, trailing-dot and stream variants of protected names", ("restricted", "elevated")),
    "everyone-writable": ("Everyone-writable directories outside the roots", ("restricted", "elevated")),
    "shell-open-url": ("Start-Process of a URL reaches nothing outside", ("restricted", "elevated")),
    "path-stubs": ("ssh/scp stubs first on PATH", ("restricted", "elevated")),
    "timeout": ("timeout kills the whole tree", ("restricted", "elevated")),
    "conpty": ("ConPTY sessions", ("restricted", "elevated")),
    "mode-contract": ("without setup a plain run refuses (125) and --best-effort runs", ("restricted",)),
    "net-off-blocked": ("issue 10: network off blocks TCP, UDP and ICMP to non-loopback addresses and to loopback "
                        "ports other than the proxy's (WFP)", ("elevated",)),
    "proxy-allowlist": ("issue 10: the proxy's allowlist holds", ("elevated",)),
    "run-isolation": ("issue 10: one run cannot write into the processes of a concurrent run of the same workspace",
                      ("restricted", "elevated")),
    "proxy-own-run": ("issue 10: the proxy serves only its own run; a concurrent network-off run is refused",
                      ("restricted", "elevated")),
    "identity": ("issue 10: the command's identity is the sandbox account, per network mode", ("elevated",)),
    "setup-idempotent": ("issue 10: a second cordon setup changes nothing", ("elevated",)),
    "setup-stale": ("issue 10: a stale setup refuses runs (125, what changed) until cordon setup runs again",
                    ("elevated",)),
    "setup-uninstall": ("issue 10: cordon setup --uninstall leaves nothing behind", ("elevated",)),
}
