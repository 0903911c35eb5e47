#!/usr/bin/env bash
# Checkpoint stalls: how long each thread of sela-server spends inside SQLite
# WAL checkpoints while it serves jobs (docs/STORAGE.md "Checkpoints").
#
# Starts a fresh server on core 0 (fresh DATA_PATH, free port), runs the
# `jobs` scenario of sela-loadgen on core 1, and for PROBE_S seconds in the
# middle of it traces every call of sqlite3_wal_checkpoint_v2 with perf
# uprobes. Prints the load generator's figures, then per thread (sela-store:
# the writer; sela-checkpoint: the checkpoint thread): checkpoint
# calls, total time inside them, median and longest. The writer thread's
# total is what every store operation waited behind; the checkpoint thread's
# is time beside it. Durations are wall time, not CPU.
#
# Usage: bench/checkpoint_stalls.sh [loadgen jobs options...]
#   default options: --nodes 10000 --customers 256 --result-bytes 1024
#                    --result-delay-ms 0 --timeout-ms 5000 --duration 10 --job-rate 5000
# Environment: SERVER_BIN (default build/release/src/app/sela-server; only
#   sela-loadgen and the probes need the release build), PROBE_S (default 4),
#   and the server's own variables (e.g. SQLITE_CHECKPOINT_PAGES=4000).
# Needs root (uprobes) and perf. Exit status: 0 when it ran, 2 when it could not.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build/release
SERVER=${SERVER_BIN:-$BUILD_DIR/src/app/sela-server}
LOADGEN=$BUILD_DIR/tools/loadgen/sela-loadgen
PROBE_S=${PROBE_S:-4}
PYTHON=/usr/bin/python3
if [ "$#" -eq 0 ]; then
  set -- --nodes 10000 --customers 256 --result-bytes 1024 --result-delay-ms 0 \
    --timeout-ms 5000 --duration 10 --job-rate 5000
fi

die() { echo "checkpoint_stalls: $*" >&2; exit 2; }
[ -x "$SERVER" ] || die "no server at $SERVER (build the release preset)"
[ -x "$LOADGEN" ] || die "no load generator at $LOADGEN (build the release preset)"
command -v perf >/dev/null || die "perf is not installed"

LIBSQLITE=$(ldd "$SERVER" | awk '/libsqlite3/ {print $3}')
[ -n "$LIBSQLITE" ] || die "$SERVER does not link libsqlite3 dynamically"
perf probe -q -x "$LIBSQLITE" --add sqlite3_wal_checkpoint_v2 2>/dev/null || true
perf probe -q -x "$LIBSQLITE" --add 'sqlite3_wal_checkpoint_v2%return' 2>/dev/null || true
perf probe -l 2>/dev/null | grep -q 'sqlite3_wal_checkpoint_v2__return' ||
  die "cannot place uprobes on $LIBSQLITE (root and perf needed)"

WORK=$(mktemp -d /tmp/checkpoint_stalls.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=0 PORT_FILE="$WORK/port" DATA_PATH="$WORK" LOG_LEVEL=warn USAGE_LIMIT=1000000000 \
  taskset -c 0 "$SERVER" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || die "the server did not start: $(tail -3 "$WORK/server.log")"

# The probe window starts once the nodes are connected and jobs are flowing.
(sleep 4; perf record -q -e 'probe_libsqlite3:*' -p "$SERVER_PID" -o "$WORK/perf.data" \
  -- sleep "$PROBE_S" >/dev/null 2>&1) &
PROBE_PID=$!
taskset -c 1 "$LOADGEN" jobs --port "$(cat "$WORK/port")" --server-pid "$SERVER_PID" --quiet \
  "$@" >"$WORK/loadgen.json" || die "the load generator failed"
wait "$PROBE_PID" || true

"$PYTHON" - "$WORK/loadgen.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
lat = d["latency_us"]
print(f"jobs/s {d['throughput_per_s']:.0f}  p50 {lat['p50']/1000:.2f} ms  "
      f"p99 {lat['p99']/1000:.2f} ms  server CPU {d['server']['cpu_us_per_op']:.0f} us/job")
EOF
perf script -i "$WORK/perf.data" -F comm,tid,time,event 2>/dev/null | "$PYTHON" -c '
import collections, sys
depth, start, durations = {}, {}, collections.defaultdict(list)
for line in sys.stdin:
    fields = line.split()
    if len(fields) < 4:
        continue
    tid = fields[0] + " " + fields[1]  # Thread name and id.
    t, event = float(fields[2].rstrip(":")), fields[3]
    if event.endswith("__return:"):  # The PLT stub and the function both fire.
        depth[tid] = depth.get(tid, 1) - 1
        if depth[tid] == 0 and tid in start:
            durations[tid].append((t - start.pop(tid)) * 1e3)
    else:
        if depth.get(tid, 0) == 0:
            start[tid] = t
        depth[tid] = depth.get(tid, 0) + 1
window = float(sys.argv[1])
if not durations:
    print("no checkpoint in the probe window")
for tid, d in sorted(durations.items()):
    d.sort()
    print(f"thread {tid}: {len(d)} checkpoints, {sum(d):.0f} ms inside "
          f"({sum(d) / (window * 10):.1f}% of the window), median {d[len(d) // 2]:.2f} ms, "
          f"longest {d[-1]:.2f} ms")
' "$PROBE_S"
