"""The server while its Redis is unreachable (issue 14; docs/STORAGE.md
"Redis backend"): new work is refused with a clear 503 and /ready says 503;
once Redis is back (the same one, from its AOF) the server reconnects by
itself and what it acknowledged before is all there. Runs with run.py
--redis (ctest e2e_server_redis), on a redis-server of its own so that
stopping it disturbs no other test.
"""

import time

import redisproc
from jobclient import http_call
from test_jobs import JobsTestCase, URL

RECONNECT_WAIT_S = 15


class RedisOutage(JobsTestCase):

    def test_while_redis_is_down_new_work_gets_503_and_nothing_acknowledged_is_lost(self):
        redis = redisproc.RedisServer(appendfsync="always").start()
        self.addCleanup(redis.remove)
        self.serve(REDIS_URL=redis.url(), REDIS_DURABILITY="always")
        key = self.customer()
        job_id = self.add_job(key)

        redis.stop()  # SIGKILL: no goodbye on the connection
        r = self.rpc("POST", "addJob", {"url": URL, "scrapeType": "TWITTER_POST"}, key)
        self.e1_error(r, 503)
        self.assertIn("unavailable", r.doc["message"].lower(), r)
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertEqual(self.get("/ready").status, 503)
        self.assertEqual(self.get("/health").status, 200)  # alive, only not ready
        self.assertIsNone(self.server.proc.poll(), "the server exited when Redis went away")

        redis.restart()
        deadline = time.monotonic() + RECONNECT_WAIT_S
        while self.get("/ready").status != 200:
            self.assertLess(time.monotonic(), deadline, "the server did not reconnect to Redis")
            time.sleep(0.1)
        # The job acknowledged before the outage, untouched; the refused one
        # was never made nor charged; new work is taken again.
        job = self.job(key, job_id)
        self.assertEqual((job["state"], job["attempts"]), ("pending", 0))
        self.assertEqual(self.usage(key), 1)
        second = self.add_job(key)
        self.assertNotEqual(second, job_id)
        self.assertEqual(self.usage(key), 2)

    def get(self, path):
        return http_call(self.port, "GET", path)
