"""Protocol v2's handshake against a real server (docs/protocol-v2.md): a
good signature gets `welcome`; each way of getting it wrong gets its
documented error code and close code, is counted in
sela_security_refusals_total, and writes nothing to the store."""

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from secbase import SecurityCase
from v2client import Identity, Refused, V2Node, auth_message, b64url, b64url_decode, expect_refusal, open_v2, recv_json


class Handshake(SecurityCase):

    def test_ed25519_and_secp256k1_nodes_get_welcome(self):
        self.serve()

        async def go():
            for kind in ("ed25519", "secp256k1"):
                ident = Identity.fresh(kind, "welcome")
                node = await V2Node.connect(self.port, ident)
                w = node.welcome
                self.assertEqual(w["principal"], ident.principal)
                self.assertEqual((w["resumed"], w["last_seq"], w["resume_window_ms"]), (False, 0, 120000))
                self.assertTrue(w["client_id"].isdigit())
                self.assertTrue(w["token"].startswith("sn1."))
                pong = await node.request({"type": "ping"})
                self.assertEqual(pong["type"], "pong")
                self.assertIn("time_ms", pong)
                # A principal that signed in is marked so in the store.
                rows = self.db_rows(f"SELECT signed, client_id FROM nodes WHERE principal = '{ident.principal}'")
                self.assertEqual(rows, [(1, w["client_id"])])
                await node.close()
        self.run_async(go())
        self.assertEqual(self.metrics().value("sela_node_v2_registrations_total"), 2)

    async def refused(self, make_frame, code, close_code, reason, **connect):
        """Opens a v2 connection, sends make_frame(nonce), expects the refusal."""
        before = self.snapshot()
        counted = self.refusals(reason)
        ws = await open_v2(self.port, **connect)
        challenge = await recv_json(ws)
        frame = make_frame(b64url_decode(challenge["nonce"]))
        await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
        r = await expect_refusal(ws)
        self.assertEqual((r.error["type"], r.error["code"]), ("error", code), r.error)
        self.assertTrue(r.error["message"])
        self.assertEqual(r.close_code, close_code, r)
        self.wait_refusals(reason, counted + 1)
        self.assert_unchanged(before, code)
        return r

    def test_wrong_key_is_refused(self):
        self.serve()
        victim, attacker = Identity.fresh(label="victim"), Identity.fresh(label="attacker")

        def frame(nonce):
            # The victim's principal, the attacker's key and signature.
            f = attacker.auth_frame(nonce)
            f["principal"] = victim.principal
            return f
        self.run_async(self.refused(frame, "key_mismatch", 4401, "v2_key_mismatch"))

    def test_bad_signature_is_refused(self):
        self.serve()
        ident = Identity.fresh(label="bad-sig")

        def frame(nonce):
            f = ident.auth_frame(nonce)
            sig = bytearray(b64url_decode(f["signature"]))
            sig[5] ^= 1
            f["signature"] = b64url(bytes(sig))
            return f
        self.run_async(self.refused(frame, "bad_signature", 4401, "v2_bad_signature"))
        # A secp256k1 signature in its high-S form verifies as ECDSA but is refused.
        k = Identity.fresh("secp256k1", "high-s")
        n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

        def high_s(nonce):
            f = k.auth_frame(nonce)
            sig = b64url_decode(f["signature"])
            s = n - int.from_bytes(sig[32:], "big")
            f["signature"] = b64url(sig[:32] + s.to_bytes(32, "big"))
            return f
        self.run_async(self.refused(high_s, "bad_signature", 4401, "v2_bad_signature"))

    def test_a_replayed_challenge_is_refused(self):
        self.serve()
        ident = Identity.fresh(label="replay")

        async def go():
            # An auth captured from one connection (signed over its nonce)...
            first = await open_v2(self.port)
            first_nonce = b64url_decode((await recv_json(first))["nonce"])
            captured = ident.auth_frame(first_nonce)
            await first.close()
            # ...is worth nothing on another, whose nonce is different,
            await self.refused(lambda nonce: captured, "bad_signature", 4401, "v2_bad_signature")
            # and naming the old nonce is caught as such.
            await self.refused(lambda nonce: dict(captured, nonce=b64url(first_nonce)),
                               "challenge_mismatch", 4401, "v2_challenge_mismatch")
            # A nonce is good once: a second auth on a welcomed connection is refused.
            node = await V2Node.connect(self.port, ident)
            counted = self.refusals("v2_already_authenticated")
            again = await node.request(ident.auth_frame(b"\x00" * 32))
            self.assertEqual((again["type"], again["code"]), ("error", "already_authenticated"))
            self.wait_refusals("v2_already_authenticated", counted + 1)
            self.assertEqual((await node.request({"type": "ping"}))["type"], "pong")
            await node.close()
        self.run_async(go())

    def test_an_expired_nonce_is_refused(self):
        self.serve(V2_CHALLENGE_TTL_MS=600)
        ident = Identity.fresh(label="late")

        async def go():
            before = self.snapshot()
            counted = self.refusals("v2_challenge_expired")
            ws = await open_v2(self.port)
            nonce = b64url_decode((await recv_json(ws))["nonce"])
            # No auth within the challenge's lifetime: the server gives up.
            r = await expect_refusal(ws, timeout=5)
            self.assertEqual((r.error["code"], r.close_code), ("challenge_expired", 4408))
            self.wait_refusals("v2_challenge_expired", counted + 1)
            self.assert_unchanged(before, "challenge_expired")
            # The node's signature over that nonce is of no use any more.
            with self.assertRaises(Exception):
                await ws.send(json.dumps(ident.auth_frame(nonce)))
        self.run_async(go())

    def test_a_key_that_is_not_ed25519_or_secp256k1_is_refused(self):
        self.serve()
        p256 = ec.generate_private_key(ec.SECP256R1())
        der = p256.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        ident = Identity.fresh(label="p256")

        def frame(nonce):
            f = ident.auth_frame(nonce)
            f["public_key"] = b64url(der)
            return f
        self.run_async(self.refused(frame, "unsupported_key", 4401, "v2_unsupported_key"))

    def test_anything_but_an_auth_frame_first_is_refused(self):
        self.serve()
        self.run_async(self.refused(lambda nonce: {"type": "ping"}, "auth_malformed", 4400, "v2_auth_malformed"))
        self.run_async(self.refused(lambda nonce: "not json", "auth_malformed", 4400, "v2_auth_malformed"))

    def test_resume_with_another_key_is_refused(self):
        self.serve()
        owner, thief = Identity.fresh(label="owner"), Identity.fresh(label="thief")

        async def go():
            node = await V2Node.connect(self.port, owner)
            before = self.snapshot()
            counted = self.refusals("v2_resume_denied")
            with self.assertRaises(Refused) as caught:
                await V2Node.connect(self.port, thief, resume={"session_id": node.session_id, "last_seq": 0})
            r = caught.exception
            self.assertEqual((r.error["code"], r.close_code), ("resume_denied", 4403))
            self.wait_refusals("v2_resume_denied", counted + 1)
            self.assert_unchanged(before, "resume_denied")
            # The owner's session is untouched.
            self.assertEqual((await node.request({"type": "ping"}))["type"], "pong")
            await node.close()
        self.run_async(go())
