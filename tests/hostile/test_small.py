"""Issue #10, item 7: the small ones. Data files readable by the server's
user only; an admin token too short to be safe stops start-up."""

import os
import stat

import proc
from hostile import HostileCase


class SmallOnes(HostileCase):

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
