"""A simulated Windows machine and cordon for the setup life-cycle cases
(win_setup_cases.py), so their verdict logic is checked on any OS: with a
cordon that keeps the contract they pass; with one that leaves a filter,
an account or the record behind, rewrites the record on a second setup,
or runs a command while setup is stale, they fail naming it. Nothing here
touches Windows; selftest_harness.py calls check(expect)."""
import json
import os
import re
import tempfile

import win_harness as H
import win_setup_cases as S

ACCOUNTS = [H.SANDBOX_OFFLINE, H.SANDBOX_ONLINE]
KEYS = {"provider": "5ebbf8ea-7429-496f-9baf-b42f4c2a6990", "sublayer": "f76b342b-1f06-4964-8fd8-138e821bbad4",
        "filters": ["a66de066-af1f-8795-aad6-47af651cc244", "0b7c0a52-3d1f-8c8e-9d1a-2b3c4d5e6f70"]}
GROUP_SID = "S-1-5-21-1-2-3-1009"


class Machine:
    """What `cordon setup` makes, and the faults a broken cordon could have."""

    def __init__(self, state_dir, faults=()):
        self.state_dir = state_dir
        self.faults = set(faults)
        self.accounts, self.hidden, self.wfp = set(), set(), set()
        self.group = False
        self.setup()

    def record(self):
        return os.path.join(self.state_dir, "setup", "record.json")

    def complete(self):
        return (self.accounts == set(ACCOUNTS) and self.group and
                self.wfp == {KEYS["provider"], KEYS["sublayer"]} | set(KEYS["filters"]))

    def missing(self):
        return [a for a in ACCOUNTS if a not in self.accounts]

    def setup(self):
        already = self.complete() and os.path.exists(self.record())
        self.accounts |= set(ACCOUNTS)
        self.hidden |= set(ACCOUNTS)
        self.group = True
        self.wfp |= {KEYS["provider"], KEYS["sublayer"]} | set(KEYS["filters"])
        os.makedirs(os.path.dirname(self.record()), exist_ok=True)
        if not already or "rewrites-record" in self.faults:
            with open(self.record(), "w") as f:
                f.write(json.dumps({"fingerprint": os.urandom(8).hex()}))
            for a in ("offline", "online"):
                with open(os.path.join(self.state_dir, "setup", a + ".dpapi"), "wb") as f:
                    f.write(b"x")
        return "nothing to do: elevated mode is set up\n" if already else "set up\n"

    def uninstall(self):
        self.accounts.clear()
        self.hidden.clear()
        self.group = False
        self.wfp = {KEYS["filters"][0]} if "leaves-filter" in self.faults else set()
        if "leaves-account" in self.faults:
            self.accounts.add(H.SANDBOX_ONLINE)
        if "leaves-record" not in self.faults:
            for name in os.listdir(os.path.dirname(self.record())):
                os.unlink(os.path.join(os.path.dirname(self.record()), name))

    def elevated_line(self):
        if not os.path.exists(self.record()):
            return "not set up (run 'cordon setup' once, as administrator)"
        if not self.complete():
            return "stale (the account %s is missing; run 'cordon setup' again)" % ", ".join(self.missing())
        return "ready"

    def plan_json(self):
        steps = [] if self.complete() else [{"step": "create-account", "name": a} for a in self.missing()] or \
            [{"step": "add-filter"}]
        return json.dumps({"setup": "install", "proxy_port": 3128, "counts": {"steps": len(steps)},
                           "group": {"name": H.SANDBOX_GROUP}, "accounts": [{"name": a} for a in ACCOUNTS],
                           "wfp": {"provider": {"key": KEYS["provider"]}, "sublayer": {"key": KEYS["sublayer"]},
                                   "filters": [{"key": k} for k in KEYS["filters"]]},
                           "steps": steps})

    # ------------------------------------------------------------ the fake tools
    def cordon(self, args, timeout=120, env=None):
        if args == ["doctor"]:
            return H.Result(0, "  ok       elevated mode: %s\n  ok       state directory: %s\n" %
                            (self.elevated_line(), self.state_dir), "")
        if args == ["setup", "--plan"]:
            return H.Result(0, self.plan_json(), "")
        if args == ["setup"]:
            return H.Result(0, self.setup(), "")
        if args == ["setup", "--uninstall"]:
            self.uninstall()
            return H.Result(0, "removed\n", "")
        if args[:1] == ["run"]:
            return self.run(args)
        raise AssertionError("unexpected cordon %r" % args)

    def run(self, args):
        line = self.elevated_line()
        if line != "ready" and "runs-when-stale" not in self.faults:
            why = "elevated mode is %s" % line
            return H.Result(125, "", "cordon: cannot sandbox on Windows: %s; run 'cordon setup'\n" % why)
        network = args[args.index("-n") + 1] if "-n" in args else "off"
        return H.Result(0, "%s\nsimhost\\%s\n" % (H.RAN, H.ACCOUNT_FOR_NETWORK[network]), "")

    def host_cmd(self, argv, timeout=120):
        if argv[:2] == ["net", "user"] and argv[-1] == "/delete":
            self.accounts.discard(argv[2])
            return 0, "The command completed successfully."
        if argv[:2] == ["net", "user"]:
            return (0, "User name " + argv[2]) if argv[2] in self.accounts else (2, "The user name could not be found.")
        if argv[:2] == ["net", "localgroup"]:
            return (0, "Alias name " + argv[2]) if self.group else (2, "The specified local group does not exist.")
        if argv[:2] == ["reg", "query"]:
            return (0, argv[-1]) if argv[-1] in self.hidden else (1, "ERROR: unable to find")
        if argv[:3] == ["netsh", "wfp", "show"]:
            path = argv[-1].split("=", 1)[1]
            with open(path, "w", encoding="utf-8") as f:
                f.write("<wfpstate>%s<item>FWPM_LAYER_ALE_AUTH_CONNECT_V4</item></wfpstate>" %
                        "".join("<key>{%s}</key>" % k.upper() for k in sorted(self.wfp)))
            return 0, "Data collection successful."
        if argv[0] == "icacls":
            return 0, "C:\\Users\\alice NT AUTHORITY\\SYSTEM:(OI)(CI)(F)\n" + \
                ("  %s:(RX)\n" % GROUP_SID if self.group or "leaves-grant" in self.faults else "")
        if argv[0] == "powershell.exe":
            return (0, GROUP_SID) if self.group else (1, "not found")
        raise AssertionError("unexpected host command %r" % argv)


def run_case(name, faults=()):
    """(verdict, failures or reason) of one life-cycle case on a simulated
    machine that was set up."""
    with tempfile.TemporaryDirectory() as state:
        machine = Machine(state, faults)
        suite = H.Suite("cordon.exe", base=state, host=H.Host(False), allow_setup_changes=True)
        suite.cordon_run = machine.cordon
        saved = S.host_cmd
        S.host_cmd = machine.host_cmd

        class SimCtx(H.Ctx):
            def run(self, cmd, policy=None, cwd=None, env=None, timeout=60, extra=(), raw_argv=None, stdin=None):
                return machine.run(["run"] + list(extra))

        suite.run_doctor()
        ctx = SimCtx(suite, H.ELEVATED, name)
        try:
            H.CASES[name].fn(ctx)
            return ("ok", ctx.failures)
        except H.CaseSkipped as e:
            return ("skip", str(e))
        except H.CaseFailed as e:
            return ("fail", [str(e)])
        finally:
            S.host_cmd = saved
            ctx.close()


def check(expect):
    for name in ("setup_second_run_changes_nothing", "setup_stale_refuses_then_repairs",
                 "setup_uninstall_leaves_nothing"):
        verdict, failures = run_case(name)
        expect(verdict == "ok" and failures == [], "%s on a machine that keeps the contract: %r" % (name, failures))
    for name, fault, pattern in (
            ("setup_second_run_changes_nothing", "rewrites-record", r"record.json|setup record"),
            ("setup_stale_refuses_then_repairs", "runs-when-stale", r"expected 125"),
            ("setup_uninstall_leaves_nothing", "leaves-filter", r"WFP objects still there.*a66de066"),
            ("setup_uninstall_leaves_nothing", "leaves-account", r"net user CordonSandboxOnline"),
            ("setup_uninstall_leaves_nothing", "leaves-record", r"record .* is still there|stored passwords"),
            ("setup_uninstall_leaves_nothing", "leaves-grant", r"ACE for the removed group")):
        verdict, failures = run_case(name, [fault])
        text = " ".join(failures) if isinstance(failures, list) else failures
        expect(verdict in ("ok", "fail") and failures and re.search(pattern, text) is not None,
               "%s with a cordon that %s: must fail saying so: %s %r" % (name, fault, verdict, failures))
