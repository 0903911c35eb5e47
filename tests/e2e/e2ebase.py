"""Shared test-case base and helpers for the end-to-end suite.

The raw HTTP and WebSocket clients are the conformance suite's
(tests/conformance/httpclient.py and wsclient.py): a strict response parser
and a frame-level WebSocket client.
"""

import asyncio
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CONFORMANCE = os.path.join(os.path.dirname(HERE), "conformance")
if CONFORMANCE not in sys.path:
    sys.path.append(CONFORMANCE)

import websockets  # noqa: E402

import httpclient  # noqa: E402  (tests/conformance)
import proc  # noqa: E402
import promtext  # noqa: E402
import wsclient  # noqa: E402  (tests/conformance)

ASYNC_TEST_TIMEOUT = 30.0

# Servers shared by the tests of a class that only read from them. Tests that
# count, signal, or need special settings start their own.
SHARED_CONFIGS = {
    "default": {},
}
_shared = {}


def shared_server(name):
    p = _shared.get(name)
    if p is not None and p.alive():
        return p
    p = proc.ServerProcess(env=SHARED_CONFIGS[name], tag=f"shared-{name}").start()
    _shared[name] = p
    return p


class E2ETestCase(unittest.TestCase):
    """A test against real sela-server processes.

    SHARED names a shared server configuration (self.server, self.port), or
    None. Servers started with start_server() are killed after the test;
    every server must still be running at the end of the test unless the test
    waited for its exit. Connections opened through the helpers are closed.
    """

    SHARED = None

    def setUp(self):
        self._conns = []
        self._servers = []
        if self.SHARED:
            self.server = shared_server(self.SHARED)
            self.port = self.server.port
            self._servers.append(self.server)

    def tearDown(self):
        for c in self._conns:
            try:
                c.close()
            except Exception:
                pass
        self._conns.clear()
        died = [p for p in self._servers if p.died_unexpectedly()]
        for p in self._servers:
            if p is not _shared.get(self.SHARED):
                p.stop()
        if died:
            raise AssertionError(f"server died during the test ({proc.describe_status(died[0].proc.returncode)})\n"
                                 f"{died[0].log_tail()}")

    # -- servers ---------------------------------------------------------
    def start_server(self, env=None, **kw):
        p = proc.ServerProcess(env=env, tag=kw.pop("tag", self._testMethodName[5:30]), **kw)
        self._servers.append(p)
        p.start()
        return p

    def adopt(self, p):
        """Have a server started elsewhere killed after the test."""
        self._servers.append(p)
        return p

    # -- connections -----------------------------------------------------
    def http(self, port=None, **kw):
        c = httpclient.HttpConn(port or self.port, **kw)
        self._conns.append(c)
        return c

    def tcp(self, port=None, **kw):
        c = wsclient.RawConn(port or self.port, **kw)
        self._conns.append(c)
        return c

    def ws(self, port=None, path="/", **kw):
        c = wsclient.RawWebSocket.connect(port or self.port, path, **kw)
        self._conns.append(c)
        return c

    def get(self, path, port=None, method="GET", headers=()):
        """One request on a new connection."""
        c = self.http(port)
        try:
            return c.request(method, path, headers=headers)
        finally:
            c.close()

    def metrics(self, port=None, conn=None):
        """GET /metrics (on `conn` if given) parsed strictly."""
        r = conn.request("GET", "/metrics") if conn else self.get("/metrics", port)
        self.assertEqual(r.status, 200, f"/metrics: {r!r}")
        return promtext.parse(r.body.decode("utf-8"))

    def eventually(self, fn, what, timeout=3.0, interval=0.05):
        """Poll fn() until it returns a truthy value; fail with `what` after timeout."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = fn()
            if last:
                return last
            if time.monotonic() >= deadline:
                self.fail(f"{what} (not true within {timeout:.1f} s)")
            time.sleep(interval)

    def wait_metric(self, port, expected, name, timeout=3.0, **labels):
        """Poll /metrics until name{labels} == expected; fail with the last value."""
        seen = []

        def check():
            v = self.metrics(port).value(name, **labels)
            seen.append(v)
            return v == expected
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() >= deadline:
                self.fail(f"{name}{labels} is {seen[-1]}, expected {expected} (waited {timeout:.1f} s)")
            time.sleep(0.05)

    # -- asyncio ---------------------------------------------------------
    def run_async(self, coro, timeout=ASYNC_TEST_TIMEOUT):
        async def bounded():
            return await asyncio.wait_for(coro, timeout)
        return asyncio.run(bounded())


def ws_connect(uri, **kw):
    """websockets client with no compression and no automatic pings."""
    opts = dict(compression=None, max_size=None, ping_interval=None, open_timeout=5, close_timeout=5)
    opts.update(kw)
    return websockets.connect(uri, **opts)

