"""Customers and nodes for the job tests (test_jobs, test_jobs_crash).

Customers speak plain HTTP (http.client, one connection per request, so that
calls can run in parallel threads). Nodes are `websockets` clients that
connect with `?principal_id=P` and register with their first frame (a
HEARTBEAT); a reader task keeps every frame the node receives, in order, so
that a test can wait for a frame that matches, and can prove that a frame did
NOT come: `sync()` sends a HEARTBEAT and waits for its ack, and the server
answers a socket's messages in order, after anything it pushed before.
"""

import asyncio
import http.client
import json
import time

import proc
from e2ebase import ws_connect

HTTP_TIMEOUT_S = 10.0
FRAME_TIMEOUT_S = 5.0
JSON_TYPE = "application/json; charset=utf-8"


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self._doc = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def doc(self):
        if self._doc is None:
            self._doc = json.loads(self.body)
        return self._doc

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:400]!r}>"


def http_call(port, method, path, body=None, key=None, headers=(), raw_body=None, auth_header=None):
    """One request on a fresh connection. key: sent as `Bearer <key>`;
    auth_header: the whole Authorization value instead."""
    hs = {}
    if key is not None:
        hs["Authorization"] = f"Bearer {key}"
        proc.remember_secret(key, "API key sent")
    if auth_header is not None:
        hs["Authorization"] = auth_header
    data = raw_body
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        hs["Content-Type"] = "application/json"
    for k, v in headers:
        hs[k] = v
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        c.request(method, path, body=data, headers=hs)
        r = c.getresponse()
        reply = Reply(r.status, r.getheaders(), r.read())
        if b'"apiKey"' in reply.body:
            try:
                data = json.loads(reply.body).get("data")
            except ValueError:
                data = None
            if isinstance(data, dict):
                proc.remember_secret(data.get("apiKey"), "API key issued")
        return reply
    finally:
        c.close()


class Node:
    """A registered node connection and everything it received."""

    def __init__(self, principal, ws, client_id):
        self.principal = principal
        self.ws = ws
        self.client_id = client_id
        self.log = []      # every frame received since registration, parsed
        self._inbox = []   # frames not yet taken by take()
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port, principal):
        ws = await ws_connect(f"ws://127.0.0.1:{port}/?principal_id={principal}")
        await ws.send(json.dumps({"text": "HEARTBEAT", "user_principal_id": principal}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT_S))
        if reply.get("success") is not True or reply.get("message") != "Registration successful":
            raise AssertionError(f"registration of {principal} failed: {reply}")
        return cls(principal, ws, reply["clientId"])

    async def _read(self):
        try:
            async for msg in self.ws:
                frame = json.loads(msg)
                self.log.append(frame)
                self._inbox.append(frame)
                self._changed.set()
        except Exception:
            pass
        finally:
            self._changed.set()

    async def take(self, what, pred, timeout=FRAME_TIMEOUT_S):
        """Removes and returns the first unread frame for which pred is true."""
        deadline = time.monotonic() + timeout
        while True:
            for i, f in enumerate(self._inbox):
                if pred(f):
                    return self._inbox.pop(i)
            left = deadline - time.monotonic()
            if left <= 0 or self._reader.done():
                raise AssertionError(f"{self.principal}: no {what} within {timeout:.1f} s; "
                                     f"unread frames: {self._inbox}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def dispatch(self, job_id=None, timeout=FRAME_TIMEOUT_S):
        """The next TWITTER_SCRAPE frame (for job_id, if given)."""
        return await self.take(f"dispatch of {job_id or 'a job'}",
                               lambda f: f.get("function") == "TWITTER_SCRAPE"
                               and (job_id is None or f.get("job_id") == job_id), timeout)

    async def reply(self, function=None):
        """The next frame that is not a dispatch (a reply to our message)."""
        return await self.take(f"reply {function or ''}",
                               lambda f: f.get("function") != "TWITTER_SCRAPE")

    async def send(self, text, **fields):
        await self.ws.send(json.dumps({"text": text, "user_principal_id": self.principal, **fields}))

    async def result(self, job_id, data):
        """Sends TWITTER_SCRAPE_RESULT (data: a JSON string, as node apps
        send it) and returns the server's reply."""
        proc.remember_secret(data, "result body")
        await self.send("TWITTER_SCRAPE_RESULT", job_id=job_id, data=data)
        return await self.reply()

    async def sync(self):
        """Round trip: every frame the server sent before it handled this
        HEARTBEAT is in self.log afterwards."""
        await self.send("HEARTBEAT")
        ack = await self.take("HeartbeatAck", lambda f: f.get("function") == "HeartbeatAck")
        return ack

    def dispatches(self, job_id=None):
        return [f for f in self.log if f.get("function") == "TWITTER_SCRAPE"
                and (job_id is None or f.get("job_id") == job_id)]

    async def close(self):
        await self.ws.close()
        await asyncio.wait_for(self._reader, FRAME_TIMEOUT_S)
