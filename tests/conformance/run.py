#!/usr/bin/python3
"""Runs the WebSocket/HTTP conformance suite against a server binary.

    /usr/bin/python3 tests/conformance/run.py --server build/release/tests/conformance/ws_echo_server
    /usr/bin/python3 tests/conformance/run.py --server tests/conformance/reference_echo_server.py -k utf8

Prints one line per test and, as the very last line, "N passed, M failed".
Exit status is 0 only if every selected test passed (and at least one ran).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "common"))

import suite  # noqa: E402

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

TEST_FILE_MARKER = "/tests/conformance/test_"


def main():
    ap = suite.argument_parser(__doc__, server_help="server binary (or a .py script run with /usr/bin/python3)")
    args = ap.parse_args()

    if not os.path.exists(args.server):
        print(f"server not found: {args.server}")
        print("0 passed, 1 failed")
        return 2

    import server  # noqa: E402 (after sys.path setup)
    server.configure(args.server)

    tests = suite.load_tests(MODULES, args.k)
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
            t0 = time.monotonic()
            problems = suite.run_test(t)
            dt = time.monotonic() - t0
            if problems:
                failed += 1
                failures.append(t.id())
                print(f"FAIL  {t.id()}  ({dt:.2f}s)")
                suite.print_problems(problems, args.verbose, TEST_FILE_MARKER)
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
        for tid in failures:
            print(f"  {tid}")
        for name, path in logs.items():
            print(f"server log ({name}): {path}")
    print(f"suite time {total:.1f}s")
    return suite.finish(passed, failed, args.k)


if __name__ == "__main__":
    sys.exit(main())
