#!/usr/bin/env bash
# Builds the release preset and starts sela-server on the embedded store.
# Configuration comes from the environment and ./.env (docs/CONFIGURATION.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target sela-server
exec ./build/release/src/app/sela-server
