"""Group 5: fragmentation (Autobahn 5.x)."""

import time

from base import ServerTestCase, add_tests, assert_echo, connect, pattern, text_of
from wsclient import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, build_frame,
                      close_payload)


def fragments(op, parts):
    """Frames for one message split into `parts` (first uses `op`, then CONT)."""
    out = b""
    for i, p in enumerate(parts):
        out += build_frame(op if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
    return out


class FragmentationWithClient(ServerTestCase):

    def _lib(self, parts):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, parts)
        self.run_async(go())


add_tests(FragmentationWithClient, [
    ("text_2_fragments", FragmentationWithClient._lib, (["fragment one, ", "fragment two"],)),
    ("text_10_fragments", FragmentationWithClient._lib, ([text_of(i * 7) + "é" for i in range(10)],)),
    ("text_100_one_char_fragments", FragmentationWithClient._lib, (list("x" * 50 + "ü€" * 25),)),
    ("binary_2_fragments", FragmentationWithClient._lib, ([pattern(10), pattern(20, 1)],)),
    ("binary_10_fragments", FragmentationWithClient._lib, ([pattern(i * 1000, i) for i in range(10)],)),
    ("binary_large_fragments", FragmentationWithClient._lib, ([pattern(70000, i) for i in range(3)],)),
])


class FragmentationRaw(ServerTestCase):

    def _raw(self, op, parts, separate_writes=False):
        ws = self.ws()
        data = fragments(op, parts)
        if separate_writes:
            for i, p in enumerate(parts):
                ws.send_frame(op if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
                time.sleep(0.01)
        else:
            ws.send(data)
        ws.expect_echo(op, b"".join(p if isinstance(p, bytes) else p.encode() for p in parts))
        ws.expect_no_frame(0.1)

    def test_one_byte_fragments_1000(self):
        ws = self.ws()
        parts = [bytes([i % 256]) for i in range(1000)]
        ws.send(fragments(OP_BINARY, parts))
        ws.expect_echo(OP_BINARY, b"".join(parts))

    def test_fragments_chopped_into_byte_writes(self):
        ws = self.ws()
        ws.send(fragments(OP_TEXT, ["chop", "ped ", "frag"]), chunk=1)
        ws.expect_echo(OP_TEXT, "chopped frag")

    # Control frames between fragments (5.6 - 5.8, 5.19, 5.20).
    def test_ping_between_fragments_one_write(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fragment1", fin=False) + build_frame(OP_PING, b"ping payload")
                + build_frame(OP_CONT, "fragment2"))
        ws.expect_pong(b"ping payload")
        ws.expect_echo(OP_TEXT, "fragment1fragment2")

    def test_ping_between_fragments_separate_writes(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "fragment1", fin=False)
        time.sleep(0.05)
        ws.send_frame(OP_PING, b"ping payload")
        # The pong must come before the message is complete.
        ws.expect_pong(b"ping payload")
        ws.send_frame(OP_CONT, "fragment2")
        ws.expect_echo(OP_TEXT, "fragment1fragment2")

    def test_ping_between_fragments_byte_writes(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fragment1", fin=False) + build_frame(OP_PING, b"ping payload")
                + build_frame(OP_CONT, "fragment2"), chunk=1)
        ws.expect_pong(b"ping payload")
        ws.expect_echo(OP_TEXT, "fragment1fragment2")

    def test_pings_between_many_fragments(self):
        ws = self.ws()
        seq = [("f", "fragment1", False), ("p", b"pongme 1!", None), ("c", "fragment2", False),
               ("c", "fragment3", False), ("p", b"pongme 2!", None), ("c", "fragment4", False),
               ("c", "fragment5", True)]
        for kind, p, fin in seq:
            op = {"f": OP_TEXT, "c": OP_CONT, "p": OP_PING}[kind]
            ws.send_frame(op, p, fin=True if fin is None else fin)
            time.sleep(0.01)
        ws.expect_pong(b"pongme 1!")
        ws.expect_pong(b"pongme 2!")
        ws.expect_echo(OP_TEXT, "fragment1fragment2fragment3fragment4fragment5")

    def test_pong_between_fragments_is_ignored(self):
        ws = self.ws()
        ws.send(build_frame(OP_BINARY, b"\x01\x02", fin=False) + build_frame(OP_PONG, b"unsolicited")
                + build_frame(OP_CONT, b"\x03"))
        ws.expect_echo(OP_BINARY, b"\x01\x02\x03")
        ws.expect_no_frame(0.2)

    def test_close_between_fragments_is_answered(self):
        # RFC 6455 5.4: control frames (Close included) may be injected in the
        # middle of a fragmented message; the partial message is dropped.
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "partial", fin=False) + build_frame(OP_CLOSE, close_payload(1000)))
        ws.expect_close(1000)

    # Protocol errors.
    def test_fragmented_ping_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_PING, b"frag", fin=False) + build_frame(OP_CONT, b"ment"), tolerate=True)
        ws.expect_close(1002)

    def test_fragmented_pong_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_PONG, b"frag", fin=False) + build_frame(OP_CONT, b"ment"), tolerate=True)
        ws.expect_close(1002)

    def test_fragmented_ping_inside_message_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "a", fin=False) + build_frame(OP_PING, b"x", fin=False), tolerate=True)
        ws.expect_close(1002)

    def test_continuation_without_start_fin1_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_CONT, "non-continuation payload") + build_frame(OP_TEXT, "Hello, world!"),
                tolerate=True)
        ws.expect_close(1002)

    def test_continuation_without_start_fin0_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_CONT, "non-continuation payload", fin=False), tolerate=True)
        ws.expect_close(1002)

    def test_continuation_without_start_byte_writes_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_CONT, "non-continuation payload"), chunk=1, tolerate=True)
        ws.expect_close(1002)

    def test_continuation_after_complete_message_is_1002(self):
        # 5.15: fragment, final continuation (message done), then a stray continuation.
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fragment1", fin=False) + build_frame(OP_CONT, "fragment2")
                + build_frame(OP_CONT, "fragment3", fin=False) + build_frame(OP_CONT, "fragment4"),
                tolerate=True)
        ws.expect_echo(OP_TEXT, "fragment1fragment2")
        ws.expect_close(1002)

    def test_continuation_after_unfragmented_message_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "whole") + build_frame(OP_CONT, "stray"), tolerate=True)
        ws.expect_echo(OP_TEXT, "whole")
        ws.expect_close(1002)

    def test_stray_continuation_then_fragmented_text_is_1002(self):
        # 5.16
        ws = self.ws()
        ws.send(build_frame(OP_CONT, "fragment1", fin=False) + build_frame(OP_TEXT, "fragment2", fin=False)
                + build_frame(OP_CONT, "fragment3"), tolerate=True)
        ws.expect_close(1002)

    def test_new_text_while_fragmented_is_1002(self):
        # 5.18
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fragment1", fin=False) + build_frame(OP_TEXT, "fragment2"),
                tolerate=True)
        ws.expect_close(1002)

    def test_new_text_nonfinal_while_fragmented_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fragment1", fin=False) + build_frame(OP_TEXT, "fragment2", fin=False),
                tolerate=True)
        ws.expect_close(1002)

    def test_new_binary_while_text_fragmented_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fragment1", fin=False) + build_frame(OP_BINARY, b"\x00"),
                tolerate=True)
        ws.expect_close(1002)

    def test_new_text_while_binary_fragmented_is_1002(self):
        ws = self.ws()
        ws.send(build_frame(OP_BINARY, b"\x00", fin=False) + build_frame(OP_TEXT, "x"), tolerate=True)
        ws.expect_close(1002)

    def test_new_text_while_fragmented_separate_writes_is_1002(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "fragment1", fin=False)
        ws.expect_no_frame(0.1)
        ws.send_frame(OP_TEXT, "fragment2", tolerate=True)
        ws.expect_close(1002)


add_tests(FragmentationRaw, [
    ("text_2_fragments", FragmentationRaw._raw, (OP_TEXT, ["fragment1", "fragment2"])),
    ("text_2_fragments_separate_writes", FragmentationRaw._raw, (OP_TEXT, ["fragment1", "fragment2"], True)),
    ("text_5_fragments", FragmentationRaw._raw, (OP_TEXT, ["a", "bc", "def", "ghij", "k"])),
    ("binary_2_fragments", FragmentationRaw._raw, (OP_BINARY, [b"\x00\x01", b"\xfe\xff"])),
    ("binary_3_fragments_separate_writes", FragmentationRaw._raw,
     (OP_BINARY, [pattern(126), pattern(65536, 1), pattern(1)], True)),
    ("binary_fragments_of_125_126_65535_65536", FragmentationRaw._raw,
     (OP_BINARY, [pattern(125), pattern(126, 1), pattern(65535, 2), pattern(65536, 3)])),
    # Empty fragments.
    ("text_all_fragments_empty", FragmentationRaw._raw, (OP_TEXT, ["", "", ""])),
    ("text_empty_first_fragment", FragmentationRaw._raw, (OP_TEXT, ["", "payload"])),
    ("text_empty_last_fragment", FragmentationRaw._raw, (OP_TEXT, ["payload", ""])),
    ("text_empty_middle_fragments", FragmentationRaw._raw, (OP_TEXT, ["pay", "", "", "load"])),
    ("binary_all_fragments_empty", FragmentationRaw._raw, (OP_BINARY, [b"", b""])),
    ("binary_empty_last_fragment", FragmentationRaw._raw, (OP_BINARY, [b"\x00\xff", b""])),
])
