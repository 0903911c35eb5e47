#!/usr/bin/python3
"""Runs the security suite (issue 11) against the real sela-server binary:
real clients attack it as the issue describes, and every attack must fail
with its documented error, be counted in sela_security_refusals_total and
change nothing in the store.

    /usr/bin/python3 tests/security/run.py --server build/dev/src/app/sela-server
    /usr/bin/python3 tests/security/run.py --server build/dev/src/app/sela-server -k v2 -k crowd

Prints one line per test and, as the very last line, "N passed, M failed".
Exit status is 0 only if every selected test passed (and at least one ran).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The end-to-end suite's server runner and clients (tests/e2e).
sys.path.append(os.path.join(os.path.dirname(HERE), "e2e"))
# The raw HTTP and WebSocket clients (httpclient, wsclient) come from the
# conformance suite; the runner's common parts from tests/common.
sys.path.append(os.path.join(os.path.dirname(HERE), "conformance"))
sys.path.append(os.path.join(os.path.dirname(HERE), "common"))

import suite  # noqa: E402

MODULES = [
    "test_identity_vectors",
    "test_v2_handshake",
    "test_v2_session",
    "test_node_attacks",
    "test_crowd",
    "test_customer_attacks",
    "test_disclosure",
    "test_rest_guard",
    "test_rest_scope",
    "test_job_fair_use",
]

TEST_FILE_MARKER = "/tests/security/test_"


def main():
    ap = suite.argument_parser(__doc__, server_help="the sela-server binary")
    args = ap.parse_args()

    if not os.access(args.server, os.X_OK):
        print(f"server not found or not executable: {args.server}")
        print("0 passed, 1 failed")
        return 2

    import proc  # noqa: E402 (after sys.path setup)
    proc.configure(args.server)

    tests = suite.load_tests(MODULES, args.k)
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

    total = time.monotonic() - start
    if failures:
        keep.update(proc.shared_workdirs())
        print(f"\n{len(failures)} failing tests:")
        for tid in failures:
            print(f"  {tid}")
    proc.remove_workdirs(keep)
    print(f"suite time {total:.1f}s")
    return suite.finish(passed, failed, args.k)


if __name__ == "__main__":
    sys.exit(main())
