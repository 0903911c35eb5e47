// fake-ic: the project's fake Internet Computer endpoint as a process
// (src/chain/fake/fake_ic.h), for end-to-end tests of whole programs (the
// server's settlement, sela-ic). Listens on 127.0.0.1, a free port.
//
//   fake-ic <minter principal> <port file>
//
// Writes "<port> <root key DER hex>\n" to the port file once listening, then
// runs until SIGTERM or SIGINT. The IC's time is the system clock.
// Faults are injected with POST /_fake/fault?name=http503&times=-1 (names:
// http503 hold drop_after drop_before reject accepted202; times < 0: until
// cleared) and lifted with POST /_fake/clear.
#include <csignal>
#include <cstdio>
#include <string>

#include "chain/fake/fake_ic.h"
#include "core/file_util.h"

namespace {
volatile std::sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fake-ic <minter principal> <port file>\n");
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
