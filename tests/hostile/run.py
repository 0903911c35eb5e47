#!/usr/bin/python3
"""Runs the hostile-input suite (issue #10) against the real sela-server.

    /usr/bin/python3 tests/hostile/run.py --server build/release/src/app/sela-server [-k PATTERN]

Every case attacks a fresh server with real clients (raw sockets, Python)
and checks the answer the attack gets (a 4xx status or a close code), the
server's RSS against the inbound budget, and that other clients are served
meanwhile with p99 under 50 ms (tests/hostile/prober.py). Built on the
end-to-end suite's harness (tests/e2e: proc.py, e2ebase.py). Prints one line
per case and, last, "N passed, M failed".
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.append(os.path.join(TESTS, "e2e"))
sys.path.append(os.path.join(TESTS, "conformance"))
sys.path.append(os.path.join(TESTS, "common"))

import suite  # noqa: E402

MODULES = [
    "test_memory",
    "test_framing",
    "test_connections",
    "test_registration",
    "test_small",
    "test_storage",
]

TEST_FILE_MARKER = "/tests/hostile/test_"


def main():
    ap = suite.argument_parser(__doc__, server_help="the sela-server binary")
    args = ap.parse_args()
    if not os.access(args.server, os.X_OK):
        print(f"server not found or not executable: {args.server}")
        print("0 passed, 1 failed")
        return 2

    import hostile  # noqa: E402 (after sys.path setup)
    import proc  # noqa: E402
    proc.configure(args.server)
    hostile.raise_fd_limit()
    if hostile.is_sanitized(args.server):
        hostile.RSS_CHECKED = False
        print("AddressSanitizer build: RSS bounds not checked (shadow memory and quarantine); "
              "answers, close codes, metrics and p99 are")
    # The attackers run in this process: below the server and the prober.
    hostile.nice_attacker()

    tests = suite.load_tests(MODULES, args.k)
    if args.list:
        for t in tests:
            print(t.id())
        print(f"{len(tests)} tests")
        return 0
    passed = failed = 0
    keep = set()
    start = time.monotonic()
    try:
        for t in tests:
            dirs_before = set(proc.workdirs())
            t0 = time.monotonic()
            problems = suite.run_test(t)
            dt = time.monotonic() - t0
            if problems:
                failed += 1
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
    proc.remove_workdirs(keep)
    print(f"suite time {time.monotonic() - start:.1f}s")
    return suite.finish(passed, failed, args.k)


if __name__ == "__main__":
    sys.exit(main())
