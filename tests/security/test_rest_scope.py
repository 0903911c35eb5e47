"""Issue 11 item 4: the bare principal (header x-user-principal-id, query or
body user_principal_id) names the caller only with NODE_AUTH=compat, and only
on the routes the API description marks with the `principal` scheme: the
original's PRINCIPAL routes that today's node app calls (docs/REST-NODE.md
"The bare principal"). Every other route acting for a node takes only the v2
node token (`nodeToken`) and answers a bare principal 401, counted as
legacy_principal_refused. Read from the server's own /openapi.json, so that a
route added later is checked without a change here."""

import asyncio
import re

from jobclient import http_call
from secbase import SecurityCase
from v2client import Identity, V2Node

# The original's PRINCIPAL routes that the app calls (rest-api.md §2.0, §3.1)
# and that are still the caller's own (N3 and N4 became admin lists).
COMPAT = {"N5", "N6", "N7", "N8", "N9", "N10", "F1", "F2", "F3", "F4", "F5", "F6", "F7",
          "Rf2", "Rf3", "Rf4", "Rf5", "Rf6", "Rf7", "Rf8"}
# What the server says when the caller is not let in as a principal.
AUTH_REFUSALS = ("node token", "User principal ID is required", "NODE_AUTH=signed", "not accepted here",
                 "signs in with protocol v2", "Invalid user principal ID format")
FAKE_FILE = "file_1_0123456789abcdef"


def node_operations(port):
    """(id, method, path, takes the bare principal) of every operation that
    acts for a node's principal."""
    r = http_call(port, "GET", "/openapi.json")
    if r.status != 200:
        raise AssertionError(f"/openapi.json: {r!r}")
    out = []
    for path, item in r.doc["paths"].items():
        for method, op in item.items():
            schemes = [name for alternative in op.get("security", []) for name in alternative]
            if "nodeToken" in schemes:
                concrete = re.sub(r"\{[^}]+\}", FAKE_FILE, path)
                out.append((op["operationId"], method.upper(), concrete, "principal" in schemes))
    return out


def call(port, method, path, principal=None, token=None):
    headers = [("x-user-principal-id", principal)] if principal else []
    body = {} if method in ("POST", "PUT") else None
    return http_call(port, method, path, body=body, headers=headers,
                     auth_header=f"Bearer {token}" if token else None)


def refused_as_principal(reply):
    if reply.status not in (400, 401):
        return False
    try:
        message = reply.doc.get("message", "")
    except ValueError:
        return False
    return any(m in message for m in AUTH_REFUSALS)


class BarePrincipalScope(SecurityCase):

    def test_compat_takes_the_bare_principal_exactly_where_the_description_says(self):
        self.serve()
        ops = node_operations(self.port)
        self.assertEqual({op_id for op_id, _, _, bare in ops if bare}, COMPAT)
        token_only = [op for op in ops if not op[3]]
        before = self.refusals("legacy_principal_refused")
        for op_id, method, path, bare in ops:
            r = call(self.port, method, path, "legacy-app-node")
            if bare:
                self.assertFalse(refused_as_principal(r), f"{op_id} {method} {path}: {r!r}")
            else:
                self.assertEqual(r.status, 401, f"{op_id}: {r!r}")
                self.assertIn("not accepted here", r.doc["message"], op_id)
                self.assertEqual(r.header("WWW-Authenticate"), "Bearer", op_id)
        self.wait_refusals("legacy_principal_refused", before + len(token_only))

    def test_signed_mode_refuses_the_bare_principal_on_every_route_and_takes_the_token(self):
        self.serve(NODE_AUTH="signed")
        ops = node_operations(self.port)
        self.assertEqual({op_id for op_id, _, _, bare in ops if bare}, COMPAT)

        async def go():
            node = await V2Node.connect(self.port, Identity.fresh(label="scope"))
            before = self.refusals("legacy_principal_refused")
            for op_id, method, path, _ in ops:
                bare = await asyncio.to_thread(call, self.port, method, path, "legacy-app-node")
                self.assertEqual(bare.status, 401, f"{op_id}: {bare!r}")
                self.assertTrue(refused_as_principal(bare), f"{op_id}: {bare!r}")
                own = await asyncio.to_thread(call, self.port, method, path, None, node.token)
                self.assertFalse(refused_as_principal(own), f"{op_id} with the token: {own!r}")
            self.wait_refusals("legacy_principal_refused", before + len(ops))
            await node.close()
        self.run_async(go())
