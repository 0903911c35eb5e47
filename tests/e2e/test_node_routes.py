"""The /api/node REST routes (docs/REST-NODE.md) against the real server.

Nodes are `websockets` clients that register by sending
{"principal_id": ...} as their first frame; REST reads then reflect them:
who is connected now (the live registry), their uptime (the store's UTC days,
written every UPTIME_CHECKPOINT_MS, plus the live part), their records. Admin
routes answer 403 without ADMIN_TOKEN, 401 with a wrong or missing token and
200 with the right one; admin messages reach live nodes and nobody else.
"""

import asyncio
import datetime
import json

from e2ebase import E2ETestCase, ws_connect

TOKEN = "e2e-admin-token-of-32-characters-or-more"
ADMIN = [("Authorization", f"Bearer {TOKEN}")]
CHECKPOINT_MS = 200
FRAME_TIMEOUT_S = 5.0
# A frame that should not come is waited for this long.
SILENCE_S = 0.5

ADMIN_ROUTES = [
    ("GET", "/api/node/nodes"),
    ("GET", "/api/node/nodes/running"),
    ("POST", "/api/node/client/1/message"),
    ("POST", "/api/node/broadcast"),
    ("PUT", "/api/node/someone/capacity"),
    ("POST", "/api/node/rewards/add"),
]


def as_principal(p):
    return [("x-user-principal-id", p)]


def utc_day(days_back=0):
    d = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=days_back)
    return d.isoformat()


class RestMixin:
    """JSON requests on a fresh connection each."""

    def call(self, method, path, body=None, headers=(), port=None, raw_body=None, content_type="application/json"):
        hs = list(headers)
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hs.append(("Content-Type", content_type))
        c = self.http(port)
        try:
            r = c.request(method, path, headers=hs, body=data)
        finally:
            c.close()
        return r

    def json_call(self, method, path, body=None, headers=(), port=None, status=200):
        r = self.call(method, path, body, headers, port)
        self.assertEqual(r.status, status, f"{method} {path}: {r.status} {r.body[:300]!r}")
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        return json.loads(r.body)

    def envelope_error(self, doc, message=None):
        self.assertEqual(set(doc), {"success", "message", "data"}, doc)
        self.assertIs(doc["success"], False)
        self.assertIsNone(doc["data"])
        if message is not None:
            self.assertEqual(doc["message"], message)


async def register(port, principal):
    """A registered node connection and its clientId."""
    ws = await ws_connect(f"ws://127.0.0.1:{port}/")
    await ws.send(json.dumps({"principal_id": principal}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT_S))
    assert reply["success"] is True and reply["message"] == "Registration successful", reply
    return ws, reply["clientId"]


async def next_frame(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT_S))


async def no_frame(test, ws):
    try:
        frame = await asyncio.wait_for(ws.recv(), SILENCE_S)
    except asyncio.TimeoutError:
        return
    test.fail(f"unexpected frame {frame!r}")


class PublicRoutes(RestMixin, E2ETestCase):
    """Routes anyone may call, on the shared server (no ADMIN_TOKEN)."""

    SHARED = "default"

    def test_health_and_stats_answer_the_original_bodies(self):
        r = self.call("GET", "/api/node/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'{"success":true,"message":"Node service is healthy","data":{"status":"OK"}}')
        stats = self.json_call("GET", "/API/Node/Stats/")
        self.assertEqual(stats["message"], "Node service statistics retrieved")
        self.assertEqual(stats["data"]["name"], "Node Service")
        self.assertEqual(len(stats["data"]["features"]), 6)

    def test_routes_of_the_rewards_ledger_answer_from_it(self):
        # (tests/e2e/test_reward_routes.py pays a node and reads it back.)
        self.envelope_error(self.json_call("GET", "/api/node/user/data", headers=as_principal("p"), status=404),
                            "Client not found")
        history = self.json_call("GET", "/api/node/user/reward-history", headers=as_principal("p"))
        self.assertEqual(history["data"]["pagination"]["totalItems"], 0)
        chart = self.json_call("GET", "/api/node/user/reward-history/chart", headers=as_principal("p"))
        self.assertEqual(chart["data"]["chartData"], [])
        for path in ("/api/node/user/data", "/api/node/user/reward-history", "/api/node/user/reward-history/chart"):
            self.assertEqual(self.call("GET", path).status, 401, path)

    def test_admin_routes_answer_403_when_no_admin_token_is_configured(self):
        for method, path in ADMIN_ROUTES:
            for headers in ([], ADMIN, as_principal("p")):
                doc = self.json_call(method, path, {}, headers, status=403)
                self.envelope_error(doc, "Admin routes are disabled: ADMIN_TOKEN is not configured")

    def test_principal_routes_need_a_principal(self):
        for path in ("/api/node/user/uptime", "/api/node/user/uptime/detailed", "/api/node/auth/check"):
            doc = self.json_call("GET", path, status=401)
            self.assertTrue(doc["message"].startswith("User principal ID is required."), doc)
            # (Blanks around a header value are not part of it in HTTP, so
            # the blank principal comes in the query.)
            self.envelope_error(self.json_call("GET", path + "?user_principal_id=%20%20", status=400),
                                "Invalid user principal ID format")

    def test_principal_may_come_from_query_or_body(self):
        doc = self.json_call("GET", "/api/node/user/uptime?user_principal_id=nobody-q")
        self.assertEqual(doc["data"]["totalUptime"], "00:00:00")
        r = self.call("GET", "/api/node/auth/check", {"user_principal_id": "nobody-b"})
        self.assertEqual(r.status, 401)
        self.assertEqual(json.loads(r.body)["message"], "Authentication failed: Client not found")

    def test_unknown_principal_has_zero_uptime_and_fails_auth_check(self):
        doc = self.json_call("GET", "/api/node/user/uptime", headers=as_principal("never-seen"))
        self.assertEqual(doc["message"], "Uptime stats retrieved successfully")
        self.assertEqual(doc["data"], {
            "totalUptime": "00:00:00", "todayUptime": "00:00:00", "isCurrentlyOnline": False,
            "currentSessionDuration": "00:00:00", "activeSessionRewards": "0", "activeSessionMinutes": "0"})
        self.envelope_error(self.json_call("GET", "/api/node/auth/check", headers=as_principal("never-seen"),
                                           status=401), "Authentication failed: Client not found")

    def test_detailed_uptime_period_and_days_validation(self):
        doc = self.json_call("GET", "/api/node/user/uptime/detailed", headers=as_principal("never-seen"))
        data = doc["data"]
        self.assertEqual(doc["message"], "Detailed uptime information retrieved successfully")
        self.assertEqual(data["period"], {"start_date": utc_day(7), "end_date": utc_day(), "days": 7})
        self.assertEqual(data["daily_records"], [])
        self.assertEqual(data["weekly_records"], [])
        self.assertIsNone(data["active_session"])
        self.assertEqual([t["tier"] for t in data["performance_tiers"]], [1, 2, 3, 4])
        self.assertEqual(data["summary"]["days_active"], 0)
        doc = self.json_call("GET", "/api/node/user/uptime/detailed?days=2", headers=as_principal("x"))
        self.assertEqual(doc["data"]["period"]["start_date"], utc_day(2))
        for bad in ("abc", "-1", "100000", "1.5"):
            self.envelope_error(self.json_call("GET", f"/api/node/user/uptime/detailed?days={bad}",
                                               headers=as_principal("x"), status=400))

    def test_malformed_json_body_gets_the_original_parse_error_envelope(self):
        r = self.call("GET", "/api/node/auth/check", raw_body=b'{"user_principal_id":')
        self.assertEqual(r.status, 400)
        doc = json.loads(r.body)
        self.assertEqual(doc["success"], False)
        self.assertEqual(doc["error"], "JSON_PARSE_ERROR")
        self.assertEqual(doc["message"], "JSON syntax error: Incomplete JSON data")

    def test_head_is_served_by_get(self):
        c = self.http()
        try:
            r = c.request("HEAD", "/api/node/health")
        finally:
            c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")


class AdminAndLiveNodes(RestMixin, E2ETestCase):
    """A server with ADMIN_TOKEN and fast uptime checkpoints, and live nodes."""

    def setUp(self):
        super().setUp()
        self.server = self.start_server({"ADMIN_TOKEN": TOKEN, "UPTIME_CHECKPOINT_MS": CHECKPOINT_MS})
        self.port = self.server.port

    def test_admin_routes_answer_401_without_the_right_token(self):
        for method, path in ADMIN_ROUTES:
            for headers in ([], [("Authorization", "Bearer wrong")], [("Authorization", TOKEN)],
                            as_principal("p")):
                r = self.call(method, path, {}, headers)
                self.assertEqual(r.status, 401, f"{method} {path} {headers}")
                self.envelope_error(json.loads(r.body))
        doc = self.json_call("GET", "/api/node/nodes", headers=ADMIN)
        self.assertEqual(doc, {"success": True, "message": "All nodes retrieved successfully", "data": []})

    def test_running_means_connected_now(self):
        async def scenario():
            a, _ = await register(self.port, "node-a")
            b, _ = await register(self.port, "node-b")
            running = await asyncio.to_thread(self.json_call, "GET", "/api/node/nodes/running", None, ADMIN)
            self.assertEqual(sorted(n["user_principal_id"] for n in running["data"]), ["node-a", "node-b"])
            self.assertTrue(all(n["isOnline"] for n in running["data"]))
            await b.close()

            def b_gone():
                doc = self.json_call("GET", "/api/node/nodes/running", headers=ADMIN)
                return [n["user_principal_id"] for n in doc["data"]] == ["node-a"]
            await asyncio.to_thread(self.eventually, b_gone, "node-b leaves the running list")
            everyone = await asyncio.to_thread(self.json_call, "GET", "/api/node/nodes", None, ADMIN)
            by_id = {n["user_principal_id"]: n for n in everyone["data"]}
            self.assertEqual(set(by_id), {"node-a", "node-b"})
            self.assertTrue(by_id["node-a"]["isOnline"])
            self.assertFalse(by_id["node-b"]["isOnline"])
            self.assertGreater(by_id["node-b"]["wsDisconnect"], 0)
            self.assertEqual(by_id["node-a"]["clientStatus"], "Active")
            # The ledger's fields (issue 12): nothing credited yet.
            self.assertEqual(by_id["node-a"]["balance"], 0)
            self.assertEqual(by_id["node-a"]["todaysEarnings"], 0)
            await a.close()
        self.run_async(scenario())

    def test_auth_check_passes_for_a_registered_node(self):
        async def scenario():
            ws, _ = await register(self.port, "auth-node")
            doc = await asyncio.to_thread(self.json_call, "GET", "/api/node/auth/check", None,
                                          as_principal("auth-node"))
            self.assertEqual(doc, {"success": True, "message": "Authentication successful",
                                   "data": {"status": "RequestAuth OK"}})
            await ws.close()
        self.run_async(scenario())

    def test_uptime_follows_the_live_session_then_the_store(self):
        async def scenario():
            ws, _ = await register(self.port, "uptime-node")
            await ws.send(json.dumps({"text": "INTERNET_SPEED_TEST", "user_principal_id": "uptime-node",
                                      "data": {"downloadSpeed": 60, "ping": 20}}))
            self.assertEqual((await next_frame(ws))["function"], "SpeedTestComplete")

            def online_a_second():
                d = self.json_call("GET", "/api/node/user/uptime", headers=as_principal("uptime-node"))["data"]
                return d if d["currentSessionDuration"] >= "00:00:01" else None
            live = await asyncio.to_thread(self.eventually, online_a_second, "a second of live session", 5.0)
            self.assertIs(live["isCurrentlyOnline"], True)
            self.assertGreaterEqual(live["totalUptime"], "00:00:01")
            self.assertGreater(float(live["activeSessionMinutes"]), 0)
            self.assertRegex(live["activeSessionMinutes"], r"^\d+\.\d\d$")
            self.assertGreater(float(live["activeSessionRewards"]), 0)
            detailed = await asyncio.to_thread(self.json_call, "GET", "/api/node/user/uptime/detailed", None,
                                               as_principal("uptime-node"))
            session = detailed["data"]["active_session"]
            self.assertEqual(session["user_principal_id"], "uptime-node")
            self.assertEqual(session["status"], "ACTIVE")
            self.assertEqual(session["avg_speed"], 60)
            await ws.close()

            # The end of an ended connection reaches the store with the next
            # checkpoint (docs/REST-NODE.md), so the total is polled for.
            def offline_and_stored():
                d = self.json_call("GET", "/api/node/user/uptime", headers=as_principal("uptime-node"))["data"]
                return d if not d["isCurrentlyOnline"] and d["totalUptime"] >= "00:00:01" else None
            after = await asyncio.to_thread(self.eventually, offline_and_stored, "node offline, a second stored")
            self.assertLessEqual(after["todayUptime"], after["totalUptime"])
            self.assertEqual(after["currentSessionDuration"], "00:00:00")
            self.assertEqual(after["activeSessionMinutes"], "0")

            def record_of_today():
                d = self.json_call("GET", "/api/node/user/uptime/detailed?days=0",
                                   headers=as_principal("uptime-node"))["data"]
                return d if d["daily_records"] and d["daily_records"][-1]["total_minutes"] >= 1 / 60 else None
            detailed = await asyncio.to_thread(self.eventually, record_of_today, "today's record in the store")
            record = detailed["daily_records"][-1]
            self.assertEqual(record["user_principal_id"], "uptime-node")
            self.assertEqual(record["session_count"], 1)
            self.assertEqual((record["avg_speed"], record["avg_ping"], record["tier_level"]), (60, 20, 1))
            self.assertIsNone(detailed["active_session"])
        self.run_async(scenario())

    def test_broadcast_reaches_every_live_node(self):
        async def scenario():
            a, _ = await register(self.port, "bc-a")
            b, _ = await register(self.port, "bc-b")
            unregistered = await ws_connect(f"ws://127.0.0.1:{self.port}/")
            doc = await asyncio.to_thread(self.json_call, "POST", "/api/node/broadcast",
                                          {"text": "MAINTENANCE", "user_principal_id": "ops",
                                           "data": {"at": "22:00"}}, ADMIN)
            self.assertEqual(doc, {"success": True, "message": "Broadcast completed",
                                   "data": {"message": "Message broadcasted successfully", "clientsReached": 2}})
            expected = {"function": "Notification", "message": "MAINTENANCE", "data": {"at": "22:00"},
                        "status": "OK"}
            self.assertEqual(await next_frame(a), expected)
            self.assertEqual(await next_frame(b), expected)
            await no_frame(self, unregistered)
            missing = await asyncio.to_thread(self.json_call, "POST", "/api/node/broadcast", {"text": "x"}, ADMIN,
                                              None, 400)
            self.envelope_error(missing, "Missing required fields: text, user_principal_id")
            for ws in (a, b, unregistered):
                await ws.close()
        self.run_async(scenario())

    def test_client_message_reaches_only_its_node(self):
        async def scenario():
            a, a_client_id = await register(self.port, "msg-a")
            b, _ = await register(self.port, "msg-b")
            doc = await asyncio.to_thread(self.json_call, "POST", f"/api/node/client/{a_client_id}/message",
                                          {"userPrincipalId": "msg-b", "text": "HELLO"}, ADMIN)
            self.assertEqual(doc["message"], "Message sent successfully")
            self.assertEqual(doc["data"]["user_principal_id"], "msg-a")
            self.assertEqual(json.loads(doc["data"]["message"])["function"], "JobSent")
            self.assertEqual(await next_frame(a), {"function": "Notification", "message": "HELLO",
                                                   "data": "Admin message", "status": "OK"})
            await no_frame(self, b)
            # An unknown clientId falls back to the principal, never to another node.
            await asyncio.to_thread(self.json_call, "POST", "/api/node/client/0/message",
                                    {"userPrincipalId": "msg-b"}, ADMIN)
            self.assertEqual((await next_frame(b))["message"], "NOTIFICATION")
            gone = await asyncio.to_thread(self.json_call, "POST", "/api/node/client/0/message",
                                           {"userPrincipalId": "nobody"}, ADMIN, None, 404)
            self.envelope_error(gone, "Failed to send message: Node is not connected")
            await no_frame(self, a)
            await no_frame(self, b)
            missing = await asyncio.to_thread(self.json_call, "POST", "/api/node/client/1/message", {}, ADMIN,
                                              None, 400)
            self.envelope_error(missing, "Missing clientId or userPrincipalId")
            await a.close()
            await b.close()
        self.run_async(scenario())

    def test_capacity_updates_the_record_and_survives_reconnects(self):
        async def scenario():
            ws, _ = await register(self.port, "cap-node")
            doc = await asyncio.to_thread(self.json_call, "PUT", "/api/node/cap-node/capacity",
                                          {"maxConcurrentJobs": 3}, ADMIN)
            self.assertEqual(doc["data"], {"user_principal_id": "cap-node", "oldCapacity": 10, "newCapacity": 3,
                                           "isOnline": True})
            await ws.close()
            ws, _ = await register(self.port, "cap-node")
            nodes = await asyncio.to_thread(self.json_call, "GET", "/api/node/nodes/running", None, ADMIN)
            self.assertEqual([n["maxConcurrentJobs"] for n in nodes["data"]], [3])
            for body in ({}, {"maxConcurrentJobs": "3"}, {"maxConcurrentJobs": 0}, {"maxConcurrentJobs": 1000}):
                await asyncio.to_thread(self.json_call, "PUT", "/api/node/cap-node/capacity", body, ADMIN, None, 400)
            unknown = await asyncio.to_thread(self.json_call, "PUT", "/api/node/nobody/capacity",
                                              {"maxConcurrentJobs": 3}, ADMIN, None, 404)
            self.envelope_error(unknown, "Client not found")
            await ws.close()
        self.run_async(scenario())
