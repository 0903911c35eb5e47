// Internet Computer benchmarks (docs/CHAIN.md, "Benchmarks"); prints figures,
// asserts nothing.
//
//   chain_bench certs [runs]          certificate verifications per second:
//                                     a mainnet delegated certificate without
//                                     the signature cache and with both its
//                                     signatures cached, and one BLS
//                                     verification alone
//   chain_bench transfers [n] [threads]
//                                     ICRC-1 mints per second through the
//                                     whole agent (sign, HTTP, fake endpoint,
//                                     certificate) with n distinct settlements
//                                     on `threads` workers; the process's peak
//                                     memory
//
// Each figure is the median of `runs` runs (default 5).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chain/agent.h"
#include "chain/bls.h"
#include "chain/certificate.h"
#include "chain/fake/fake_ic.h"
#include "chain/icrc1_client.h"
#include "chain/settlement.h"
#include "codec/hex.h"
#include "core/clock.h"

namespace sela::chain {
namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SELA_IC_TEST_DATA) + "/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string body = buffer.str();
  const codec::CborValue parsed = codec::ParseCbor(body).value();
  return std::string(parsed.Untagged(55799).Find("certificate")->str);
}

// Verifications per second of `bytes` (parsing included), over ~1 s.
double Rate(const std::string& bytes, std::string_view root, const CertificateScope& scope, int64_t now_ns,
            SignatureCache* cache) {
  const auto start = Clock::now();
  int n = 0;
  while (Clock::now() - start < std::chrono::milliseconds(1000)) {
    const Certificate cert = Certificate::Parse(bytes).value();
    if (!VerifyCertificate(cert, root, scope, now_ns, {}, cache).ok()) std::abort();
    ++n;
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

int Certs(int runs) {
  const std::string root(bls::KeyFromDer(codec::HexDecode(kMainnetRootKeyDerHex).value()).value());
  const std::string bytes = Fixture("ivg37_time.bin");
  const auto now = static_cast<int64_t>(Certificate::Parse(bytes).value().TimeNs().value());
  const CertificateScope scope{CertificateScope::Kind::kCanister,
                               codec::Principal::FromText("ivg37-qiaaa-aaaab-aaaga-cai").value()};
  std::vector<double> cold, warm, pairing;
  const Certificate parsed = Certificate::Parse(bytes).value();
  const std::string subnet_key = [&] {
    const Certificate delegation = Certificate::Parse(std::string(parsed.delegation_certificate())).value();
    return std::string(bls::KeyFromDer(delegation.Lookup({"subnet", parsed.delegation_subnet_id(), "public_key"}).value)
                           .value());
  }();
  const std::string message = std::string("\x0Dic-state-root") + parsed.tree().RootHash();
  for (int i = 0; i < runs; ++i) {
    cold.push_back(Rate(bytes, root, scope, now, nullptr));
    SignatureCache cache;
    warm.push_back(Rate(bytes, root, scope, now, &cache));
    const auto start = Clock::now();
    int n = 0;
    while (Clock::now() - start < std::chrono::milliseconds(1000)) {
      if (!bls::Verify(subnet_key, parsed.signature(), message)) std::abort();
      ++n;
    }
    pairing.push_back(n / std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::printf("certificate verifications/s, mainnet delegated certificate, no cache (2 pairings): %.0f (median of %d)\n",
              Median(cold), runs);
  std::printf("certificate verifications/s, delegation and round signature cached, as for every certificate of a "
              "round after the first (0 pairings: parse, tree rebuilt, lookups, /time): %.0f (median of %d)\n",
              Median(warm), runs);
  std::printf("BLS verifications/s alone (1 pairing, the cost of a new round's signature): %.0f (median of %d)\n",
              Median(pairing), runs);
  std::printf("one core; target: none set (the agent verifies one certificate per call or poll)\n");
  return 0;
}

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

int Transfers(int n, int threads, int runs) {
  SystemClock clock;
  const Identity minter(auth::SigningKey::Generate(auth::KeyAlgorithm::kSecp256k1).value());
  std::vector<double> rates;
  for (int run = 0; run < runs; ++run) {
    fake::FakeIcOptions options;
    options.ledger.minting_account.owner = minter.principal();
    auto ic = fake::FakeIc::Start(options, clock).value();
    HttpClientOptions http_options;
    http_options.idle_connections_max = static_cast<size_t>(threads);
    auto http = HttpClient::Create(Url::Parse(ic->url()).value(), http_options).value();
    AgentOptions agent_options;
    agent_options.root_key_der_hex = ic->root_key_der_hex();
    auto agent = Agent::Create(*http, minter, agent_options, SystemAgentEnv(clock)).value();
    Icrc1Client client(*agent, ic->ledger_id());
    std::atomic<int> next{0}, applied{0};
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (int i = next++; i < n; i = next++) {
          icrc1::Account to{minter.principal(), std::string(28, '\0') + std::string(reinterpret_cast<char*>(&i), 4)};
          const Settlement s = NewSettlement("bench/" + std::to_string(i), to, 1 + i, clock.WallMs()).value();
          const Result<TransferOutcome> r = client.Transfer(TransferFor(s));
          if (r.has_value() && r->kind == TransferOutcome::Kind::kApplied) ++applied;
        }
      });
    }
    for (std::thread& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (applied != n) std::printf("run %d: only %d of %d applied\n", run, applied.load(), n);
    rates.push_back(n / seconds);
    std::printf("run %d: %d mints in %.2f s\n", run, n, seconds);
  }
  std::printf("ICRC-1 mints/s through the agent against the fake endpoint (%d threads, %d settlements): %.0f (median of %d)\n",
              threads, n, Median(rates), runs);
  std::printf("peak RSS of this process (agent, HTTP client and fake endpoint together): %ld KiB\n", PeakRssKb());
  return 0;
}

}  // namespace
}  // namespace sela::chain

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "certs";
  if (mode == "certs") return sela::chain::Certs(argc > 2 ? std::atoi(argv[2]) : 5);
  if (mode == "transfers") {
    return sela::chain::Transfers(argc > 2 ? std::atoi(argv[2]) : 2000, argc > 3 ? std::atoi(argv[3]) : 4,
                                  argc > 4 ? std::atoi(argv[4]) : 3);
  }
  std::fprintf(stderr, "usage: chain_bench certs [runs] | transfers [n] [threads] [runs]\n");
  return 2;
}
