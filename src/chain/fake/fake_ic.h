// FakeIc: an Internet Computer endpoint written by the project for tests and
// benchmarks (docs/CHAIN.md, "Testing"). It speaks the HTTPS interface (v2
// and v3 call, read_state, query) over plain HTTP on a loopback port,
// checks every request as the IC does (CBOR envelope, request id, sender
// key and signature, ingress expiry, effective canister id), runs the
// simulated ICRC-1 ledger and file canister (fake_canisters.h), and answers
// with certificates it signs with blst: a subnet key delegated by a test
// root key, with canister ranges, as mainnet does. Queries are signed by a
// node key listed in the certified /subnet tree.
//
// Faults are injected on purpose (InjectFault): HTTP 503, replies held until
// the client times out or dropped with the connection (after or before the
// call ran), 202 then polling, canister rejects, rejects before consensus,
// no v3 endpoints, unsigned queries, certificates under a wrong key or
// stale, and restarts of the endpoint mid-call. State (ledger, files,
// request statuses) survives a Restart, as the IC's does.
//
// Memory is the canisters' state plus the request statuses still
// answerable: as the IC, the endpoint forgets a request's status once its
// ingress expiry is a minute past (a call or read_state of it would be
// refused as expired by then), so a long benchmark does not grow with
// every call it made.
//
// With round_us > 0 the answers are certified in rounds (fake_round.h):
// one signature per round, as the IC's, each answer's tree pruned to its
// own paths; with faults pending, each answer is signed alone.
//
// Threads: one accept thread, one thread per connection (the agent keeps a
// few keep-alive connections). The IC's time comes from the injected clock,
// shared with the agent in tests.
//
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/signing_key.h"
#include "chain/bls.h"
#include "chain/envelope.h"
#include "chain/fake/fake_canisters.h"
#include "chain/fake/fake_round.h"
#include "codec/principal.h"
#include "core/clock.h"
#include "core/status.h"

namespace sela::chain::fake {

enum class Fault : uint8_t {
  kHttp503,              // Any endpoint: 503, nothing runs.
  kHoldAfterExecute,     // Call: runs, then no answer until the client gives up.
  kDropAfterExecute,     // Call: runs, then the connection closes unanswered.
  kDropBeforeExecute,    // Call: the connection closes, nothing runs.
  kAccepted202,          // v3 call: runs, answers 202; read_state shows processing for `polls` reads.
  kReject,               // Call: the canister traps (certified reject, code 5).
  kNonReplicatedReject,  // Call: refused before consensus (code 4), nothing runs.
  kNoV3,                 // Any v3 endpoint: 404, as an older replica.
  kUnsignedQuery,        // Query: the answer carries no node signature.
  kBadCertificate,       // Any certificate: signed by a key that is not the subnet's.
  kStaleCertificate,     // Any certificate: /time ten minutes in the past.
  kRestartAfterExecute,  // Call: runs, then the endpoint restarts (connections dropped).
};

struct FakeIcOptions {
  std::string root_secret;    // 32-byte BLS scalar; default the test key 1100...07.
  std::string subnet_secret;  // Default 2200...09.
  std::string node_seed;      // Ed25519 seed of the one node; default 01 * 32.
  codec::Principal ledger_id;  // Default y5ego-zyaaa-aaaao-qkfhq-cai.
  codec::Principal files_id;   // Default qe3z4-yiaaa-aaaam-aeoyq-cai.
  LedgerSettings ledger;       // minting_account must be set by the test.
  size_t body_bytes_max = 8 << 20;
  // An update call whose argument is larger is refused with 413, as the
  // IC refuses ingress messages over 2 MiB.
  size_t ingress_arg_bytes_max = 2 << 20;
  // Serve POST /_fake/fault?name=<fault>&times=<n> and POST /_fake/clear
  // (the fake-ic process, for end-to-end tests of whole programs).
  bool control_routes = false;
  // > 0: answers certified in rounds of this length under one signature
  // (fake_round.h); 0: one signature per answer.
  int64_t round_us = 0;
};

struct FakeIcStats {
  uint64_t calls_executed = 0;   // Update calls run (each request id once).
  uint64_t call_posts = 0;       // POSTs of call envelopes, including re-POSTs.
  uint64_t read_states = 0;
  uint64_t queries = 0;
  uint64_t refused = 0;          // Bad envelope, signature or expiry.
  uint64_t restarts = 0;
  uint64_t faults_served = 0;    // Injected faults that struck a request.
  uint64_t requests_kept = 0;    // Request statuses held now (expired ones are forgotten).
  uint64_t rounds = 0;           // Rounds signed (round_us > 0).
  uint64_t round_answers = 0;    // Answers certified in those rounds.
};

class FakeIc {
 public:
  // Listens on 127.0.0.1 on a free port.
  static Result<std::unique_ptr<FakeIc>> Start(FakeIcOptions options, const Clock& ic_clock);
  ~FakeIc();

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The DER root key the agent must be configured with (hex).
  std::string root_key_der_hex() const;
  const codec::Principal& ledger_id() const { return options_.ledger_id; }
  const codec::Principal& files_id() const { return options_.files_id; }

  // The next `times` matching requests get the fault.
  void InjectFault(Fault fault, int times = 1, int polls = 2);
  void ClearFaults();
  // Drops every connection and listens again on the same port; state stays.
  Status Restart();

  FakeIcStats stats() const;
  // Read under the lock; the callback must not call back into FakeIc.
  template <typename F>
  auto WithLedger(F f) const {
    std::lock_guard<std::mutex> lock(mu_);
    return f(ledger_);
  }
  template <typename F>
  auto MutateLedger(F f) {  // Tests: fill the log directly, archive faults.
    std::lock_guard<std::mutex> lock(mu_);
    return f(ledger_);
  }
  template <typename F>
  auto WithFiles(F f) const {
    std::lock_guard<std::mutex> lock(mu_);
    return f(files_);
  }
  template <typename F>
  auto MutateFiles(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(files_);
  }

  struct Reply;  // What a handler decided (fake_ic.cc).

 private:
  FakeIc(FakeIcOptions options, const Clock& clock, bls::SecretKey root, bls::SecretKey subnet,
         auth::SigningKey node);
  Status Listen(uint16_t port);
  void AcceptLoop();
  void Serve(int fd);
  void StopThreads();
  Reply Handle(const std::string& method, const std::string& path, const std::string& body);
  Reply HandleCall(bool v3, const DecodedEnvelope& e);
  Reply HandleReadState(const DecodedEnvelope& e);
  Reply HandleQuery(const DecodedEnvelope& e);
  Reply HandleControl(const std::string& path);
  bool TakeFault(Fault fault, int* polls = nullptr);
  std::string Certificate(const std::vector<std::pair<std::vector<std::string>, std::string>>& leaves);
  // Certify in a round (round_us > 0 and no faults pending)? mu_ held.
  bool CertifiesInRounds() const { return rounds_ != nullptr && faults_.empty(); }
  // The answer to a kRound* reply: its leaves certified in a round, outside mu_.
  Reply FinishRound(Reply reply);
  std::string DelegationCertificate() const;

  struct RequestRecord {
    uint64_t expiry_ns = 0;
    codec::Principal sender;
    bool replied = false;
    std::string reply;
    uint64_t reject_code = 0;
    std::string reject_message;
    int hidden_polls = 0;  // read_states that still show "processing".
  };
  // Keeps the status of a call just run; forgets those a minute past expiry.
  void RememberRequest(const std::string& id, RequestRecord record, uint64_t now_ns);

  FakeIcOptions options_;
  const Clock& clock_;
  bls::SecretKey root_;
  bls::SecretKey subnet_;
  auth::SigningKey node_;
  codec::Principal subnet_id_;
  std::string delegation_;  // CBOR certificate, signed by the root key.

  mutable std::mutex mu_;
  FakeLedger ledger_;                               // Guarded by mu_.
  FakeFileCanister files_;                          // Guarded by mu_.
  std::map<std::string, RequestRecord> requests_;   // Guarded by mu_.
  std::multimap<uint64_t, std::string> request_expiries_;  // Expiry -> id of requests_; guarded by mu_.
  std::unique_ptr<RoundCertifier> rounds_;          // round_us > 0; set before the threads start.
  std::map<Fault, std::pair<int, int>> faults_;     // Fault -> (times, polls); guarded by mu_.
  FakeIcStats stats_;                               // Guarded by mu_.

  std::mutex threads_mu_;
  std::condition_variable held_cv_;
  std::condition_variable restart_done_cv_;  // With mu_.
  bool stopping_ = false;        // Guarded by threads_mu_.
  uint64_t generation_ = 0;      // Restarts so far; guarded by threads_mu_.
  std::vector<int> open_fds_;    // Guarded by threads_mu_.
  std::vector<std::thread> connection_threads_;  // Guarded by threads_mu_.
  std::thread accept_thread_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> restart_requested_{false};
};

}  // namespace sela::chain::fake
