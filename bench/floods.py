#!/usr/bin/python3
"""Memory floods against a running sela-server, for bench/run.

    bench/floods.py bodies  --port P --pid PID
    bench/floods.py results --port P --pid PID

Prints one JSON object: the server's RSS before, its peak during the flood
(VmHWM: run it against a fresh server, so the high-water mark is the
flood's), its RSS some seconds after every flood connection closed, the
inbound budget (sela_inbound_budget_bytes) and what the flood was told.

bodies:  60 connections each offering a 16 MiB body to GET-only /health
         (Content-Length), then 2,000 connections each sending 64 KiB less
         one byte of a 64 KiB body to POST /api/rpc/scrapeUrl and holding it
         (128 MiB if every body were buffered).
results: 500 nodes register (first frame), then each sends a 1 MB
         TWITTER_SCRAPE_RESULT (for a job that does not exist, so the server
         reads, decodes and refuses it), all at once; twice.

Exit status 0 when it ran (figures in the JSON, "error" when something could
not be measured), 2 for a usage error.
"""

import argparse
import base64
import json
import os
import resource
import selectors
import socket
import struct
import sys
import time
import urllib.request

AFTER_S = 3.0  # How long after the flood closes the "after" RSS is read.


def proc_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no %s for pid %d" % (field, pid))


def metric(port, name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def connect(port, i):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Many sources, as many clients would be (the server limits connections per source).
    s.bind(("127.0.0.%d" % (2 + i % 200), 0))
    s.connect(("127.0.0.1", port))
    return s


def pump(socks_to_data, deadline, wait_answers=False):
    """Writes each socket's bytes without blocking; returns when all are written
    (and, with wait_answers, every socket answered), refused (reset/closed) or
    the deadline passed. Keeps the start of each answer."""
    sel = selectors.DefaultSelector()
    left = {}
    for s, data in socks_to_data.items():
        s.setblocking(False)
        left[s] = memoryview(data)
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)
    answers = {}
    waiting = set(socks_to_data) if wait_answers else set()
    while (left or waiting - set(answers)) and time.monotonic() < deadline:
        for key, ev in sel.select(0.2):
            s = key.fileobj
            if ev & selectors.EVENT_READ:
                try:
                    got = s.recv(65536)
                except OSError:
                    got = b""
                if got:
                    answers.setdefault(s, b"")
                    answers[s] += got[:256]
                else:
                    left.pop(s, None)
                    waiting.discard(s)
                    sel.unregister(s)
                    continue
            if ev & selectors.EVENT_WRITE and s in left:
                try:
                    n = s.send(left[s][:1 << 18])
                    left[s] = left[s][n:]
                    if not len(left[s]):
                        del left[s]
                        sel.modify(s, selectors.EVENT_READ)
                except BlockingIOError:
                    pass
                except OSError:
                    left.pop(s, None)
                    waiting.discard(s)
                    sel.unregister(s)
    sel.close()
    return answers


def status_of(answer):
    if answer.startswith(b"HTTP/1.1 "):
        return answer[9:12].decode()
    return "none"


def flood_bodies(port):
    told = {}
    big = [connect(port, i) for i in range(60)]
    head = b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (16 << 20)
    answers = pump({s: head + b"x" * (16 << 20) for s in big}, time.monotonic() + 30, wait_answers=True)
    for s in big:
        st = status_of(answers.get(s, b""))
        told["16MiB_to_health_" + st] = told.get("16MiB_to_health_" + st, 0) + 1
        s.close()
    held = [connect(port, i) for i in range(2000)]
    head = (b"POST /api/rpc/scrapeUrl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 65536\r\n\r\n")
    pump({s: head + b" " * 65535 for s in held}, time.monotonic() + 30)
    time.sleep(1.0)  # Let the server read what it will.
    told["held_64KiB_bodies"] = len(held)
    return held, told


def ws_connect(port, i):
    s = connect(port, i)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("upgrade refused")
        got += chunk
    if not got.startswith(b"HTTP/1.1 101"):
        raise RuntimeError("upgrade refused: %r" % got[:40])
    return s


def frame(payload):
    """A masked text frame. The key is zero (valid: RFC 6455 only asks for a
    key), so megabytes need no XOR in Python."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


def recv_some(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(65536)
    except OSError:
        return b""


def flood_results(port):
    nodes = []
    for i in range(500):
        s = ws_connect(port, i)
        principal = "flood-%04d" % i
        s.sendall(frame(json.dumps({"principal_id": principal}).encode()))
        if b"success" not in recv_some(s, 10):
            raise RuntimeError("node %d did not register" % i)
        nodes.append((s, principal))
    told = {"registered": len(nodes)}
    # 1,000,000 bytes of result: under WS_MAX_MESSAGE_BYTES (1 MiB) with the rest.
    data = json.dumps([{"i": 0, "text": "x" * (1000000 - 22)}])
    for rnd in range(2):
        msgs = {}
        for s, principal in nodes:
            msg = json.dumps({"text": "TWITTER_SCRAPE_RESULT", "type": "TWITTER_SCRAPE_RESULT",
                              "user_principal_id": principal, "job_id": "no-such-job-%d" % rnd,
                              "data": data}).encode()
            msgs[s] = frame(msg)
        answers = pump(msgs, time.monotonic() + 60, wait_answers=True)
        told["round%d_refused_results" % rnd] = sum(
            1 for s, _ in nodes if b"Job not found" in answers.get(s, b""))
    return [s for s, _ in nodes], told


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("bodies", "results"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)  # Accepted for bench/run; the floods are fixed.
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    out = {"scenario": "flood-" + args.kind, "error": None}
    try:
        out["budget_bytes"] = metric(args.port, "sela_inbound_budget_bytes")
        out["rss_before_bytes"] = proc_kib(args.pid, "VmRSS")
        t0 = time.monotonic()
        socks, told = (flood_bodies if args.kind == "bodies" else flood_results)(args.port)
        out["flood_s"] = round(time.monotonic() - t0, 2)
        out["told"] = told
        out["peak_rss_bytes"] = proc_kib(args.pid, "VmHWM")
        out["inbound_peak_waiting"] = metric(args.port, "sela_inbound_budget_waiting_connections")
        for s in socks:
            s.close()
        time.sleep(AFTER_S)
        out["rss_after_bytes"] = proc_kib(args.pid, "VmRSS")
        out["peak_rss_growth_bytes"] = out["peak_rss_bytes"] - out["rss_before_bytes"]
        out["rss_after_growth_bytes"] = out["rss_after_bytes"] - out["rss_before_bytes"]
        out["memory_trims"] = metric(args.port, "sela_memory_trims_total")
    except Exception as e:  # noqa: BLE001 - reported in the JSON
        out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
