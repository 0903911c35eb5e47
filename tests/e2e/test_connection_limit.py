"""More connections than the server may hold: past the limit it refuses new
ones at once (503 and close, not a wait in the accept backlog), keeps
serving who is connected, and takes new connections again once others
leave. The last slots below the limit (RESERVED_CONNECTIONS, at most a
quarter of them) go only to sources holding fewer than 4 connections."""

import socket
import struct
import time

from e2ebase import E2ETestCase

PRLIMIT = ["prlimit", "--nofile=96:96", "--"]


class ConnectionLimit(E2ETestCase):

    def over_the_limit(self, p, total, accepted):
        conns = [self.http(p.port) for _ in range(total)]
        # Connections are accepted in the order they were opened (the
        # kernel's accept queue), so the first ones are inside the limit and
        # the rest are answered 503 at once.
        first = conns[0]
        self.assertEqual(first.request("GET", "/health").status, 200, "an accepted connection keeps being served")
        t0 = time.monotonic()
        refusal = conns[-1].read_response(timeout=2.0)
        self.assertEqual(refusal.status, 503)
        self.assertEqual(refusal.header("Retry-After"), "1")
        self.assertLess(time.monotonic() - t0, 2.0)

        m = self.metrics(conn=first)
        refused = m.value_or_zero("sela_connections_refused_total", reason="reserve") + \
            m.value_or_zero("sela_connections_refused_total", reason="limit")
        self.assertEqual(refused, total - accepted)
        open_now = m.value_or_zero("sela_connections_open", kind="http") + \
            m.value_or_zero("sela_connections_open", kind="websocket")
        self.assertEqual(open_now, accepted)
        self.assertEqual(conns[1].request("GET", "/api/health").status, 200)

        # Once the others are gone, a new connection is served.
        for c in conns[1:]:
            c.close()
        self.eventually(lambda: self.get("/health", p.port).status == 200,
                        "a new connection is served once the others closed")
        self.assertEqual(first.request("GET", "/health").status, 200)
        p.check_alive()

    def test_max_connections_refuses_at_once_and_serves_again(self):
        # 20 slots, 5 of them reserved: one source gets 15.
        p = self.start_server({"MAX_CONNECTIONS": "20"})
        self.over_the_limit(p, total=40, accepted=15)

    def test_descriptor_limit_refuses_at_once_and_serves_again(self):
        # 96 descriptors: the server keeps half for itself (48 slots, 12
        # reserved), and refuses the rest of 150 without running out.
        p = self.start_server(wrapper=PRLIMIT)
        self.over_the_limit(p, total=150, accepted=36)

    def test_connections_beyond_the_limit_that_give_up_do_not_harm_the_server(self):
        p = self.start_server({"MAX_CONNECTIONS": "5", "RESERVED_CONNECTIONS": "0"})
        keep = [self.http(p.port) for _ in range(5)]
        # Connections that reset as soon as they are made.
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", p.port), timeout=2)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        for c in keep[1:]:
            c.close()
        self.assertEqual(keep[0].request("GET", "/health").status, 200)
        self.eventually(lambda: self.get("/health", p.port).status == 200,
                        "a new connection was not served once the others closed")
