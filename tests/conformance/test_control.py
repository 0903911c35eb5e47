"""Group 2: ping / pong (Autobahn 2.x)."""

import asyncio

from base import ServerTestCase, add_tests, assert_echo, connect, pattern
from wsclient import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, build_frame, close_payload


class PingPong(ServerTestCase):

    def _ping(self, n, chopped=False):
        payload = pattern(n, 5)
        ws = self.ws()
        frame = build_frame(OP_PING, payload)
        if chopped:
            ws.send(frame, chunk=1, delay=0.001)
        else:
            ws.send(frame)
        ws.expect_pong(payload)
        ws.expect_no_frame(0.2)  # exactly one pong

    def test_ping_text_payload(self):
        ws = self.ws()
        ws.send_frame(OP_PING, "Hello, world!")
        ws.expect_pong(b"Hello, world!")

    def test_ping_binary_payload(self):
        # Not UTF-8: a ping payload is arbitrary bytes.
        payload = b"\x00\xff\xfe\xfd\xfc\xfb\x80\xc0"
        ws = self.ws()
        ws.send_frame(OP_PING, payload)
        ws.expect_pong(payload)

    def test_ping_126_bytes_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_PING, pattern(126), tolerate=True)
        ws.expect_close(1002)

    def test_ping_large_payload_is_1002(self):
        # Autobahn 2.5: ping with a 126+ byte payload using the 16-bit length.
        ws = self.ws()
        ws.send_frame(OP_PING, b"\xfe" * 1000, tolerate=True)
        ws.expect_close(1002)

    def test_ten_pings_in_a_row(self):
        ws = self.ws()
        payloads = [f"ping #{i}".encode() * (i + 1) for i in range(10)]
        ws.send(b"".join(build_frame(OP_PING, p) for p in payloads))
        for p in payloads:
            ws.expect_pong(p)
        ws.expect_no_frame(0.2)

    def test_ten_pings_separate_writes(self):
        ws = self.ws()
        payloads = [bytes([i]) * i for i in range(10)]
        for p in payloads:
            ws.send_frame(OP_PING, p)
        for p in payloads:
            ws.expect_pong(p)

    def test_unsolicited_pong_is_ignored(self):
        ws = self.ws()
        ws.send_frame(OP_PONG, b"unsolicited")
        ws.send_text("after pong")
        ws.expect_echo(OP_TEXT, "after pong")
        ws.expect_no_frame(0.2)

    def test_unsolicited_empty_pong_is_ignored(self):
        ws = self.ws()
        ws.send_frame(OP_PONG, b"")
        ws.expect_no_frame(0.3)
        ws.send_binary(b"\x01")
        ws.expect_echo(OP_BINARY, b"\x01")

    def test_pong_126_bytes_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_PONG, pattern(126), tolerate=True)
        ws.expect_close(1002)

    def test_ping_between_messages_keeps_order(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "first") + build_frame(OP_PING, b"p") + build_frame(OP_TEXT, "second"))
        ws.expect_echo(OP_TEXT, "first")
        ws.expect_pong(b"p")
        ws.expect_echo(OP_TEXT, "second")

    def test_ping_after_close_is_ignored(self):
        # Autobahn 7.1.2-ish: after the client's Close, nothing else is answered.
        ws = self.ws()
        ws.send(build_frame(OP_CLOSE, close_payload(1000)) + build_frame(OP_PING, b"late"))
        ws.expect_close(1000)

    def test_library_ping(self):
        async def go():
            async with connect(self.port) as ws:
                for data in (b"", b"abc", bytes(range(125))):
                    waiter = await ws.ping(data)
                    await asyncio.wait_for(waiter, 5)
                await assert_echo(self, ws, "after pings")
        self.run_async(go())


add_tests(PingPong, [
    (f"ping_{n}_bytes{'_byte_writes' if chopped else ''}", PingPong._ping, (n, chopped))
    for n in (0, 1, 125) for chopped in (False, True)
])
