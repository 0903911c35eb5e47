"""The job queue for everyone (issue 11, items 5 and 7): one customer
cannot fill JOB_OPEN_MAX (429 past its JOB_OPEN_SHARE_PERCENT while another
customer still gets in), addJob jobs expire (JOB_MAX_AGE_MS), customers and
the admin cancel jobs (another customer's job answers 404 like a missing
one), customers never see node principals, /api/node/nodes pages, and node
records that registered once expire (NODE_RECORD_TTL_MS)."""

import asyncio
import json
import time

from jobclient import Node, http_call
from secbase import RESULT, SecurityCase, add_job, register_customer, rpc
from v2client import Identity, V2Node

ADMIN = "a" * 40


def job(port, key, job_id):
    r = rpc(port, "GET", f"job/id?id={job_id}", key=key)
    assert r.status == 200, r
    return r.doc["data"]


def cancel(port, job_id, key=None, admin=False):
    return rpc(port, "POST", "admin/cancelJob" if admin else "cancelJob", {"jobId": job_id},
               key=ADMIN if admin else key)


class OpenJobShare(SecurityCase):

    def test_one_customer_over_its_share_gets_429_while_another_gets_in(self):
        # No node: every job stays open. 10 open at most, 30 % (3) each.
        self.serve(JOB_OPEN_MAX=10, JOB_OPEN_SHARE_PERCENT=30)
        greedy = register_customer(self.port, "greedy")
        modest = register_customer(self.port, "modest")
        for _ in range(3):
            add_job(self.port, greedy)
        before = self.snapshot()
        counted = self.refusals("open_jobs_share")
        over = rpc(self.port, "POST", "addJob", {"url": "https://x.com/a/status/1", "scrapeType": "TWITTER_POST"},
                   greedy)
        self.assertEqual(over.status, 429, over)
        self.assertIn("Too many open jobs for this client", over.doc["message"])
        self.wait_refusals("open_jobs_share", counted + 1)
        self.assert_unchanged(before, "addJob over the share")
        add_job(self.port, modest)  # The other customer still gets in.


class Expiry(SecurityCase):

    def test_an_add_job_nobody_runs_fails_at_its_maximum_age(self):
        self.serve(JOB_MAX_AGE_MS=1000)
        key = register_customer(self.port, "patient")
        job_id = add_job(self.port, key)
        deadline = time.monotonic() + 5
        while job(self.port, key, job_id)["state"] != "failed":
            self.assertLess(time.monotonic(), deadline, "the job never expired")
            time.sleep(0.1)
        self.assertIn("timed out", job(self.port, key, job_id)["error"])
        self.assertEqual(self.db_rows(f"SELECT failure_reason FROM jobs WHERE job_id = '{job_id}'"),
                         [("deadline",)])


class Cancel(SecurityCase):

    def test_the_owner_cancels_another_customer_gets_404_the_admin_cancels_any(self):
        self.serve(ADMIN_TOKEN=ADMIN)
        owner = register_customer(self.port, "owner")
        prober = register_customer(self.port, "prober")
        first, second = add_job(self.port, owner), add_job(self.port, owner)

        before = self.snapshot()
        foreign = cancel(self.port, first, prober)
        missing = cancel(self.port, first[:-1] + ("1" if first[-1] != "1" else "2"), prober)
        self.assertEqual((foreign.status, foreign.body), (404, missing.body))
        self.assertEqual(json.loads(foreign.body)["message"], "Job not found")
        self.assertEqual(cancel(self.port, first).status, 401)  # No key at all.
        self.assertEqual(rpc(self.port, "POST", "admin/cancelJob", {"jobId": first}, key=owner).status, 401)
        self.assert_unchanged(before, "cancel by another customer")

        mine = cancel(self.port, first, owner)
        self.assertEqual(mine.status, 200, mine)
        self.assertEqual((mine.doc["data"]["state"], mine.doc["data"]["error"]),
                         ("failed", "Job cancelled by its customer"))
        again = cancel(self.port, first, owner)
        self.assertEqual(again.status, 409, again)
        by_admin = cancel(self.port, second, admin=True)
        self.assertEqual(by_admin.status, 200, by_admin)
        self.assertEqual(self.db_rows("SELECT job_id, failure_reason, error FROM jobs ORDER BY seq"),
                         [(first, "cancelled", "Job cancelled by its customer"),
                          (second, "cancelled", "Job cancelled by an operator")])
        self.assertEqual(cancel(self.port, first, None, admin=False).status, 401)
        self.assertEqual(rpc(self.port, "POST", "cancelJob", {}, key=owner).status, 400)

    def test_a_cancelled_leased_job_refuses_the_nodes_result_and_hides_the_node(self):
        self.serve()
        key = register_customer(self.port, "owner")
        identity = Identity.fresh(label="worker")

        async def go():
            node = await V2Node.connect(self.port, identity)
            job_id = await asyncio.to_thread(add_job, self.port, key)
            frame = await node.job()
            self.assertEqual(frame["job_id"], job_id)
            seen = await asyncio.to_thread(job, self.port, key, job_id)
            self.assertEqual(seen["state"], "ongoing")
            self.assertEqual(seen["user_principal_id"], "")  # Never the node's principal.
            self.assertNotIn(identity.principal, json.dumps(seen))
            cancelled = await asyncio.to_thread(cancel, self.port, job_id, key)
            self.assertEqual(cancelled.status, 200, cancelled)
            late = await node.request({"type": "result", "job_id": job_id, "content": RESULT})
            self.assertEqual((late["type"], late["code"]), ("error", "job_not_leased"))
            await node.close()
            return job_id
        job_id = self.run_async(go())
        self.assertEqual(self.db_rows(f"SELECT state, failure_reason, reward_units, result_hash FROM jobs "
                                      f"WHERE job_id = '{job_id}'"), [("failed", "cancelled", 0, "")])


class NodeRecords(SecurityCase):

    def nodes_page(self, query=""):
        r = http_call(self.port, "GET", "/api/node/nodes" + query, auth_header=f"Bearer {ADMIN}")
        self.assertEqual(r.status, 200, r)
        return [n["user_principal_id"] for n in r.doc["data"]], r.header("X-Next-After")

    def test_the_node_list_pages(self):
        self.serve(ADMIN_TOKEN=ADMIN)

        async def go():
            for p in ("page-a", "page-b", "page-c"):
                await (await Node.connect(self.port, p)).close()
        self.run_async(go())
        everyone, cursor = self.nodes_page()
        self.assertEqual((everyone, cursor), (["page-a", "page-b", "page-c"], None))
        first, cursor = self.nodes_page("?limit=2")
        self.assertEqual(first, ["page-a", "page-b"])
        rest, last = self.nodes_page(f"?limit=2&after={cursor}")
        self.assertEqual((rest, last), (["page-c"], None))
        bad = http_call(self.port, "GET", "/api/node/nodes?limit=0", auth_header=f"Bearer {ADMIN}")
        self.assertEqual(bad.status, 400, bad)

    def test_records_of_one_time_nodes_expire(self):
        self.serve(ADMIN_TOKEN=ADMIN, NODE_RECORD_TTL_MS=1000)

        async def go():
            await (await Node.connect(self.port, "one-time")).close()
            signed = await V2Node.connect(self.port, Identity.fresh(label="keeper"))
            await signed.close()
            return signed.identity.principal
        keeper = self.run_async(go())
        deadline = time.monotonic() + 6
        while "one-time" in self.nodes_page()[0]:
            self.assertLess(time.monotonic(), deadline, "the one-time record never expired")
            time.sleep(0.2)
        self.assertEqual(self.nodes_page()[0], [keeper])  # Signed records stay.
        self.assertGreaterEqual(self.metrics().value("sela_node_records_expired_total"), 1)
