"""The Windows smoke harness: runs the real cordon.exe in one of its two
modes, gives each case a fresh workspace the invoking user owns, parses
what `cordon doctor` reports, and provides the host-side checks (file
absent, bytes unchanged, a server that counts what reached it).

Every verdict is taken on the host after cordon returns. What the command
prints is used only to prove it ran (the RAN sentinel), so a cordon that
refuses everything fails the denial cases instead of passing them.

Importable on any OS: `smoke.py --list` must work without Windows, so
Windows-only modules are imported inside the functions that need them."""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

RAN = "cordon-smoke-ran"
EXIT_TIMEOUT = 124
EXIT_REFUSED = 125

# The two modes a case runs in. restricted: `cordon run --best-effort`, the
# user's own account under a write-restricted token. elevated: `cordon run`
# after `cordon setup`, the command as a separate sandbox account.
RESTRICTED = "restricted"
ELEVATED = "elevated"
MODES = (RESTRICTED, ELEVATED)

# What a write-restricted token re-checks, as `cordon doctor` reports it
# (docs/windows.md, "The probe and cordon doctor").
NOT_RECHECKED = "not re-checked"  # Forshaw's reading: FILE_DELETE_CHILD not re-checked
RECHECKED = "re-checked"

WS = ["-m", "workspace-write"]
RO = ["-m", "read-only"]


class CaseFailed(Exception):
    pass


class CaseSkipped(Exception):
    pass


# ------------------------------------------------------------------ registry
class Case:
    """One registered case. classes: the smoke-cases.md class numbers it
    covers; items: the issue items it answers (win_classes.ITEMS); modes:
    where it runs; plumbing: every verdict it takes is plumbing (exit
    statuses, output, files in the workspace, PATH stubs, the tree dying on
    timeout), so it also means something under Wine, which enforces
    nothing; admin: it runs `cordon setup` or inspects accounts and
    filters, so it needs an elevated (administrator) suite; changes_setup:
    it removes or breaks this machine's setup (and restores it), so it runs
    only with --allow-setup-changes."""

    def __init__(self, fn, classes, items, modes, plumbing, admin, changes_setup):
        self.fn = fn
        self.name = fn.__name__
        self.doc = (fn.__doc__ or "").strip().split("\n")[0]
        self.classes = tuple(classes)
        self.items = tuple(items)
        self.modes = tuple(modes)
        self.plumbing = plumbing
        self.admin = admin
        self.changes_setup = changes_setup


CASES = {}  # name -> Case; insertion order is run order


def case(classes=(), modes=MODES, items=(), plumbing=False, admin=False, changes_setup=False):
    """Registers a case (see Case)."""

    def register(fn):
        if fn.__name__ in CASES:
            raise ValueError("duplicate case name %s" % fn.__name__)
        CASES[fn.__name__] = Case(fn, classes, items, modes, plumbing, admin, changes_setup)
        return fn

    return register


# ------------------------------------------------------------------ doctor
DOCTOR_KEYS = ("write-restricted delete-child", "elevated mode", "state directory")

# What `elevated mode:` can say (docs/windows.md, "The probe and cordon doctor").
SETUP_READY = "ready"
SETUP_NOT_SET_UP = "not set up"
SETUP_STALE = "stale"
# What `write-restricted delete-child:` says when the probe gave no answer.
READING_UNKNOWN = "unknown"


class DoctorReport:
    """The lines of `cordon doctor` this suite relies on. The contract
    (docs/windows.md): a line holding `KEY: VALUE`, the key at the start
    of the line or after white space (so a status column such as `ok` or
    `MISSING` may precede it); the first such line counts. Keys:

      write-restricted delete-child: re-checked | not re-checked | unknown (why)
      elevated mode: ready | not set up (why) | stale (what changed)
      state directory: <absolute path>

    Anything after `write-restricted delete-child:` other than the two
    answers is no result (reading None); anything after `elevated mode:`
    other than the three states is an unknown state (elevated_state None)."""

    def __init__(self, text, rc):
        self.text = text
        self.rc = rc
        self.error = None
        self.values = {}
        for line in text.splitlines():
            for key in DOCTOR_KEYS:
                m = re.search(r"(?:^|\s)%s:\s*(.*?)\s*$" % re.escape(key), line)
                if m and key not in self.values:
                    self.values[key] = m.group(1)

    @property
    def reading(self):
        value = self.values.get("write-restricted delete-child", "")
        if re.match(r"%s\b(?!-)" % re.escape(NOT_RECHECKED), value):
            return NOT_RECHECKED
        if re.match(r"%s\b(?!-)" % re.escape(RECHECKED), value):
            return RECHECKED
        return None

    @property
    def elevated_state(self):
        """ready, not set up, stale, or None (no line, or a state this
        suite does not know)."""
        value = self.values.get("elevated mode")
        if value is None:
            return None
        for state in (SETUP_READY, SETUP_NOT_SET_UP, SETUP_STALE):
            if re.match(r"%s\b" % re.escape(state), value):
                return state
        return None

    @property
    def elevated_detail(self):
        """The free text after the state: the '(...)' of 'stale (...)'."""
        value = self.values.get("elevated mode", "")
        state = self.elevated_state
        return value[len(state):].strip() if state else value

    @property
    def elevated_ready(self):
        if "elevated mode" not in self.values:
            return None
        return self.elevated_state == SETUP_READY

    @property
    def state_dir(self):
        return self.values.get("state directory") or None


def elevated_skip_reason(doctor, plain_run=None):
    """Why the elevated cases cannot run, or None when they can.

    doctor: a DoctorReport. plain_run: a Result of `cordon run -- cmd /c exit
    0` without --best-effort, consulted only when doctor says nothing about
    elevated mode (an older cordon)."""
    if doctor is None or doctor.error:
        return "cordon doctor did not run: %s" % (doctor.error if doctor else "no report")
    state = doctor.elevated_state
    if state == SETUP_READY:
        return None
    if state == SETUP_NOT_SET_UP:
        return "elevated mode is not set up (doctor: 'elevated mode: %s'); run 'cordon setup' once, as an " \
               "administrator" % doctor.values["elevated mode"]
    if state == SETUP_STALE:
        return "elevated mode is stale (doctor: 'elevated mode: %s'); run 'cordon setup' again, as an " \
               "administrator" % doctor.values["elevated mode"]
    if "elevated mode" in doctor.values:
        return "doctor's 'elevated mode: %s' is none of ready, not set up, stale" % doctor.values["elevated mode"]
    if plain_run is None:
        return "cordon doctor printed no 'elevated mode:' line"
    if plain_run.rc == EXIT_REFUSED and "setup" in plain_run.err:
        lines = plain_run.err.strip().splitlines() or [""]
        return "elevated mode is not set up: cordon run said %r" % lines[-1][:200]
    if plain_run.rc != 0:
        return "a plain cordon run failed (rc %s): %r" % (plain_run.rc, plain_run.err[-200:])
    return None


def restricted_skip_reason(doctor, plain_run=None):
    """Why `cordon run --best-effort` would not give restricted-token mode,
    or None. Once setup is done, every run (--best-effort included) runs in
    elevated mode; a stale setup refuses every run. So restricted-token
    cases run before `cordon setup` or after `cordon setup --uninstall`.
    plain_run: as for elevated_skip_reason, when doctor is silent."""
    if doctor is not None and "elevated mode" not in doctor.values and plain_run is not None and \
            plain_run.rc == 0:
        return "a plain 'cordon run' runs here (doctor printed no 'elevated mode:' line), so elevated mode is in " \
               "use and 'cordon run --best-effort' runs in it too"
    state = doctor.elevated_state if doctor else None
    if state == SETUP_READY:
        return "elevated mode is set up on this host, so 'cordon run --best-effort' runs in elevated mode too; " \
               "run --mode restricted before 'cordon setup' or after 'cordon setup --uninstall'"
    if state == SETUP_STALE:
        return "elevated mode is stale here (doctor: 'elevated mode: %s'), and a stale setup refuses every " \
               "run; run 'cordon setup' again, or 'cordon setup --uninstall'" % doctor.values["elevated mode"]
    return None


# ------------------------------------------------------------------ setup
SANDBOX_OFFLINE = "CordonSandboxOffline"  # runs --network off and proxy
SANDBOX_ONLINE = "CordonSandboxOnline"  # runs --network on
SANDBOX_GROUP = "CordonSandboxUsers"
ACCOUNT_FOR_NETWORK = {"off": SANDBOX_OFFLINE, "proxy": SANDBOX_OFFLINE, "on": SANDBOX_ONLINE}


class SetupPlan:
    """`cordon setup --plan` (or `--uninstall --plan`) as printed by
    src/windows/plan/setup_plan.c (cordon_setup_plan_render): the step
    count (`counts.steps`, and the `steps` list, which must agree), the
    proxy port, and the names and keys of what setup makes."""

    def __init__(self, text):
        import json  # noqa: PLC0415

        start = text.find("{")
        if start < 0:
            raise ValueError("no JSON object in the setup plan output: %r" % text[:200])
        doc = json.loads(text[start:])
        self.doc = doc
        counts = doc.get("counts") or {}
        steps = doc.get("steps")
        if not isinstance(counts.get("steps"), int) or not isinstance(steps, list):
            raise ValueError("the setup plan has no counts.steps number or no steps list")
        if counts["steps"] != len(steps):
            raise ValueError("the setup plan says counts.steps %d but lists %d steps" % (counts["steps"], len(steps)))
        self.step_count = counts["steps"]
        self.steps = steps
        self.kind = doc.get("setup")
        self.proxy_port = doc.get("proxy_port")
        wfp = doc.get("wfp") or {}
        self.provider_key = (wfp.get("provider") or {}).get("key")
        self.sublayer_key = (wfp.get("sublayer") or {}).get("key")
        self.filter_keys = [f.get("key") for f in wfp.get("filters") or [] if f.get("key")]
        self.accounts = [a.get("name") for a in doc.get("accounts") or [] if a.get("name")]
        self.group = (doc.get("group") or {}).get("name")

    def wfp_keys(self):
        return [k for k in [self.provider_key, self.sublayer_key] + self.filter_keys if k]


def wfp_leftovers(netsh_text, keys):
    """The keys (GUIDs, any case, with or without braces) that still occur
    in the output of `netsh wfp show state` / `show filters`."""
    low = netsh_text.lower()
    return [k for k in keys if k.strip("{}").lower() in low]


def whoami_name(text):
    """The account name `whoami` printed ('host\\name' -> 'name'), lower
    case; None when it printed no such line."""
    for line in text.splitlines():
        line = line.strip()
        if line and line != RAN:
            return line.rsplit("\\", 1)[-1].lower()
    return None


# ------------------------------------------------------------------ results
class Result:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err

    @property
    def text(self):
        return self.out + self.err

    @property
    def ran(self):
        return RAN in self.out

    def brief(self):
        return "rc=%s output=...%s" % (self.rc, self.text[-600:].replace("\r", "").replace("\n", "\\n"))


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def exists(path):
    return os.path.lexists(path)


def sha_tree(path):
    """A hash over every name and content under path (links not followed),
    so any change to a protected tree shows."""
    h = hashlib.sha256()
    if not os.path.lexists(path):
        return "absent"
    if os.path.isfile(path):
        return hashlib.sha256(read_bytes(path) or b"").hexdigest()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(dirs + files):
            full = os.path.join(root, name)
            h.update(os.path.relpath(full, path).encode("utf-8", "surrogatepass") + b"\0")
            if os.path.islink(full) or is_junction(full):
                h.update(b"L")
            elif os.path.isfile(full):
                h.update(b"F" + (read_bytes(full) or b""))
            else:
                h.update(b"D")
    return h.hexdigest()


def stream_exists(path_with_stream):
    """Whether an alternate data stream exists (opening it for reading
    never creates it)."""
    try:
        with open(path_with_stream, "rb"):
            return True
    except OSError:
        return False


def is_junction(path):
    fn = getattr(os.path, "isjunction", None)  # Python 3.12+
    if fn:
        return fn(path)
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return bool(getattr(st, "st_file_attributes", 0) & 0x400) and not os.path.islink(path)


def make_junction(link, target):
    """A directory junction (no privilege needed). False when impossible."""
    try:
        import _winapi  # noqa: PLC0415  (Windows only)

        _winapi.CreateJunction(target, link)
        return True
    except (ImportError, AttributeError, OSError):
        pass
    r = subprocess.run(["cmd.exe", "/d", "/c", "mklink", "/J", link, target], capture_output=True)
    return r.returncode == 0 and is_junction(link)


def remove_link(path):
    """Removes a junction or symlink without touching its target."""
    try:
        os.rmdir(path)
    except OSError:
        try:
            os.unlink(path)
        except OSError:
            pass


def remove_tree(base):
    """rmtree that never follows a junction or symlink out of base."""

    def onerror(func, path, _exc):
        try:
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    for root, dirs, _files in os.walk(base):
        for name in list(dirs):
            full = os.path.join(root, name)
            if os.path.islink(full) or is_junction(full):
                remove_link(full)
                dirs.remove(name)
    shutil.rmtree(base, onerror=onerror)


def icacls(path, *args):
    r = subprocess.run(["icacls", path] + list(args), capture_output=True, text=True)
    return r.returncode == 0


# ------------------------------------------------------------------ servers
class TcpServer:
    """A host TCP server on 127.0.0.1 that counts connections and requests,
    and answers each with a small HTTP response."""

    BODY = b"SMOKE-SERVER-OK\n"

    def __init__(self, address="127.0.0.1", family=socket.AF_INET, avoid_port=None):
        self.sock = bind_avoiding(family, socket.SOCK_STREAM, address, avoid_port)
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.requests = []
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            try:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" %
                             (len(self.BODY), self.BODY))
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


def bind_avoiding(family, kind, address, avoid_port):
    """A socket bound to an ephemeral port of address that is not
    avoid_port (cordon's proxy port: the one loopback port network off
    lets through)."""
    while True:
        sock = socket.socket(family, kind)
        sock.bind((address, 0))
        if sock.getsockname()[1] != avoid_port:
            return sock
        sock.close()


class UdpServer:
    """A host UDP receiver that counts the datagrams that reach it."""

    def __init__(self, address="127.0.0.1", family=socket.AF_INET, avoid_port=None):
        self.sock = bind_avoiding(family, socket.SOCK_DGRAM, address, avoid_port)
        self.port = self.sock.getsockname()[1]
        self.datagrams = []
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                if self._stop:
                    return
                continue  # Windows reports an earlier ICMP port-unreachable here
            self.datagrams.append(data)

    def close(self):
        self._stop = True
        self.sock.close()


def own_addresses():
    """This host's own non-loopback IPv4 addresses (traffic to them never
    leaves the machine)."""
    found = []
    try:
        for addr in socket.gethostbyname_ex(socket.gethostname())[2]:
            if not addr.startswith("127.") and addr not in found:
                found.append(addr)
    except OSError:
        pass
    return found


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class PipeServer:
    """A host named pipe with Windows' default security (full control for
    the creator, SYSTEM and Administrators; read for Everyone and
    anonymous), counting connections and the bytes written to it."""

    def __init__(self, name):
        from multiprocessing.connection import Listener  # noqa: PLC0415

        self.address = r"\\.\pipe\%s" % name
        self.listener = Listener(self.address, family="AF_PIPE")
        self.connections = 0
        self.bytes_received = 0
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self._stop:
            try:
                conn = self.listener.accept()
            except OSError:
                return
            if self._stop:
                conn.close()
                return
            self.connections += 1
            try:
                while conn.poll(2):
                    self.bytes_received += len(conn.recv_bytes())
            except (EOFError, OSError):
                pass
            finally:
                conn.close()

    def close(self):
        self._stop = True
        try:
            # unblock accept() with one connection of our own
            with open(self.address, "rb"):
                pass
        except OSError:
            pass
        try:
            self.listener.close()
        except OSError:
            pass


# ------------------------------------------------------------------ host
WINE_NO_ENFORCEMENT = "Wine enforces no ACLs (nor restricting SIDs, integrity levels, accounts or WFP): this " \
                      "case's verdicts need enforcement, so it runs on a Windows host only"


class Host:
    """Where cordon.exe runs. On Windows: itself. Under Wine (--wine, a
    plumbing run on Linux): `wine cordon.exe`, host paths seen as Z:\\...,
    and PATH handed over as WINEPATH (Wine builds a program's PATH from
    its registry and appends WINEPATH)."""

    def __init__(self, wine=False):
        self.wine = wine

    def path(self, host_path):
        """A host path as the programs cordon starts spell it."""
        if not self.wine:
            return host_path
        return "Z:" + os.path.abspath(host_path).replace("/", "\\")

    def cordon_argv(self, cordon):
        return ["wine", cordon] if self.wine else [cordon]

    def env(self, env):
        """The environment for cordon: under Wine a PATH meant for the
        command becomes WINEPATH."""
        if self.wine and "CORDON_SMOKE_PATH" in env:
            env["WINEPATH"] = env.pop("CORDON_SMOKE_PATH")
        elif "CORDON_SMOKE_PATH" in env:
            env["PATH"] = env.pop("CORDON_SMOKE_PATH")
        return env


def is_admin():
    """Whether this suite runs elevated (an administrator's full token)."""
    try:
        import ctypes  # noqa: PLC0415

        return bool(ctypes.windll.shell32.IsUserAnAdmin())
    except (ImportError, AttributeError, OSError):
        return False


# ------------------------------------------------------------------ suite
class Suite:
    """What every case shares: the cordon binary, where it runs, the doctor
    report, and whether each mode is usable on this host."""

    def __init__(self, cordon, base=None, host_browser=True, host=None, plumbing_only=False,
                 allow_setup_changes=False):
        self.cordon = cordon
        self.base = base
        self.host_browser = host_browser
        self.host = host or Host()
        self.plumbing_only = plumbing_only
        self.allow_setup_changes = allow_setup_changes
        self.doctor = None
        self.elevated_reason = None  # why elevated cases skip, None when usable
        self.restricted_reason = None  # why restricted-token cases skip, None when usable

    def cordon_run(self, args, timeout=120, env=None):
        """Runs cordon (not a case's sandboxed command) with args: doctor,
        setup. Returns a Result."""
        argv = self.host.cordon_argv(self.cordon) + list(args)
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            return Result(None, (e.stdout or b"").decode(errors="replace"),
                          "cordon %s did not return within %ss" % (" ".join(args), timeout))
        return Result(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))

    def run_doctor(self):
        try:
            r = self.cordon_run(["doctor"])
            self.doctor = DoctorReport(r.out + r.err, r.rc)
            if r.rc is None:
                self.doctor.error = r.err
        except OSError as e:
            self.doctor = DoctorReport("", None)
            self.doctor.error = str(e)
        return self.doctor

    def setup_plan(self, uninstall=False):
        """`cordon setup --plan` parsed (SetupPlan), or a string saying why
        not."""
        r = self.cordon_run(["setup", "--uninstall", "--plan"] if uninstall else ["setup", "--plan"])
        if r.rc != 0:
            return "cordon setup --plan exited %s: %s" % (r.rc, r.err.strip()[-300:])
        try:
            return SetupPlan(r.out)
        except ValueError as e:
            return "cannot read cordon setup --plan: %s" % e

    def record_path(self):
        """setup\\record.json under cordon's state directory (doctor's
        'state directory:', else %LOCALAPPDATA%\\cordon)."""
        state = self.doctor.state_dir if self.doctor else None
        if not state:
            state = os.path.join(os.environ.get("LOCALAPPDATA", ""), "cordon")
        return os.path.join(state, "setup", "record.json")

    def detect_modes(self):
        """Decides, from doctor (and, when doctor says nothing about
        elevated mode, one plain run), which modes can run."""
        plain = None
        if self.doctor is not None and not self.doctor.error and "elevated mode" not in self.doctor.values:
            work = tempfile.mkdtemp(prefix="cordon-smoke-detect-", dir=self.base)
            try:
                plain = self.cordon_run(["run", "-C", self.host.path(work), "--", "cmd.exe", "/d", "/c", "exit 0"])
            except OSError as e:
                plain = Result(None, "", "cannot run cordon: %s" % e)
            finally:
                remove_tree(work)
        self.elevated_reason = elevated_skip_reason(self.doctor, plain)
        self.restricted_reason = restricted_skip_reason(self.doctor, plain)

    # kept for callers of the earlier name
    detect_elevated = detect_modes

    def skip_reason(self, case, mode):
        """Why this case does not run in this mode here, or None."""
        if mode not in case.modes:
            return "not a %s-mode case" % mode
        if self.plumbing_only and not case.plumbing:
            return WINE_NO_ENFORCEMENT if self.host.wine else "not a plumbing case (--plumbing)"
        if mode == ELEVATED and self.elevated_reason:
            return self.elevated_reason
        if mode == RESTRICTED and self.restricted_reason:
            return self.restricted_reason
        if case.admin and not self.host.wine and not is_admin():
            return "needs an elevated suite (administrator): it runs 'cordon setup' or reads accounts and filters"
        if case.changes_setup and not self.allow_setup_changes:
            return "changes this machine's cordon setup (and restores it); pass --allow-setup-changes"
        return None


class Ctx:
    """One case in one mode: a fresh base directory (under the user's own
    temp directory, so the user holds delete-child on everything in it, as
    in a real profile) holding the workspace `ws` (with a `.git` and a
    `.codex`), `outside` (writable by the user, outside every root), `tmp`
    (passed as TEMP/TMP: the temp root) and `extra`. Scripts the command
    runs are written to `ws\\_smoke` so the sandbox account can read them
    in elevated mode. Paths are the host's; `w(path)` spells one for the
    command (the same on Windows, Z:\\... under Wine)."""

    def __init__(self, suite, mode, name):
        self.suite = suite
        self.cordon = suite.cordon
        self.host = suite.host
        self.mode = mode
        self.name = name
        self.token = "cordon-smoke-%s-%d-%s" % (name.replace("_", "-")[:20], os.getpid(), os.urandom(4).hex())
        # realpath: TEMP may be an 8.3 spelling (C:\\Users\\RUNNER~1\\...)
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="cordon-smoke-", dir=suite.base))
        self.ws = self.mkdir("ws")
        self.outside = self.mkdir("outside")
        self.tmp = self.mkdir("tmp")
        self.extra = self.mkdir("extra")
        self.scripts = self.mkdir("ws", "_smoke")
        self.failures = []
        self.notes = []
        self.cleanups = []
        self.count = 0
        self.write(os.path.join(self.ws, ".git", "HEAD"), b"ref: refs/heads/main\n")
        self.write(os.path.join(self.ws, ".git", "config"), b"[core]\n\tbare = false\n")
        self.write(os.path.join(self.ws, ".codex", "config.toml"), b"model = \"x\"\n")
        self.write(os.path.join(self.ws, "src", "a.txt"), b"workspace file\n")
        self.write(os.path.join(self.outside, "secret.txt"), b"outside secret\n")

    def w(self, path):
        """path as the sandboxed command spells it."""
        return self.host.path(path)

    # -------------------------------------------------------------- files
    def mkdir(self, *rel):
        path = os.path.join(self.base, *rel)
        os.makedirs(path, exist_ok=True)
        return path

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def everyone_dir(self):
        """A directory at the drive root that grants Everyone full control:
        where cordon's audit of Everyone-writable entries has to look."""
        drive_root = os.path.splitdrive(self.base)[0] + "\\"
        path = os.path.join(drive_root, self.token + "-drop")
        try:
            os.makedirs(path)
        except OSError as e:
            self.skip("cannot create %s: %s" % (path, e))
        self.cleanups.append(lambda: remove_tree(path))
        if not icacls(path, "/grant", "*S-1-1-0:(OI)(CI)F"):
            self.skip("icacls could not grant Everyone full control on %s" % path)
        return path

    # -------------------------------------------------------------- verdicts
    def check(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition

    def absent(self, path, what):
        return self.check(not exists(path), "%s: %s exists on the host" % (what, path))

    def unchanged(self, path, before, what):
        after = read_bytes(path)
        return self.check(after == before, "%s: %s holds %r, expected %r" % (what, path, after, before))

    def require_ran(self, res, what="command"):
        """A denial is evidence only if the command ran."""
        if not res.ran:
            raise CaseFailed("%s did not run inside cordon: %s" % (what, res.brief()))

    def refused_proxy(self, res):
        """Skips when cordon refused --network proxy (125, nothing run):
        a cordon from before the Windows proxy. A taken proxy port is a
        refusal too, but its line does not name --network proxy: the case
        fails then, as it should."""
        if res.rc == EXIT_REFUSED and not res.ran and "--network proxy" in res.err:
            lines = [ln for ln in res.err.splitlines() if ln.strip()]
            self.skip("--network proxy is refused on this cordon: %s" % (lines[-1][:300] if lines else res.err))

    def skip(self, reason):
        raise CaseSkipped(reason)

    def note(self, text):
        self.notes.append(text)

    # -------------------------------------------------------------- readings
    def reading(self):
        """What doctor says a write-restricted token re-checks; skips when
        it said nothing (the probe case fails then)."""
        reading = self.suite.doctor.reading if self.suite.doctor else None
        if reading is None:
            self.skip("cordon doctor printed no 'write-restricted delete-child: re-checked|not re-checked' line")
        return reading

    def delete_child_open(self, everyone_grants=False):
        """Whether a delete or rename through a parent's delete-child right
        is expected to succeed in this mode: in restricted-token mode when
        the user's own SIDs grant it and doctor reports Forshaw's reading;
        in either mode when Everyone itself grants it (the sandbox account
        is in Everyone too) under that reading. See
        tests/winmodel/test_smoke_scenarios.c for the same verdicts.

        In elevated mode, outside an Everyone-writable directory, the route
        is closed under both readings, so no reading is needed (a missing
        or unknown probe result skips only the cases it decides)."""
        if self.mode == ELEVATED and not everyone_grants:
            return False
        if self.reading() != NOT_RECHECKED:
            return False
        return self.mode == RESTRICTED or everyone_grants

    def sleep_line(self, seconds):
        """A batch line that waits about `seconds` without the network
        (in elevated mode network off blocks ICMP, so `ping 127.0.0.1`
        returns at once) and without console input (`timeout /t` refuses
        redirected input). Wine has no PowerShell; its ping is not
        filtered."""
        if self.host.wine:
            return "ping -n %d 127.0.0.1 >nul" % (seconds + 1)
        return "powershell.exe -NoProfile -NonInteractive -Command Start-Sleep -Seconds %d" % seconds

    # -------------------------------------------------------------- running
    def argv(self, cmd, policy=None, cwd=None, extra=()):
        args = self.host.cordon_argv(self.cordon) + ["run"]
        if self.mode == RESTRICTED:
            args.append("--best-effort")
        args += ["-C", self.w(cwd or self.ws)] + list(extra) + list(policy or WS)
        return args + ["--"] + list(cmd)

    def env(self, extra=None):
        """The environment cordon gets. A case that puts a directory first
        on the command's PATH passes it as CORDON_SMOKE_PATH (Host.env
        turns it into PATH, or WINEPATH under Wine)."""
        env = dict(os.environ)
        env["TEMP"] = self.w(self.tmp)
        env["TMP"] = self.w(self.tmp)
        env.pop("PYTHONSTARTUP", None)
        if extra:
            env.update(extra)
        return self.host.env(env)

    def run(self, cmd, policy=None, cwd=None, env=None, timeout=60, extra=(), raw_argv=None, stdin=None):
        argv = raw_argv or self.argv(cmd, policy, cwd, extra)
        try:
            proc = subprocess.run(argv, capture_output=True, env=self.env(env), timeout=timeout,
                                  stdin=subprocess.DEVNULL if stdin is None else stdin)
        except subprocess.TimeoutExpired as e:
            raise CaseFailed("cordon did not return within %ss: %r" % (timeout, (e.stdout or b"")[-400:]))
        return Result(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))

    def _script(self, suffix, text):
        self.count += 1
        path = os.path.join(self.scripts, "s%d%s" % (self.count, suffix))
        with open(path, "w", encoding="utf-8", newline="\r\n" if suffix == ".cmd" else "\n") as f:
            f.write(text)
        return path

    def batch(self, lines, **kw):
        """Runs cmd.exe on a batch file holding lines; prints RAN first."""
        path = self._script(".cmd", "@echo off\necho %s\n%s\n" % (RAN, "\n".join(lines)))
        return self.run(["cmd.exe", "/d", "/c", self.w(path)], **kw)

    def ps(self, script, **kw):
        """Runs Windows PowerShell on a script; prints RAN first."""
        exe = None if self.host.wine else shutil.which("powershell.exe") or shutil.which("pwsh.exe")
        if not exe:
            self.skip("no PowerShell on this host")
        path = self._script(".ps1", "Write-Output '%s'\n%s\n" % (RAN, script))
        return self.run([exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", path], **kw)

    def py(self, code, **kw):
        """Runs this Python on a script; prints RAN first. Each operation
        the script reports is only a hint: verdicts are taken on the host."""
        if self.host.wine:
            self.skip("no Windows Python under Wine (the suite's Python is Linux's)")
        path = self._script(".py", "print(%r, flush=True)\n%s\n" % (RAN, code))
        return self.run([sys.executable, "-X", "utf8", path], **kw)

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except OSError:
                pass
        remove_tree(self.base)


# Python run inside the sandbox by cases: tries each operation and prints
# one line per attempt (the host decides the verdict).
TRY_OPS = r'''
import os, sys
def attempt(label, fn):
    try:
        fn()
        print("OPEN", label, flush=True)
    except OSError as e:
        print("DENIED", label, getattr(e, "winerror", None) or e.errno, flush=True)
def write(path, data=b"cordon-smoke"):
    def go():
        with open(path, "wb") as f:
            f.write(data)
    return go
def raw(path, data):
    def go():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_BINARY", 0))
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    return go
def append(path, data=b"cordon-smoke"):
    def go():
        with open(path, "ab") as f:
            f.write(data)
    return go
'''


def wait_until(predicate, seconds, step=0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
