"""The reward routes (docs/REST-REWARDS.md) against the real server.

Nodes register over WebSocket (`websockets`). Uptime is paid per whole
minute, so a node's measured hour is written into the store file while the
server is stopped (the row the registry's checkpoints write, docs/STORAGE.md),
then the server is started again on the same DATA_PATH and pays it through
POST /api/rewards/trigger. Everything else goes through the REST routes: the
user data, history and chart of the paid node, referral registration and the
referrer's data, admin refusals, and 4xx answers that write nothing (the
ledger's tables are read from the store file to show that).
"""

import asyncio
import datetime
import json
import os
import signal
import sqlite3
import threading
import time

import proc
from e2ebase import E2ETestCase
from jobclient import Node, http_call
from test_node_routes import ADMIN, TOKEN, RestMixin, as_principal, register

AN_HOUR_MS = 3_600_000
# An hour at tier 1 (60 Mbps, 20 ms): 60 minutes × 0.5 SP × 1.2.
AN_HOURS_PAY = 36

E2_ROUTES = [
    ("GET", "/api/rewards/status"),
    ("POST", "/api/rewards/trigger"),
    ("GET", "/api/rewards/history"),
    ("GET", "/api/rewards/distribution/dist_1"),
    ("GET", "/api/rewards/user/p/history"),
    ("GET", "/api/rewards/unprocessed-count"),
    ("GET", "/api/rewards/logs"),
    ("GET", "/api/rewards/audit"),
]
E1_ADMIN_ROUTES = [
    ("POST", "/api/node/rewards/add"),
    ("POST", "/api/referral-distribution/trigger/weekly-uptime"),
    ("POST", "/api/referral-distribution/trigger/daily-task"),
    ("POST", "/api/referral-distribution/trigger/monthly-cap-reset"),
    ("GET", "/api/referral-distribution/logs"),
]


def today():
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def db_rows(workdir, sql):
    path = os.path.join(workdir, "data", "sela.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def ledger_counts(workdir):
    return {t: db_rows(workdir, f"SELECT count(*) FROM {t}")[0][0]
            for t in ("ledger_transfers", "ledger_accounts", "ledger_days", "referrals")}


class RewardRoutes(RestMixin, E2ETestCase):

    def start(self, workdir=None):
        env = {"ADMIN_TOKEN": TOKEN}
        if workdir is None:
            return self.start_server(env=env)
        os.unlink(os.path.join(workdir, "port"))
        return self.adopt(proc.ServerProcess(env=env, workdir=workdir, tag="reward-routes-2").start())

    def register_nodes(self, port, *principals):
        async def go():
            for p in principals:
                ws, _ = await register(port, p)
                await ws.close()
        self.run_async(go())

    def stop(self, server):
        server.signal(signal.SIGTERM)
        self.assertEqual(server.wait_exit(10), 0)

    def get_data(self, path, principal, port, status=200):
        return self.json_call("GET", path, headers=as_principal(principal), port=port, status=status)["data"]

    def trigger(self, port):
        r = self.call("POST", "/api/rewards/trigger", headers=ADMIN, port=port)
        return r.status, json.loads(r.body)

    def test_paid_uptime_shows_in_user_data_history_and_chart_and_a_run_twice_pays_once(self):
        server = self.start()
        self.register_nodes(server.port, "earner")
        workdir = server.workdir
        self.stop(server)
        db = sqlite3.connect(os.path.join(workdir, "data", "sela.db"))
        with db:
            db.execute("INSERT OR REPLACE INTO uptime_days VALUES (?, ?, ?, 1, 60.0, 1, 20.0, 1, 0, ?)",
                       ("earner", today(), AN_HOUR_MS, int(time.time() * 1000)))
        db.close()
        server = self.start(workdir)
        port = server.port
        self.assertEqual(self.get_data("/api/node/user/data", "earner", port)["balance"], "0")

        # Two triggers at once: one runs, the other is refused or finds
        # nothing left; then a third pays nothing.
        results = [None, None]

        def fire(i):
            results[i] = self.trigger(port)
        threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        paid = [doc for status, doc in results if status == 200 and doc["data"]["status"] == "COMPLETED"]
        self.assertEqual(len(paid), 1, results)
        self.assertEqual(paid[0]["data"]["totalRewardsDistributed"], AN_HOURS_PAY)
        for status, doc in results:
            if status == 409:
                self.assertEqual(doc["error"]["type"], "Conflict", doc)
            else:
                self.assertEqual(status, 200, doc)
        status, again = self.trigger(port)
        self.assertEqual((status, again["data"]["status"], again["data"]["totalRewardsDistributed"]),
                         (200, "SKIPPED", 0))

        data = self.get_data("/api/node/user/data", "earner", port)
        self.assertEqual((data["balance"], data["todaysEarnings"], data["totalAccumulativePoints"]),
                         ("36", "36", "36"), data)
        self.assertEqual(data["user_principal_id"], "earner")
        history = self.get_data("/api/node/user/reward-history?page=1&limit=10", "earner", port)
        self.assertEqual([(r["type"], r["amount"], r["date"]) for r in history["data"]["rewards"]],
                         [("uptime", AN_HOURS_PAY, today())])
        self.assertEqual(history["summary"]["totalUptimeMinutes"], 60)
        chart = self.get_data(f"/api/node/user/reward-history/chart?startDate={today()}", "earner", port)
        self.assertEqual(chart["chartData"], [{"date": today(), "jobRewards": 0, "uptimeRewards": AN_HOURS_PAY,
                                               "totalRewards": AN_HOURS_PAY, "uptimeMinutes": 60}])
        # Another principal sees its own, empty, history.
        other = self.get_data("/api/node/user/reward-history", "someone-else", port)
        self.assertEqual(other["pagination"]["totalItems"], 0)

        audit = self.json_call("GET", "/api/rewards/audit", headers=ADMIN, port=port)
        self.assertEqual(set(audit), {"success", "data"})
        self.assertEqual((audit["data"]["balanced"], audit["data"]["issued"], audit["data"]["held"]),
                         (True, AN_HOURS_PAY, AN_HOURS_PAY))
        runs = self.json_call("GET", "/api/rewards/history", headers=ADMIN, port=port)["data"]
        self.assertEqual(runs["pagination"]["total"], 1)
        user = self.json_call("GET", "/api/rewards/user/earner/history", headers=ADMIN, port=port)["data"]
        self.assertEqual(len(user["transactions"]), 1)
        self.assertEqual(db_rows(workdir, "SELECT count(*), sum(credited_units) FROM ledger_transfers"),
                         [(1, AN_HOURS_PAY * 100_000_000)])

    def test_a_referee_registers_itself_and_the_referrer_sees_it(self):
        server = self.start()
        port = server.port
        self.register_nodes(port, "referrer", "referee", "bystander")
        code = self.get_data("/api/node/user/data", "referrer", port)["referralCode"]
        body = {"referral_code": code.lower()}
        valid = self.json_call("POST", "/api/referral/validate", body, port=port)["data"]
        self.assertEqual(valid["referrer_principal_id"], "referrer")
        created = self.json_call("POST", "/api/referral/register", body, as_principal("referee"), port, status=201)
        self.assertEqual(created["message"], "Successfully registered with referral code")
        self.assertEqual(created["data"]["relationship"]["referrer_l1"], "referrer")
        again = self.json_call("POST", "/api/referral/register", body, as_principal("referee"), port, status=409)
        self.assertEqual(again["message"], "User already registered with a referral code")

        dashboard = self.get_data("/api/referral/dashboard", "referrer", port)
        self.assertEqual(dashboard["my_referral_code"], code)
        self.assertEqual(dashboard["tier1"]["total_referrals"], 1)
        self.assertEqual(dashboard["tier1"]["pending_24h"], 1)
        tree = self.get_data("/api/referral/tree", "referrer", port)
        self.assertEqual([r["user_principal_id"] for r in tree["l1_referrals"]["referrals"]], ["referee"])
        self.assertEqual(self.get_data("/api/referral/stats", "referrer", port)["total_referrals"], 1)
        status = self.get_data("/api/referral/status", "referee", port)
        self.assertEqual((status["registered"], status["relationship"]["referral_code_used"]), (True, code))
        self.assertIsNone(self.get_data("/api/referral/relationship", "bystander", port))
        self.assertEqual(db_rows(server.workdir, "SELECT referee, referrer_l1 FROM referrals"),
                         [("referee", "referrer")])

    def test_a_referees_job_pays_it_and_both_referrer_levels_their_task_shares(self):
        """A job's reward and the 5 % / 2 % task shares, floored in base
        units of what was credited, show in each node's user data."""
        server = self.start()
        port = server.port
        self.register_nodes(port, "level-2", "level-1", "worker")
        for referee, referrer in (("level-1", "level-2"), ("worker", "level-1")):
            code = self.get_data("/api/node/user/data", referrer, port)["referralCode"]
            self.json_call("POST", "/api/referral/register", {"referral_code": code}, as_principal(referee), port,
                           status=201)
        key = http_call(port, "POST", "/api/rpc/registerClient", {"uuid": "share-customer"}).doc["data"]["apiKey"]

        async def complete_one_job():
            node = await Node.connect(port, "worker")
            added = await asyncio.to_thread(http_call, port, "POST", "/api/rpc/addJob",
                                            {"url": "https://x.com/sela/status/9", "scrapeType": "TWITTER_POST"}, key)
            self.assertEqual(added.status, 200, added)
            job_id = (await node.dispatch())["job_id"]
            await asyncio.sleep(0.3)  # Held for a while: the reward is per second held.
            done = await node.result(job_id, json.dumps([{"text": "a post"}]))
            await node.close()
            return done
        done = self.run_async(complete_one_job())
        self.assertEqual(done["function"], "JobComplete", done)
        units = round(done["reward"] * 100_000_000)
        self.assertGreater(units, 0)

        def balance_units(principal):
            return round(float(self.get_data("/api/node/user/data", principal, port)["balance"]) * 100_000_000)
        self.assertEqual(balance_units("worker"), units)
        self.assertEqual(balance_units("level-1"), units * 5 // 100)
        self.assertEqual(balance_units("level-2"), units * 2 // 100)
        self.assertEqual(self.get_data("/api/node/user/data", "worker", port)["totalEarnFromLastJob"],
                         self.get_data("/api/node/user/data", "worker", port)["balance"])
        audit = self.json_call("GET", "/api/rewards/audit", headers=ADMIN, port=port)
        self.assertTrue(audit["data"]["balanced"], audit)

    def test_admin_reward_routes_refuse_without_the_token(self):
        no_token = self.start_server()
        for method, path in E2_ROUTES:
            r = self.call(method, path, port=no_token.port)
            self.assertEqual(r.status, 403, path)
            self.assertEqual(json.loads(r.body)["error"]["type"], "Forbidden", path)
        for method, path in E1_ADMIN_ROUTES:
            r = self.call(method, path, {}, port=no_token.port)
            self.assertEqual(r.status, 403, path)
            self.envelope_error(json.loads(r.body), "Admin routes are disabled: ADMIN_TOKEN is not configured")
        server = self.start()
        for method, path in E2_ROUTES:
            for headers, message in (([], "Authorization header is required"),
                                     ([("Authorization", "Bearer wrong")], "Invalid authorization token"),
                                     (as_principal("p"), "Authorization header is required")):
                r = self.call(method, path, headers=headers, port=server.port)
                self.assertEqual(r.status, 401, (path, headers))
                self.assertEqual(json.loads(r.body), {"success": False,
                                                      "error": {"type": "Unauthorized", "message": message}})
        for method, path in E1_ADMIN_ROUTES:
            r = self.call(method, path, {"principalId": "p", "rewards": 5}, as_principal("p"), port=server.port)
            self.assertEqual(r.status, 401, path)
            self.envelope_error(json.loads(r.body), "Authorization header is required")
        # The public ones answer.
        self.json_call("GET", "/api/referral/config", port=server.port)
        self.json_call("GET", "/api/referral-distribution/status", port=server.port)

    def test_bad_input_is_a_4xx_and_writes_nothing(self):
        server = self.start()
        port = server.port
        self.register_nodes(port, "node-a", "node-b")
        code_a = self.get_data("/api/node/user/data", "node-a", port)["referralCode"]
        before = ledger_counts(server.workdir)
        grants = [({"principalId": "node-a", "rewards": -5}, 400), ({"principalId": "node-a", "rewards": 0}, 400),
                  ({"principalId": "node-a", "rewards": "5"}, 400), ({"principalId": "node-a", "rewards": 1e300}, 400),
                  ({"principalId": "node-a", "rewards": 0.123456789}, 400), ({"rewards": 5}, 400),
                  ({"principalId": "nobody", "rewards": 5}, 404)]
        for body, status in grants:
            self.json_call("POST", "/api/node/rewards/add", body, ADMIN, port, status=status)
        registrations = [("node-b", {}, 400), ("node-b", {"referral_code": 42}, 400),
                         ("node-b", {"referral_code": "short"}, 400), ("node-b", {"referral_code": "ZZZZ9999"}, 400),
                         ("node-a", {"referral_code": code_a}, 400), ("nobody", {"referral_code": code_a}, 404)]
        for principal, body, status in registrations:
            if body.get("referral_code") == "ZZZZ9999" and code_a == "ZZZZ9999":
                continue
            self.json_call("POST", "/api/referral/register", body, as_principal(principal), port, status=status)
        for path in ("/api/node/user/reward-history?page=0", "/api/node/user/reward-history?limit=1000",
                     "/api/node/user/reward-history/chart?startDate=2024-13-01",
                     "/api/node/user/reward-history/chart?startDate=2024-03-02&endDate=2024-03-01",
                     "/api/referral/rewards?tier=9", "/api/referral/rewards?type=BONUS"):
            self.json_call("GET", path, headers=as_principal("node-a"), port=port, status=400)
        bad_page = self.json_call("GET", "/api/rewards/history?limit=0", headers=ADMIN, port=port, status=400)
        self.assertEqual(bad_page["error"]["type"], "ValidationError")
        self.json_call("GET", "/api/node/user/data", headers=as_principal("nobody"), port=port, status=404)
        self.assertEqual(ledger_counts(server.workdir), before)
        self.assertEqual(before["ledger_transfers"], 0)
        self.assertFalse(self.get_data("/api/referral/status", "node-b", port)["registered"])

        # A good grant with an Idempotency-Key, repeated, pays once; the key
        # with another amount is a 409 that writes nothing.
        keyed = ADMIN + [("Idempotency-Key", "e2e-grant-1")]
        for _ in range(2):
            done = self.json_call("POST", "/api/node/rewards/add", {"principalId": "node-a", "rewards": 2.5}, keyed, port)
            self.assertEqual(done["data"], {"balance": "2.5", "message": "Rewards added successfully"})
        self.json_call("POST", "/api/node/rewards/add", {"principalId": "node-a", "rewards": 3}, keyed, port,
                       status=409)
        self.assertEqual(db_rows(server.workdir, "SELECT count(*), sum(credited_units) FROM ledger_transfers"),
                         [(1, 250_000_000)])
