"""The reference smoke case classes (smoke-cases.md), with their Linux
meaning. Every case checks its verdict on the host."""
import os
import shlex
import time

import smoke_harness as H
from smoke_registry import case

WS = ["-m", "workspace-write"]
RO = ["-m", "read-only"]
q = shlex.quote


def absent(ctx, path, what):
    ctx.check(not os.path.lexists(path), "%s: %s exists on the host" % (what, path))


def has_bytes(ctx, path, expected, what):
    got = H.read_bytes(path)
    ctx.check(got == expected, "%s: %s holds %r, expected %r" % (what, path, got, expected))


# ------------------------------------------------------------ files: cwd
@case
def ro_create_in_cwd_denied(ctx):
    """RO: create a file in the working directory -> denied, no file"""
    r = ctx.sh("echo x > new.txt && echo WROTE", policy=RO)
    ctx.require_ran(r)
    absent(ctx, os.path.join(ctx.ws, "new.txt"), "read-only create")
    ctx.check(r.rc != 0, "the failed write should make the command fail: %s" % r.brief())


@case
def ws_create_in_cwd_allowed(ctx):
    """WS: create a file in the working directory -> allowed"""
    r = ctx.sh("echo hello > new.txt", policy=WS)
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "command failed: %s" % r.brief())
    has_bytes(ctx, os.path.join(ctx.ws, "new.txt"), b"hello\n", "workspace create")


@case
def ws_create_outside_denied(ctx):
    """WS: create a file in a user-writable dir outside every root, and in host /tmp, /var/tmp, /dev/shm -> denied"""
    target = os.path.join(ctx.outside, "escape.txt")
    # prove the denial is cordon's: the invoking user can write there
    probe = os.path.join(ctx.outside, ".probe")
    ctx.write(probe, b"p")
    os.unlink(probe)
    # with TMPDIR elsewhere, the host's own /tmp, /var/tmp and /dev/shm are
    # outside every root too
    shared = ["/tmp/" + ctx.token, "/var/tmp/" + ctx.token, "/dev/shm/" + ctx.token]
    for t in shared:
        ctx.cleanups.append(lambda t=t: os.path.lexists(t) and os.unlink(t))
    r = ctx.sh("echo x > %s && echo WROTE; " % q(target) + "; ".join("echo x > %s" % q(t) for t in shared),
               policy=WS)
    ctx.require_ran(r)
    absent(ctx, target, "outside create")
    ctx.check(os.listdir(ctx.outside) == [], "outside dir changed: %r" % os.listdir(ctx.outside))
    for t in shared:
        absent(ctx, t, "write to a shared temp dir that is not the temp root")


@case
def ws_extra_root_write_allowed(ctx):
    """WS -w EXTRA: write in the extra root -> allowed"""
    target = os.path.join(ctx.extra, "f.txt")
    r = ctx.sh("echo extra > %s" % q(target), policy=WS + ["-w", ctx.extra])
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "command failed: %s" % r.brief())
    has_bytes(ctx, target, b"extra\n", "extra root write")


@case
def ro_extra_root_write_denied(ctx):
    """RO: write in the extra root -> denied (RO + -w is refused with 125, or the write fails)"""
    target = os.path.join(ctx.extra, "f.txt")
    r = ctx.sh("echo x > %s && echo WROTE" % q(target), policy=RO + ["-w", ctx.extra])
    if r.rc == 125:
        ctx.check(not r.ran, "cordon said 125 but the command ran: %s" % r.brief())
    else:
        ctx.require_ran(r)
    absent(ctx, target, "read-only + extra root")
    r = ctx.sh("echo x > %s && echo WROTE" % q(target), policy=RO)
    ctx.require_ran(r)
    absent(ctx, target, "read-only write into the (former) extra root")


# ------------------------------------------------------------ temp
@case
def ws_tmp_write_allowed(ctx):
    """WS: write in the temp directory ($TMPDIR) -> allowed"""
    target = os.path.join(ctx.tmp, "t.txt")
    r = ctx.sh('echo tmp > "$TMPDIR/t.txt"; echo tmp2 > %s' % q(target + "2"), policy=WS)
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "command failed: %s" % r.brief())
    has_bytes(ctx, target, b"tmp\n", "temp write via $TMPDIR")
    has_bytes(ctx, target + "2", b"tmp2\n", "temp write via its path")


@case
def ro_tmp_write_denied(ctx):
    """RO: write in the temp directory and /tmp -> denied, nothing on the host"""
    target = os.path.join(ctx.tmp, "t.txt")
    host_tmp = "/tmp/%s" % ctx.token
    ctx.cleanups.append(lambda: os.path.lexists(host_tmp) and os.unlink(host_tmp))
    r = ctx.sh('echo x > %s; echo x > "$TMPDIR/t2.txt"; echo x > %s' % (q(target), q(host_tmp)), policy=RO)
    ctx.require_ran(r)
    absent(ctx, target, "read-only temp write")
    absent(ctx, os.path.join(ctx.tmp, "t2.txt"), "read-only $TMPDIR write")
    absent(ctx, host_tmp, "read-only /tmp write")


# ------------------------------------------------------------ append
@case
def ws_append_allowed(ctx):
    """WS: append to a file -> allowed"""
    target = os.path.join(ctx.ws, "a.txt")
    ctx.write(target, b"one\n")
    r = ctx.sh("echo two >> a.txt", policy=WS)
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "command failed: %s" % r.brief())
    has_bytes(ctx, target, b"one\ntwo\n", "workspace append")


@case
def ro_append_denied_bytes_unchanged(ctx):
    """RO: append to a file -> denied, content unchanged"""
    target = os.path.join(ctx.ws, "a.txt")
    ctx.write(target, b"one\n")
    r = ctx.sh("echo two >> a.txt && echo WROTE", policy=RO)
    ctx.require_ran(r)
    has_bytes(ctx, target, b"one\n", "read-only append")
    ctx.check(r.rc != 0, "append should fail: %s" % r.brief())


# ------------------------------------------------------------ second runtime
def runtimes():
    found = [("python3", [H.PYTHON, "-c", "import sys; open(sys.argv[1], 'w').write('rt\\n')"])]
    if H.which("perl"):
        found.append(("perl", ["perl", "-e", "open(my $f, '>', $ARGV[0]) or die $!; print $f \"rt\\n\";"]))
    return found


@case
def second_runtime_write(ctx):
    """WS/RO: write from python3 and perl -> allowed in WS, denied in RO"""
    for label, argv in runtimes():
        ws_target = os.path.join(ctx.ws, "ws-%s.txt" % label)
        r = ctx.run(["sh", "-c", 'echo %s; exec "$@"' % H.RAN, "sh"] + argv + [ws_target], policy=WS)
        ctx.require_ran(r, label)
        has_bytes(ctx, ws_target, b"rt\n", "%s write in WS" % label)
        ro_target = os.path.join(ctx.ws, "ro-%s.txt" % label)
        r = ctx.run(["sh", "-c", 'echo %s; exec "$@"' % H.RAN, "sh"] + argv + [ro_target], policy=RO)
        ctx.require_ran(r, label)
        absent(ctx, ro_target, "%s write in RO" % label)
        ctx.check(r.rc != 0, "%s RO write should fail: %s" % (label, r.brief()))
    if not H.which("perl"):
        ctx.note("perl not installed: python3 only")


@case
def ws_mkdir_then_write(ctx):
    """WS: mkdir then write inside -> allowed"""
    r = ctx.sh("mkdir sub && echo in > sub/f.txt", policy=WS)
    ctx.require_ran(r)
    has_bytes(ctx, os.path.join(ctx.ws, "sub", "f.txt"), b"in\n", "mkdir + write")


@case
def ws_rename(ctx):
    """WS: rename a file -> allowed"""
    ctx.write(os.path.join(ctx.ws, "a.txt"), b"data\n")
    r = ctx.sh("mv a.txt b.txt", policy=WS)
    ctx.require_ran(r)
    absent(ctx, os.path.join(ctx.ws, "a.txt"), "renamed-away name")
    has_bytes(ctx, os.path.join(ctx.ws, "b.txt"), b"data\n", "rename")


@case
def ws_delete(ctx):
    """WS: delete a file -> allowed"""
    ctx.write(os.path.join(ctx.ws, "a.txt"), b"data\n")
    r = ctx.sh("rm a.txt", policy=WS)
    ctx.require_ran(r)
    ctx.check(r.rc == 0, "rm failed: %s" % r.brief())
    absent(ctx, os.path.join(ctx.ws, "a.txt"), "delete")


@case
def python_write(ctx):
    """RO/WS: write from Python -> denied / allowed"""
    code = "import sys\ntry:\n open(%r, 'w').write('py\\n'); print('WROTE')\nexcept OSError as e:\n print('DENIED', e); sys.exit(3)"
    target = os.path.join(ctx.ws, "py.txt")
    r = ctx.py(code % target, policy=RO)
    ctx.require_ran(r)
    absent(ctx, target, "python RO write")
    r = ctx.py(code % target, policy=WS)
    ctx.require_ran(r)
    has_bytes(ctx, target, b"py\n", "python WS write")


@case
def ro_tmp_write_second_runtime_denied(ctx):
    """RO: temp write through python3/perl -> denied"""
    for label, argv in runtimes():
        target = os.path.join(ctx.tmp, "rt-%s.txt" % label)
        r = ctx.run(["sh", "-c", 'echo %s; exec "$@"' % H.RAN, "sh"] + argv + [target], policy=RO)
        ctx.require_ran(r, label)
        absent(ctx, target, "%s RO temp write" % label)


@case
def raw_bytes_write(ctx):
    """WS/RO: os.open + os.write raw bytes -> allowed / denied"""
    code = ("import os, sys\ntry:\n fd = os.open(%r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
            " os.write(fd, bytes(range(256))); os.close(fd)\nexcept OSError as e:\n print('DENIED', e); sys.exit(3)")
    ws_target = os.path.join(ctx.ws, "raw.bin")
    r = ctx.py(code % ws_target, policy=WS)
    ctx.require_ran(r)
    has_bytes(ctx, ws_target, bytes(range(256)), "raw WS write")
    ro_target = os.path.join(ctx.ws, "raw-ro.bin")
    r = ctx.py(code % ro_target, policy=RO)
    ctx.require_ran(r)
    absent(ctx, ro_target, "raw RO write")
    ctx.write(os.path.join(ctx.ws, "existing.bin"), b"keep")
    r = ctx.py(code % os.path.join(ctx.ws, "existing.bin"), policy=RO)
    ctx.require_ran(r)
    has_bytes(ctx, os.path.join(ctx.ws, "existing.bin"), b"keep", "raw RO overwrite")


@case
def ws_deep_mkdir_write(ctx):
    """WS: deep mkdir -p + write -> allowed"""
    r = ctx.sh("mkdir -p a/b/c/d/e/f/g/h && echo deep > a/b/c/d/e/f/g/h/f.txt", policy=WS)
    ctx.require_ran(r)
    has_bytes(ctx, os.path.join(ctx.ws, "a/b/c/d/e/f/g/h/f.txt"), b"deep\n", "deep write")


@case
def ws_move(ctx):
    """WS: move a file into a subdirectory -> allowed"""
    ctx.write(os.path.join(ctx.ws, "m.txt"), b"move\n")
    os.mkdir(os.path.join(ctx.ws, "dest"))
    r = ctx.sh("mv m.txt dest/", policy=WS)
    ctx.require_ran(r)
    absent(ctx, os.path.join(ctx.ws, "m.txt"), "moved-away name")
    has_bytes(ctx, os.path.join(ctx.ws, "dest", "m.txt"), b"move\n", "move")


@case
def ro_shell_redirection_denied(ctx):
    """RO: >, >> and truncating redirections -> denied, bytes unchanged"""
    keep = os.path.join(ctx.ws, "keep.txt")
    ctx.write(keep, b"keep\n")
    r = ctx.sh("printf x > new.txt; printf x >> keep.txt; : > keep.txt; exec 3<>keep.txt", policy=RO)
    ctx.require_ran(r)
    absent(ctx, os.path.join(ctx.ws, "new.txt"), "RO redirection create")
    has_bytes(ctx, keep, b"keep\n", "RO redirection append/truncate")


# ------------------------------------------------------------ network (reference 17-20)
@case
def net_loopback_direct_denied(ctx):
    """WS, network off: curl and python to a host 127.0.0.1 server -> fail, server sees nothing"""
    srv = ctx.server("tcp")
    url = "http://127.0.0.1:%d/" % srv.port
    r = ctx.sh("curl -sS --max-time 3 %s; echo curl=$?; %s -c %s" % (
        q(url), H.PYTHON, q("import socket\ntry:\n socket.create_connection(('127.0.0.1', %d), 3); print('CONNECTED')\n"
                            "except OSError as e: print('DENIED', e)" % srv.port)), policy=WS)
    ctx.require_ran(r)
    time.sleep(0.3)
    ctx.check(srv.accepted == 0, "host server accepted %d connection(s)" % srv.accepted)
    ctx.check(H.TcpServer.BODY.decode().strip() not in r.text, "server response reached the command")


def proxy_policy(ctx):
    return WS + ["-n", "proxy", "--allow-domain", "localhost"]


def skip_if_proxy_unsupported(ctx, r):
    if r.rc == 125 and not r.ran and "proxy" in r.text.lower():
        line = [x for x in r.text.splitlines() if "proxy" in x.lower()][0]
        ctx.skip("cordon refused --network proxy: %s" % line.strip())


@case
def net_proxy_allowed(ctx):
    """WS, --network proxy --allow-domain localhost: curl via the configured proxy -> reaches the host server"""
    srv = ctx.server("tcp")
    # the proxy named by cordon's environment, used explicitly ...
    r = ctx.sh("curl -sS --max-time 5 --noproxy '' -x \"$http_proxy\" http://localhost:%d/; echo curl=$?" % srv.port,
               policy=proxy_policy(ctx))
    skip_if_proxy_unsupported(ctx, r)
    ctx.require_ran(r)
    ctx.check("SMOKE-SERVER-OK" in r.text and srv.accepted >= 1,
              "through $http_proxy explicitly, the allowed host was not reached (server saw %d): %s"
              % (srv.accepted, r.brief()))
    # ... and as a client configured only by that environment uses it
    seen = srv.accepted
    r = ctx.sh("curl -sS --max-time 5 http://localhost:%d/; echo curl=$?; env | grep -i _proxy=" % srv.port,
               policy=proxy_policy(ctx))
    ctx.require_ran(r)
    ctx.check("SMOKE-SERVER-OK" in r.text and srv.accepted > seen,
              "plain curl with cordon's proxy environment did not reach the allowed host "
              "(does NO_PROXY route the allowed domain around the proxy?): %s" % r.brief())


@case
def net_proxy_bypass_denied(ctx):
    """WS, --network proxy: reach the server directly (no proxy) or a non-allowed name via the proxy -> denied, server sees nothing"""
    srv = ctx.server("tcp")
    code = ("import socket\nfor h in ('127.0.0.1', 'localhost'):\n try:\n  socket.create_connection((h, %d), 3); print('CONNECTED')\n"
            " except OSError as e: print('DENIED', e)" % srv.port)
    r = ctx.sh("curl -sS --noproxy '*' --max-time 3 http://127.0.0.1:%d/; echo curl=$?; %s -c %s; "
               "curl -sS --max-time 3 --noproxy '' -x \"$http_proxy\" http://127.0.0.1:%d/; echo curl-ip-via-proxy=$?"
               % (srv.port, H.PYTHON, q(code), srv.port), policy=proxy_policy(ctx))
    skip_if_proxy_unsupported(ctx, r)
    ctx.require_ran(r)
    time.sleep(0.3)
    ctx.check(srv.accepted == 0, "host server accepted %d connection(s) not made through the allowlist" % srv.accepted)
    ctx.check("CONNECTED" not in r.out, "a direct connection succeeded inside")


# ------------------------------------------------------------ tools
@case
def tools_work(ctx):
    """WS: curl --version and git --version work"""
    for tool, expect in (("curl", "curl "), ("git", "git version")):
        if not H.which(tool):
            ctx.skip("%s is not installed" % tool)
        r = ctx.sh("%s --version" % tool, policy=WS)
        ctx.require_ran(r, tool)
        ctx.check(r.rc == 0 and expect in r.out, "%s --version failed: %s" % (tool, r.brief()))


@case
def tools_work_rg(ctx):
    """WS: rg --version works"""
    if not H.which("rg"):
        ctx.skip("rg (ripgrep) is not installed")
    r = ctx.sh("rg --version", policy=WS)
    ctx.require_ran(r)
    ctx.check(r.rc == 0 and "ripgrep" in r.out, "rg --version failed: %s" % r.brief())


# ------------------------------------------------------------ links
@case
def cwd_is_link_to_outside(ctx):
    """WS: -C is a symlink (in a user-writable dir) to an outside dir -> 125 naming the link, or write denied"""
    links = ctx.mkdir("links")
    link = os.path.join(links, "cwdlink")
    os.symlink(ctx.outside, link)
    r = ctx.sh("echo x > f.txt; echo x > %s/g.txt" % q(ctx.outside), policy=WS, cwd=link)
    if r.rc == 125 and not r.ran:
        ctx.check("cwdlink" in r.text, "refused, but the message does not name the link: %s" % r.brief())
    else:
        ctx.require_ran(r)
    ctx.check(os.listdir(ctx.outside) == [], "outside dir written through the cwd link: %r" % os.listdir(ctx.outside))


@case
def link_in_workspace_to_system_dir_write_denied(ctx):
    """WS: ws/etc -> /etc, ws/deep/.../vt -> /var/tmp, ws/o -> outside; write through each -> denied"""
    os.symlink("/etc", os.path.join(ctx.ws, "etc"))
    deep = ctx.mkdir("ws/deep/a/b/c")
    os.symlink("/var/tmp", os.path.join(deep, "vt"))
    os.symlink(ctx.outside, os.path.join(ctx.ws, "o"))
    name = ctx.token
    for p in ("/etc/" + name, "/var/tmp/" + name):
        ctx.cleanups.append(lambda p=p: os.path.lexists(p) and os.unlink(p))
    r = ctx.sh("echo x > etc/%s; echo x > deep/a/b/c/vt/%s; echo x > o/%s; echo done" % (name, name, name), policy=WS)
    ctx.require_ran(r)
    absent(ctx, "/etc/" + name, "write through ws/etc link")
    absent(ctx, "/var/tmp/" + name, "write through deep link to /var/tmp")
    absent(ctx, os.path.join(ctx.outside, name), "write through ws/o link")


@case
def workspace_root_is_link_to_root(ctx):
    """WS: -C is a symlink to / -> 125, or nothing written at /"""
    link = os.path.join(ctx.mkdir("links"), "rootlink")
    os.symlink("/", link)
    target = "/" + ctx.token
    ctx.cleanups.append(lambda: os.path.lexists(target) and os.unlink(target))
    r = ctx.sh("echo x > %s; echo x > ./%s-rel" % (ctx.token, ctx.token), policy=WS, cwd=link)
    ctx.cleanups.append(lambda: os.path.lexists(target + "-rel") and os.unlink(target + "-rel"))
    if r.rc == 125 and not r.ran:
        ctx.note("refused: " + r.text.strip().splitlines()[-1][:160] if r.text.strip() else "refused")
    else:
        ctx.require_ran(r)
    absent(ctx, target, "write at / through a root link")
    absent(ctx, target + "-rel", "relative write at / through a root link")


# ------------------------------------------------------------ devices, ipc
def host_disks():
    disks = []
    for name in ("vda", "sda", "nvme0n1", "xvda", "hda"):
        if os.path.exists("/dev/" + name):
            disks.append("/dev/" + name)
    try:
        for name in sorted(os.listdir("/sys/block")):
            if not name.startswith(("loop", "ram", "zram")) and os.path.exists("/dev/" + name):
                if "/dev/" + name not in disks:
                    disks.append("/dev/" + name)
    except OSError:
        pass
    return disks


@case
def raw_disk_read_denied(ctx):
    """WS: open the host's disk devices (/dev/vda...) -> denied; /dev inside is minimal"""
    disks = host_disks()
    if not disks:
        ctx.skip("this host has no disk block device to try")
    code = ("import os, sys\nfor d in sys.argv[1:]:\n try:\n  fd = os.open(d, os.O_RDONLY); b = os.read(fd, 4096)\n"
            "  print('READ', d, len(b))\n except OSError as e: print('DENIED', d, e.errno)\n"
            "print('DEVLIST', ' '.join(sorted(os.listdir('/dev'))))")
    r = ctx.run(["sh", "-c", 'echo %s; exec "$@"' % H.RAN, "sh", H.PYTHON, "-c", code] + disks, policy=WS)
    ctx.require_ran(r)
    ctx.check("READ " not in r.out, "a disk device was readable inside: %s" % r.brief())
    devline = [x for x in r.out.splitlines() if x.startswith("DEVLIST")]
    ctx.check(bool(devline), "no /dev listing: %s" % r.brief())
    if devline:
        inside = set(devline[0].split()[1:])
        leaked = [d for d in disks if os.path.basename(d) in inside]
        ctx.check(not leaked, "host disks visible in /dev inside: %r" % leaked)
        ctx.check(len(inside) <= 30, "/dev inside is not minimal (%d entries): %s" % (len(inside), sorted(inside)))


@case
def fifo_outside_denied(ctx):
    """WS: mkfifo (and a unix socket bind) outside the roots -> denied"""
    fifo = os.path.join(ctx.outside, "fifo")
    sock = os.path.join(ctx.outside, "sock")
    code = ("import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n s.bind(%r); print('BOUND')\n"
            "except OSError as e: print('DENIED', e)" % sock)
    r = ctx.sh("mkfifo %s; %s -c %s; mkfifo inside.fifo && echo INSIDE-OK" % (q(fifo), H.PYTHON, q(code)), policy=WS)
    ctx.require_ran(r)
    absent(ctx, fifo, "fifo outside")
    absent(ctx, sock, "unix socket outside")
    ctx.check(os.path.exists(os.path.join(ctx.ws, "inside.fifo")), "a fifo in the workspace should work: %s" % r.brief())


@case
def host_unix_socket_denied(ctx):
    """WS: connect to a host unix socket outside the roots and to one pre-made in the workspace -> nothing accepted"""
    outside_srv = ctx.server("unix", os.path.join(ctx.outside, "host.sock"))
    ws_srv = ctx.server("unix", os.path.join(ctx.ws, "pre.sock"))
    code = ("import socket, sys\nfor p in sys.argv[1:]:\n s = socket.socket(socket.AF_UNIX)\n try:\n"
            "  s.settimeout(3); s.connect(p); print('CONNECTED', p, s.recv(64))\n except OSError as e: print('DENIED', p, e)")
    r = ctx.run(["sh", "-c", 'echo %s; exec "$@"' % H.RAN, "sh", H.PYTHON, "-c", code,
                 outside_srv.address, ws_srv.address], policy=WS)
    ctx.require_ran(r)
    time.sleep(0.3)
    ctx.check(outside_srv.accepted == 0, "host socket outside the roots accepted %d connection(s)" % outside_srv.accepted)
    ctx.check(ws_srv.accepted == 0, "host server socket made in the workspace before the run accepted %d" % ws_srv.accepted)
    ctx.check("SMOKE-UNIX-OK" not in r.text, "the host server's reply reached the command")


# ------------------------------------------------------------ protected names
GIT_FILES = {"config": b"[core]\n\trepositoryformatversion = 0\n", "HEAD": b"ref: refs/heads/main\n",
             "hooks/pre-commit": b"#!/bin/sh\nexit 0\n"}


def make_fake_git(ctx, root):
    for rel, data in GIT_FILES.items():
        ctx.write(os.path.join(root, ".git", rel), data)


@case
def protected_case_variants(ctx):
    """WS: reach .git via ./.git/../.git, .git/./, symlink, hardlink; create/rename .git/.agents where missing -> denied"""
    make_fake_git(ctx, ctx.ws)
    before = H.sha_tree(os.path.join(ctx.ws, ".git"))
    ctx.write(os.path.join(ctx.extra, "d", "x"), b"x")
    ctx.write(os.path.join(ctx.ws, "d2", "x"), b"x")
    script = ("echo A >> ./.git/../.git/config; echo B >> .git/./config; ln -s .git g; echo C >> g/config; "
              "ln .git/config c; echo D >> c; echo E > .git/new; rm -f .git/HEAD; mv .git .git-moved; "
              "rm -rf .git/hooks; chmod 777 .git/config; "
              "mkdir {e}/.git; mv {e}/d {e}/.git; echo F > {e}/.git; "
              "mkdir .agents; mv d2 .agents; echo G > .agents; mkdir .codex; echo H > .cordon; echo done"
              ).format(e=q(ctx.extra))
    r = ctx.sh(script, policy=WS + ["-w", ctx.extra])
    ctx.require_ran(r)
    ctx.check(H.sha_tree(os.path.join(ctx.ws, ".git")) == before, ".git tree changed on the host")
    cfg = os.path.join(ctx.ws, ".git", "config")
    ctx.check(os.path.exists(cfg) and os.stat(cfg).st_mode & 0o777 != 0o777, ".git/config gone or its mode changed")
    absent(ctx, os.path.join(ctx.ws, ".git-moved"), ".git renamed")
    for rel in (".agents", ".codex", ".cordon"):
        absent(ctx, os.path.join(ctx.ws, rel), "missing protected name created in the workspace")
    absent(ctx, os.path.join(ctx.extra, ".git"), "missing .git created in the extra root")
    # `ln .git/config c` must not give a second, writable name for the
    # protected inode; a plain new file c (after ln failed) is harmless.
    c = os.path.join(ctx.ws, "c")
    if os.path.exists(c) and os.path.exists(cfg):
        ctx.check(not os.path.samefile(c, cfg), "ws/c is a hard link to .git/config")


@case
def state_dir_tamper_denied(ctx):
    """WS: XDG_STATE_HOME inside the workspace; append/replace/delete its runs.jsonl -> denied"""
    state = ctx.mkdir("ws/state")
    log = os.path.join(state, "cordon", "runs.jsonl")
    original = b'{"smoke":"original line"}\n'
    ctx.write(log, original)
    ino = os.stat(log).st_ino
    tamper = "TAMPER-" + ctx.token
    script = ("echo {t} >> state/cordon/runs.jsonl; echo {t} > state/cordon/runs.jsonl.new && "
              "mv state/cordon/runs.jsonl.new state/cordon/runs.jsonl; rm -f state/cordon/runs.jsonl; "
              "mv state/cordon state/moved; echo {t} > state/cordon/evil; echo done").format(t=tamper)
    r = ctx.sh(script, policy=WS, env={"XDG_STATE_HOME": state})
    ctx.require_ran(r)
    data = H.read_bytes(log)
    ctx.check(data is not None, "runs.jsonl is gone")
    if data is not None:
        ctx.check(data.startswith(original), "runs.jsonl's original bytes changed: %r" % data[:200])
        ctx.check(tamper.encode() not in data, "the command's bytes reached runs.jsonl")
        ctx.check(os.stat(log).st_ino == ino, "runs.jsonl was replaced")
    absent(ctx, os.path.join(state, "moved"), "state dir renamed")
    absent(ctx, os.path.join(state, "cordon", "evil"), "file created in the state dir")


@case
def codex_dir_tamper_denied(ctx):
    """WS: overwrite/append/delete/rename .codex/config.toml and .agents/* -> bytes unchanged"""
    files = {".codex/config.toml": b'sandbox_mode = "read-only"\n', ".agents/AGENTS.md": b"be careful\n"}
    for rel, data in files.items():
        ctx.write(os.path.join(ctx.ws, rel), data)
    before = {d: H.sha_tree(os.path.join(ctx.ws, d)) for d in (".codex", ".agents")}
    script = ("echo 'sandbox_mode = \"danger-full-access\"' > .codex/config.toml; echo x >> .agents/AGENTS.md; "
              "rm -f .codex/config.toml; mv .agents .agents-old; echo y > .codex/new.toml; rm -rf .codex; "
              "ln -s .codex cx; echo z > cx/config.toml; echo done")
    r = ctx.sh(script, policy=WS)
    ctx.require_ran(r)
    for d, h in before.items():
        ctx.check(H.sha_tree(os.path.join(ctx.ws, d)) == h, "%s changed on the host" % d)
    absent(ctx, os.path.join(ctx.ws, ".agents-old"), ".agents renamed")


# ------------------------------------------------------------ race, everyone-writable, timeout
@case
def symlink_flip_race(ctx):
    """WS: flip ws/link between ws/dir and an outside dir while writing through it for 2 s -> outside never written"""
    os.mkdir(os.path.join(ctx.ws, "dir"))
    script = ("(end=$(($(date +%s)+3)); while [ $(date +%s) -lt $end ]; do ln -sfn dir link; ln -sfn {o} link; done) & "
              "i=0; end=$(($(date +%s)+2)); while [ $(date +%s) -lt $end ]; do i=$((i+1)); "
              "echo $i 2>/dev/null > link/f$i; done; wait; echo writes=$i").format(o=q(ctx.outside))
    r = ctx.sh(script, policy=WS, timeout=30)
    ctx.require_ran(r)
    ctx.check(os.listdir(ctx.outside) == [], "outside dir got %d file(s) through the flipping link" %
              len(os.listdir(ctx.outside)))
    inside = os.listdir(os.path.join(ctx.ws, "dir"))
    ctx.check(len(inside) > 0, "the race never wrote through the link into ws/dir (the case proved nothing): %s"
              % r.brief())


@case
def everyone_writable_outside_denied(ctx):
    """WS --no-tmp: writes to /tmp, /var/tmp, /dev/shm and $TMPDIR do not reach the host"""
    targets = ["/tmp/" + ctx.token, "/var/tmp/" + ctx.token, "/dev/shm/" + ctx.token, os.path.join(ctx.tmp, "t")]
    for t in targets:
        ctx.cleanups.append(lambda t=t: os.path.lexists(t) and os.unlink(t))
    r = ctx.sh("; ".join("echo x > %s" % q(t) for t in targets) + "; echo done", policy=WS + ["--no-tmp"])
    ctx.require_ran(r)
    for t in targets:
        absent(ctx, t, "--no-tmp write")


def _daemons_script(ctx, delay):
    """Starts several kinds of escaping background writers, each writing a
    marker into the workspace after delay seconds."""
    m = lambda k: q(os.path.join(ctx.ws, "marker-" + k))  # noqa: E731
    tok = ctx.token
    py_daemon = ("import os, time, sys\nif os.fork(): sys.exit(0)\nos.setsid()\nif os.fork(): sys.exit(0)\n"
                 "time.sleep(%d)\nopen(%r, 'w').write('x')" % (delay, os.path.join(ctx.ws, "marker-pydaemon")))
    return ("(sleep {d}; echo {t} >/dev/null; echo x > {bg}) & "
            "sh -c '(sh -c \"sleep {d}; echo x > {df} # {t}\" &) &' ; "
            "setsid sh -c 'sleep {d}; echo x > {ss} # {t}' & "
            "nohup sh -c 'sleep {d}; echo x > {nh} # {t}' >/dev/null 2>&1 & "
            "{py} -c {pyd} {t}; "
            "sleep 0.3; ").format(d=delay, t=tok, bg=m("bg"), df=m("doublefork"), ss=m("setsid"), nh=m("nohup"),
                                  py=H.PYTHON, pyd=q(py_daemon))


MARKERS = ("bg", "doublefork", "setsid", "nohup", "pydaemon")


@case
def timeout_kills_tree(ctx):
    """WS -t 1: background, double-forked, setsid'd writers -> 124, no marker after 4 s, nothing left"""
    r = ctx.sh(_daemons_script(ctx, 3) + "sleep 100 # " + ctx.token, policy=WS + ["-t", "1"], timeout=20)
    ctx.require_ran(r)
    ctx.check(r.rc == 124, "expected exit 124 on timeout: %s" % r.brief())
    time.sleep(4)
    for k in MARKERS:
        absent(ctx, os.path.join(ctx.ws, "marker-" + k), "%s writer outlived the timeout" % k)
    left = H.pgrep(ctx.token)
    ctx.check(not left, "processes left after the timeout: %r" % left)


@case
def shell_open_url_denied(ctx):
    """RO: xdg-open/gio/dbus-send a URL and a fake session bus socket -> nothing reaches the host bus"""
    bus = ctx.server("unix", os.path.join(ctx.outside, "bus"))
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + bus.address, "DISPLAY": ":0", "BROWSER": "false"}
    url = "https://example.invalid/" + ctx.token
    parts = []
    if H.which("xdg-open"):
        parts.append("xdg-open %s; echo xdg-open=$?" % url)
    if H.which("gio"):
        parts.append("gio open %s; echo gio=$?" % url)
    if H.which("dbus-send"):
        parts.append("dbus-send --session --dest=org.freedesktop.portal.Desktop / org.freedesktop.DBus.Peer.Ping;"
                     " echo dbus-send=$?")
    code = ("import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n s.settimeout(3); s.connect(%r); print('CONNECTED')\n"
            "except OSError as e: print('DENIED', e)" % bus.address)
    parts.append("%s -c %s" % (H.PYTHON, q(code)))
    r = ctx.sh("; ".join(parts), policy=RO, env=env)
    ctx.require_ran(r)
    time.sleep(0.3)
    ctx.check(bus.accepted == 0, "the host session bus socket accepted %d connection(s)" % bus.accepted)
    ctx.check("CONNECTED" not in r.out, "the command connected to the host bus")
