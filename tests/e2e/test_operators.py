"""What operators get (docs/OPERATIONS.md) from the real server: the API
description (/openapi.json, /swagger.yaml) matches what the server answers,
Swagger UI and the dashboard are served from the binary, the dashboard feed
authenticates and streams samples whose numbers follow real nodes, and
sela-monitor prints them.
"""

import asyncio
import json
import os
import subprocess

import yaml

import proc
from e2ebase import E2ETestCase, ws_connect

TOKEN = "e2e-operators-token-of-32-characters-or-more"
GENERIC_404 = "Endpoint not found"


def body_json(r):
    return json.loads(r.body.decode("utf-8"))


class ApiDescription(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.p = self.start_server({"ADMIN_TOKEN": TOKEN})
        self.port = self.p.port

    def test_every_documented_route_is_served_and_pending_ones_are_not(self):
        doc = body_json(self.get("/openapi.json"))
        self.assertEqual(doc["openapi"], "3.1.0")
        self.assertEqual(yaml.safe_load(self.get("/swagger.yaml").body.decode("utf-8")), doc)
        served = pending = 0
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if op.get("x-sela-websocket"):
                    continue
                concrete = path.replace("{", "x").replace("}", "")
                # No auth and no body: whatever the route says (401, 400, 403,
                # 200), it is not the router's generic 404 unless pending.
                r = self.get(concrete, method=method.upper())
                generic = r.status == 404 and GENERIC_404 in r.body.decode("utf-8", "replace")
                if "x-sela-pending" in op:
                    pending += 1
                    self.assertTrue(generic, f"{method} {path} is pending but answered {r.status}")
                elif concrete.startswith("/api/docs/") or concrete.startswith("/admin/"):
                    served += 1  # A file route: an unknown file is its own 404.
                    self.assertNotIn(GENERIC_404, r.body.decode("utf-8", "replace"), f"{method} {path}")
                else:
                    served += 1
                    self.assertFalse(generic, f"{method} {path} is documented but not routed")
        self.assertGreater(served, 35)
        self.assertGreater(pending, 5)

    def test_websocket_endpoints_are_described(self):
        doc = body_json(self.get("/openapi.json"))
        for path in ("/", "/admin/feed"):
            op = doc["paths"][path]["get"]
            self.assertTrue(op["x-sela-websocket"])
            self.assertIn("101", op["responses"])

    def test_swagger_ui_and_dashboard_files_come_from_the_binary(self):
        page = self.get("/api/docs")
        self.assertEqual(page.status, 200)
        self.assertIn("text/html", page.header("Content-Type"))
        html = page.body.decode()
        self.assertIn("/api/docs/swagger-ui-bundle.js", html)
        self.assertNotRegex(html, r"https?://", "the page names no other server")
        bundle = self.get("/api/docs/swagger-ui-bundle.js")
        self.assertEqual(bundle.status, 200)
        self.assertGreater(len(bundle.body), 500_000)
        etag = bundle.header("ETag")
        again = self.get("/api/docs/swagger-ui-bundle.js", headers=[("If-None-Match", etag)])
        self.assertEqual(again.status, 304)
        init = self.get("/api/docs/swagger-initializer.js").body.decode()
        self.assertIn('url: "/openapi.json"', init)
        self.assertIn("validatorUrl: null", init)
        self.assertEqual(self.get("/admin").status, 200)
        self.assertEqual(self.get("/admin/dashboard.js").status, 200)
        self.assertEqual(self.get("/admin/nope.js").status, 404)


class Feed(E2ETestCase):
    def test_without_admin_token_the_page_is_403_and_the_feed_4403(self):
        p = self.start_server()
        self.assertEqual(self.get("/admin", port=p.port).status, 403)

        async def go():
            async with ws_connect(f"ws://127.0.0.1:{p.port}/admin/feed",
                                  extra_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
                await ws.wait_closed()
                return ws.close_code
        self.assertEqual(self.run_async(go()), 4403)

    def test_tokens_refused_with_4401_and_samples_follow_the_nodes(self):
        p = self.start_server({"ADMIN_TOKEN": TOKEN})

        async def refused(first_message, headers=()):
            async with ws_connect(f"ws://127.0.0.1:{p.port}/admin/feed", extra_headers=list(headers)) as ws:
                if first_message is not None:
                    await ws.send(first_message)
                await ws.wait_closed()
                return ws.close_code

        async def go():
            codes = [await refused(json.dumps({"type": "auth", "token": TOKEN + "x"})),
                     await refused("hello"),
                     await refused(None, [("Authorization", "Bearer wrong")])]
            nodes = []
            for i in range(3):
                n = await ws_connect(f"ws://127.0.0.1:{p.port}/")
                await n.send(json.dumps({"principal_id": f"feed-node-{i}"}))
                await n.recv()
                nodes.append(n)
            async with ws_connect(f"ws://127.0.0.1:{p.port}/ADMIN/FEED") as ws:
                await ws.send(json.dumps({"type": "auth", "token": TOKEN}))
                hello = json.loads(await ws.recv())
                samples = [json.loads(await ws.recv()) for _ in range(2)]
            for n in nodes:
                await n.close()
            return codes, hello, samples

        codes, hello, samples = self.run_async(go())
        self.assertEqual(codes, [4401, 4401, 4401])
        self.assertEqual(hello["type"], "hello")
        self.assertEqual(hello["interval_ms"], 1000)
        self.assertEqual([s["type"] for s in samples], ["sample", "sample"])
        last = samples[-1]["sample"]
        self.assertEqual(last["nodes"]["online"], 3)
        self.assertEqual(last["nodes"]["registrations_total"], 3)
        self.assertIsNone(last["ledger"])
        self.assertGreater(samples[1]["sample"]["ts"], samples[0]["sample"]["ts"])
        refused = [e for e in last["errors"] if e["name"] == "dashboard viewer refused"]
        self.assertEqual(refused[0]["total"], 3)

    def test_monitor_prints_a_sample_and_says_why_it_is_refused(self):
        p = self.start_server({"ADMIN_TOKEN": TOKEN})
        monitor = proc.tool_path("sela-monitor")
        env = {"PATH": os.environ.get("PATH", ""), "ADMIN_TOKEN": TOKEN}
        r = subprocess.run([monitor, "--port", str(p.port), "--once", "--json"], env=env,
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        sample = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertIn("jobs", sample)
        self.assertEqual(sample["nodes"]["online"], 0)
        r = subprocess.run([monitor, "--port", str(p.port), "--once", "--no-color"], env=env,
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("nodes online", r.stdout)
        env["ADMIN_TOKEN"] = "wrong"
        r = subprocess.run([monitor, "--port", str(p.port), "--once"], env=env,
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("4401", r.stderr)
        del env["ADMIN_TOKEN"]
        r = subprocess.run([monitor, "--port", str(p.port), "--once"], env=env,
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("ADMIN_TOKEN", r.stderr)
