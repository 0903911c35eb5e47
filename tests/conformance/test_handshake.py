"""Opening handshake: success cases (Accept computed here) and failures."""

import base64
import time

import websockets

from base import ServerTestCase, assert_echo, connect
from httpclient import HttpConn
from wsclient import OP_TEXT, accept_for

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3 example
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def upgrade_request(method="GET", path="/", key=RFC_KEY, version="13", upgrade="websocket",
                    connection="Upgrade", extra=()):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if upgrade is not None:
        lines.append(f"Upgrade: {upgrade}")
    if connection is not None:
        lines.append(f"Connection: {connection}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class HandshakeSuccess(ServerTestCase):

    def test_accept_matches_rfc_example(self):
        self.assertEqual(accept_for(RFC_KEY), RFC_ACCEPT)  # self-check of the helper
        ws = self.ws(key=RFC_KEY)
        self.assertEqual(ws.response_headers["sec-websocket-accept"], [RFC_ACCEPT])
        ws.send_text("after rfc handshake")
        ws.expect_echo(OP_TEXT, "after rfc handshake")

    def test_any_path_is_accepted(self):
        for path in ("/", "/ws", "/a/b/c", "/x?token=abc&y=2", "/%E2%82%AC"):
            ws = self.ws(path)
            ws.send_text(path)
            ws.expect_echo(OP_TEXT, path)

    def test_connection_header_token_list(self):
        # "Connection: keep-alive, Upgrade" (Firefox sends this) must be accepted.
        ws = self.ws(connection="keep-alive, Upgrade")
        ws.send_text("token list")
        ws.expect_echo(OP_TEXT, "token list")

    def test_header_names_and_values_case_insensitive(self):
        c = self.tcp()
        req = (f"GET /case HTTP/1.1\r\nhost: 127.0.0.1\r\nUPGRADE: WebSocket\r\n"
               f"connection: upgrade\r\nsec-websocket-key: {RFC_KEY}\r\n"
               f"SEC-WEBSOCKET-VERSION: 13\r\n\r\n").encode()
        c.send(req)
        head = c.read_until(b"\r\n\r\n", time.monotonic() + 5, what="handshake response")
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        self.assertIn(RFC_ACCEPT.encode(), head)

    def test_extension_offer_is_declined(self):
        # The server supports no extensions: an offered permessage-deflate must
        # not be accepted (RawWebSocket.handshake fails on Sec-WebSocket-Extensions).
        ws = self.ws(extra_headers=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
        ws.send_text("no compression")
        ws.expect_echo(OP_TEXT, "no compression")

    def test_library_client_with_default_compression_offer(self):
        async def go():
            async with websockets.connect(self.uri("/lib"), ping_interval=None, open_timeout=5,
                                          close_timeout=5) as ws:
                self.assertIsNone(ws.response_headers.get("Sec-WebSocket-Extensions"))
                await assert_echo(self, ws, "compressed? no")
        self.run_async(go())

    def test_no_subprotocol_unless_offered(self):
        ws = self.ws()
        self.assertNotIn("sec-websocket-protocol", ws.response_headers)

    def test_library_client_close_code(self):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, "x")
                t0 = time.monotonic()
                await ws.close(code=1000, reason="done")
                self.assertLess(time.monotonic() - t0, 2.0, "server did not close TCP promptly")
                self.assertEqual(ws.close_code, 1000)
        self.run_async(go())


class HandshakeFailure(ServerTestCase):
    """Bad upgrade requests get an HTTP error and no 101."""

    def _status(self, request):
        c = HttpConn(self.port)
        self._conns.append(c)
        c.send(request)
        r = c.read_response()
        self.assertNotEqual(r.status, 101, "server upgraded a bad handshake")
        return r

    def test_missing_key_is_400(self):
        self.assertEqual(self._status(upgrade_request(key=None)).status, 400)

    def test_key_not_base64_is_400(self):
        self.assertEqual(self._status(upgrade_request(key="not base64 at all!!")).status, 400)

    def test_key_of_15_bytes_is_400(self):
        key = base64.b64encode(b"x" * 15).decode()
        self.assertEqual(self._status(upgrade_request(key=key)).status, 400)

    def test_key_of_17_bytes_is_400(self):
        key = base64.b64encode(b"x" * 17).decode()
        self.assertEqual(self._status(upgrade_request(key=key)).status, 400)

    def test_empty_key_is_400(self):
        self.assertEqual(self._status(upgrade_request(key="")).status, 400)

    def test_missing_connection_upgrade_is_400(self):
        self.assertEqual(self._status(upgrade_request(connection=None)).status, 400)

    def test_connection_keep_alive_only_is_400(self):
        self.assertEqual(self._status(upgrade_request(connection="keep-alive")).status, 400)

    def test_version_7_is_426(self):
        r = self._status(upgrade_request(version="7"))
        self.assertEqual(r.status, 426)
        self.assertEqual(r.header("Sec-WebSocket-Version"), "13")

    def test_version_8_is_accepted_like_the_original(self):
        # The original server's `ws` library accepted hybi-10 (version 8),
        # whose framing is the same; existing apps must keep working.
        c = HttpConn(self.port)
        self._conns.append(c)
        c.send(upgrade_request(version="8"))
        self.assertEqual(c.read_response().status, 101)

    def test_version_14_is_426(self):
        r = self._status(upgrade_request(version="14"))
        self.assertEqual(r.status, 426)
        self.assertEqual(r.header("Sec-WebSocket-Version"), "13")

    def test_missing_version_is_rejected(self):
        r = self._status(upgrade_request(version=None))
        self.assertIn(r.status, (400, 426))

    def test_post_upgrade_is_rejected(self):
        r = self._status(upgrade_request(method="POST"))
        self.assertIn(r.status, (400, 405))

    def test_server_still_upgrades_after_failures(self):
        self._status(upgrade_request(key=None))
        ws = self.ws()
        ws.send_text("still fine")
        ws.expect_echo(OP_TEXT, "still fine")
