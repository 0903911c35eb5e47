"""The node-side attacks of issue 11, tried with real v1 clients (today's
apps cannot sign, so v1 is made as safe as it can be): each fails with its
documented reply, is counted, and leaves the victim's state alone."""

import asyncio
import json

from e2ebase import ws_connect
from jobclient import Node, http_call
from secbase import RESULT, SecurityCase, add_job, register_customer


def complete_frame(frame, job_id):
    return frame.get("function") == "JobComplete" and frame.get("jobId") == job_id


class NodeAttacks(SecurityCase):

    def test_an_impostor_connection_cannot_complete_or_steal_the_victims_lease(self):
        # Two sessions of one principal are allowed here so that the impostor
        # and the victim are live at once (by default the impostor would
        # replace the victim: the next test).
        self.serve(MAX_SESSIONS_PER_PRINCIPAL=2)
        key = register_customer(self.port, "lease-owner")

        async def go():
            victim = await Node.connect(self.port, "victim-node")
            job_id = await asyncio.to_thread(add_job, self.port, key)
            await victim.dispatch(job_id)
            impostor = await Node.connect(self.port, "victim-node")
            before = self.snapshot()
            counted = self.refusals("result_not_leased")
            forged = await impostor.result(job_id, json.dumps([{"forged": True}]))
            self.assertEqual(forged, {"function": "Error", "message": "Error processing scrape result: Job is not "
                                      "leased to this node", "status": "ERROR", "errorType": "JOB_NOT_ASSIGNED"})
            self.wait_refusals("result_not_leased", counted + 1)
            self.assert_unchanged(before, "forged result")
            # The real node's result is the one stored.
            self.assertTrue(complete_frame(await victim.result(job_id, json.dumps(RESULT)), job_id))
            job = self.db_rows(f"SELECT state, node_client_id FROM jobs WHERE job_id = '{job_id}'")
            self.assertEqual(job, [("completed", victim.client_id)])
            await victim.close()
            await impostor.close()
        self.run_async(go())

    def test_a_newer_registration_replaces_the_older_and_its_lease_ends(self):
        self.serve()
        key = register_customer(self.port, "replaced")

        async def go():
            old = await Node.connect(self.port, "roaming-node")
            job_id = await asyncio.to_thread(add_job, self.port, key)
            await old.dispatch(job_id)
            counted = self.refusals("session_replaced")
            new = await Node.connect(self.port, "roaming-node")
            await asyncio.wait_for(old.ws.wait_closed(), 5)
            self.assertEqual((old.ws.close_code, old.ws.close_reason),
                             (4409, "Replaced by a newer connection of this node"))
            self.wait_refusals("session_replaced", counted + 1)
            # The lease went with the old connection: the job comes back to the
            # node on its new connection, with its new clientId.
            frame = await new.dispatch(job_id)
            self.assertEqual(frame["client_id"], new.client_id)
            self.assertTrue(complete_frame(await new.result(job_id, json.dumps(RESULT)), job_id))
            await new.close()
        self.run_async(go())

    def test_client_status_of_a_second_session_does_not_switch_the_node_off(self):
        self.serve(MAX_SESSIONS_PER_PRINCIPAL=2)

        async def go():
            victim = await Node.connect(self.port, "status-victim")
            attacker = await Node.connect(self.port, "status-victim")
            await attacker.send("CLIENT_STATUS", data=json.dumps({"isActive": False}))
            self.assertEqual((await attacker.reply())["function"], "ClientStatusUpdate")
            r = await asyncio.to_thread(http_call, self.port, "GET", "/api/node/auth/check",
                                        headers=[("x-user-principal-id", "status-victim")])
            self.assertEqual(r.status, 200, r)
            await victim.send("PING")
            self.assertEqual((await victim.reply())["function"], "Notification")
            await victim.close()
            await attacker.close()
        self.run_async(go())

    def test_a_message_naming_another_principal_is_refused_and_counted(self):
        self.serve()

        async def go():
            victim = await Node.connect(self.port, "named-victim")
            attacker = await Node.connect(self.port, "named-attacker")
            before = self.snapshot()
            await attacker.ws.send(json.dumps({"text": "SPEED_TEST", "user_principal_id": "named-victim", "data": 9}))
            reply = await attacker.reply()
            # The original's text, naming the principal the message claimed.
            self.assertEqual(reply["message"], "Node message handling failed: Authentication failed for user: "
                                               "named-victim")
            self.assertEqual(self.refusals("principal_mismatch"), 1)
            self.assert_unchanged(before, "spoofed user_principal_id")
            await victim.close()
            await attacker.close()
        self.run_async(go())

    def test_a_message_flood_closes_the_connection_with_1008(self):
        self.serve(RATE_NODE_MESSAGES_PER_CONNECTION="20:60")

        async def go():
            node = await Node.connect(self.port, "flooder")
            for _ in range(40):
                try:
                    await node.ws.send(json.dumps({"text": "HEARTBEAT", "user_principal_id": "flooder"}))
                except Exception:
                    break
            await asyncio.wait_for(node.ws.wait_closed(), 5)
            self.assertEqual((node.ws.close_code, node.ws.close_reason), (1008, "Too many messages"))
            acks = [f for f in node.log if f.get("function") == "HeartbeatAck"]
            self.assertLessEqual(len(acks), 21)
        self.run_async(go())
        self.assertEqual(self.refusals("message_flood"), 1)

    def register_from_one_source(self, count, path_of, frame_of):
        """Registers `count` nodes one after another from 127.0.0.1: connect
        to path_of(i), send frame_of(i); returns (accepted, refused), each
        refusal checked to name the per-source limit and close with 4429."""
        async def go():
            accepted = refused = 0
            for i in range(count):
                ws = await ws_connect(f"ws://127.0.0.1:{self.port}{path_of(i)}")
                await ws.send(frame_of(i))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if reply.get("success"):
                    accepted += 1
                else:
                    refused += 1
                    self.assertTrue(reply["error"].startswith("Registration failed: too many registrations from "
                                                              "this address; retry in "), reply)
                    await asyncio.wait_for(ws.wait_closed(), 5)
                    self.assertEqual(ws.close_code, 4429)
                await ws.close()
            return accepted, refused
        return self.run_async(go())

    def test_registrations_from_one_source_are_limited(self):
        self.serve(RATE_NODE_REGISTRATIONS_PER_SOURCE="30:60")
        accepted, refused = self.register_from_one_source(45, lambda i: f"/?principal_id=mass-{i}", lambda i: "{}")
        # 30 at once and one a second after: a few more may pass while the loop runs.
        self.assertGreaterEqual(accepted, 30)
        self.assertLessEqual(accepted, 33)
        self.assertEqual(self.refusals("registration_limited"), refused)
        self.assertEqual(self.db_rows("SELECT count(*) FROM nodes"), [(accepted,)])

    def test_registrations_naming_the_principal_in_the_first_frame_are_limited_by_source_too(self):
        # Such a connection has no session until it speaks (issue 16: memory
        # per idle WebSocket), so its source is asked of the server then.
        self.serve(RATE_NODE_REGISTRATIONS_PER_SOURCE="5:60")
        accepted, refused = self.register_from_one_source(
            8, lambda i: "/", lambda i: json.dumps({"principal_id": f"framed-{i}"}))
        self.assertGreaterEqual(accepted, 5)
        self.assertLessEqual(accepted, 6)
        self.assertEqual(self.refusals("registration_limited"), refused)
        self.assertEqual(self.db_rows("SELECT count(*) FROM nodes"), [(accepted,)])

    def test_silent_connections_time_out_unregistered_while_one_that_speaks_late_registers(self):
        self.serve(REGISTRATION_TIMEOUT_MS=1500)

        async def go():
            silent = [await ws_connect(f"ws://127.0.0.1:{self.port}/") for _ in range(20)]
            late = await ws_connect(f"ws://127.0.0.1:{self.port}/")
            await late.send(json.dumps({"principal_id": "late-speaker"}))
            reply = json.loads(await asyncio.wait_for(late.recv(), 5))
            self.assertTrue(reply.get("success"), reply)
            for ws in silent:
                await asyncio.wait_for(ws.wait_closed(), 10)
                self.assertEqual(ws.close_code, 1008)
                self.assertEqual(ws.close_reason, "Registration timeout")
            # The registered one outlives the registration timeout.
            await late.send(json.dumps({"text": "HEARTBEAT", "user_principal_id": "late-speaker"}))
            self.assertEqual(json.loads(await asyncio.wait_for(late.recv(), 5))["function"], "HeartbeatAck")
            await late.close()
        self.run_async(go())
        self.assertEqual(self.metrics(self.port).value("sela_node_registration_timeouts_total"), 20)
        self.assertEqual(self.db_rows("SELECT principal FROM nodes"), [("late-speaker",)])

    def test_speed_reports_are_throttled(self):
        self.serve()

        async def go():
            node = await Node.connect(self.port, "boaster")
            replies = []
            for _ in range(50):
                await node.send("INTERNET_SPEED_TEST", data={"downloadSpeed": 100000, "ping": 0})
                replies.append((await node.reply())["function"])
            self.assertEqual(replies.count("SpeedTestComplete"), 3)
            self.assertEqual(replies.count("Error"), 47)
            await node.close()
        self.run_async(go())
        self.assertEqual(self.refusals("speed_report_throttled"), 47)
        # What the store keeps is what the first three said, nothing more.
        self.assertEqual(self.db_rows("SELECT download_speed FROM nodes WHERE principal = 'boaster'"), [(100000.0,)])
