"""What the security tests share: a server per test, the refusal counters
(sela_security_refusals_total{reason}) and a read-only view of the store,
so that each attack can be shown to fail with its documented error, to be
counted, and to change nothing.
"""

import json
import os
import sqlite3

from e2ebase import E2ETestCase

REFUSALS = "sela_security_refusals_total"
STORE_TABLES = ("nodes", "jobs", "api_clients", "uptime_days", "blobs", "referrals")


class SecurityCase(E2ETestCase):

    def serve(self, **env):
        self.server = self.start_server(env={k: str(v) for k, v in env.items()})
        self.port = self.server.port
        return self.server

    # -- counters --------------------------------------------------------
    def refusals(self, reason, port=None):
        v = self.metrics(port or self.port).value(REFUSALS, reason=reason)
        return 0 if v is None else int(v)

    def wait_refusals(self, reason, expected, port=None, timeout=3.0):
        self.wait_metric(port or self.port, expected, REFUSALS, timeout=timeout, reason=reason)

    # -- the store -------------------------------------------------------
    def db_rows(self, sql, server=None):
        server = server or self.server
        path = os.path.join(server.workdir, "data", "sela.db")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def snapshot(self, server=None):
        """Every row of the tables an attack could touch, as text."""
        return {t: json.dumps(self.db_rows(f"SELECT * FROM {t} ORDER BY 1", server), sort_keys=True)
                for t in STORE_TABLES}

    def assert_unchanged(self, before, what, server=None):
        after = self.snapshot(server)
        for t in STORE_TABLES:
            self.assertEqual(after[t], before[t], f"{what}: table {t} changed")


# -- customers ----------------------------------------------------------------

URL = "https://x.com/sela/status/1"
RESULT = [{"id": "1", "text": "hello"}]


def rpc(port, method, path, body=None, key=None, **kw):
    from jobclient import http_call
    return http_call(port, method, "/api/rpc/" + path, body, key, **kw)


def register_customer(port, uuid):
    r = rpc(port, "POST", "registerClient", {"uuid": uuid})
    if r.status != 200:
        raise AssertionError(f"registerClient {uuid}: {r!r}")
    return r.doc["data"]["apiKey"]


def add_job(port, key, url=URL, kind="TWITTER_POST"):
    r = rpc(port, "POST", "addJob", {"url": url, "scrapeType": kind}, key)
    if r.status != 200:
        raise AssertionError(f"addJob: {r!r}")
    return r.doc["data"]["jobId"]
