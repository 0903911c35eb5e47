"""Several sela-server processes sharing one Redis (ARCHITECTURE.md §4, §8;
docs/STORAGE.md "Several processes"). Runs with run.py --redis (ctest
e2e_server_redis), on the suite's redis-server, every test with a key
prefix of its own shared by its processes.

- a job submitted on one process runs on an idle node of another, and the
  scrapeUrl waiting on the first gets the result that arrived on the other;
- a scrapeUrl for one node (principalId) held by another process runs there;
- admin messages and broadcasts reach nodes on every process;
- processes share one port (SO_REUSEPORT) and each serves part of it;
- three processes, nodes on all three, jobs submitted round-robin to all
  three; one is killed with SIGKILL mid-load: every acknowledged job
  completes exactly once (one stored completion, at most one JobComplete
  sent for it, the reward recorded once), within a few seconds of the
  dead process's TTL.
"""

import asyncio
import itertools
import json
import random
import signal
import socket
import time

import proc
import redisproc
from e2ebase import ws_connect
from jobclient import Node, http_call
from test_jobs import RESULT, TOKEN, JobsTestCase, URL

# Short, so that the kill test is quick; not shorter, so that a process
# slowed down by a loaded machine is not given up for dead.
TTL_MS = 2000
ENV = {"ADMIN_TOKEN": TOKEN, "REDIS_PROCESS_TTL_MS": str(TTL_MS), "JOB_LEASE_MS": "10000"}


class AutoNode:
    """A node that answers every job after `delay_s` with RESULT and keeps
    what the server said: the jobs it got, the JobComplete acks (with their
    reward) and the other replies. Reconnects to `reconnect_ports` in turn
    when its process goes away."""

    def __init__(self, principal, port, delay_s=(0.05, 0.2), rng=None):
        self.principal = principal
        self.port = port
        self.delay_s = delay_s
        self.rng = rng or random.Random(principal)
        self.dispatched = []
        self.acks = {}      # job_id -> [reward, ...]
        self.others = []    # other frames (replies, notifications)
        self.reconnect_ports = []
        self.connections = 0
        self._task = None
        self._ws = None
        self._stop = False

    async def start(self):
        await self._connect(self.port)
        self._task = asyncio.create_task(self._run())

    async def _connect(self, port):
        ws = await ws_connect(f"ws://127.0.0.1:{port}/?principal_id={self.principal}")
        await ws.send(json.dumps({"text": "HEARTBEAT", "user_principal_id": self.principal}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if reply.get("success") is not True:
            raise AssertionError(f"registration of {self.principal} failed: {reply}")
        self._ws = ws
        self.port = port
        self.connections += 1

    async def _answer(self, ws, job_id):
        await asyncio.sleep(self.rng.uniform(*self.delay_s))
        try:
            await ws.send(json.dumps({"text": "TWITTER_SCRAPE_RESULT", "user_principal_id": self.principal,
                                      "job_id": job_id, "data": json.dumps(RESULT)}))
        except Exception:
            pass  # Its process is gone; the job is retried elsewhere.

    async def _run(self):
        while not self._stop:
            ws = self._ws
            try:
                async for msg in ws:
                    frame = json.loads(msg)
                    if frame.get("function") == "TWITTER_SCRAPE":
                        self.dispatched.append(frame["job_id"])
                        asyncio.create_task(self._answer(ws, frame["job_id"]))
                    elif frame.get("function") == "JobComplete":
                        self.acks.setdefault(frame["jobId"], []).append(frame["reward"])
                    else:
                        self.others.append(frame)
            except Exception:
                pass
            if self._stop or not self.reconnect_ports:
                return
            # Its process went away: another one.
            for port in itertools.islice(itertools.cycle(self.reconnect_ports), 0, 10):
                try:
                    await self._connect(port)
                    break
                except Exception:
                    await asyncio.sleep(0.05)

    async def close(self):
        self._stop = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5)


class Cluster(JobsTestCase):

    def redis(self):
        return proc.redis()

    def start_cluster(self, n, prefix, port=None, **env):
        settings = dict(ENV, REDIS_KEY_PREFIX=prefix)
        settings.update({k: str(v) for k, v in env.items()})
        if port is not None:
            settings["PORT"] = str(port)
        return [self.start_server(settings, tag=f"cluster-{prefix}-{i}") for i in range(n)]

    def customer_on(self, port, uuid="customer-1"):
        r = http_call(port, "POST", "/api/rpc/registerClient", {"uuid": uuid})
        return self.ok(r, "Client registered successfully")["apiKey"]

    def stored(self, prefix, job_id, *fields):
        return self.redis().command("HMGET", "{%s}:jobs:job:%s" % (prefix, job_id), *fields)

    # ------------------------------------------------------------------------

    def test_a_job_submitted_on_one_process_runs_on_a_node_of_another(self):
        a, b = self.start_cluster(2, "c1")
        key = self.customer_on(a.port)
        self.run_async(self._scrape_elsewhere(a, b, key), timeout=20)

    async def _scrape_elsewhere(self, a, b, key):
        node = await Node.connect(b.port, "node-on-b")
        # Waiting on A; A has no node, B has one.
        self.port = a.port
        pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 10000})
        d = await node.dispatch()
        self.assertRegex(d["job_id"], r"^job_\d+_\d+$")
        self.check_complete(await node.result(d["job_id"], json.dumps(RESULT)), d["job_id"])
        r = await pending
        data = self.ok(r, "URL scraping completed successfully")
        self.assertEqual(data["jobId"], d["job_id"])
        self.assertEqual(data["result"], RESULT)
        # Customers see "" for the node (job views); the store says who ran it.
        self.assertEqual(data["user_principal_id"], "")
        self.assertEqual(self.stored("c1", d["job_id"], "node_principal"), ["node-on-b"])
        await node.close()

    def test_a_scrape_for_one_node_runs_on_the_process_holding_it(self):
        a, b = self.start_cluster(2, "c2")
        key = self.customer_on(a.port)
        self.run_async(self._scrape_for_node(a, b, key), timeout=20)

    async def _scrape_for_node(self, a, b, key):
        other = await Node.connect(a.port, "node-on-a")
        wanted = await Node.connect(b.port, "node-wanted")
        self.port = a.port
        pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 10000,
                                          "principalId": "node-wanted"})
        d = await wanted.dispatch()
        self.check_complete(await wanted.result(d["job_id"], json.dumps(RESULT)), d["job_id"])
        data = self.ok(await pending, "URL scraping completed successfully")
        self.assertEqual(data["user_principal_id"], "")
        self.assertEqual(self.stored("c2", d["job_id"], "node_principal"), ["node-wanted"])
        await other.sync()
        self.assertEqual(other.dispatches(), [])
        # A node that is nowhere is refused at once.
        r = await self.arpc("POST", "scrapeUrl", {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 5000,
                                                  "principalId": "node-nowhere"}, key)
        self.e1_error(r, 400, "Failed to find optimal node for assignment")
        await other.close()
        await wanted.close()

    def test_admin_messages_and_broadcasts_reach_nodes_on_every_process(self):
        a, b = self.start_cluster(2, "c3")
        self.run_async(self._messages(a, b), timeout=20)

    async def _messages(self, a, b):
        on_a = await Node.connect(a.port, "msg-a")
        on_b = await Node.connect(b.port, "msg-b")
        r = await asyncio.to_thread(http_call, a.port, "POST", f"/api/node/client/{on_b.client_id}/message",
                                    {"userPrincipalId": "msg-b", "text": "hello b"}, TOKEN)
        self.assertEqual(r.status, 200, r)
        frame = await on_b.take("the message", lambda f: f.get("function") == "Notification")
        self.assertEqual(frame["message"], "hello b")
        r = await asyncio.to_thread(http_call, b.port, "POST", "/api/node/broadcast",
                                    {"user_principal_id": "admin", "text": "to all"}, TOKEN)
        self.assertEqual(r.status, 200, r)
        for n in (on_a, on_b):
            f = await n.take("the broadcast", lambda f: f.get("function") == "Notification"
                             and f.get("message") == "to all")
            self.assertEqual(f["message"], "to all")
        # A node held nowhere: 404, as for a node that is not here.
        r = await asyncio.to_thread(http_call, a.port, "POST", "/api/node/client/1/message",
                                    {"userPrincipalId": "nobody", "text": "x"}, TOKEN)
        self.assertEqual(r.status, 404, r)
        await on_a.close()
        await on_b.close()

    def test_processes_share_one_port(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        servers = self.start_cluster(2, "c4", port=port)
        self.assertEqual([p.port for p in servers], [port, port])
        self.run_async(self._share_port(port), timeout=20)

    async def _share_port(self, port):
        nodes = [await Node.connect(port, f"shared-{i:02d}") for i in range(24)]
        # Each process records its own nodes' presence.
        presence = self.redis().command("HGETALL", "{c4}:jobs:presence")
        holders = set(presence[1::2])
        self.assertEqual(len(presence) // 2, 24)
        self.assertEqual(len(holders), 2, f"every connection went to one process: {holders}")
        for n in nodes:
            await n.close()

    def test_three_processes_kill_one_mid_load_every_acknowledged_job_completes_once(self):
        servers = self.start_cluster(3, "c5")
        key = self.customer_on(servers[0].port)
        self.run_async(self._kill_mid_load(servers, key), timeout=40)

    async def _kill_mid_load(self, servers, key):
        ports = [s.port for s in servers]
        nodes = []
        for i, port in enumerate(ports):
            for j in range(4):
                # The victim's nodes are slow, so that it holds leases when
                # it dies.
                n = AutoNode(f"kill-{i}-{j}", port, delay_s=(1.0, 1.5) if i == 1 else (0.05, 0.2))
                await n.start()
                nodes.append(n)
        victim = servers[1]
        survivors = [ports[0], ports[2]]
        for n in nodes:
            n.reconnect_ports = survivors
        acked = []
        rotation = itertools.cycle(range(3))
        killed = False
        for k in range(90):
            i = next(rotation)
            if k == 45:
                victim.signal(signal.SIGKILL)
                self.assertEqual(await asyncio.to_thread(victim.wait_exit, 5), -signal.SIGKILL)
                killed = True
            if killed and i == 1:
                continue  # Its port answers no more: nothing to acknowledge.
            r = await asyncio.to_thread(http_call, ports[i], "POST", "/api/rpc/addJob",
                                        {"url": f"{URL}/{k}", "scrapeType": "TWITTER_POST"}, key)
            data = self.ok(r, "Job added successfully")
            acked.append(data["jobId"])
            await asyncio.sleep(0.01)
        self.assertGreater(len(acked), 70)

        # Every acknowledged job completes, the dead process's included
        # (released once its heartbeat lapsed, then taken by the others).
        deadline = time.monotonic() + 20
        states = {}
        while time.monotonic() < deadline:
            states = {j: self.stored("c5", j, "state")[0] for j in acked}
            if all(s == "completed" for s in states.values()):
                break
            await asyncio.sleep(0.1)
        self.assertEqual({j: s for j, s in states.items() if s != "completed"}, {},
                         "acknowledged jobs not completed")

        # Exactly once: one stored completion each (a guarded transition), at
        # most one JobComplete sent for it (none if its process died with
        # the ack), and the node acknowledged is the node stored.
        acks = {}
        for n in nodes:
            for job_id, rewards in n.acks.items():
                acks.setdefault(job_id, []).extend((n.principal, r) for r in rewards)
        for job_id in acked:
            node, reward_units, attempt = self.stored("c5", job_id, "node_principal", "reward_units", "attempt")
            got = acks.get(job_id, [])
            self.assertLessEqual(len(got), 1, f"{job_id} acknowledged twice: {got}")
            if got:
                self.assertEqual(got[0][0], node, f"{job_id}: acknowledged to another node than stored")
                # The reward told to the node is the one recorded, once.
                self.assertAlmostEqual(got[0][1], int(reward_units or 0) / 1e8, places=8)
            self.assertIn(int(attempt), (1, 2, 3), job_id)
        # The dead process's jobs ran again: some took a second attempt.
        retried = [j for j in acked if int(self.stored("c5", j, "attempt")[0]) > 1]
        self.assertTrue(retried, "no job held by the dead process was run again")
        # Nothing of the dead process is left behind.
        self.assertEqual(self.redis().command("SMEMBERS", "{c5}:jobs:procs").__len__(), 2)
        for n in nodes:
            await n.close()
