"""The suite's own v2 client derives keys, principals and signatures the way
the Internet Computer's libraries do (the committed vectors were written by
@dfinity/principal and @dfinity/identity), so that what the attacks below
prove is about the protocol, not about a client that disagrees with it."""

import json
import os
import unittest

from v2client import Identity, auth_message, b64url, b64url_decode, principal_text

VECTORS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "data", "identity", "v2_vectors.json")


class IdentityVectors(unittest.TestCase):

    def setUp(self):
        with open(VECTORS) as f:
            self.doc = json.load(f)

    def test_keys_and_principals_match_the_ic_libraries(self):
        for v in self.doc["identities"]:
            ident = Identity.from_seed(v["kind"], bytes.fromhex(v["seed_hex"]))
            self.assertEqual(ident.der.hex(), v["public_key_der_hex"], v["kind"])
            self.assertEqual(b64url(ident.der), v["public_key"])
            self.assertEqual(ident.principal, v["principal"])
            self.assertEqual(ident.principal_bytes.hex(), v["principal_hex"])

    def test_messages_and_ed25519_signatures_match(self):
        by_principal = {v["principal"]: v for v in self.doc["identities"]}
        for h in self.doc["handshakes"]:
            v = by_principal[h["identity"]]
            ident = Identity.from_seed(v["kind"], bytes.fromhex(v["seed_hex"]))
            m = auth_message(b64url_decode(h["nonce"]), ident.principal_bytes)
            self.assertEqual(m.hex(), h["message_hex"])
            if v["kind"] == "ed25519":
                self.assertEqual(b64url(ident.sign(m)), h["signature"])

    def test_text_forms(self):
        for t in self.doc["principal_texts"]:
            self.assertEqual(principal_text(bytes.fromhex(t["hex"])), t["text"])
