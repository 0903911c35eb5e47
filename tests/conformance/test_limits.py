"""Group 9: large messages (Autobahn 9.x) and the WS_MAX_MESSAGE_BYTES limit."""

from base import ServerTestCase, add_tests, assert_echo, connect, mixed_text, pattern, text_of
from wsclient import OP_BINARY, OP_CONT, OP_TEXT, build_frame

KIB = 1024
MIB = 1024 * 1024
DEFAULT_LIMIT = MIB
SMALL_LIMIT = 65536


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)] or [data[:0]]


class LargeMessages(ServerTestCase):
    """Against the default limit (1 MiB)."""

    def _lib(self, kind, n, fragment_size):
        msg = text_of(n) if kind == "text" else pattern(n, 9)
        message = msg if fragment_size is None else split(msg, fragment_size)

        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, message, timeout=15)
        self.run_async(go())

    def test_text_1mib_multibyte_one_frame(self):
        self._lib_raw_text(mixed_text(MIB))

    def _lib_raw_text(self, text):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, text, timeout=15)
        self.run_async(go())

    def test_binary_1mib_raw_one_frame(self):
        data = pattern(MIB, 4)
        ws = self.ws()
        ws.send_binary(data)
        ws.expect_echo(OP_BINARY, data, timeout=15)

    def test_binary_1mib_raw_64kib_fragments(self):
        data = pattern(MIB, 6)
        parts = split(data, 64 * KIB)
        ws = self.ws()
        ws.send(b"".join(build_frame(OP_BINARY if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
                         for i, p in enumerate(parts)))
        ws.expect_echo(OP_BINARY, data, timeout=15)

    def test_binary_1mib_plus_1_one_frame_is_1009(self):
        ws = self.ws()
        ws.send_binary(pattern(MIB + 1), tolerate=True)
        ws.expect_close(1009)

    def test_text_1mib_plus_1_one_frame_is_1009(self):
        ws = self.ws()
        ws.send_text(text_of(MIB + 1), tolerate=True)
        ws.expect_close(1009)

    def test_binary_1mib_plus_1_in_64kib_fragments_is_1009(self):
        parts = split(pattern(MIB + 1), 64 * KIB)
        ws = self.ws()
        ws.send(b"".join(build_frame(OP_BINARY if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
                         for i, p in enumerate(parts)), tolerate=True)
        ws.expect_close(1009)

    def test_messages_after_large_message(self):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, pattern(MIB))
                await assert_echo(self, ws, "small after large")
                await assert_echo(self, ws, pattern(MIB - 1, 2))
        self.run_async(go())


add_tests(LargeMessages, [
    (f"{kind}_{name}_{'one_frame' if fs is None else '64kib_fragments'}", LargeMessages._lib, (kind, n, fs))
    for kind in ("text", "binary")
    for name, n in (("64kib", 64 * KIB), ("256kib", 256 * KIB), ("1mib", MIB))
    for fs in (None, 64 * KIB)
])


class MessageLimit(ServerTestCase):
    """Against WS_MAX_MESSAGE_BYTES=65536."""

    SERVER_CONFIG = "small_limits"

    def _at_limit(self, op, fragment_size):
        data = text_of(SMALL_LIMIT).encode() if op == OP_TEXT else pattern(SMALL_LIMIT, 1)
        parts = split(data, fragment_size) if fragment_size else [data]
        ws = self.ws()
        ws.send(b"".join(build_frame(op if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
                         for i, p in enumerate(parts)))
        ws.expect_echo(op, data)

    def _over_limit(self, op, fragment_sizes):
        total = SMALL_LIMIT + 1
        data = text_of(total).encode() if op == OP_TEXT else pattern(total, 2)
        parts, pos = [], 0
        for size in fragment_sizes:
            parts.append(data[pos:pos + size])
            pos += size
        assert pos == total, (pos, total)
        ws = self.ws()
        ws.send(b"".join(build_frame(op if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
                         for i, p in enumerate(parts)), tolerate=True)
        ws.expect_close(1009)

    def test_declared_length_over_limit_fails_without_payload(self):
        # The header alone shows the message is too big: the server must not
        # wait for 10 MiB of payload before failing.
        ws = self.ws()
        ws.send(build_frame(OP_BINARY, b"", length=10 * MIB) + b"\x00" * 100, tolerate=True)
        ws.expect_close(1009)

    def test_library_client_at_limit(self):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, pattern(SMALL_LIMIT))
                await assert_echo(self, ws, text_of(SMALL_LIMIT))
                await assert_echo(self, ws, split(text_of(SMALL_LIMIT), 10000))
        self.run_async(go())

    def test_limit_is_per_message_not_per_connection(self):
        ws = self.ws()
        for i in range(5):
            ws.send_binary(pattern(SMALL_LIMIT, i))
            ws.expect_echo(OP_BINARY, pattern(SMALL_LIMIT, i))

    def test_over_limit_after_valid_echo(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "small") + build_frame(OP_BINARY, pattern(SMALL_LIMIT + 1)), tolerate=True)
        ws.expect_echo(OP_TEXT, "small")
        ws.expect_close(1009)


add_tests(MessageLimit, [
    ("text_at_limit_one_frame", MessageLimit._at_limit, (OP_TEXT, None)),
    ("binary_at_limit_one_frame", MessageLimit._at_limit, (OP_BINARY, None)),
    ("text_at_limit_4kib_fragments", MessageLimit._at_limit, (OP_TEXT, 4096)),
    ("binary_at_limit_1000_byte_fragments", MessageLimit._at_limit, (OP_BINARY, 1000)),
    ("text_limit_plus_1_one_frame", MessageLimit._over_limit, (OP_TEXT, [SMALL_LIMIT + 1])),
    ("binary_limit_plus_1_one_frame", MessageLimit._over_limit, (OP_BINARY, [SMALL_LIMIT + 1])),
    ("binary_limit_plus_1_two_halves_plus_1", MessageLimit._over_limit,
     (OP_BINARY, [SMALL_LIMIT // 2, SMALL_LIMIT // 2, 1])),
    ("text_limit_plus_1_last_fragment_empty", MessageLimit._over_limit,
     (OP_TEXT, [SMALL_LIMIT, 1, 0])),
    ("binary_limit_plus_1_in_65_fragments", MessageLimit._over_limit,
     (OP_BINARY, [1024] * 64 + [1])),
])
