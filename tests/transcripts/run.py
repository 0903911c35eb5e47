#!/usr/bin/python3
"""Runs the node-protocol transcript scenarios against the real sela-server.

    /usr/bin/python3 tests/transcripts/run.py --server build/dev/src/app/sela-server
    /usr/bin/python3 tests/transcripts/run.py --server ... -k registration -k 'messages::spoof*'

Every scenario of every scenarios/*.transcript file runs against its own
server (fresh working directory and DATA_PATH); `restart-server` inside a
scenario keeps the DATA_PATH. Prints one line per scenario and, as the very
last line, "N passed, M failed". Exit status is 0 only if every selected
scenario passed and at least one ran. The directives are described in
README.md.
"""

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.append(os.path.join(TESTS, "e2e"))  # proc.py: starting and stopping servers
sys.path.append(os.path.join(TESTS, "common"))  # suite.py: options, selection, closing line

import websockets  # noqa: E402

import proc  # noqa: E402  (tests/e2e)
import suite  # noqa: E402  (tests/common)
import transcript as tr  # noqa: E402

SCENARIO_DIR = os.path.join(HERE, "scenarios")
DEFAULT_TIMEOUT_MS = 5000
SCENARIO_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# Frames still unread when a scenario ends are reported; this is how long the
# driver waits for stragglers before looking.
TRAILING_FRAMES_WAIT_S = 0.05
# <ts> values must fall within the scenario's run, give or take this much.
TS_SLACK_MS = 2000


def remember_result_body(text):
    """A TWITTER_SCRAPE_RESULT's data must never reach the server's log."""
    try:
        frame = json.loads(text)
    except ValueError:
        return
    if isinstance(frame, dict) and isinstance(frame.get("data"), str) and "RESULT" in str(frame.get("type", "")) + str(
            frame.get("text", "")):
        proc.remember_secret(frame["data"], "result body")


class ScenarioFailure(AssertionError):
    pass


class Connection:
    def __init__(self, name, ws):
        self.name = name
        self.ws = ws
        self.log = []  # (direction, description) of recent frames, for failure reports

    def note(self, direction, what):
        self.log.append((direction, what))
        del self.log[:-12]


def describe_frame(frame):
    if isinstance(frame, bytes):
        return f"binary {frame.hex()}"
    return f"text {frame}"


class Runner:
    """Runs one scenario."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.env = {}
        self.server = None
        self.workdir = None
        self.conns = {}
        self.timeout_s = DEFAULT_TIMEOUT_MS / 1000
        self.started_ms = int(time.time() * 1000)
        self.matcher = tr.Matcher(lambda: (self.started_ms - TS_SLACK_MS,
                                           int(time.time() * 1000) + TS_SLACK_MS))
        self.current = None

    # -- helpers -------------------------------------------------------------
    def fail(self, message):
        raise ScenarioFailure(message)

    def conn(self, d):
        c = self.conns.get(d.conn)
        if c is None:
            self.fail(f"no open connection named {d.conn!r}")
        return c

    async def ensure_server(self):
        if self.server is None:
            await self.start_server()

    async def start_server(self):
        if self.server is not None and self.server.alive():
            self.fail("start-server: the server is already running")
        if self.workdir is None:
            self.workdir = proc.new_workdir("transcript")
        port_file = os.path.join(self.workdir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)  # the previous run's port
        self.server = proc.ServerProcess(env=self.env, workdir=self.workdir, tag="transcript")
        self.server.start()

    async def stop_server(self, how):
        if self.server is None or not self.server.alive():
            self.fail("stop-server: no server is running")
        p = self.server
        if how == "kill":
            p.signal(signal.SIGKILL)
        else:
            p.signal(signal.SIGTERM)
        # Wait without blocking the event loop: during a drain the clients
        # must answer the server's close frames.
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while p.proc.poll() is None:
            if time.monotonic() > deadline:
                self.fail(f"stop-server {how}: still running {STOP_TIMEOUT_S:.0f} s later")
            await asyncio.sleep(0.01)
        code = p.wait_exit(1)
        if how == "kill" and code != -signal.SIGKILL:
            self.fail(f"stop-server kill: {proc.describe_status(code)}")
        if how == "term" and code != 0:
            self.fail(f"stop-server term: {proc.describe_status(code)}, expected exit status 0")

    async def recv(self, c, timeout_s):
        """The next data frame, or ("closed", code, reason), or None on timeout."""
        try:
            frame = await asyncio.wait_for(c.ws.recv(), timeout_s)
        except asyncio.TimeoutError:
            return None
        except websockets.ConnectionClosed:
            return ("closed", c.ws.close_code, c.ws.close_reason)
        c.note("S->C", describe_frame(frame))
        return frame

    # -- directives ------------------------------------------------------------
    async def run(self):
        for d in self.scenario.directives:
            self.current = d
            if d.verb not in ("env", "timeout", "wait", "start-server"):
                await self.ensure_server()
            await getattr(self, "do_" + d.verb.replace("-", "_"))(d)
            if self.server is not None and self.server.died_unexpectedly():
                self.fail(f"the server died: {proc.describe_status(self.server.proc.returncode)}")
        self.current = None
        await self.check_no_trailing_frames()

    async def do_env(self, d):
        if self.server is not None and self.server.alive():
            self.fail("env after the server started (it applies from the next start-server)")
        key, value = d.parsed
        self.env[key] = value

    async def do_timeout(self, d):
        self.timeout_s = d.parsed / 1000

    async def do_wait(self, d):
        await asyncio.sleep(d.parsed / 1000)

    async def do_connect(self, d):
        path, headers = d.parsed
        if d.conn in self.conns:
            self.fail(f"connection {d.conn!r} is already open")
        uri = f"ws://127.0.0.1:{self.server.port}{path}"
        try:
            ws = await websockets.connect(uri, extra_headers=headers, compression=None, max_size=None,
                                          ping_interval=None, open_timeout=self.timeout_s,
                                          close_timeout=self.timeout_s)
        except Exception as e:  # noqa: BLE001 - reported as the scenario's failure
            self.fail(f"connect {uri}: {type(e).__name__}: {e}")
        c = Connection(d.conn, ws)
        c.note("C->S", f"connect {path} {headers}")
        self.conns[d.conn] = c

    async def do_send(self, d):
        c = self.conn(d)
        c.note("C->S", f"text {d.parsed}")
        remember_result_body(d.parsed)
        await c.ws.send(d.parsed)

    async def do_send_as_binary(self, d):
        c = self.conn(d)
        c.note("C->S", f"binary (text) {d.parsed}")
        await c.ws.send(d.parsed.encode("utf-8"))

    async def do_send_binary(self, d):
        c = self.conn(d)
        c.note("C->S", f"binary {d.parsed.hex()}")
        await c.ws.send(d.parsed)

    async def do_ping(self, d):
        c = self.conn(d)
        c.note("C->S", "ping")
        try:
            waiter = await c.ws.ping()
            await asyncio.wait_for(waiter, self.timeout_s)
        except asyncio.TimeoutError:
            self.fail("no pong")
        except websockets.ConnectionClosed:
            self.fail(f"connection closed ({c.ws.close_code} {c.ws.close_reason!r}) instead of a pong")

    async def do_expect(self, d):
        c = self.conn(d)
        frame = await self.recv(c, self.timeout_s)
        if frame is None:
            self.fail(f"nothing received within {self.timeout_s * 1000:.0f} ms")
        if isinstance(frame, tuple):
            self.fail(f"the connection closed ({frame[1]} {frame[2]!r}) instead of a reply")
        if isinstance(frame, bytes):
            self.fail(f"binary frame {frame.hex()} instead of a JSON text frame")
        try:
            actual = tr.parse_json(frame)
        except ValueError as e:
            self.fail(f"reply is not JSON ({e}): {frame}")
        if not tr.is_compact_json(frame):
            self.fail(f"reply is not compact JSON (whitespace outside strings): {frame}")
        try:
            self.matcher.match(d.parsed, actual)
        except tr.Mismatch as e:
            self.fail(f"{e}\n   received: {frame}")

    async def do_expect_close(self, d):
        c = self.conn(d)
        code, reason = d.parsed
        frame = await self.recv(c, self.timeout_s)
        if frame is None:
            self.fail(f"not closed within {self.timeout_s * 1000:.0f} ms")
        if not isinstance(frame, tuple):
            self.fail(f"received {describe_frame(frame)} instead of a close")
        _, got_code, got_reason = frame
        if (got_code, got_reason) != (code, reason):
            self.fail(f"closed with {got_code} {got_reason!r}, expected {code} {reason!r}")
        del self.conns[d.conn]

    async def do_expect_silence(self, d):
        c = self.conn(d)
        frame = await self.recv(c, d.parsed / 1000)
        if frame is None:
            return
        if isinstance(frame, tuple):
            self.fail(f"the connection closed ({frame[1]} {frame[2]!r}) during the expected silence")
        self.fail(f"received {describe_frame(frame)} during the expected silence")

    async def do_close(self, d):
        c = self.conn(d)
        code, reason = d.parsed
        c.note("C->S", f"close {code} {reason!r}")
        await asyncio.wait_for(c.ws.close(code, reason), self.timeout_s + 1)
        # The server must answer the close handshake, echoing the code.
        if c.ws.close_code != code:
            self.fail(f"the server answered the close with {c.ws.close_code} {c.ws.close_reason!r}, "
                      f"expected {code}")
        del self.conns[d.conn]

    async def do_stop_server(self, d):
        await self.stop_server(d.parsed)

    async def do_start_server(self, d):
        await self.start_server()

    async def do_restart_server(self, d):
        await self.stop_server(d.parsed)
        await self.start_server()

    async def do_db(self, d):
        sql, expected = d.parsed
        path = os.path.join(self.workdir, "data", "sela.db")
        if not os.path.exists(path):
            self.fail(f"no store file at {path}")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = [list(r) for r in db.execute(sql).fetchall()]
        except sqlite3.Error as e:
            self.fail(f"sqlite: {e}")
        finally:
            db.close()
        try:
            self.matcher.match(expected, rows)
        except tr.Mismatch as e:
            self.fail(f"{e}\n   rows: {json.dumps(rows)}")

    # -- end of scenario -------------------------------------------------------
    async def check_no_trailing_frames(self):
        await asyncio.sleep(TRAILING_FRAMES_WAIT_S)
        for c in list(self.conns.values()):
            while True:
                frame = await self.recv(c, 0.001)
                if frame is None:
                    break
                if isinstance(frame, tuple):
                    self.fail(f"connection {c.name!r} was closed ({frame[1]} {frame[2]!r}) "
                              f"and no `expect-close` said so")
                self.fail(f"connection {c.name!r}: unexpected {describe_frame(frame)} at the end "
                          f"of the scenario")

    async def cleanup(self):
        for c in self.conns.values():
            try:
                await asyncio.wait_for(c.ws.close(), 2)
            except Exception:  # noqa: BLE001 - the server may be gone
                pass
        self.conns.clear()
        if self.server is not None:
            died = self.server.died_unexpectedly()
            self.server.stop()
            if died:
                return f"the server died: {proc.describe_status(self.server.proc.returncode)}"
        return None

    def connection_logs(self):
        out = []
        for c in self.conns.values():
            out.append(f"   connection {c.name!r}, last frames:")
            out.extend(f"      {direction} {what[:300]}" for direction, what in c.log)
        return "\n".join(out)


async def run_scenario(scenario):
    r = Runner(scenario)
    problem = None
    try:
        await asyncio.wait_for(r.run(), SCENARIO_TIMEOUT_S)
    except ScenarioFailure as e:
        where = f"line {r.current.line_no}: {r.current.raw[:200]}\n   " if r.current else "at the end: "
        problem = f"{where}{e}"
    except asyncio.TimeoutError:
        where = f" (at line {r.current.line_no})" if r.current else ""
        problem = f"scenario took longer than {SCENARIO_TIMEOUT_S:.0f} s{where}"
    except proc.StartupError as e:
        problem = f"server did not start: {e}"
    except Exception:  # noqa: BLE001 - a driver bug is reported, never hidden
        problem = "driver error:\n" + traceback.format_exc()
    logs = r.connection_logs() if problem else ""
    died = await r.cleanup()
    if died and not problem:
        problem = died
    if problem and r.server is not None:
        problem += "\n" + logs + "\n   " + r.server.log_tail(10).replace("\n", "\n   ")
    return problem, r.workdir


def load_scenarios():
    files = sorted(f for f in os.listdir(SCENARIO_DIR) if f.endswith(".transcript"))
    scenarios = []
    for f in files:
        scenarios.extend(tr.parse_file(os.path.join(SCENARIO_DIR, f), f[:-len(".transcript")]))
    return scenarios


def main():
    ap = suite.argument_parser(__doc__, what="scenarios", server_help="the sela-server binary",
                               verbose=False)
    args = ap.parse_args()

    try:
        scenarios = [s for s in load_scenarios() if suite.matches(s.id, args.k)]
    except tr.TranscriptError as e:
        print(f"bad transcript: {e}")
        print("0 passed, 1 failed")
        return 2
    if args.list:
        for s in scenarios:
            print(s.id)
        print(f"{len(scenarios)} scenarios")
        return 0
    if not os.access(args.server, os.X_OK):
        print(f"server not found or not executable: {args.server}")
        print("0 passed, 1 failed")
        return 2
    proc.configure(args.server)

    passed = failed = 0
    failures = []
    keep = set()
    start = time.monotonic()
    try:
        for s in scenarios:
            t0 = time.monotonic()
            problem, workdir = asyncio.run(run_scenario(s))
            dt = time.monotonic() - t0
            if s.must_fail is not None:
                # A self-check of the driver: this scenario is wrong on purpose.
                if problem is None:
                    problem = f"expected this scenario to fail with {s.must_fail!r}, but it passed"
                elif s.must_fail in problem:
                    problem = None
                else:
                    problem = f"expected a failure with {s.must_fail!r}, got:\n   {problem}"
            if problem:
                failed += 1
                failures.append(s.id)
                print(f"FAIL  {s.id}  ({dt:.2f}s)")
                print("   " + problem.rstrip())
                if workdir:
                    keep.add(workdir)
                    print(f"   server directory (kept): {workdir}")
            else:
                passed += 1
                print(f"ok    {s.id}  ({dt:.2f}s)")
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted")
        failed += 1
    finally:
        proc.stop_all()
    # No result body a scenario sent is in any server log line (as in tests/e2e).
    lines, logs, secrets, leaks = proc.scan_logs_for_secrets()
    if leaks:
        failed += 1
        failures.append("log_secrets")
        print(f"FAIL  log_secrets  ({len(leaks)} log lines hold a result body)")
        for leak in leaks[:20]:
            print("   " + leak)
    elif passed:
        passed += 1
        print(f"ok    log_secrets  ({lines} lines of {logs} server logs hold none of {secrets} result bodies)")
    if failures:
        print(f"\n{len(failures)} failing scenarios:")
        for sid in failures:
            print(f"  {sid}")
    proc.remove_workdirs(keep)
    print(f"suite time {time.monotonic() - start:.1f}s")
    return suite.finish(passed, failed, args.k)


if __name__ == "__main__":
    sys.exit(main())
