"""Jobs end to end (ARCHITECTURE.md §6; rest-api.md §2.3 R3-R13, §3, §4;
ws-protocol.md §4.6, §4.9, §7.1) against the real server.

API customers register for a key and submit jobs over /api/rpc; nodes are
`websockets` clients (jobclient.Node) that receive TWITTER_SCRAPE frames and
answer with TWITTER_SCRAPE_RESULT. Every test starts its own server with the
job settings it needs (short leases where leases matter) and checks HTTP
statuses, E1 bodies, the node's frames and the stored job (`job/id`).

Waiting is for events: a node's frame, an HTTP answer. Where a frame must
NOT come, the node makes a HEARTBEAT round trip first (Node.sync): the server
answers in order, so anything pushed before is in the node's log by then.
"""

import asyncio
import json
import threading
import time

from e2ebase import E2ETestCase
from jobclient import JSON_TYPE, Node, http_call

KINDS = "TWITTER_POST, TWITTER_PROFILE, TWITTER_FOLLOW_LIST, HTML"
TOKEN = "e2e-jobs-admin-token-of-32-characters-or-more"
SCENARIO_TIMEOUT_S = 20.0
URL = "https://x.com/sela/status/1"


class JobsTestCase(E2ETestCase):
    """Helpers: customers over HTTP, nodes over WebSocket, one server per test."""

    ENV = {}

    def serve(self, **env):
        settings = dict(self.ENV)
        settings.update({k: str(v) for k, v in env.items()})
        self.server = self.start_server(settings)
        self.port = self.server.port
        return self.server

    # -- HTTP ------------------------------------------------------------
    def rpc(self, method, path, body=None, key=None, **kw):
        return http_call(self.port, method, "/api/rpc/" + path, body, key, **kw)

    async def arpc(self, method, path, body=None, key=None, **kw):
        return await asyncio.to_thread(self.rpc, method, path, body, key, **kw)

    def ok(self, r, message=None):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), JSON_TYPE)
        self.assertEqual(set(r.doc), {"success", "message", "data"}, r)
        self.assertIs(r.doc["success"], True, r)
        if message is not None:
            self.assertEqual(r.doc["message"], message)
        return r.doc["data"]

    def e1_error(self, r, status, message=None, data=None):
        """An E1 error: success false, the message, data null unless given."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("Content-Type"), JSON_TYPE)
        self.assertEqual(set(r.doc), {"success", "message", "data"}, r)
        self.assertIs(r.doc["success"], False, r)
        if message is not None:
            self.assertEqual(r.doc["message"], message, r)
        if data is None:
            self.assertIsNone(r.doc["data"], r)
        return r.doc["data"]

    def customer(self, uuid="customer-1"):
        data = self.ok(self.rpc("POST", "registerClient", {"uuid": uuid}), "Client registered successfully")
        return data["apiKey"]

    def add_job(self, key, url=URL, kind="TWITTER_POST", headers=()):
        data = self.ok(self.rpc("POST", "addJob", {"url": url, "scrapeType": kind}, key, headers=headers),
                       "Job added successfully")
        self.assertEqual(data["message"], "Job successfully added")
        self.assertRegex(data["jobId"], r"^job_\d+_\d+$")
        return data["jobId"]

    def job(self, key, job_id):
        return self.ok(self.rpc("GET", f"job/id?id={job_id}", key=key), "Job retrieved successfully")

    async def ajob(self, key, job_id):
        return await asyncio.to_thread(self.job, key, job_id)

    def usage(self, key):
        return self.ok(self.rpc("GET", "getTotalUsage", key=key), "Total usage retrieved successfully")["totalUsage"]

    def scrape_async(self, key, body, headers=()):
        """Starts POST scrapeUrl in a thread (it waits for a node); the
        returned future gives its Reply."""
        return asyncio.ensure_future(self.arpc("POST", "scrapeUrl", body, key, headers=headers))

    def scenario(self, coro):
        self.run_async(coro, timeout=SCENARIO_TIMEOUT_S)

    # -- node frames -----------------------------------------------------
    def check_dispatch(self, frame, node, job_id, kind="TWITTER_POST", url=URL, counts=(0, 0, 0)):
        self.assertEqual(frame, {"function": "TWITTER_SCRAPE", "type": kind, "url": url, "job_id": job_id,
                                 "message": "Sending job to client", "client_id": node.client_id,
                                 "post_count": counts[0], "replies_count": counts[1],
                                 "scrollPauseTime": counts[2], "status": "OK"})

    def check_complete(self, frame, job_id):
        self.assertEqual(frame["function"], "JobComplete", frame)
        self.assertEqual(frame["message"], "Job completed and result stored successfully")
        self.assertEqual(frame["status"], "OK")
        self.assertEqual(frame["jobId"], job_id)
        self.assertIsInstance(frame["reward"], (int, float))
        self.assertNotIsInstance(frame["reward"], bool)
        self.assertGreaterEqual(frame["reward"], 0)
        self.assertIsInstance(frame["timestamp"], int)
        return frame["reward"]

    def check_refused(self, frame, reason, error_type):
        self.assertEqual(frame, {"function": "Error", "message": "Error processing scrape result: " + reason,
                                 "status": "ERROR", "errorType": error_type})

    def check_not_leased(self, frame):
        self.check_refused(frame, "Job is not leased to this node", "JOB_NOT_ASSIGNED")


RESULT = [{"name": "alice", "followers": 10}, {"name": "bob", "followers": 20, "verified": True}]


class ApiKeys(JobsTestCase):

    def test_register_client_issues_a_key_once_and_all_header_forms_authenticate(self):
        self.serve()
        r = self.rpc("POST", "registerClient", {"uuid": "cust-keys"})
        data = self.ok(r, "Client registered successfully")
        key = data["apiKey"]
        self.assertRegex(key, r"^[A-Za-z0-9]{32}$")
        self.assertEqual(data, {"function": "Register", "message": "API key generated", "apiKey": key,
                                "status": "OK"})

        again = self.rpc("POST", "registerClient", {"uuid": "cust-keys"})
        self.e1_error(again, 409)
        self.assertNotIn(b"apiKey", again.body)
        self.assertNotIn(key.encode(), again.body)
        for body in ({}, {"uuid": ""}, {"uuid": None}):
            self.e1_error(self.rpc("POST", "registerClient", body), 400,
                          "Missing or invalid client_id in request body")

        status = self.rpc("GET", "getClientStatus?uuid=cust-keys", key=key)
        self.assertEqual(self.ok(status, "Client status retrieved successfully"),
                         {"totalUsage": 0, "usageLimit": 10000})
        self.assertNotIn(key.encode(), status.body)
        self.assertNotIn(b"clientAPI-Key", status.body)
        # Only with the client's own key: another uuid answers as an unknown one.
        self.e1_error(self.rpc("GET", "getClientStatus?uuid=nobody", key=key), 404,
                      "API key for Client UUID not found")
        self.assertEqual(self.rpc("GET", "getClientStatus?uuid=cust-keys").status, 401)
        self.e1_error(self.rpc("GET", "getClientStatus", key=key), 400, "Missing Client UUID")

        for form in (f"Bearer {key}", key, f"ApiKey {key}"):
            data = self.ok(self.rpc("GET", "getTotalUsage", auth_header=form), "Total usage retrieved successfully")
            self.assertEqual(data, {"clientUUID": "cust-keys", "totalUsage": 0, "usageLimit": 10000}, form)

        self.e1_error(self.rpc("GET", "getTotalUsage"), 401, "Missing Authorization header")
        other = "A" * 32
        for form in (f"Bearer {other}", other, f"ApiKey {other}", f"Bearer {key[:-1]}"):
            self.e1_error(self.rpc("GET", "getTotalUsage", auth_header=form), 401, "Invalid API key")
        # Routes that create jobs check the key as well.
        self.e1_error(self.rpc("POST", "addJob", {"url": URL, "scrapeType": "TWITTER_POST"}), 401,
                      "Missing Authorization header")
        self.e1_error(self.rpc("POST", "addJob", {"url": URL, "scrapeType": "TWITTER_POST"}, other), 401,
                      "Invalid API key")


class SyncAndAsyncJobs(JobsTestCase):

    def test_scrape_url_returns_the_nodes_result_and_stores_it(self):
        self.serve()
        key = self.customer()

        async def go():
            node = await Node.connect(self.port, "node-sync")
            pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_PROFILE", "timeoutMs": 8000,
                                              "postCount": 3, "replyCount": 2, "scrollPauseTime": 100})
            d = await node.dispatch()
            job_id = d["job_id"]
            self.check_dispatch(d, node, job_id, "TWITTER_PROFILE", counts=(3, 2, 100))
            reward = self.check_complete(await node.result(job_id, json.dumps(RESULT)), job_id)
            r = await pending
            data = self.ok(r, "URL scraping completed successfully")
            self.assertEqual(data["function"], "ScrapeComplete")
            self.assertEqual(data["message"], "URL scraped successfully")
            self.assertEqual(data["jobId"], job_id)
            self.assertEqual((data["url"], data["scrapeType"]), (URL, "TWITTER_PROFILE"))
            self.assertEqual(data["result"], RESULT)
            self.assertEqual(data["user_principal_id"], "")  # Customers never see the node (issue 11).
            self.assertEqual(data["client_id"], "")
            self.assertEqual((data["state"], data["status"], data["resultSource"]), ("completed", "OK", "job_result"))
            pricing = data["pricing"]
            self.assertEqual((pricing["objectsCount"], pricing["fileSizeKB"], pricing["currency"]), (2, 1, "USDT"))
            self.assertAlmostEqual(pricing["price"], round(1.0 + 0.2 * 1 + 0.1 * 2, 2))
            analysis = data["contentAnalysis"]
            self.assertEqual((analysis["isValidJson"], analysis["contentType"], analysis["objectsCount"]),
                             (True, "json", 2))
            self.assertEqual(analysis["dataStructure"], {"type": "array", "itemCount": 2,
                                                         "fields": ["followers", "name", "verified"],
                                                         "fieldCount": 3})

            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("completed", "", 1))
            self.assertEqual((job["clientUUID"], job["jobType"], job["target"]),
                             ("customer-1", "TWITTER_PROFILE", URL))
            self.assertEqual(job["reward"], reward)
            self.assertEqual(job["completeAt"], data["completedAt"])
            self.assertEqual(job["price"], pricing["price"])
            self.assertNotEqual(job["storedID"], "")

            content = self.ok(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=key),
                              "File content retrieved successfully")
            self.assertEqual(set(content), {"ok"})
            self.assertEqual(json.loads(content["ok"]), RESULT)
            dl = await self.arpc("GET", f"job/{job_id}/download", key=key)
            self.assertEqual(dl.status, 200, dl)
            self.assertEqual(json.loads(dl.body), RESULT)
            self.assertEqual(dl.header("Content-Disposition"), f'attachment; filename="scrape_result_{job_id}.json"')
            self.assertEqual(await asyncio.to_thread(self.usage, key), 1)

            # Another customer may not read it, nor learn that it exists: the
            # answer is a missing job's.
            other = await asyncio.to_thread(self.customer, "customer-2")
            self.e1_error(await self.arpc("GET", f"job/id?id={job_id}", key=other), 404, "Job not found")
            self.e1_error(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=other), 404, "Job not found")
            self.e1_error(await self.arpc("GET", f"job/{job_id}/download", key=other), 404, "Job not found")
            self.e1_error(await self.arpc("GET", "job/id?id=job_1_1", key=key), 404, "Job not found")
            await node.close()
        self.scenario(go())

    def test_add_job_answers_at_once_and_a_node_connecting_later_runs_it(self):
        self.serve()
        key = self.customer()
        job_id = self.add_job(key, kind="HTML")
        job = self.job(key, job_id)
        self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]), ("pending", "", 0))
        pending = self.ok(self.rpc("GET", "pendingJobs", key=key), "Pending jobs retrieved successfully")
        self.assertEqual([j["jobID"] for j in pending], [job_id])
        self.e1_error(self.rpc("GET", f"getFileContent?jobID={job_id}", key=key), 404, "File content not found")
        self.assertEqual(self.usage(key), 1)

        async def go():
            node = await Node.connect(self.port, "node-late")
            d = await node.dispatch(job_id)
            self.check_dispatch(d, node, job_id, "HTML")
            self.assertEqual((await self.ajob(key, job_id))["state"], "ongoing")
            html = "<html><body><p>hello</p></body></html>"
            self.check_complete(await node.result(job_id, html), job_id)
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("completed", "", 1))
            self.assertGreater(job["completeAt"], 0)
            content = self.ok(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=key))
            self.assertEqual(content["ok"], html)
            dl = await self.arpc("GET", f"job/{job_id}/download", key=key)
            self.assertEqual(dl.body, html.encode())
            self.assertEqual(dl.header("Content-Disposition"), f'attachment; filename="scrape_result_{job_id}.html"')
            listed = self.ok(await self.arpc("GET", "pendingJobs", key=key))
            self.assertEqual(listed, [])
            await node.close()
        self.scenario(go())

    def test_principal_id_sends_the_scrape_to_that_node_only(self):
        self.serve()
        key = self.customer()

        async def go():
            fast = await Node.connect(self.port, "node-fast")
            chosen = await Node.connect(self.port, "node-chosen")
            # An offline principal is refused at once, as the original did.
            r = await self.arpc("POST", "scrapeUrl", {"url": URL, "scrapeType": "HTML", "timeoutMs": 2000,
                                                      "principalId": "node-absent"}, key)
            self.e1_error(r, 400, "Failed to find optimal node for assignment")
            pending = self.scrape_async(key, {"url": URL, "scrapeType": "HTML", "timeoutMs": 8000,
                                              "principalId": "node-chosen"})
            d = await chosen.dispatch()
            self.check_dispatch(d, chosen, d["job_id"], "HTML")
            self.check_complete(await chosen.result(d["job_id"], "<p>chosen</p>"), d["job_id"])
            data = self.ok(await pending, "URL scraping completed successfully")
            self.assertEqual(data["user_principal_id"], "")
            await fast.sync()
            self.assertEqual(fast.dispatches(), [])
            await fast.close()
            await chosen.close()
        self.scenario(go())

    def test_the_servers_very_first_connection_gets_jobs_too(self):
        # Regression: the first connection a server accepts has connection id
        # 0, which the sessions once took for "no connection", so jobs leased
        # to that node were never sent.
        self.serve()

        async def go():
            node = await Node.connect(self.port, "node-first")
            key = await asyncio.to_thread(self.customer)
            job_id = await asyncio.to_thread(self.add_job, key, URL, "HTML")
            d = await node.dispatch(job_id)
            self.check_dispatch(d, node, job_id, "HTML")
            self.check_complete(await node.result(job_id, "<p>first</p>"), job_id)
            await node.close()
        self.scenario(go())

    def test_empty_results_fail_the_scrape_with_422_and_cost_nothing(self):
        self.serve()
        key = self.customer()

        async def go():
            node = await Node.connect(self.port, "node-empty")
            for empty in ("[]", '{"content":[]}'):
                pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 8000})
                d = await node.dispatch()
                job_id = d["job_id"]
                failed = await node.result(job_id, empty)
                self.assertEqual(failed["function"], "JobFailed", failed)
                self.assertEqual((failed["errorType"], failed["status"], failed["jobId"]),
                                 ("NO_DATA_FOUND", "ERROR", job_id))
                self.assertEqual(failed["message"], "Scraping returned empty results - no data found")
                r = await pending
                data = self.e1_error(r, 422, "Scraping returned empty results", data=True)
                self.assertEqual(
                    {k: v for k, v in data.items() if k not in ("timestamp", "elapsedTimeMs")},
                    {"function": "ScrapeEmpty",
                     "message": "Scraping completed but returned empty results - no data found",
                     "jobId": job_id, "url": URL, "scrapeType": "TWITTER_POST",
                     "user_principal_id": "", "client_id": "", "state": "failed",
                     "error": "NO_DATA_FOUND"}, empty)
                self.assertIsInstance(data["timestamp"], int)
                # As in the original's capture (node-flow.jsonl): the time the
                # customer waited, last.
                self.assertEqual(list(data)[-2:], ["timestamp", "elapsedTimeMs"])
                self.assertIsInstance(data["elapsedTimeMs"], int)
                self.assertGreaterEqual(data["elapsedTimeMs"], 0)
                self.assertLess(data["elapsedTimeMs"], 8000)
                job = await self.ajob(key, job_id)
                self.assertEqual((job["state"], job["reward"]), ("failed", 0))
                self.assertIn("empty results", job["error"])
                self.assertEqual(await asyncio.to_thread(self.usage, key), 0, f"usage after {empty}")
            await node.close()
        self.scenario(go())

    def test_scrape_url_without_nodes_times_out_with_408_and_validates_its_body(self):
        self.serve()
        key = self.customer()
        body = {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 1500}
        t0 = time.monotonic()
        r = self.rpc("POST", "scrapeUrl", body, key)
        waited = time.monotonic() - t0
        self.assertEqual(r.status, 408, r)
        data = r.doc["data"]
        job_id = data["jobId"]
        self.e1_error(r, 408, f"Scraping failed: Job {job_id} timed out after 1500ms", data=True)
        self.assertEqual({k: data[k] for k in ("url", "scrapeType", "timeoutMs", "elapsedMinutes")},
                         {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 1500, "elapsedMinutes": 0})
        # The deadline is counted from the job's creation time in whole
        # wall-clock milliseconds (truncated), the elapsed time from the
        # request's arrival on the monotonic clock: they may differ by 1 ms.
        self.assertGreaterEqual(data["elapsedTimeMs"], 1499)
        self.assertGreaterEqual(waited, 1.4)
        self.assertLess(waited, 5.0)
        job = self.job(key, job_id)
        self.assertEqual((job["state"], job["error"], job["attempts"]),
                         ("failed", f"Job {job_id} timed out after 1500ms", 0))
        self.assertEqual(self.usage(key), 0)

        bad = [
            ({"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 900001},
             "timeoutMs must be at most 900000 (15 minutes)"),
            ({"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 999},
             "timeoutMs must be a number >= 1000 (1 second)"),
            ({"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": "5000"},
             "timeoutMs must be a number >= 1000 (1 second)"),
            ({"url": URL, "scrapeType": "GOOGLE_SEARCH"},
             f"Unsupported scrapeType: GOOGLE_SEARCH. Supported types: {KINDS}"),
            ({"url": URL, "scrapeType": "PING"}, f"Unsupported scrapeType: PING. Supported types: {KINDS}"),
            ({"scrapeType": "TWITTER_POST"}, "Missing required field: url"),
            ({"url": URL}, "Missing required field: scrapeType"),
            ({"url": 5, "scrapeType": "TWITTER_POST"}, "url must be a string"),
            ({"url": URL, "scrapeType": "TWITTER_POST", "postCount": -1}, "postCount must be a non-negative number"),
        ]
        for b, message in bad:
            self.e1_error(self.rpc("POST", "scrapeUrl", b, key), 400, message)
        for url in ("ftp://x.com/a", "not a url", "https://", "https:///path", "https://x.com/a b"):
            r = self.rpc("POST", "scrapeUrl", {"url": url, "scrapeType": "TWITTER_POST"}, key)
            self.e1_error(r, 400)
            self.assertTrue(r.doc["message"].startswith("url must be an http or https URL"), r)
        # The same checks on addJob, and no job came of any of it.
        self.e1_error(self.rpc("POST", "addJob", {"url": URL, "scrapeType": "WEBSITE"}, key), 400,
                      f"Unsupported scrapeType: WEBSITE. Supported types: {KINDS}")
        self.e1_error(self.rpc("POST", "addJob", {"url": "javascript:alert(1)", "scrapeType": "HTML"}, key), 400)
        self.e1_error(self.rpc("POST", "addJob", {"url": URL}, key), 400,
                      "Missing or invalid url or scrapeType in request body")
        jobs = self.ok(self.rpc("GET", "jobs", key=key), "Jobs retrieved successfully")
        self.assertEqual([j["jobID"] for j in jobs], [job_id])
        self.assertEqual(self.usage(key), 0)


class Leases(JobsTestCase):

    def test_a_node_leaving_mid_job_hands_the_job_to_another_node(self):
        self.serve()
        key = self.customer()

        async def go():
            a = await Node.connect(self.port, "node-a")
            job_id = await asyncio.to_thread(self.add_job, key)
            self.check_dispatch(await a.dispatch(job_id), a, job_id)
            b = await Node.connect(self.port, "node-b")
            await b.sync()
            self.assertEqual(b.dispatches(), [], "B got a job that A holds")
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]), ("ongoing", "", 1))
            await a.close()
            self.check_dispatch(await b.dispatch(job_id), b, job_id)
            reward = self.check_complete(await b.result(job_id, json.dumps(RESULT)), job_id)
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"], job["reward"]),
                             ("completed", "", 2, reward))
            await b.close()
        self.scenario(go())

    def test_an_expired_lease_goes_to_another_node_and_the_late_result_is_refused(self):
        self.serve(JOB_LEASE_MS=1500)
        key = self.customer()

        async def go():
            a = await Node.connect(self.port, "node-slow")
            job_id = await asyncio.to_thread(self.add_job, key)
            await a.dispatch(job_id)
            leased_at = time.monotonic()
            b = await Node.connect(self.port, "node-fast")
            # The lease ends after JOB_LEASE_MS; then the job is B's.
            self.check_dispatch(await b.dispatch(job_id, timeout=5.0), b, job_id)
            self.assertGreaterEqual(time.monotonic() - leased_at, 1.0, "re-leased before the lease expired")
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("ongoing", "", 2))
            # A's late result is refused and changes nothing.
            self.check_not_leased(await a.result(job_id, json.dumps(RESULT)))
            self.assertEqual(await self.ajob(key, job_id), job)
            self.assertEqual(len(a.dispatches(job_id)), 1, "the job went back to the node whose lease expired")
            reward = self.check_complete(await b.result(job_id, json.dumps(RESULT[:1])), job_id)
            done = await self.ajob(key, job_id)
            self.assertEqual((done["state"], done["user_principal_id"], done["attempts"], done["reward"]),
                             ("completed", "", 2, reward))
            # Still refused after B completed it: the job stays B's.
            self.check_not_leased(await a.result(job_id, json.dumps(RESULT)))
            self.assertEqual(await self.ajob(key, job_id), done)
            content = self.ok(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=key))
            self.assertEqual(json.loads(content["ok"]), RESULT[:1])
            await a.close()
            await b.close()
        self.scenario(go())

    def test_a_result_after_the_scrape_timed_out_is_refused_and_frees_nothing_twice(self):
        self.serve()
        key = self.customer()

        async def go():
            node = await Node.connect(self.port, "node-late-result")
            pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 1000})
            d = await node.dispatch()
            job_id = d["job_id"]
            r = await pending
            self.e1_error(r, 408, f"Scraping failed: Job {job_id} timed out after 1000ms", data=True)
            failed = await self.ajob(key, job_id)
            self.assertEqual((failed["state"], failed["reward"], failed["attempts"]), ("failed", 0, 1))
            # The original completed (and paid) such a job after the client
            # had its error (rest-api.md §4.3); here the result is refused.
            self.check_not_leased(await node.result(job_id, json.dumps(RESULT)))
            self.assertEqual(await self.ajob(key, job_id), failed)
            self.e1_error(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=key), 404)
            # The node's slot was freed once: a new job reaches it.
            job2 = await asyncio.to_thread(self.add_job, key)
            await node.dispatch(job2)
            self.check_complete(await node.result(job2, json.dumps(RESULT)), job2)
            await node.close()
        self.scenario(go())

    def test_a_waiting_scrape_survives_its_node_leaving_and_completes_on_the_next(self):
        self.serve()
        key = self.customer()

        async def go():
            a = await Node.connect(self.port, "node-leaving")
            pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 8000})
            job_id = (await a.dispatch())["job_id"]
            await a.close()
            await asyncio.to_thread(
                self.eventually, lambda: self.job(key, job_id)["state"] == "pending", "the job is pending again")
            self.assertFalse(pending.done(), f"scrapeUrl answered when its node left: {pending}")
            b = await Node.connect(self.port, "node-next")
            await b.dispatch(job_id)
            self.check_complete(await b.result(job_id, json.dumps(RESULT)), job_id)
            data = self.ok(await pending, "URL scraping completed successfully")
            self.assertEqual((data["jobId"], data["user_principal_id"], data["client_id"], data["result"]),
                             (job_id, "", "", RESULT))
            self.assertEqual((await self.ajob(key, job_id))["attempts"], 2)
            await b.close()
        self.scenario(go())

    def test_a_result_naming_another_principal_is_refused(self):
        self.serve()
        key = self.customer()

        async def go():
            holder = await Node.connect(self.port, "node-honest")
            job_id = await asyncio.to_thread(self.add_job, key)
            await holder.dispatch(job_id)
            other = await Node.connect(self.port, "node-impostor")
            # `other` claims to be the holder in user_principal_id.
            await other.ws.send(json.dumps({"text": "TWITTER_SCRAPE_RESULT", "user_principal_id": holder.principal,
                                            "job_id": job_id, "data": json.dumps(RESULT)}))
            self.assertEqual(await other.reply(), {
                "function": "Error", "status": "ERROR",
                "message": "Node message handling failed: Authentication failed for user: node-honest"})
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"]), ("ongoing", ""))
            self.check_complete(await holder.result(job_id, json.dumps(RESULT)), job_id)
            await holder.close()
            await other.close()
        self.scenario(go())

    def test_a_node_closed_for_silence_loses_its_job_to_a_live_node(self):
        self.serve(HEARTBEAT_TIMEOUT_MS=1000)
        key = self.customer()

        async def go():
            silent = await Node.connect(self.port, "node-mute")
            job_id = await asyncio.to_thread(self.add_job, key)
            await silent.dispatch(job_id)
            live = await Node.connect(self.port, "node-chatty")
            # `live` keeps talking while waiting for the job.
            d = None
            deadline = time.monotonic() + 5.0
            while d is None:
                self.assertLess(time.monotonic(), deadline, "the job did not move to the live node")
                await live.sync()
                d = next(iter(live.dispatches(job_id)), None)
                if d is None:
                    await asyncio.sleep(0.2)
            await asyncio.wait_for(silent.ws.wait_closed(), 5)
            self.assertEqual((silent.ws.close_code, silent.ws.close_reason), (1001, "Heartbeat timeout"))
            self.check_dispatch(await live.dispatch(job_id), live, job_id)
            self.check_complete(await live.result(job_id, json.dumps(RESULT)), job_id)
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("completed", "", 2))
            await live.close()
        self.scenario(go())

    def test_repeated_foreign_and_unknown_results(self):
        self.serve()
        key = self.customer()

        async def go():
            a = await Node.connect(self.port, "node-holder")
            job_id = await asyncio.to_thread(self.add_job, key)
            await a.dispatch(job_id)
            b = await Node.connect(self.port, "node-other")
            # A foreign result while A holds the lease.
            self.check_not_leased(await b.result(job_id, json.dumps(RESULT)))
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("ongoing", "", 1))
            reward = self.check_complete(await a.result(job_id, json.dumps(RESULT)), job_id)
            done = await self.ajob(key, job_id)
            self.assertEqual(done["state"], "completed")
            # The holder's repeat is acknowledged again; nothing changes.
            again = await a.result(job_id, json.dumps(RESULT))
            self.assertEqual(self.check_complete(again, job_id), reward)
            # A repeat with other content is an error (issue 11), and changes
            # nothing either.
            self.check_refused(await a.result(job_id, json.dumps([{"different": 1}])),
                               "A different result for this job was already accepted", "RESULT_CONFLICT")
            self.assertEqual(await self.ajob(key, job_id), done)
            # A foreign result after completion.
            self.check_not_leased(await b.result(job_id, json.dumps(RESULT)))
            self.assertEqual(await self.ajob(key, job_id), done)
            content = self.ok(await self.arpc("GET", f"getFileContent?jobID={job_id}", key=key))
            self.assertEqual(json.loads(content["ok"]), RESULT)
            # Unknown job ids.
            for unknown in ("job_1_1", "no-such-job"):
                self.check_refused(await b.result(unknown, json.dumps(RESULT)),
                                   "Failed to update job: Job not found", "INTERNAL_SERVER_ERROR")
            await a.close()
            await b.close()
        self.scenario(go())

    def test_a_job_fails_after_max_attempts_and_the_waiting_scrape_gets_408(self):
        self.serve(JOB_LEASE_MS=800, JOB_MAX_ATTEMPTS=2)
        key = self.customer()

        async def go():
            node = await Node.connect(self.port, "node-silent")
            pending = self.scrape_async(key, {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 9000})
            first = await node.dispatch()
            job_id = first["job_id"]
            # The only node gets the job again once its first lease expired.
            await node.dispatch(job_id)
            r = await pending
            expected = "Job failed after 2 attempts: lease expired"
            data = self.e1_error(r, 408, f"Scraping failed: {expected}", data=True)
            self.assertEqual((data["jobId"], data["timeoutMs"]), (job_id, 9000))
            self.assertLess(data["elapsedTimeMs"], 9000)
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["attempts"], job["error"], job["reward"]),
                             ("failed", 2, expected, 0))
            # No third lease, and a result now is refused.
            self.check_not_leased(await node.result(job_id, json.dumps(RESULT)))
            self.assertEqual(len(node.dispatches(job_id)), 2)
            self.assertEqual(await self.ajob(key, job_id), job)
            self.assertEqual(await asyncio.to_thread(self.usage, key), 0)
            await node.close()
        self.scenario(go())


class Pull(JobsTestCase):

    def test_without_push_a_node_pulls_jobs_with_job_request(self):
        self.serve(JOB_PUSH="false")
        key = self.customer()

        async def go():
            node = await Node.connect(self.port, "node-pull")
            job_id = await asyncio.to_thread(self.add_job, key, URL, "TWITTER_FOLLOW_LIST")
            await node.sync()
            self.assertEqual(node.dispatches(), [], "a job was pushed with JOB_PUSH=false")
            self.assertEqual((await self.ajob(key, job_id))["state"], "pending")
            await node.send("JOB_REQUEST")
            d = await node.take("JOB_REQUEST reply", lambda f: True)
            self.check_dispatch(d, node, job_id, "TWITTER_FOLLOW_LIST")
            job = await self.ajob(key, job_id)
            self.assertEqual((job["state"], job["user_principal_id"], job["attempts"]),
                             ("ongoing", "", 1))
            await node.send("JOB_REQUEST")
            none = await node.take("JOB_REQUEST reply", lambda f: True)
            self.assertEqual(set(none), {"function", "message", "status", "timestamp"}, none)
            self.assertEqual((none["function"], none["message"], none["status"]),
                             ("NoJobsAvailable", "No jobs available at the moment", "OK"))
            self.check_complete(await node.result(job_id, json.dumps(RESULT)), job_id)
            self.assertEqual((await self.ajob(key, job_id))["state"], "completed")
            await node.close()
        self.scenario(go())


class IdempotencyAndUsage(JobsTestCase):

    def test_idempotency_key_repeats_answer_the_same_job(self):
        self.serve()
        key = self.customer()
        first = self.add_job(key, headers=[("Idempotency-Key", "add-1")])
        self.assertEqual(self.add_job(key, headers=[("Idempotency-Key", "add-1")]), first)
        self.assertEqual(self.usage(key), 1)
        self.e1_error(self.rpc("POST", "addJob", {"url": URL + "2", "scrapeType": "TWITTER_POST"}, key,
                               headers=[("Idempotency-Key", "add-1")]), 409)
        self.e1_error(self.rpc("POST", "addJob", {"url": URL, "scrapeType": "HTML"}, key,
                               headers=[("Idempotency-Key", "add-1")]), 409)
        self.assertNotEqual(self.add_job(key, headers=[("Idempotency-Key", "add-2")]), first)
        self.assertEqual(self.usage(key), 2)
        jobs = self.ok(self.rpc("GET", "jobs", key=key))
        self.assertEqual(len(jobs), 2)

        async def go():
            node = await Node.connect(self.port, "node-idem")
            # The two addJob jobs first.
            for _ in range(2):
                d = await node.dispatch()
                self.check_complete(await node.result(d["job_id"], json.dumps(RESULT)), d["job_id"])
            scrape = {"url": URL, "scrapeType": "TWITTER_PROFILE", "timeoutMs": 8000}
            idem = [("Idempotency-Key", "scrape-1")]
            pending = self.scrape_async(key, scrape, idem)
            d = await node.dispatch()
            self.check_complete(await node.result(d["job_id"], json.dumps(RESULT)), d["job_id"])
            one = self.ok(await pending, "URL scraping completed successfully")
            self.assertEqual(await asyncio.to_thread(self.usage, key), 3)
            two = self.ok(await self.arpc("POST", "scrapeUrl", scrape, key, headers=idem),
                          "URL scraping completed successfully")
            self.assertEqual(two["jobId"], one["jobId"])
            self.assertEqual(two["result"], RESULT)
            self.assertEqual((two["state"], two["user_principal_id"], two["client_id"], two["completedAt"]),
                             ("completed", "", "", one["completedAt"]))
            self.assertEqual(two["pricing"], one["pricing"])
            self.assertEqual(await asyncio.to_thread(self.usage, key), 3)
            await node.sync()
            self.assertEqual(len(node.dispatches()), 3, "the repeat ran the job again")
            await node.close()
        self.scenario(go())

    def test_usage_limit_refuses_the_job_past_it(self):
        self.serve(USAGE_LIMIT=2)
        key = self.customer()
        self.add_job(key)
        self.add_job(key)
        self.e1_error(self.rpc("POST", "addJob", {"url": URL, "scrapeType": "TWITTER_POST"}, key), 429,
                      "Rate limit exceeded")
        self.e1_error(self.rpc("POST", "scrapeUrl", {"url": URL, "scrapeType": "TWITTER_POST", "timeoutMs": 1000},
                               key), 429, "Rate limit exceeded")
        self.assertEqual(self.ok(self.rpc("GET", "getTotalUsage", key=key)),
                         {"clientUUID": "customer-1", "totalUsage": 2, "usageLimit": 2})
        self.assertEqual(len(self.ok(self.rpc("GET", "jobs", key=key))), 2)

    def test_concurrent_add_jobs_never_exceed_the_usage_limit(self):
        self.serve(USAGE_LIMIT=5)
        key = self.customer()
        statuses = []
        lock = threading.Lock()
        start = threading.Barrier(20)

        def one(i):
            start.wait(5)
            r = self.rpc("POST", "addJob", {"url": f"{URL}{i}", "scrapeType": "TWITTER_POST"}, key)
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        self.assertEqual(len(statuses), 20, "not every request was answered")
        self.assertEqual(sorted(statuses), [200] * 5 + [429] * 15)
        self.assertEqual(self.usage(key), 5)
        self.assertEqual(len(self.ok(self.rpc("GET", "jobs", key=key))), 5)


class Admin(JobsTestCase):

    def test_system_clients_needs_the_admin_token_and_lists_live_nodes(self):
        self.serve()
        self.e1_error(self.rpc("GET", "system/clients"), 403,
                      "Admin routes are disabled: ADMIN_TOKEN is not configured")
        self.e1_error(self.rpc("GET", "system/clients", key=TOKEN), 403)
        self.server.stop()
        self._servers.remove(self.server)

        self.serve(ADMIN_TOKEN=TOKEN)
        self.e1_error(self.rpc("GET", "system/clients"), 401)
        self.e1_error(self.rpc("GET", "system/clients", key="wrong"), 401)
        key = self.customer()

        async def go():
            node = await Node.connect(self.port, "node-admin")
            job_id = await asyncio.to_thread(self.add_job, key)
            await node.dispatch(job_id)
            data = self.ok(await self.arpc("GET", "system/clients", key=TOKEN),
                           "Clients information retrieved successfully")
            self.assertEqual(data["summary"], {"total": 1, "online": 1, "active": 1, "atCapacity": 0})
            [c] = data["clients"]
            self.assertEqual((c["user_principal_id"], c["client_id"], c["isOnline"]),
                             ("node-admin", node.client_id, True))
            self.assertEqual((c["activeJobs"], c["maxConcurrentJobs"], c["availableCapacity"]), (1, 10, 9))
            # The API customer is not a node.
            self.assertNotIn(b"customer-1", (await self.arpc("GET", "system/clients", key=TOKEN)).body)
            await node.close()

            def gone():
                return self.ok(self.rpc("GET", "system/clients", key=TOKEN))["clients"] == []
            await asyncio.to_thread(self.eventually, gone, "the node leaves system/clients")
        self.scenario(go())

