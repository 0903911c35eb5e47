"""GET /metrics: Prometheus text that counts what the server did.

Each test starts its own server, so the counts it reads are its own.
"""

import math

import wsclient
from e2ebase import E2ETestCase

REQUESTS = "sela_http_requests_total"
WS_OPEN = "sela_connections_open"
HISTOGRAM = "sela_http_request_duration_seconds"


class MetricsFormat(E2ETestCase):

    def test_metrics_is_prometheus_text_with_the_documented_families(self):
        p = self.start_server()
        self.assertEqual(self.get("/health", p.port).status, 200)
        r = self.get("/metrics", p.port)
        self.assertEqual(r.status, 200)
        ctype = r.header("Content-Type") or ""
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), f"Content-Type {ctype!r}")
        m = self.metrics(p.port)
        expected = {
            "sela_http_requests_total": "counter",
            "sela_connections_open": "gauge",
            HISTOGRAM: "histogram",
            "sela_ws_frames_received_total": "counter",
            "sela_ws_frames_sent_total": "counter",
            "sela_accept_paused_total": "counter",
        }
        for family, kind in expected.items():
            self.assertEqual(m.type(family), kind, f"# TYPE of {family}")
        self.assertIsNotNone(m.value(WS_OPEN, kind="websocket"), "websocket gauge missing")

    def test_request_duration_histogram_counts_every_answered_request(self):
        p = self.start_server()
        c = self.http(p.port)
        before = self.metrics(conn=c)
        for _ in range(3):
            self.assertEqual(c.request("GET", "/health").status, 200)
        after = self.metrics(conn=c)
        for m in (before, after):
            self.assertIsNotNone(m.value(HISTOGRAM + "_bucket", le="+Inf"), "no le=\"+Inf\" bucket")
            self.assertIsNotNone(m.value(HISTOGRAM + "_sum"))
            self.assertIsNotNone(m.value(HISTOGRAM + "_count"))
        answered = sum(v for _, v in after.series(REQUESTS)) - sum(v for _, v in before.series(REQUESTS))
        observed = after.value(HISTOGRAM + "_count") - before.value(HISTOGRAM + "_count")
        self.assertGreaterEqual(observed, 3)
        self.assertEqual(observed, answered, "histogram _count and sela_http_requests_total disagree")
        self.assertGreater(after.value(HISTOGRAM + "_sum"), before.value(HISTOGRAM + "_sum"))
        self.assertTrue(math.isfinite(after.value(HISTOGRAM + "_sum")))


class MetricsCounts(E2ETestCase):

    def test_health_requests_are_counted_exactly(self):
        p = self.start_server()
        before = self.metrics(p.port).value_or_zero(REQUESTS, route="/health", status="200")
        c = self.http(p.port)
        for path in ("/health", "/HEALTH/", "/health?x=1"):
            self.assertEqual(c.request("GET", path).status, 200)
        for _ in range(2):
            self.assertEqual(self.get("/health", p.port).status, 200)
        self.assertEqual(self.get("/api/health", p.port).status, 200)  # another route
        after = self.metrics(p.port).value(REQUESTS, route="/health", status="200")
        self.assertEqual(after - before, 5)

    def test_websocket_gauge_equals_the_open_websockets(self):
        p = self.start_server()
        self.wait_metric(p.port, 0, WS_OPEN, kind="websocket")
        socks = [self.ws(p.port, path) for path in ("/", "/ws?principal_id=abc", "/x")]
        self.wait_metric(p.port, 3, WS_OPEN, kind="websocket")
        # A close handshake, then the client closes its end of TCP as well
        # (the server may linger until it sees the client's FIN).
        socks[0].send_close(1000)
        socks[0].expect_close(1000)
        socks[0].close()
        self.wait_metric(p.port, 2, WS_OPEN, kind="websocket")
        socks[1].close()  # TCP close without a close handshake
        self.wait_metric(p.port, 1, WS_OPEN, kind="websocket")
        socks[2].send_close(1001)
        socks[2].expect_close(1001)
        socks[2].close()
        self.wait_metric(p.port, 0, WS_OPEN, kind="websocket")

    def test_rsv1_frame_is_closed_with_1002_and_counted(self):
        p = self.start_server()
        name = "sela_ws_protocol_errors_total"
        before = self.metrics(p.port).value_or_zero(name, code="1002")
        w = self.ws(p.port)
        w.send_text("hello", rsv=wsclient.RSV1)
        w.expect_close(1002)
        self.wait_metric(p.port, before + 1, name, code="1002")

    def test_oversized_header_gets_431_and_is_counted(self):
        p = self.start_server({"HTTP_MAX_HEADER_BYTES": "2048"})
        name = "sela_http_errors_total"
        before = self.metrics(p.port).value_or_zero(name, reason="header_too_large")
        small = self.get("/health", p.port, headers=[("X-Filler", "a" * 1500)])
        self.assertEqual(small.status, 200, "a 1.5 KB head is under the 2 KiB limit")
        c = self.http(p.port)
        r = c.request("GET", "/health", headers=[("X-Filler", "a" * 3000)])
        self.assertEqual(r.status, 431, f"{r!r}")
        after = self.metrics(p.port).value_or_zero(name, reason="header_too_large")
        self.assertEqual(after - before, 1)

    def test_websocket_frames_are_counted_both_ways(self):
        p = self.start_server()
        w = self.ws(p.port)
        rx, tx = "sela_ws_frames_received_total", "sela_ws_frames_sent_total"
        m0 = self.metrics(p.port)
        w.send_frame(wsclient.OP_PING, b"p1")
        w.expect_pong(b"p1")
        self.wait_metric(p.port, m0.value(rx) + 1, rx)
        self.wait_metric(p.port, m0.value(tx) + 1, tx)
        w.send_close(1000)
        w.expect_close(1000)
        self.wait_metric(p.port, m0.value(rx) + 2, rx)
        self.wait_metric(p.port, m0.value(tx) + 2, tx)
