"""Rewards against the real server (docs/REWARDS.md).

A job's reward is paid in the store operation that completes it: a
`websockets` node (jobclient.Node) completes a job and its balance, as
GET /api/node/nodes shows it, rises by exactly the JobComplete reward, once.

Uptime counts only for nodes that answer the server's pings: raw sockets
(tests/conformance/wsclient.py) that never answer, or send pongs nobody
asked for, earn nothing and are closed with 1001 "Ping timeout", while one
that echoes each ping earns its time. Uptime is read from the store
($DATA_PATH/sela.db, or its keys in Redis with --redis; docs/STORAGE.md) as
the crash tests do.
"""

import asyncio
import json
import os
import sqlite3
import time

import proc
import wsclient
from e2ebase import E2ETestCase
from jobclient import Node, http_call
from test_uptime_crash import read_uptime_redis

PING_INTERVAL_MS = 300
CHECKPOINT_MS = 100
ONLINE_S = 1.5
ADMIN_TOKEN = "e2e-rewards-admin-token-of-32-characters-or-more"


def uptime_ms(workdir):
    """{principal: online_ms summed over days}, read-only."""
    if proc.redis() is not None:
        return {p: ms for p, (ms, _) in read_uptime_redis(workdir).items()}
    path = os.path.join(workdir, "data", "sela.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT principal, sum(online_ms) FROM uptime_days GROUP BY principal").fetchall()
    finally:
        db.close()
    return {p: int(ms) for p, ms in rows}


class RawNode:
    """A hand-framed node: registers, sends a HEARTBEAT every 100 ms, and
    answers pings as `mode` says: "never", "forge" (unsolicited pongs with
    made-up payloads), "echo" (as every WebSocket library does) or "replay"
    (echoes the first ping, then answers every later one with that first
    payload: a kept answer must not pass for reading later pings)."""

    def __init__(self, test, port, principal, mode):
        self.principal = principal
        self.mode = mode
        self.ws = test.ws(port, f"/?principal_id={principal}")
        self.closed_code = None
        self.pings = 0
        self.first_ping = None
        self.heartbeat()
        reply = self.ws.expect_frame(wsclient.OP_TEXT, what="registration reply")
        if json.loads(reply.payload).get("success") is not True:
            raise AssertionError(f"{principal} did not register: {reply.payload!r}")

    def heartbeat(self):
        self.ws.send_text(json.dumps({"text": "HEARTBEAT", "user_principal_id": self.principal}))

    def pump(self, until):
        """Runs until `until` (monotonic) or the server closes."""
        while time.monotonic() < until and self.closed_code is None:
            self.heartbeat()
            if self.mode == "forge":
                self.ws.send_frame(wsclient.OP_PONG, os.urandom(8))
            end = time.monotonic() + 0.1
            while time.monotonic() < end and self.closed_code is None:
                if not self.ws.wait_readable(max(0.0, end - time.monotonic())):
                    break
                f = self.ws.recv_frame()
                if f.opcode == wsclient.OP_PING:
                    self.pings += 1
                    if self.first_ping is None:
                        self.first_ping = bytes(f.payload)
                    if self.mode == "echo":
                        self.ws.send_frame(wsclient.OP_PONG, f.payload)
                    elif self.mode == "replay":
                        self.ws.send_frame(wsclient.OP_PONG, self.first_ping)
                elif f.opcode == wsclient.OP_CLOSE:
                    self.closed_code = (f.close_code(), bytes(f.payload[2:]))


class UptimeNeedsPongs(E2ETestCase):

    def test_only_a_node_that_answers_the_servers_pings_earns_uptime(self):
        server = self.start_server(env={"UPTIME_PING_INTERVAL_MS": str(PING_INTERVAL_MS),
                                        "UPTIME_CHECKPOINT_MS": str(CHECKPOINT_MS)})
        nodes = [RawNode(self, server.port, "bare-heartbeats", "never"),
                 RawNode(self, server.port, "forged-pongs", "forge"),
                 RawNode(self, server.port, "honest-echo", "echo"),
                 RawNode(self, server.port, "replayed-pong", "replay")]
        until = time.monotonic() + ONLINE_S
        while time.monotonic() < until:
            for n in nodes:
                n.pump(min(until, time.monotonic() + 0.1))
        bare, forged, honest, replayed = nodes
        for n in (bare, forged, replayed):
            self.assertEqual(n.closed_code, (1001, b"Ping timeout"),
                             f"{n.principal} should be closed for not answering")
            self.assertGreaterEqual(n.pings, 1)
        self.assertIsNone(honest.closed_code, "the node that answers stays connected")
        self.assertGreaterEqual(honest.pings, 3)

        def measured():
            u = uptime_ms(server.workdir)
            return u if u.get("honest-echo", 0) >= (ONLINE_S - 0.4) * 1000 else None
        u = self.eventually(measured, "the answering node's uptime is checkpointed", timeout=5)
        self.assertEqual(u.get("bare-heartbeats", 0), 0, u)
        self.assertEqual(u.get("forged-pongs", 0), 0, u)


class JobRewardsArePaid(E2ETestCase):

    def ledger_fields(self, port, principal):
        """(balance, todaysEarnings) of the node in GET /api/node/nodes."""
        r = http_call(port, "GET", "/api/node/nodes", auth_header=f"Bearer {ADMIN_TOKEN}")
        self.assertEqual(r.status, 200, r)
        by_id = {n["user_principal_id"]: n for n in r.doc["data"]}
        return by_id[principal]["balance"], by_id[principal]["todaysEarnings"]

    def test_a_completed_job_raises_the_nodes_balance_by_its_job_complete_reward_once(self):
        server = self.start_server(env={"ADMIN_TOKEN": ADMIN_TOKEN})
        port = server.port
        key = http_call(port, "POST", "/api/rpc/registerClient", {"uuid": "rewarded-customer"}).doc["data"]["apiKey"]

        async def scenario():
            node = await Node.connect(port, "rewarded-node")
            self.assertEqual(await asyncio.to_thread(self.ledger_fields, port, "rewarded-node"), (0, 0))
            added = await asyncio.to_thread(http_call, port, "POST", "/api/rpc/addJob",
                                            {"url": "https://x.com/sela/status/7", "scrapeType": "TWITTER_POST"}, key)
            self.assertEqual(added.status, 200, added)
            job_id = (await node.dispatch())["job_id"]
            await asyncio.sleep(0.3)  # Held for a while: the reward is per second held.
            result = json.dumps([{"text": "a post"}])
            done = await node.result(job_id, result)
            self.assertEqual(done["function"], "JobComplete", done)
            reward = done["reward"]
            self.assertGreater(reward, 0)
            self.assertEqual(await asyncio.to_thread(self.ledger_fields, port, "rewarded-node"), (reward, reward))
            again = await node.result(job_id, result)
            self.assertEqual((again["function"], again["reward"]), ("JobComplete", reward))
            self.assertEqual(await asyncio.to_thread(self.ledger_fields, port, "rewarded-node"), (reward, reward),
                             "a repeated result is paid once")
            await node.close()
        self.run_async(scenario())
