#!/usr/bin/python3
"""A well-behaved client that measures how promptly sela-server answers it
while something else attacks the server.

    prober.py --port P [--interval-ms 10] [--source 127.0.0.1]

Runs in its own process (and at a higher priority than the attackers when
the caller can arrange it), so that a busy test process cannot starve it.
Every --interval-ms it sends, in turn,
  - `GET /health` on a keep-alive HTTP connection, and
  - a protocol v1 PING on a WebSocket registered as a node
    (`{"principal_id"}` first frame), whose reply is the Notification frame,
and records the time from writing the request to reading the whole answer.
A connection the server closes is reopened and counted. It stops on SIGTERM
or when stdin closes, then prints one JSON object:
{"http_ms": [...], "ws_ms": [...], "errors": {"name": n}}.
"""

import argparse
import base64
import json
import os
import select
import signal
import socket
import struct
import sys
import time

TIMEOUT_S = 5.0


class Stop(Exception):
    pass


def on_term(_signum, _frame):
    raise Stop()


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((source, 0))
    s.settimeout(TIMEOUT_S)
    s.connect(("127.0.0.1", port))
    return s


def read_http_response(s, buf):
    """Reads one response (Content-Length framed); returns (status, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, rest[length:]


def frame(payload):
    mask = os.urandom(4)
    n = len(payload)
    head = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, n)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def read_frame(s, buf):
    """Reads one server frame; returns (opcode, payload, rest)."""
    while True:
        if len(buf) >= 2:
            n = buf[1] & 0x7F
            off = 2
            if n == 126 and len(buf) >= 4:
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127 and len(buf) >= 10:
                n, off = struct.unpack("!Q", buf[2:10])[0], 10
            if n < 126 or off > 2:
                if len(buf) >= off + n:
                    return buf[0] & 0x0F, buf[off:off + n], buf[off + n:]
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk


class HttpProbe:
    def __init__(self, port, source):
        self.port, self.source, self.s, self.buf = port, source, None, b""

    def once(self):
        if self.s is None:
            self.s, self.buf = connect(self.port, self.source), b""
        t0 = time.monotonic()
        self.s.sendall(b"GET /health HTTP/1.1\r\nHost: prober\r\n\r\n")
        status, self.buf = read_http_response(self.s, self.buf)
        if status != 200:
            raise ConnectionError("status %d" % status)
        return (time.monotonic() - t0) * 1000


class WsProbe:
    def __init__(self, port, source, principal):
        self.port, self.source, self.principal, self.s, self.buf = port, source, principal, None, b""

    def open(self):
        s = connect(self.port, self.source)
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET / HTTP/1.1\r\nHost: prober\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed during upgrade")
            buf += chunk
        if not buf.startswith(b"HTTP/1.1 101"):
            raise ConnectionError("upgrade refused")
        self.s, self.buf = s, buf.split(b"\r\n\r\n", 1)[1]
        self.s.sendall(frame(json.dumps({"principal_id": self.principal}).encode()))
        _, payload, self.buf = read_frame(self.s, self.buf)
        if b'"success":true' not in payload:
            raise ConnectionError("registration refused: %r" % payload[:80])

    def once(self):
        if self.s is None:
            self.open()
        ping = json.dumps({"text": "PING", "data": "ping", "user_principal_id": self.principal}).encode()
        t0 = time.monotonic()
        self.s.sendall(frame(ping))
        while True:
            op, payload, self.buf = read_frame(self.s, self.buf)
            if op == 0x8:
                raise ConnectionError("closed by the server")
            if b"Notification" in payload:
                return (time.monotonic() - t0) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--interval-ms", type=float, default=10)
    ap.add_argument("--source", default="127.0.0.1")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    probes = {"http_ms": HttpProbe(args.port, args.source),
              "ws_ms": WsProbe(args.port, args.source, "prober-%d" % os.getpid())}
    out = {"http_ms": [], "ws_ms": [], "errors": {}}
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        next_at = time.monotonic()
        while True:
            for name, probe in probes.items():
                try:
                    out[name].append(round(probe.once(), 3))
                except (OSError, ConnectionError, ValueError, IndexError) as e:
                    key = "%s_%s" % (name[:-3], type(e).__name__)
                    out["errors"][key] = out["errors"].get(key, 0) + 1
                    if probe.s is not None:
                        probe.s.close()
                    probe.s = None
            next_at += args.interval_ms / 1000
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
                delay = 0
            # Stdin closing also means stop (the test process is gone).
            readable, _, _ = select.select([sys.stdin], [], [], delay)
            if readable and not sys.stdin.read(1):
                break
    except Stop:
        pass
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
