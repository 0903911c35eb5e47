"""Issue #10, item 7: the small ones. Long ids are the caller's mistake
(400 or 404, never 500); data files readable by the server's user only; an
admin token too short to be safe stops start-up."""

import os
import stat

import proc
from hostile import HostileCase
from jobclient import http_call


class SmallOnes(HostileCase):

    def test_7_a_10000_character_uuid_or_job_id_is_a_client_error(self):
        self.serve()
        long_id = "u" * 10000
        r = http_call(self.port, "POST", "/api/rpc/registerClient", {"uuid": long_id})
        self.assertEqual(r.status, 400, r)
        r = http_call(self.port, "POST", "/api/rpc/registerClient", {"uuid": "small-one"})
        key = r.doc["data"]["apiKey"]
        # getClientStatus needs the caller's own key (issue 11); the uuid's
        # form is checked before it is compared with the key's.
        r = http_call(self.port, "GET", f"/api/rpc/getClientStatus?uuid={long_id}", key=key)
        self.assertEqual(r.status, 400, r)
        for path in (f"/api/rpc/job/id?id={long_id}", f"/api/rpc/getFileContent?jobID={long_id}",
                     f"/api/rpc/job/{long_id}/download"):
            r = http_call(self.port, "GET", path, key=key)
            self.assertEqual(r.status, 404, f"{path[:40]}: {r}")
        self.assertEqual(self.metric("sela_http_requests_total", route="/api/rpc/getClientStatus", status="500"), 0)

    def test_7_data_files_are_created_readable_by_the_owner_only(self):
        server = self.serve()
        data = os.path.join(server.workdir, "data")
        self.assertEqual(self.get("/ready", self.port).status, 200)
        for name in ("sela.db", "sela.db-wal", "sela.db-shm"):
            mode = stat.S_IMODE(os.stat(os.path.join(data, name)).st_mode)
            self.assertEqual(mode, 0o600, f"{name}: {oct(mode)}")

    def test_7_an_admin_token_shorter_than_32_characters_stops_start_up(self):
        for token in ("a", "x" * 31):
            code, output, port_written = proc.run_expecting_failure({"ADMIN_TOKEN": token})
            self.assertGreater(code, 0)
            self.assertIn("ADMIN_TOKEN: must be at least 32 characters", output)
            self.assertNotIn(token if len(token) > 1 else "=a", output, "the token is not echoed")
            self.assertFalse(port_written)
        server = self.serve(ADMIN_TOKEN="k" * 32)
        self.assertEqual(self.get("/health", server.port).status, 200)
