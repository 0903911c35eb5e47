#!/usr/bin/env bash
# Regenerates tests/data/identity/v2_vectors.json, the protocol v2 identity
# test vectors, with the Internet Computer's JavaScript libraries
# (@dfinity/principal, @dfinity/identity, @dfinity/identity-secp256k1), pinned
# with integrity hashes in tools/testvectors/package-lock.json. Needs Node.js
# and the npm registry; the C++ tests only read the committed file, so CI runs
# this only to check that the file is up to date (`--check`).
set -euo pipefail
cd "$(dirname "$0")/../tools/testvectors"
out=../../tests/data/identity/v2_vectors.json
npm ci --no-audit --no-fund --silent
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  node generate.mjs "$tmp"
  cmp "$tmp" "$out" && echo "gen-identity-vectors: $out is up to date"
else
  node generate.mjs "$out"
  echo "gen-identity-vectors: wrote $out"
fi
