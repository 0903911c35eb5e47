#!/usr/bin/python3
"""File benchmarks against a running sela-server (bench/run starts one per run).

  files_bench.py transfer --port P --server-pid PID [--mib 256] [--chunk-mib 8] [--seed N]
      One file of --mib MiB uploaded in raw chunks (POST /api/files, the
      chunks in order, complete with the file's SHA-256 declared), then
      downloaded whole (GET /api/files/:id/download). Prints upload and
      download MiB/s (from the create to the completion's answer; from the
      request to the last byte) and the server's resident memory growth
      during each (peak VmRSS sampled every 5 ms, minus VmRSS before).
      With --chunk-sha256 the client also declares every chunk's SHA-256.

  files_bench.py open-uploads --port P --server-pid PID [--uploads 1000] [--seed N]
      Opens --uploads uploads of one node (FILE_OPEN_UPLOADS_MAX must allow
      them), each with its first 64 KiB chunk received (so the server keeps
      its running hash), and prints the server's RSS growth per open upload.

Prints one JSON object as its last line (bench/run reads it).
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import resource
import sys
import threading
import time

MIB = 1024 * 1024
PRINCIPAL = "bench-node-0001"


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def minor_faults(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


def sched_s(pid):
    """(seconds on a CPU, seconds runnable but waiting for one) summed over
    the server's threads (/proc/PID/task/*/schedstat)."""
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                fields = f.read().split()
        except OSError:
            continue
        run += int(fields[0])
        wait += int(fields[1])
    return run / 1e9, wait / 1e9


class PeakRss:
    """Samples the server's VmRSS every 5 ms while in use."""

    def __init__(self, pid):
        self.pid = pid
        self.base = rss_bytes(pid)
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))

    @property
    def growth(self):
        return self.peak - self.base


def request(conn, method, path, body=None, headers=None):
    hs = {"x-user-principal-id": PRINCIPAL}
    hs.update(headers or {})
    conn.request(method, path, body=body, headers=hs)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None


def create(conn, size, chunk, sha):
    body = json.dumps({"name": "bench.bin", "content_type": "application/octet-stream", "size": size,
                       "chunk_size": chunk, "sha256": sha})
    return request(conn, "POST", "/api/files", body, {"Content-Type": "application/json"})["data"]["file_id"]


def put_chunk(conn, file_id, index, view, sha=None, timeline=None):
    path = f"/api/files/{file_id}/chunks?chunk_index={index}" + (f"&sha256={sha}" if sha else "")
    if timeline is None:
        request(conn, "POST", path, view, {"Content-Type": "application/octet-stream"})
        return
    t0 = time.perf_counter()
    conn.request("POST", path, body=view, headers={"x-user-principal-id": PRINCIPAL,
                                                   "Content-Type": "application/octet-stream"})
    t1 = time.perf_counter()
    r = conn.getresponse()
    data = r.read()
    t2 = time.perf_counter()
    if r.status >= 300:
        raise RuntimeError(f"POST {path}: {r.status} {data[:300]!r}")
    timeline.append((index, t0, t1, t2))


def send_chunks(args, conn, file_id, view, chunk_shas, timeline):
    """The chunks in index order over `conn`, or with --parallel N over N
    connections at once (chunk n on connection n % N), as the protocol
    allows once the file declares its chunk_size."""
    starts = list(range(0, len(view), args.chunk_mib * MIB))
    chunk = args.chunk_mib * MIB

    def run(c, lane):
        for n in range(lane, len(starts), args.parallel):
            i = starts[n]
            put_chunk(c, file_id, n, view[i:i + chunk], chunk_shas[n] if chunk_shas else None, timeline)

    if args.parallel == 1:
        return run(conn, 0)
    conns = [conn] + [http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
                      for _ in range(args.parallel - 1)]
    errors = []

    def lane(k):
        try:
            run(conns[k], k)
        except Exception as e:  # Re-raised below, on the main thread.
            errors.append(e)

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(args.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in conns[1:]:
        c.close()
    if errors:
        raise errors[0]


def transfer(args):
    rng = random.Random(args.seed)
    size = args.mib * MIB
    chunk = args.chunk_mib * MIB
    data = bytearray(b"".join(rng.randbytes(MIB) for _ in range(args.mib)))
    view = memoryview(data)
    sha = hashlib.sha256(data).hexdigest()
    chunk_shas = [hashlib.sha256(view[i:i + chunk]).hexdigest() for i in range(0, size, chunk)] \
        if args.chunk_sha256 else None
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
    timeline = [] if args.timeline else None
    cpu0 = cpu_s(args.server_pid)
    sched0 = sched_s(args.server_pid)
    faults0 = minor_faults(args.server_pid)
    with PeakRss(args.server_pid) as up_rss:
        t0 = time.perf_counter()
        file_id = create(conn, size, chunk, sha)
        send_chunks(args, conn, file_id, view, chunk_shas, timeline)
        chunks_s = time.perf_counter() - t0
        done = request(conn, "POST", f"/api/files/{file_id}/complete")
        up_s = time.perf_counter() - t0
    cpu1 = cpu_s(args.server_pid)
    sched1 = sched_s(args.server_pid)
    faults1 = minor_faults(args.server_pid)
    if timeline:
        for index, a, b, c in timeline:
            print(f"chunk {index}: send {1e3 * (b - a):.1f} ms, answer after {1e3 * (c - b):.1f} ms",
                  file=sys.stderr)
    if done["data"]["sha256"] != sha:
        raise RuntimeError("the server's SHA-256 is not the file's")
    if args.upload_only:
        conn.close()
        return {"scenario": "files-transfer", "upload_mib_per_s": args.mib / up_s, "upload_s": up_s,
                "upload_complete_s": up_s - chunks_s, "upload_rss_growth_mib": up_rss.growth / MIB,
                "server": {"upload_cpu_s": cpu1 - cpu0, "upload_run_s": sched1[0] - sched0[0],
                           "upload_runqueue_s": sched1[1] - sched0[1],
                           "upload_minor_faults": faults1 - faults0}}
    received = bytearray(size)
    with PeakRss(args.server_pid) as down_rss:
        t0 = time.perf_counter()
        conn.request("GET", f"/api/files/{file_id}/download", headers={"x-user-principal-id": PRINCIPAL})
        r = conn.getresponse()
        got = 0
        rview = memoryview(received)
        while got < size:
            n = r.readinto(rview[got:])
            if not n:
                break
            got += n
        down_s = time.perf_counter() - t0
    cpu2 = cpu_s(args.server_pid)
    conn.close()
    if got != size or hashlib.sha256(received).hexdigest() != sha:
        raise RuntimeError(f"download: {got} bytes, or not the same SHA-256")
    return {
        "scenario": "files-transfer",
        "mib": args.mib,
        "chunk_mib": args.chunk_mib,
        "chunk_sha256": bool(args.chunk_sha256),
        "parallel": args.parallel,
        "upload_mib_per_s": args.mib / up_s,
        "upload_complete_s": up_s - chunks_s,
        "download_mib_per_s": args.mib / down_s,
        "upload_rss_growth_mib": up_rss.growth / MIB,
        "download_rss_growth_mib": down_rss.growth / MIB,
        "server": {"cpu_s": cpu2 - cpu0, "upload_cpu_s": cpu1 - cpu0, "download_cpu_s": cpu2 - cpu1,
                   # During the upload: on a CPU, and runnable but waiting
                   # for one (the machine's load), summed over threads.
                   "upload_run_s": sched1[0] - sched0[0], "upload_runqueue_s": sched1[1] - sched0[1],
                   "upload_minor_faults": faults1 - faults0},
        "upload_s": up_s,
    }


def open_uploads(args):
    rng = random.Random(args.seed)
    piece = rng.randbytes(64 * 1024)
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
    # Warm up: one upload opened and dropped, so that one-time costs (the
    # store's statements, the disk threads) are not counted per upload.
    warm = create(conn, 128 * 1024, 64 * 1024, "")
    put_chunk(conn, warm, 0, piece)
    request(conn, "DELETE", f"/api/files/{warm}")
    time.sleep(0.2)
    base = rss_bytes(args.server_pid)
    cpu0 = cpu_s(args.server_pid)
    t0 = time.perf_counter()
    for _ in range(args.uploads):
        file_id = create(conn, 128 * 1024, 64 * 1024, "")
        put_chunk(conn, file_id, 0, piece)
    elapsed = time.perf_counter() - t0
    time.sleep(0.2)
    grown = rss_bytes(args.server_pid) - base
    conn.close()
    return {
        "scenario": "files-open-uploads",
        "uploads": args.uploads,
        "rss_growth_bytes": grown,
        "rss_bytes_per_upload": grown / args.uploads,
        "uploads_per_s": args.uploads / elapsed,
        "server": {"cpu_s": cpu_s(args.server_pid) - cpu0},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=["transfer", "open-uploads"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--chunk-mib", type=int, default=8)
    ap.add_argument("--chunk-sha256", action="store_true")
    ap.add_argument("--timeline", action="store_true")
    ap.add_argument("--upload-only", action="store_true")
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--uploads", type=int, default=1000)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--max-runtime-s", type=int, default=120)
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_CPU, (args.max_runtime_s, args.max_runtime_s + 5))
    try:
        result = transfer(args) if args.scenario == "transfer" else open_uploads(args)
    except Exception as e:  # Reported as the run's problem by bench/run.
        result = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(result))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())
