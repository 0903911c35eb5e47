"""Server groups for bench/run's cluster scenarios (--cluster, --cluster-idle).

A group is a fresh redis-server (temporary directory, free port, its own
persistence settings) and N sela-server processes sharing it and one port
(SO_REUSEPORT), or one sela-server on the embedded store, for comparison in
the same run. Nothing here is pinned to a core: N processes and Redis share
the machine as they would in production.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def die_with_parent():
    """preexec_fn: killed with the benchmark, so an interrupted run leaves no
    redis-server or sela-server behind."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


PORT_WAIT_S = 30
STOP_WAIT_S = 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """Just enough RESP to ask a test Redis for INFO and CONFIG."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def command(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise OSError("redis closed the connection")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise OSError("unexpected reply %r" % line)


class RedisProc:
    """redis-server on a free loopback port; fsync: 'always', 'everysec' or ''."""

    def __init__(self, directory, fsync, live):
        self.dir = directory
        self.fsync = fsync
        self.port = free_port()
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", directory,
                "--save", "", "--logfile", os.path.join(directory, "redis.log"),
                "--maxmemory-policy", "noeviction"]
        args += (["--appendonly", "yes", "--appendfsync", fsync] if fsync else ["--appendonly", "no"])
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        live.append(self.proc)
        self.live = live
        deadline = time.monotonic() + PORT_WAIT_S
        while True:
            try:
                r = Resp(self.port)
                ok = r.command("PING") == "PONG"
                r.close()
                if ok:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start on port %d" % self.port)
            time.sleep(0.02)

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def commandstats(self):
        """{command: calls} from INFO commandstats."""
        r = Resp(self.port)
        try:
            text = r.command("INFO", "commandstats")
        finally:
            r.close()
        calls = {}
        for line in text.splitlines():
            if line.startswith("cmdstat_"):
                name, fields = line[len("cmdstat_"):].split(":", 1)
                calls[name] = int(dict(f.split("=") for f in fields.split(","))["calls"])
        return calls

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc in self.live:
            self.live.remove(self.proc)


class ServerGroup:
    """`procs` sela-server processes on one port: on Redis when store='redis'
    (one fresh redis-server for the group), else one on the embedded store."""

    def __init__(self, server_bin, tmp, name, live, procs=1, store="sqlite", fsync="always",
                 env_extra=None):
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=tmp)
        self.live = live
        self.redis = None
        self.procs = []
        self.logs = []
        env = dict(os.environ, HOST="127.0.0.1", LOG_LEVEL="warn", USAGE_LIMIT="1000000000")
        # Benchmarks drive far more than one node or customer may
        # (docs/FAIR-USE.md): the limits are not what is measured.
        env.update({k: "off" for k in ("RATE_NODE_REGISTRATIONS_PER_SOURCE", "RATE_NODE_MESSAGES_PER_CONNECTION",
                                       "RATE_REST_PER_SOURCE", "RATE_REST_PER_KEY",
                                       "RATE_REGISTER_CLIENT_PER_SOURCE")})
        env.update(env_extra or {})
        if store == "redis":
            self.redis = RedisProc(os.path.join(self.dir), fsync, live)
            env.update(REDIS_URL=self.redis.url(),
                       REDIS_DURABILITY={"always": "always", "everysec": "everysec"}.get(fsync, "none"))
        self.port = free_port() if procs > 1 else 0
        port_files = []
        for i in range(procs):
            pdir = os.path.join(self.dir, "p%d" % i)
            os.makedirs(os.path.join(pdir, "data"))
            port_file = os.path.join(pdir, "port")
            port_files.append(port_file)
            penv = dict(env, PORT=str(self.port), PORT_FILE=port_file, DATA_PATH=os.path.join(pdir, "data"))
            log = open(os.path.join(pdir, "server.log"), "wb")
            self.logs.append(log)
            p = subprocess.Popen([os.path.abspath(server_bin)], env=penv, cwd=pdir, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
            live.append(p)
            self.procs.append(p)
        deadline = time.monotonic() + PORT_WAIT_S
        for i, port_file in enumerate(port_files):
            while True:
                if self.procs[i].poll() is not None:
                    tail = self.log_tail(i)
                    self.stop()
                    raise RuntimeError("sela-server %d exited (%s) before listening:\n%s"
                                       % (i, self.procs[i].returncode, tail))
                try:
                    with open(port_file) as f:
                        text = f.read().strip()
                    if text:
                        self.port = int(text)
                        break
                except (OSError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("sela-server %d wrote no PORT_FILE within %d s" % (i, PORT_WAIT_S))
                time.sleep(0.05)
        self.pids = [p.pid for p in self.procs]

    def log_tail(self, i):
        try:
            with open(os.path.join(self.dir, "p%d" % i, "server.log"), errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def pid_args(self):
        args = ["--server-pid", str(self.pids[0])]
        if len(self.pids) > 1:
            args += ["--server-pids", ",".join(str(p) for p in self.pids[1:])]
        return args

    def exited(self):
        """Processes of the group that died during the run."""
        return [i for i, p in enumerate(self.procs) if p.poll() is not None]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p in self.live:
                self.live.remove(p)
        for log in self.logs:
            log.close()
        if self.redis:
            self.redis.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
