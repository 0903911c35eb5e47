"""Issue #10, item 4: storage faults, on file systems of their own (tmpfs
mounts in a mount namespace private to this test process, so nothing of
them is visible outside it or outlives it).

- Full disk: writes answer 503 with Retry-After (never 429 "Rate limit
  exceeded"), nodes get no SQL text, the server is not ready and counts it;
  once space is freed it is ready again by itself; after a kill -9 and a
  restart every acknowledged job is there.
- Read-only data directory: start-up stops with a message naming it.
- Corrupt pages: the server starts, is alive and not ready, and says so in
  its metrics; answers carry no SQL text.
"""

import ctypes
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import uuid

import proc
from hostile import HostileCase, frame, upgrade
from jobclient import http_call

CLONE_NEWNS = 0x00020000
MS_REC = 16384
MS_PRIVATE = 1 << 18
SQL_WORDS = re.compile(rb"INSERT|UPDATE|SELECT|DELETE|sqlite|SAVEPOINT|\bcode \d+", re.I)

_libc = ctypes.CDLL(None, use_errno=True)
_private = False


def private_mounts():
    """Moves this process into a mount namespace of its own (once)."""
    global _private
    if _private:
        return
    if _libc.unshare(CLONE_NEWNS) != 0:
        raise AssertionError(f"unshare(CLONE_NEWNS): {os.strerror(ctypes.get_errno())} (run as root)")
    if _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise AssertionError(f"mount --make-rprivate /: {os.strerror(ctypes.get_errno())}")
    _private = True


def mount_tmpfs(path, size_kib, read_only=False):
    opts = f"size={size_kib}k" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", path], check=True)


def remount_read_only(path):
    subprocess.run(["mount", "-o", "remount,ro", path], check=True)


def unmount(path):
    subprocess.run(["umount", "-l", path], check=False)


def fill(path, leave_kib):
    """Writes a filler file until only about leave_kib KiB are free."""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(path, "filler"), "wb") as f:
        f.write(b"\0" * max(0, free - leave_kib * 1024))


class StorageFaults(HostileCase):

    def setUp(self):
        super().setUp()
        private_mounts()
        self.mounts = []

    def tearDown(self):
        super().tearDown()
        for m in self.mounts:
            unmount(m)

    def tmpfs(self, size_kib):
        path = tempfile.mkdtemp(prefix="sela-fault-")
        mount_tmpfs(path, size_kib)
        self.mounts.append(path)
        return path

    def register_client(self):
        r = http_call(self.port, "POST", "/api/rpc/registerClient", {"uuid": f"fault-{uuid.uuid4()}"})
        self.assertEqual(r.status, 200, r)
        return r.doc["data"]["apiKey"]

    def add_job(self, key, n):
        return http_call(self.port, "POST", "/api/rpc/addJob",
                         {"url": f"https://example.com/{n}", "scrapeType": "HTML"}, key=key)

    def test_4_full_disk_answers_503_is_not_ready_recovers_and_loses_nothing_acknowledged(self):
        data = self.tmpfs(4096)
        self.serve(DATA_PATH=data, SQLITE_CHECKPOINT_PAGES=100)
        key = self.register_client()
        fill(data, leave_kib=160)
        acknowledged, refused = [], None
        for n in range(2000):
            r = self.add_job(key, n)
            if r.status == 200:
                acknowledged.append(r.doc["data"]["jobId"])
                continue
            refused = r
            break
        self.assertIsNotNone(refused, "the disk never filled")
        self.assertGreater(len(acknowledged), 0)
        self.assertEqual(refused.status, 503, refused)
        self.assertEqual(refused.header("Retry-After"), "1")
        self.assertNotRegex(refused.body, SQL_WORDS)
        self.assertEqual(self.get("/ready", self.port).status, 503)
        self.assertEqual(self.get("/health", self.port).status, 200)
        self.assertEqual(self.metric("sela_store_out_of_space"), 1)
        self.assertGreater(self.metric("sela_store_failed_writes_total", reason="out_of_space"), 0)
        # A node's registration is a write too: refused, without SQL text.
        ws = upgrade(self.port)
        ws.sendall(frame(json.dumps({"principal_id": "fault-node"}).encode()))
        reply = ws.recv(4096)
        self.assertIn(b'"success":false', reply)
        self.assertNotRegex(reply, SQL_WORDS)
        ws.close()

        # Space comes back: the server is ready again by itself.
        os.remove(os.path.join(data, "filler"))
        self.eventually(lambda: self.get("/ready", self.port).status == 200, "ready once space is freed",
                        timeout=10)
        self.assertEqual(self.metric("sela_store_out_of_space"), 0)
        r = self.add_job(key, 99999)
        self.assertEqual(r.status, 200, r)
        acknowledged.append(r.doc["data"]["jobId"])

        # Nothing acknowledged is lost, even to a kill -9.
        self.server.signal(signal.SIGKILL)
        self.server.wait_exit(5)
        self.serve(DATA_PATH=data)
        for job_id in acknowledged:
            r = http_call(self.port, "GET", f"/api/rpc/job/id?id={job_id}", key=key)
            self.assertEqual(r.status, 200, f"{job_id}: {r}")

    def test_4_a_read_only_data_directory_stops_start_up(self):
        data = self.tmpfs(1024)
        # A data directory that once held a store, and an empty one.
        self.serve(DATA_PATH=data)
        self.server.signal(signal.SIGTERM)
        self.server.wait_exit(10)
        remount_read_only(data)
        empty = self.tmpfs(64)
        remount_read_only(empty)
        for path in (data, empty):
            code, output, port_written = proc.run_expecting_failure({"DATA_PATH": path})
            self.assertGreater(code, 0)
            self.assertIn(path, output)
            self.assertIn("not writable", output)
            self.assertFalse(port_written)

    def test_4_corrupt_pages_leave_the_server_alive_and_not_ready(self):
        data = self.tmpfs(65536)
        self.serve(DATA_PATH=data)
        uuids = [f"fault-{n}-{uuid.uuid4()}" for n in range(1500)]
        keys = {}
        for u in uuids:
            r = http_call(self.port, "POST", "/api/rpc/registerClient", {"uuid": u})
            self.assertEqual(r.status, 200)
            keys[u] = r.doc["data"]["apiKey"]
        self.server.signal(signal.SIGTERM)
        self.assertEqual(self.server.wait_exit(30), 0)
        # The API clients' table is not read at start: its damage is what
        # only a customer would have found before.
        db = os.path.join(data, "sela.db")
        with sqlite3.connect(db) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = [p for (p,) in c.execute("SELECT pageno FROM dbstat WHERE name = 'api_clients'")]
        self.assertGreater(len(pages), 4)
        with open(db, "r+b") as f:
            for page in pages[len(pages) // 2:]:
                f.seek((page - 1) * 4096 + 8)
                f.write(b"garbage!" * 64)
        self.serve(DATA_PATH=data)
        self.assertEqual(self.get("/health", self.port).status, 200)
        self.assertEqual(self.get("/ready", self.port).status, 503)
        self.assertEqual(self.metric("sela_store_damaged"), 1)
        # Reading a damaged client fails without SQL text in the answer.
        answers = [http_call(self.port, "GET", f"/api/rpc/getClientStatus?uuid={u}", key=keys[u])
                   for u in uuids[::50]]
        self.assertTrue(any(r.status == 500 for r in answers), [r.status for r in answers])
        for r in answers:
            self.assertNotRegex(r.body, SQL_WORDS)
