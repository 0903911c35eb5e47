// fake-ic: the project's fake Internet Computer endpoint as a process
// (src/chain/fake/fake_ic.h), for end-to-end tests of whole programs (the
// server's settlement, sela-ic). Listens on 127.0.0.1, a free port.
//
//   fake-ic <minter principal> <port file> [--round-us=N]
//
// Writes "<port> <root key DER hex>\n" to the port file once listening, then
// runs until SIGTERM or SIGINT. The IC's time is the system clock.
// Faults are injected with POST /_fake/fault?name=http503&times=-1 (names:
// http503 hold drop_after drop_before reject accepted202; times < 0: until
// cleared) and lifted with POST /_fake/clear. --round-us=N (N > 0)
// certifies answers in rounds of N microseconds under one signature, as
// the IC does once per round (fake_round.h); the default signs each answer.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chain/fake/fake_ic.h"
#include "core/file_util.h"

namespace {
volatile std::sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  int64_t round_us = 0;
  if (argc == 4 && std::string_view(argv[3]).starts_with("--round-us=")) {
    round_us = std::atoll(argv[3] + 11);
  }
  if ((argc != 3 && argc != 4) || round_us < 0 || (argc == 4 && round_us == 0)) {
    std::fprintf(stderr, "usage: fake-ic <minter principal> <port file> [--round-us=N]\n");
    return 2;
  }
  const sela::Result<sela::codec::Principal> minter = sela::codec::Principal::FromText(argv[1]);
  if (!minter.has_value()) {
    std::fprintf(stderr, "fake-ic: %s\n", minter.error().ToString().c_str());
    return 2;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  sela::SystemClock clock;
  sela::chain::fake::FakeIcOptions options;
  options.ledger.minting_account.owner = *minter;
  options.control_routes = true;  // POST /_fake/fault, /_fake/clear (fake_ic.h).
  options.round_us = round_us;
  auto ic = sela::chain::fake::FakeIc::Start(options, clock);
  if (!ic.has_value()) {
    std::fprintf(stderr, "fake-ic: %s\n", ic.error().ToString().c_str());
    return 1;
  }
  const std::string line = std::to_string((*ic)->port()) + " " + (*ic)->root_key_der_hex() + "\n";
  if (!sela::WriteFileAtomic(argv[2], line).ok()) return 1;
  while (!stop) pause();
  return 0;
}
