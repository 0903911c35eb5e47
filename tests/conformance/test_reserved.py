"""Group 3: reserved bits (Autobahn 3.x) and group 4: reserved opcodes (Autobahn 4.x)."""

import time

from base import ServerTestCase, add_tests, pattern
from wsclient import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RSV1, RSV2, RSV3,
                      build_frame, close_payload)

RSV_VALUES = {"rsv1": RSV1, "rsv2": RSV2, "rsv3": RSV3, "rsv123": RSV1 | RSV2 | RSV3, "rsv12": RSV1 | RSV2}
KINDS = {
    "text": (OP_TEXT, b"Hello, world!"),
    "binary": (OP_BINARY, b"\x00\xff\x10"),
    "ping": (OP_PING, b"ping?"),
    "pong": (OP_PONG, b"pong!"),
    "close": (OP_CLOSE, close_payload(1000)),
    "empty_text": (OP_TEXT, b""),
}
RESERVED_OPCODES = [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]


class ReservedBits(ServerTestCase):

    def _rsv(self, kind, rsv):
        op, payload = KINDS[kind]
        ws = self.ws()
        ws.send_frame(op, payload, rsv=rsv, tolerate=True)
        ws.expect_close(1002)

    def test_rsv2_text_after_valid_echo_then_ping(self):
        # Autobahn 3.2: all in one write; the echo comes, then Close 1002, and
        # the ping after the bad frame is never answered.
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "Hello, world!") + build_frame(OP_TEXT, "bad", rsv=RSV2)
                + build_frame(OP_PING, b"never"), tolerate=True)
        ws.expect_echo(OP_TEXT, "Hello, world!")
        ws.expect_close(1002)

    def test_rsv3_text_after_valid_echo_then_ping_separate_writes(self):
        # Autobahn 3.3: same, frame by frame.
        ws = self.ws()
        ws.send_text("Hello, world!")
        ws.expect_echo(OP_TEXT, "Hello, world!")
        ws.send_frame(OP_TEXT, "bad", rsv=RSV3, tolerate=True)
        time.sleep(0.05)
        ws.send_frame(OP_PING, b"never", tolerate=True)
        ws.expect_close(1002)

    def test_rsv1_on_first_fragment(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "frag", fin=False, rsv=RSV1) + build_frame(OP_CONT, "ment"),
                tolerate=True)
        ws.expect_close(1002)

    def test_rsv1_on_continuation(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "frag", fin=False) + build_frame(OP_CONT, "ment", rsv=RSV1),
                tolerate=True)
        ws.expect_close(1002)

    def test_rsv2_on_large_binary(self):
        ws = self.ws()
        ws.send_frame(OP_BINARY, pattern(70000), rsv=RSV2, tolerate=True)
        ws.expect_close(1002)


add_tests(ReservedBits, [
    (f"{rname}_on_{kind}", ReservedBits._rsv, (kind, rval))
    for kind in KINDS for rname, rval in RSV_VALUES.items()
])


class ReservedOpcodes(ServerTestCase):

    def _alone(self, op, payload):
        ws = self.ws()
        ws.send_frame(op, payload, tolerate=True)
        ws.expect_close(1002)

    def _after_echo(self, op):
        # Autobahn 4.1.3 / 4.2.3: valid text, reserved opcode, ping in one write.
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "valid") + build_frame(op, b"reserved payload")
                + build_frame(OP_PING, b"never"), tolerate=True)
        ws.expect_echo(OP_TEXT, "valid")
        ws.expect_close(1002)

    def test_reserved_opcode_non_final(self):
        ws = self.ws()
        ws.send_frame(3, b"x", fin=False, tolerate=True)
        ws.expect_close(1002)


add_tests(ReservedOpcodes, [
    (f"opcode_{op:#x}_empty", ReservedOpcodes._alone, (op, b"")) for op in RESERVED_OPCODES
] + [
    (f"opcode_{op:#x}_after_valid_echo", ReservedOpcodes._after_echo, (op,)) for op in RESERVED_OPCODES
])
