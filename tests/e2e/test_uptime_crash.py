"""Uptime survives a crash, and nothing is counted twice.

The server measures each principal's online time and writes it to the store
every UPTIME_CHECKPOINT_MS (docs/CONFIGURATION.md), and once more when it
exits after a drain. A crash (SIGKILL) loses at most what accrued since the
last checkpoint; overlapping connections of one principal count once
(nodes/registry.h). The store is read directly: `uptime_days` in
$DATA_PATH/sela.db (docs/STORAGE.md), summed over days so that a run across
UTC midnight does not matter.

Every bound comes from the test's own wall-clock timestamps (the server's
uptime clock is the wall clock too): a registration happened between the
moment the client started connecting and the moment the reply arrived; a
node's time ended between sending the signal and seeing the process exit.
Upper bounds are tight (a few ms for rounding), so counting anything twice
fails; lower bounds allow one checkpoint interval plus CHECKPOINT_SLACK_MS for
a late timer and the commit on a loaded machine.
"""

import asyncio
import json
import os
import signal
import sqlite3
import time

import proc
from e2ebase import E2ETestCase, ws_connect

CHECKPOINT_MS = 300
# A checkpoint timer firing late and the store's commit, on a busy 2-core box.
CHECKPOINT_SLACK_MS = 700
# Millisecond rounding between the test's clock readings and the server's.
ROUNDING_MS = 5
CONNECTED_BEFORE_KILL_MS = 2000
CONNECTED_AFTER_RESTART_MS = 1000
POLL_TIMEOUT_S = 10.0

SOLO_1, SOLO_2, TWIN = "uptime-solo-1", "uptime-solo-2", "uptime-twin"
PRINCIPALS = (SOLO_1, SOLO_2, TWIN)


def now_ms():
    return int(time.time() * 1000)


class Node:
    """One registered connection and when its registration happened."""

    def __init__(self, principal, ws, begin_ms, end_ms):
        self.principal = principal
        self.ws = ws
        self.registered_after_ms = begin_ms   # the client started connecting
        self.registered_before_ms = end_ms    # the reply had arrived


async def register(port, principal):
    begin = now_ms()
    ws = await ws_connect(f"ws://127.0.0.1:{port}/?principal_id={principal}")
    await ws.send("{}")
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    end = now_ms()
    if reply.get("success") is not True:
        raise AssertionError(f"registration of {principal} failed: {reply}")
    return Node(principal, ws, begin, end)


def read_uptime(workdir):
    """{principal: (online_ms, sessions)} summed over days, read-only, from
    the server's store (SQLite file, or its keys in Redis in Redis mode)."""
    if proc.redis() is not None:
        return read_uptime_redis(workdir)
    path = os.path.join(workdir, "data", "sela.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT principal, sum(online_ms), sum(sessions) FROM uptime_days "
                          "GROUP BY principal").fetchall()
    finally:
        db.close()
    return {p: (int(ms), int(n)) for p, ms, n in rows}


def read_uptime_redis(workdir):
    import redisproc
    redis = proc.redis()
    tag = "{%s}:uptime:" % redisproc.key_prefix_for(workdir)  # store/redis/keys.h
    out = {}
    for key in redis.command("KEYS", tag + "day:*"):
        principal = key[len(tag + "day:"):-len(":YYYY-MM-DD")]
        online, sessions = redis.command("HMGET", key, "online_ms", "sessions")
        ms, n = out.get(principal, (0, 0))
        out[principal] = (ms + int(online or 0), n + int(sessions or 0))
    return out


class UptimeCrash(E2ETestCase):

    def test_uptime_survives_sigkill_and_is_counted_once(self):
        # The twin needs two live sessions of one principal (one by default).
        # One delta per store call: each checkpoint and the exit's last one go
        # in chunks one after the other (api/uptime_writer.h), and the tight
        # upper bounds fail if a chunk is applied twice.
        env = {"UPTIME_CHECKPOINT_MS": str(CHECKPOINT_MS), "MAX_SESSIONS_PER_PRINCIPAL": "2",
               "UPTIME_CHECKPOINT_CHUNK": "1"}
        server = self.start_server(env=env, tag="uptime-crash")
        workdir = server.workdir
        self.run_async(self._scenario(server, workdir, env), timeout=60)

    async def _poll(self, what, fn):
        deadline = time.monotonic() + POLL_TIMEOUT_S
        while True:
            value = fn()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"{what} (not within {POLL_TIMEOUT_S:.0f} s)")
            await asyncio.sleep(0.02)

    def _check_not_ahead(self, uptime, first, at_ms, when):
        """Online time can never exceed the time since registration began."""
        for p in PRINCIPALS:
            bound = at_ms - first[p].registered_after_ms + ROUNDING_MS
            self.assertLessEqual(uptime.get(p, (0, 0))[0], bound,
                                 f"{when}: {p} has more online time than it was connected "
                                 f"(counted twice?): {uptime}")

    async def _scenario(self, server, workdir, env):
        # -- phase 1: three principals, one of them with two overlapping connections
        nodes = [await register(server.port, SOLO_1), await register(server.port, SOLO_2),
                 await register(server.port, TWIN), await register(server.port, TWIN)]
        first = {}
        for n in nodes:
            first.setdefault(n.principal, n)
        await asyncio.sleep(CONNECTED_BEFORE_KILL_MS / 1000)

        # Wait for a checkpoint that saw all of them connected for ~2 s, and
        # check every value read on the way against the real time.
        def fresh():
            u = read_uptime(workdir)
            self._check_not_ahead(u, first, now_ms(), "before the kill")
            ok = all(u.get(p, (0, 0))[0] >= CONNECTED_BEFORE_KILL_MS - CHECKPOINT_MS for p in PRINCIPALS)
            return u if ok else None
        seen = await self._poll("uptime of ~2 s checkpointed for every principal", fresh)
        self.assertEqual({p: seen[p][1] for p in PRINCIPALS}, {SOLO_1: 1, SOLO_2: 1, TWIN: 2},
                         f"sessions before the kill: {seen}")

        # SIGKILL with every node still connected.
        kill_after = now_ms()
        server.signal(signal.SIGKILL)
        self.assertEqual(server.wait_exit(5), -signal.SIGKILL)
        kill_before = now_ms()
        for n in nodes:
            # The TCP connections dropped without a close frame.
            await asyncio.wait_for(n.ws.wait_closed(), 5)
            self.assertEqual(n.ws.close_code, 1006, f"{n.principal}: close code after SIGKILL")

        # -- restart on the same DATA_PATH
        os.unlink(os.path.join(workdir, "port"))
        server2 = self.adopt(proc.ServerProcess(env=env, workdir=workdir, tag="uptime-crash-2"))
        server2.start()
        kept = read_uptime(workdir)
        for p in PRINCIPALS:
            online, sessions = kept.get(p, (0, 0))
            self.assertGreaterEqual(online, seen[p][0],
                                    f"{p}: uptime read before the kill was lost: {seen[p][0]} -> {online}")
            connected_max = kill_before - first[p].registered_after_ms
            connected_min = kill_after - first[p].registered_before_ms
            self.assertLessEqual(online, connected_max + ROUNDING_MS,
                                 f"{p}: {online} ms online but connected at most {connected_max} ms "
                                 f"(counted twice?)")
            self.assertGreaterEqual(online, connected_min - CHECKPOINT_MS - CHECKPOINT_SLACK_MS,
                                    f"{p}: {online} ms online after the crash but connected at least "
                                    f"{connected_min} ms: more than one checkpoint interval lost")
            self.assertEqual(sessions, seen[p][1], f"{p}: sessions changed by the crash: {kept}")
        # The twin's two connections overlapped: its time is that of its first
        # registration, like the others', so the difference to a solo node is
        # the difference of their registration times.
        for solo in (SOLO_1, SOLO_2):
            diff = kept[solo][0] - kept[TWIN][0]
            low = first[TWIN].registered_after_ms - first[solo].registered_before_ms - ROUNDING_MS
            high = first[TWIN].registered_before_ms - first[solo].registered_after_ms + ROUNDING_MS
            self.assertTrue(low <= diff <= high,
                            f"{solo} {kept[solo][0]} ms vs {TWIN} {kept[TWIN][0]} ms: difference {diff} "
                            f"not within [{low}, {high}] given by their registration times")

        # -- phase 2: reconnect for ~1 s; the twin's connections overlap again,
        # the first one closing while the second stays.
        again = [await register(server2.port, SOLO_1), await register(server2.port, SOLO_2),
                 await register(server2.port, TWIN)]
        await asyncio.sleep(0.3)
        twin_b = await register(server2.port, TWIN)
        await asyncio.sleep(0.3)
        await again[2].ws.close()
        await asyncio.sleep((CONNECTED_AFTER_RESTART_MS - 600) / 1000)
        again_first = {n.principal: n for n in again}

        term_after = now_ms()
        server2.signal(signal.SIGTERM)
        # Keep the event loop running so that the clients answer the drain's close frames.
        deadline = time.monotonic() + 10
        while server2.proc.poll() is None:
            self.assertLess(time.monotonic(), deadline, "server still running 10 s after SIGTERM")
            await asyncio.sleep(0.01)
        exit_before = now_ms()
        self.assertEqual(server2.wait_exit(1), 0, "exit status after SIGTERM")
        for n in again[:2] + [twin_b]:
            await asyncio.wait_for(n.ws.wait_closed(), 5)
            self.assertEqual(n.ws.close_code, 1012, f"{n.principal}: close code of the drain")

        final = read_uptime(workdir)
        for p in PRINCIPALS:
            added = final[p][0] - kept[p][0]
            post_max = exit_before - again_first[p].registered_after_ms + ROUNDING_MS
            post_min = term_after - again_first[p].registered_before_ms - ROUNDING_MS
            self.assertTrue(post_min <= added <= post_max,
                            f"{p}: {added} ms added after the restart, connected between {post_min} "
                            f"and {post_max} ms (before {kept[p][0]}, after {final[p][0]})")
            # In total: the time before the kill (minus at most one checkpoint)
            # plus the time after the restart, nothing twice.
            pre_max = kill_before - first[p].registered_after_ms
            pre_min = kill_after - first[p].registered_before_ms
            self.assertLessEqual(final[p][0], pre_max + post_max + ROUNDING_MS, f"{p}: total {final}")
            self.assertGreaterEqual(final[p][0], pre_min - CHECKPOINT_MS - CHECKPOINT_SLACK_MS + post_min,
                                    f"{p}: total {final}")
        self.assertEqual({p: final[p][1] for p in PRINCIPALS}, {SOLO_1: 2, SOLO_2: 2, TWIN: 4},
                         f"sessions after the restart: {final}")
