#!/usr/bin/python3
"""Runs the end-to-end suite against the real sela-server binary.

    /usr/bin/python3 tests/e2e/run.py --server build/dev/src/app/sela-server
    /usr/bin/python3 tests/e2e/run.py --server build/dev/src/app/sela-server -k drain -k tls
    /usr/bin/python3 tests/e2e/run.py --server ... --redis   # the same on the Redis store

Prints one line per test and, as the very last line, "N passed, M failed".
Exit status is 0 only if every selected test passed (and at least one ran).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The raw HTTP and WebSocket clients (httpclient, wsclient) come from the
# conformance suite; the runner's common parts from tests/common.
sys.path.append(os.path.join(os.path.dirname(HERE), "conformance"))
sys.path.append(os.path.join(os.path.dirname(HERE), "common"))

import suite  # noqa: E402

MODULES = [
    "test_promtext",
    "test_ops",
    "test_keepalive",
    "test_websocket",
    "test_metrics",
    "test_config",
    "test_drain",
    "test_connection_limit",
    "test_tls",
    "test_node_routes",
    "test_uptime_crash",
    "test_jobs",
    "test_jobs_crash",
    "test_operators",
    "test_files",
    "test_market",
    "test_rewards",
    "test_reward_routes",
]

TEST_FILE_MARKER = "/tests/e2e/test_"


def main():
    ap = suite.argument_parser(__doc__, server_help="the sela-server binary")
    ap.add_argument("--redis", action="store_true",
                    help="run every server on the Redis store (one redis-server for the suite)")
    ap.add_argument("--monitor", help="the sela-monitor binary (test_operators)")
    args = ap.parse_args()

    if not os.access(args.server, os.X_OK):
        print(f"server not found or not executable: {args.server}")
        print("0 passed, 1 failed")
        return 2

    import proc  # noqa: E402 (after sys.path setup)
    redis = None
    if args.redis:
        import redisproc  # noqa: E402
        try:
            redis = redisproc.RedisServer().start()
        except RuntimeError as e:
            print(f"cannot start redis-server: {e}")
            print("0 passed, 1 failed")
            return 2
    proc.configure(args.server, redis)
    if args.monitor:
        proc.configure_tool("sela-monitor", args.monitor)

    # Several processes on one Redis: only with --redis.
    modules = MODULES + (["test_cluster", "test_redis_outage"] if args.redis else [])
    tests = suite.load_tests(modules, args.k)
    # On Redis, the tests of operations it does not have yet are listed,
    # not run (redis_not_yet.py): each is printed as SKIP with its reason.
    not_yet = []
    if args.redis:
        import redis_not_yet  # noqa: E402
        not_yet = [(t.id(), redis_not_yet.reason(t.id())) for t in tests if redis_not_yet.reason(t.id())]
        skipped = {tid for tid, _ in not_yet}
        tests = [t for t in tests if t.id() not in skipped]
    if args.list:
        for t in tests:
            print(t.id())
        print(f"{len(tests)} tests")
        if redis is not None:
            redis.remove()
        return 0

    for tid, why in not_yet:
        print(f"SKIP  {tid}  (Redis: {why})")
    passed = failed = 0
    failures = []
    keep = set()  # working directories (server logs) of failed tests
    start = time.monotonic()
    try:
        for t in tests:
            dirs_before = set(proc.workdirs())
            t0 = time.monotonic()
            problems = suite.run_test(t)
            dt = time.monotonic() - t0
            if problems:
                failed += 1
                failures.append(t.id())
                print(f"FAIL  {t.id()}  ({dt:.2f}s)")
                suite.print_problems(problems, args.verbose, TEST_FILE_MARKER)
                new_dirs = sorted(set(proc.workdirs()) - dirs_before)
                keep.update(new_dirs)
                for d in new_dirs:
                    print(f"      server directory (log kept): {d}")
            else:
                passed += 1
                print(f"ok    {t.id()}  ({dt:.2f}s)")
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted")
        failed += 1
    finally:
        proc.stop_all()
        if redis is not None:
            redis.remove()
    # No key, token or result body in any log line of any server of the run.
    lines, logs, secrets, leaks = proc.scan_logs_for_secrets()
    if leaks:
        failed += 1
        failures.append("log_secrets")
        keep.update(proc.workdirs())
        print(f"FAIL  log_secrets  ({len(leaks)} log lines hold a secret)")
        for leak in leaks[:20]:
            print("      " + leak)
    elif tests and not args.list:
        passed += 1
        print(f"ok    log_secrets  ({lines} lines of {logs} server logs hold none of {secrets} secrets)")

    total = time.monotonic() - start
    if failures:
        keep.update(proc.shared_workdirs())
        print(f"\n{len(failures)} failing tests:")
        for tid in failures:
            print(f"  {tid}")
    proc.remove_workdirs(keep)
    print(f"suite time {total:.1f}s")
    if not_yet:
        print(f"{len(not_yet)} tests not run on Redis (not implemented yet; see redis_not_yet.py)")
    return suite.finish(passed, failed, args.k)


if __name__ == "__main__":
    sys.exit(main())
