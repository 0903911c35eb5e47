"""Operations endpoints: /health, /api/health, /ready, 404, OPTIONS, HEAD."""

import datetime
import json
import os
import re

import httpclient
from e2ebase import HERE, E2ETestCase

CAPTURE = os.path.join(HERE, "captures", "original_health.txt")

HEALTH_TEMPLATE = ('{"success":true,"message":"Server is healthy","data":{"status":"healthy",'
                   '"timestamp":"<TS>","service":"Sela Network Hybrid Server"}}')
API_HEALTH_TEMPLATE = ('{"success":true,"message":"Database is healthy","data":{"status":"healthy",'
                       '"timestamp":"<TS>"}}')
TIMESTAMP_RE = re.compile(r'"timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"')

CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"),
    ("Access-Control-Allow-Headers",
     "Origin, X-Requested-With, Content-Type, Accept, Authorization, x-user-principal-id"),
]
JSON_TYPE = "application/json; charset=utf-8"


def original_capture(title):
    """(status line, headers dict lower-cased, body bytes) of a captured response
    of the original TypeScript server (captures/original_health.txt)."""
    with open(CAPTURE, "rb") as f:
        data = f.read()
    start = data.index(b"### " + title.encode() + b"\n") + len(title) + 5
    head, _, rest = data[start:].partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest[:int(headers["content-length"])]


class HealthTestCase(E2ETestCase):
    SHARED = "default"

    def check_timestamped_body(self, body, template):
        text = body.decode("utf-8")
        m = TIMESTAMP_RE.search(text)
        self.assertIsNotNone(m, f"no ISO 8601 millisecond UTC timestamp in {text}")
        self.assertEqual(text.replace(m.group(1), "<TS>", 1), template, "body differs (key order counts)")
        ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        skew = abs((ts - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
        self.assertLess(skew, 60, f"timestamp {m.group(1)} is not the current time")
        json.loads(text)

    def check_standard_headers(self, r, content_type=JSON_TYPE):
        for name, value in CORS:
            self.assertEqual(r.header(name), value, f"{name} on {r!r}")
        if content_type is not None:
            self.assertEqual(r.header("Content-Type"), content_type)


class Health(HealthTestCase):

    def test_health_answers_200_with_the_original_body_and_headers(self):
        r = self.get("/health")
        self.assertEqual(r.status, 200)
        self.check_timestamped_body(r.body, HEALTH_TEMPLATE)
        self.check_standard_headers(r)
        self.assertEqual(r.header("Content-Length"), str(len(r.body)))

    def test_health_matches_the_capture_of_the_original_server(self):
        status, headers, body = original_capture("GET /health")
        r = self.get("/health")
        self.assertEqual(f"{r.version} {r.status} {r.reason}", status)
        for name in ("access-control-allow-origin", "access-control-allow-methods",
                     "access-control-allow-headers", "content-type", "content-length"):
            self.assertEqual(r.header(name), headers[name], f"header {name} differs from the original")
        normalize = lambda b: TIMESTAMP_RE.sub('"timestamp":"<TS>"', b.decode("utf-8"))  # noqa: E731
        self.assertEqual(normalize(r.body), normalize(body))

    def test_api_health_answers_200_with_the_original_body(self):
        r = self.get("/api/health")
        self.assertEqual(r.status, 200)
        self.check_timestamped_body(r.body, API_HEALTH_TEMPLATE)
        self.check_standard_headers(r)
        status, headers, body = original_capture("GET /api/health")
        self.assertEqual(f"{r.version} {r.status} {r.reason}", status)
        self.assertEqual(r.header("Content-Length"), headers["content-length"])

    def test_paths_are_case_insensitive_and_tolerate_a_trailing_slash(self):
        for path in ("/HEALTH/", "/Health", "/health/", "/HeAlTh"):
            r = self.get(path)
            self.assertEqual(r.status, 200, f"GET {path}: {r!r}")
            self.check_timestamped_body(r.body, HEALTH_TEMPLATE)
        for path in ("/API/HEALTH", "/api/Health/"):
            r = self.get(path)
            self.assertEqual(r.status, 200, f"GET {path}: {r!r}")
            self.check_timestamped_body(r.body, API_HEALTH_TEMPLATE)

    def test_health_with_a_query_string_is_still_health(self):
        r = self.get("/health?probe=1")
        self.assertEqual(r.status, 200)
        self.check_timestamped_body(r.body, HEALTH_TEMPLATE)

    def test_two_slashes_at_the_end_is_not_health(self):
        r = self.get("/health//")
        self.assertEqual(r.status, 404)

    def test_head_health_sends_the_get_headers_and_no_body(self):
        c = self.http()
        get = c.request("GET", "/health")
        # HEAD then GET in one write: a body after the HEAD response would be
        # read as the GET's status line and fail the parse.
        c.send(httpclient.request("HEAD", "/health") + httpclient.request("GET", "/api/health"))
        head = c.read_response("HEAD")
        after = c.read_response("GET")
        self.assertEqual(head.status, 200)
        self.check_standard_headers(head)
        self.assertEqual(head.header("Content-Length"), get.header("Content-Length"),
                         "HEAD must announce the length a GET would send")
        self.assertEqual(after.status, 200, "the request after HEAD was not answered properly")
        self.check_timestamped_body(after.body, API_HEALTH_TEMPLATE)

    def test_ready_answers_200_while_serving(self):
        r = self.get("/ready")
        self.assertEqual(r.status, 200, f"{r!r}")
        self.check_standard_headers(r, content_type=None)


class NotFoundAndOptions(HealthTestCase):

    def test_unknown_path_gets_404_with_the_original_url(self):
        for url in ("/nope", "/nope?x=1&y=%20z", "/api/HEALTHY", "/health/extra", "/a/b/c/"):
            r = self.get(url)
            self.assertEqual(r.status, 404, f"GET {url}: {r!r}")
            self.assertEqual(r.body.decode("utf-8"),
                             '{"success":false,"message":"Endpoint not found","data":{"path":"'
                             + url + '"}}')
            self.check_standard_headers(r)

    def test_404_path_is_json_escaped(self):
        # `"` and `\` are not allowed in a request target (RFC 3986), so a 400
        # is a valid answer too; a 404 must carry the path as valid JSON.
        url = '/x"y\\z'
        r = self.get(url)
        self.assertIn(r.status, (400, 404), f"{r!r}")
        if r.status == 404:
            self.assertEqual(json.loads(r.body)["data"]["path"], url, f"body {r.body!r}")

    def test_unknown_path_keeps_the_connection_alive(self):
        c = self.http()
        self.assertEqual(c.request("GET", "/nope").status, 404)
        self.assertEqual(c.request("GET", "/health").status, 200)

    def test_options_on_any_path_answers_200_ok(self):
        for url in ("/health", "/nope", "/api/anything?x=1", "/"):
            r = self.get(url, method="OPTIONS")
            self.assertEqual(r.status, 200, f"OPTIONS {url}: {r!r}")
            self.assertEqual(r.body, b"OK")
            self.check_standard_headers(r, content_type=None)
