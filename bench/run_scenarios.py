"""bench/run's scenarios that measure sela-server alone, against fixed targets.

These have no floor or peer to compare with (registration paths, memory
floods, signed v2 sign-in, files, rewards, the ledger): their targets are
absolute, set by the issues that added them. The scenarios with a floor and
peers, whose targets are ratios (issue 16), are in run_figures.py, which
puts both in one table.

A scenario here is run against a fresh sela-server (with the scenario's
`env` and its data file prepared by `seed`) by sela-loadgen, or by one of
these instead:
  flood:   bench/floods.py KIND --port P --pid PID
  script:  /usr/bin/python3 SCRIPT ARGS --seed S --port P --server-pid PID
  command: ARGV, with no server at all (bench/ledger_bench)
"""

import os
import sqlite3
import subprocess

from run_targets import BUILD_DIR, CannotRun

LEDGER_BENCH = os.path.join(BUILD_DIR, "bench", "ledger_bench")


def get(d, *path):
    for key in path:
        if not isinstance(d, dict) or d.get(key) is None:
            return None
        d = d[key]
    return d


def fmt_int(x, unit=""):
    return "{:,.0f}".format(x) + unit


def fmt_us(x):
    return "%.1f µs" % x


def fmt_mib(x):
    return "%.1f MiB" % x


def mib(b):
    return None if b is None else b / 1048576.0


def per_conn(r):
    return get(r, "server", "rss_bytes_per_connection")


def jobs_paid(db):
    """What the ledger holds after a jobs run: completed jobs, job transfers
    that credited something, referral task shares."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        completed = c.execute("SELECT count(*) FROM jobs WHERE state = 'completed'").fetchone()[0]
        paid = c.execute("SELECT count(*) FROM ledger_transfers WHERE kind = 0 AND credited_units > 0").fetchone()[0]
        shares = c.execute("SELECT count(*) FROM ledger_transfers WHERE kind IN (2, 3)").fetchone()[0]
    finally:
        c.close()
    return {"jobs_completed": completed, "jobs_paid": paid, "task_shares": shares,
            "paid_share": paid / completed if completed else None}


def seed_referrals(db, nodes):
    """A store file whose loadgen nodes are all referred (ledger_bench)."""
    p = subprocess.run([LEDGER_BENCH, "seed-referrals", "--db", db, "--nodes", str(nodes)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise CannotRun("seed-referrals failed: " + (p.stderr or p.stdout).strip()[-300:])


# Idle registered node memory by where the node names its principal (the
# upgrade's Authorization header, the upgrade URL, or only the first frame)
# and by arrival: paced (5,000 connects/s, each registering once upgraded)
# or all at once (unpaced, every connection upgraded before any registers).
REGISTRATION = [
    {"name": "hold-v1-%s-%s" % (place, pattern), "cap_s": 60,
     "args": ["hold", "--nodes", "19000", "--principal-format", "ic", "--heartbeat-s", "30",
              "--duration", "5", "--principal-in", place]
     + ([] if pattern == "paced" else ["--connect-rate", "0", "--register-after-upgrades"]),
     "figures": [{"key": "v1_mem_%s_%s" % (place, pattern),
                  "figure": "idle registered node memory, by %s, %s (19,000)"
                            % (place, "paced" if pattern == "paced" else "all at once"),
                  "value": per_conn, "fmt": lambda x: fmt_int(x, " B/conn"),
                  "abs": (512, "le", "≤ 512 B/conn")}]}
    for pattern in ("paced", "burst") for place in ("header", "url", "frame")
]

# Memory floods (bench/floods.py) against the default inbound budget
# (INBOUND_BUDGET_BYTES, 64 MiB): the peak is the server's VmHWM.
FLOODS = [
    {"name": "flood-%s" % kind, "flood": kind, "cap_s": 120,
     "figures": [{"key": "flood_%s_peak" % kind,
                  "figure": "peak RSS growth, %s flood (budget 64 MiB)" % what,
                  "value": lambda r: mib(r.get("peak_rss_growth_bytes")), "fmt": fmt_mib,
                  "abs": (80, "le", "≤ 80 MiB")},
                 {"key": "flood_%s_after" % kind,
                  "figure": "  RSS growth 3 s after the %s flood closed (same runs)" % kind,
                  "value": lambda r: mib(r.get("rss_after_growth_bytes")), "fmt": fmt_mib}]}
    for kind, what in (("bodies", "body (60 × 16 MiB to /health, 2,000 × 64 KiB held)"),
                       ("results", "result (500 nodes × 1 MB results, twice)"))
]

SIGNED = [
    # Protocol v2: each node signs the server's challenge with Ed25519.
    {"name": "hold-v2", "cap_s": 60,
     "args": ["hold", "--protocol", "2", "--nodes", "19000", "--heartbeat-s", "30", "--duration", "5"],
     "figures": [{"key": "v2_mem", "figure": "idle signed (v2) node memory (19,000 nodes)",
                  "value": per_conn, "fmt": lambda x: fmt_int(x, " B/conn"),
                  "abs": (512, "le", "≤ 512 B/conn")}]},
    # The server's CPU for the whole sign-in (challenge, Ed25519 check,
    # store, welcome), as registrations per second of one core: what the
    # target is about. The wall-clock rate of the same runs is shown too; it
    # also waits on the load generator's signatures and round trips.
    {"name": "hold-v2-unpaced", "cap_s": 60,
     "args": ["hold", "--protocol", "2", "--nodes", "19000", "--heartbeat-s", "30", "--duration", "3",
              "--connect-rate", "0"],
     "figures": [{"key": "v2_reg_cpu", "figure": "signed (v2, Ed25519) registrations per server core-second",
                  "value": lambda r: (r.get("registered") / get(r, "server", "cpu_s")
                                      if r.get("registered") and get(r, "server", "cpu_s") else None),
                  "fmt": lambda x: fmt_int(x, " /s"), "abs": (5000, "ge", "≥ 5,000 /s")},
                 {"key": "v2_reg_rate", "figure": "  v2 registrations/s, wall clock (same runs)",
                  "value": lambda r: r.get("throughput_per_s"), "fmt": lambda x: fmt_int(x, " /s")}]},
]

FILES = [
    # One 256 MiB file up (raw 8 MiB chunks, in order, the file's SHA-256
    # declared) and down, by bench/files_bench.py (Python, http.client).
    {"name": "files-transfer", "script": "bench/files_bench.py", "cap_s": 90,
     "args": ["transfer", "--mib", "256", "--chunk-mib", "8"],
     "figures": [
         {"key": "file_up", "figure": "file upload, one 256 MiB file (8 MiB raw chunks)",
          "value": lambda r: r.get("upload_mib_per_s"), "fmt": lambda x: fmt_int(x, " MiB/s"),
          "abs": (500, "ge", "≥ 500 MiB/s")},
         {"key": "file_up_rss", "figure": "  server RSS growth during the upload",
          "value": lambda r: r.get("upload_rss_growth_mib"), "fmt": fmt_mib, "abs": (16, "lt", "< 16 MiB")},
         {"key": "file_down", "figure": "file download, the same file",
          "value": lambda r: r.get("download_mib_per_s"), "fmt": lambda x: fmt_int(x, " MiB/s"),
          "abs": (500, "ge", "≥ 500 MiB/s")},
         {"key": "file_down_rss", "figure": "  server RSS growth during the download",
          "value": lambda r: r.get("download_rss_growth_mib"), "fmt": fmt_mib, "abs": (16, "lt", "< 16 MiB")},
         {"key": "file_cpu", "figure": "  server CPU, upload and download (same runs)",
          "value": lambda r: get(r, "server", "cpu_s"), "fmt": lambda x: "%.2f s" % x}]},
    # 1,000 uploads of one node open at once, each with its first 64 KiB
    # chunk in (the server keeps each one's running hash).
    {"name": "files-open-uploads", "script": "bench/files_bench.py", "cap_s": 60,
     "env": {"FILE_OPEN_UPLOADS_MAX": "1001"}, "args": ["open-uploads", "--uploads", "1000"],
     "figures": [{"key": "file_open", "figure": "server memory per open upload (1,000 open)",
                  "value": lambda r: r.get("rss_bytes_per_upload"), "fmt": lambda x: fmt_int(x, " B/upload")}]},
]


def rewards(throughput_args):
    """Job rewards and their referral shares are paid in the store
    transaction that completes each job (Store::CompleteJob). The closed
    loop of jobs-throughput without any reward (JOB_REWARD_SP_PER_SECOND=0:
    no transfer at all), and with every node referred by another
    (ledger_bench seed-referrals: each job then pays its node and one or two
    referrers): "paying costs" is 1 - with / without, each the median of its
    runs. The nodes answer 1 ms after the dispatch, so that every job is held
    at least 1 ms and earns a reward (a result in the millisecond of its
    lease earns 0, and would pay nothing); each run's store is read after it
    (jobs_paid) to show that the rows measure what they say."""
    throughput_args = [("1" if a == "0" and i > 0 and throughput_args[i - 1] == "--result-delay-ms" else a)
                       for i, a in enumerate(throughput_args)]
    paid = {"key": None, "figure": "    completed jobs that paid their node (same runs)",
            "value": lambda r: r.get("paid_share"), "fmt": lambda x: "%.1f%%" % (100 * x)}
    cpu = lambda r: get(r, "server", "cpu_us_per_op")  # noqa: E731
    rate = lambda r: r.get("throughput_per_s")  # noqa: E731
    return [
        {"name": "jobs-throughput-no-rewards", "cap_s": 60, "args": ["jobs"] + throughput_args,
         "env": {"JOB_REWARD_SP_PER_SECOND": "0", "REFERRAL_ENABLED": "false"}, "after": jobs_paid,
         "figures": [{"key": "norew_rate", "figure": "  sustained jobs/s, no rewards paid",
                      "value": rate, "fmt": lambda x: fmt_int(x, " /s")},
                     dict(paid, key="norew_paid"),
                     {"key": "norew_cpu", "figure": "    server CPU per job (same runs)",
                      "value": cpu, "fmt": fmt_us}]},
        {"name": "jobs-throughput-referrals", "cap_s": 60, "args": ["jobs"] + throughput_args,
         "seed": lambda db: seed_referrals(db, 10000), "after": jobs_paid,
         "figures": [{"key": "ref_rate", "figure": "  sustained jobs/s, rewards and referral shares paid",
                      "value": rate, "fmt": lambda x: fmt_int(x, " /s")},
                     dict(paid, key="ref_paid"),
                     {"key": "ref_shares", "figure": "    referral task shares paid per completed job (same runs)",
                      "value": lambda r: r["task_shares"] / r["jobs_completed"] if r.get("jobs_completed") else None,
                      "fmt": lambda x: "%.2f" % x},
                     {"key": "ref_cpu", "figure": "    server CPU per job (same runs)",
                      "value": cpu, "fmt": fmt_us},
                     # For throughput the cost is what is lost; for CPU per job, what is added.
                     {"key": "paying", "figure": "paying job rewards and referral shares costs",
                      "compare": ("ref_rate", "norew_rate", lambda a, b: 1 - a / b),
                      "fmt": lambda x: "%.1f%%" % (100 * x), "abs": (0.10, "le", "≤ 10% of jobs/s")},
                     {"key": "paying_cpu", "figure": "  the same in server CPU per job",
                      "compare": ("ref_cpu", "norew_cpu", lambda a, b: a / b - 1),
                      "fmt": lambda x: "%+.1f%%" % (100 * x)}]},
    ]


# The rewards ledger on the embedded store, without a server
# (bench/ledger_bench.cc): job-like transfers (one per store operation,
# group-committed) and as distribution runs do (256 per
# operation), and one uptime distribution over 250,000 principals.
LEDGER = [
    {"name": "ledger-transfers", "cap_s": 120,
     "command": [LEDGER_BENCH, "transfers", "--count", "300000", "--per-call", "1"],
     "figures": [{"key": "ledger_rate", "figure": "ledger transfers/s (SQLite, one per operation)",
                  "value": lambda r: r.get("transfers_per_s"), "fmt": lambda x: fmt_int(x, " /s"),
                  "abs": (50000, "ge", "≥ 50,000 /s")},
                 {"key": "ledger_cpu", "figure": "  per CPU second of the process (same runs)",
                  "value": lambda r: r.get("transfers_per_cpu_s"), "fmt": lambda x: fmt_int(x, " /s")}]},
    {"name": "ledger-transfers-batched", "cap_s": 120,
     "command": [LEDGER_BENCH, "transfers", "--count", "300000", "--per-call", "256"],
     "figures": [{"key": "ledger_batched", "figure": "  ledger transfers/s, 256 per operation",
                  "value": lambda r: r.get("transfers_per_s"), "fmt": lambda x: fmt_int(x, " /s")},
                 {"key": "ledger_batched_cpu", "figure": "  per CPU second of the process (same runs)",
                  "value": lambda r: r.get("transfers_per_cpu_s"), "fmt": lambda x: fmt_int(x, " /s")}]},
    {"name": "distribution-run", "cap_s": 180,
     "command": [LEDGER_BENCH, "distribute", "--principals", "250000"],
     "figures": [{"key": "dist_s", "figure": "uptime distribution run, 250,000 principals",
                  "value": lambda r: r.get("seconds"), "fmt": lambda x: "%.2f s" % x,
                  "abs": (10, "le", "≤ 10 s")},
                 {"key": "dist_cpu", "figure": "  CPU of the run (same runs)",
                  "value": lambda r: r.get("cpu_seconds"), "fmt": lambda x: "%.2f s" % x},
                 {"key": "dist_rss", "figure": "  resident memory growth during the run (same runs)",
                  "value": lambda r: r.get("rss_growth_bytes"), "fmt": lambda x: fmt_int(x / 1024, " KiB")}]},
]
