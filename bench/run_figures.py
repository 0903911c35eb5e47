"""bench/run's scenarios, figures and targets (issue 16: ratios in one run).

A scenario is one load generator invocation run against each of its
subjects; a figure is read from every valid run and reported as the median.
A target compares sela-server's median with another subject's (or another
figure's) median from the same bench/run: ratio = ours / theirs.
"""

import json
import os
import shlex

import run_scenarios as S
from run_scenarios import fmt_int, fmt_us, get
from run_targets import parse_json

SUBJECTS = {"sela": "sela-server", "floor-ws": "floor", "floor-relay": "floor (relay)",
            "beast": "Beast", "node-ws": "ws (Node)", "bullmq": "BullMQ"}

# Options of the `jobs` scenarios (tools/loadgen/README.md). Both use 10,000
# registered nodes answering at once with a 1 KiB result and 256 keep-alive
# connections (the server answers one request per connection at a time, so
# connections are the concurrency). Latency: an open loop of 5,000 jobs/s;
# 256 connections let the server stall for 50 ms before a submission has to
# wait inside the load generator, so a stall shows in the measured latency
# instead of hiding in the backlog. Throughput: a closed loop.
# --timeout-ms bounds how long a stuck job can hold the run.
JOBS_COMMON_ARGS = ("--nodes 10000 --customers 256 --result-bytes 1024 --result-delay-ms 0 "
                    "--timeout-ms 5000 --duration 5 --settle-s 1")
JOBS_LATENCY_ARGS = os.environ.get(
    "BENCH_JOBS_LATENCY_ARGS", JOBS_COMMON_ARGS + " --job-rate 5000")
JOBS_THROUGHPUT_ARGS = os.environ.get(
    "BENCH_JOBS_THROUGHPUT_ARGS", JOBS_COMMON_ARGS + " --job-rate 0")
# A jobs run whose failed or late submissions pass this share of all
# submissions does not measure what its row says.
JOBS_BAD_SHARE_MAX = 0.01

WS_PEERS = ["sela", "floor-ws", "beast", "node-ws"]
JOB_PEERS = ["sela", "floor-relay", "bullmq"]

# The scenarios with a floor and peers (issue 16). Subjects default to
# ["sela"]; the sela-only scenarios are in run_scenarios.py.
HOLD_RAW = {"name": "hold-raw", "subjects": WS_PEERS, "cap_s": 60,
            # Memory is read after all connected and --settle-s (2 s):
            # --duration 2 holds no longer than that.
            "args": ["hold", "--raw", "--nodes", "19000", "--duration", "2"]}
# Registrations/s needs its own run: the default --connect-rate 5000 of the
# memory runs would cap it.
HOLD_V1_UNPACED = {"name": "hold-v1-unpaced", "cap_s": 60,
                   "args": ["hold", "--nodes", "19000", "--principal-format", "ic", "--heartbeat-s", "30",
                            "--duration", "3", "--connect-rate", "0"]}
PING = {"name": "ping", "subjects": WS_PEERS, "cap_s": 40,
        "args": ["ping", "--nodes", "100", "--inflight", "1", "--duration", "3"]}
JOBS_LATENCY = {"name": "jobs-latency", "subjects": JOB_PEERS, "cap_s": 60,
                "args": ["jobs"] + shlex.split(JOBS_LATENCY_ARGS),
                "bullmq_args": ["--rate", "5000", "--inflight", "256", "--duration", "5"]}
JOBS_THROUGHPUT = {"name": "jobs-throughput", "subjects": JOB_PEERS, "cap_s": 60,
                   "args": ["jobs"] + shlex.split(JOBS_THROUGHPUT_ARGS),
                   "bullmq_args": ["--rate", "0", "--inflight", "256", "--duration", "5"]}

SCENARIOS = ([HOLD_RAW] + S.REGISTRATION + S.FLOODS + [HOLD_V1_UNPACED] + S.SIGNED + [PING]
             + S.FILES + [JOBS_LATENCY, JOBS_THROUGHPUT] + S.rewards(shlex.split(JOBS_THROUGHPUT_ARGS))
             + S.LEDGER)
for _sc in SCENARIOS:
    _sc.setdefault("subjects", ["sela"])
# `bench/run --only peers`: the scenarios compared with the floor and the
# peers, the run issue 16 asks to take under 10 minutes.
PEER_SCENARIOS = [sc["name"] for sc in SCENARIOS if len(sc["subjects"]) > 1]


def fmt_ms(x):
    return "%.2f ms" % x


def ms(us):
    return None if us is None else us / 1000.0


def cpu_per_op(r):
    return get(r, "server", "cpu_us_per_op")


# key, scenario, figure text, how to read it from a run, format, the subjects
# shown. "target": [(other, bound, "le"|"ge")], other being a subject of the
# same figure or (figure key, subject).
_PEER_FIGURES = [
    {"key": "ping_cpu", "scenario": "ping", "figure": "server CPU per PING round trip (100 busy conns)",
     "value": cpu_per_op, "fmt": fmt_us, "subjects": WS_PEERS,
     "target": [("floor-ws", 1.3, "le"), ("beast", 1.0, "lt"), ("node-ws", 1.0, "lt")]},
    {"key": "ping_rate", "scenario": "ping", "figure": "  PING round trips/s (same runs)",
     "value": lambda r: r.get("throughput_per_s"), "fmt": lambda x: fmt_int(x, " /s"), "subjects": WS_PEERS},
    {"key": "ping_p99", "scenario": "ping", "figure": "  PING round trip p99 (same runs)",
     "value": lambda r: get(r, "latency_us", "p99"), "fmt": lambda x: fmt_int(x, " µs"), "subjects": WS_PEERS},
    # Anonymous memory (heap, stacks): the code pages that the first
    # connection touches are no cost per connection, and in the floor they
    # are most of the growth of VmRSS.
    {"key": "raw_mem", "scenario": "hold-raw",
     "figure": "idle WebSocket memory (19,000 raw connections, RssAnon)",
     "value": lambda r: get(r, "server", "rss_anon_bytes_per_connection"),
     "fmt": lambda x: fmt_int(x, " B/conn"), "subjects": WS_PEERS,
     "target": [("floor-ws", 1.5, "le"), ("beast", 1.0, "lt"), ("node-ws", 1.0, "lt")]},
    {"key": "raw_rss", "scenario": "hold-raw", "figure": "  same, VmRSS (same runs)",
     "value": lambda r: get(r, "server", "rss_bytes_per_connection"),
     "fmt": lambda x: fmt_int(x, " B/conn"), "subjects": WS_PEERS},
    {"key": "reg_rate", "scenario": "hold-v1-unpaced", "figure": "registrations/s (19,000 nodes, unpaced)",
     "value": lambda r: r.get("throughput_per_s"), "fmt": lambda x: fmt_int(x, " /s"), "subjects": ["sela"]},
    {"key": "job5k_p99", "scenario": "jobs-latency",
     "figure": "job round trip p99 (5,000 jobs/s, 10,000 idle nodes)",
     "value": lambda r: ms(get(r, "latency_us", "p99")), "fmt": fmt_ms, "subjects": JOB_PEERS,
     "target": [("bullmq", 1.0, "le")]},
    {"key": "job5k_p50", "scenario": "jobs-latency", "figure": "  job round trip p50 (same runs)",
     "value": lambda r: ms(get(r, "latency_us", "p50")), "fmt": fmt_ms, "subjects": JOB_PEERS},
    {"key": "job5k_cpu", "scenario": "jobs-latency", "figure": "server CPU per job at 5,000 jobs/s (same runs)",
     "value": cpu_per_op, "fmt": fmt_us, "subjects": JOB_PEERS,
     "target": [("floor-relay", 3.0, "le"), (("jobmax_cpu", "sela"), 1.5, "le")]},
    {"key": "jobmax_rate", "scenario": "jobs-throughput", "figure": "sustained jobs/s (10,000 idle nodes)",
     "value": lambda r: r.get("throughput_per_s"), "fmt": lambda x: fmt_int(x, " /s"), "subjects": JOB_PEERS,
     "target": [("bullmq", 2.0, "ge")]},
    {"key": "jobmax_p99", "scenario": "jobs-throughput", "figure": "  job round trip p99 (same runs)",
     "value": lambda r: ms(get(r, "latency_us", "p99")), "fmt": fmt_ms, "subjects": JOB_PEERS},
    {"key": "jobmax_cpu", "scenario": "jobs-throughput", "figure": "  server CPU per job, saturated (same runs)",
     "value": cpu_per_op, "fmt": fmt_us, "subjects": JOB_PEERS},
]


def _ordered_figures():
    """Every figure, grouped by scenario in SCENARIOS' order."""
    by_scenario = {}
    for fig in _PEER_FIGURES:
        by_scenario.setdefault(fig["scenario"], []).append(fig)
    out = []
    for sc in SCENARIOS:
        out += by_scenario.get(sc["name"], [])
        for fig in sc.get("figures", []):
            out.append(dict(fig, scenario=sc["name"], subjects=["sela"]))
    return out


FIGURES = _ordered_figures()


def compare_median(fig, m):
    """A figure computed from two other figures' medians (sela-server's)."""
    a_key, b_key, fn = fig["compare"]
    a = (m.get((a_key, "sela")) or (None,))[0]
    b = (m.get((b_key, "sela")) or (None,))[0]
    return None if a is None or not b else fn(a, b)


def _holds(value, bound, how):
    return {"le": value <= bound, "lt": value < bound, "ge": value >= bound}[how]


def target_cells(fig, m):
    """[{ratio, target, ok}] of a figure, from the medians m[(key, subject)]."""
    cells = []
    ours = (m.get((fig["key"], "sela")) or (None,))[0]
    if "abs" in fig:  # A fixed target of a sela-only figure.
        bound, how, text = fig["abs"]
        cells.append({"ratio": "", "target": text, "ok": None if ours is None else _holds(ours, bound, how)})
    for other, bound, how in fig.get("target", []):
        if isinstance(other, tuple):
            theirs = (m.get(other) or (None,))[0]
            name = "sela-server saturated"
        else:
            theirs = (m.get((fig["key"], other)) or (None,))[0]
            name = {"floor-ws": "floor", "floor-relay": "floor"}.get(other, other)
            name = {"beast": "Beast", "node-ws": "ws", "bullmq": "BullMQ"}.get(name, name)
        sign = {"le": "≤", "lt": "<", "ge": "≥"}[how]
        text = "%s %g× %s" % (sign, bound, name)
        if ours is None or not theirs:
            cells.append({"ratio": "? × " + name, "target": text, "ok": None})
            continue
        r = ours / theirs
        cells.append({"ratio": "%.2f× %s" % (r, name), "target": text, "ok": _holds(r, bound, how)})
    return cells


def judge(rc, out, err, check=None):
    """(the JSON result of a run or None, why it must not be used or None),
    from the tool's exit status (None: not run, err says why) and output;
    check(result) is check_run unless given."""
    result = parse_json(out)
    if rc is None:
        problem = err
    elif result is None:
        problem = "exit %s, no JSON: %s" % (rc, err.strip()[-300:])
    elif rc != 0:
        problem = "exit %s: %s" % (rc, result.get("error") or err.strip()[-300:])
    else:
        problem = (check or check_run)(result)
    return result, problem


def check_run(r):
    """Why a run's result must not be used, or None."""
    if r.get("error"):
        return r["error"]
    scenario = str(r.get("scenario", ""))
    if scenario == "bullmq":
        return check_bullmq(r)
    if scenario.startswith("flood-"):
        return check_flood(r)
    if scenario.startswith("files-") or "nodes" not in r:
        return None  # bench/files_bench.py, bench/ledger_bench: an error says so.
    nodes = r.get("nodes")
    if r.get("connected") != nodes:
        return "%s of %s connected" % (r.get("connected"), nodes)
    if r.get("mode") in ("v1", "v2") and r.get("registered") != nodes:
        return "%s of %s registered" % (r.get("registered"), nodes)
    if get(r, "server", "error"):
        return "server reading: " + r["server"]["error"]
    if r.get("dropped"):
        return "%d connections dropped by the server" % r["dropped"]
    if r.get("scenario") == "jobs":
        return check_jobs(r)
    return None


def check_flood(r):
    """Why a flood run does not measure what its row says, or None."""
    told = r.get("told") or {}
    if r.get("scenario") == "flood-bodies" and told.get("16MiB_to_health_413") != 60:
        return "the 16 MiB bodies were not all refused with 413: %s" % json.dumps(told)
    if r.get("scenario") == "flood-results":
        for rnd in (0, 1):
            if told.get("round%d_refused_results" % rnd) != 500:
                return "not every result was read and answered: %s" % json.dumps(told)
    return None


def check_bullmq(r):
    """Jobs BullMQ left unanswered in an open loop do not void the run: its
    driver counts them in latency_us with the time they waited (a lower
    bound), so the p99 says how far behind the queue fell."""
    submitted = r.get("submitted") or 0
    if not r.get("completed"):
        return "no job completed (%d submitted)" % submitted
    bad = (r.get("failed") or 0) + (0 if r.get("loop") == "open" else r.get("unanswered") or 0)
    if bad > JOBS_BAD_SHARE_MAX * submitted:
        return "%d of %d jobs failed or unanswered" % (bad, submitted)
    rate = r.get("job_rate_per_s") or 0
    if rate and submitted < (1 - JOBS_BAD_SHARE_MAX) * rate * (r.get("duration_s") or 0):
        return "the driver fell behind: %d of %g jobs submitted" % (submitted, rate * r["duration_s"])
    return None


def check_jobs(r):
    """Why a jobs run does not measure what its row says, or None."""
    j = r.get("jobs")
    if not isinstance(j, dict):
        return "no jobs block in the report"
    submitted = j.get("submitted") or 0
    if (j.get("customers_connected") or 0) < (j.get("customers") or 0):
        return "%s of %s customer connections opened" % (j.get("customers_connected"),
                                                         j.get("customers"))
    statuses = json.dumps(j.get("statuses"), separators=(",", ":"))
    if not j.get("completed"):
        return "no job completed (%d submitted, HTTP statuses %s, errors %s)" % (
            submitted, statuses, json.dumps(r.get("errors"), separators=(",", ":"))[:150])
    bad = (j.get("failed") or 0) + (j.get("unanswered") or 0)
    if bad > JOBS_BAD_SHARE_MAX * submitted:
        return "%d of %d jobs failed or unanswered (HTTP statuses %s)" % (bad, submitted, statuses)
    late = (j.get("late") or 0)
    if j.get("loop") == "open" and late > JOBS_BAD_SHARE_MAX * (submitted + (j.get("unsent") or 0)):
        return ("server fell behind: %.0f of %g jobs/s submitted, %d late"
                % (j.get("submitted_per_s") or 0, j.get("job_rate_per_s") or 0, late))
    return None
