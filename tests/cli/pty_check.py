#!/usr/bin/env python3
"""Runs `cordon run --pty` on a real terminal (a pty made here) and checks
what only a terminal shows: the size is passed on and follows resizes,
Ctrl-C typed by the user reaches the command (not cordon), and the
terminal's mode is raw during the run and restored after it.
Prints "ok" or what went wrong.
Usage: pty_check.py PATH-TO-CORDON [MODE] (MODE defaults to full-access)"""
import fcntl
import os
import select
import struct
import sys
import termios
import time

COMMAND = ("trap 'stty size; echo GOT-INT; exit 4' INT; stty size; echo READY; "
           "i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; exit 9")


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def read_until(master, needle, seconds):
    data = b""
    deadline = time.time() + seconds
    while needle not in data and time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


def main():
    cordon = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "full-access"
    master, slave = os.openpty()
    set_size(slave, 40, 100)
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.close(slave)
        os.execv(cordon, [cordon, "run", "-m", mode, "-q", "--pty", "--", "sh", "-c", COMMAND])
    problems = []
    out = read_until(master, b"READY", 5)
    if b"READY" not in out:
        problems.append("command never started: %r" % out[-200:])
    if b"40 100" not in out:
        problems.append("initial size not passed on: %r" % out[-200:])
    during = termios.tcgetattr(slave)
    if during[3] & termios.ICANON or during[3] & termios.ECHO or during[3] & termios.ISIG:
        problems.append("terminal not in raw mode during the run")
    set_size(slave, 33, 111)  # the kernel sends SIGWINCH to cordon
    time.sleep(0.5)
    os.write(master, b"\x03")
    out = read_until(master, b"GOT-INT", 5)
    if b"GOT-INT" not in out:
        problems.append("Ctrl-C did not reach the command: %r" % out[-200:])
    if b"33 111" not in out:
        problems.append("resize not passed on: %r" % out[-200:])
    deadline = time.time() + 5
    status = None
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        read_until(master, b"\0", 0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        problems.append("cordon did not end")
    if not problems or status:
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 4:
            problems.append("exit status %r, want 4" % (os.waitstatus_to_exitcode(status),))
    after = termios.tcgetattr(slave)
    if after[:6] != before[:6]:
        problems.append("terminal mode not restored")
    print("; ".join(problems) if problems else "ok")


main()
