"""More connections than the server may hold: it pauses accepting, keeps
serving who is connected, and serves the waiting ones once others leave."""

import socket
import struct

from e2ebase import E2ETestCase

PRLIMIT = ["prlimit", "--nofile=96:96", "--"]


class ConnectionLimit(E2ETestCase):

    def over_the_limit(self, p, total, limit):
        # Connections are accepted in the order they were opened (the
        # kernel's accept queue), so the first ones are inside the limit.
        conns = [self.http(p.port) for _ in range(total)]
        first = conns[0]
        r = first.request("GET", "/health")
        self.assertEqual(r.status, 200, "an accepted connection must keep being served")

        m = self.metrics(conn=first)
        self.assertGreater(m.value_or_zero("sela_accept_paused_total"), 0,
                           "accepting should have paused at the limit")
        open_now = m.value_or_zero("sela_connections_open", kind="http") + \
            m.value_or_zero("sela_connections_open", kind="websocket")
        self.assertLessEqual(open_now, limit, "more connections open than the limit")

        self.assertEqual(conns[1].request("GET", "/api/health").status, 200)

        # The last connection waits beyond the limit; once every other one
        # but the first is gone (accepted or still waiting), it is accepted
        # and served.
        late = conns[-1]
        late.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        for c in conns[1:-1]:
            c.close()
        r = late.read_response(timeout=5.0)
        self.assertEqual(r.status, 200, "a waiting connection was not served after others closed")
        self.assertEqual(first.request("GET", "/health").status, 200)
        p.check_alive()

    def test_max_connections_pauses_accepting_and_resumes(self):
        p = self.start_server({"MAX_CONNECTIONS": "20"})
        self.over_the_limit(p, total=40, limit=20)

    def test_descriptor_limit_pauses_accepting_and_resumes(self):
        # 96 descriptors: the server must keep some for itself, so it holds
        # fewer than 96 connections; 150 are offered.
        p = self.start_server(wrapper=PRLIMIT)
        self.over_the_limit(p, total=150, limit=96)

    def test_connections_beyond_the_limit_that_give_up_do_not_harm_the_server(self):
        p = self.start_server({"MAX_CONNECTIONS": "5"})
        keep = [self.http(p.port) for _ in range(5)]
        # Waiting connections that reset before being accepted.
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", p.port), timeout=2)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        for c in keep[1:]:
            c.close()
        self.assertEqual(keep[0].request("GET", "/health").status, 200)
        self.assertEqual(self.get("/health", p.port).status, 200,
                         "a new connection was not served once the others closed")
