// A fake IC endpoint (fake/fake_ic.h), an HTTP client and an agent wired
// together on one fake clock, for the chain's end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>

#include "chain/agent.h"
#include "chain/fake/fake_ic.h"
#include "chain/http_client.h"
#include "chain/vectors_test_util.h"
#include "testing/fake_clock.h"

namespace sela::chain::testing {

// The secp256k1 test identity of agent-js: the ledger's minter here, as the
// controller PEM is in production.
inline Identity Minter() { return Identity(auth::SigningKey::FromPem(Vector({"secp256k1", "pem"})).value()); }

class ChainTest : public ::testing::Test {
 protected:
  static constexpr int64_t kStartMs = 1'764'100'000'000;

  void SetUp() override { Start(Minter()); }

  void Start(Identity identity) {
    fake::FakeIcOptions options;
    options.ledger.minting_account.owner = Minter().principal();
    if (configure_ic) configure_ic(options);
    options.round_us = round_us;
    ic = fake::FakeIc::Start(options, clock).value();
    agent = MakeAgent(std::move(identity), clock, ic->root_key_der_hex());
  }

  std::unique_ptr<Agent> MakeAgent(Identity identity, sela::testing::FakeClock& agent_clock,
                                   const std::string& root_key_hex) {
    HttpClientOptions http_options;
    http_options.request_timeout_ms = 400;  // Real time: bounds the held-reply faults.
    http_ = HttpClient::Create(Url::Parse(ic->url()).value(), http_options).value();
    AgentOptions options;
    options.root_key_der_hex = root_key_hex;
    options.polling.total_ms = 60'000;  // Virtual: sleeps advance the fake clock.
    AgentEnv env;
    env.clock = &agent_clock;
    env.sleep = [&agent_clock](int64_t ms) { agent_clock.Advance(Millis(ms)); };
    env.random_bytes = [this](size_t n) {  // Distinct nonces; workers call it concurrently.
      const uint64_t v = ++nonce_counter_;
      std::string out(n, '\0');
      for (size_t i = 0; i < n && i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
      return out;
    };
    return Agent::Create(*http_, std::move(identity), options, env).value();
  }

  sela::testing::FakeClock clock{kStartMs};
  std::function<void(fake::FakeIcOptions&)> configure_ic;  // Set before SetUp: e.g. the ledger's archive.
  int64_t round_us = 0;  // FakeIcOptions::round_us; set in a fixture's constructor.
  std::unique_ptr<fake::FakeIc> ic;
  std::unique_ptr<Agent> agent;

 private:
  std::unique_ptr<HttpClient> http_;
  std::atomic<uint64_t> nonce_counter_{0};
};

}  // namespace sela::chain::testing
