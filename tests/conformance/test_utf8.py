"""Group 6: UTF-8 handling in text messages (Autobahn 6.x)."""

from base import ServerTestCase, add_tests, assert_echo, connect
from wsclient import OP_BINARY, OP_CONT, OP_TEXT, build_frame

VALID = {
    "ascii_nul": "\x00a\x00",
    "latin": "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!",
    "kosme": "\u03ba\u1f79\u03c3\u03bc\u03b5",
    "boundary_7f_80": "\u007f\u0080",
    "boundary_7ff_800": "\u07ff\u0800",
    "boundary_d7ff_e000": "\ud7ff\ue000",
    "boundary_fffd_ffff": "\ufffd\uffff",
    "bom": "\ufeffbom",
    "boundary_10000": "\U00010000",
    "max_10ffff": "\U0010ffff",
    "four_byte_mix": "\U0001d11e clef \U0001f600 grin \U00020000 cjk",
}

# Characters embedded as "a" + ch + "b" and split at every byte position.
SPLIT_CHARS = {"2byte": "\u00e9", "3byte": "\u20ac", "4byte": "\U0001d11e", "4byte_max": "\U0010ffff"}

INVALID = {
    # Lone continuation bytes.
    "lone_cont_80": b"\x80",
    "lone_cont_bf": b"\xbf",
    "lone_conts": b"\x80\xbf\x80\xbf\x80\xbf",
    "cont_in_ascii": b"a\x80b",
    # Start bytes followed by a non-continuation.
    "start_c2_then_space": b"\xc2 ",
    "start_e1_then_space": b"\xe1 x",
    "start_f0_then_space": b"\xf0 xyz",
    # Truncated sequences at the end of the message.
    "truncated_c2": b"ab\xc2",
    "truncated_e2_82": b"ab\xe2\x82",
    "truncated_f0_9f_98": b"ab\xf0\x9f\x98",
    "truncated_f4_8f_bf": b"\xf4\x8f\xbf",
    # Overlong encodings.
    "overlong_slash_2": b"\xc0\xaf",
    "overlong_slash_3": b"\xe0\x80\xaf",
    "overlong_slash_4": b"\xf0\x80\x80\xaf",
    "overlong_nul_2": b"\xc0\x80",
    "overlong_nul_3": b"\xe0\x80\x80",
    "overlong_nul_4": b"\xf0\x80\x80\x80",
    "overlong_max_c1_bf": b"\xc1\xbf",
    "overlong_max_e0_9f_bf": b"\xe0\x9f\xbf",
    "overlong_max_f0_8f_bf_bf": b"\xf0\x8f\xbf\xbf",
    # UTF-16 surrogates.
    "surrogate_d800": b"\xed\xa0\x80",
    "surrogate_db7f": b"\xed\xad\xbf",
    "surrogate_db80": b"\xed\xae\x80",
    "surrogate_dbff": b"\xed\xaf\xbf",
    "surrogate_dc00": b"\xed\xb0\x80",
    "surrogate_df80": b"\xed\xbe\x80",
    "surrogate_dfff": b"\xed\xbf\xbf",
    "surrogate_pair": b"\xed\xa0\x80\xed\xb0\x80",
    "kosme_edited": b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
    # Beyond U+10FFFF and never-valid bytes.
    "above_max_f4_90": b"\xf4\x90\x80\x80",
    "above_max_f5": b"\xf5\x80\x80\x80",
    "above_max_f7": b"\xf7\xbf\xbf\xbf",
    "five_byte_f8": b"\xf8\x88\x80\x80\x80",
    "six_byte_fc": b"\xfc\x84\x80\x80\x80\x80",
    "byte_fe": b"\xfe",
    "byte_ff": b"\xff",
    "fe_fe_ff_ff": b"\xfe\xfe\xff\xff",
}


def _is_invalid(b):
    try:
        b.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


assert all(_is_invalid(b) for b in INVALID.values())


class Utf8Valid(ServerTestCase):

    def _lib(self, text):
        async def go():
            async with connect(self.port) as ws:
                await assert_echo(self, ws, text)
        self.run_async(go())

    def _raw(self, text):
        ws = self.ws()
        ws.send_text(text)
        ws.expect_echo(OP_TEXT, text.encode("utf-8"))

    def _split(self, ch, pos):
        data = ("a" + ch + "b").encode("utf-8")
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, data[:pos], fin=False) + build_frame(OP_CONT, data[pos:]))
        ws.expect_echo(OP_TEXT, data)

    def _split_separate_writes(self, ch, pos):
        data = ("a" + ch + "b").encode("utf-8")
        ws = self.ws()
        ws.send_frame(OP_TEXT, data[:pos], fin=False)
        ws.expect_no_frame(0.05)  # an incomplete character at a fragment end is not an error
        ws.send_frame(OP_CONT, data[pos:])
        ws.expect_echo(OP_TEXT, data)

    def _byte_fragments(self, text):
        data = text.encode("utf-8")
        ws = self.ws()
        ws.send(b"".join(build_frame(OP_TEXT if i == 0 else OP_CONT, data[i:i + 1], fin=(i == len(data) - 1))
                         for i in range(len(data))))
        ws.expect_echo(OP_TEXT, data)

    def test_large_multibyte_text(self):
        text = ("\u00e9\u20ac\U0001d11ea" * 20000)  # 200000 bytes
        self._raw(text)

    def test_invalid_utf8_in_binary_is_echoed(self):
        data = b"".join(INVALID.values())
        ws = self.ws()
        ws.send_binary(data)
        ws.expect_echo(OP_BINARY, data)


add_tests(Utf8Valid,
          [(f"valid_{name}_client", Utf8Valid._lib, (text,)) for name, text in VALID.items()]
          + [(f"valid_{name}_raw", Utf8Valid._raw, (text,)) for name, text in VALID.items()]
          + [(f"split_{name}_at_byte_{pos}", Utf8Valid._split, (ch, pos))
             for name, ch in SPLIT_CHARS.items() for pos in range(1, len(ch.encode()) + 2)]
          + [(f"split_{name}_at_byte_{pos}_separate_writes", Utf8Valid._split_separate_writes, (ch, pos))
             for name, ch in SPLIT_CHARS.items() for pos in range(2, len(ch.encode()) + 1)]
          + [(f"byte_per_fragment_{name}", Utf8Valid._byte_fragments, (text,))
             for name, text in (("latin", VALID["latin"]), ("kosme", VALID["kosme"]),
                                ("four_byte_mix", VALID["four_byte_mix"]))])


class Utf8Invalid(ServerTestCase):

    def _single(self, bad):
        ws = self.ws()
        ws.send_text(bad, tolerate=True)
        ws.expect_close(1007)

    def _fragmented(self, bad):
        # Valid prefix, then the invalid sequence split across two fragments
        # (in its middle when it has more than one byte), then a final fragment.
        data = b"prefix " + bad
        cut = len(b"prefix ") + max(1, len(bad) // 2)
        if len(bad) == 1:
            cut = len(b"prefix ")
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, data[:cut], fin=False) + build_frame(OP_CONT, data[cut:], fin=False)
                + build_frame(OP_CONT, b""), tolerate=True)
        ws.expect_close(1007)

    def test_truncated_at_end_of_fragmented_message(self):
        # Each fragment is a valid prefix; only the end of the message makes it invalid.
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, b"abc\xf0\x9f", fin=False) + build_frame(OP_CONT, b"\x98", fin=False)
                + build_frame(OP_CONT, b""), tolerate=True)
        ws.expect_close(1007)

    def test_invalid_in_last_fragment_after_valid_ones(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, "valid \u20ac ", fin=False)
        ws.send_frame(OP_CONT, "still valid ", fin=False)
        ws.expect_no_frame(0.05)
        ws.send_frame(OP_CONT, b"bad \xed\xa0\x80", tolerate=True)
        ws.expect_close(1007)

    def test_invalid_after_valid_echo(self):
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, "fine \u00e9") + build_frame(OP_TEXT, b"\xc0\xaf"), tolerate=True)
        ws.expect_echo(OP_TEXT, "fine \u00e9")
        ws.expect_close(1007)

    def test_invalid_at_end_of_large_message(self):
        ws = self.ws()
        ws.send_text(b"x" * 100000 + b"\xed\xbf\xbf", tolerate=True)
        ws.expect_close(1007)

    def test_invalid_early_in_large_fragmented_message(self):
        # The server may fail as soon as the first fragment is certainly invalid.
        ws = self.ws()
        ws.send(build_frame(OP_TEXT, b"\xff" + b"y" * 60000, fin=False)
                + build_frame(OP_CONT, b"y" * 60000), tolerate=True)
        ws.expect_close(1007)

    def test_invalid_byte_per_fragment(self):
        data = "\u03ba\u1f79\u03c3\u03bc\u03b5".encode() + b"\xed\xa0\x80" + b"edited"
        ws = self.ws()
        ws.send(b"".join(build_frame(OP_TEXT if i == 0 else OP_CONT, data[i:i + 1], fin=(i == len(data) - 1))
                         for i in range(len(data))), tolerate=True)
        ws.expect_close(1007)


add_tests(Utf8Invalid,
          [(f"invalid_{name}", Utf8Invalid._single, (bad,)) for name, bad in INVALID.items()]
          + [(f"invalid_{name}_fragmented", Utf8Invalid._fragmented, (bad,)) for name, bad in INVALID.items()])
