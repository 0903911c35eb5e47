#!/usr/bin/python3
"""What the dashboard feed costs the server: 10 dashboards open on
/admin/feed while sela-loadgen runs jobs at 5,000/s against 10,000 nodes.
Target: the feed (sampling, rendering, sending to every viewer) under 1% of
the server's CPU.

Two figures per run, medians of --runs runs, each against a fresh server:
- feed CPU: the server's own count of thread CPU time spent in the feed's
  tick (sela_admin_feed_cpu_nanoseconds_total), per second of the run, as a
  share of one core and of the server's whole CPU time in the run;
- the server's CPU per job with 10 viewers and with none (the same load),
  to see that nothing else moved (this difference is within the noise of a
  shared machine; the first figure is the measurement).

    bench/dashboard_feed.py [--runs 3] [--viewers 10] [--rate 5000] [--nodes 10000] [--seconds 10]

Uses build/release (cmake --build --preset release --target sela-server sela-loadgen).
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "build", "release", "src", "app", "sela-server")
LOADGEN = os.path.join(ROOT, "build", "release", "tools", "loadgen", "sela-loadgen")
TOKEN = "bench-feed-token"


def pinned(argv, core):
    if shutil.which("taskset") and os.cpu_count() >= 2:
        return ["taskset", "-c", str(core), *argv]
    return argv


def start_server(workdir):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(HOST="127.0.0.1", PORT="0", PORT_FILE=os.path.join(workdir, "port"), ADMIN_TOKEN=TOKEN,
               DATA_PATH=os.path.join(workdir, "data"), USAGE_LIMIT="1000000000", LOG_LEVEL="warn")
    log = open(os.path.join(workdir, "server.log"), "wb")
    p = subprocess.Popen(pinned([SERVER], 0), env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            with open(env["PORT_FILE"]) as f:
                text = f.read()
            if text.endswith("\n"):
                return p, int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    p.kill()
    raise SystemExit("server did not start")


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    return int(m.group(1)) if m else 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Viewers:
    """N authenticated feed connections in a thread, counting messages."""

    def __init__(self, port, n):
        self.port, self.n, self.messages, self.errors = port, n, 0, []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.main()), daemon=True)

    async def one(self, opened):
        try:
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/admin/feed", max_size=None,
                                          extra_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
                await ws.recv()  # hello
                opened.append(1)
                if len(opened) == self.n:
                    self.ready.set()
                while not self.stop.is_set():
                    try:
                        await asyncio.wait_for(ws.recv(), 0.5)
                        self.messages += 1
                    except asyncio.TimeoutError:
                        pass
        except Exception as e:  # noqa: BLE001
            self.errors.append(repr(e))
            self.ready.set()

    async def main(self):
        opened = []
        await asyncio.gather(*(self.one(opened) for _ in range(self.n)))

    def __enter__(self):
        if self.n:
            self.thread.start()
            self.ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.n:
            self.thread.join(5)


def run_once(args, viewers):  # noqa: C901
    workdir = tempfile.mkdtemp(prefix="sela-bench-feed-")
    server, port = start_server(workdir)
    try:
        with Viewers(port, viewers) as v:
            feed0, cpu0, t0 = metric(port, "sela_admin_feed_cpu_nanoseconds_total"), cpu_seconds(server.pid), time.monotonic()
            lg = subprocess.run(pinned([LOADGEN, "jobs", "--port", str(port), "--nodes", str(args.nodes),
                                        "--customers", "256", "--job-rate", str(args.rate),
                                        "--duration", str(args.seconds), "--server-pid", str(server.pid)], 1),
                                capture_output=True, text=True, timeout=args.seconds + 120)
            feed1, cpu1, t1 = metric(port, "sela_admin_feed_cpu_nanoseconds_total"), cpu_seconds(server.pid), time.monotonic()
            messages, errors = v.messages, v.errors
        report = json.loads(lg.stdout)
        if args.verbose:
            print(json.dumps(report)[:3000])
        jobs = report.get("jobs", {})
        completed = jobs.get("completed", 0)
        return {
            "viewers": viewers, "wall_s": t1 - t0, "server_cpu_s": cpu1 - cpu0,
            "feed_cpu_s": (feed1 - feed0) / 1e9, "completed": completed,
            "jobs_per_s": report.get("throughput_per_s"), "messages": messages, "errors": errors,
        }
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--verbose", action="store_true", help="print each load generator report")
    args = ap.parse_args()
    rows = {args.viewers: [], 0: []}
    for i in range(args.runs):
        for viewers in (args.viewers, 0):
            r = run_once(args, viewers)
            rows[viewers].append(r)
            print(f"run {i + 1} viewers {viewers:2}: {r['completed']} jobs in {r['wall_s']:.1f} s, "
                  f"server CPU {r['server_cpu_s']:.2f} s, feed CPU {r['feed_cpu_s'] * 1e3:.2f} ms, "
                  f"{r['messages']} feed messages received" + (f", errors {r['errors']}" if r["errors"] else ""))
            sys.stdout.flush()
    with_v, without = rows[args.viewers], rows[0]
    share_core = statistics.median(r["feed_cpu_s"] / r["wall_s"] for r in with_v)
    share_server = statistics.median(r["feed_cpu_s"] / r["server_cpu_s"] for r in with_v)
    per_job = lambda rs: statistics.median(r["server_cpu_s"] / max(1, r["completed"]) * 1e6 for r in rs)  # noqa: E731
    achieved = statistics.median(r["completed"] / args.seconds for r in with_v)
    print(f"\nfeed CPU with {args.viewers} viewers, {args.rate} jobs/s asked, {achieved:.0f} jobs/s done "
          f"(median of {args.runs}): "
          f"{share_core * 100:.4f}% of one core, {share_server * 100:.4f}% of the server's CPU (target < 1%)")
    print(f"server CPU per job: {per_job(with_v):.1f} µs with {args.viewers} viewers, {per_job(without):.1f} µs with none")
    tick_us = statistics.median(r["feed_cpu_s"] / r["wall_s"] for r in with_v) * 1e6
    print(f"feed CPU per second of run: {tick_us:.0f} µs with {args.viewers} viewers, "
          f"{statistics.median(r['feed_cpu_s'] / r['wall_s'] for r in without) * 1e6:.0f} µs with none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
