#!/usr/bin/env bash
# Refreshes the vendored Swagger UI in third_party/swagger-ui-dist/ from the
# npm package pinned (with its sha512 integrity) in package-lock.json there.
# `npm ci` refuses a tarball whose hash differs from the lockfile's; install
# scripts are not run (swagger-ui-dist depends on @scarf/scarf, whose install
# script reports downloads to a third party). The files the server embeds
# are copied beside the lockfile with their SHA-256 in SHA256SUMS, which the
# build checks (tests: static_assets_test).
#   scripts/update-swagger-ui.sh           # re-fetch the pinned version and copy
#   scripts/update-swagger-ui.sh --check   # re-fetch and compare with what is committed
# To move to another version: edit package.json, run
# `npm install --package-lock-only --ignore-scripts` in that folder, then this.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=third_party/swagger-ui-dist
files=(swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$vendor/package.json" "$vendor/package-lock.json" "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
pkg="$tmp/node_modules/swagger-ui-dist"
version=$(node -p "require('$pkg/package.json').version")

if [ "${1:-}" = "--check" ]; then
  for f in "${files[@]}"; do
    cmp -s "$pkg/$f" "$vendor/$f" || { echo "update-swagger-ui: $vendor/$f differs from swagger-ui-dist $version"; exit 1; }
  done
  echo "update-swagger-ui: $vendor matches swagger-ui-dist $version"
  exit 0
fi

for f in "${files[@]}"; do cp "$pkg/$f" "$vendor/$f"; done
echo "$version" > "$vendor/VERSION"
(cd "$vendor" && sha256sum "${files[@]}" > SHA256SUMS)
echo "update-swagger-ui: copied swagger-ui-dist $version into $vendor"
