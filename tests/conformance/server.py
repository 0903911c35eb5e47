"""Starting and stopping the server under test.

The server binary is given to the runner with ``--server PATH``; run.py calls
``configure(path)`` before any test runs. Tests ask for a server with
``get(CONFIG_NAME)``: one process is started per configuration (a set of
environment variables) the first time it is needed and shared by every test
that uses the same configuration. ``stop_all()`` ends them at the end of the run.

Contract of the server (see README.md): it reads its settings from the
environment, binds HOST:PORT (PORT=0 picks a free port) and, once listening,
writes the bound port followed by a newline to PORT_FILE (atomically).
"""

import os
import signal
import subprocess
import tempfile
import time

PYTHON = "/usr/bin/python3"

# Settings the server understands; inherited values are dropped so that the
# caller's environment cannot change what a test expects.
_SERVER_VARS = (
    "HOST", "PORT", "PORT_FILE", "LOG_LEVEL",
    "WS_MAX_MESSAGE_BYTES", "WS_HANDSHAKE_TIMEOUT_MS", "WS_CLOSE_TIMEOUT_MS",
    "WS_MAX_OUTBOUND_BYTES",
    "HTTP_MAX_HEADER_BYTES", "HTTP_MAX_BODY_BYTES", "HTTP_HEADER_TIMEOUT_MS",
    "HTTP_REQUEST_TIMEOUT_MS", "HTTP_IDLE_TIMEOUT_MS",
    "MAX_CONNECTIONS", "DRAIN_TIMEOUT_MS", "INBOUND_BUDGET_BYTES", "WS_MESSAGE_TIMEOUT_MS",
    "MAX_CONNECTIONS_PER_SOURCE", "RESERVED_CONNECTIONS",
)

# Configurations used by the test modules. "default" leaves every limit at
# its documented default (1 MiB messages, 16 KiB headers, 10 s timeouts)
# except the body limit, raised from 64 KiB to 16 MiB for the echo route's
# large bodies.
CONFIGS = {
    "default": {"HTTP_MAX_BODY_BYTES": str(16 * 1024 * 1024)},
    # Small limits, to test the limits themselves cheaply.
    "small_limits": {
        "WS_MAX_MESSAGE_BYTES": "65536",
        "HTTP_MAX_HEADER_BYTES": "4096",
        "HTTP_MAX_BODY_BYTES": "65536",
    },
    # Short timeouts, to test them within the suite's time budget.
    "timeouts": {
        "HTTP_HEADER_TIMEOUT_MS": "1000",
        "WS_HANDSHAKE_TIMEOUT_MS": "1000",
        "WS_CLOSE_TIMEOUT_MS": "1000",
    },
}

STARTUP_TIMEOUT_S = 10.0

_server_path = None
_servers = {}


def configure(path):
    global _server_path
    _server_path = os.path.abspath(path)


def command():
    if _server_path is None:
        raise RuntimeError("server path not configured (run through run.py --server PATH)")
    if _server_path.endswith(".py"):
        return [PYTHON, _server_path]
    return [_server_path]


class ServerError(AssertionError):
    pass


class Server:
    def __init__(self, name, overrides):
        self.name = name
        self.overrides = dict(overrides)
        self.proc = None
        self.port = None
        self.workdir = None
        self.log_path = None
        self._log = None

    def start(self):
        # A private working directory: the server reads an optional `.env`
        # from its working directory, which must not leak in.
        self.workdir = tempfile.mkdtemp(prefix=f"ws-conf-{self.name}-")
        _workdirs.append(self.workdir)
        port_file = os.path.join(self.workdir, "port")
        self.log_path = os.path.join(self.workdir, "server.log")
        env = {k: v for k, v in os.environ.items() if k not in _SERVER_VARS}
        env.update({
            "HOST": "127.0.0.1",
            "PORT": "0",
            "PORT_FILE": port_file,
            "LOG_LEVEL": "warn",
        })
        env.update(self.overrides)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            command(), env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"server '{self.name}' exited with status {self.proc.returncode} "
                    f"before writing PORT_FILE\n{self.log_tail()}")
            try:
                with open(port_file) as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            if text.endswith("\n"):
                try:
                    self.port = int(text.strip())
                except ValueError:
                    raise ServerError(f"PORT_FILE holds {text!r}, expected a decimal port and newline")
                if not 0 < self.port < 65536:
                    raise ServerError(f"PORT_FILE holds port {self.port}")
                return self
            time.sleep(0.02)
        self.stop()
        raise ServerError(f"server '{self.name}' did not write PORT_FILE within "
                          f"{STARTUP_TIMEOUT_S:.0f} s\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        """Raise if the process has exited (crash, abort, sanitizer report)."""
        if self.proc is not None and self.proc.poll() is not None:
            code = self.proc.returncode
            desc = f"signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"status {code}"
            raise ServerError(f"server '{self.name}' died ({desc})\n{self.log_tail()}")

    def log_tail(self, lines=40):
        try:
            if self._log:
                self._log.flush()
            with open(self.log_path, "rb") as f:
                data = f.read()
        except (OSError, TypeError):
            return "(no server log)"
        tail = data.decode("utf-8", "replace").splitlines()[-lines:]
        return "--- server log (last lines) ---\n" + "\n".join(tail)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None


def get(name="default"):
    """The running server for configuration `name`, started if needed.

    A server that died (e.g. crashed in a previous test) is restarted so that
    one crash does not fail every later test; the test during which it died
    already failed in its tearDown.
    """
    srv = _servers.get(name)
    if srv is not None and srv.alive():
        return srv
    srv = Server(name, CONFIGS[name])
    _servers[name] = srv
    return srv.start()


def current(name):
    return _servers.get(name)


_workdirs = []


def stop_all():
    for srv in list(_servers.values()):
        srv.stop()
    _servers.clear()


def remove_workdirs():
    """Delete the servers' temporary directories (logs included)."""
    import shutil
    for d in _workdirs:
        shutil.rmtree(d, ignore_errors=True)
    _workdirs.clear()


def logs():
    return {name: srv.log_path for name, srv in _servers.items()}
