"""The REST side of issue 11 (docs/FAIR-USE.md, docs/REST-NODE.md
"Authentication"): node routes take the v2 node token and refuse a bare
principal that signed in (and every bare principal under NODE_AUTH=signed);
REST floods per source and per API key, and registerClient floods, get 429
with Retry-After, counted; REGISTER_CLIENT=admin; referral registration
floods (RATE_REGISTER_REFERRAL_PER_SOURCE) get 429 while another source
still registers."""

import asyncio
import http.client
import json

from jobclient import HTTP_TIMEOUT_S, Node, Reply, http_call
from secbase import SecurityCase, register_customer, rpc
from v2client import Identity, V2Node

ADMIN = "a" * 40
UPTIME = "/api/node/user/uptime"


def node_call(port, path, principal=None, token=None):
    headers = [("x-user-principal-id", principal)] if principal else []
    return http_call(port, "GET", path, headers=headers,
                     auth_header=f"Bearer {token}" if token else None)


def referral_register(port, principal, code, source="127.0.0.1"):
    """POST /api/referral/register from the given loopback source address."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S, source_address=(source, 0))
    try:
        c.request("POST", "/api/referral/register", body=json.dumps({"referral_code": code}),
                  headers={"Content-Type": "application/json", "x-user-principal-id": principal})
        r = c.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


class NodeTokens(SecurityCase):

    def signed_node(self):
        async def go():
            node = await V2Node.connect(self.port, Identity.fresh(label="rest"))
            return node
        return self.run_async(go())

    def test_a_signed_principal_cannot_be_named_by_header(self):
        self.serve()
        identity = Identity.fresh(label="victim")

        async def go():
            node = await V2Node.connect(self.port, identity)
            before = self.refusals("legacy_principal_refused")
            for path in (UPTIME, "/api/node/auth/check"):
                spoofed = await asyncio.to_thread(node_call, self.port, path, identity.principal)
                self.assertEqual(spoofed.status, 401, spoofed)
                self.assertIn("Bearer <node token>", spoofed.doc["message"])
                own = await asyncio.to_thread(node_call, self.port, path, None, node.token)
                self.assertEqual(own.status, 200, own)
            self.wait_refusals("legacy_principal_refused", before + 2)
            # An unsigned (v1-era) principal still works by header in compat mode.
            legacy = await asyncio.to_thread(node_call, self.port, UPTIME, "legacy-app-node")
            self.assertEqual(legacy.status, 200, legacy)
            await node.close()
        self.run_async(go())

    def test_signed_mode_takes_only_tokens(self):
        self.serve(NODE_AUTH="signed")
        identity = Identity.fresh(label="signed")

        async def go():
            node = await V2Node.connect(self.port, identity)
            before = self.refusals("legacy_principal_refused")
            for principal in ("legacy-app-node", identity.principal):
                bare = await asyncio.to_thread(node_call, self.port, UPTIME, principal)
                self.assertEqual(bare.status, 401, bare)
                self.assertIn("NODE_AUTH=signed", bare.doc["message"])
            query = await asyncio.to_thread(http_call, self.port, "GET", UPTIME + "?user_principal_id=x")
            self.assertEqual(query.status, 401)
            self.wait_refusals("legacy_principal_refused", before + 3)
            tampered = node.token[:-2] + ("AA" if not node.token.endswith("AA") else "BB")
            before = self.refusals("node_token_refused")
            bad = await asyncio.to_thread(node_call, self.port, UPTIME, identity.principal, tampered)
            self.assertEqual(bad.status, 401, bad)
            self.assertIn("node token", bad.doc["message"])
            self.wait_refusals("node_token_refused", before + 1)
            ok = await asyncio.to_thread(node_call, self.port, UPTIME, None, node.token)
            self.assertEqual(ok.status, 200, ok)
            await node.close()
        self.run_async(go())


class RestFloods(SecurityCase):

    def assert_limited(self, reply, what):
        self.assertEqual(reply.status, 429, f"{what}: {reply!r}")
        self.assertGreaterEqual(int(reply.header("Retry-After")), 1, what)
        self.assertIn("Too many requests", reply.doc["message"])

    def test_a_flood_from_one_source_gets_429(self):
        self.serve(RATE_REST_PER_SOURCE="5:1", RATE_REST_PER_KEY="off")
        before = self.refusals("rest_rate_limited")
        replies = [rpc(self.port, "GET", "ping") for _ in range(8)]
        self.assertEqual([r.status for r in replies[:5]], [200] * 5)
        for r in replies[5:]:
            self.assert_limited(r, "per source")
        self.wait_refusals("rest_rate_limited", before + 3)
        # Node routes share the bucket of the source.
        self.assert_limited(node_call(self.port, UPTIME, "node-a"), "node route")

    def test_a_flood_with_one_key_gets_429_and_another_key_does_not(self):
        self.serve(RATE_REST_PER_SOURCE="off", RATE_REST_PER_KEY="4:1")
        greedy = register_customer(self.port, "greedy")
        modest = register_customer(self.port, "modest")
        before = self.refusals("rest_rate_limited")
        replies = [rpc(self.port, "GET", "getTotalUsage", key=greedy) for _ in range(6)]
        self.assertEqual([r.status for r in replies[:4]], [200] * 4)
        for r in replies[4:]:
            self.assert_limited(r, "per key")
        self.assertEqual(rpc(self.port, "GET", "getTotalUsage", key=modest).status, 200)
        self.wait_refusals("rest_rate_limited", before + 2)

    def test_a_register_client_flood_gets_429_and_creates_nothing(self):
        self.serve()  # The default: 5 at once, then 5 a minute.
        for i in range(5):
            register_customer(self.port, f"flood-{i}")
        before = self.snapshot()
        counted = self.refusals("register_client_limited")
        for i in range(5, 8):
            self.assert_limited(rpc(self.port, "POST", "registerClient", {"uuid": f"flood-{i}"}), "registerClient")
        self.wait_refusals("register_client_limited", counted + 3)
        self.assert_unchanged(before, "registerClient flood")

    def test_register_client_admin_needs_the_admin_token(self):
        self.serve(REGISTER_CLIENT="admin", ADMIN_TOKEN=ADMIN)
        before = self.snapshot()
        counted = self.refusals("register_client_closed")
        anon = rpc(self.port, "POST", "registerClient", {"uuid": "walk-in"})
        self.assertEqual(anon.status, 401, anon)
        self.assertIn("REGISTER_CLIENT=admin", anon.doc["message"])
        self.wait_refusals("register_client_closed", counted + 1)
        self.assert_unchanged(before, "registerClient without the admin token")
        ok = rpc(self.port, "POST", "registerClient", {"uuid": "handed-out"}, key=ADMIN)
        self.assertEqual(ok.status, 200, ok)
        self.assertTrue(ok.doc["data"]["apiKey"])

    def test_a_referral_registration_flood_gets_429_and_another_source_still_registers(self):
        self.serve()  # The default: 20 at once, then 10 a minute, per source.

        async def nodes():
            for principal in ("referrer-node", "referee-node"):
                await (await Node.connect(self.port, principal)).close()
        self.run_async(nodes())
        code = node_call(self.port, "/api/node/user/data", "referrer-node").doc["data"]["referralCode"]
        # Twenty registrations of made-up principals (404: not a node) use the burst up.
        for i in range(20):
            r = referral_register(self.port, f"made-up-{i}", code)
            self.assertEqual(r.status, 404, r)
        before = self.snapshot()
        counted = self.refusals("referral_register_limited")
        refused = referral_register(self.port, "referee-node", code)
        self.assert_limited(refused, "referral registration")
        self.assertIn("referral registrations per source", refused.doc["message"])
        self.wait_refusals("referral_register_limited", counted + 1)
        self.assert_unchanged(before, "referral registration flood")
        # Another source address still registers.
        ok = referral_register(self.port, "referee-node", code, source="127.0.0.2")
        self.assertEqual(ok.status, 201, ok)
        self.assertEqual(ok.doc["data"]["relationship"]["referrer_l1"], "referrer-node")
        self.assertEqual(len(self.db_rows("SELECT * FROM referrals")), 1)
