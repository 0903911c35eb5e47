"""bench/run's report: the machine it ran on, the table, docs/BENCHMARKS.md."""

import os
import re
import subprocess

from run_targets import BUILD_DIR, ROOT

DOC = os.path.join(ROOT, "docs", "BENCHMARKS.md")


def marks(flag=""):
    """The markers of a mode's generated block in docs/BENCHMARKS.md: flag is
    "" (the standard table), " --cluster" or " --cluster-idle"; each mode
    replaces its own block only."""
    return ("<!-- bench/run%s: begin (generated, replaced by bench/run%s --write) -->" % (flag, flag),
            "<!-- bench/run%s: end -->" % flag)


def table(rows, columns):
    """A Markdown table of rows (dicts) with columns [(key, title)]."""
    widths = [max(len(title), *(len(r.get(key, "")) for r in rows)) for key, title in columns]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line([t for _, t in columns]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line([r.get(k, "") for k, _ in columns]) for r in rows]
    return "\n".join(out)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            model = m.group(1).strip() if m else ""
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"^MemTotal:\s*(\d+)", f.read(), re.M).group(1))
            mem = "%.1f GiB" % (kb / 1048576)
    except (OSError, AttributeError):
        pass
    compiler = "g++"
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            m = re.search(r"^CMAKE_CXX_COMPILER:[A-Z]+=(.*)$", f.read(), re.M)
            compiler = m.group(1) if m else compiler
    except OSError:
        pass
    return {
        "cores": "%d (nproc; %d available to this process)"
                 % (os.cpu_count(), len(os.sched_getaffinity(0))),
        "cpu": model or "unknown",
        "memory": mem or "unknown",
        "kernel": os.uname().release,
        "compiler": sh([compiler, "--version"]).splitlines()[0] if sh([compiler, "--version"]) else compiler,
        "load": "%.2f %.2f %.2f" % os.getloadavg(),
    }


INTRO = """Written by `bench/run --write` (see `bench/run` and the README's Benchmarks
section). Each figure is the median of 3 runs, each against a fresh process
(release build, temporary data directory, free port): `sela-server`, the floor
(bench/floor/README.md) and the peers (bench/peers/README.md), driven by
`tools/loadgen` (`sela-loadgen`; BullMQ by its own driver) with seeds 1, 2
and 3, the subjects one after the other within a seed. The targets are ratios
to the floor's and the peers' figures from the same run (issue 16); the
absolute figures move with the machine and its load and are information only.
Rows of sela-server alone (registration paths, floods, v2, files, rewards,
the ledger) keep the fixed targets of the issues that added them.
"loadgen busiest proc" is the load generator's busiest worker's CPU share in
sela-server's runs: near 100% the tool, not the server, may be the
bottleneck. Text outside the generated block below is kept."""


def write_doc(text, flag=""):
    begin, end = marks(flag)
    block = begin + "\n" + text.rstrip() + "\n" + end + "\n"
    try:
        with open(DOC) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + block + ("\n" + tail if tail else "")
    elif old.strip():  # Other modes' blocks and the text around them are kept.
        new = old.rstrip("\n") + "\n\n" + block
    else:
        new = ("# Benchmarks\n\n"
               + "".join(line + "\n" for line in INTRO.splitlines()) + "\n" + block)
    with open(DOC, "w") as f:
        f.write(new)


def git_rev():
    rev = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    return (rev or "unknown") + (" with uncommitted changes in the working tree" if dirty else "")


def invocation(sc):
    """How bench/run ran a scenario, for the record."""
    if sc.get("command"):
        return "`%s` (no server)" % " ".join([os.path.relpath(sc["command"][0], ROOT)] + sc["command"][1:])
    env = " ".join("%s=%s" % kv for kv in sorted((sc.get("env") or {}).items()))
    server = "server with `%s`%s, " % (env, " and a seeded store" if sc.get("seed") else "") if env else (
        "server with a seeded store, " if sc.get("seed") else "")
    if sc.get("flood"):
        return server + "`bench/floods.py %s --port P --pid PID`" % sc["flood"]
    tool = sc.get("script") or "sela-loadgen"
    text = "%s`%s %s --seed {1,2,3} --port P --server-pid PID --quiet --max-runtime-s S`" % (
        server, tool, " ".join(sc["args"]))
    if sc.get("bullmq_args"):
        text += "; BullMQ: `node bench/peers/bullmq_bench.js %s`" % " ".join(sc["bullmq_args"])
    return text


def header(started, command, elapsed, mach, load_start, load_end, pin_note, title="## Last run"):
    """The lines that open a mode's block: when, how, on what."""
    return [
        title,
        "",
        "- date: %s" % started.strftime("%Y-%m-%d %H:%M UTC"),
        "- command: `%s` (from the repository root; %.0f s in all)" % (command, elapsed),
        "- source: %s" % git_rev(),
        "- cores: %s; %s" % (mach["cores"], pin_note),
        "- CPU: %s" % mach["cpu"],
        "- memory: %s" % mach["memory"],
        "- kernel: %s" % mach["kernel"],
        "- compiler: %s (release preset)" % mach["compiler"],
        "- load average (1, 5, 15 min) at start: %s; at end: %s" % (load_start, load_end),
        "",
    ]


def total_line(elapsed, pin_note, load_start, load_end):
    return ("total %.0f s (build and installs included); %s; load average at start %s, at end %s"
            % (elapsed, pin_note, load_start, load_end))


def write_run(started, command, elapsed, mach, load_start, load_end, text, pin_note, scenarios):
    cmds = ["- `%s` (%s): %s" % (sc["name"], ", ".join(sc["subjects"]), invocation(sc)) for sc in scenarios]
    write_doc("\n".join(
        header(started, command, elapsed, mach, load_start, load_end, pin_note)
        + [text, "", "Invocations (one fresh process per run; within a seed the subjects run one after the other):",
           ""] + cmds))
