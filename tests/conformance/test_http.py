"""HTTP/1.1 layer: routes, keep-alive, pipelining, chunked bodies, limits, timeouts."""

import time

from base import ServerTestCase, pattern
from httpclient import HttpConn, chunked, request
from test_handshake import upgrade_request

CORS = ("Access-Control-Allow-Origin", "*")


class HttpCase(ServerTestCase):

    def http(self, **kw):
        c = HttpConn(self.port, **kw)
        self._conns.append(c)
        return c

    def assertCors(self, r):
        self.assertEqual(r.header(CORS[0]), CORS[1], f"missing/wrong {CORS[0]} on {r.status} response")

    def assertEcho(self, r, body, content_type=None):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, body)
        ct = r.header("Content-Type")
        if content_type is None:
            self.assertIn(ct, (None, "application/octet-stream"))
        else:
            self.assertIn(ct, (content_type, "application/octet-stream"))
        self.assertCors(r)

    def assertClosedSoon(self, c, timeout=3.0):
        _, extra = c.wait_closed(timeout)
        self.assertEqual(extra, b"", "unexpected bytes after the response")


class HttpRoutes(HttpCase):

    def test_get_root(self):
        r = self.http().request("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"ok")
        self.assertTrue((r.header("Content-Type") or "").startswith("text/"), r.header("Content-Type"))
        self.assertCors(r)

    def test_head_root_has_no_body(self):
        c = self.http()
        c.send(request("HEAD", "/"))
        r = c.read_response("HEAD")
        self.assertEqual(r.status, 200)
        self.assertIn(r.header("Content-Length"), (None, "2"))
        self.assertCors(r)
        c.assert_silent(0.3)  # no body bytes follow
        r2 = c.request("GET", "/")
        self.assertEqual((r2.status, r2.body), (200, b"ok"))

    def test_head_pipelined_with_get(self):
        c = self.http()
        c.send(request("HEAD", "/") + request("GET", "/"))
        r1 = c.read_response("HEAD")
        r2 = c.read_response("GET")
        self.assertEqual(r1.status, 200)
        self.assertEqual((r2.status, r2.body), (200, b"ok"))

    def test_unknown_path_is_404(self):
        r = self.http().request("GET", "/no/such/path")
        self.assertEqual(r.status, 404)
        self.assertCors(r)

    def test_post_unknown_path_is_404(self):
        r = self.http().request("POST", "/nothing-here", body=b"x")
        self.assertEqual(r.status, 404)
        self.assertCors(r)

    def test_options_root(self):
        r = self.http().request("OPTIONS", "/")
        self.assertEqual((r.status, r.body), (200, b"OK"))
        self.assertCors(r)

    def test_options_any_path(self):
        c = self.http()
        for path in ("/echo", "/does/not/exist", "/api/v1/thing?x=1"):
            r = c.request("OPTIONS", path, headers=[("Origin", "http://example.com"),
                                                      ("Access-Control-Request-Method", "POST")])
            self.assertEqual((r.status, r.body), (200, b"OK"), path)
            self.assertCors(r)

    def test_post_echo_text(self):
        body = "hello \u20ac".encode()
        r = self.http().request("POST", "/echo", headers=[("Content-Type", "text/plain; charset=utf-8")],
                                body=body)
        self.assertEcho(r, body, "text/plain; charset=utf-8")

    def test_post_echo_json(self):
        body = b'{"a": [1, 2, 3]}'
        r = self.http().request("POST", "/echo", headers=[("Content-Type", "application/json")], body=body)
        self.assertEcho(r, body, "application/json")

    def test_post_echo_no_content_type(self):
        r = self.http().request("POST", "/echo", body=b"\x00\x01\x02")
        self.assertEcho(r, b"\x00\x01\x02")

    def test_post_echo_empty_body(self):
        r = self.http().request("POST", "/echo", headers=[("Content-Type", "text/plain")], body=b"")
        self.assertEcho(r, b"", "text/plain")

    def test_post_echo_1mib_binary(self):
        body = pattern(1024 * 1024, 7)
        r = self.http().request("POST", "/echo", headers=[("Content-Type", "application/octet-stream")],
                                body=body)
        self.assertEcho(r, body, "application/octet-stream")

    def test_post_echo_body_in_byte_writes(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Content-Type", "text/plain")], body=b"slowly, slowly"),
               chunk=1)
        self.assertEcho(c.read_response(), b"slowly, slowly", "text/plain")

    # Chunked request bodies.
    def test_chunked_body(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")])
               + chunked([b"Hello, ", b"chunked ", b"world"]))
        self.assertEcho(c.read_response(), b"Hello, chunked world", "text/plain")

    def test_chunked_body_large_chunks(self):
        parts = [pattern(70000, 1), pattern(1, 2), pattern(0x1000, 3)]
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + chunked(parts))
        self.assertEcho(c.read_response(), b"".join(parts))

    def test_chunked_body_with_extensions(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
               + chunked([b"abc", b"def"], extensions=["name=value", "flag"]))
        self.assertEcho(c.read_response(), b"abcdef")

    def test_chunked_body_with_trailers(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
               + chunked([b"trailing"], trailers=[("X-Checksum", "abc")]))
        self.assertEcho(c.read_response(), b"trailing")

    def test_chunked_body_uppercase_hex_sizes(self):
        body = pattern(0xAB, 4)
        raw = b"AB\r\n" + body + b"\r\n0\r\n\r\n"
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + raw)
        self.assertEcho(c.read_response(), body)

    def test_chunked_body_in_byte_writes(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
               + chunked([b"one", b"two", b"three"]), chunk=1)
        self.assertEcho(c.read_response(), b"onetwothree")

    def test_chunked_empty_body(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + chunked([]))
        self.assertEcho(c.read_response(), b"")

    # Connection management.
    def test_keep_alive_sequential_requests(self):
        c = self.http()
        for i in range(5):
            r = c.request("GET", "/")
            self.assertEqual((r.status, r.body), (200, b"ok"), f"request {i}")
            r = c.request("POST", "/echo", body=f"req {i}".encode())
            self.assertEqual((r.status, r.body), (200, f"req {i}".encode()))
            r = c.request("GET", "/missing")
            self.assertEqual(r.status, 404)
        self.assertNotIn("close", r.tokens("Connection"))

    def test_pipelining_in_one_write(self):
        c = self.http()
        bodies = [f"body number {i}".encode() * (i + 1) for i in range(5)]
        data = b""
        for b in bodies:
            data += request("POST", "/echo", body=b)
        data += request("GET", "/") + request("GET", "/nope") + request("OPTIONS", "/x")
        data += request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + chunked([b"last", b"!"])
        c.send(data)
        for b in bodies:
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, b))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"ok"))
        self.assertEqual(c.read_response().status, 404)
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"OK"))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"last!"))

    def test_pipelining_many_requests(self):
        c = self.http()
        n = 50
        c.send(b"".join(request("POST", "/echo", body=str(i).encode()) for i in range(n)))
        for i in range(n):
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, str(i).encode()), f"response {i}")

    def test_pipelining_in_byte_writes(self):
        c = self.http()
        c.send(request("GET", "/") + request("POST", "/echo", body=b"2nd"), chunk=1)
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"ok"))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"2nd"))

    def test_connection_close_honoured(self):
        c = self.http()
        r = c.request("GET", "/", headers=[("Connection", "close")])
        self.assertEqual((r.status, r.body), (200, b"ok"))
        self.assertClosedSoon(c)

    def test_connection_close_on_post(self):
        c = self.http()
        r = c.request("POST", "/echo", headers=[("Connection", "close")], body=b"bye")
        self.assertEqual((r.status, r.body), (200, b"bye"))
        self.assertClosedSoon(c)

    def test_connection_close_after_keep_alive(self):
        c = self.http()
        self.assertEqual(c.request("GET", "/").status, 200)
        r = c.request("GET", "/missing", headers=[("Connection", "close")])
        self.assertEqual(r.status, 404)
        self.assertClosedSoon(c)

    def test_connection_close_pipelined_stops_processing(self):
        # Requests after one carrying "Connection: close" are not answered.
        c = self.http()
        c.send(request("GET", "/", headers=[("Connection", "close")]) + request("POST", "/echo", body=b"no"))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"ok"))
        self.assertClosedSoon(c)

    # Malformed requests.
    def _bad(self, raw, statuses=(400,)):
        c = self.http()
        c.send(raw, tolerate=True)
        r = c.read_response()
        self.assertIn(r.status, statuses, f"for request {raw[:60]!r}")
        return r

    def test_malformed_request_line_garbage(self):
        self._bad(b"HELLO\r\n\r\n")

    def test_malformed_request_line_binary(self):
        self._bad(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")

    def test_malformed_request_line_bad_protocol(self):
        self._bad(b"GET / FOO/1.1\r\nHost: x\r\n\r\n")

    def test_malformed_request_line_too_many_parts(self):
        self._bad(b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n")

    def test_malformed_request_line_missing_target(self):
        self._bad(b"GET HTTP/1.1\r\nHost: x\r\n\r\n")

    def test_malformed_header_line_without_colon(self):
        self._bad(b"GET / HTTP/1.1\r\nHost: x\r\nThisIsNotAHeader\r\n\r\n")

    def test_malformed_header_space_before_colon(self):
        # RFC 9112 5.1: whitespace between field name and colon MUST be rejected with 400.
        self._bad(b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad : value\r\n\r\n")

    def test_invalid_content_length(self):
        self._bad(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")

    def test_negative_content_length(self):
        self._bad(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")

    def test_invalid_chunk_size(self):
        self._bad(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")

    def test_server_serves_after_malformed(self):
        self._bad(b"HELLO\r\n\r\n")
        r = self.http().request("GET", "/")
        self.assertEqual((r.status, r.body), (200, b"ok"))


class HttpCorsOnErrors(HttpCase):
    """'Every response carries Access-Control-Allow-Origin: *' - error responses too."""

    def _cors(self, raw, method="GET"):
        c = self.http()
        c.send(raw, tolerate=True)
        r = c.read_response(method)
        self.assertCors(r)
        return r

    def test_cors_on_400_malformed(self):
        self.assertEqual(self._cors(b"HELLO\r\n\r\n").status, 400)

    def test_cors_on_400_bad_handshake(self):
        self.assertEqual(self._cors(upgrade_request(key=None)).status, 400)

    def test_cors_on_426_bad_version(self):
        self.assertEqual(self._cors(upgrade_request(version="14")).status, 426)

    def test_cors_on_head(self):
        self.assertEqual(self._cors(request("HEAD", "/"), "HEAD").status, 200)


class HttpLimits(HttpCase):
    """HTTP_MAX_HEADER_BYTES=4096, HTTP_MAX_BODY_BYTES=65536."""

    SERVER_CONFIG = "small_limits"

    def _send_maybe_early_response(self, c, head, body):
        """Send a request head, give the server a second to answer early
        (e.g. 413 on Content-Length alone), otherwise send the body too."""
        c.send(head)
        if not c.wait_readable(1.0):
            c.send(body, tolerate=True)
        return c.read_response()

    def test_headers_under_limit_ok(self):
        r = self.http().request("GET", "/", headers=[("X-Padding", "p" * 3000)])
        self.assertEqual((r.status, r.body), (200, b"ok"))

    def test_oversized_header_is_431_then_close(self):
        c = self.http()
        c.send(request("GET", "/", headers=[("X-Big", "b" * 8000)]), tolerate=True)
        r = c.read_response()
        self.assertEqual(r.status, 431)
        self.assertCors(r)
        c.wait_closed(3.0)

    def test_many_headers_over_limit_is_431(self):
        c = self.http()
        c.send(request("GET", "/", headers=[(f"X-H{i}", "v" * 50) for i in range(100)]), tolerate=True)
        self.assertEqual(c.read_response().status, 431)
        c.wait_closed(3.0)

    def test_oversized_header_never_terminated_is_431(self):
        # 8 KiB of header bytes without the final blank line: the server must
        # not wait for the end of the header block before answering.
        c = self.http()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 8000, tolerate=True)
        self.assertEqual(c.read_response().status, 431)

    def test_long_request_line_is_414_or_431(self):
        c = self.http()
        c.send(request("GET", "/" + "u" * 8000), tolerate=True)
        self.assertIn(c.read_response().status, (414, 431))

    def test_body_at_limit_ok(self):
        body = pattern(65536, 5)
        r = self.http().request("POST", "/echo", body=body)
        self.assertEqual((r.status, r.body), (200, body))

    def test_body_over_limit_is_413(self):
        c = self.http()
        body = pattern(65537)
        r = self._send_maybe_early_response(c, request("POST", "/echo", headers=[("Content-Length", "65537")]),
                                            body)
        self.assertEqual(r.status, 413)
        self.assertCors(r)

    def test_huge_content_length_is_413(self):
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Content-Length", str(10 ** 12))]) + b"x" * 1000,
               tolerate=True)
        self.assertEqual(c.read_response().status, 413)

    def test_chunked_body_over_limit_is_413(self):
        c = self.http()
        head = request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
        data = chunked([pattern(40000), pattern(25537, 1)])
        c.send(head + data, tolerate=True)
        self.assertEqual(c.read_response().status, 413)

    def test_chunked_body_at_limit_ok(self):
        parts = [pattern(40000), pattern(25536, 1)]
        c = self.http()
        c.send(request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + chunked(parts))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"".join(parts)))

    def test_serves_after_limit_errors(self):
        c = self.http()
        c.send(request("GET", "/", headers=[("X-Big", "b" * 8000)]), tolerate=True)
        c.read_response()
        r = self.http().request("GET", "/")
        self.assertEqual((r.status, r.body), (200, b"ok"))


class HttpTimeouts(HttpCase):
    """HTTP_HEADER_TIMEOUT_MS=1000 (and WS_HANDSHAKE_TIMEOUT_MS=1000)."""

    SERVER_CONFIG = "timeouts"
    TIMEOUT_S = 1.0
    EARLY_MARGIN_S = 0.2
    LATE_MARGIN_S = 2.0

    def _closed_in_window(self, c, t0):
        _, extra = c.wait_closed(self.TIMEOUT_S + self.LATE_MARGIN_S + 0.5 - (time.monotonic() - t0))
        elapsed = time.monotonic() - t0
        if extra:
            self.assertTrue(extra.startswith(b"HTTP/1.1 408"), f"expected 408 or a plain close, got {extra[:80]!r}")
        self.assertGreaterEqual(elapsed, self.TIMEOUT_S - self.EARLY_MARGIN_S,
                                f"closed after {elapsed:.2f} s, before the {self.TIMEOUT_S:.1f} s header timeout")
        self.assertLessEqual(elapsed, self.TIMEOUT_S + self.LATE_MARGIN_S,
                             f"closed after {elapsed:.2f} s")
        return elapsed

    def test_partial_header_times_out(self):
        t0 = time.monotonic()
        c = self.http()
        c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self._closed_in_window(c, t0)

    def test_partial_request_line_times_out(self):
        t0 = time.monotonic()
        c = self.http()
        c.send(b"GET /slo")
        self._closed_in_window(c, t0)

    def test_trickled_header_times_out(self):
        # A byte every 100 ms: the header timeout bounds the whole header, it
        # is not an idle timer that each byte resets.
        t0 = time.monotonic()
        c = self.http()
        line = b"GET / HTTP/1.1\r\nX-Slow: " + b"s" * 200
        for i in range(len(line)):
            if time.monotonic() - t0 > self.TIMEOUT_S + self.LATE_MARGIN_S:
                break
            c.send(line[i:i + 1], tolerate=True)
            if c.send_failed or c.wait_readable(0.1):
                break
        self._closed_in_window(c, t0)

    def test_partial_websocket_handshake_times_out(self):
        t0 = time.monotonic()
        c = self.http()
        c.send(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
        self._closed_in_window(c, t0)

    def test_slow_but_complete_header_is_served(self):
        c = self.http()
        raw = request("GET", "/")
        for i in range(0, len(raw), 8):
            c.send(raw[i:i + 8])
            time.sleep(0.5 * self.TIMEOUT_S * 8 / len(raw))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"ok"))

    def test_keep_alive_connection_survives_header_timeout_between_requests(self):
        # The header timeout applies to a request being received, not to the
        # idle gap between requests (HTTP_IDLE_TIMEOUT_MS is 120 s here).
        c = self.http()
        self.assertEqual(c.request("GET", "/").status, 200)
        time.sleep(self.TIMEOUT_S + 0.5)
        r = c.request("GET", "/")
        self.assertEqual((r.status, r.body), (200, b"ok"))
