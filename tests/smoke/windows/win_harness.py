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
CASES = {}  # name -> (fn, doc, classes, modes); insertion order is run order


def case(classes=(), modes=MODES):
    """Registers a case. classes: the smoke-cases.md class numbers it
    covers (the coverage check reads them); modes: where it runs."""

    def register(fn):
        if fn.__name__ in CASES:
            raise ValueError("duplicate case name %s" % fn.__name__)
        doc = (fn.__doc__ or "").strip().split("\n")[0]
        CASES[fn.__name__] = (fn, doc, tuple(classes), tuple(modes))
        return fn

    return register


# ------------------------------------------------------------------ doctor
DOCTOR_KEYS = ("write-restricted delete-child", "elevated mode", "state directory")


class DoctorReport:
    """The lines of `cordon doctor` this suite relies on. The contract
    (docs/windows.md): a line holding `KEY: VALUE`, the key at the start
    of the line or after white space (so a status column such as `ok` or
    `MISSING` may precede it); the first such line counts. Keys:

      write-restricted delete-child: re-checked | not re-checked [anything]
      elevated mode: ready | not set up [anything]
      state directory: <absolute path>
    """

    def __init__(self, text, rc):
        self.text = text
        self.rc = rc
        self.values = {}
        for line in text.splitlines():
            for key in DOCTOR_KEYS:
                m = re.search(r"(?:^|\s)%s:\s*(.*?)\s*$" % re.escape(key), line)
                if m and key not in self.values:
                    self.values[key] = m.group(1)

    @property
    def reading(self):
        value = self.values.get("write-restricted delete-child", "")
        if value.startswith(NOT_RECHECKED):
            return NOT_RECHECKED
        if value.startswith(RECHECKED):
            return RECHECKED
        return None

    @property
    def elevated_ready(self):
        value = self.values.get("elevated mode")
        if value is None:
            return None
        return value.startswith("ready")

    @property
    def state_dir(self):
        return self.values.get("state directory") or None


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

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
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


# ------------------------------------------------------------------ suite
class Suite:
    """What every case shares: the cordon binary, the doctor report, and
    whether elevated mode is usable on this host."""

    def __init__(self, cordon, base=None, host_browser=True):
        self.cordon = cordon
        self.base = base
        self.host_browser = host_browser
        self.doctor = None
        self.elevated_reason = None  # why elevated cases skip, None when usable

    def run_doctor(self):
        try:
            r = subprocess.run([self.cordon, "doctor"], capture_output=True, text=True, timeout=120)
            self.doctor = DoctorReport(r.stdout + r.stderr, r.returncode)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.doctor = DoctorReport("", None)
            self.doctor.error = str(e)
        return self.doctor

    def detect_elevated(self):
        """Elevated mode is usable when doctor says `elevated mode: ready`,
        or, if doctor says nothing about it, when a plain `cordon run` is
        not refused for want of `cordon setup`."""
        ready = self.doctor.elevated_ready if self.doctor else None
        if ready is True:
            self.elevated_reason = None
            return
        if ready is False:
            self.elevated_reason = "elevated mode is not set up (doctor: 'elevated mode: %s'); run 'cordon " \
                                   "setup' as an administrator" % self.doctor.values.get("elevated mode")
            return
        work = tempfile.mkdtemp(prefix="cordon-smoke-detect-", dir=self.base)
        try:
            r = subprocess.run([self.cordon, "run", "-C", work, "--", "cmd.exe", "/d", "/c", "exit 0"],
                               capture_output=True, text=True, timeout=120)
            if r.returncode == EXIT_REFUSED and "setup" in (r.stderr or ""):
                self.elevated_reason = "elevated mode is not set up: cordon run said %r" % \
                                       r.stderr.strip().splitlines()[-1][:200]
            elif r.returncode != 0:
                self.elevated_reason = "a plain cordon run failed (rc %d): %r" % (r.returncode,
                                                                                  (r.stderr or "")[-200:])
            else:
                self.elevated_reason = None
        except (OSError, subprocess.TimeoutExpired) as e:
            self.elevated_reason = "cannot run cordon: %s" % e
        finally:
            remove_tree(work)


class Ctx:
    """One case in one mode: a fresh base directory (under the user's own
    temp directory, so the user holds delete-child on everything in it, as
    in a real profile) holding the workspace `ws` (with a `.git` and a
    `.codex`), `outside` (writable by the user, outside every root), `tmp`
    (passed as TEMP/TMP: the temp root) and `extra`. Scripts the command
    runs are written to `ws\\_smoke` so the sandbox account can read them
    in elevated mode."""

    def __init__(self, suite, mode, name):
        self.suite = suite
        self.cordon = suite.cordon
        self.mode = mode
        self.name = name
        self.token = "cordon-smoke-%s-%d-%s" % (name.replace("_", "-")[:20], os.getpid(), os.urandom(4).hex())
        self.base = tempfile.mkdtemp(prefix="cordon-smoke-", dir=suite.base)
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
        tests/winmodel/test_smoke_scenarios.c for the same verdicts."""
        if self.reading() != NOT_RECHECKED:
            return False
        return self.mode == RESTRICTED or everyone_grants

    # -------------------------------------------------------------- running
    def argv(self, cmd, policy=None, cwd=None, extra=()):
        args = [self.cordon, "run"]
        if self.mode == RESTRICTED:
            args.append("--best-effort")
        args += ["-C", cwd or self.ws] + list(extra) + list(policy or WS)
        return args + ["--"] + list(cmd)

    def env(self, extra=None):
        env = dict(os.environ)
        env["TEMP"] = self.tmp
        env["TMP"] = self.tmp
        env.pop("PYTHONSTARTUP", None)
        if extra:
            env.update(extra)
        return env

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
        return self.run(["cmd.exe", "/d", "/c", path], **kw)

    def ps(self, script, **kw):
        """Runs Windows PowerShell on a script; prints RAN first."""
        exe = shutil.which("powershell.exe") or shutil.which("pwsh.exe")
        if not exe:
            self.skip("no PowerShell on this host")
        path = self._script(".ps1", "Write-Output '%s'\n%s\n" % (RAN, script))
        return self.run([exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", path], **kw)

    def py(self, code, **kw):
        """Runs this Python on a script; prints RAN first. Each operation
        the script reports is only a hint: verdicts are taken on the host."""
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
