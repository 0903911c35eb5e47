"""Transcript files: parsing, and matching server frames against patterns.

A transcript file holds one or more scenarios, one directive per line (the
directives are listed in README.md). This module is pure: it reads text and
compares values; run.py executes the directives against a server.
"""

import json
import re

DEFAULT_CONNECTION = "main"

# Directives and how their arguments are read.
#   conn: the first word names a connection when it is one declared by an
#         earlier `connect` of the scenario, else the default connection.
DIRECTIVES = {
    "env", "connect", "send", "send-binary", "send-as-binary", "expect", "expect-close",
    "expect-silence", "ping", "close", "wait", "timeout", "stop-server", "start-server",
    "restart-server", "db", "must-fail",
}
CONN_DIRECTIVES = {"send", "send-binary", "send-as-binary", "expect", "expect-close",
                   "expect-silence", "ping", "close"}
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
HEADER_START_RE = re.compile(r"\s+(?=[A-Za-z][A-Za-z0-9-]*:(?:\s|$))")


class TranscriptError(Exception):
    """A malformed transcript file (a mistake in the test, not the server)."""


class Directive:
    def __init__(self, line_no, verb, conn, arg, raw):
        self.line_no = line_no
        self.verb = verb
        self.conn = conn      # connection name, for CONN_DIRECTIVES and connect
        self.arg = arg        # the rest of the line, as written
        self.raw = raw
        self.parsed = None    # per-directive parsed argument

    def __repr__(self):
        return f"line {self.line_no}: {self.raw}"


class Scenario:
    def __init__(self, file_name, name, line_no):
        self.file_name = file_name
        self.name = name
        self.line_no = line_no
        self.directives = []
        self.must_fail = None  # for the driver's self-check: the failure expected

    @property
    def id(self):
        return f"{self.file_name}::{self.name}"


def parse_file(path, file_name):
    with open(path, encoding="utf-8") as f:
        return parse_text(f.read(), file_name)


def parse_text(text, file_name):
    scenarios = []
    current = None
    names_seen = set()
    connections = set()
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        verb, _, rest = stripped.partition(" ")
        rest = rest.strip()
        if verb == "scenario":
            if not rest:
                raise TranscriptError(f"{file_name}:{line_no}: scenario needs a name")
            if rest in names_seen:
                raise TranscriptError(f"{file_name}:{line_no}: duplicate scenario name {rest!r}")
            names_seen.add(rest)
            current = Scenario(file_name, rest, line_no)
            scenarios.append(current)
            connections = set()
            continue
        if current is None:
            raise TranscriptError(f"{file_name}:{line_no}: directive before the first `scenario` line")
        if verb not in DIRECTIVES:
            raise TranscriptError(f"{file_name}:{line_no}: unknown directive {verb!r}")
        if verb == "must-fail":
            if not rest or current.directives or current.must_fail is not None:
                raise TranscriptError(f"{file_name}:{line_no}: `must-fail TEXT` must come first "
                                      f"in its scenario, once")
            current.must_fail = rest
            continue
        d = _parse_directive(line_no, verb, rest, stripped, connections, file_name)
        current.directives.append(d)
    if not scenarios:
        raise TranscriptError(f"{file_name}: no scenarios")
    for s in scenarios:
        if not s.directives:
            raise TranscriptError(f"{file_name}:{s.line_no}: scenario {s.name!r} is empty")
    return scenarios


def _parse_directive(line_no, verb, rest, raw, connections, file_name):
    where = f"{file_name}:{line_no}"
    conn = None
    if verb == "connect":
        first, _, after = rest.partition(" ")
        if first and NAME_RE.match(first) and not first.endswith(":"):
            conn, rest = first, after.strip()
        else:
            conn = DEFAULT_CONNECTION
        connections.add(conn)
    elif verb in CONN_DIRECTIVES:
        first, _, after = rest.partition(" ")
        if first in connections:
            conn, rest = first, after.strip()
        else:
            conn = DEFAULT_CONNECTION
    d = Directive(line_no, verb, conn, rest, raw)
    try:
        d.parsed = _parse_argument(verb, rest)
    except (ValueError, TranscriptError) as e:
        raise TranscriptError(f"{where}: {verb}: {e}") from None
    return d


def _parse_argument(verb, rest):
    if verb == "env":
        key, eq, value = rest.partition("=")
        if not eq or not NAME_RE.match(key):
            raise ValueError("expected KEY=VALUE")
        return key, value
    if verb == "connect":
        return _parse_connect(rest)
    if verb in ("send", "send-as-binary"):
        if not rest:
            raise ValueError("nothing to send")
        return rest
    if verb == "send-binary":
        return bytes.fromhex(rest)
    if verb == "expect":
        return parse_json(rest)
    if verb == "expect-close":
        code, _, reason = rest.partition(" ")
        return int(code), reason
    if verb in ("expect-silence", "wait", "timeout"):
        ms = int(rest)
        if ms < 0:
            raise ValueError("negative duration")
        return ms
    if verb == "ping":
        if rest:
            raise ValueError("takes no argument")
        return None
    if verb == "close":
        if not rest:
            return 1000, ""
        code, _, reason = rest.partition(" ")
        return int(code), reason
    if verb in ("stop-server", "restart-server"):
        how = rest or "term"
        if how not in ("term", "kill"):
            raise ValueError("expected `term` or `kill`")
        return how
    if verb == "start-server":
        if rest:
            raise ValueError("takes no argument")
        return None
    if verb == "db":
        sql, sep, expected = rest.rpartition(" => ")
        if not sep or not sql.strip():
            raise ValueError("expected `SQL => JSON`")
        return sql.strip(), parse_json(expected)
    raise TranscriptError(f"unhandled directive {verb}")


def _parse_connect(rest):
    path = "/"
    if rest.startswith("/"):
        path, _, rest = rest.partition(" ")
        rest = rest.strip()
    headers = []
    if rest:
        for part in HEADER_START_RE.split(rest):
            name, colon, value = part.partition(":")
            if not colon or not re.match(r"[A-Za-z][A-Za-z0-9-]*$", name):
                raise ValueError(f"expected `Header: value`, got {part!r}")
            headers.append((name, value.strip()))
    return path, headers


class DuplicateKey(ValueError):
    pass


def _pairs_hook(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise DuplicateKey(f"duplicate key {k!r}")
        d[k] = v
    return d


def parse_json(text):
    """JSON with key order kept and duplicate keys refused."""
    return json.loads(text, object_pairs_hook=_pairs_hook)


def is_compact_json(text):
    """True when the text has no whitespace outside strings (JSON.stringify's output)."""
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in " \t\r\n":
            return False
    return True


# -- patterns ----------------------------------------------------------------
#
# In an expected value, a string "<KIND ...>" is a placeholder:
#   <any>              anything
#   <string>           any string
#   <digits>           a non-empty string of decimal digits
#   <int>              a JSON integer (not a boolean, no fraction)
#   <number>           any JSON number
#   <ts>               an integer epoch-milliseconds time within the scenario
#   <re REGEX>         a string the regular expression matches in full
# After the kind (not for <re>), any of:
#   @v                 bind the value to variable v (or, if bound, require equality)
#   OP @v              compare with variable v: > >= < <= == !=
# Variables live for the whole scenario (across server restarts); <digits>
# values compare as integers.

PLACEHOLDER_KINDS = ("any", "string", "digits", "int", "number", "ts", "re")
OPS = {
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


class Mismatch(AssertionError):
    pass


def _placeholder(s):
    if not (len(s) >= 3 and s[0] == "<" and s[-1] == ">"):
        return None
    body = s[1:-1]
    kind, _, args = body.partition(" ")
    if kind not in PLACEHOLDER_KINDS:
        return None
    return kind, args.strip()


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Matcher:
    """Matches actual values against expected patterns; holds the variables."""

    def __init__(self, ts_range):
        self.vars = {}
        self.ts_range = ts_range  # callable returning (low_ms, high_ms)

    def match(self, expected, actual, path="$"):
        if isinstance(expected, str):
            ph = _placeholder(expected)
            if ph:
                self._match_placeholder(ph, actual, path)
                return
            if actual != expected or not isinstance(actual, str):
                raise Mismatch(f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}")
            return
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                raise Mismatch(f"{path}: expected an object, got {json.dumps(actual)}")
            if list(expected) != list(actual):
                raise Mismatch(f"{path}: keys (in order) {list(actual)}, expected {list(expected)}")
            for k in expected:
                self.match(expected[k], actual[k], f"{path}.{k}")
            return
        if isinstance(expected, list):
            if not isinstance(actual, list) or len(actual) != len(expected):
                raise Mismatch(f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}")
            for i, (e, a) in enumerate(zip(expected, actual)):
                self.match(e, a, f"{path}[{i}]")
            return
        if isinstance(expected, bool) or expected is None:
            if actual is not expected:
                raise Mismatch(f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}")
            return
        # A number: same value, and an integer stays an integer.
        if not _is_number(actual) or actual != expected or (_is_int(expected) and not _is_int(actual)):
            raise Mismatch(f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}")

    def _match_placeholder(self, ph, actual, path):
        kind, args = ph
        shown = json.dumps(actual)
        if kind == "re":
            if not isinstance(actual, str) or not re.fullmatch(args, actual, re.S):
                raise Mismatch(f"{path}: expected a string matching /{args}/, got {shown}")
            return
        if kind == "string" and not isinstance(actual, str):
            raise Mismatch(f"{path}: expected a string, got {shown}")
        if kind == "digits" and not (isinstance(actual, str) and re.fullmatch(r"[0-9]+", actual)):
            raise Mismatch(f"{path}: expected a string of decimal digits, got {shown}")
        if kind == "int" and not _is_int(actual):
            raise Mismatch(f"{path}: expected an integer, got {shown}")
        if kind == "number" and not _is_number(actual):
            raise Mismatch(f"{path}: expected a number, got {shown}")
        if kind == "ts":
            if not _is_int(actual):
                raise Mismatch(f"{path}: expected an integer timestamp, got {shown}")
            low, high = self.ts_range()
            if not low <= actual <= high:
                raise Mismatch(f"{path}: timestamp {actual} outside [{low}, {high}] (the scenario's time)")
        value = int(actual) if kind == "digits" else actual
        tokens = args.split()
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok in OPS:
                if i + 1 >= len(tokens) or not tokens[i + 1].startswith("@"):
                    raise Mismatch(f"{path}: bad placeholder <{kind} {args}>: `{tok}` needs @variable")
                var = tokens[i + 1][1:]
                if var not in self.vars:
                    raise Mismatch(f"{path}: variable @{var} is not bound yet")
                if not OPS[tok](value, self.vars[var]):
                    raise Mismatch(f"{path}: expected {tok} @{var} ({self.vars[var]}), got {shown}")
                i += 2
            elif tok.startswith("@") and len(tok) > 1:
                var = tok[1:]
                if var in self.vars and self.vars[var] != value:
                    raise Mismatch(f"{path}: expected @{var} = {self.vars[var]}, got {shown}")
                self.vars[var] = value
                i += 1
            else:
                raise Mismatch(f"{path}: bad placeholder <{kind} {args}>")
