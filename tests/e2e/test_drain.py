"""Graceful drain on SIGTERM / SIGINT, and the second signal that exits at once."""

import asyncio
import signal
import socket
import time

import httpclient
import wsclient
from e2ebase import E2ETestCase, ws_connect

# With every client answering the close, the drain ends as soon as the last
# connection is gone: far sooner than DRAIN_TIMEOUT_MS (30 s by default).
PROMPT_EXIT_S = 5.0


def connection_refused(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1.0)
    except ConnectionRefusedError:
        return True
    s.close()
    return False


class Drain(E2ETestCase):

    def drain_with_clients(self, sig):
        p = self.start_server()
        idle = self.http(p.port)
        r = idle.request("GET", "/health")
        self.assertEqual((r.status, r.header("Connection")), (200, "keep-alive"))
        sent_at = []

        async def scenario():
            ws1 = await ws_connect(f"ws://127.0.0.1:{p.port}/ws?principal_id=abc")
            ws2 = await ws_connect(f"ws://127.0.0.1:{p.port}/")
            sent_at.append(time.monotonic())
            p.signal(sig)
            try:
                await asyncio.wait_for(asyncio.gather(ws1.wait_closed(), ws2.wait_closed()), 5)
            except asyncio.TimeoutError:
                self.fail("the WebSockets were not closed within 5 s of the signal")
            return ws1.close_code, ws2.close_code

        codes = self.run_async(scenario())
        self.assertEqual(codes, (1012, 1012), "close codes received by the two WebSockets")
        _, extra = idle.wait_closed(3.0)
        self.assertEqual(extra, b"", "the idle keep-alive connection got bytes instead of a plain close")
        self.eventually(lambda: connection_refused(p.port), "new connections are refused", timeout=3.0)
        code = p.wait_exit(30.0 - (time.monotonic() - sent_at[0]))
        elapsed = time.monotonic() - sent_at[0]
        self.assertEqual(code, 0, f"exit status after {signal.Signals(sig).name}\n{p.log_tail()}")
        self.assertLess(elapsed, PROMPT_EXIT_S,
                        "the server should exit once every connection is gone, not wait for DRAIN_TIMEOUT_MS")

    def test_sigterm_closes_websockets_with_1012_closes_idle_http_and_exits_0(self):
        self.drain_with_clients(signal.SIGTERM)

    def test_sigint_drains_like_sigterm(self):
        self.drain_with_clients(signal.SIGINT)

    def test_request_in_flight_at_sigterm_is_answered_before_the_exit(self):
        # README: "in-flight HTTP requests finish". The head has arrived, the
        # body has not when the drain starts.
        p = self.start_server()
        probe = self.ws(p.port, "/ws")
        c = self.http(p.port)
        partial = b"POST /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n12345"
        self.wait_until_received(p.port, lambda: c.send(partial), len(partial))
        p.signal(signal.SIGTERM)
        f = probe.recv_frame(3.0)  # the drain has begun
        self.assertEqual((f.opcode, f.close_code()), (wsclient.OP_CLOSE, 1012), f"{f!r}")
        c.send(b"67890", tolerate=True)
        r = c.read_response("POST")
        self.assertEqual(r.status, 404, f"{r!r}")
        self.assertEqual(r.header("Connection"), "close", "no keep-alive while draining")
        c.wait_closed(3.0)
        probe.send_close(1012)
        self.assertEqual(p.wait_exit(PROMPT_EXIT_S), 0)

    def wait_until_received(self, port, send, size):
        """Run send() and wait until the server has read its `size` bytes
        (sela_net_received_bytes_total, read over one keep-alive connection
        whose own requests are counted too)."""
        m = self.http(port)
        request = httpclient.request("GET", "/metrics")
        name = "sela_net_received_bytes_total"
        start = self.metrics(conn=m).value(name)
        send()
        reads = 0

        def received():
            nonlocal reads
            reads += 1
            return self.metrics(conn=m).value(name) >= start + size + reads * len(request)
        self.eventually(received, f"the server did not read {size} bytes")

    def test_sigterm_with_no_connections_exits_0_at_once(self):
        p = self.start_server()
        p.signal(signal.SIGTERM)
        self.assertEqual(p.wait_exit(PROMPT_EXIT_S), 0)

    def test_client_that_never_answers_the_close_does_not_stop_the_exit(self):
        p = self.start_server({"WS_CLOSE_TIMEOUT_MS": "1000", "DRAIN_TIMEOUT_MS": "20000"})
        w = self.ws(p.port, "/ws")
        t0 = time.monotonic()
        p.signal(signal.SIGTERM)
        f = w.recv_frame(3.0)
        self.assertEqual((f.opcode, f.close_code()), (wsclient.OP_CLOSE, 1012), f"{f!r}")
        # No reply from the client: the server gives up after WS_CLOSE_TIMEOUT_MS.
        code = p.wait_exit(10.0)
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 0, p.log_tail())
        self.assertLess(elapsed, 1.0 + 3.0, "exit should follow WS_CLOSE_TIMEOUT_MS (1 s), "
                                            "not DRAIN_TIMEOUT_MS (20 s)")

    def second_signal_exits_at_once(self, first, second):
        p = self.start_server({"WS_CLOSE_TIMEOUT_MS": "20000", "HTTP_REQUEST_TIMEOUT_MS": "20000",
                               "DRAIN_TIMEOUT_MS": "20000"})
        w = self.ws(p.port, "/ws")
        # A request half-sent holds the drain: it is left to finish. (A
        # WebSocket whose close frame is written does not: it lingers, and
        # the kernel delivers the rest after the exit.)
        half = self.tcp(p.port)
        half.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        # Accepted (not just queued) before the signal: the metrics request's
        # own connection is one more.
        self.eventually(lambda: self.metrics(p.port).value_or_zero("sela_connections_open", kind="http") >= 2,
                        "the server accepted the half-sent request")
        p.signal(first)
        f = w.recv_frame(3.0)
        self.assertEqual((f.opcode, f.close_code()), (wsclient.OP_CLOSE, 1012), f"{f!r}")
        self.assertTrue(p.alive(), "the drain should wait for the half-sent request")
        t0 = time.monotonic()
        p.signal(second)
        p.wait_exit(2.0)  # any status is allowed
        self.assertLess(time.monotonic() - t0, 2.0)

    def test_second_sigterm_during_drain_exits_at_once(self):
        self.second_signal_exits_at_once(signal.SIGTERM, signal.SIGTERM)

    def test_sigint_during_a_sigterm_drain_exits_at_once(self):
        self.second_signal_exits_at_once(signal.SIGTERM, signal.SIGINT)
