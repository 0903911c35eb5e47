#!/usr/bin/python3
"""Results and files on the file canister end to end (docs/CHAIN.md "Results
on the file canister"), as processes: sela-server with
CANISTER_STORAGE_ENABLED=true against the fake IC endpoint (fake-ic). A node
(WebSocket) completes a job with an inline result and one with a binary
file; both are synced in chunks; sela-ic reads them back from the canister
byte for byte; the local copies are deleted and the customer's reads fetch
them from the canister; a canister answering 503 or holding its answers
(timeouts) slows no job, and the journal catches up once it heals.
CANISTER_STORAGE_ENABLED=false (the default) records and sends nothing.

Usage: server_file_sync_test.py SELA_SERVER FAKE_IC SELA_IC PEM_FILE
"""
import asyncio
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import fileclient as fc  # noqa: E402
import redisproc  # noqa: E402
from jobclient import Node, http_call  # noqa: E402
import chainproc  # noqa: E402

SERVER, FAKE_IC, SELA_IC, PEM_FILE = sys.argv[1:5]
# --redis: the store is a real redis-server (the sync journal under
# {prefix}:csync:), else the SQLite file under DATA_PATH.
REDIS = redisproc.RedisServer().start() if "--redis" in sys.argv[5:] else None
PREFIX = "filesync"
PEM = open(PEM_FILE).read()
TOKEN = "t" * 40
CHUNK = 64 * 1024
procs = []


def start_server(work, env_extra):
    env = {"ADMIN_TOKEN": TOKEN}
    if REDIS is not None:
        env.update(REDIS_URL=REDIS.url(), REDIS_KEY_PREFIX=PREFIX, REDIS_DURABILITY="none")
    env.update(env_extra)
    return chainproc.start_server(SERVER, work, env, procs)


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        out = {}
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out


def wait_metric(port, name, want, timeout=30):
    end = time.time() + timeout
    got = None
    while time.time() < end:
        got = metrics(port).get(name)
        if got == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} is {got}, not {want}")


def fault(ic_port, query):
    req = urllib.request.Request(f"http://127.0.0.1:{ic_port}/_fake/{query}", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


def canister_get(env_ic, sha, work):
    out = os.path.join(work, "back.bin")
    if os.path.exists(out):
        os.remove(out)
    r = subprocess.run([SELA_IC, "get-file", "sela/sha256/" + sha, out], env=env_ic, capture_output=True, text=True)
    return open(out, "rb").read() if r.returncode == 0 and os.path.exists(out) else None


def rpc(port, method, path, body=None, key=None, **kw):
    return http_call(port, method, "/api/rpc/" + path, body, key, **kw)


def customer(port, uuid):
    r = rpc(port, "POST", "registerClient", {"uuid": uuid})
    assert r.status == 200, r
    return r.doc["data"]["apiKey"]


def add_job(port, key):
    r = rpc(port, "POST", "addJob", {"url": "https://x.com/sela/status/1", "scrapeType": "TWITTER_POST"}, key)
    assert r.status == 200, r
    return r.doc["data"]["jobId"]


async def inline_job(port, key, node, text):
    """A job completed with an inline result; the seconds from addJob to the node's JobComplete."""
    t0 = time.monotonic()
    job_id = await asyncio.to_thread(add_job, port, key)
    await node.dispatch(job_id)
    reply = await node.result(job_id, json.dumps([{"name": text, "followers": 1}]))
    assert reply.get("function") == "JobComplete", reply
    return job_id, time.monotonic() - t0


async def file_job(port, key, node, data):
    t0 = time.monotonic()
    job_id = await asyncio.to_thread(add_job, port, key)
    await node.dispatch(job_id)
    file_id = await asyncio.to_thread(fc.upload, port, node.principal, data, CHUNK, None, job_id)
    await node.send("TWITTER_SCRAPE_RESULT", job_id=job_id, file_id=file_id)
    reply = await node.reply()
    assert reply.get("function") == "JobComplete", reply
    return job_id, time.monotonic() - t0


def stored_hash(port, key, job_id):
    r = rpc(port, "GET", f"job/id?id={job_id}", key=key)
    assert r.status == 200, r
    return r.doc["data"]["storedID"]


def sync_rows(work):
    """The rows of the sync journal, in whichever store the server uses."""
    if REDIS is not None:
        return len(REDIS.command("KEYS", "{%s}:csync:r:*" % PREFIX))
    db = sqlite3.connect(os.path.join(work, "data", "sela.db"))
    try:
        return db.execute("SELECT COUNT(*) FROM canister_sync").fetchone()[0]
    finally:
        db.close()


def delete_stored_result(work, sha):
    """Deletes an inline result from the store (as if it were lost here)."""
    if REDIS is not None:
        assert REDIS.command("DEL", "{%s}:jobs:blob:%s" % (PREFIX, sha)) == 1
        return
    db = sqlite3.connect(os.path.join(work, "data", "sela.db"), timeout=10)
    db.execute("DELETE FROM blobs WHERE hash = ?", (sha,))
    db.commit()
    db.close()


def blob_path(work, sha):
    return os.path.join(work, "data", "blobs", sha[:2], sha)


def main():
    work = tempfile.mkdtemp()
    os.makedirs(os.path.join(work, "data"))
    env_ic = dict(os.environ, CANISTER_CONTROLLER_PEM=PEM)
    minter, ic_port, root = chainproc.start_fake_ic(FAKE_IC, SELA_IC, PEM, work, procs)
    env_ic.update(IC_URL=f"http://127.0.0.1:{ic_port}", IC_ROOT_KEY=root)
    chain_env = {"IC_URL": f"http://127.0.0.1:{ic_port}", "IC_ROOT_KEY": root, "CANISTER_CONTROLLER_PEM": PEM}
    binary = random.Random(18).randbytes(5 * CHUNK + 77)  # Every byte value; not UTF-8.

    # Disabled (the default): recorded nowhere, sent nowhere, and it says so.
    server, port = start_server(work, chain_env)
    key = customer(port, "customer-off")

    async def disabled():
        node = await Node.connect(port, "node-off")
        job_id, _ = await inline_job(port, key, node, "off")
        await file_job(port, key, node, binary)
        await node.close()
        return job_id
    off_job = asyncio.run(disabled())
    time.sleep(1.5)
    m = metrics(port)
    assert m["sela_canister_sync_enabled"] == 0, m
    assert m['sela_canister_sync{state="pending"}'] == 0 and m['sela_canister_sync{state="synced"}'] == 0, m
    off_sha = stored_hash(port, key, off_job)
    chainproc.stop(server)
    assert canister_get(env_ic, off_sha, work) is None
    assert canister_get(env_ic, fc.sha256(binary), work) is None
    assert b"CANISTER_STORAGE_ENABLED=false" in open(os.path.join(work, "server.log"), "rb").read()
    assert sync_rows(work) == 0

    # Enabled: synced in chunks, read back byte for byte. The result and the
    # file completed while it was disabled get their rows from the backfill
    # pass (docs/CHAIN.md), once.
    on_env = dict(chain_env, CANISTER_STORAGE_ENABLED="true", CANISTER_CHUNK_BYTES=str(CHUNK),
                  CANISTER_TIMEOUT_MS="1500")
    server, port = start_server(work, on_env)
    key = customer(port, "customer-on")

    async def enabled():
        node = await Node.connect(port, "node-on")
        inline, _ = await inline_job(port, key, node, "caf\u00e9 \u2603")
        filed, _ = await file_job(port, key, node, binary[::-1])
        await node.close()
        return inline, filed
    inline_id, file_job_id = asyncio.run(enabled())
    inline_sha = stored_hash(port, key, inline_id)
    file_sha = stored_hash(port, key, file_job_id)
    assert file_sha == fc.sha256(binary[::-1])
    wait_metric(port, 'sela_canister_sync{state="synced"}', 4)
    m = metrics(port)
    assert m["sela_canister_sync_enabled"] == 1
    assert m["sela_canister_sync_backfilled_total"] == 2, m
    assert m["sela_canister_sync_synced_bytes_total"] >= 2 * len(binary), m
    assert canister_get(env_ic, fc.sha256(binary), work) == binary
    off_bytes = canister_get(env_ic, off_sha, work)
    assert off_bytes is not None and hashlib.sha256(off_bytes).hexdigest() == off_sha
    assert canister_get(env_ic, file_sha, work) == binary[::-1]
    inline_bytes = canister_get(env_ic, inline_sha, work)
    assert inline_bytes is not None and hashlib.sha256(inline_bytes).hexdigest() == inline_sha

    # The local copies are gone: the customer's reads come from the canister.
    os.remove(blob_path(work, file_sha))
    r = rpc(port, "GET", f"job/{file_job_id}/download", key=key)
    assert r.status == 200 and r.body == binary[::-1], (r.status, len(r.body))
    r = rpc(port, "GET", f"job/{file_job_id}/download", key=key, headers=[("Range", "bytes=100-199")])
    assert r.status == 206 and r.body == binary[::-1][100:200], r.status
    delete_stored_result(work, inline_sha)
    r = rpc(port, "GET", f"getFileContent?jobID={inline_id}", key=key)
    assert r.status == 200 and r.doc["data"]["ok"] == inline_bytes.decode(), r
    assert metrics(port)['sela_canister_readbacks_total{outcome="ok"}'] >= 3

    # A failing canister: 503s, then replies held past CANISTER_TIMEOUT_MS.
    # Jobs do not wait for it; reads of what is gone say so (503).
    fault(ic_port, "fault?name=http503&times=-1")
    r = rpc(port, "GET", f"job/{file_job_id}/download", key=key)
    assert r.status == 503 and b"file canister" in r.body, (r.status, r.body)

    async def under_faults():
        node = await Node.connect(port, "node-faults")
        times, jobs = [], []
        for i in range(4):
            job_id, took = await inline_job(port, key, node, f"fault {i}")
            jobs.append(job_id)
            times.append(took)
        job_id, took = await file_job(port, key, node, binary)
        jobs.append(job_id)
        times.append(took)
        await asyncio.sleep(1.0)
        fault(ic_port, "clear")
        fault(ic_port, "fault?name=hold&times=3")
        for i in range(3):
            job_id, took = await inline_job(port, key, node, f"held {i}")
            jobs.append(job_id)
            times.append(took)
        await node.close()
        return jobs, times
    jobs, times = asyncio.run(under_faults())
    assert max(times) < 1.4, times  # Each held reply costs the canister client 1.5 s.
    m = metrics(port)
    assert m['sela_canister_sync{state="pending"}'] >= 1, m
    # Healed: everything catches up.
    # The file under faults has the bytes of the one completed while disabled:
    # one row, backfilled before.
    wait_metric(port, 'sela_canister_sync{state="synced"}', 3 + len(jobs), timeout=40)
    m = metrics(port)
    assert m['sela_canister_sync{state="failed"}'] == 0, m
    assert m["sela_canister_sync_errors_total"] >= 1, m
    for job_id in jobs:
        assert canister_get(env_ic, stored_hash(port, key, job_id), work) is not None, job_id
    r = rpc(port, "GET", f"job/{file_job_id}/download", key=key)
    assert r.status == 200 and r.body == binary[::-1]
    chainproc.stop(server)
    assert sync_rows(work) == 3 + len(jobs)
    log = open(os.path.join(work, "server.log"), "rb").read()
    assert b"canister sync backfill done: 2 results and files" in log
    assert b"canister sync of " + file_sha.encode() + b" done" in log
    assert b"read back from the file canister" in log
    assert b"retried after" in log
    key_body = "".join(l for l in PEM.splitlines() if "-----" not in l)[:40]
    assert key_body.encode() not in log, "the controller key is in the log"
    print("1 passed, 0 failed")


try:
    main()
finally:
    chainproc.kill_all(procs)
    if REDIS is not None:
        REDIS.remove()
