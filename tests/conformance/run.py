#!/usr/bin/python3
"""Runs the WebSocket/HTTP conformance suite against a server binary.

    /usr/bin/python3 tests/conformance/run.py --server build/release/tests/conformance/ws_echo_server
    /usr/bin/python3 tests/conformance/run.py --server tests/conformance/reference_echo_server.py -k utf8

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

MODULES = [
    "test_handshake",
    "test_framing",
    "test_control",
    "test_reserved",
    "test_fragmentation",
    "test_utf8",
    "test_close",
    "test_limits",
    "test_http",
    "test_robustness",
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="server binary (or a .py script run with /usr/bin/python3)")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="run only tests whose id contains PATTERN (case-insensitive; "
                         "glob characters allowed; repeat for OR)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print tracebacks in full")
    ap.add_argument("--list", action="store_true", help="list the selected tests and exit")
    args = ap.parse_args()

    if not os.path.exists(args.server):
        print(f"server not found: {args.server}")
        print("0 passed, 1 failed")
        return 2

    import server  # noqa: E402 (after sys.path setup)
    server.configure(args.server)

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
    start = time.monotonic()
    try:
        for t in tests:
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
                failures.append((t.id(), problems))
                print(f"FAIL  {t.id()}  ({dt:.2f}s)")
                for _, tb in problems:
                    text = tb if args.verbose else short_traceback(tb)
                    print("      " + text.rstrip().replace("\n", "\n      "))
            else:
                passed += 1
                print(f"ok    {t.id()}  ({dt:.2f}s)")
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted")
        failed += 1
    finally:
        logs = server.logs()
        server.stop_all()

    total = time.monotonic() - start
    if not failures:
        server.remove_workdirs()  # logs are kept only when something failed
    if failures:
        print(f"\n{len(failures)} failing tests:")
        for tid, _ in failures:
            print(f"  {tid}")
        for name, path in logs.items():
            print(f"server log ({name}): {path}")
    print(f"suite time {total:.1f}s")
    if passed + failed == 0:
        print("no tests selected")
        failed = 1 if not args.k else 0
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


def short_traceback(tb):
    """The assertion message plus the innermost test-file frame."""
    lines = tb.rstrip().splitlines()
    # Last line(s) after the final "Traceback"/frame lines carry the message.
    msg_start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("  File "):
            msg_start = i + 2
            break
    frames = [i for i, l in enumerate(lines) if l.startswith("  File ") and "/tests/conformance/test_" in l]
    where = ""
    if frames:
        i = frames[-1]
        where = lines[i].strip() + "\n  " + (lines[i + 1].strip() if i + 1 < len(lines) else "") + "\n"
    return where + "\n".join(lines[msg_start:])


if __name__ == "__main__":
    sys.exit(main())
