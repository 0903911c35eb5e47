"""Starting, signalling and stopping `sela-server` processes.

run.py calls ``configure(path)`` with the binary given by ``--server``. A test
starts a server with ``start(env)``: a fresh temporary working directory (so
no stray `.env` is read; a test may write one there first), an environment
stripped of every server setting inherited from the caller, then
``HOST=127.0.0.1 PORT=0 PORT_FILE=<workdir>/port DATA_PATH=<workdir>/data
LOG_LEVEL=warn`` and the test's own settings. The server writes its bound port
to PORT_FILE once it listens; ``start`` polls for that file.

Every process started here is remembered; ``stop_all()`` ends those still
running at the end of the run, and ``remove_workdirs()`` deletes the working
directories (run.py keeps them, logs included, when a test failed).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

STARTUP_TIMEOUT_S = 10.0

# Settings the server reads (docs/CONFIGURATION.md, plus PORT_FILE); values
# inherited from the caller's environment are dropped so that they cannot
# change what a test expects.
SERVER_VARS = (
    "HOST", "PORT", "PORT_FILE", "TLS_CERT_FILE", "TLS_KEY_FILE",
    "HTTP_MAX_HEADER_BYTES", "HTTP_MAX_BODY_BYTES", "HTTP_HEADER_TIMEOUT_MS",
    "HTTP_REQUEST_TIMEOUT_MS", "HTTP_IDLE_TIMEOUT_MS",
    "WS_MAX_MESSAGE_BYTES", "WS_MAX_OUTBOUND_BYTES", "WS_HANDSHAKE_TIMEOUT_MS",
    "WS_CLOSE_TIMEOUT_MS", "WS_MESSAGE_TIMEOUT_MS", "INBOUND_BUDGET_BYTES",
    "MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_SOURCE", "RESERVED_CONNECTIONS", "DRAIN_TIMEOUT_MS",
    "SQLITE_CHECKPOINT_PAGES", "SQLITE_QUICK_CHECK_MS",
    "LOG_LEVEL", "LOG_MAX_LINES_PER_S", "DATA_PATH", "ADMIN_TOKEN", "REDIS_URL", "REDIS_PASSWORD", "REDIS_DB",
    "REDIS_KEY_PREFIX", "REDIS_DURABILITY", "REDIS_PROCESS_TTL_MS",
    "SESSION_TIMEOUT", "USAGE_LIMIT", "DEAD_TIMEOUT", "MAX_JOBS_PER_CLIENT", "IC_URL",
    "BLOCKCHAIN_ENABLED", "REWARD_DISTRIBUTION_ENABLED", "CANISTER_STORAGE_ENABLED",
    "REGISTRATION_TIMEOUT_MS", "HEARTBEAT_TIMEOUT_MS", "UPTIME_CHECKPOINT_MS", "UPTIME_PING_INTERVAL_MS",
    "REWARD_DISTRIBUTION_INTERVAL", "REFERRAL_WEEKLY_CRON", "REWARD_UPTIME_SP_PER_MINUTE", "REWARD_TIERS",
    "JOB_REWARD_SP_PER_SECOND", "JOB_REWARD_TYPICAL_MS", "JOB_REWARD_DAILY_CAP_SP", "REFERRAL_ENABLED",
    "REFERRAL_TASK_PERCENT", "REFERRAL_UPTIME_PERCENT", "REFERRAL_UPTIME_MIN_WEEKLY_MINUTES",
    "REFERRAL_UPTIME_MONTHLY_CAP_SP", "REFERRAL_INSTALLATION_SP", "REFERRAL_INSTALLATION_UPTIME_MINUTES",
    "JOB_KINDS", "JOB_LEASE_MS", "JOB_MAX_ATTEMPTS", "JOB_PUSH", "JOB_OPEN_MAX", "JOB_OPEN_SHARE_PERCENT", "SCRAPE_TIMEOUT_MAX_MS",
    "FILE_BYTES_MAX", "FILE_CHUNK_BYTES_MAX", "FILE_CHUNKS_MAX", "FILE_OPEN_UPLOADS_MAX", "FILE_NODE_BYTES_MAX",
    "FILE_UPLOAD_TTL_MS", "FILE_IO_THREADS", "RESULT_INLINE_BYTES_MAX",
    "SQLITE_CHECKPOINT_PAGES", "NODE_AUTH", "MAX_SESSIONS_PER_PRINCIPAL", "V2_RESUME_WINDOW_MS", "V2_CHALLENGE_TTL_MS",
    "NODE_TOKEN_TTL_MS", "NODE_TOKEN_SECRET", "ALLOW_PRIVATE_URLS", "REGISTER_CLIENT", "METRICS_TOKEN",
    "JOB_MAX_AGE_MS", "NODE_RECORD_TTL_MS", "SPEED_REPORT_INTERVAL_MS", "SPEED_CLAIM_MAX_MBPS", "NEW_NODE_SLOTS",
    "RATE_NODE_REGISTRATIONS_PER_SOURCE", "RATE_NODE_MESSAGES_PER_CONNECTION", "RATE_REST_PER_SOURCE",
    "RATE_REST_PER_KEY", "RATE_REGISTER_CLIENT_PER_SOURCE", "RATE_REGISTER_REFERRAL_PER_SOURCE",
    "FILE_STORAGE_CANISTER_ID", "CANISTER_SYNC_CONCURRENCY", "CANISTER_CHUNK_BYTES", "CANISTER_TIMEOUT_MS",
)

_server_path = None
_tools = {}
# Secrets the tests used (admin tokens, API keys, result bodies): value ->
# what it is. No server log line may contain one (scan_logs_for_secrets).
_secrets = {}
SECRET_BYTES_MIN = 8  # Shorter values would match ordinary words.
_processes = []
_workdirs = []
_redis = None  # Redis mode (run.py --redis): the suite's redis-server.


def configure(path, redis=None):
    """redis: a started redisproc.RedisServer; every server then uses it."""
    global _server_path, _redis
    _server_path = os.path.abspath(path)
    _redis = redis


def redis():
    """The suite's redis-server in Redis mode, else None."""
    return _redis


def configure_tool(name, path):
    """Registers another binary of the build (e.g. sela-monitor) for tests."""
    _tools[name] = os.path.abspath(path)


def tool_path(name):
    if name not in _tools:
        raise RuntimeError(f"{name} not configured (run.py --{name.split('-')[-1]} PATH)")
    return _tools[name]


def remember_secret(value, what):
    """A value that must never appear in a server's log."""
    if isinstance(value, str) and len(value) >= SECRET_BYTES_MIN:
        _secrets[value] = what


def scan_logs_for_secrets():
    """(lines scanned, logs scanned, problems): every line every server wrote,
    against every secret remembered, as sent and as JSON escapes it."""
    import json
    needles = []
    for value, what in _secrets.items():
        needles.append((value, what))
        escaped = json.dumps(value)[1:-1]
        if escaped != value:
            needles.append((escaped, what + " (JSON-escaped)"))
    lines = 0
    problems = []
    for p in _processes:
        for n, line in enumerate(p.output().splitlines(), 1):
            lines += 1
            for needle, what in needles:
                if needle in line:
                    problems.append(f"{p.log_path}:{n}: {what}: {line[:300]}")
    return lines, len(_processes), len(_secrets), problems


def new_workdir(tag):
    d = tempfile.mkdtemp(prefix=f"sela-e2e-{tag}-")
    _workdirs.append(d)
    return d


class StartupError(AssertionError):
    pass


class ServerProcess:
    """One sela-server process.

    env: settings added to (or, with value None, removed from) the base
    environment. workdir: the working directory (created when None).
    wrapper: argv prefix, e.g. ["prlimit", "--nofile=96:96", "--"].
    """

    def __init__(self, env=None, workdir=None, wrapper=(), tag="server"):
        if _server_path is None:
            raise RuntimeError("server path not configured (run through run.py --server PATH)")
        self.tag = tag
        self.workdir = workdir or new_workdir(tag)
        self.port_file = os.path.join(self.workdir, "port")
        self.log_path = os.path.join(self.workdir, "stderr.log")
        self.env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
        self.env.update({
            "HOST": "127.0.0.1",
            "PORT": "0",
            "PORT_FILE": self.port_file,
            "DATA_PATH": os.path.join(self.workdir, "data"),
            # Every event line is written, so that the secret scan sees it.
            "LOG_LEVEL": "debug",
        })
        if _redis is not None:
            import redisproc
            # Each working directory its own keys; a dead process's leases
            # are released two seconds after it stops.
            self.env.update({
                "REDIS_URL": _redis.url(),
                "REDIS_KEY_PREFIX": redisproc.key_prefix_for(self.workdir),
                "REDIS_DURABILITY": "none",
                "REDIS_PROCESS_TTL_MS": "2000",
            })
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = str(v)
        remember_secret(self.env.get("ADMIN_TOKEN"), "ADMIN_TOKEN")
        self.argv = list(wrapper) + [_server_path]
        self.proc = None
        self.port = None
        self._log = None
        self.reaped = False  # the test waited for the exit (so it was expected)

    # -- lifecycle -------------------------------------------------------
    def spawn(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.workdir,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _processes.append(self)
        return self

    def start(self, port_file=None, timeout=STARTUP_TIMEOUT_S):
        """Spawn and wait until the port is written to port_file (default:
        the PORT_FILE given in the environment)."""
        self.spawn()
        self.port = self.wait_port(port_file or self.port_file, timeout)
        return self

    def wait_port(self, port_file, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StartupError(f"server exited with status {self.proc.returncode} before "
                                   f"writing its port to {port_file}\n{self.log_tail()}")
            try:
                with open(port_file) as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            if text.endswith("\n"):
                try:
                    port = int(text.strip())
                except ValueError:
                    raise StartupError(f"port file holds {text!r}, expected a port and a newline")
                if not 0 < port < 65536:
                    raise StartupError(f"port file holds port {port}")
                return port
            time.sleep(0.01)
        raise StartupError(f"server did not write its port to {port_file} within {timeout:.1f} s\n"
                           f"{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        """Raise if the process has exited (crash, abort, early exit)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"server died ({describe_status(self.proc.returncode)})\n"
                                 f"{self.log_tail()}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """The exit status, or an AssertionError if still running after timeout."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server still running {timeout:.1f} s later\n{self.log_tail()}") from None
        self.reaped = True
        self._close_log()
        return code

    def died_unexpectedly(self):
        """True if the process exited without a test waiting for that."""
        return self.proc is not None and not self.reaped and self.proc.poll() is not None

    def output(self):
        """Everything the process wrote to stdout and stderr so far."""
        if self._log:
            self._log.flush()
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=30):
        tail = self.output().splitlines()[-lines:]
        return f"--- server output ({self.log_path}), last lines ---\n" + "\n".join(tail)

    def stop(self):
        """Kill the process and anything it started (its own process group,
        in case a wrapper did not exec the server)."""
        if self.proc is not None and self.proc.poll() is None:
            # The leader is alive, so its group id is still its own.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()
        self._close_log()

    def _close_log(self):
        if self._log:
            self._log.close()
            self._log = None


def describe_status(code):
    if code is None:
        return "running"
    if code < 0:
        return f"killed by signal {-code} ({signal.Signals(-code).name})"
    return f"exit status {code}"


def run_expecting_failure(env=None, workdir=None, timeout=5.0):
    """Start a server that is expected to refuse to start.

    Returns (exit_status, output, port_written). Fails if the process is still
    running after `timeout` (it is killed then).
    """
    p = ServerProcess(env=env, workdir=workdir, tag="badconfig").spawn()
    try:
        code = p.wait_exit(timeout)
    finally:
        p.stop()
    return code, p.output(), os.path.exists(p.port_file)


def stop_all():
    for p in _processes:
        p.stop()


def remove_workdirs(keep=()):
    """Delete the working directories, except those in `keep`."""
    for d in _workdirs:
        if d not in keep:
            shutil.rmtree(d, ignore_errors=True)
    _workdirs[:] = [d for d in _workdirs if d in keep]


def shared_workdirs():
    """Directories of servers shared between tests (tag starting 'shared-')."""
    return [p.workdir for p in _processes if p.tag.startswith("shared-")]


def workdirs():
    return list(_workdirs)
