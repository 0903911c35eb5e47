#!/usr/bin/env bash
# Puts the blst sources (BLS12-381, supranational/blst v0.3.12, Apache-2.0)
# under third_party/blst/src/ for the build (src/chain verifies Internet
# Computer certificates with it; docs/CHAIN.md).
#
# Debian 12 packages no pairing library. blst comes unmodified inside the npm
# package c-kzg@4.1.0 (folder deps/blst); this script fetches that tarball with
# `npm pack` (nothing is installed, no package script runs), checks it against
# the pinned SHA-512 integrity, and copies only the folders the build needs.
# The server never downloads anything at run time.
#
# Idempotent: does nothing when the sources are there and their stamp matches.
# Called by scripts/install-deps.sh and, when the sources are missing, by the
# CMake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly PACKAGE="c-kzg@4.1.0"
readonly TARBALL="c-kzg-4.1.0.tgz"
readonly INTEGRITY="sha512-eliOBB2GKoT5Nk4LwN418O8kWfXCwepHj3kd6z0zKrzIdJbry0Y8IDPYzE5Dxw/fs386PGO6zQRqy8LSVtR5tQ=="
readonly DEST=third_party/blst/src
readonly STAMP="$DEST/.integrity"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$INTEGRITY" ] && [ -f "$DEST/src/server.c" ]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-blst: npm is needed to fetch $PACKAGE (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-blst: fetching $PACKAGE" >&2
(cd "$work" && npm pack "$PACKAGE" --silent >/dev/null)

actual="sha512-$(openssl dgst -sha512 -binary "$work/$TARBALL" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "fetch-blst: integrity mismatch for $PACKAGE: got $actual" >&2
  exit 1
fi

tar -xzf "$work/$TARBALL" -C "$work" package/deps/blst
rm -rf "$DEST"
mkdir -p "$DEST"
# Sources, the x86_64/aarch64 assembly, the public headers and the licence.
cp -r "$work/package/deps/blst/src" "$work/package/deps/blst/build" "$DEST/"
cp "$work/package/deps/blst/bindings/blst.h" "$work/package/deps/blst/bindings/blst_aux.h" \
   "$work/package/deps/blst/LICENSE" "$DEST/"
rm -rf "$DEST/build/win64" "$DEST/build/coff" "$DEST/build/mach-o" "$DEST/build/cheri"
echo "$INTEGRITY" > "$STAMP"
echo "fetch-blst: blst sources in $DEST" >&2
