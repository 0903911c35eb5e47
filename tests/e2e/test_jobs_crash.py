"""Acknowledged jobs survive a crash of the server (ARCHITECTURE.md §6:
durable before acknowledged; after a restart the dead process's leases end
and the jobs run again).

Three addJob jobs are acknowledged with no node connected; a node whose
capacity is 1 (set through the admin route, stored with the node) then
holds one of them without answering; the server is killed with SIGKILL and
started again on the same DATA_PATH. The customer's key still works, all
three jobs are there, the leased one back to pending, and a node that
connects gets and completes each of them once; the leased one took two
attempts, the others one.
"""

import asyncio
import json
import os
import signal
import time

import proc
from jobclient import Node, http_call
from test_jobs import RESULT, TOKEN, JobsTestCase, URL


class JobsCrash(JobsTestCase):

    ENV = {"ADMIN_TOKEN": TOKEN}

    def set_capacity(self, principal, n):
        r = http_call(self.port, "PUT", f"/api/node/{principal}/capacity", {"maxConcurrentJobs": n}, TOKEN)
        self.assertEqual(r.status, 200, r)

    def live_nodes(self):
        return self.ok(self.rpc("GET", "system/clients", key=TOKEN))["clients"]

    def test_acknowledged_jobs_survive_sigkill_and_the_leased_one_runs_again(self):
        server = self.serve()
        key = self.customer()
        self.run_async(self._scenario(server, key), timeout=15)

    async def _scenario(self, server, key):
        # The node is known (capacity 1), then gone.
        node = await Node.connect(self.port, "node-crash")
        await asyncio.to_thread(self.set_capacity, "node-crash", 1)
        await node.close()
        await asyncio.to_thread(self.eventually, lambda: self.live_nodes() == [], "the node is offline")

        ids = [await asyncio.to_thread(self.add_job, key, f"{URL}{i}") for i in range(3)]
        for job_id in ids:
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["attempts"]), ("pending", 0), job_id)

        node = await Node.connect(self.port, "node-crash")
        d = await node.dispatch()
        leased = d["job_id"]
        self.assertIn(leased, ids)
        await node.sync()
        self.assertEqual(len(node.dispatches()), 1, "more jobs than the node's capacity of 1")
        job = await self.ajob(key, leased)
        self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]), ("ongoing", "", 1))

        server.signal(signal.SIGKILL)
        self.assertEqual(await asyncio.to_thread(server.wait_exit, 5), -signal.SIGKILL)
        await asyncio.wait_for(node.ws.wait_closed(), 5)
        self.assertEqual(node.ws.close_code, 1006)

        os.unlink(os.path.join(server.workdir, "port"))
        server2 = self.adopt(proc.ServerProcess(env=self.ENV, workdir=server.workdir, tag="jobs-crash-2"))
        await asyncio.to_thread(server2.start)
        self.port = server2.port

        # Nothing acknowledged was lost; the dead process's lease has ended.
        # On the Redis store its lease ends when its heartbeat lapses
        # (REDIS_PROCESS_TTL_MS, 2 s here), not at the new process's start.
        if proc.redis() is not None:
            async def lease_ended():
                while (await self.ajob(key, leased))["state"] != "pending":
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(lease_ended(), 5)
        for job_id in ids:
            job = await self.ajob(key, job_id)
            expected = ("pending", 1 if job_id == leased else 0)
            self.assertEqual((job["state"], job["attempts"]), expected, f"{job_id} after the restart: {job}")
        listed = self.ok(await self.arpc("GET", "jobs", key=key))
        self.assertEqual(sorted(j["jobID"] for j in listed), sorted(ids))
        self.assertEqual(await asyncio.to_thread(self.usage, key), 3)

        # A node connects: every job is delivered once and completes.
        node = await Node.connect(self.port, "node-crash")
        done = []
        for _ in ids:
            d = await node.dispatch()
            self.assertIn(d["job_id"], ids)
            self.assertNotIn(d["job_id"], done, "a completed job was delivered again")
            self.check_dispatch(d, node, d["job_id"], url=f"{URL}{ids.index(d['job_id'])}")
            self.check_complete(await node.result(d["job_id"], json.dumps(RESULT)), d["job_id"])
            done.append(d["job_id"])
        await node.sync()
        self.assertEqual(len(node.dispatches()), 3, f"dispatches after the restart: {node.dispatches()}")
        for job_id in ids:
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("completed", "", 2 if job_id == leased else 1), job_id)
            content = self.ok(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=key))
            self.assertEqual(json.loads(content["ok"]), RESULT)
        await node.close()


class JobsDrain(JobsTestCase):
    """SIGTERM: a waiting scrapeUrl hears 503 with its job id at once (the
    drain does not sit out its timeout), the server exits 0, and the job is
    still there for the next process."""

    def test_a_waiting_scrape_gets_503_at_sigterm_and_its_job_runs_after_the_restart(self):
        server = self.serve()
        key = self.customer()

        async def go():
            pending = self.scrape_async(key, {"url": URL, "scrapeType": "HTML", "timeoutMs": 60000})
            await asyncio.to_thread(self.eventually, lambda: len(self.ok(self.rpc("GET", "pendingJobs", key=key))) == 1,
                                    "the scrape's job is pending")
            started = time.monotonic()
            server.signal(signal.SIGTERM)
            r = await pending
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.header("Retry-After"), "5")
            self.assertIs(r.doc["success"], False)
            job_id = r.doc["data"]["jobId"]
            self.assertTrue(job_id.startswith("job_"), r.doc)
            self.assertEqual(await asyncio.to_thread(server.wait_exit, 10), 0)
            self.assertLess(time.monotonic() - started, 10)

            os.unlink(os.path.join(server.workdir, "port"))
            server2 = self.adopt(proc.ServerProcess(env=self.ENV, workdir=server.workdir, tag="jobs-drain-2"))
            await asyncio.to_thread(server2.start)
            self.port = server2.port
            node = await Node.connect(self.port, "node-after")
            d = await node.dispatch(job_id)
            self.check_complete(await node.result(job_id, "<p>after the restart</p>"), job_id)
            job = await self.ajob(key, job_id)
            self.assertEqual(job["state"], "completed", job)
            await node.close()
        self.scenario(go())

