"""Isolation between clients, concurrency, and WebSocket timeouts."""

import asyncio
import socket
import struct
import time

import base
from base import ServerTestCase, assert_echo, connect, pattern
from httpclient import request
from wsclient import OP_BINARY, OP_TEXT, RSV1, build_frame


class Isolation(ServerTestCase):
    """A misbehaving connection must not disturb a good one."""

    def _check_good_while(self, misbehave, settle=0.1):
        good = self.ws()
        good.send_text("before")
        good.expect_echo(OP_TEXT, "before")
        misbehave()
        time.sleep(settle)
        t0 = time.monotonic()
        good.send_text("during")
        good.expect_echo(OP_TEXT, "during", timeout=1.0)
        self.assertLess(time.monotonic() - t0, 1.0)
        good.send_binary(pattern(100000))
        good.expect_echo(OP_BINARY, pattern(100000))

    def test_other_connection_protocol_error(self):
        def bad():
            ws = self.ws()
            ws.send_frame(OP_TEXT, "bad", rsv=RSV1, tolerate=True)
            ws.expect_close(1002)
        self._check_good_while(bad)

    def test_other_connection_sends_garbage(self):
        def bad():
            ws = self.ws()
            ws.send(bytes(range(256)) * 40, tolerate=True)
        self._check_good_while(bad)

    def test_other_connection_stalls_mid_handshake(self):
        def bad():
            c = self.tcp()
            c.send(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n")
        self._check_good_while(bad)

    def test_other_connection_stalls_mid_frame(self):
        def bad():
            ws = self.ws()
            ws.send(build_frame(OP_BINARY, pattern(1000))[:500])
        self._check_good_while(bad)

    def test_other_connection_stalls_mid_fragmented_message(self):
        def bad():
            ws = self.ws()
            ws.send_frame(OP_TEXT, "first fragment", fin=False)
        self._check_good_while(bad)

    def test_other_connection_resets_mid_message(self):
        def bad():
            ws = self.ws()
            ws.send(build_frame(OP_BINARY, pattern(200000))[:100000])
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ws.close()  # RST
        self._check_good_while(bad)

    def test_other_connection_oversized_message(self):
        def bad():
            ws = self.ws()
            ws.send_binary(pattern(1024 * 1024 + 1), tolerate=True)
            ws.expect_close(1009)
        self._check_good_while(bad)

    def test_other_connection_does_not_read(self):
        # A client that sends a lot and never reads its echoes.
        def bad():
            ws = self.ws()
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            ws.sock.settimeout(0.5)
            try:
                for _ in range(64):
                    ws.sock.sendall(build_frame(OP_BINARY, pattern(65536)))
            except (socket.timeout, OSError):
                pass
        self._check_good_while(bad, settle=0.3)

    def test_other_http_connection_slowloris(self):
        def bad():
            c = self.tcp()
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nonly a little")
        self._check_good_while(bad)

    def test_many_idle_connections(self):
        def bad():
            for _ in range(50):
                self.tcp()
        self._check_good_while(bad)


class Concurrency(ServerTestCase):

    def test_concurrent_websocket_clients(self):
        async def client(i):
            async with connect(self.port, f"/client/{i}") as ws:
                for j in range(20):
                    msg = f"client {i} message {j}" if j % 2 else pattern(j * 100 + i, i)
                    await assert_echo(self, ws, msg)
        async def go():
            await asyncio.gather(*(client(i) for i in range(30)))
        self.run_async(go())

    def test_http_and_websocket_interleaved(self):
        ws = self.ws()
        for i in range(10):
            c = self.tcp()
            c.send(request("POST", "/echo", [("Connection", "close")], body=f"http {i}".encode()))
            ws.send_text(f"ws {i}")
            ws.expect_echo(OP_TEXT, f"ws {i}")
            _, data = c.wait_closed(5.0)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:40])
            self.assertTrue(data.endswith(f"http {i}".encode()), data[-40:])

    def test_many_sequential_connections(self):
        for i in range(100):
            ws = self.ws()
            ws.send_text(str(i))
            ws.expect_echo(OP_TEXT, str(i))
            ws.send_close(1000)
            ws.expect_close(1000)
            ws.close()
        self._conns.clear()

    def test_library_clients_share_server(self):
        async def go():
            async with connect(self.port) as a, connect(self.port) as b:
                await a.send("to a")
                await b.send("to b")
                self.assertEqual(await base.recv(b), "to b")
                self.assertEqual(await base.recv(a), "to a")
        self.run_async(go())


class WebSocketTimeouts(ServerTestCase):
    """WS_CLOSE_TIMEOUT_MS=1000, WS_HANDSHAKE_TIMEOUT_MS=1000."""

    SERVER_CONFIG = "timeouts"

    def test_close_timeout_when_client_never_replies(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "bad", rsv=RSV1, tolerate=True)
        ws.expect_close(1002, reply=False)
        elapsed, extra = ws.wait_closed(1.0 + 2.0)
        self.assertEqual(extra, b"")

    def test_close_timeout_after_server_close_with_data_flowing(self):
        # Client keeps sending data frames instead of a Close reply: the server
        # ignores them and still closes the TCP connection within the timeout.
        ws = self.ws()
        ws.send_frame(OP_TEXT, b"\xff", tolerate=True)
        ws.expect_close(1007, reply=False)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0 and not ws.send_failed:
            ws.send_text("ignored", tolerate=True)
            if ws.wait_readable(0.1):
                break
        _, extra = ws.wait_closed(max(0.1, 3.0 - (time.monotonic() - t0)))
        self.assertEqual(extra, b"")

    def test_open_websocket_is_not_subject_to_handshake_timeout(self):
        ws = self.ws()
        time.sleep(1.5)
        ws.send_text("still open")
        ws.expect_echo(OP_TEXT, "still open")
