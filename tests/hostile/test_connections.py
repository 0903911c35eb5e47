"""Issue #10, item 5: one source opening more sockets than the server may
hold. The flood gets fast refusals (503 and close, not a wait in the accept
backlog) past MAX_CONNECTIONS and past MAX_CONNECTIONS_PER_SOURCE, while
the reserved slots keep /health and REST served for other clients with
p99 under 50 ms."""

import select
import time

from hostile import HostileCase, read_until_closed, tcp, upgrade


def open_many(port, source, n):
    """Opens n connections that send nothing; returns (held, refusals, seconds
    the slowest refusal took after its connect). A refusal is a 503 the
    server sends and closes at once; the others stay open and silent."""
    socks, opened_at = [], {}
    for _ in range(n):
        s = tcp(port, source=source)
        opened_at[s] = time.monotonic()
        socks.append(s)
    answered = {}
    deadline = time.monotonic() + 1.5
    poller = select.poll()
    by_fd = {s.fileno(): s for s in socks}
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    while len(answered) < len(socks) and time.monotonic() < deadline:
        for fd, _ in poller.poll(50):
            s = by_fd[fd]
            answered[s] = time.monotonic() - opened_at[s]
            poller.unregister(fd)
    held, refused, slowest = [], 0, 0.0
    for s in socks:
        if s not in answered:
            held.append(s)
            continue
        got = read_until_closed(s, timeout=2)
        if got.startswith(b"HTTP/1.1 503 "):
            refused += 1
            slowest = max(slowest, answered[s])
        s.close()
    return held, refused, slowest


class ConnectionFloods(HostileCase):
    ENV = {"MAX_CONNECTIONS": 1000, "WS_HANDSHAKE_TIMEOUT_MS": 60000}

    def test_5_a_flood_from_one_source_is_refused_at_once_and_health_stays_served(self):
        self.serve()
        held = []

        def attack():
            h, refused, slowest = open_many(self.port, "127.0.0.2", 1100)
            held.extend(h)
            # A reserved slot serves REST but takes no WebSocket.
            s = tcp(self.port, source="127.0.0.3")
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            upgrade_answer = read_until_closed(s)
            s.close()
            # The flood holds its sockets while the prober keeps going.
            time.sleep(1.0)
            return refused, slowest, upgrade_answer
        refused, slowest, upgrade_answer = self.under_attack(attack, rss_max_bytes=8 << 20)
        # 1,000 slots less the 64 reserved and the prober's two: the rest of
        # the flood is refused.
        self.assertEqual(len(held), 934)
        self.assertEqual(refused, 166)
        self.assertLess(slowest, 1.0, "a refusal must be fast")
        self.assertEqual(self.metric("sela_connections_refused_total", reason="reserve"), 166)
        self.assertTrue(upgrade_answer.startswith(b"HTTP/1.1 503 "), upgrade_answer[:60])
        self.assertIn(b"Retry-After: 1", upgrade_answer)
        # Once the flood leaves, its source is served again.
        for s in held:
            s.close()
        self.eventually(lambda: self.metric("sela_connections_open", kind="http") < 10, "the flood's sockets close")
        upgrade(self.port, source="127.0.0.2").close()

    def test_5_a_source_past_its_limit_is_refused_and_others_are_not(self):
        self.serve(MAX_CONNECTIONS_PER_SOURCE=100)

        def attack():
            h, refused, slowest = open_many(self.port, "127.0.0.4", 150)
            others, others_refused, _ = open_many(self.port, "127.0.0.5", 50)
            time.sleep(0.5)
            for s in h + others:
                s.close()
            return len(h), refused, slowest, len(others), others_refused
        held, refused, slowest, others, others_refused = self.under_attack(attack, rss_max_bytes=8 << 20)
        self.assertEqual((held, refused), (100, 50))
        self.assertLess(slowest, 1.0)
        self.assertEqual((others, others_refused), (50, 0))
        self.assertEqual(self.metric("sela_connections_refused_total", reason="source"), 50)
