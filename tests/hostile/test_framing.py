"""Issue #10, item 3: HTTP/1.1 framing per RFC 9112. A request whose body
length cannot be determined reliably (Transfer-Encoding not ending in
chunked, Transfer-Encoding with Content-Length, two Content-Lengths,
Transfer-Encoding in HTTP/1.0) gets 400 and the connection closes, so
nothing smuggled behind it runs; a missing or repeated Host is 400;
`Expect: 100-continue` is answered; an unknown transfer coding is 501 and
an unknown expectation 417. Other clients are served meanwhile."""

import re
import time

from hostile import HostileCase, read_until_closed, tcp

SMUGGLED = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"

# (what, request bytes, expected status). Each request is followed by a
# smuggled second request that must never be answered.
REFUSED = [
    ("final coding identity", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 400),
    ("chunked then gzip", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("gzip alone", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ("chunked twice", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE then CL", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                   b"0\r\n\r\n", 400),
    ("CL then TE", b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\n", 400),
    ("identity with CL", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
                         b"Content-Length: 5\r\n\r\nhello", 400),
    ("two Content-Lengths", b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
                            b"hello", 400),
    ("TE in HTTP/1.0", b"POST /health HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("no Host", b"GET /health HTTP/1.1\r\n\r\n", 400),
    ("two Hosts", b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("unknown coding", b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("unknown expectation", b"POST /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
]


def status_line(data):
    return data.split(b"\r\n", 1)[0]


class Framing(HostileCase):

    def refuse_all(self):
        results = []
        for what, request, _ in REFUSED:
            s = tcp(self.port)
            s.sendall(request + SMUGGLED)
            got = read_until_closed(s)
            s.close()
            results.append((what, got))
        return results

    def test_3_ambiguous_framing_is_refused_and_closed_and_nothing_smuggled_runs(self):
        self.serve()

        def attack():
            rounds = []
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                rounds.append(self.refuse_all())
            return rounds
        rounds = self.under_attack(attack, rss_max_bytes=8 << 20)
        self.assertGreater(len(rounds), 1)
        for results in rounds:
            for (what, got), (_, _, status) in zip(results, REFUSED):
                self.assertTrue(got.startswith(b"HTTP/1.1 %d " % status), f"{what}: {status_line(got)!r}")
                self.assertIn(b"Connection: close", got, what)
                self.assertEqual(got.count(b"HTTP/1.1 "), 1, f"{what}: the smuggled request was answered")
        # Not one smuggled /api/health ran.
        self.assertEqual(self.metric("sela_http_requests_total", route="/api/health", status="200"), 0)

    def test_3_expect_100_continue_is_answered_before_the_body(self):
        self.serve()
        s = tcp(self.port)
        s.sendall(b"POST /api/rpc/registerClient HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        got = s.recv(4096)
        self.assertEqual(got, b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"{}")
        got = s.recv(4096)
        self.assertTrue(got.startswith(b"HTTP/1.1 400 "), got[:60])  # registerClient needs a uuid
        self.assertIn(b"keep-alive", got)
        s.close()
        # A body over the route's limit is refused instead of continued.
        s = tcp(self.port)
        s.sendall(b"POST /api/rpc/registerClient HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        got = read_until_closed(s)
        self.assertTrue(got.startswith(b"HTTP/1.1 413 "), got[:60])
        s.close()

    def test_3_http10_without_host_and_pipelined_requests_still_work(self):
        self.serve()
        s = tcp(self.port)
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        self.assertTrue(read_until_closed(s).startswith(b"HTTP/1.1 200 "))
        s.close()
        s = tcp(self.port)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /nope HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        got = read_until_closed(s)
        self.assertEqual(re.findall(rb"HTTP/1\.1 (\d{3}) ", got), [b"200", b"404", b"200"])
        s.close()
