"""What bench/run measures: sela-server, the floor and the peers.

Each target is started fresh for every run, pinned to the server core, and
tells its port through a file. bench/run drives all of them with
sela-loadgen, except BullMQ, which has its own driver (bench/peers/
bullmq_bench.js) since it speaks no WebSocket or HTTP. See
bench/floor/README.md and bench/peers/README.md.
"""

import json
import sys
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIR = os.path.join(ROOT, "build", "release")
SERVER = os.path.join(BUILD_DIR, "src", "app", "sela-server")
LOADGEN = os.path.join(BUILD_DIR, "tools", "loadgen", "sela-loadgen")
FLOOR_WS = os.path.join(BUILD_DIR, "bench", "sela-floor-ws")
FLOOR_RELAY = os.path.join(BUILD_DIR, "bench", "sela-floor-relay")
PEER_BEAST = os.path.join(BUILD_DIR, "bench", "sela-peer-beast")
LEDGER_BENCH = os.path.join(BUILD_DIR, "bench", "ledger_bench")
FLOODS = os.path.join(ROOT, "bench", "floods.py")
PEERS_SRC = os.path.join(ROOT, "bench", "peers")
# npm packages of the peers (pinned by bench/peers/package-lock.json); not
# committed, under build/ like every other build output.
PEERS_CACHE = os.path.join(ROOT, "build", "bench-peers")
BUILD_TARGETS = ["sela-server", "sela-loadgen", "ledger_bench", "sela-floor-ws",
                 "sela-floor-relay", "sela-peer-beast"]

PORT_WAIT_S = 30
STOP_WAIT_S = 10
# The API key's usage limit: every scrapeUrl counts against it (429 past it).
SERVER_USAGE_LIMIT = "1000000000"
# BullMQ: jobs a Worker runs at once. 16 gave the most jobs/s of 1, 16 and
# 256 (bench/peers/README.md); a higher figure is the peer's best case.
BULLMQ_CONCURRENCY = "16"

# sela-server's settings in every benchmark (its port and data directory aside).
SELA_ENV = {"HOST": "127.0.0.1", "LOG_LEVEL": "warn", "USAGE_LIMIT": SERVER_USAGE_LIMIT,
            # Benchmarks drive far more than one node or customer may
            # (docs/FAIR-USE.md): the limits are not what is measured.
            "RATE_NODE_REGISTRATIONS_PER_SOURCE": "off", "RATE_NODE_MESSAGES_PER_CONNECTION": "off",
            "RATE_REST_PER_SOURCE": "off", "RATE_REST_PER_KEY": "off",
            "RATE_REGISTER_CLIENT_PER_SOURCE": "off", "RATE_REGISTER_REFERRAL_PER_SOURCE": "off"}

live = []  # Processes to kill on exit.


def log(msg):
    print("bench/run: " + msg, file=sys.stderr, flush=True)


class CannotRun(Exception):
    pass


class Budget:
    """The whole run's time limit, build and installs included:
    BENCH_BUDGET_S, or the mode's default."""

    def __init__(self):
        self.start = time.monotonic()
        self.seconds = 1800.0

    def set_default(self, seconds):
        self.seconds = float(os.environ.get("BENCH_BUDGET_S") or seconds)

    def elapsed(self):
        return time.monotonic() - self.start

    def remaining(self):
        return self.seconds - self.elapsed()

    def used_up(self):
        return "skipped: time budget (%d s) used up" % self.seconds


def kill_all():
    for p in list(live):
        stop_process(p)


def stop_process(p):
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except OSError:
            pass
    if p in live:
        live.remove(p)


def pinning():
    """(server prefix, loadgen prefix, description)."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2 and shutil.which("taskset"):
        return (["taskset", "-c", str(cores[0])], ["taskset", "-c", str(cores[1])],
                "server on core %d, load generator on core %d" % (cores[0], cores[1]))
    return [], [], "not pinned (fewer than 2 cores available or no taskset)"


SERVER_PIN, LOADGEN_PIN, PIN_NOTE = pinning()


def spawn(cmd, log_path, env=None, cwd=None):
    f = open(log_path, "ab")
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=f,
                         stderr=subprocess.STDOUT)
    f.close()
    live.append(p)
    return p


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def wait_file(path, proc, what, log_path):
    """The stripped text of path once a process wrote it."""
    deadline = time.monotonic() + PORT_WAIT_S
    while True:
        if proc.poll() is not None:
            raise CannotRun("%s exited (%s) before it was ready:\n%s"
                            % (what, proc.returncode, tail(log_path)))
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return text
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_process(proc)
            raise CannotRun("%s was not ready within %d s" % (what, PORT_WAIT_S))
        time.sleep(0.05)


def command_of(kind, port_file):
    """(argv, extra env) of a WebSocket/HTTP target."""
    if kind == "sela":
        return [SERVER], dict(SELA_ENV, PORT="0", PORT_FILE=port_file)
    if kind == "floor-ws":
        return [FLOOR_WS, port_file], {}
    if kind == "floor-relay":
        return [FLOOR_RELAY, port_file], {}
    if kind == "beast":
        return [PEER_BEAST, port_file], {}
    if kind == "node-ws":
        return ["node", os.path.join(PEERS_SRC, "ws_server.js"), port_file], {
            "NODE_PATH": os.path.join(PEERS_CACHE, "node_modules")}
    raise ValueError(kind)


class Target:
    """A fresh target process on a free port, pinned to the server core."""

    def __init__(self, kind, tmp, name, extra_env=None, seed=None):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=tmp)
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "target.log")
        argv, extra = command_of(kind, port_file)
        env = dict(os.environ, **extra, **(extra_env or {}))
        if kind == "sela":
            env["DATA_PATH"] = os.path.join(self.dir, "data")
            os.makedirs(env["DATA_PATH"])
            if seed:  # The scenario's data file, prepared before start.
                seed(os.path.join(env["DATA_PATH"], "sela.db"))
        self.proc = spawn(SERVER_PIN + argv, self.log_path, env=env, cwd=self.dir)
        self.pid = self.proc.pid  # taskset execs the target: same pid.
        self.port = int(wait_file(port_file, self.proc, kind, self.log_path))

    def stop(self, inspect=None):
        """Stops the target; inspect(db path), when given, reads its store
        file before the data directory goes; its value is returned."""
        stop_process(self.proc)
        seen = {}
        if inspect is not None:
            try:
                seen = inspect(os.path.join(self.dir, "data", "sela.db"))
            except sqlite3.Error as e:
                seen = {"inspect_error": str(e)}
        shutil.rmtree(self.dir, ignore_errors=True)
        return seen


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_bullmq(tmp, name, args, seed, cap_s):
    """One BullMQ run: a fresh redis-server and Worker on the server core,
    the driver on the load generator core. Returns (rc, stdout, stderr)."""
    d = tempfile.mkdtemp(prefix=name + ".", dir=tmp)
    log_path = os.path.join(d, "peer.log")
    port = free_port()
    procs = []
    try:
        redis = spawn(SERVER_PIN + ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                    "--dir", d, "--save", "", "--appendonly", "no"], log_path)
        procs.append(redis)
        deadline = time.monotonic() + PORT_WAIT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if redis.poll() is not None or time.monotonic() > deadline:
                    raise CannotRun("redis-server did not listen:\n" + tail(log_path))
                time.sleep(0.05)
        env = dict(os.environ, NODE_PATH=os.path.join(PEERS_CACHE, "node_modules"))
        ready = os.path.join(d, "worker.ready")
        queue = "bench-%d" % seed
        worker = spawn(SERVER_PIN + ["node", os.path.join(PEERS_SRC, "bullmq_worker.js"), str(port),
                                     queue, BULLMQ_CONCURRENCY, "1024", ready], log_path, env=env)
        procs.append(worker)
        wait_file(ready, worker, "BullMQ worker", log_path)
        cmd = LOADGEN_PIN + ["node", os.path.join(PEERS_SRC, "bullmq_bench.js"),
                             "--redis-port", str(port), "--queue", queue,
                             "--server-pids", "%d,%d" % (worker.pid, redis.pid)] + args
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        live.append(p)
        try:
            out, err = p.communicate(timeout=cap_s)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += "\nkilled after %d s" % cap_s
        live.remove(p)
        return p.returncode, out, err
    finally:
        for p in reversed(procs):
            stop_process(p)
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- installing

def apt_install(packages):
    missing = [p for p in packages
               if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                 text=True).stdout.find("install ok installed") < 0]
    if not missing:
        return None
    log("installing Debian packages: " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for cmd in (sudo + ["apt-get", "update", "-qq"],
                sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            return "%s failed: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()[-200:])
    return None


def ensure_node_peers():
    """Installs what the Node peers need; None, or why they cannot run."""
    need = []
    if not shutil.which("redis-server"):
        need.append("redis-server")
    if not shutil.which("node"):
        need.append("nodejs")
    if not shutil.which("npm"):
        need.append("npm")
    if need:
        why = apt_install(need)
        if why:
            return why
    lock = os.path.join(PEERS_SRC, "package-lock.json")
    stamp = os.path.join(PEERS_CACHE, "installed-lock.json")
    try:
        with open(lock) as f:
            wanted = f.read()
        with open(stamp) as f:
            if f.read() == wanted and os.path.isdir(os.path.join(PEERS_CACHE, "node_modules")):
                return None
    except OSError:
        pass
    os.makedirs(PEERS_CACHE, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(PEERS_SRC, name), os.path.join(PEERS_CACHE, name))
    log("npm ci (bench/peers/package-lock.json) into " + os.path.relpath(PEERS_CACHE, ROOT))
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEERS_CACHE,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    if r.returncode != 0:
        return "npm ci failed: " + (r.stderr or r.stdout).strip()[-300:]
    shutil.copyfile(lock, stamp)
    return None


def parse_json(out):
    for line in reversed(out.strip().splitlines()):
        try:
            value = json.loads(line)
            if isinstance(value, dict):
                return value
        except ValueError:
            pass
    return None
