// Internet Computer certificates (interface spec, "Certification"): parsing,
// and verification of the BLS signature, of the subnet delegation and its
// canister ranges, and of the freshness of `/time`.
//
// What VerifyCertificate accepts (docs/CHAIN.md, "Trust model"):
//   1. A delegation, if present, is itself a certificate without a
//      delegation, signed by the root key, whose tree holds
//      /subnet/<subnet_id>/public_key; its subnet must be entitled to answer
//      for the request: for a canister, some certified range of the subnet
//      (/canister_ranges/<subnet_id>/<shard> or, the older form,
//      /subnet/<subnet_id>/canister_ranges) holds the canister id; for a
//      subnet request, the delegation is for that subnet.
//   2. The signature is a BLS signature of "\x0Dic-state-root" || root hash
//      under the subnet key (or the root key when there is no delegation).
//   3. /time is present and within [now - max_age, now + max_skew].
//
// Thread-safety: Certificate is immutable; SignatureCache is thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "chain/hash_tree.h"
#include "codec/cbor_reader.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain {

struct CertificateLimits {
  size_t bytes_max = 1 << 20;  // Mainnet's with node keys are ~13 KB.
  codec::CborLimits cbor;
};

class Certificate {
 public:
  static Result<Certificate> Parse(std::string bytes, const CertificateLimits& limits = {});

  const HashTree& tree() const { return tree_; }
  std::string_view signature() const { return signature_; }
  bool has_delegation() const { return has_delegation_; }
  std::string_view delegation_subnet_id() const { return delegation_subnet_id_; }
  std::string_view delegation_certificate() const { return delegation_certificate_; }
  const std::string& bytes() const { return *bytes_; }

  HashTree::LookupResult Lookup(std::initializer_list<std::string_view> path) const {
    return tree_.LookupPath(std::span<const std::string_view>(path.begin(), path.size()));
  }
  // /time in nanoseconds since the epoch.
  Result<uint64_t> TimeNs() const;

 private:
  std::unique_ptr<const std::string> bytes_;  // Owns what the views point into.
  HashTree tree_;
  std::string_view signature_;
  bool has_delegation_ = false;
  std::string_view delegation_subnet_id_;
  std::string_view delegation_certificate_;
};

// Who the certificate must speak for.
struct CertificateScope {
  enum class Kind : uint8_t { kCanister, kSubnet };
  Kind kind = Kind::kCanister;
  codec::Principal id;
};

struct FreshnessPolicy {
  int64_t max_age_ns = 5LL * 60 * 1'000'000'000;   // As the IC's agents.
  int64_t max_skew_ns = 5LL * 60 * 1'000'000'000;  // A clock ahead of ours.
  bool check = true;  // False only for archived fixtures.
};

// Remembers BLS verifications that succeeded, keyed by the SHA-256 of all
// that bls::Verify reads (the public key, the signature and the message,
// length-prefixed; the message is the separator and the tree's root hash).
// Two signatures repeat: the delegation's (it changes at replica upgrades,
// roughly weekly) and the subnet's over one round's state, which every
// certificate issued for that round carries, whatever its pruned tree.
// bls::Verify is a pure function of those bytes, so a hit stands for
// exactly the pairing it skips: VerifyCertificate still rebuilds every
// tree to its root hash (a different tree or a tampered leaf is another
// message, hence a miss, hence the pairing), and still checks the
// delegation's scope and /time on every call. Failures are not kept.
// The answers of one round arrive together: a verification already under
// way for the same bytes is waited for, not repeated (a failure lets each
// waiter verify for itself). Bounded: the oldest entry goes first.
// Thread-safe.
class SignatureCache {
 public:
  explicit SignatureCache(size_t entries_max = 1024) : entries_max_(entries_max) {}
  // bls::Verify(key_raw, signature, message), remembered when true.
  bool Verify(std::string_view key_raw, std::string_view signature, std::string_view message);
  uint64_t hits() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable verified_cv_;       // A verification under way ended.
  size_t entries_max_;
  std::unordered_set<std::string> verified_;  // Guarded by mu_.
  std::unordered_set<std::string> verifying_;  // Under way; guarded by mu_.
  std::deque<std::string> order_;             // Oldest first; guarded by mu_.
  uint64_t hits_ = 0;                         // Guarded by mu_.
};

// root_key_raw: the 96-byte BLS root key (bls::KeyFromDer of the DER form).
// Errors: Unauthenticated for a bad signature, a delegation that does not
// cover the scope, a missing or stale /time; InvalidArgument for malformed
// certificates.
Status VerifyCertificate(const Certificate& cert, std::string_view root_key_raw, const CertificateScope& scope,
                         int64_t now_ns, const FreshnessPolicy& freshness, SignatureCache* cache = nullptr);

// The status of a request in a certificate (/request_status/<id>/...).
struct RequestStatus {
  enum class State : uint8_t { kUnknown, kReceived, kProcessing, kReplied, kRejected, kDone };
  State state = State::kUnknown;
  std::string reply;  // kReplied: the Candid reply.
  uint64_t reject_code = 0;
  std::string reject_message;
  std::string error_code;
};
Result<RequestStatus> LookupRequestStatus(const Certificate& cert, std::string_view request_id);

// Ranges leaf: CBOR [[lo, hi], ...] (optionally tagged 55799). True when
// canister lies in one of them.
Result<bool> RangesContain(std::string_view ranges_cbor, std::string_view canister);

}  // namespace sela::chain
