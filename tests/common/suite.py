"""What the Python test runners (conformance, e2e, transcripts) share:
command-line options, test selection, running one unittest case strictly
(a skip or an unexpected success is a failure) and the closing line
"N passed, M failed" that CI reads.
"""

import argparse
import fnmatch
import unittest


def argument_parser(doc, what="tests", server_help="the server binary", verbose=True):
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help=server_help)
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help=f"run only {what} whose id contains PATTERN (case-insensitive; "
                         "glob characters allowed; repeat for OR)")
    if verbose:
        ap.add_argument("-v", "--verbose", action="store_true", help="print tracebacks in full")
    ap.add_argument("--list", action="store_true", help=f"list the selected {what} and exit")
    return ap


def matches(test_id, patterns):
    """True when no pattern is given or test_id contains one of them."""
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


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def load_tests(module_names, patterns):
    loader = unittest.TestLoader()
    tests = []
    for name in module_names:
        module = __import__(name)
        tests.extend(t for t in iter_tests(loader.loadTestsFromModule(module)) if matches(t.id(), patterns))
    return tests


def run_test(test):
    """Runs one case; returns its problems as (test, text) pairs, none when it passed."""
    result = unittest.TestResult()
    test.run(result)
    problems = result.failures + result.errors
    for skipped_test, reason in result.skipped:
        problems.append((skipped_test, f"test was skipped ({reason}); skipping is not allowed"))
    for ok_fail in result.unexpectedSuccesses:
        problems.append((ok_fail, "unexpected success"))
    if not problems and not result.wasSuccessful():
        problems.append((test, "the test did not succeed"))
    return problems


def short_traceback(tb, test_file_marker):
    """The assertion message plus the innermost frame in a test module
    (a path containing test_file_marker, e.g. "/tests/e2e/test_")."""
    lines = tb.rstrip().splitlines()
    msg_start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("  File "):
            msg_start = i + 2
            break
    frames = [i for i, l in enumerate(lines) if l.startswith("  File ") and test_file_marker in l]
    where = ""
    if frames:
        i = frames[-1]
        where = lines[i].strip() + "\n  " + (lines[i + 1].strip() if i + 1 < len(lines) else "") + "\n"
    return where + "\n".join(lines[msg_start:])


def print_problems(problems, verbose, test_file_marker):
    for _, tb in problems:
        text = tb if verbose else short_traceback(tb, test_file_marker)
        print("      " + text.rstrip().replace("\n", "\n      "))


def finish(passed, failed, patterns):
    """Prints the closing line and returns the exit status. Selecting
    nothing without a pattern is a failure: the suite lost its tests."""
    if passed + failed == 0:
        print("no tests selected")
        failed = 1 if not patterns else 0
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1
