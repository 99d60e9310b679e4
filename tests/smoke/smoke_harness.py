"""The smoke harness: runs the real cordon binary in captured or pty mode,
gives each case a fresh workspace that the invoking user owns, and runs the
host-side servers whose counters prove that nothing reached them.

Every verdict is taken on the host: a case looks at files, bytes, server
counters and the process table after cordon returns, and uses what the
command printed only to confirm that it really ran."""
import errno
import fcntl
import hashlib
import os
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import termios
import threading
import time

PYTHON = "/usr/bin/python3"
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
RAN = "cordon-smoke-ran"
PTY_ROWS, PTY_COLS = 30, 100


class CaseFailed(Exception):
    pass


class CaseSkipped(Exception):
    pass


class CaseTimeout(Exception):
    pass


class Result:
    """What one cordon run produced. In pty mode stdout and stderr are the
    same merged stream (that is what a terminal shows)."""

    def __init__(self, rc, out, err, mode, held_tty=False):
        self.rc = rc
        self.out = out
        self.err = err
        self.mode = mode
        self.held_tty = held_tty

    @property
    def text(self):
        return self.out if self.mode == "pty" else self.out + self.err

    @property
    def ran(self):
        return RAN in self.out

    def brief(self):
        tail = self.text[-600:].replace("\n", "\\n")
        return "rc=%s output=...%s" % (self.rc, tail)


def which(name):
    return shutil.which(name, path=SAFE_PATH)


def sha_tree(path):
    """A hash over every name, type, mode-independent content and link
    target under path, so any change to a protected tree shows."""
    h = hashlib.sha256()
    if not os.path.lexists(path):
        return "absent"
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(dirs + files):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path)
            st = os.lstat(full)
            h.update(rel.encode() + b"\0")
            if stat.S_ISLNK(st.st_mode):
                h.update(b"L" + os.readlink(full).encode())
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    h.update(b"F" + f.read())
            elif stat.S_ISDIR(st.st_mode):
                h.update(b"D")
            else:
                h.update(b"O%d" % st.st_mode)
    return h.hexdigest()


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def pgrep(token):
    """Host processes whose command line carries token (the harness's own
    command line never does)."""
    found = []
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if token.encode() in cmd:
            found.append("%s:%s" % (pid, cmd.replace(b"\0", b" ").decode(errors="replace")[:120]))
    return found


# ---------------------------------------------------------------- servers
class TcpServer:
    """A host TCP server on 127.0.0.1 that counts connections and answers
    each with a small HTTP response."""

    BODY = b"SMOKE-SERVER-OK\n"

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
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
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" %
                             (len(self.BODY), self.BODY))
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


class UdpServer:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                self.sock.recvfrom(65536)
                self.received += 1
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self):
        self._stop = True
        self.sock.close()


class UnixServer:
    """A unix stream socket server (a path, or an abstract name when the
    address starts with a NUL) that counts connections."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(address)
        self.sock.listen(16)
        self.accepted = 0
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
                conn.sendall(b"SMOKE-UNIX-OK\n")
            except OSError:
                pass
            conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


# ---------------------------------------------------------------- context
class Ctx:
    """One case in one mode: a fresh base directory holding the workspace,
    an outside directory the user can write, the temp directory cordon is
    told about, and an extra root. Nothing here lives under a writable
    root of another case."""

    def __init__(self, cordon, mode, name):
        self.cordon = cordon
        self.mode = mode
        self.name = name
        self.token = "cordon-smoke-%s-%d-%s" % (name.replace("_", "-")[:20], os.getpid(),
                                                os.urandom(4).hex())
        self.base = tempfile.mkdtemp(prefix="cordon-smoke-")
        os.chmod(self.base, 0o755)
        self.ws = self.mkdir("ws")
        self.outside = self.mkdir("outside")
        self.tmp = self.mkdir("tmp")
        self.extra = self.mkdir("extra")
        self.failures = []
        self.notes = []
        self.cleanups = []
        self.procs = []

    def mkdir(self, rel):
        path = os.path.join(self.base, rel)
        os.makedirs(path, exist_ok=True)
        return path

    def path(self, *parts):
        return os.path.join(self.base, *parts)

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def check(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition

    def require_ran(self, res, what="command"):
        """A denial is only evidence if the command really ran: a cordon that
        refuses everything would otherwise pass every denial case."""
        if not res.ran:
            raise CaseFailed("%s did not run inside cordon: %s" % (what, res.brief()))

    def skip(self, reason):
        raise CaseSkipped(reason)

    def note(self, text):
        self.notes.append(text)

    def server(self, kind, *args):
        srv = {"tcp": TcpServer, "udp": UdpServer, "unix": UnixServer}[kind](*args)
        self.cleanups.append(srv.close)
        return srv

    def env(self, extra=None):
        env = {
            "PATH": SAFE_PATH,
            "HOME": os.environ.get("HOME", "/"),
            "LANG": "C.UTF-8",
            "TMPDIR": self.tmp,
            "TERM": "xterm",
        }
        if extra:
            env.update(extra)
        return env

    def argv(self, cmd, policy=None, cwd=None, pty=None):
        args = [self.cordon, "run", "-C", cwd or self.ws]
        if pty if pty is not None else self.mode == "pty":
            args.append("--pty")
        args += list(policy or [])
        return args + ["--"] + list(cmd)

    def sh(self, script, **kw):
        """Runs a shell script inside cordon; it first prints the ran
        sentinel so a case can tell a real denial from cordon refusing."""
        return self.run(["sh", "-c", "echo %s; %s" % (RAN, script)], **kw)

    def py(self, code, **kw):
        return self.run([PYTHON, "-c", "print(%r, flush=True)\n%s" % (RAN, code)], **kw)

    def run(self, cmd, policy=None, cwd=None, env=None, timeout=30, pass_fds=(), stdin_tty=False,
            raw_argv=None, mode=None):
        argv = raw_argv or self.argv(cmd, policy, cwd)
        full_env = self.env(env)
        mode = mode or self.mode
        if mode == "pty":
            return self._run_pty(argv, full_env, timeout, pass_fds)
        return self._run_captured(argv, full_env, timeout, pass_fds, stdin_tty)

    def _run_captured(self, argv, env, timeout, pass_fds, stdin_tty):
        stdin = subprocess.DEVNULL
        master = slave = None
        if stdin_tty:
            master, slave = os.openpty()
            stdin = slave
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True, pass_fds=pass_fds)
        self.procs.append(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            out, err = proc.communicate()
            raise CaseFailed("cordon did not return within %ss: %r" % (timeout, (out + err)[-400:]))
        finally:
            if master is not None:
                self.last_tty = (master, slave)
                self.cleanups.append(lambda: (os.close(master), os.close(slave)))
        return Result(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), "captured")

    def _run_pty(self, argv, env, timeout, pass_fds):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", PTY_ROWS, PTY_COLS, 0, 0))

        def make_controlling():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                start_new_session=True, preexec_fn=make_controlling, pass_fds=pass_fds)
        self.procs.append(proc)
        os.close(slave)
        data = b""
        deadline = time.time() + timeout
        exited_at = None
        held = False
        try:
            while True:
                now = time.time()
                if proc.poll() is not None and exited_at is None:
                    exited_at = now
                if exited_at is not None and now - exited_at > 3:
                    held = True  # something other than cordon keeps the terminal open
                    break
                if now > deadline:
                    self._kill(proc)
                    raise CaseFailed("cordon --pty did not return within %ss: %r" % (timeout, data[-400:]))
                ready, _, _ = select.select([master], [], [], 0.1)
                if ready:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError as e:
                        if e.errno == errno.EIO:
                            break
                        raise
                    if not chunk:
                        break
                    data += chunk
            proc.wait(timeout=max(1, deadline - time.time()))
        finally:
            os.close(master)
        text = data.decode(errors="replace").replace("\r\n", "\n")
        res = Result(proc.returncode, text, text, "pty", held_tty=held)
        if held:
            self.failures.append("the terminal was still held open 3 s after cordon returned "
                                 "(a process outlived the run)")
        return res

    def spawn_pty(self, argv, env=None):
        """Starts cordon on a pty for interactive driving; returns (proc, master)."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", PTY_ROWS, PTY_COLS, 0, 0))

        def make_controlling():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=self.env(env),
                                start_new_session=True, preexec_fn=make_controlling)
        self.procs.append(proc)
        os.close(slave)
        self.cleanups.append(lambda: os.close(master))
        return proc, master

    @staticmethod
    def _kill(proc):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.kill()
        except OSError:
            pass

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                self._kill(proc)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        for fn in reversed(self.cleanups):
            try:
                fn()
            except OSError:
                pass
        for pid_cmd in pgrep(self.token):
            try:
                os.kill(int(pid_cmd.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass

        leaked = mounts_under(self.base)
        if leaked:
            # A mount made inside the sandbox showed up on the host: that is
            # a failure, and removing the tree through it could delete
            # whatever it points at, so unmount first and never cross it.
            self.failures.append("mount(s) leaked onto the host: %s" % ", ".join(leaked))
            for mnt in sorted(leaked, key=len, reverse=True):
                subprocess.run(["umount", "-l", mnt], capture_output=True)
        remove_tree(self.base)


def mounts_under(base):
    found = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                point = line.split()[4].replace("\\040", " ")
                if point == base or point.startswith(base + "/"):
                    found.append(point)
    except OSError:
        pass
    return found


def remove_tree(base):
    """rm -rf that never leaves base's filesystem and never follows links,
    so a mount or link planted by a broken sandbox cannot widen it."""
    try:
        dev = os.lstat(base).st_dev
    except OSError:
        return
    if mounts_under(base):
        return  # still mounted: leave it rather than delete through it
    for root, dirs, files in os.walk(base, topdown=False):
        for name in files + dirs:
            full = os.path.join(root, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if st.st_dev != dev:
                continue
            try:
                if stat.S_ISDIR(st.st_mode):
                    os.chmod(full, 0o700)
                    os.rmdir(full)
                else:
                    os.unlink(full)
            except OSError:
                try:
                    os.chmod(root, 0o700)
                    (os.rmdir if stat.S_ISDIR(st.st_mode) else os.unlink)(full)
                except OSError:
                    pass
    try:
        os.rmdir(base)
    except OSError:
        pass


def read_until(master, needle, seconds, proc=None):
    """Reads a pty master until needle (bytes) shows, the other side is
    gone, or time runs out. needle None: to the end; with proc, the end is
    also when proc exited and nothing more is ready."""
    data = b""
    deadline = time.time() + seconds
    while (needle is None or needle not in data) and time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        elif proc is not None and proc.poll() is not None:
            break
    return data
