"""WebSocket upgrade on the real server (the node protocol is not served yet,
so no test looks at replies to messages)."""

import asyncio
import socket
import time

import wsclient
from e2ebase import E2ETestCase, ws_connect

PATHS = ("/", "/ws?principal_id=abc", "/ws", "/health", "/some/deep/path?x=1&y=2")


class Upgrade(E2ETestCase):
    SHARED = "default"

    def test_raw_upgrade_works_on_any_path(self):
        for path in PATHS:
            w = self.ws(path=path)  # checks the 101 and Sec-WebSocket-Accept
            w.send_frame(wsclient.OP_PING, path)
            w.expect_pong(path.encode())
            w.send_close(1000)
            w.expect_close(1000)

    def test_websockets_library_connects_pings_and_closes_cleanly(self):
        async def scenario():
            for path in ("/", "/ws?principal_id=abc"):
                async with ws_connect(f"ws://127.0.0.1:{self.port}{path}") as ws:
                    pong = await ws.ping(b"hi")
                    await asyncio.wait_for(pong, 5)
                    await ws.close(1000, "bye")
                self.assertEqual(ws.close_code, 1000, f"{path}: close code")
        self.run_async(scenario())

    def test_connection_stays_usable_after_a_message(self):
        w = self.ws(path="/ws?principal_id=abc")
        w.send_text('{"type":"hello"}')
        w.send_frame(wsclient.OP_PING, b"after")
        deadline = time.monotonic() + 5
        while True:
            f = w.recv_frame(max(0.1, deadline - time.monotonic()))
            if f.opcode == wsclient.OP_PONG:
                self.assertEqual(f.payload, b"after")
                break
            # Once registered, the server pings: for uptime (docs/REWARDS.md
            # "Uptime") and the round trip (docs/PROTOCOL-V1.md §8); RFC 6455
            # clients answer pings.
            self.assertIn(f.opcode, (wsclient.OP_TEXT, wsclient.OP_BINARY, wsclient.OP_PING),
                          f"unexpected frame before the pong: {f!r}")
        w.send_close(1000)
        # The replies to the text message (registration, then the error for an
        # unknown type) wait on the store, so they may follow the pong.
        w.expect_close(1000, skip_data=True, skip_pings=True)

    def test_a_frame_and_the_fin_in_one_segment_are_both_seen(self):
        # The server skips the recv that would only say EAGAIN after a short
        # read; a FIN that came with the data must still be noticed (epoll
        # reports it when the read is re-armed), and the data handled first.
        w = self.ws(path="/")
        w.sock.sendall(wsclient.build_frame(wsclient.OP_PING, b"last words"))
        w.sock.shutdown(socket.SHUT_WR)
        w.expect_pong(b"last words")
        w.sock.settimeout(3)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            data = w.sock.recv(4096)
            if not data:
                break  # The server closed its side too.
        else:
            self.fail("the server did not close after the peer's FIN")

    def test_a_request_and_the_fin_in_one_segment_are_answered(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=3)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            received += chunk
        s.close()
        self.assertTrue(received.startswith(b"HTTP/1.1 200 OK\r\n"), received[:80])

    def test_websocket_and_http_are_served_side_by_side(self):
        w = self.ws(path="/ws")
        self.assertEqual(self.get("/health").status, 200)
        w.send_frame(wsclient.OP_PING, b"x")
        w.expect_pong(b"x")

    def test_upgrade_without_a_key_is_refused_with_400_and_serving_continues(self):
        c = self.http()
        r = c.request("GET", "/ws", headers=[("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                             ("Sec-WebSocket-Version", "13")])
        self.assertEqual(r.status, 400, f"{r!r}")
        self.assertEqual(self.get("/health").status, 200)
        w = self.ws(path="/ws")
        w.send_close(1000)
        w.expect_close(1000)
