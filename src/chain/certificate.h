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
// Thread-safety: Certificate is immutable; DelegationCache is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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

// Remembers delegation certificates whose BLS signature verified, so that
// the second pairing per certificate is paid once per delegation (they
// change at replica upgrades, roughly weekly). Bounded; thread-safe.
class DelegationCache {
 public:
  explicit DelegationCache(size_t entries_max = 64) : entries_max_(entries_max) {}
  bool Contains(const std::string& key) const;
  void Add(const std::string& key);

 private:
  mutable std::mutex mu_;
  size_t entries_max_;
  std::unordered_map<std::string, bool> verified_;  // Guarded by mu_.
};

// root_key_raw: the 96-byte BLS root key (bls::KeyFromDer of the DER form).
// Errors: Unauthenticated for a bad signature, a delegation that does not
// cover the scope, a missing or stale /time; InvalidArgument for malformed
// certificates.
Status VerifyCertificate(const Certificate& cert, std::string_view root_key_raw, const CertificateScope& scope,
                         int64_t now_ns, const FreshnessPolicy& freshness, DelegationCache* cache = nullptr);

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
