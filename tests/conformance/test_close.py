"""Group 7: close handling (Autobahn 7.x)."""

import struct
import time

from base import ServerTestCase, add_tests, connect, pattern
from wsclient import OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, build_frame, close_payload

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


class CloseHandling(ServerTestCase):

    def _valid_code(self, code):
        ws = self.ws()
        ws.send_close(code)
        got = ws.expect_close(code)
        self.assertEqual(got, code)

    def _invalid_code(self, code):
        ws = self.ws()
        ws.send_close(code, tolerate=True)
        ws.expect_close(1002)

    def test_empty_close(self):
        # 7.1.1-ish: empty payload -> Close with empty payload or 1000.
        ws = self.ws()
        ws.send_close()
        code = ws.expect_close(1000, allow_empty=True)
        self.assertIn(code, (None, 1000))

    def test_close_1000_with_reason(self):
        ws = self.ws()
        ws.send_close(1000, "Normal close, bye")
        ws.expect_close(1000)

    def test_close_with_utf8_reason(self):
        ws = self.ws()
        ws.send_close(1001, "\u03ba\u1f79\u03c3\u03bc\u03b5 \U0001d11e")
        ws.expect_close(1001)

    def test_close_with_max_reason_123_bytes(self):
        # 7.3.5: 2-byte code + 123-byte reason = 125, the largest control payload.
        ws = self.ws()
        ws.send_close(1000, "*" * 123)
        ws.expect_close(1000)

    def test_close_reason_124_bytes_is_1002(self):
        # 7.3.6: payload of 126 bytes is too long for a control frame.
        ws = self.ws()
        ws.send_frame(OP_CLOSE, close_payload(1000, "*" * 124), tolerate=True)
        ws.expect_close(1002)

    def test_close_one_byte_payload_is_1002(self):
        # 7.3.2
        ws = self.ws()
        ws.send_frame(OP_CLOSE, b"\x03", tolerate=True)
        ws.expect_close(1002)

    def test_close_invalid_utf8_reason_is_1007(self):
        ws = self.ws()
        ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"bad \xed\xa0\x80 reason", tolerate=True)
        ws.expect_close(1007)

    def test_close_truncated_utf8_reason_is_1007(self):
        ws = self.ws()
        ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"ends mid char \xe2\x82", tolerate=True)
        ws.expect_close(1007)

    def test_fragmented_close_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_CLOSE, close_payload(1000), fin=False, tolerate=True)
        ws.expect_close(1002)

    def test_close_after_valid_echo(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "Hello World!") + build_frame(OP_CLOSE, close_payload(1000)))
        ws.expect_echo(OP_TEXT, "Hello World!")
        ws.expect_close(1000)

    def test_text_after_close_is_ignored(self):
        # 7.1.2 / 7.1.3: nothing after the client's Close is processed.
        ws = self.ws()
        ws.send(build_frame(OP_CLOSE, close_payload(1000)) + build_frame(OP_TEXT, "ignored"), tolerate=True)
        ws.expect_close(1000)

    def test_binary_and_ping_after_close_are_ignored(self):
        ws = self.ws()
        ws.send(build_frame(OP_CLOSE, close_payload(1000)) + build_frame(OP_BINARY, pattern(2000))
                + build_frame(OP_PING, b"no pong"), tolerate=True)
        ws.expect_close(1000)

    def test_second_close_is_ignored(self):
        ws = self.ws()
        ws.send(build_frame(OP_CLOSE, close_payload(1000)) + build_frame(OP_CLOSE, close_payload(1001)),
                tolerate=True)
        ws.expect_close(1000)

    def test_data_after_close_in_separate_write_is_ignored(self):
        # Read the server's Close first, then send more data instead of a Close reply.
        ws = self.ws()
        ws.send_close(1000)
        f = ws.recv_frame()
        self.assertEqual((f.opcode, f.close_code()), (OP_CLOSE, 1000))
        ws.send_text("after close", tolerate=True)
        _, extra = ws.wait_closed(3.0)
        self.assertEqual(extra, b"", "server sent data after its Close frame")

    def test_server_closes_tcp_after_close_handshake(self):
        ws = self.ws()
        ws.send_close(1000)
        f = ws.recv_frame()
        self.assertEqual(f.opcode, OP_CLOSE)
        ws.send_close(1000, tolerate=True)
        elapsed, extra = ws.wait_closed(3.0)
        self.assertEqual(extra, b"")
        self.assertLess(elapsed, 3.0)

    def test_close_with_byte_writes(self):
        ws = self.ws()
        ws.send(build_frame(OP_CLOSE, close_payload(3456, "chopped")), chunk=1, delay=0.001)
        ws.expect_close(3456)

    def test_library_client_close_codes(self):
        async def go():
            for code in (1000, 1001, 4321):
                async with connect(self.port) as ws:
                    await ws.send("x")
                    await ws.recv()
                    t0 = time.monotonic()
                    await ws.close(code, "reason")
                    # The library waits (close_timeout) for the server to close TCP.
                    self.assertLess(time.monotonic() - t0, 2.0, "server did not close TCP promptly")
                    # The contract asks for the code to be echoed; the reason may differ.
                    self.assertEqual(ws.close_code, code)
        self.run_async(go())

    def test_abrupt_disconnect_then_new_connection(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "x" * 100, length=1000, tolerate=True)  # header says more is coming
        ws.close()
        ws2 = self.ws()
        ws2.send_text("alive")
        ws2.expect_echo(OP_TEXT, "alive")

    def test_no_close_reply_is_not_a_crash(self):
        # The client sends Close and disappears without reading anything.
        ws = self.ws()
        ws.send_close(1000)
        ws.close()
        time.sleep(0.05)
        ws2 = self.ws()
        ws2.send_text("alive")
        ws2.expect_echo(OP_TEXT, "alive")


add_tests(CloseHandling,
          [(f"valid_code_{c}", CloseHandling._valid_code, (c,)) for c in VALID_CODES]
          + [(f"invalid_code_{c}", CloseHandling._invalid_code, (c,)) for c in INVALID_CODES])
