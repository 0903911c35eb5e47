#!/usr/bin/env bash
# End to end: the operator's smoke test (sela-ic) against the fake IC
# endpoint run as a process (fake-ic): certified time, the ledger's settings,
# a mint, its resend (Duplicate, nothing paid twice), the balance, and a
# binary file stored and read back. Usage: sela_ic_test.sh SELA_IC FAKE_IC PEM_FILE
set -euo pipefail
sela_ic=$1
fake_ic=$2
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export CANISTER_CONTROLLER_PEM="$(cat "$3")"
minter=$("$sela_ic" whoami 2>/dev/null | sed -n 's/^identity: //p' || true)
[ -n "$minter" ] || { echo "FAIL: no principal from sela-ic"; exit 1; }
"$fake_ic" "$minter" "$work/port" & pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
read -r port root < "$work/port"
export IC_URL="http://127.0.0.1:$port" IC_ROOT_KEY="$root"
fail() { echo "FAIL: $*"; exit 1; }
"$sela_ic" time | grep -q "certificate verified" || fail "time"
"$sela_ic" ledger | grep -q "we are the minter: yes" || fail "ledger"
to=2vxsx-fae
"$sela_ic" mint "$to" 123 run-1/a --yes > "$work/mint1"
grep -q "outcome: applied block 0$" "$work/mint1" || fail "first mint"
at=$(sed -n 's/.*created_at_time \([0-9]*\) ms.*/\1/p' "$work/mint1")
"$sela_ic" mint "$to" 123 run-1/a "$at" --yes | grep -q "outcome: applied block 0 (duplicate)" || fail "resend is not a duplicate"
"$sela_ic" balance "$to" | grep -q "balance: 123 e8s" || fail "balance after a resend must be 123"
head -c 300000 /dev/urandom > "$work/in.bin"
"$sela_ic" put-file test/file.bin "$work/in.bin" | grep -q "in 1 chunks" || fail "put-file"
"$sela_ic" get-file test/file.bin "$work/out.bin" >/dev/null || fail "get-file"
cmp -s "$work/in.bin" "$work/out.bin" || fail "file differs"
IC_ROOT_KEY= "$sela_ic" time >/dev/null 2>&1 && fail "the mainnet root key must not verify the fake's certificates"
echo "1 passed, 0 failed"
