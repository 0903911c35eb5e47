"""HTTP/1.1 keep-alive and pipelining on the real server."""

import json

import httpclient
from e2ebase import E2ETestCase


def health_request(path="/health", method="GET", headers=()):
    return httpclient.request(method, path, headers=list(headers))


class KeepAlive(E2ETestCase):
    SHARED = "default"

    def test_three_pipelined_health_requests_in_one_write_get_three_responses(self):
        c = self.http()
        c.send(health_request() * 3)
        for i in range(3):
            r = c.read_response()
            self.assertEqual(r.status, 200, f"response {i + 1}: {r!r}")
            self.assertEqual(json.loads(r.body)["message"], "Server is healthy")
            self.assertEqual(r.header("Connection"), "keep-alive")
        c.assert_silent(0.2)
        self.assertEqual(c.request("GET", "/health").status, 200, "connection still usable")

    def test_pipelined_requests_to_different_routes_are_answered_in_order(self):
        c = self.http()
        c.send(health_request("/health") + health_request("/api/health")
               + health_request("/nope?n=3") + health_request("/x", "OPTIONS")
               + health_request("/ready"))
        r1, r2, r3, r4, r5 = (c.read_response() for _ in range(5))
        self.assertEqual((r1.status, json.loads(r1.body)["message"]), (200, "Server is healthy"))
        self.assertEqual((r2.status, json.loads(r2.body)["message"]), (200, "Database is healthy"))
        self.assertEqual((r3.status, json.loads(r3.body)["data"]["path"]), (404, "/nope?n=3"))
        self.assertEqual((r4.status, r4.body), (200, b"OK"))
        self.assertEqual(r5.status, 200)

    def test_pipelined_requests_sent_byte_by_byte_are_answered_in_order(self):
        c = self.http()
        c.send(health_request("/health") + health_request("/nope"), chunk=1)
        self.assertEqual(c.read_response().status, 200)
        self.assertEqual(c.read_response().status, 404)

    def test_one_connection_serves_many_requests(self):
        c = self.http()
        for i in range(20):
            r = c.request("GET", "/health" if i % 2 else "/api/health")
            self.assertEqual(r.status, 200, f"request {i + 1}")
            self.assertEqual(r.header("Connection"), "keep-alive")

    def test_connection_close_is_answered_then_the_server_closes(self):
        c = self.http()
        self.assertEqual(c.request("GET", "/health").status, 200)
        r = c.request("GET", "/health", headers=[("Connection", "close")])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Connection"), "close")
        _, extra = c.wait_closed(3.0)
        self.assertEqual(extra, b"")

    def test_request_pipelined_after_connection_close_is_not_answered(self):
        c = self.http()
        c.send(health_request(headers=[("Connection", "close")]) + health_request("/api/health"))
        r = c.read_response()
        self.assertEqual(r.status, 200)
        _, extra = c.wait_closed(3.0)
        self.assertEqual(extra, b"", "a request after Connection: close was answered")

    def test_http_1_0_request_without_keep_alive_is_closed_after_the_response(self):
        c = self.http()
        c.send(httpclient.request("GET", "/health", version="HTTP/1.0"))
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body)["message"], "Server is healthy")
        c.wait_closed(3.0)
