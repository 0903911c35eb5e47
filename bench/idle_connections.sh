#!/usr/bin/env bash
# Idle-connection memory benchmark: how much server RSS one idle WebSocket
# connection costs.
#
# Target (ARCHITECTURE.md §4): at most 400 bytes per idle connection at
# N = 19,000.
#
# For each N it starts a fresh sela-server (so memory the allocator kept from
# a bigger run does not hide the next run's growth), opens N raw WebSocket
# connections with tools/loadgen (handshake only, no registration), keeps them
# idle for 5 s and reads the server's RSS before and after from /proc.
#
# Usage: bench/idle_connections.sh ["N1 N2 ..."]   (default: "1000 19000")
# Extra loadgen options go in LOADGEN_ARGS, e.g. LOADGEN_ARGS="--connect-rate 2000".
# SERVER_BIN measures another server binary that honours the same HOST, PORT,
# PORT_FILE and DATA_PATH contract; then only sela-loadgen is built.
# Exit status: 0 when the target row passes (or is not in the list), 1 when
# it falls short, 2 when the benchmark could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES_LIST=${1:-"1000 19000"}
TARGET_NODES=19000
TARGET_BYTES_PER_CONNECTION=400
HOLD_S=5
PORT_WAIT_S=30
BUILD_DIR=build/release
SERVER=${SERVER_BIN:-$BUILD_DIR/src/app/sela-server}
LOADGEN=$BUILD_DIR/tools/loadgen/sela-loadgen
PYTHON=/usr/bin/python3

cmake --preset release >/dev/null
if [ -n "${SERVER_BIN:-}" ]; then
  cmake --build "$BUILD_DIR" --target sela-loadgen
else
  cmake --build "$BUILD_DIR" --target sela-server sela-loadgen
fi

# The server holds one descriptor per connection.
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

# Starts a fresh server and sets server_pid and port.
start_server() {
  local data="$tmp/data.$1"
  mkdir -p "$data"
  rm -f "$tmp/port"
  HOST=127.0.0.1 PORT=0 PORT_FILE="$tmp/port" DATA_PATH="$data" LOG_LEVEL=warn \
    "$SERVER" >"$tmp/server.$1.log" 2>&1 &
  server_pid=$!
  local waited=0
  until [ -s "$tmp/port" ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "sela-server exited before listening:" >&2
      cat "$tmp/server.$1.log" >&2
      exit 2
    fi
    if [ "$waited" -ge $((PORT_WAIT_S * 10)) ]; then
      echo "sela-server did not write PORT_FILE within ${PORT_WAIT_S} s" >&2
      exit 2
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  port=$(cat "$tmp/port")
}

# Prints one table row from a loadgen JSON result; exit status 1 when the
# row is the target row and misses the target.
report_row() {
  "$PYTHON" - "$1" "$TARGET_NODES" "$TARGET_BYTES_PER_CONNECTION" <<'EOF'
import json, sys
target_nodes, target_bytes = int(sys.argv[2]), float(sys.argv[3])
try:
    result = json.load(open(sys.argv[1]))
except ValueError:
    result = {"nodes": 0, "error": "sela-loadgen printed no result"}
nodes, connected = result["nodes"], result.get("connected", 0)
server = result.get("server") or {}
per = server.get("rss_bytes_per_connection")
verdict = "-"
if nodes == target_nodes:
    if result.get("error"):
        verdict = "short (" + result["error"] + ")"
    elif connected < nodes:
        verdict = "short (%d of %d connected)" % (connected, nodes)
    elif per is None:
        verdict = "short (no RSS reading)"
    else:
        verdict = "pass" if per <= target_bytes else "short"
def mib(b):
    return "-" if b is None else "%.1f MiB" % (b / 1048576)
print("%7d %10d %12s %12s %12s   %s" % (nodes, connected, mib(server.get("rss_before_bytes")),
      mib(server.get("rss_after_bytes")), "-" if per is None else "%.0f" % per, verdict))
sys.exit(1 if verdict.startswith("short") else 0)
EOF
}

status=0
rows=()
for n in $NODES_LIST; do
  start_server "$n"
  echo "idle_connections: N=$n against pid $server_pid port $port" >&2
  # shellcheck disable=SC2086  # LOADGEN_ARGS is a list of options.
  "$LOADGEN" hold --raw --nodes "$n" --duration "$HOLD_S" --port "$port" \
    --server-pid "$server_pid" --quiet ${LOADGEN_ARGS:-} >"$tmp/result.$n.json" || true
  stop_server
  if row=$(report_row "$tmp/result.$n.json"); then :; else status=1; fi
  rows+=("$row")
done

echo
echo "Idle WebSocket connections: server RSS growth per connection"
echo "target: <= $TARGET_BYTES_PER_CONNECTION bytes per idle connection at N = $TARGET_NODES"
printf "%7s %10s %12s %12s %12s   %s\n" N connected "RSS before" "RSS after" "bytes/conn" target
for row in "${rows[@]}"; do echo "$row"; done
exit "$status"
