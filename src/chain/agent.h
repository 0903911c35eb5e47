// Agent: calls canisters on the Internet Computer (interface spec, "HTTPS
// interface"; docs/CHAIN.md). Blocking: runs on the Executor's workers.
//
// Update calls go to the synchronous v3 endpoint; a 202 there (the replica
// timed out waiting) or a replica without it (404, then v2 for good) leads
// to polling read_state with exponential back-off until the certified
// status is replied or rejected. The same signed envelope is re-POSTed on
// 429, 5xx and transport errors (bounded), which is harmless: the IC keeps
// one request per request id. Every certificate is verified (certificate.h)
// against the configured root key, for the called canister, and must be
// fresh. Queries are verified through their node signatures against node
// keys read from certified state (query_signature.h), cached per canister.
//
// Outcomes:
//   CanisterResponse: replied (Candid reply) or rejected (typed Reject;
//     `certified` false for a rejection before consensus).
//   Errors, i.e. the outcome is not known: Unavailable (network, 5xx, 429
//     after retries), DeadlineExceeded (polling gave up), Unauthenticated (a
//     certificate or signature did not verify: do not trust this node),
//     FailedPrecondition (our clock is off: "Invalid request expiry"; or the
//     reply was pruned), InvalidArgument (refused with another 4xx: the call
//     did not run). A caller that must not act twice treats every error as
//     "may have run" and relies on the ledger's deduplication (docs/CHAIN.md).
//
// Time and randomness are injected (AgentEnv); the agent reads no clock of
// its own, so tests run polling on a fake clock.
//
// Thread-safety: every method may be called from several threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "chain/certificate.h"
#include "chain/envelope.h"
#include "chain/http_client.h"
#include "chain/identity.h"
#include "chain/query_signature.h"
#include "codec/principal.h"
#include "core/clock.h"
#include "core/status.h"

namespace sela::chain {

// The IC mainnet root key (DER, hex), as the IC's agents hard-code it.
inline constexpr std::string_view kMainnetRootKeyDerHex =
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08"
    "bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db"
    "96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae";

enum class RejectCode : uint8_t {
  kSysFatal = 1, kSysTransient = 2, kDestinationInvalid = 3, kCanisterReject = 4, kCanisterError = 5,
  kSysUnknown = 6,
};
std::string_view RejectCodeName(uint64_t code);

struct Reject {
  uint64_t code = 0;            // RejectCode values; others possible from newer replicas.
  std::string message;
  std::string error_code;       // e.g. IC0503; log it, do not branch on it.
  bool certified = false;       // False: rejected before consensus (non-replicated).
};

struct CanisterResponse {
  bool replied = false;
  std::string reply;  // Candid, when replied.
  Reject reject;      // When not.
  std::string request_id;
};

struct PollingOptions {
  int64_t initial_ms = 500;
  int64_t max_ms = 10'000;
  double multiplier = 1.5;
  int64_t total_ms = 5 * 60'000;  // Then DeadlineExceeded: the outcome is unknown.
};

struct AgentOptions {
  std::string root_key_der_hex{kMainnetRootKeyDerHex};
  int64_t ingress_expiry_ms = 4 * 60'000;  // The IC accepts up to 5 min (+30 s drift).
  FreshnessPolicy freshness;
  PollingOptions polling;
  int submit_attempts = 3;  // POSTs of one envelope on 429, 5xx and transport errors.
  int64_t submit_backoff_ms = 250;
  bool sync_call = true;    // v3 call first; false: v2 and polling only.
  bool verify_query_signatures = true;
  int64_t node_keys_ttl_ms = 5 * 60'000;
  size_t nonce_bytes = 16;
};

struct AgentEnv {
  const Clock* clock = nullptr;                      // Wall time for expiry and freshness.
  std::function<void(int64_t ms)> sleep;             // Back-off waits.
  std::function<std::string(size_t n)> random_bytes;  // Nonces.
};
// The production environment: the system clock, real sleeps, OpenSSL's CSPRNG.
AgentEnv SystemAgentEnv(const Clock& clock);

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> Create(HttpTransport& transport, Identity identity, AgentOptions options,
                                               AgentEnv env);

  Result<CanisterResponse> Call(const codec::Principal& canister, std::string_view method, std::string arg);
  Result<CanisterResponse> Query(const codec::Principal& canister, std::string_view method, std::string arg);
  // A verified certificate for paths, read through `canister`.
  Result<Certificate> ReadState(const codec::Principal& canister, std::vector<std::vector<std::string>> paths);

  const Identity& identity() const { return identity_; }
  // Counters for metrics and tests.
  uint64_t polls() const { return polls_.load(); }
  uint64_t resubmits() const { return resubmits_.load(); }
  // BLS verifications answered by the signature cache (certificate.h).
  uint64_t signature_cache_hits() const { return signatures_.hits(); }

 private:
  Agent(HttpTransport& transport, Identity identity, AgentOptions options, AgentEnv env, std::string root_key);

  int64_t NowNs() const { return env_.clock->WallMs() * 1'000'000; }
  uint64_t IngressExpiryNs() const;
  Result<SignedRequest> Sign(RequestContent content);
  Result<HttpResponse> Post(const std::string& path, const std::string& body);
  Status ErrorOf(const HttpResponse& r) const;
  Result<std::optional<CanisterResponse>> Submit(const codec::Principal& canister, const SignedRequest& call);
  Result<std::optional<CanisterResponse>> SyncReply(const codec::Principal& canister, const SignedRequest& call,
                                                    std::string_view body);
  Result<CanisterResponse> Poll(const codec::Principal& canister, const std::string& request_id);
  Result<std::optional<CanisterResponse>> StatusOf(const Certificate& cert, const std::string& request_id);
  Status VerifyFor(const Certificate& cert, const codec::Principal& canister) const;
  Result<NodeKeys> KeysFor(const codec::Principal& canister, bool refresh);

  HttpTransport& transport_;
  const Identity identity_;
  const AgentOptions options_;
  const AgentEnv env_;
  const std::string root_key_;  // Raw 96 bytes.
  mutable SignatureCache signatures_;  // Delegations and round signatures.
  std::atomic<bool> v3_call_missing_{false};
  std::atomic<bool> v3_read_missing_{false};
  std::atomic<uint64_t> polls_{0};
  std::atomic<uint64_t> resubmits_{0};
  std::mutex keys_mu_;
  struct CachedKeys {
    NodeKeys keys;
    int64_t fetched_ms = 0;
  };
  std::map<std::string, CachedKeys> node_keys_;  // By canister bytes; guarded by keys_mu_.
};

}  // namespace sela::chain
