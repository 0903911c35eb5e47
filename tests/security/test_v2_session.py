"""A v2 session after welcome: request ids echoed, seq on every push, jobs
and results, resume (on a new connection while the old one still looks
alive, and after a close), drain, and the v1 door shut for a principal that
signed in (docs/protocol-v2.md)."""

import asyncio
import json
import os
import signal

from e2ebase import ws_connect
from jobclient import http_call
from secbase import RESULT, SecurityCase, add_job, register_customer, rpc
from v2client import Identity, V2Node


class Session(SecurityCase):

    def test_jobs_carry_seq_and_results_are_acknowledged_by_request_id(self):
        self.serve()
        key = register_customer(self.port, "v2-jobs")

        async def go():
            node = await V2Node.connect(self.port, Identity.fresh(label="worker"))
            job_id = await asyncio.to_thread(add_job, self.port, key)
            job = await node.job()
            self.assertEqual((job["type"], job["job_id"], job["seq"]), ("job", job_id, 1))
            self.assertEqual(job["kind"], "TWITTER_POST")
            self.assertGreater(job["lease_expires_ms"], 0)
            ok = await node.request({"type": "result", "job_id": job_id, "content": RESULT})
            self.assertEqual((ok["type"], ok["job_id"]), ("result_ok", job_id))
            self.assertGreaterEqual(ok["reward_sp"], 0)
            # The same result again is acknowledged; other content is a conflict.
            again = await node.request({"type": "result", "job_id": job_id, "content": RESULT})
            self.assertEqual(again["type"], "result_ok")
            counted = self.refusals("result_conflict")
            other = await node.request({"type": "result", "job_id": job_id, "content": [{"x": 1}]})
            self.assertEqual((other["type"], other["code"]), ("error", "result_conflict"))
            self.wait_refusals("result_conflict", counted + 1)
            # Pull: nothing waits.
            self.assertEqual((await node.request({"type": "job_request"}))["type"], "no_job")
            bad = await node.request({"type": "speed_test", "download_mbps": -1})
            self.assertEqual((bad["type"], bad["code"]), ("error", "bad_field"))
            unknown = await node.request({"type": "TWITTER_SCRAPE_RESULT"})
            self.assertEqual(unknown["code"], "unknown_type")
            await node.close()
        self.run_async(go())

    def test_a_large_result_travels_as_a_file_named_by_result_file(self):
        """A result too large for a frame: uploaded over /api/files tied to
        the job, then named by result_file; refusals keep the lease."""
        import fileclient as fc
        self.serve()
        key = register_customer(self.port, "v2-large")
        items = [{"id": str(i), "text": "x" * 60} for i in range(20_000)]
        result = json.dumps(items).encode()  # About 1.5 MiB.

        async def go():
            node = await V2Node.connect(self.port, Identity.fresh(label="large"))
            other = await V2Node.connect(self.port, Identity.fresh(label="other"))
            job_id = await asyncio.to_thread(add_job, self.port, key)
            job = await node.job()
            self.assertEqual(job["job_id"], job_id)
            # Signed principals call REST with their session's token.
            file_id = await asyncio.to_thread(fc.upload, self.port, "token:" + node.token, result, 512 * 1024, None,
                                              job_id, "application/json")
            foreign = await asyncio.to_thread(fc.upload, self.port, "token:" + other.token, b"{}", 2, None, None,
                                              "application/json")
            # A streamed (raw) chunk is judged by the same token rule.
            forged = await asyncio.to_thread(fc.put_raw, self.port, "token:" + node.token[:-2] + "xx", file_id, 0, b"x")
            self.assertEqual(forged.status, 401, forged)
            self.assertIn(b"node token", forged.body)
            refused = [
                ({"type": "result_file", "job_id": job_id, "file_id": "file_1_0123456789abcdef"}, "no such file"),
                ({"type": "result_file", "job_id": job_id, "file_id": foreign}, "not this node's file"),
                ({"type": "result_file", "job_id": job_id}, "file_id"),
                ({"type": "result_file", "job_id": job_id, "file_id": file_id, "content": []}, "no content"),
            ]
            for frame, says in refused:
                bad = await node.request(frame)
                self.assertEqual((bad["type"], bad["code"]), ("error", "invalid_result"), bad)
                self.assertIn(says, bad["message"])
            # Another node naming this node's file holds no lease.
            stolen = await other.request({"type": "result_file", "job_id": job_id, "file_id": file_id})
            self.assertEqual(stolen["code"], "job_not_leased")
            ok = await node.request({"type": "result_file", "job_id": job_id, "file_id": file_id})
            self.assertEqual((ok["type"], ok["job_id"]), ("result_ok", job_id), ok)
            await other.close()
            await node.close()
            return job_id, file_id

        job_id, file_id = self.run_async(go())
        r = rpc(self.port, "GET", f"job/id?id={job_id}", key=key)
        self.assertEqual(r.status, 200, r)
        job = r.doc["data"]
        self.assertEqual(job["state"], "completed")
        self.assertEqual(job["resultFileId"], file_id)
        self.assertEqual(job["storedID"], fc.sha256(result))
        content = rpc(self.port, "GET", f"getFileContent?jobID={job_id}", key=key)
        self.assertEqual(content.status, 200, content)
        self.assertEqual(json.loads(content.doc["data"]["ok"]), items)

    def test_a_token_request_gets_a_fresh_token_and_when_it_expires(self):
        self.serve(NODE_TOKEN_TTL_MS=60000)

        async def go():
            node = await V2Node.connect(self.port, Identity.fresh(label="token"))
            self.assertTrue(node.token.startswith("sn1."))
            pong = await node.request({"type": "ping"})
            fresh = await node.request({"type": "token"})
            self.assertEqual(fresh["type"], "token")
            self.assertTrue(fresh["token"].startswith("sn1."))
            # Its expiry is one NODE_TOKEN_TTL_MS from now (the server's wall
            # clock, read from the pong just before), as the welcome's was.
            self.assertGreaterEqual(fresh["token_expires_ms"], pong["time_ms"] + 60000)
            self.assertLess(fresh["token_expires_ms"], pong["time_ms"] + 60000 + 5000)
            self.assertGreaterEqual(fresh["token_expires_ms"], node.welcome["token_expires_ms"])
            await node.close()
        self.run_async(go())

    def test_resume_on_a_new_connection_keeps_the_lease_and_replays_what_was_missed(self):
        self.serve(ADMIN_TOKEN="a" * 40)
        key = register_customer(self.port, "v2-resume")
        ident = Identity.fresh(label="roamer")

        async def go():
            first = await V2Node.connect(self.port, ident)
            job_id = await asyncio.to_thread(add_job, self.port, key)
            job = await first.job()
            # The node's network changes: the old connection still looks
            # alive to the server, and a notice goes there unread.
            r = await asyncio.to_thread(http_call, self.port, "POST", "/api/node/broadcast",
                                        {"text": "hello", "user_principal_id": "x"}, None,
                                        auth_header="Bearer " + "a" * 40)
            self.assertEqual(r.status, 200, r)
            second = await V2Node.connect(self.port, ident,
                                          resume={"session_id": first.session_id, "last_seq": 0})
            self.assertEqual((second.welcome["resumed"], second.session_id, second.client_id),
                             (True, first.session_id, first.client_id))
            replayed = [await second.next_frame(), await second.next_frame()]
            self.assertEqual([(f["type"], f["seq"]) for f in replayed], [("job", 1), ("notice", 2)])
            self.assertEqual(replayed[0]["job_id"], job_id)
            await asyncio.wait_for(first.ws.wait_closed(), 5)
            self.assertEqual(first.ws.close_code, 4409)
            # The lease moved with the session: the result is accepted.
            ok = await second.request({"type": "result", "job_id": job["job_id"], "content": RESULT})
            self.assertEqual(ok["type"], "result_ok", ok)
            await second.close()
        self.run_async(go())

    def test_resume_after_a_close_continues_the_session(self):
        self.serve()
        ident = Identity.fresh(label="returner")

        async def go():
            first = await V2Node.connect(self.port, ident)
            await first.close()
            second = await V2Node.connect(self.port, ident, resume={"session_id": first.session_id, "last_seq": 0})
            self.assertEqual((second.welcome["resumed"], second.client_id), (True, first.client_id))
            # An unknown session is no error: a fresh one begins.
            third = await V2Node.connect(self.port, Identity.fresh(label="stranger"),
                                         resume={"session_id": "AAAAAAAAAAAAAAAAAAAAAA", "last_seq": 3})
            self.assertEqual(third.welcome["resumed"], False)
            await second.close()
            await third.close()
        self.run_async(go())
        self.assertEqual(self.metrics().value("sela_node_v2_resumes_total"), 1)

    def test_drain_is_announced_before_the_close(self):
        server = self.serve()

        async def go():
            node = await V2Node.connect(self.port, Identity.fresh(label="drained"))
            os.kill(server.proc.pid, signal.SIGTERM)
            drain = await node.next_frame()
            self.assertEqual((drain["type"], drain["seq"]), ("drain", 1))
            self.assertGreater(drain["reconnect_after_ms"], 0)
            await asyncio.wait_for(node.ws.wait_closed(), 5)
            self.assertEqual(node.ws.close_code, 1012)
        self.run_async(go())
        server.wait_exit(10)

    def test_v1_registration_of_a_signed_principal_is_refused_and_changes_nothing(self):
        self.serve()
        ident = Identity.fresh(label="signed")

        async def go():
            node = await V2Node.connect(self.port, ident)
            await node.close()
            # The store has seen the node leave before the snapshot is taken.
            self.eventually(lambda: self.db_rows(f"SELECT ws_disconnect_ms > 0 FROM nodes WHERE principal = "
                                                 f"'{ident.principal}'") == [(1,)], "disconnect recorded")
            before = self.snapshot()
            counted = self.refusals("v1_refused")
            ws = await ws_connect(f"ws://127.0.0.1:{self.port}/?principal_id={ident.principal}")
            await ws.send("{}")
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            self.assertEqual(reply, {"success": False, "error": "Registration failed: this node signs in "
                                     "with protocol v2; v1 registrations of it are refused"})
            await asyncio.wait_for(ws.wait_closed(), 5)
            self.assertEqual(ws.close_code, 4403)
            self.wait_refusals("v1_refused", counted + 1)
            self.assert_unchanged(before, "v1 of a signed principal")
        self.run_async(go())

    def test_node_auth_signed_refuses_every_v1_connection(self):
        self.serve(NODE_AUTH="signed")

        async def go():
            ws = await ws_connect(f"ws://127.0.0.1:{self.port}/?principal_id=legacy-node")
            await asyncio.wait_for(ws.wait_closed(), 5)
            self.assertEqual((ws.close_code, ws.close_reason),
                             (4403, "Protocol v2 required (Sec-WebSocket-Protocol: sela.v2)"))
            node = await V2Node.connect(self.port, Identity.fresh(label="modern"))
            self.assertEqual((await node.request({"type": "ping"}))["type"], "pong")
            await node.close()
        self.run_async(go())
        self.assertEqual(self.refusals("v1_refused"), 1)
        self.assertEqual(self.db_rows("SELECT count(*) FROM nodes WHERE principal = 'legacy-node'"), [(0,)])
