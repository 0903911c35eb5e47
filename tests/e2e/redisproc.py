"""A real redis-server for end-to-end tests (Debian's redis-server): on a
free loopback port with a temporary directory, stopped with the suite.

Servers started by proc.py in Redis mode (run.py --redis) each get their own
REDIS_KEY_PREFIX, derived from their working directory, so a server started
again on the same directory (a crash test) finds its data, and tests never
see each other's.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

START_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: the child is killed when the process that started it dies,
    so an interrupted or killed test run leaves no redis-server behind."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp_command(port, *args, timeout=5.0):
    """One command on a fresh connection; the reply as Python values
    (errors raise RuntimeError)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(out)
        f = s.makefile("rb")
        return _read(f)


def _read(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:n]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(f) for _ in range(n)]
    raise RuntimeError("unexpected reply %r" % line)


class RedisServer:
    def __init__(self, appendfsync=""):
        self.dir = tempfile.mkdtemp(prefix="sela-e2e-redis-")
        self.appendfsync = appendfsync
        self.proc = None
        self.port = None

    def start(self):
        last = ""
        for _ in range(5):
            self.port = free_port()
            if self._launch():
                return self
            last = self.log_tail()
            self.stop()
        raise RuntimeError("redis-server did not start:\n" + last)

    def restart(self):
        """Starts it again on the same port and directory (with its AOF, what
        it acknowledged before it stopped)."""
        self.stop()
        if not self._launch():
            last = self.log_tail()
            self.stop()
            raise RuntimeError("redis-server did not start again:\n" + last)
        return self

    def _launch(self):
        """True once it answers PING on self.port."""
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--logfile", os.path.join(self.dir, "redis.log"),
                "--maxmemory-policy", "noeviction"]
        args += (["--appendonly", "yes", "--appendfsync", self.appendfsync] if self.appendfsync
                 else ["--appendonly", "no"])
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=die_with_parent)
        except FileNotFoundError:
            raise RuntimeError("redis-server is not installed: run scripts/install-deps.sh")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if resp_command(self.port, "PING") == "PONG":
                    return True
            except OSError:
                time.sleep(0.01)
            except RuntimeError as e:  # LOADING: replaying its AOF
                if "LOADING" not in str(e):
                    raise
                time.sleep(0.01)
        return False

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "redis.log"), errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def command(self, *args):
        return resp_command(self.port, *args)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def key_prefix_for(workdir):
    """A REDIS_KEY_PREFIX unique to a server's working directory."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(os.path.normpath(workdir)))
    return name[-64:] or "e2e"
