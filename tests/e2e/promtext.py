"""A strict parser for the Prometheus text exposition format 0.0.4.

    m = parse(text)
    m.value("sela_http_requests_total", route="/health", status="200")  # float or None
    m.type("sela_http_request_duration_seconds")                         # "histogram"

Any line that is not valid in the format raises ParseError naming the line:
samples must have a valid metric name, well-formed labels (with \\\\, \\" and
\\n escapes only), a float value (+Inf, -Inf, NaN allowed) and an optional
integer timestamp; a series may appear once; a TYPE line must precede the
samples of its family and appear at most once; the text must end with a
newline.
"""

import math
import re

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class ParseError(AssertionError):
    pass


class Metrics:
    def __init__(self):
        self.samples = {}   # (name, frozenset(labels.items())) -> float
        self.types = {}     # family name -> type
        self.helps = {}     # family name -> help text

    def value(self, name, **labels):
        """The value of the series `name{labels}` (exact label set), or None."""
        return self.samples.get((name, frozenset(labels.items())))

    def value_or_zero(self, name, **labels):
        v = self.value(name, **labels)
        return 0.0 if v is None else v

    def type(self, family):
        return self.types.get(family)

    def series(self, name):
        """All (labels dict, value) of samples named `name`."""
        return [(dict(k[1]), v) for k, v in self.samples.items() if k[0] == name]


def _family_of(name, types):
    for family, t in types.items():
        for suffix in _SUFFIXES.get(t, ()):
            if name == family + suffix:
                return family
    return name


def _parse_value(text, lineno):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ParseError(f"line {lineno}: bad sample value {text!r}")
    return float(text)


def _parse_labels(text, pos, lineno):
    """Parse `{a="b",...}` starting at text[pos] == '{'. Returns (dict, new_pos)."""
    labels = {}
    pos += 1
    while True:
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME_RE.match(text, pos)
        if not m:
            raise ParseError(f"line {lineno}: bad label name at column {pos + 1}: {text!r}")
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise ParseError(f"line {lineno}: expected =\" after label {name!r}: {text!r}")
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise ParseError(f"line {lineno}: unterminated label value: {text!r}")
            ch = text[pos]
            if ch == "\\":
                esc = text[pos + 1:pos + 2]
                if esc not in ("\\", '"', "n"):
                    raise ParseError(f"line {lineno}: bad escape \\{esc} in label value: {text!r}")
                value.append("\n" if esc == "n" else esc)
                pos += 2
            elif ch == '"':
                pos += 1
                break
            else:
                value.append(ch)
                pos += 1
        if name in labels:
            raise ParseError(f"line {lineno}: label {name!r} repeated: {text!r}")
        labels[name] = "".join(value)
        if text[pos:pos + 1] == ",":
            pos += 1
        elif text[pos:pos + 1] != "}":
            raise ParseError(f"line {lineno}: expected , or }} after label {name!r}: {text!r}")


def parse(text):
    if text and not text.endswith("\n"):
        raise ParseError("exposition does not end with a newline")
    m = Metrics()
    seen_families = set()
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not NAME_RE.fullmatch(parts[2]):
                    raise ParseError(f"line {lineno}: bad {parts[1]} line {line!r}")
                family = parts[2]
                if parts[1] == "TYPE":
                    t = parts[3].strip() if len(parts) > 3 else ""
                    if t not in TYPES:
                        raise ParseError(f"line {lineno}: unknown metric type {t!r}")
                    if family in m.types:
                        raise ParseError(f"line {lineno}: second TYPE line for {family}")
                    if family in seen_families:
                        raise ParseError(f"line {lineno}: TYPE for {family} after its samples")
                    m.types[family] = t
                else:
                    if family in m.helps:
                        raise ParseError(f"line {lineno}: second HELP line for {family}")
                    m.helps[family] = parts[3] if len(parts) > 3 else ""
            continue
        nm = NAME_RE.match(line)
        if not nm:
            raise ParseError(f"line {lineno}: bad metric name: {line!r}")
        name = nm.group(0)
        pos = nm.end()
        labels = {}
        if line[pos:pos + 1] == "{":
            labels, pos = _parse_labels(line, pos, lineno)
        rest = line[pos:]
        if not rest.startswith(" "):
            raise ParseError(f"line {lineno}: expected a blank before the value: {line!r}")
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise ParseError(f"line {lineno}: expected value [timestamp]: {line!r}")
        value = _parse_value(fields[0], lineno)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ParseError(f"line {lineno}: bad timestamp {fields[1]!r}")
        key = (name, frozenset(labels.items()))
        if key in m.samples:
            raise ParseError(f"line {lineno}: series repeated: {line!r}")
        m.samples[key] = value
        seen_families.add(_family_of(name, m.types))
    _check_histograms(m)
    return m


def _check_histograms(m):
    """Buckets cumulative, ending in +Inf equal to _count."""
    for family, t in m.types.items():
        if t != "histogram":
            continue
        groups = {}
        for labels, v in m.series(family + "_bucket"):
            if "le" not in labels:
                raise ParseError(f"{family}_bucket sample without an le label")
            rest = frozenset((k, x) for k, x in labels.items() if k != "le")
            groups.setdefault(rest, []).append((_parse_value(labels["le"], 0), v))
        for rest, buckets in groups.items():
            buckets.sort()
            if buckets[-1][0] != math.inf:
                raise ParseError(f"{family}: no le=\"+Inf\" bucket")
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise ParseError(f"{family}: bucket counts are not cumulative: {buckets}")
            count = m.samples.get((family + "_count", rest))
            if count is None or m.samples.get((family + "_sum", rest)) is None:
                raise ParseError(f"{family}: _sum or _count missing")
            if count != counts[-1]:
                raise ParseError(f"{family}: _count {count} != +Inf bucket {counts[-1]}")
