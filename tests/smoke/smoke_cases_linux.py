"""Cases from the Linux backend issue and the one-spawn-path issue: root
gets no loophole, network off means off, nothing outlives a run, the
caller is unreachable, degraded hosts fail closed, real tools work."""
import os
import shlex
import signal
import socket
import subprocess
import time

import smoke_harness as H
from smoke_registry import case
from smoke_cases import WS, RO, absent, has_bytes, make_fake_git, _daemons_script, MARKERS

q = shlex.quote


@case
def root_no_loophole(ctx):
    """WS: umount/remount .git, unshare -Urm, capsh/setpriv, /proc writes, reaching pid 1 -> all fail, .git unchanged, CapEff 0"""
    make_fake_git(ctx, ctx.ws)
    ctx.mkdir("ws/empty")
    git = os.path.join(ctx.ws, ".git")
    before = H.sha_tree(git)
    attempts = [
        "umount .git", "umount -l .git", "umount -l %s" % q(git),
        "mount -o remount,rw .git", "mount -o remount,bind,rw .git",
        "mount -t tmpfs none .git", "mount --bind empty .git",
        "unshare -Urm sh -c 'umount -l .git; mount -o remount,rw .git; echo U >> .git/config'",
        "unshare -Ur sh -c 'echo U2 >> .git/config'",
        "setpriv --inh-caps=+all --ambient-caps=+all sh -c 'echo S >> .git/config'",
        "echo -1000 > /proc/self/oom_score_adj",
        "echo 0 > /proc/self/setgroups", "echo '0 0 1' > /proc/self/uid_map",
        "v=$(cat /proc/sys/vm/swappiness) && echo $v > /proc/sys/vm/swappiness",
    ]
    # pid 1 inside is cordon's own init, which holds capabilities in the
    # namespace: nothing of it may be reachable from the command
    p1_target = os.path.join(ctx.outside, "p1root.txt")
    p1_cwd = "/p1cwd-" + ctx.token  # where it lands if pid 1 were the host's init
    ctx.cleanups.append(lambda: os.path.lexists(p1_cwd) and os.unlink(p1_cwd))
    attempts += [
        "echo x > /proc/1/root%s" % q(p1_target), "echo x > /proc/1/cwd/p1cwd-%s" % ctx.token,
        "cat /proc/1/environ > /dev/null", "cat /proc/1/mem > /dev/null",
        "ls /proc/1/fd/ > /dev/null && for f in /proc/1/fd/*; do echo x >> $f && exit 0; done; exit 1",
        "%s -c 'import ctypes, sys; sys.exit(0 if ctypes.CDLL(None).ptrace(16, 1, 0, 0) == 0 else 1)'" % H.PYTHON,
        "kill -CONT 1",  # harmless if it lands; it must not land
    ]
    if H.which("capsh"):
        attempts.append("capsh --caps=all+eip -- -c 'echo C >> .git/config'")
        attempts.append("capsh --addamb=cap_dac_override -- -c 'echo C2 >> .git/config'")
    script = "; ".join("( %s ) 2>/dev/null && echo 'SUCCEEDED: %s'" % (a, a.replace("'", "")) for a in attempts)
    script += "; grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status; grep NoNewPrivs /proc/self/status"
    r = ctx.sh(script, policy=WS)
    ctx.require_ran(r)
    absent(ctx, p1_target, "write through /proc/1/root")
    absent(ctx, p1_cwd, "write through /proc/1/cwd")
    ctx.check(H.sha_tree(git) == before, ".git changed on the host")
    ok = [x for x in r.out.splitlines() if x.startswith("SUCCEEDED")]
    ctx.check(not ok, "privileged operations succeeded inside: %r" % ok)
    for cap in ("CapEff", "CapPrm", "CapAmb"):
        line = [x for x in r.out.splitlines() if x.startswith(cap + ":")]
        ctx.check(bool(line) and line[0].split()[1].strip("0") == "", "%s not zero inside: %r" % (cap, line))
    nnp = [x for x in r.out.splitlines() if x.startswith("NoNewPrivs:")]
    ctx.check(bool(nnp) and nnp[0].split()[1] == "1", "no_new_privs not set: %r" % nnp)


def host_ipv4():
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            addr = parts[parts.index("inet") + 1].split("/")[0]
            if not addr.startswith("127."):
                return addr
    return None


def host_icmp_echoes_received():
    """The host network namespace's count of ICMP echo requests received
    (/proc/net/snmp, Icmp InEchos), or None if it cannot be read."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [line.split() for line in f if line.startswith("Icmp:")]
        return int(rows[1][rows[0].index("InEchos")])
    except (OSError, ValueError, IndexError):
        return None


def host_allows_ping_sockets():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP).close()
        return True
    except OSError:
        return False


@case
def net_off_everything(ctx):
    """WS, network off: TCP, UDP, abstract unix socket, ping to the host -> nothing reaches host services"""
    tcp = ctx.server("tcp")
    tcp_any = ctx.server("tcp", "0.0.0.0")
    udp = ctx.server("udp")
    abstract = ctx.server("unix", "\0" + ctx.token)
    ip = host_ipv4()
    code = ("import socket, sys\n"
            "def tcp(h, p):\n try:\n  socket.create_connection((h, p), 3); print('TCP-CONNECTED', h, p)\n"
            " except OSError as e: print('TCP-DENIED', h, e)\n"
            "tcp('127.0.0.1', %d)\n"
            "for h in sys.argv[1:]: tcp(h, %d)\n"
            "try:\n s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            " for i in range(5): s.sendto(b'x', ('127.0.0.1', %d))\n print('UDP-SENT')\n"
            "except OSError as e: print('UDP-DENIED', e)\n"
            "try:\n u = socket.socket(socket.AF_UNIX); u.settimeout(3); u.connect(%r); print('ABSTRACT-CONNECTED')\n"
            "except OSError as e: print('ABSTRACT-DENIED', e)\n") % (tcp.port, tcp_any.port, udp.port,
                                                                    "\0" + ctx.token)
    hosts = [ip] if ip else []
    parts = ["%s -c %s %s" % (H.PYTHON, q(code), " ".join(hosts)),
             "curl -sS --max-time 3 http://127.0.0.1:%d/; echo curl=$?" % tcp.port]
    ping = H.which("ping")
    echoes = 5
    if ping and ip:
        parts.append("ping -c%d -i0.2 -W1 %s >/dev/null 2>&1 && echo PING-HOST-OK || echo PING-HOST-FAILED"
                     % (echoes, ip))
    elif ip and host_allows_ping_sockets():
        # no ping binary: an unprivileged ICMP echo socket does the same
        icmp = ("import socket, struct\ntry:\n s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)\n"
                " s.settimeout(2)\n for i in range(%d): s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, i) + b'smoke', (%r, 0))\n"
                " s.recvfrom(64); print('PING-HOST-OK')\nexcept OSError as e: print('PING-HOST-FAILED', e)" % (echoes, ip))
        parts.append("%s -c %s" % (H.PYTHON, q(icmp)))
    echoes_before = host_icmp_echoes_received()
    r = ctx.sh("; ".join(parts), policy=WS)
    ctx.require_ran(r)
    time.sleep(0.5)
    echoes_after = host_icmp_echoes_received()
    ctx.check(tcp.accepted == 0, "host 127.0.0.1 TCP server accepted %d" % tcp.accepted)
    ctx.check(tcp_any.accepted == 0, "host 0.0.0.0 TCP server accepted %d (via %s)" % (tcp_any.accepted, ip))
    ctx.check(udp.received == 0, "host UDP server received %d datagram(s)" % udp.received)
    ctx.check(abstract.accepted == 0, "host abstract unix socket accepted %d" % abstract.accepted)
    ctx.check("PING-HOST-OK" not in r.out, "ping to the host's address %s succeeded" % ip)
    # From the host's side: the host counted no burst of echo requests
    # (one stray echo from elsewhere during the case is tolerated; the
    # sandbox sent five).
    icmp_tried = bool(ip) and (bool(ping) or host_allows_ping_sockets())
    if icmp_tried and echoes_before is not None and echoes_after is not None:
        ctx.check(echoes_after - echoes_before < echoes,
                  "the host received %d ICMP echo request(s) during the case" % (echoes_after - echoes_before))
    elif icmp_tried:
        ctx.note("ICMP not judged from the host: /proc/net/snmp has no readable Icmp InEchos counter here")
    if not ping:
        ctx.note("ping not installed: ICMP " + ("tried with a python ICMP socket" if host_allows_ping_sockets()
                                                 else "not tried (ping_group_range allows no ping sockets here)"))
    if not ip:
        ctx.note("no non-loopback IPv4 address on this host")


@case
def own_servers_work(ctx):
    """WS: an http.server on the sandbox's 127.0.0.1 and a unix socket server in the workspace work"""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx.write(os.path.join(ctx.ws, "index.txt"), b"OWN-SERVER-CONTENT\n")
    unix_code = ("import socket, os, threading\np = 'own.sock'\ns = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)\n"
                 "def serve():\n c, _ = s.accept(); c.sendall(b'OWN-UNIX-OK'); c.close()\n"
                 "t = threading.Thread(target=serve); t.start()\n"
                 "k = socket.socket(socket.AF_UNIX); k.connect(p); open('unix-result', 'wb').write(k.recv(64)); t.join()")
    script = ("{py} -m http.server --bind 127.0.0.1 {port} >/dev/null 2>&1 & "
              "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do "
              "curl -s --max-time 2 -o http-result http://127.0.0.1:{port}/index.txt && break; sleep 0.2; done; "
              "kill $!; {py} -c {uc}; echo done").format(py=H.PYTHON, port=port, uc=q(unix_code))
    r = ctx.sh(script, policy=WS)
    ctx.require_ran(r)
    has_bytes(ctx, os.path.join(ctx.ws, "http-result"), b"OWN-SERVER-CONTENT\n", "own http server fetched")
    has_bytes(ctx, os.path.join(ctx.ws, "unix-result"), b"OWN-UNIX-OK", "own unix socket server")


@case
def net_on_reaches_host(ctx):
    """WS -n on: curl to the host loopback server -> succeeds, server counted 1"""
    srv = ctx.server("tcp")
    r = ctx.sh("curl -sS --max-time 5 http://127.0.0.1:%d/" % srv.port, policy=WS + ["-n", "on"])
    ctx.require_ran(r)
    ctx.check(r.rc == 0 and "SMOKE-SERVER-OK" in r.out, "curl with network on failed: %s" % r.brief())
    ctx.check(srv.accepted == 1, "server counted %d connection(s), expected 1" % srv.accepted)


@case
def no_process_outlives(ctx):
    """WS: background, double fork, setsid, nohup, python daemon -> none writes its marker after cordon returns"""
    r = ctx.sh(_daemons_script(ctx, 2) + "echo launched", policy=WS, timeout=20)
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "command failed: %s" % r.brief())
    time.sleep(3)
    for k in MARKERS:
        absent(ctx, os.path.join(ctx.ws, "marker-" + k), "%s process outlived the run" % k)
    left = H.pgrep(ctx.token)
    ctx.check(not left, "processes left after the run: %r" % left)


@case
def caller_unreachable(ctx):
    """WS: TIOCSTI, signals to the harness, /proc/<host pid>/environ, inherited extra fds -> all fail"""
    usr1 = []
    old = signal.signal(signal.SIGUSR1, lambda *_: usr1.append(1))
    ctx.cleanups.append(lambda: signal.signal(signal.SIGUSR1, old))
    secret = "SECRET-" + ctx.token
    victim = subprocess.Popen(["sleep", "60"], env={"SMOKE_SECRET": secret}, start_new_session=True)
    ctx.procs.append(victim)
    leak_r, leak_w = os.pipe()
    os.set_inheritable(leak_w, True)
    ctx.cleanups.append(lambda: (os.close(leak_r), os.close(leak_w)))
    code = ("import fcntl, termios, os, sys\n"
            "try:\n fcntl.ioctl(0, termios.TIOCSTI, b'x'); print('TIOCSTI-OK')\n"
            "except OSError as e: print('TIOCSTI-DENIED', e)\n"
            "for fd in range(3, 1024):\n try:\n  os.fstat(fd)\n except OSError: continue\n"
            " print('EXTRA-FD', fd, os.readlink('/proc/self/fd/%%d' %% fd) if os.path.exists('/proc/self/fd/%%d' %% fd) else '')\n"
            " try: os.write(fd, b'LEAK')\n except OSError: pass\n"
            "for pid, sig in ((%d, 0), (%d, 10), (%d, 15)):\n"
            " try:\n  os.kill(pid, sig); print('KILL-OK', pid, sig)\n except OSError as e: print('KILL-DENIED', pid, e)\n"
            "try:\n print('ENVIRON', open('/proc/%d/environ', 'rb').read())\nexcept OSError as e: print('ENVIRON-DENIED', e)\n"
            "try:\n print('HARNESS-ENVIRON', len(open('/proc/%d/environ', 'rb').read()))\n"
            "except OSError as e: print('HARNESS-ENVIRON-DENIED', e)\n"
            % (os.getpid(), os.getpid(), victim.pid, victim.pid, os.getpid()))
    stdin_tty = ctx.mode == "captured"
    r = ctx.py(code, policy=WS, pass_fds=(leak_w,), stdin_tty=stdin_tty)
    ctx.require_ran(r)
    time.sleep(0.3)
    ctx.check("TIOCSTI-OK" not in r.out, "TIOCSTI on fd 0 succeeded inside")
    if stdin_tty:
        master, slave = ctx.last_tty
        os.set_blocking(slave, False)
        import termios as T
        attrs = T.tcgetattr(slave)
        attrs[3] &= ~T.ICANON
        T.tcsetattr(slave, T.TCSANOW, attrs)
        try:
            injected = os.read(slave, 64)
        except BlockingIOError:
            injected = b""
        ctx.check(b"x" not in injected, "a byte was injected into the caller's terminal: %r" % injected)
    os.set_blocking(leak_r, False)
    try:
        leaked = os.read(leak_r, 64)
    except BlockingIOError:
        leaked = b""
    ctx.check(leaked == b"", "the command wrote into an fd the harness passed to cordon: %r" % leaked)
    extra = [x for x in r.out.splitlines() if x.startswith("EXTRA-FD")]
    ctx.check(not extra, "fds other than 0,1,2 open inside: %r" % extra)
    ctx.check(not usr1, "the harness received SIGUSR1 from inside")
    ctx.check(victim.poll() is None, "a host process was killed from inside")
    ctx.check(secret not in r.text, "a host process's environment was read from inside")
    ctx.check("HARNESS-ENVIRON " not in r.out, "the harness's /proc/<pid>/environ was readable inside")
    kills = [x for x in r.out.splitlines() if x.startswith("KILL-OK")]
    ctx.check(not kills, "signals to host processes were delivered: %r" % kills)


@case
def userns_unavailable(ctx):
    """no user namespaces (max_user_namespaces=0): 125 naming user namespaces and 'cordon doctor'; --best-effort runs, Landlock still denies"""
    probe = subprocess.run(["unshare", "-U", "--map-root-user", "sh", "-c",
                            "echo 0 > /proc/sys/user/max_user_namespaces || exit 90; echo SET; "
                            "unshare -U true 2>/dev/null && echo STILL-WORKS"],
                           capture_output=True, text=True, timeout=10)
    if "SET" not in probe.stdout or "STILL-WORKS" in probe.stdout:
        ctx.skip("cannot make a user namespace where user namespaces are off (%s)" %
                 (probe.stderr.strip().splitlines() or ["userns still works"])[-1])
    target = os.path.join(ctx.outside, "be.txt")

    def wrapped(policy):
        argv = ctx.argv(["sh", "-c", "echo %s; echo x > %s; echo y > inside.txt" % (H.RAN, q(target))], policy)
        return ["unshare", "-U", "--map-root-user", "sh", "-c",
                'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh"] + argv

    r = ctx.run(None, raw_argv=wrapped(WS))
    ctx.check(r.rc == 125, "without --best-effort expected 125: %s" % r.brief())
    ctx.check(not r.ran, "the command ran without user namespaces and without --best-effort")
    low = r.text.lower()
    ctx.check("user namespace" in low and "cordon doctor" in low,
              "the refusal should mention user namespaces and 'cordon doctor': %s" % r.brief())
    absent(ctx, target, "refused run")
    r = ctx.run(None, raw_argv=wrapped(WS + ["--best-effort"]))
    ctx.require_ran(r, "--best-effort run")
    ctx.check("not enforced" in r.text.lower() or "missing" in r.text.lower() or "without" in r.text.lower(),
              "--best-effort should list what is not enforced: %s" % r.brief())
    absent(ctx, target, "--best-effort write outside the roots (Landlock)")
    has_bytes(ctx, os.path.join(ctx.ws, "inside.txt"), b"y\n", "--best-effort workspace write")


def make_real_repo(ctx):
    env = dict(os.environ, GIT_AUTHOR_NAME="smoke", GIT_AUTHOR_EMAIL="s@example.invalid",
               GIT_COMMITTER_NAME="smoke", GIT_COMMITTER_EMAIL="s@example.invalid", HOME=ctx.base,
               GIT_CONFIG_NOSYSTEM="1")
    ctx.write(os.path.join(ctx.ws, "hello.c"), b'#include <stdio.h>\nint main(void){puts("HELLO-FROM-C");return 0;}\n')
    ctx.write(os.path.join(ctx.ws, "Makefile"), b"hello: hello.c\n\tcc -o hello hello.c\n")
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-q", "-m", "one"]):
        subprocess.run(cmd, cwd=ctx.ws, env=env, check=True, capture_output=True, timeout=20)
    ctx.write(os.path.join(ctx.ws, "hello.c"), b'#include <stdio.h>\nint main(void){puts("HELLO-FROM-C");return 0;}\n/* changed */\n')


@case
def real_tools(ctx):
    """WS: sh, python3, git status/diff/log work; git commit fails with .git unchanged; make + cc build and run"""
    if not (H.which("git") and H.which("make") and H.which("cc")):
        ctx.skip("git, make or cc missing")
    make_real_repo(ctx)
    git = os.path.join(ctx.ws, ".git")
    before = H.sha_tree(git)
    env = {"GIT_AUTHOR_NAME": "smoke", "GIT_AUTHOR_EMAIL": "s@example.invalid", "GIT_COMMITTER_NAME": "smoke",
           "GIT_COMMITTER_EMAIL": "s@example.invalid", "HOME": ctx.base, "GIT_CONFIG_NOSYSTEM": "1"}
    script = ("git status --porcelain > st.out; echo status=$?; git diff --stat > diff.out; echo diff=$?; "
              "git log --oneline > log.out; echo log=$?; git add hello.c; git commit -q -am two; echo commit=$?; "
              "make >/dev/null && ./hello > run.out; echo make=$?; %s -c 'print(6*7)' > py.out; "
              "curl --version > curl.out; echo curl=$?" % H.PYTHON)
    r = ctx.sh(script, policy=WS, env=env, timeout=60)
    ctx.require_ran(r)
    out = r.out

    def status(name):
        for line in out.splitlines():
            if line.startswith(name + "="):
                return line.split("=", 1)[1]
        return None
    for name in ("status", "diff", "log"):
        ctx.check(status(name) == "0", "git %s failed inside: %s" % (name, r.brief()))
    ctx.check(b"hello.c" in (H.read_bytes(os.path.join(ctx.ws, "st.out")) or b""), "git status did not list hello.c")
    ctx.check(b"hello.c" in (H.read_bytes(os.path.join(ctx.ws, "diff.out")) or b""), "git diff did not show hello.c")
    ctx.check(b"one" in (H.read_bytes(os.path.join(ctx.ws, "log.out")) or b""), "git log did not show the commit")
    ctx.check(status("commit") not in (None, "0"), "git commit should fail cleanly: %s" % r.brief())
    ctx.check(H.sha_tree(git) == before, ".git changed on the host")
    has_bytes(ctx, os.path.join(ctx.ws, "run.out"), b"HELLO-FROM-C\n", "make + cc + run")
    has_bytes(ctx, os.path.join(ctx.ws, "py.out"), b"42\n", "python3")
    ctx.check(b"curl" in (H.read_bytes(os.path.join(ctx.ws, "curl.out")) or b""), "curl --version failed")


@case
def worktree_gitdir_protected(ctx):
    """WS in a git worktree whose main repository lies in an extra root: its gitdir and the common .git stay read-only, and cannot be moved away; git status and log work, commit fails"""
    if not H.which("git"):
        ctx.skip("git missing")
    env = {"GIT_AUTHOR_NAME": "smoke", "GIT_AUTHOR_EMAIL": "s@example.invalid", "GIT_COMMITTER_NAME": "smoke",
           "GIT_COMMITTER_EMAIL": "s@example.invalid", "HOME": ctx.base, "GIT_CONFIG_NOSYSTEM": "1"}
    host_env = dict(os.environ, **env)
    # The main repository sits below the extra root, not at its top, so no
    # protected name covers its .git: only the worktree's link to it does.
    main = ctx.mkdir("extra/main")
    wt = ctx.path("wt")
    for cmd in (["git", "init", "-q", main], ["git", "-C", main, "commit", "-q", "--allow-empty", "-m", "one"],
                ["git", "-C", main, "worktree", "add", "-q", "-b", "side", wt]):
        subprocess.run(cmd, check=True, env=host_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    common = os.path.join(main, ".git")
    gitdir = os.path.join(common, "worktrees", "wt")
    if not os.path.isdir(gitdir):
        ctx.skip("git named the worktree's gitdir differently: %s" % os.listdir(os.path.join(common, "worktrees")))
    before = H.sha_tree(common)
    hook = os.path.join(common, "hooks", "post-checkout")
    attempts = [
        "echo '[core] hooksPath = /tmp' >> %s" % q(os.path.join(common, "config")),
        "printf '#!/bin/sh\\necho pwned\\n' > %s" % q(hook),
        "echo x >> %s" % q(os.path.join(gitdir, "HEAD")),
        "rm -f %s" % q(os.path.join(gitdir, "commondir")),
        "mv %s %s" % (q(common), q(os.path.join(main, "git-moved"))),
        "mv %s %s" % (q(main), q(ctx.path("extra", "main-moved"))),
        "mv %s %s" % (q(gitdir), q(os.path.join(common, "worktrees", "moved"))),
    ]
    script = "; ".join("( %s ) 2>/dev/null && echo 'SUCCEEDED: %s'" % (a, a.replace("'", "")) for a in attempts)
    script += ("; git status --porcelain >/dev/null; echo status=$?; git log --oneline >/dev/null; echo log=$?; "
               "echo two > two.txt; git add two.txt 2>/dev/null; git commit -q -m two 2>/dev/null; echo commit=$?; "
               "echo inside > written.txt")
    r = ctx.sh(script, policy=WS + ["-w", ctx.extra], cwd=wt, env=env, timeout=60)
    ctx.require_ran(r)
    ok = [x for x in r.out.splitlines() if x.startswith("SUCCEEDED")]
    ctx.check(not ok, "the worktree's git directories were changed inside: %r" % ok)
    ctx.check(H.sha_tree(common) == before, "the main repository's .git changed on the host")
    absent(ctx, hook, "a hook planted in the common .git")
    ctx.check(os.path.isdir(main) and os.path.isdir(gitdir), "the main repository or the gitdir moved")
    ctx.check("status=0" in r.out and "log=0" in r.out, "git status/log failed in the worktree: %s" % r.brief())
    ctx.check("commit=0" not in r.out, "git commit should fail cleanly: %s" % r.brief())
    has_bytes(ctx, os.path.join(wt, "written.txt"), b"inside\n", "the worktree itself stays writable")


@case
def deny_read_masked(ctx):
    """WS --deny-read FILE --deny-read DIR: cat/ls inside show nothing of them"""
    secret_file = os.path.join(ctx.outside, "secret.txt")
    secret_dir = ctx.mkdir("outside/secretdir")
    ctx.write(secret_file, "FILE-" + ctx.token)
    ctx.write(os.path.join(secret_dir, "inner-%s.key" % ctx.token), "DIR-" + ctx.token)
    script = "cat %s; ls -la %s; cat %s/*; echo done" % (q(secret_file), q(secret_dir), q(secret_dir))
    r = ctx.sh(script, policy=WS + ["--deny-read", secret_file, "--deny-read", secret_dir])
    ctx.require_ran(r)
    ctx.check(ctx.token not in r.text, "denied bytes or names appeared in the output: %s" % r.brief())
    control = ctx.sh("cat %s" % q(secret_file), policy=WS)
    ctx.require_ran(control)
    ctx.check(("FILE-" + ctx.token) in control.out, "control: without --deny-read the file should be readable: %s"
              % control.brief())


@case
def deny_read_in_workspace(ctx):
    """WS --deny-read ws/.env: cat, cp, rename, hardlink, rm+recreate do not reveal it; host bytes unchanged"""
    env_file = os.path.join(ctx.ws, ".env")
    secret = ("API_KEY=" + ctx.token + "\n").encode()
    ctx.write(env_file, secret)
    script = ("cat .env; cp .env copy.txt; cat copy.txt; mv .env moved.env; cat moved.env; ln .env hl; cat hl; "
              "{py} -c 'print(open(\".env\").read())'; rm -f .env; echo replaced > .env; echo done").format(py=H.PYTHON)
    r = ctx.sh(script, policy=WS + ["--deny-read", env_file])
    ctx.require_ran(r)
    ctx.check(ctx.token not in r.text, "the denied file's bytes appeared inside: %s" % r.brief())
    for name in ("copy.txt", "moved.env", "hl"):
        data = H.read_bytes(os.path.join(ctx.ws, name)) or b""
        ctx.check(ctx.token.encode() not in data, "the denied bytes were copied to ws/%s" % name)
    has_bytes(ctx, env_file, secret, "denied file on the host")


@case
def credential_stores_hidden(ctx):
    """WS with HOME holding .ssh/id_ed25519, .aws/credentials, .netrc: they read as empty inside, an ordinary home file reads fine; --allow-read-credential lifts one"""
    home = ctx.mkdir("home")
    secrets = {
        ".ssh/id_ed25519": "SSH-" + ctx.token,
        ".aws/credentials": "AWS-" + ctx.token,
        ".netrc": "NETRC-" + ctx.token,
    }
    for rel, text in secrets.items():
        ctx.write(os.path.join(home, rel), text + "\n")
    ctx.write(os.path.join(home, "notes.txt"), "NOTES-" + ctx.token + "\n")
    script = ('printf "NETRC[%s]\\n" "$(cat ~/.netrc 2>&1)"; printf "SSHDIR[%s]\\n" "$(ls -A ~/.ssh 2>&1)"; '
              'cat ~/.ssh/id_ed25519 ~/.aws/credentials 2>&1; cat ~/notes.txt; echo done')
    env = {"HOME": home}
    r = ctx.sh(script, policy=WS, env=env)
    ctx.require_ran(r)
    for rel, text in secrets.items():
        ctx.check(text not in r.text, "~/%s was readable inside: %s" % (rel, r.brief()))
    ctx.check("NETRC[]" in r.out, "~/.netrc should read as empty: %s" % r.brief())
    ctx.check("SSHDIR[]" in r.out, "~/.ssh should list as empty: %s" % r.brief())
    ctx.check(("NOTES-" + ctx.token) in r.out, "an ordinary home file should stay readable: %s" % r.brief())
    for rel, text in secrets.items():
        has_bytes(ctx, os.path.join(home, rel), (text + "\n").encode(), "~/%s on the host" % rel)

    r = ctx.sh("cat ~/.ssh/id_ed25519 ~/.aws/credentials ~/.netrc 2>&1; echo done",
               policy=WS + ["--allow-read-credential", os.path.join(home, ".ssh")], env=env)
    ctx.require_ran(r)
    ctx.check(secrets[".ssh/id_ed25519"] in r.out, "--allow-read-credential ~/.ssh should make the key readable: %s"
              % r.brief())
    ctx.check(secrets[".aws/credentials"] not in r.text and secrets[".netrc"] not in r.text,
              "lifting ~/.ssh should leave the other stores hidden: %s" % r.brief())


@case
def protect_custom_name(ctx):
    """WS --protect secrets.toml: write, append, delete, rename, create-when-missing in the workspace and extra root -> denied"""
    keep = os.path.join(ctx.ws, "secrets.toml")
    ctx.write(keep, b"token = 1\n")
    script = ("echo x >> secrets.toml; echo y > secrets.toml; mv secrets.toml s2; rm -f secrets.toml; "
              "echo z > {e}/secrets.toml; echo done").format(e=q(ctx.extra))
    r = ctx.sh(script, policy=WS + ["-w", ctx.extra, "--protect", "secrets.toml"])
    ctx.require_ran(r)
    has_bytes(ctx, keep, b"token = 1\n", "protected custom name")
    absent(ctx, os.path.join(ctx.ws, "s2"), "protected custom name renamed")
    absent(ctx, os.path.join(ctx.extra, "secrets.toml"), "missing protected custom name created in the extra root")
    r = ctx.sh("echo ok > other.toml", policy=WS + ["--protect", "secrets.toml"])
    ctx.require_ran(r)
    has_bytes(ctx, os.path.join(ctx.ws, "other.toml"), b"ok\n", "an unprotected sibling stays writable")


@case
def pty_interactive_policy_holds(ctx):
    """an interactive sh (pty: typed; captured: piped): outside write, .git write, network all fail; id -u as captured"""
    make_fake_git(ctx, ctx.ws)
    before = H.sha_tree(os.path.join(ctx.ws, ".git"))
    srv = ctx.server("tcp")
    target = os.path.join(ctx.outside, "typed.txt")
    ref = ctx.run(["sh", "-c", "echo %s; id -u" % H.RAN], policy=WS, mode="captured")
    ctx.require_ran(ref, "reference id -u")
    ref_uid = ref.out.split(H.RAN, 1)[1].split()[0] if ref.out.split(H.RAN, 1)[1].split() else "?"
    commands = ["echo x > %s" % q(target), "echo x >> .git/config",
                "curl -s --max-time 3 http://127.0.0.1:%d/ ; echo curl-done" % srv.port,
                "echo UID=$(id -u)=", "echo typed > typed-inside.txt", "exit 7"]
    if ctx.mode == "pty":
        proc, master = ctx.spawn_pty(ctx.argv(["sh", "-i"], WS, pty=True))
        out = b""
        for _ in range(10):  # typed-ahead input may be flushed when cordon goes raw: retype
            os.write(master, b"echo READY-$((40+2))\n")
            out += H.read_until(master, b"READY-42", 2)
            if b"READY-42" in out.replace(b"READY-$((40+2))", b""):
                break
        for c in commands:
            os.write(master, (c + "\n").encode())
            out += H.read_until(master, b"curl-done" if "curl" in c else b"\n", 8)
            time.sleep(0.2)
        out += H.read_until(master, b"\0", 3)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        text = out.decode(errors="replace")
    else:
        argv = ctx.argv(["sh", "-i"], WS, pty=False)
        p = subprocess.run(argv, input="\n".join(commands).encode() + b"\n", capture_output=True,
                           env=ctx.env(), timeout=30)
        rc = p.returncode
        text = (p.stdout + p.stderr).decode(errors="replace")
    ctx.check(rc == 7, "the shell's exit status 7 should come back: rc=%s %r" % (rc, text[-400:]))
    absent(ctx, target, "typed write outside")
    ctx.check(H.sha_tree(os.path.join(ctx.ws, ".git")) == before, ".git changed on the host")
    time.sleep(0.3)
    ctx.check(srv.accepted == 0, "host server accepted %d connection(s)" % srv.accepted)
    has_bytes(ctx, os.path.join(ctx.ws, "typed-inside.txt"), b"typed\n", "typed workspace write (shell really ran)")
    ctx.check(("UID=%s=" % ref_uid) in text, "id -u differs from captured mode (%s): %r" % (ref_uid, text[-400:]))


@case
def compat_form_policy_holds(ctx):
    """cordon --sandbox-policy-cwd DIR POLICY (read-only, workspace-write, JSON writable_roots) enforces like run"""
    import json

    def compat(policy, script):
        argv = [ctx.cordon, "--sandbox-policy-cwd", ctx.ws, policy, "--", "sh", "-c", "echo %s; %s" % (H.RAN, script)]
        return ctx.run(None, raw_argv=argv)

    out = os.path.join(ctx.outside, "c.txt")
    r = compat("read-only", "echo x > ro.txt")
    ctx.require_ran(r, "compat read-only")
    absent(ctx, os.path.join(ctx.ws, "ro.txt"), "compat read-only create")
    r = compat("workspace-write", "echo x > ws.txt; echo x > %s" % q(out))
    ctx.require_ran(r, "compat workspace-write")
    has_bytes(ctx, os.path.join(ctx.ws, "ws.txt"), b"x\n", "compat workspace-write create")
    absent(ctx, out, "compat workspace-write outside write")
    policy = json.dumps({"type": "workspace-write", "writable_roots": [ctx.extra], "network_access": False})
    r = compat(policy, "echo x > %s/e.txt; echo x > %s; echo x >> .git/config" % (q(ctx.extra), q(out)))
    ctx.require_ran(r, "compat JSON policy")
    has_bytes(ctx, os.path.join(ctx.extra, "e.txt"), b"x\n", "compat JSON writable_roots write")
    absent(ctx, out, "compat JSON outside write")
    absent(ctx, os.path.join(ctx.ws, ".git"), "compat JSON: missing .git created")


@case
def pty_terminal_named(ctx):
    """WS: the command can name its terminal (pty: tty and ttyname give /dev/pts/N of the sandbox's own devpts, the device on fd 0; captured: not a tty); no host terminal shows in the sandbox's /dev/pts"""
    code = ("import os\n"
            "try:\n name = os.ttyname(0); print('TTYNAME', name)\n"
            " print('SAME-DEVICE', os.stat(name).st_rdev == os.fstat(0).st_rdev)\n"
            "except OSError as e: print('NO-TTYNAME', e.errno)\n"
            "print('PTS', ' '.join(sorted(os.listdir('/dev/pts'))))\n")
    r = ctx.run(["sh", "-c", 'echo %s; echo "TTY=$(tty)"; exec "$@"' % H.RAN, "sh", H.PYTHON, "-c", code],
                policy=WS)
    ctx.require_ran(r)
    lines = dict(line.split(None, 1) if " " in line else (line, "") for line in r.out.splitlines())
    tty = next((line[4:] for line in r.out.splitlines() if line.startswith("TTY=")), None)
    inside = set(lines.get("PTS", "").split())
    if ctx.mode == "pty":
        ctx.check(tty is not None and tty.startswith("/dev/pts/"), "tty did not name a terminal: %r" % tty)
        ctx.check(lines.get("TTYNAME") == tty, "ttyname(0) %r differs from tty %r" % (lines.get("TTYNAME"), tty))
        ctx.check(lines.get("SAME-DEVICE") == "True", "ttyname(0) names another device: %s" % r.brief())
        own = {tty[len("/dev/pts/"):]} if tty and tty.startswith("/dev/pts/") else set()
        ctx.check(inside == {"ptmx"} | own,
                  "the sandbox's /dev/pts should hold ptmx and the command's own terminal only: %r" % sorted(inside))
    else:
        ctx.check(tty == "not a tty", "captured stdin should not be a terminal: %r" % tty)
        ctx.check("NO-TTYNAME" in lines, "ttyname(0) named something for captured stdin: %s" % r.brief())
        ctx.check(inside == {"ptmx"}, "the sandbox's /dev/pts shows terminals: %r" % sorted(inside))


@case
def pty_no_phantom_input(ctx):
    """WS: `cordon run -q -- sh -c 'echo hi'` shows exactly hi, nothing else (pty: Ctrl-D sent while cordon starts must not become a NUL the command sees; captured: stdin at EOF)"""
    cmd = ["sh", "-c", "echo hi"]
    if ctx.mode == "pty":
        proc, master = ctx.spawn_pty(ctx.argv(cmd, WS + ["-q"], pty=True))
        # An end of input typed before cordon's terminal is raw: the
        # kernel's line discipline keeps it as a NUL byte.
        os.write(master, b"\x04")
        data = H.read_until(master, None, 15, proc)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        ctx.check(rc == 0, "cordon --pty exit status %r" % rc)
        ctx.check(data == b"hi\r\n", "the terminal showed %r, expected exactly b'hi\\r\\n'" % data)
    else:
        p = subprocess.run(ctx.argv(cmd, WS + ["-q"], pty=False), stdin=subprocess.DEVNULL,
                           capture_output=True, env=ctx.env(), timeout=30)
        ctx.check(p.returncode == 0, "exit status %d" % p.returncode)
        ctx.check(p.stdout == b"hi\n" and p.stderr == b"",
                  "stdout %r / stderr %r, expected exactly b'hi\\n' and nothing" % (p.stdout, p.stderr))
