#!/usr/bin/env bash
# The one test command: installs what is missing, builds every preset once,
# runs every test (unit, conformance, end-to-end) in release and under
# ASan+UBSan, then runs each libFuzzer target for a bounded time.
#   FUZZ_SECONDS  seconds per fuzz target (default 30)
#   PRESETS       presets to build and test (default "release asan")
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc)
for preset in ${PRESETS:-release asan}; do
  echo "== $preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: test"
  ctest --preset "$preset" -j "$jobs"
done

echo "== fuzz: build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
fuzz_seconds=${FUZZ_SECONDS:-30}
passed=0
failed=0
for target in build/fuzz/fuzz/*_fuzz; do
  name=$(basename "$target")
  corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  echo "== fuzz: $name for ${fuzz_seconds}s"
  if "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 \
       "$corpus" "fuzz/seeds/$name" >"build/fuzz/$name.log" 2>&1; then
    passed=$((passed + 1))
    tail -n 2 "build/fuzz/$name.log"
  else
    failed=$((failed + 1))
    tail -n 60 "build/fuzz/$name.log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
