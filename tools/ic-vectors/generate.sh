#!/usr/bin/env bash
# Regenerates tests/data/ic/vectors.json with the IC's own JavaScript agent.
# Needs Node.js and npm (the only step that does). `npm ci` installs exactly
# the versions and integrity hashes of package-lock.json, without running any
# package script; the generator itself then runs offline.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund --silent
node generate.mjs > ../../tests/data/ic/vectors.json.tmp
mv ../../tests/data/ic/vectors.json.tmp ../../tests/data/ic/vectors.json
echo "wrote tests/data/ic/vectors.json" >&2
