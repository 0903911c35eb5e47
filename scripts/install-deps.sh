#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run.
# Idempotent: prints nothing and touches nothing when all are present.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libspdlog-dev libfmt-dev libssl-dev libsqlite3-dev libsodium-dev
  libhiredis-dev redis-server
  libgtest-dev libgmock-dev libbenchmark-dev
  libjemalloc2
  clang-19 libclang-rt-19-dev
  python3 python3-websockets python3-cryptography python3-yaml yamllint
  chromium
  procps
)

# npm fetches blst's sources (scripts/fetch-blst.sh) and, only to regenerate
# the IC test vectors, the IC's JavaScript agent. Debian's package unless the
# machine already has an npm (e.g. with its Node.js).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# blst (BLS12-381) is not packaged by Debian 12: its pinned sources come from
# npm, integrity-checked (idempotent; silent when present).
bash "$(dirname "$0")/fetch-blst.sh"
