"""bench/run --cluster and --cluster-idle: sela-server processes sharing Redis (issue 14).

--cluster: the jobs workload of bench/run (10,000 nodes answering at once,
1 KiB results, 256 keep-alive customer connections) against 2 processes on
one port (SO_REUSEPORT) sharing a fresh redis-server, and against 1 process
on the embedded store, in the same run; and the Redis commands per job,
counted by Redis itself (INFO commandstats) over the load generator's
measured window.

--cluster-idle: registered nodes held by 13 processes on one port sharing
Redis, with heartbeats (250,000 nodes held 600 s by default), their memory
per node over all processes and the Redis calls their heartbeats cost.

Each run is against a fresh group (bench/cluster.py: ServerGroup, its own
redis-server with the appendfsync of BENCH_REDIS_FSYNC). Nothing is pinned:
the server processes, Redis and sela-loadgen share the cores, as they would
on one box in production. A figure is the median of its valid runs; a run
is judged as bench/run judges its own (run_figures.check_run), and void if a
server process exited during it.
"""

import datetime
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import threading

import cluster
import run_report
import run_targets as T
from run_figures import check_run, fmt_ms, judge, ms, target_cells
from run_scenarios import fmt_int, fmt_us, get

FLAGS = {"cluster": " --cluster", "cluster-idle": " --cluster-idle"}
BUILD_TARGETS = ["sela-server", "sela-loadgen"]
PIN_NOTE = "nothing pinned (server processes, Redis and sela-loadgen share the cores)"

BAD_KNOBS = []  # check_knobs() tells; the standard mode ignores them.


def _knob(name, default, kind):
    try:
        value = kind(os.environ.get(name) or default)
        if value > 0:
            return value
    except ValueError:
        pass
    BAD_KNOBS.append("%s=%r (a number above 0)" % (name, os.environ.get(name)))
    return kind(default)


REDIS_FSYNC = os.environ.get("BENCH_REDIS_FSYNC") or "always"
if REDIS_FSYNC not in ("always", "everysec", "none"):
    BAD_KNOBS.append("BENCH_REDIS_FSYNC=%r (always, everysec or none)" % REDIS_FSYNC)
IDLE_NODES = _knob("BENCH_IDLE_NODES", 250000, int)
IDLE_PROCS = _knob("BENCH_IDLE_PROCS", 13, int)
IDLE_HOLD_S = _knob("BENCH_IDLE_HOLD_S", 600, float)
RUNS = {"cluster": _knob("BENCH_RUNS", 3, int), "cluster-idle": _knob("BENCH_RUNS", 1, int)}
# The settings that change what a run measures: bench/run records them in its command.
KNOBS = ["BENCH_RUNS", "BENCH_REDIS_FSYNC", "BENCH_IDLE_NODES", "BENCH_IDLE_PROCS", "BENCH_IDLE_HOLD_S"]


def check_knobs():
    if BAD_KNOBS:
        raise T.CannotRun("bad setting(s): " + "; ".join(sorted(set(BAD_KNOBS))))


def budget_s(mode):
    """The mode's default time budget (BENCH_BUDGET_S overrides it)."""
    if mode == "cluster-idle":
        return RUNS[mode] * (IDLE_HOLD_S + IDLE_NODES / 2000.0 + 240)
    return 900


# ---------------------------------------------------------------- --cluster

# No --settle-s: the loadgen's default (2 s), as the runs in docs/BENCHMARKS.md.
CLUSTER_JOBS_ARGS = ["jobs"] + shlex.split("--nodes 10000 --customers 256 --result-bytes 1024 "
                                           "--result-delay-ms 0 --timeout-ms 5000 --duration 5")
REDIS_LABEL = "Redis, 2 processes"
EMBEDDED_LABEL = "embedded store, 1 process"


def commands_per_job(r, names=None):
    """Redis commands (those in names, or all) per completed job, over the
    loadgen's measured window."""
    calls = r.get("redis_window")
    done = get(r, "jobs", "completed")
    if not calls or not done:
        return None
    return sum(v for k, v in calls.items() if names is None or k in names) / done


def p99_ms(r):
    return ms(get(r, "latency_us", "p99"))


def cpu_per_job(label, key):
    return {"key": key, "figure": "  %s: server CPU per job, all processes (same runs)" % label,
            "value": lambda r: get(r, "server", "cpu_us_per_op"), "fmt": fmt_us}


def latency_figures(label, key, target=False):
    p99 = {"key": key + "_p99", "figure": "%s: job round trip p99 at 2,500 jobs/s" % label,
           "value": p99_ms, "fmt": fmt_ms}
    if target:
        p99["abs"] = (5, "le", "≤ 5 ms")
    return [p99,
            {"key": key + "_p50", "figure": "  %s: p50 (same runs)" % label,
             "value": lambda r: ms(get(r, "latency_us", "p50")), "fmt": fmt_ms},
            cpu_per_job(label, key + "_cpu")]


def throughput_figures(label, key, target=False):
    rate = {"key": key + "_rate", "figure": "%s: sustained jobs/s (closed loop)" % label,
            "value": lambda r: r.get("throughput_per_s"), "fmt": lambda x: fmt_int(x, " /s")}
    if target:
        rate["abs"] = (10000, "ge", "≥ 10,000 /s")
    return [rate,
            {"key": key + "_p99", "figure": "  %s: p99 (same runs)" % label, "value": p99_ms, "fmt": fmt_ms},
            cpu_per_job(label, key + "_cpu")]


REDIS_COMMAND_FIGURES = [
    {"key": "redis_cmds", "figure": "  Redis commands per job (job window; idle nodes' heartbeats included)",
     "value": commands_per_job, "fmt": lambda x: "%.2f" % x},
    {"key": "redis_scripts", "figure": "    of which scripts (EVALSHA)",
     "value": lambda r: commands_per_job(r, {"evalsha"}), "fmt": lambda x: "%.2f" % x},
]


def jobs_scenario(name, procs, rate, figures):
    return {"name": name, "group": {"procs": procs, "store": "redis" if procs > 1 else "sqlite"},
            "args": CLUSTER_JOBS_ARGS + ["--job-rate", str(rate)], "cap_s": 90, "figures": figures}


CLUSTER = [
    jobs_scenario("redis-jobs-latency", 2, 2500, latency_figures(REDIS_LABEL, "redis_lat", target=True)),
    jobs_scenario("redis-jobs-throughput", 2, 0,
                  throughput_figures(REDIS_LABEL, "redis_max", target=True) + REDIS_COMMAND_FIGURES),
    jobs_scenario("embedded-jobs-latency", 1, 2500, latency_figures(EMBEDDED_LABEL, "emb_lat")),
    jobs_scenario("embedded-jobs-throughput", 1, 0, throughput_figures(EMBEDDED_LABEL, "emb_max")),
]


# ---------------------------------------------------------------- --cluster-idle

def redis_calls_per_node_minute(r):
    window = r.get("redis_window")
    return sum(window.values()) / IDLE_NODES / (IDLE_HOLD_S / 60.0) if window else None


CLUSTER_IDLE = [{
    "name": "redis-idle-nodes", "group": {"procs": IDLE_PROCS, "store": "redis"},
    # 32 source addresses (the loadgen's default, said here for the record):
    # 250,000 connections to one port need more than the 28,232 ephemeral
    # ports of one (source, destination) pair, and each process takes at most
    # 1,024 connections from one source (MAX_CONNECTIONS_PER_SOURCE): 250,000
    # over 13 processes and 32 sources is about 600 a source per process.
    "args": ["hold", "--nodes", str(IDLE_NODES), "--principal-format", "ic", "--heartbeat-s", "30",
             "--duration", "%g" % IDLE_HOLD_S, "--source-ips", "32", "--settle-s", "10"],
    "cap_s": IDLE_HOLD_S + IDLE_NODES / 2000.0 + 180,
    "figures": [
        {"key": "idle_held",
         "figure": "idle nodes held by %d processes on one port, heartbeats 30 s, %d s" % (IDLE_PROCS, IDLE_HOLD_S),
         "value": lambda r: r.get("registered") if not r.get("dropped") else None,
         "fmt": lambda x: fmt_int(x, " nodes"), "abs": (250000, "ge", "≥ 250,000, 0 dropped")},
        {"key": "idle_mem", "figure": "  user-space memory per node, all processes (same runs)",
         "value": lambda r: get(r, "server", "rss_bytes_per_connection"),
         "fmt": lambda x: fmt_int(x, " B/node"), "abs": (512, "le", "≤ 512 B/node")},
        {"key": "idle_dropped", "figure": "  dropped by the servers while held (same runs)",
         "value": lambda r: r.get("dropped"), "fmt": fmt_int},
        {"key": "idle_reg_rate", "figure": "  registrations/s over %d processes (same runs)" % IDLE_PROCS,
         "value": lambda r: r.get("throughput_per_s"), "fmt": lambda x: fmt_int(x, " /s")},
        {"key": "idle_hb", "figure": "  heartbeats answered / sent (same runs)",
         "value": lambda r: (get(r, "hold", "heartbeat_acks") or 0) / max(1, get(r, "hold", "heartbeats_sent") or 0),
         "fmt": lambda x: "%.4f" % x},
        {"key": "idle_redis",
         "figure": "  Redis calls while held (script calls inside included), per node per minute (same runs)",
         "value": redis_calls_per_node_minute, "fmt": lambda x: "%.2f" % x},
    ],
}]

SCENARIOS = {"cluster": CLUSTER, "cluster-idle": CLUSTER_IDLE}


# ---------------------------------------------------------------- running

def _watch(stream, redis, marks, lines):
    """Reads the loadgen's progress lines; samples Redis's command counts when
    the measured phase starts and when closing starts (the coordinator's own
    lines: the workers' progress lines say "closing 0" too)."""
    for line in stream:
        lines.append(line)
        key = ("start" if line.startswith(("[loadgen] submitting jobs", "[loadgen] holding idle"))
               else "end" if line.startswith("[loadgen] closing") else None)
        if key and redis and key not in marks:
            try:
                marks[key] = redis.commandstats()
            except OSError as e:
                marks[key + "_error"] = str(e)


def run_loadgen_watching(args, cap_s, redis, budget):
    """sela-loadgen, unpinned, its progress read as it runs: (exit status,
    stdout, stderr's last lines, {Redis command: calls} in the measured window)."""
    max_runtime = int(min(cap_s, budget.remaining() - 5))
    if max_runtime < 5:
        return None, "", budget.used_up(), None
    p = subprocess.Popen([T.LOADGEN] + args + ["--max-runtime-s", str(max_runtime)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    T.live.append(p)
    marks, lines = {}, []
    watcher = threading.Thread(target=_watch, args=(p.stderr, redis, marks, lines), daemon=True)
    watcher.start()
    killed = threading.Event()
    killer = threading.Timer(max_runtime + 20, lambda: (killed.set(), p.kill()))
    killer.start()
    try:
        out = p.stdout.read()
        p.wait()
    finally:
        killer.cancel()
        T.stop_process(p)  # Interrupted: it must not outlive bench/run.
    watcher.join(5)
    if killed.is_set():
        lines.append("killed: no exit 20 s after --max-runtime-s")
    window = None
    if "start" in marks and "end" in marks:
        window = {k: marks["end"].get(k, 0) - marks["start"].get(k, 0) for k in marks["end"]}
    return p.returncode, out, "".join(lines[-50:]), window


def run_group_once(sc, seed, tmp, budget):
    """One run of a scenario against a fresh ServerGroup: (result, problem)."""
    try:
        group = cluster.ServerGroup(T.SERVER, tmp, "%s.%d" % (sc["name"], seed), T.live,
                                    fsync="" if REDIS_FSYNC == "none" else REDIS_FSYNC,
                                    env_extra=T.SELA_ENV, **sc["group"])
    except RuntimeError as e:
        raise T.CannotRun(str(e))
    try:
        args = sc["args"] + ["--seed", str(seed), "--port", str(group.port)] + group.pid_args()
        rc, out, err, window = run_loadgen_watching(args, sc["cap_s"], group.redis, budget)
        exited = group.exited()
    finally:
        group.stop()
    result, problem = judge(rc, out, err, lambda r: (
        "server process(es) %s exited during the run" % exited if exited else check_run(r)))
    if result is not None:
        result["redis_window"] = window
    return result, problem


def run_group_scenario(sc, runs, tmp, budget):
    """[(result or None, problem or None)], one a run."""
    out = []
    for seed in range(1, runs + 1):
        if budget.remaining() < 30:
            out.append((None, budget.used_up()))
            continue
        t0 = budget.elapsed()
        result, problem = run_group_once(sc, seed, tmp, budget)
        T.log("%s run %d/%d (seed %d): %.1f s%s" % (sc["name"], seed, runs, seed, budget.elapsed() - t0,
                                                    "" if problem is None else ", " + problem))
        out.append((result if problem is None else None, problem))
    return out


# ---------------------------------------------------------------- report

def columns(runs):
    return [("figure", "figure"), ("measured", "measured (median of %d)" % runs), ("target", "target"),
            ("status", "status"), ("runs", "the %d runs" % runs), ("server_cpu", "server cpu s"),
            ("lg_cpu", "loadgen cpu s"), ("lg_busy", "loadgen busiest proc")]


def median_of(runs, fn):
    vals = [v for v in (fn(r) for r, _ in runs if r is not None) if v is not None]
    return (statistics.median(vals) if vals else None), vals


def figure_row(fig, runs):
    """(row, whether the figure was measured as its target needs)."""
    med, vals = median_of(runs, fig["value"])
    row = {"figure": fig["figure"], "target": fig["abs"][2] if "abs" in fig else "—"}
    if med is None:
        problems = sorted({p for _, p in runs if p})
        row["measured"] = "no valid run: " + "; ".join(problems)[:200]
        row["status"] = "error" if "abs" in fig else ""
        return row, "abs" not in fig
    row["measured"] = fig["fmt"](med)
    row["runs"] = " / ".join(fig["fmt"](v).split(" ")[0] for v in vals)
    if len(vals) < len(runs):
        row["runs"] += " (%d of %d valid)" % (len(vals), len(runs))
    cells = target_cells(fig, {(fig["key"], "sela"): (med,)})
    if not cells:
        row["status"] = "info"
        return row, True
    row["status"] = "pass" if all(c["ok"] for c in cells) else "short"
    for key, path, text in (("server_cpu", ("server", "cpu_s"), "%.2f"),
                            ("lg_cpu", ("loadgen", "measure_cpu_s"), "%.2f")):
        value, _ = median_of(runs, lambda r: get(r, *path))
        row[key] = "" if value is None else text % value
    busy, _ = median_of(runs, lambda r: get(r, "loadgen", "busiest_proc_cpu_fraction"))
    row["lg_busy"] = "" if busy is None else "%.0f%%" % (100 * busy)
    return row, True


def build_rows(mode, results):
    rows, complete = [], True
    for sc in SCENARIOS[mode]:
        for fig in sc["figures"] if sc["name"] in results else []:
            row, measured = figure_row(fig, results[sc["name"]])
            rows.append(row)
            complete = complete and measured
    return rows, complete


def invocation(sc, runs):
    g = sc["group"]
    where = ("%d `sela-server` process(es) on one port sharing a fresh redis-server (appendfsync %s)"
             % (g["procs"], "none, no AOF" if REDIS_FSYNC == "none" else REDIS_FSYNC)
             if g["store"] == "redis" else "1 `sela-server` on the embedded store")
    return "- `%s`: %s; `sela-loadgen %s --seed {%s} --port P --server-pid PID%s --max-runtime-s S`" % (
        sc["name"], where, " ".join(sc["args"]), ",".join(str(s) for s in range(1, runs + 1)),
        " --server-pids P2,..." if g["procs"] > 1 else "")


TITLES = {"cluster": "## Last run of `bench/run --cluster` (several processes, Redis)",
          "cluster-idle": "## Last run of `bench/run --cluster-idle` (idle nodes, %d processes, Redis)" % IDLE_PROCS}


def run(mode, only, write, command, load_start, budget):
    """Runs a cluster mode (bench/run has built and checked the binaries);
    prints its table and, with write, its block of docs/BENCHMARKS.md.
    Returns bench/run's exit status."""
    if not shutil.which("redis-server"):
        why = T.apt_install(["redis-server"])
        if why:
            raise T.CannotRun("redis-server is missing and could not be installed: " + why)
    runs = RUNS[mode]
    started = datetime.datetime.now(datetime.timezone.utc)
    mach = run_report.machine()
    T.log("pinning: none (cluster modes share the cores); Redis appendfsync " + REDIS_FSYNC)
    results = {}
    tmp = tempfile.mkdtemp(prefix="bench-run.")
    try:
        for sc in SCENARIOS[mode]:
            if only is None or sc["name"] in only:
                results[sc["name"]] = run_group_scenario(sc, runs, tmp, budget)
    finally:
        T.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)
    rows, complete = build_rows(mode, results)
    text = run_report.table(rows, columns(runs))
    load_end = "%.2f %.2f %.2f" % os.getloadavg()
    print()
    print(text)
    print()
    print(run_report.total_line(budget.elapsed(), PIN_NOTE, load_start, load_end))
    if write:
        run_report.write_doc("\n".join(
            run_report.header(started, command, budget.elapsed(), mach, load_start, load_end, PIN_NOTE,
                              TITLES[mode])
            + [text, "", "Load generator invocations (one fresh group of servers per run):", ""]
            + [invocation(sc, runs) for sc in SCENARIOS[mode]]), FLAGS[mode])
        T.log("wrote " + os.path.relpath(run_report.DOC, T.ROOT))
    return 0 if complete else 1
