"""TLS on the same port: HTTPS and WSS with TLS_CERT_FILE / TLS_KEY_FILE.

A self-signed certificate for localhost and 127.0.0.1 is made once per run
with the openssl CLI; the clients trust exactly that certificate.
"""

import asyncio
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess

import httpclient
import proc
from e2ebase import E2ETestCase, ws_connect
from test_config import assert_refused

_cert = None


def certificate():
    """(cert_path, key_path) of a fresh self-signed certificate."""
    global _cert
    if _cert is None:
        if shutil.which("openssl") is None:
            raise AssertionError("the openssl CLI is needed to make a test certificate")
        d = proc.new_workdir("tls-cert")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-days", "1", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", key, "-out", cert],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
        _cert = (cert, key)
    return _cert


def client_context():
    ctx = ssl.create_default_context(cafile=certificate()[0])
    ctx.check_hostname = True
    return ctx


class Tls(E2ETestCase):

    def start_tls_server(self, env=None):
        cert, key = certificate()
        return self.start_server({"TLS_CERT_FILE": cert, "TLS_KEY_FILE": key, **(env or {})})

    def https_get(self, port, path="/health"):
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=client_context())
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def test_https_health_answers_200_with_the_health_body(self):
        p = self.start_tls_server()
        status, headers, body = self.https_get(p.port)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        doc = json.loads(body)
        self.assertEqual(doc["message"], "Server is healthy")
        self.assertEqual(doc["data"]["service"], "Sela Network Hybrid Server")

    def test_https_keeps_the_connection_alive_across_requests(self):
        p = self.start_tls_server()
        c = http.client.HTTPSConnection("127.0.0.1", p.port, timeout=5, context=client_context())
        try:
            for path in ("/health", "/api/health", "/nope", "/metrics"):
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                self.assertEqual(r.status, 404 if path == "/nope" else 200, path)
            self.assertIsNotNone(c.sock, "the server closed the keep-alive TLS connection")
        finally:
            c.close()

    def test_wss_upgrade_works(self):
        p = self.start_tls_server()

        async def scenario():
            uri = f"wss://127.0.0.1:{p.port}/ws?principal_id=abc"
            async with ws_connect(uri, ssl=client_context()) as ws:
                pong = await ws.ping(b"tls")
                await asyncio.wait_for(pong, 5)
                await ws.close(1000)
            return ws.close_code
        self.assertEqual(self.run_async(scenario()), 1000)

    def test_pipelined_requests_in_one_tls_write_are_answered_in_order(self):
        p = self.start_tls_server()
        c = self.http(p.port)
        c.sock = client_context().wrap_socket(c.sock, server_hostname="127.0.0.1")
        c.send(httpclient.request("GET", "/health") + httpclient.request("GET", "/nope")
               + httpclient.request("GET", "/api/health"))
        r1, r2, r3 = (c.read_response() for _ in range(3))
        self.assertEqual((r1.status, json.loads(r1.body)["message"]), (200, "Server is healthy"))
        self.assertEqual((r2.status, json.loads(r2.body)["data"]["path"]), (404, "/nope"))
        self.assertEqual((r3.status, json.loads(r3.body)["message"]), (200, "Database is healthy"))

    def test_wss_carries_a_large_message_across_many_tls_records(self):
        p = self.start_tls_server()

        async def scenario():
            async with ws_connect(f"wss://127.0.0.1:{p.port}/ws", ssl=client_context()) as ws:
                await ws.send("x" * (512 * 1024))
                pong = await ws.ping(b"after")
                await asyncio.wait_for(pong, 5)
                await ws.close(1000)
            return ws.close_code
        self.assertEqual(self.run_async(scenario()), 1000)

    def test_sigterm_closes_wss_clients_with_1012_and_exits_0(self):
        p = self.start_tls_server()

        async def scenario():
            ws = await ws_connect(f"wss://127.0.0.1:{p.port}/ws", ssl=client_context())
            p.signal(signal.SIGTERM)
            await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code
        self.assertEqual(self.run_async(scenario()), 1012)
        self.assertEqual(p.wait_exit(5.0), 0)

    def test_plain_http_to_the_tls_port_fails_cleanly_and_serving_continues(self):
        p = self.start_tls_server()
        c = self.http(p.port)
        c.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", tolerate=True)
        _, got = c.wait_closed(5.0)
        self.assertTrue(got == b"" or got.startswith(b"HTTP/1.1 400 "),
                        f"plain HTTP on the TLS port got {got[:80]!r}; expected no answer or a 400")
        status, _, _ = self.https_get(p.port)
        self.assertEqual(status, 200, "TLS clients must still be served")

    def test_tls_handshake_garbage_does_not_stop_serving(self):
        p = self.start_tls_server()
        c = self.tcp(p.port)
        c.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc" + b"\xff" * 600, tolerate=True)
        c.wait_closed(5.0)
        status, _, _ = self.https_get(p.port)
        self.assertEqual(status, 200)

    def test_missing_certificate_file_stops_startup(self):
        _, key = certificate()
        missing = os.path.join(proc.new_workdir("tls-missing"), "no-such-cert.pem")
        assert_refused(self, {"TLS_CERT_FILE": missing, "TLS_KEY_FILE": key}, "TLS_CERT_FILE", missing)

    def test_missing_key_file_stops_startup(self):
        cert, _ = certificate()
        missing = os.path.join(proc.new_workdir("tls-missing"), "no-such-key.pem")
        assert_refused(self, {"TLS_CERT_FILE": cert, "TLS_KEY_FILE": missing}, "TLS_KEY_FILE", missing)

    def test_key_file_that_holds_no_key_stops_startup(self):
        cert, _ = certificate()
        assert_refused(self, {"TLS_CERT_FILE": cert, "TLS_KEY_FILE": cert}, "TLS_KEY_FILE", cert)
