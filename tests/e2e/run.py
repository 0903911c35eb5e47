#!/usr/bin/python3
"""Runs the end-to-end suite against the real sela-server binary.

    /usr/bin/python3 tests/e2e/run.py --server build/dev/src/app/sela-server
    /usr/bin/python3 tests/e2e/run.py --server build/dev/src/app/sela-server -k drain -k tls

Prints one line per test and, as the very last line, "N passed, M failed".
Exit status is 0 only if every selected test passed (and at least one ran).
"""

import argparse
import fnmatch
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The raw HTTP and WebSocket clients (httpclient, wsclient) come from the
# conformance suite.
sys.path.append(os.path.join(os.path.dirname(HERE), "conformance"))

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
]


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def matches(test_id, patterns):
    if not patterns:
        return True
    tid = test_id.lower()
    for p in patterns:
        p = p.lower()
        if any(ch in p for ch in "*?["):
            if fnmatch.fnmatchcase(tid, p) or fnmatch.fnmatchcase(tid, f"*{p}*"):
                return True
        elif p in tid:
            return True
    return False


def short_traceback(tb):
    """The assertion message plus the innermost frame in a test module."""
    lines = tb.rstrip().splitlines()
    msg_start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("  File "):
            msg_start = i + 2
            break
    frames = [i for i, l in enumerate(lines) if l.startswith("  File ") and "/tests/e2e/test_" in l]
    where = ""
    if frames:
        i = frames[-1]
        where = lines[i].strip() + "\n  " + (lines[i + 1].strip() if i + 1 < len(lines) else "") + "\n"
    return where + "\n".join(lines[msg_start:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="the sela-server binary")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="run only tests whose id contains PATTERN (case-insensitive; "
                         "glob characters allowed; repeat for OR)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print tracebacks in full")
    ap.add_argument("--list", action="store_true", help="list the selected tests and exit")
    args = ap.parse_args()

    if not os.access(args.server, os.X_OK):
        print(f"server not found or not executable: {args.server}")
        print("0 passed, 1 failed")
        return 2

    import proc  # noqa: E402 (after sys.path setup)
    proc.configure(args.server)

    loader = unittest.TestLoader()
    tests = []
    for name in MODULES:
        module = __import__(name)
        tests.extend(t for t in iter_tests(loader.loadTestsFromModule(module)) if matches(t.id(), args.k))

    if args.list:
        for t in tests:
            print(t.id())
        print(f"{len(tests)} tests")
        return 0

    passed = failed = 0
    failures = []
    keep = set()  # working directories (server logs) of failed tests
    start = time.monotonic()
    try:
        for t in tests:
            dirs_before = set(proc.workdirs())
            result = unittest.TestResult()
            t0 = time.monotonic()
            t.run(result)
            dt = time.monotonic() - t0
            problems = result.failures + result.errors
            for skipped_test, reason in result.skipped:
                problems.append((skipped_test, f"test was skipped ({reason}); skipping is not allowed"))
            for ok_fail in result.unexpectedSuccesses:
                problems.append((ok_fail, "unexpected success"))
            if problems or not result.wasSuccessful():
                failed += 1
                failures.append(t.id())
                print(f"FAIL  {t.id()}  ({dt:.2f}s)")
                for _, tb in problems:
                    text = tb if args.verbose else short_traceback(tb)
                    print("      " + text.rstrip().replace("\n", "\n      "))
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

    total = time.monotonic() - start
    if failures:
        keep.update(proc.shared_workdirs())
        print(f"\n{len(failures)} failing tests:")
        for tid in failures:
            print(f"  {tid}")
    proc.remove_workdirs(keep)
    print(f"suite time {total:.1f}s")
    if passed + failed == 0:
        print("no tests selected")
        failed = 1 if not args.k else 0
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
