"""Shared test-case base and helpers for the conformance suite."""

import asyncio
import unittest

import websockets

import server
import wsclient

ASYNC_TEST_TIMEOUT = 30.0
RECV_TIMEOUT = 5.0


class ServerTestCase(unittest.TestCase):
    """A test against one running server (configuration SERVER_CONFIG).

    Every connection opened with self.ws()/self.raw() is closed after the
    test, and the test fails if the server process died during it.
    """

    SERVER_CONFIG = "default"

    def setUp(self):
        self.server = server.get(self.SERVER_CONFIG)
        self.port = self.server.port
        self._conns = []

    def tearDown(self):
        for c in self._conns:
            c.close()
        self._conns.clear()
        self.server.check_alive()

    # Raw connections -----------------------------------------------------
    def ws(self, path="/", **kw):
        """An open raw WebSocket (handshake done and verified)."""
        c = wsclient.RawWebSocket.connect(self.port, path, **kw)
        self._conns.append(c)
        return c

    def tcp(self, **kw):
        """A plain TCP connection to the server."""
        c = wsclient.RawConn(self.port, **kw)
        self._conns.append(c)
        return c

    # websockets library ------------------------------------------------
    def run_async(self, coro, timeout=ASYNC_TEST_TIMEOUT):
        async def bounded():
            return await asyncio.wait_for(coro, timeout)
        return asyncio.run(bounded())

    def uri(self, path="/"):
        return f"ws://127.0.0.1:{self.port}{path}"


def connect(port, path="/", **kw):
    """websockets client connection with no extensions and no size limit."""
    opts = dict(compression=None, max_size=None, ping_interval=None,
                open_timeout=5, close_timeout=5)
    opts.update(kw)
    return websockets.connect(f"ws://127.0.0.1:{port}{path}", **opts)


async def recv(ws, timeout=RECV_TIMEOUT):
    return await asyncio.wait_for(ws.recv(), timeout)


async def assert_echo(tc, ws, message, timeout=RECV_TIMEOUT):
    """Send `message` (str/bytes, or an iterable of fragments) and check the echo."""
    if isinstance(message, (str, bytes)):
        expected = message
    else:
        parts = list(message)
        expected = "".join(parts) if parts and isinstance(parts[0], str) else b"".join(parts)
        message = parts
    await ws.send(message)
    got = await recv(ws, timeout)
    tc.assertIs(type(got), type(expected), "echo has the wrong message type (text vs binary)")
    if got != expected:
        tc.fail(f"echo mismatch: got {len(got)} {'chars' if isinstance(got, str) else 'bytes'}, "
                f"expected {len(expected)}")


def add_tests(cls, cases):
    """Attach generated test methods: cases is an iterable of (name, function, args)."""
    for name, fn, args in cases:
        method_name = "test_" + name
        if hasattr(cls, method_name):
            raise RuntimeError(f"duplicate test name {cls.__name__}.{method_name}")

        def method(self, _fn=fn, _args=args):
            return _fn(self, *_args)
        method.__name__ = method_name
        method.__doc__ = None
        setattr(cls, method_name, method)
    return cls


def pattern(n, seed=0):
    """n deterministic, non-trivial binary bytes."""
    block = bytes((i * 31 + seed * 7 + (i >> 8)) & 0xFF for i in range(256))
    return (block * (n // 256 + 1))[:n]


def text_of(n):
    """A str whose UTF-8 encoding is exactly n bytes (ASCII)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
    return (alphabet * (n // len(alphabet) + 1))[:n]


def mixed_text(n):
    """A str of exactly n UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters."""
    unit = "aé€😀"  # 1 + 2 + 3 + 4 = 10 bytes
    s = unit * (n // 10)
    s += "a" * (n - len(s.encode("utf-8")))
    assert len(s.encode("utf-8")) == n
    return s
