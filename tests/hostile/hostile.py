"""What the hostile-input cases share: a server with a small inbound budget,
its RSS read from /proc while an attack runs, a prober process measuring
how promptly other clients are served meanwhile, and raw attack clients.

The machine running CI is small and shared, so the measurement is made
robust rather than lenient: the server and the prober run at nice -15,
above the attacking test process and whatever else the machine runs
(os.setpriority; we run as root in CI, and a refusal is only a less robust
run, never a skip), the prober
is its own process, and a p99 needs at least MIN_SAMPLES samples of each
kind.
"""

import base64
import json
import os
import socket
import struct
import subprocess
import threading
import time

from e2ebase import E2ETestCase

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"

# The budget the cases run with: small, so that floods are cheap to make.
BUDGET_BYTES = 16 << 20
P99_MAX_MS = 50.0
# Nice value of the server and the prober: far above whatever else the
# machine runs, so the p99 measures the server's fairness to its clients,
# not the host's load.
PRIORITY = -15
MIN_SAMPLES = 100
# RSS the attacks may add on top of the budget: bytes read before their
# need was known (2 KiB per connection while the budget is tight), the
# decoding of one message, allocator slack.
RSS_SLACK_BYTES = 12 << 20
# False against a sanitizer build (set by run.py): ASan's shadow memory and
# its quarantine of freed blocks make RSS say nothing about the server's own
# buffers, so the RSS bounds are checked on the release build only. Every
# other check (answers, close codes, metrics, p99) runs on both.
RSS_CHECKED = True


def is_sanitized(binary):
    """True when the binary carries AddressSanitizer's runtime."""
    marker = b"__asan_init"
    with open(binary, "rb") as f:
        tail = b""
        while chunk := f.read(1 << 20):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker):]
    return False


def rss_bytes(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for pid {pid}")


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


class RssWatch:
    """Samples a process's RSS every few milliseconds until stopped."""

    def __init__(self, pid, interval_s=0.005):
        self.pid, self.interval_s = pid, interval_s
        self.base = rss_bytes(pid)
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_bytes(self.pid))
            except (OSError, AssertionError):
                return
            time.sleep(self.interval_s)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak - self.base


class Prober:
    """tests/hostile/prober.py in its own process."""

    def __init__(self, port, source="127.0.0.1"):
        self.proc = subprocess.Popen([PYTHON, os.path.join(HERE, "prober.py"), "--port", str(port),
                                      "--source", source],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            os.setpriority(os.PRIO_PROCESS, self.proc.pid, PRIORITY)
        except OSError:
            pass
        if self.proc.stdout.readline().strip() != "ready":
            raise AssertionError("prober did not start")

    def finish(self):
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=20)
        return json.loads(out.strip().splitlines()[-1])


class HostileCase(E2ETestCase):
    """Each case starts its own server (ENV over the defaults below)."""

    ENV = {}

    def serve(self, **env):
        # The prober's node pings every 10 ms to measure latency under attack:
        # its connection is exempt from the per-connection message limit
        # (tests/security covers that limit).
        # REST fair use (per source, per key, registerClient) is off too: these
        # cases send thousands of requests from one address on purpose.
        settings = {"INBOUND_BUDGET_BYTES": BUDGET_BYTES, "WS_MESSAGE_TIMEOUT_MS": 2000,
                    "RATE_NODE_MESSAGES_PER_CONNECTION": "off", "RATE_REST_PER_SOURCE": "off",
                    "RATE_REST_PER_KEY": "off", "RATE_REGISTER_CLIENT_PER_SOURCE": "off"}
        settings.update(self.ENV)
        settings.update(env)
        self.server = self.start_server(settings)
        self.port = self.server.port
        self.pid = self.server.proc.pid
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, PRIORITY)
        except OSError:
            pass
        return self.server

    def under_attack(self, attack, rss_max_bytes=BUDGET_BYTES + RSS_SLACK_BYTES, min_probe_s=2.0):
        """Runs attack() while the prober measures and RSS is watched; checks
        p99 < 50 ms for both probes and the RSS growth; returns attack()'s value."""
        prober = Prober(self.port)
        watch = RssWatch(self.pid)
        t0 = time.monotonic()
        try:
            result = attack()
        finally:
            # Enough samples even when the attack is quick.
            left = min_probe_s - (time.monotonic() - t0)
            if left > 0:
                time.sleep(left)
            growth = watch.stop()
            probes = prober.finish()
        self.server.check_alive()
        for name in ("http_ms", "ws_ms"):
            samples = probes[name]
            self.assertGreaterEqual(len(samples), MIN_SAMPLES,
                                    f"{name}: only {len(samples)} samples; errors {probes['errors']}")
            self.assertLess(p99(samples), P99_MAX_MS,
                            f"{name}: p99 {p99(samples):.1f} ms over {len(samples)} samples while attacked")
        self.assertEqual(probes["errors"], {}, "the prober's requests failed while attacked")
        if RSS_CHECKED:
            self.assertLessEqual(growth, rss_max_bytes,
                                 f"RSS grew {growth / 1048576:.1f} MiB, more than {rss_max_bytes / 1048576:.1f} MiB")
        self.rss_growth = growth
        if os.environ.get("HOSTILE_FIGURES"):
            print(f"      figures: http p99 {p99(probes['http_ms']):.1f} ms ({len(probes['http_ms'])}), "
                  f"ws p99 {p99(probes['ws_ms']):.1f} ms ({len(probes['ws_ms'])}), "
                  f"RSS growth {growth / 1048576:.1f} MiB (max {rss_max_bytes / 1048576:.0f})", flush=True)
        return result

    def metric(self, name, **labels):
        return self.metrics(self.port).value_or_zero(name, **labels)


# -- raw attack clients ------------------------------------------------------

def tcp(port, source="127.0.0.1", timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def upgrade(port, path="/", source="127.0.0.1", headers=""):
    s = tcp(port, source)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n").encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError("closed during the upgrade")
        got += chunk
    if not got.startswith(b"HTTP/1.1 101"):
        raise AssertionError(f"upgrade refused: {got[:60]!r}")
    return s


def frame_header(length, opcode=0x1):
    """A masked frame's header with a zero key (valid, and no XOR needed)."""
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return head + b"\0\0\0\0"


def frame(payload, opcode=0x1):
    return frame_header(len(payload), opcode) + payload


def read_until_closed(s, timeout=5.0, limit=1 << 16):
    """Everything the server sends until it closes; raises if it does not close."""
    s.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return got
        except socket.timeout:
            break
        if not chunk:
            return got
        got += chunk[:max(0, limit - len(got))]
    raise AssertionError(f"the server did not close the connection within {timeout} s; got {got[:80]!r}")


def close_code_of(data):
    """The code of the first Close frame in server data (after other frames), or None."""
    i = 0
    while i + 2 <= len(data):
        op, n = data[i] & 0x0F, data[i + 1] & 0x7F
        off = 2
        if n == 126:
            n, off = struct.unpack("!H", data[i + 2:i + 4])[0], 4
        elif n == 127:
            n, off = struct.unpack("!Q", data[i + 2:i + 10])[0], 10
        if op == 0x8:
            return struct.unpack("!H", data[i + off:i + off + 2])[0] if n >= 2 else None
        i += off + n
    return None


def send_all_nonblocking(socks_to_data, deadline_s=30.0):
    """Writes each socket's bytes concurrently; returns the sockets whose data
    was all written (the others were refused, reset or stalled)."""
    import selectors
    sel = selectors.DefaultSelector()
    left = {}
    for s, data in socks_to_data.items():
        s.setblocking(False)
        left[s] = memoryview(data)
        sel.register(s, selectors.EVENT_WRITE)
    done = []
    deadline = time.monotonic() + deadline_s
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                n = s.send(left[s][:1 << 18])
            except BlockingIOError:
                continue
            except OSError:
                del left[s]
                sel.unregister(s)
                continue
            left[s] = left[s][n:]
            if not len(left[s]):
                del left[s]
                sel.unregister(s)
                done.append(s)
    sel.close()
    for s in socks_to_data:
        s.setblocking(True)
    return done


def nice_attacker():
    """Lowers this (the attacking) process's priority under the server's."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, min(19, os.getpriority(os.PRIO_PROCESS, 0) + 5))
    except OSError:
        pass


def raise_fd_limit():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

