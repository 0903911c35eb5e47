"""An honest node and a crowd of 100 fake nodes from one source address
(issue 11). Per-source limits stop floods, not crowds: hundreds of phones
share one carrier-NAT address, so the crowd registers. Fairness comes from
how work is shared: the fakes' speed claims are throttled and capped, and
the ranking prefers the round trip the server measured, which fakes that do
not answer pings never get; so the honest node gets and keeps its jobs."""

import asyncio
import json
import time

import wsclient
from secbase import RESULT, SecurityCase, add_job, register_customer
from v2client import Identity, V2Node

CROWD = 100


class FakeNode:
    """A scripted v1 node on a raw socket: it registers and boasts, and never
    answers the server's pings."""

    def __init__(self, port, i):
        self.principal = f"crowd-{i:03d}"
        self.ws = wsclient.RawWebSocket.connect(port, f"/?principal_id={self.principal}")
        self.ws.send_text("{}")
        reply = self.next_text()
        assert reply.get("success") is True, reply

    def next_text(self, timeout=5):
        while True:
            f = self.ws.recv_frame(timeout)
            if f.opcode == wsclient.OP_TEXT:
                return json.loads(f.payload)

    def boast(self, times):
        """Speed tests claiming the fastest link there is; the replies."""
        out = []
        for _ in range(times):
            self.ws.send_text(json.dumps({"text": "INTERNET_SPEED_TEST", "user_principal_id": self.principal,
                                          "data": {"downloadSpeed": 100000, "ping": 0}}))
            out.append(self.next_text()["function"])
        return out


class Crowd(SecurityCase):

    def test_the_honest_node_keeps_its_jobs_and_the_crowd_is_throttled(self):
        self.serve()
        key = register_customer(self.port, "crowd-customer")

        async def go():
            honest = await V2Node.connect(self.port, Identity.fresh(label="honest"))
            await honest.request({"type": "speed_test", "download_mbps": 40, "ping_ms": 30})
            self.eventually(lambda: self.metrics().value("sela_node_pongs_total") >= 1,
                            "the honest node's round trip measured")
            crowd = await asyncio.to_thread(lambda: [FakeNode(self.port, i) for i in range(CROWD)])
            # Every fake of the crowd registered from the same address.
            self.assertEqual(self.metrics().value("sela_nodes_registered"), CROWD + 1)
            replies = await asyncio.to_thread(lambda: [f.boast(10) for f in crowd])
            for r in replies:
                self.assertEqual(r.count("SpeedTestComplete"), 3)
                self.assertEqual(r.count("Error"), 7)

            async def work(n):
                """Takes n jobs and completes them."""
                for _ in range(n):
                    j = await honest.job()
                    ok = await honest.request({"type": "result", "job_id": j["job_id"], "content": RESULT})
                    self.assertEqual(ok["type"], "result_ok", ok)

            # Jobs one after another: each goes to the honest node (its round
            # trip is measured), none to a crowd that claims to be 2,500 times
            # faster, and each completed job earns it a slot.
            started = time.monotonic()
            for _ in range(5):
                await asyncio.to_thread(add_job, self.port, key)
                await work(1)
            self.assertLess(time.monotonic() - started, 10)
            # A burst: the honest node has 6 slots now, each fake one at most.
            burst = [await asyncio.to_thread(add_job, self.port, key) for _ in range(150)]
            await work(6)
            held = self.db_rows("SELECT node_principal, count(*) FROM jobs WHERE state = 'ongoing' "
                                "GROUP BY node_principal")
            self.assertTrue(all(n == 1 for p, n in held if p.startswith("crowd-")), held)
            # It goes on getting work while the crowd sits on its one job each.
            await work(4)
            self.assertEqual(len(burst), 150)
            for f in crowd:
                f.ws.close()
            await honest.close()
        self.run_async(go(), timeout=60)
        self.assertEqual(self.refusals("speed_report_throttled"), CROWD * 7)
        rows = self.db_rows("SELECT count(*), sum(node_principal LIKE 'crowd-%') FROM jobs WHERE state = 'completed'")
        self.assertEqual(rows, [(15, 0)])
