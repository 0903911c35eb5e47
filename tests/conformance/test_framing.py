"""Group 1: basic framing (Autobahn 1.x), plus masking rules."""

import time

import base
from base import ServerTestCase, add_tests, assert_echo, connect, mixed_text, pattern, text_of
from wsclient import OP_BINARY, OP_PING, OP_TEXT, build_frame

LENGTHS = [0, 1, 125, 126, 127, 128, 1000, 65535, 65536, 65537, 131072]
RAW_LENGTHS = [0, 125, 126, 127, 128, 65535, 65536]


def send_chopped(ws, frame):
    """Deliver `frame` in 1-byte writes (the header with a short pause after each
    byte so the server really sees partial headers); payloads past 1 KiB go in
    1-byte writes for the first KiB, then in odd-sized chunks."""
    head, rest = frame[:14], frame[14:]
    ws.send(head, chunk=1, delay=0.001)
    if len(rest) <= 1024:
        ws.send(rest, chunk=1)
    else:
        ws.send(rest[:1024], chunk=1)
        ws.send(rest[1024:], chunk=997)


class FramingWithClient(ServerTestCase):
    """Well-formed traffic through the websockets library (which validates the
    server's framing itself)."""

    def _echo(self, message):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, message)
        self.run_async(go())

    def test_mixed_text_4000_bytes(self):
        self._echo(mixed_text(4000))

    def test_many_messages_in_order(self):
        async def go():
            async with connect(self.port) as ws:
                msgs = []
                for i in range(100):
                    msgs.append(text_of(i * 13 % 300) + str(i) if i % 2 else pattern(i * 17 % 500, i))
                for m in msgs:
                    await ws.send(m)
                for i, m in enumerate(msgs):
                    got = await base.recv(ws)
                    self.assertEqual(type(got), type(m), f"message {i}: wrong type")
                    self.assertEqual(got, m, f"message {i}: wrong payload / order")
        self.run_async(go())

    def test_path_with_query_string(self):
        async def go():
            async with connect(self.port, "/some/deep/path?x=1&y=%20") as ws:
                await assert_echo(self, ws, "hello")
        self.run_async(go())


add_tests(FramingWithClient, [
    (f"{kind}_len_{n}", lambda self, kind, n: self._echo(text_of(n) if kind == "text" else pattern(n)),
     (kind, n))
    for kind in ("text", "binary") for n in LENGTHS
])


class FramingRaw(ServerTestCase):
    """Exact frames on raw sockets: one write vs 1-byte writes, masking."""

    def _raw_echo(self, kind, n, chopped):
        payload = text_of(n).encode() if kind == "text" else pattern(n, 3)
        op = OP_TEXT if kind == "text" else OP_BINARY
        ws = self.ws()
        frame = build_frame(op, payload)
        if chopped:
            send_chopped(ws, frame)
        else:
            ws.send(frame)
        ws.expect_echo(op, payload)
        # The connection is still usable afterwards.
        ws.send_frame(op, payload[:5])
        ws.expect_echo(op, payload[:5])

    def test_three_messages_in_one_write(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "one") + build_frame(OP_BINARY, b"\x00two")
                + build_frame(OP_TEXT, "three" * 40))
        ws.expect_echo(OP_TEXT, "one")
        ws.expect_echo(OP_BINARY, b"\x00two")
        ws.expect_echo(OP_TEXT, "three" * 40)

    def test_frames_split_across_writes_mid_frame(self):
        ws = self.ws()
        data = build_frame(OP_TEXT, "alpha") + build_frame(OP_TEXT, "beta" * 50) + build_frame(OP_BINARY, b"g")
        # Write boundaries that never coincide with frame boundaries.
        ws.send(data[:3])
        time.sleep(0.02)
        ws.send(data[3:12])
        time.sleep(0.02)
        ws.send(data[12:150])
        time.sleep(0.02)
        ws.send(data[150:])
        ws.expect_echo(OP_TEXT, "alpha")
        ws.expect_echo(OP_TEXT, "beta" * 50)
        ws.expect_echo(OP_BINARY, b"g")

    def test_zero_mask_key(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "zero mask", mask_key=b"\x00\x00\x00\x00")
        ws.expect_echo(OP_TEXT, "zero mask")

    def test_all_ones_mask_key(self):
        ws = self.ws()
        ws.send_frame(OP_BINARY, pattern(300), mask_key=b"\xff\xff\xff\xff")
        ws.expect_echo(OP_BINARY, pattern(300))

    def test_handshake_and_first_frame_in_one_write(self):
        ws = self.ws(first_bytes=build_frame(OP_TEXT, "early bird"))
        ws.expect_echo(OP_TEXT, "early bird")

    def test_unmasked_text_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "not masked", mask=False, tolerate=True)
        ws.expect_close(1002)

    def test_unmasked_binary_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_BINARY, b"\x01\x02", mask=False, tolerate=True)
        ws.expect_close(1002)

    def test_unmasked_empty_ping_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_PING, b"", mask=False, tolerate=True)
        ws.expect_close(1002)

    def test_unmasked_frame_after_valid_echo_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fine") + build_frame(OP_TEXT, "bad", mask=False), tolerate=True)
        ws.expect_echo(OP_TEXT, "fine")
        ws.expect_close(1002)

    def test_64bit_length_with_msb_set_fails(self):
        # RFC 6455 5.2: the most significant bit of a 64-bit length MUST be 0.
        ws = self.ws()
        ws.send(build_frame(OP_BINARY, b"", length=(1 << 63) | 5, length_form=64) + b"\x00" * 5,
                tolerate=True)
        ws.expect_close((1002, 1009))


add_tests(FramingRaw, [
    (f"{kind}_len_{n}_{'one_write' if not chopped else 'byte_writes'}",
     FramingRaw._raw_echo, (kind, n, chopped))
    for kind in ("text", "binary") for n in RAW_LENGTHS for chopped in (False, True)
])
