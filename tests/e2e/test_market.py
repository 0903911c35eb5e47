"""The results marketplace end to end (R14-R19 and RM1/RM2; docs/REST-RPC.md
"Marketplace"): a customer's results are on it only when that customer
lists them; nobody else can list, read or buy an unlisted result; a
purchase is recorded once, at the job's price, and opens the download."""

import asyncio
import json

from jobclient import Node
from test_jobs import JobsTestCase

ITEMS = [{"id": str(i), "text": f"post {i}"} for i in range(7)]


class Marketplace(JobsTestCase):

    def completed_job(self, key, node_name, listed=None, url="https://x.com/alice/status/1"):
        body = {"url": url, "scrapeType": "TWITTER_PROFILE"}
        if listed is not None:
            body["listed"] = listed

        async def go():
            node = await Node.connect(self.port, node_name)
            pending = self.scrape_async(key, body)
            job_id = (await node.dispatch())["job_id"]
            await node.result(job_id, json.dumps(ITEMS))
            reply = await pending
            await node.close()
            return job_id, reply

        job_id, reply = self.run_async(go())
        self.ok(reply)
        return job_id

    def market_ids(self, query=""):
        data = self.ok(self.rpc("GET", "marketplace/list-jobs" + query), "Marketplace jobs retrieved successfully")
        return [j["job_id"] for j in data["jobs"]], data["totalCount"]

    def test_another_customers_unlisted_result_cannot_be_listed_read_or_bought(self):
        self.serve()
        alice = self.customer("alice")
        bob = self.customer("bob")
        job_id = self.completed_job(alice, "node-m-1")
        self.assertIs(self.job(alice, job_id)["listed"], False)
        # Bob: not on the list, not readable, not for sale; as if it did not exist.
        self.assertEqual(self.market_ids(), ([], 0))
        self.assertEqual(self.market_ids("?search=alice"), ([], 0))
        self.e1_error(self.rpc("GET", f"marketplace/job/{job_id}/details"), 404, "Job not found")
        self.e1_error(self.rpc("GET", f"marketplace/job/{job_id}/details", key=bob), 404, "Job not found")
        self.e1_error(self.rpc("GET", f"marketplace/job/{job_id}/download", key=bob), 404, "Job not found")
        self.e1_error(self.rpc("POST", "marketplace/store-purchase", {"jobId": job_id}, key=bob), 404,
                      f"Job {job_id} not found")
        # Another customer's job answers as a missing one (issue 11).
        self.e1_error(self.rpc("GET", f"job/{job_id}/download", key=bob), 404, "Job not found")
        self.e1_error(self.rpc("PUT", f"marketplace/job/{job_id}/listing", {"listed": True}, key=bob), 404)
        stats = self.ok(self.rpc("GET", "marketplace/stats"))
        self.assertEqual(stats, {"totalCompletedJobs": 0, "totalJobsByType": {}, "recentJobsCount": 0})
        # Alice still reads her own through the marketplace routes.
        self.ok(self.rpc("GET", f"marketplace/job/{job_id}/details", key=alice))
        self.assertEqual(json.loads(self.rpc("GET", f"marketplace/job/{job_id}/download", key=alice).body), ITEMS)

    def test_a_listed_result_is_seen_by_all_and_read_after_one_purchase_at_its_price(self):
        self.serve()
        alice = self.customer("alice")
        bob = self.customer("bob")
        job_id = self.completed_job(alice, "node-m-2", listed=True)
        private = self.completed_job(alice, "node-m-3", url="https://x.com/alice/status/2")
        ids, total = self.market_ids()
        self.assertEqual((ids, total), ([job_id], 1))
        listed = self.ok(self.rpc("GET", "marketplace/list-jobs"))["jobs"][0]
        self.assertEqual(set(listed), {"job_id", "job_type", "target", "job_views", "job_downloads", "completeAt",
                                       "price"})
        details = self.ok(self.rpc("GET", f"marketplace/job/{job_id}/details"), "Job details retrieved successfully")
        self.assertEqual(details["job"]["jobID"], job_id)
        self.assertEqual(details["dataCount"], 7)
        self.assertTrue(details["preview"].endswith("\n... (4 more items)"), details["preview"])
        self.assertEqual(details["included"], ["id", "text"])
        price = details["job"]["pricing"]["price"]
        self.e1_error(self.rpc("GET", f"marketplace/job/{job_id}/download", key=bob), 403,
                      "Access denied: User has not purchased this job")
        first = self.ok(self.rpc("POST", "marketplace/store-purchase", {"jobId": job_id}, key=bob),
                        "Purchase stored successfully")
        self.assertIs(first["isNewPurchase"], True)
        self.assertEqual(first["price"], price)
        self.assertEqual(first["currency"], "USDT")
        again = self.ok(self.rpc("POST", "marketplace/store-purchase", {"jobId": job_id}, key=bob))
        self.assertIs(again["isNewPurchase"], False)
        self.assertEqual(again["purchased_at"], first["purchased_at"])
        bought = self.rpc("GET", f"marketplace/job/{job_id}/download", key=bob)
        self.assertEqual(bought.status, 200)
        self.assertEqual(json.loads(bought.body), ITEMS)
        self.assertEqual(self.rpc("GET", f"marketplace/job/{job_id}/download", key=bob,
                                  headers=[("Range", "bytes=0-0")]).body, b"[")
        counters = self.ok(self.rpc("GET", "marketplace/list-jobs"))["jobs"][0]
        self.assertEqual((counters["job_views"], counters["job_downloads"]), (1, 2))
        stats = self.ok(self.rpc("GET", "marketplace/stats"))
        self.assertEqual(stats, {"totalCompletedJobs": 1, "totalJobsByType": {"TWITTER_PROFILE": 1},
                                 "recentJobsCount": 1})
        # Alice lists the other one later, and takes both off again.
        self.ok(self.rpc("PUT", f"marketplace/job/{private}/listing", {"listed": True}, key=alice))
        self.assertEqual(self.market_ids("?sort=asc")[0], [job_id, private])
        self.assertEqual(self.market_ids("?search=STATUS/2")[0], [private])
        for j in (job_id, private):
            self.ok(self.rpc("PUT", f"marketplace/job/{j}/listing", {"listed": False}, key=alice))
        self.assertEqual(self.market_ids(), ([], 0))
        # Bob's purchase stands, but a new buyer finds nothing.
        carol = self.customer("carol")
        self.e1_error(self.rpc("POST", "marketplace/store-purchase", {"jobId": job_id}, key=carol), 404)

    def test_a_clients_default_lists_its_new_jobs_and_bad_parameters_are_400(self):
        self.serve()
        alice = self.customer("alice")
        self.ok(self.rpc("PUT", "marketplace/listing-default", {"listed": True}, key=alice))
        job_id = self.completed_job(alice, "node-m-4")
        self.assertEqual(self.market_ids()[0], [job_id])
        unlisted = self.completed_job(alice, "node-m-5", listed=False)
        self.assertNotIn(unlisted, self.market_ids()[0])
        for q in ("?limit=0", "?limit=x", "?offset=-1", "?limit=1&limit=2"):
            self.e1_error(self.rpc("GET", "marketplace/list-jobs" + q), 400, "Invalid limit or offset parameters")
        self.e1_error(self.rpc("GET", "marketplace/list-jobs?limit=101"), 400, "Limit cannot exceed 100")
        self.e1_error(self.rpc("POST", "marketplace/store-purchase", {}, key=alice), 400,
                      "Missing required parameter: jobId")
        self.e1_error(self.rpc("POST", "marketplace/store-purchase", {"jobId": 5}, key=alice), 400,
                      "jobId must be a string")
        self.e1_error(self.rpc("POST", "addJob", {"url": "https://x.com/a", "scrapeType": "HTML", "listed": "yes"},
                               key=alice), 400, "listed must be true or false")
        gone = self.rpc("POST", "marketplace/calculate-retroactive-pricing", {}, key=alice)
        self.assertEqual(gone.status, 404)
        self.assertEqual(gone.doc["message"], "Endpoint not found")
