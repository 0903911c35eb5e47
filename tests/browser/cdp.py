"""A minimal Chrome DevTools Protocol client for Debian's headless Chromium,
over Python `websockets` (Debian's python3-websockets, run with
/usr/bin/python3). It starts the browser with a temporary profile and every
background service off, talks to one page, and records every request the
page makes, so a test can prove that nothing left the machine.
"""

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import websockets

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--disable-default-apps", "--disable-extensions",
    "--no-default-browser-check", "--metrics-recording-only", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--disable-features=OptimizationHints,MediaRouter,Translate",
    "--hide-scrollbars", "--window-size=1400,1000",
]


class Browser:
    """One headless Chromium process (own process group) and one page."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="sela-chromium-")
        self.proc = None
        self.ws = None
        self.next_id = 0
        self.requests = []     # URLs the page requested (HTTP and WebSocket).
        self.console = []      # Console errors and uncaught exceptions.
        self._pending = {}
        self._reader = None

    async def start(self, timeout=20.0):
        if not os.access(CHROMIUM, os.X_OK):
            raise AssertionError(f"{CHROMIUM} not found: scripts/install-deps.sh installs Debian's chromium")
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        port = await asyncio.get_running_loop().run_in_executor(None, self._devtools_port, timeout)
        page = None
        deadline = time.monotonic() + timeout
        while page is None and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                page = next((t for t in json.load(r) if t.get("type") == "page"), None)
            if page is None:
                await asyncio.sleep(0.1)
        if page is None:
            raise AssertionError("Chromium opened no page")
        self.ws = await websockets.connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        self._reader = asyncio.create_task(self._read())
        for domain in ("Page", "Network", "Runtime"):
            await self.call(f"{domain}.enable")

    def _devtools_port(self, timeout):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline().decode("utf-8", "replace")
            if not line:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                # Keep draining stderr so that the browser never blocks on it.
                threading_drain(self.proc.stderr)
                return int(m.group(1))
        raise AssertionError("Chromium did not start its DevTools endpoint:\n" + "".join(seen[-20:]))

    async def _read(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg:
                fut = self._pending.pop(msg["id"], None)
                if fut and not fut.done():
                    fut.set_result(msg)
                continue
            method, params = msg.get("method"), msg.get("params", {})
            if method == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif method == "Network.webSocketCreated":
                self.requests.append(params["url"])
            elif method == "Runtime.exceptionThrown":
                self.console.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                self.console.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))

    async def call(self, method, timeout=15.0, **params):
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self._pending[self.next_id] = fut
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        msg = await asyncio.wait_for(fut, timeout)
        if "error" in msg:
            raise AssertionError(f"{method}: {msg['error']}")
        return msg.get("result", {})

    async def navigate(self, url):
        await self.call("Page.navigate", url=url)

    async def evaluate(self, expression):
        r = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expression}: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    async def wait_for(self, expression, what, timeout=10.0):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = await self.evaluate(expression)
            except AssertionError as e:  # E.g. the new document is not there yet.
                last = str(e)
            else:
                last = value
                if value:
                    return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value {last!r})")

    async def screenshot(self, path):
        r = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def threading_drain(stream):
    import threading

    def drain():
        for _ in iter(lambda: stream.read(4096), b""):
            pass

    threading.Thread(target=drain, daemon=True).start()
