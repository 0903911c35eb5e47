#include "chain/certificate.h"

#include "chain/bls.h"
#include "chain/sha256.h"
#include "codec/leb128.h"

namespace sela::chain {
namespace {

constexpr uint64_t kSelfDescribeTag = 55799;
constexpr std::string_view kStateRootSep = "\x0Dic-state-root";

Status Malformed(std::string what) { return InvalidArgument("certificate: " + what); }
Status Refused(std::string what) { return Unauthenticated("certificate refused: " + what); }

bool VerifySignature(std::string_view key, std::string_view signature, std::string_view message,
                     SignatureCache* cache) {
  return cache != nullptr ? cache->Verify(key, signature, message) : bls::Verify(key, signature, message);
}

// Does a delegation certificate entitle its subnet to answer for `canister`?
// Any certified range that holds the canister suffices, in either layout.
Result<bool> SubnetCoversCanister(const Certificate& delegation, std::string_view subnet,
                                  std::string_view canister) {
  const std::string_view tree_path[] = {"canister_ranges", subnet};
  const HashTree::LookupResult shards = delegation.tree().LookupSubtree(tree_path);
  if (shards.status == HashTree::Lookup::kFound && shards.node >= 0) {
    bool complete = false;
    for (const HashTree::Node* shard : delegation.tree().Children(shards.node, &complete)) {
      const HashTree::Node& leaf = delegation.tree().node(shard->left);
      if (leaf.kind != HashTree::Kind::kLeaf) continue;
      ASSIGN_OR_RETURN(const bool hit, RangesContain(leaf.data, canister));
      if (hit) return true;
    }
  }
  const HashTree::LookupResult flat = delegation.Lookup({"subnet", subnet, "canister_ranges"});
  if (flat.status == HashTree::Lookup::kFound) return RangesContain(flat.value, canister);
  return false;
}

// Verifies the delegation and returns the subnet's raw BLS key.
Result<std::string> CheckDelegation(const Certificate& cert, std::string_view root_key_raw,
                                    const CertificateScope& scope, SignatureCache* cache) {
  ASSIGN_OR_RETURN(const Certificate delegation, Certificate::Parse(std::string(cert.delegation_certificate())));
  if (delegation.has_delegation()) return Err(Refused("too many delegations"));
  const std::string message = std::string(kStateRootSep) + delegation.tree().RootHash();
  if (!VerifySignature(root_key_raw, delegation.signature(), message, cache)) {
    return Err(Refused("delegation signature does not verify under the root key"));
  }
  const std::string_view subnet = cert.delegation_subnet_id();
  const HashTree::LookupResult key = delegation.Lookup({"subnet", subnet, "public_key"});
  if (key.status != HashTree::Lookup::kFound) return Err(Refused("delegation lacks the subnet public key"));
  ASSIGN_OR_RETURN(const std::string_view raw, bls::KeyFromDer(key.value));
  if (scope.kind == CertificateScope::Kind::kSubnet) {
    if (subnet != scope.id.bytes()) return Err(Refused("delegation is for another subnet"));
  } else {
    ASSIGN_OR_RETURN(const bool covered, SubnetCoversCanister(delegation, subnet, scope.id.bytes()));
    if (!covered) return Err(Refused("canister " + scope.id.ToText() + " is not in the subnet's ranges"));
  }
  return std::string(raw);
}

}  // namespace

Result<Certificate> Certificate::Parse(std::string bytes, const CertificateLimits& limits) {
  if (bytes.size() > limits.bytes_max) return Err(Malformed("larger than " + std::to_string(limits.bytes_max) + " bytes"));
  Certificate cert;
  cert.bytes_ = std::make_unique<const std::string>(std::move(bytes));
  ASSIGN_OR_RETURN(const codec::CborValue parsed, codec::ParseCbor(*cert.bytes_, limits.cbor));
  const codec::CborValue& map = parsed.Untagged(kSelfDescribeTag);
  if (!map.is_map()) return Err(Malformed("not a map"));
  const codec::CborValue* tree = map.Find("tree");
  const codec::CborValue* signature = map.Find("signature");
  if (tree == nullptr || signature == nullptr || !signature->is_bytes()) {
    return Err(Malformed("tree or signature missing"));
  }
  ASSIGN_OR_RETURN(cert.tree_, HashTree::FromCbor(*tree));
  cert.signature_ = signature->str;
  const codec::CborValue* delegation = map.Find("delegation");
  // A null delegation is no delegation (serde's Option, as agent-rs writes it).
  if (delegation != nullptr && delegation->kind != codec::CborValue::Kind::kNull) {
    const codec::CborValue* subnet = delegation->Find("subnet_id");
    const codec::CborValue* inner = delegation->Find("certificate");
    if (subnet == nullptr || inner == nullptr || !subnet->is_bytes() || !inner->is_bytes()) {
      return Err(Malformed("delegation without subnet_id or certificate"));
    }
    cert.has_delegation_ = true;
    cert.delegation_subnet_id_ = subnet->str;
    cert.delegation_certificate_ = inner->str;
  }
  return cert;
}

Result<uint64_t> Certificate::TimeNs() const {
  const HashTree::LookupResult t = Lookup({"time"});
  if (t.status != HashTree::Lookup::kFound) return Err(Refused("no /time"));
  return codec::ParseUleb128(t.value);
}

namespace {

std::string LengthPrefixed(std::string_view part) {
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((part.size() >> (8 * i)) & 0xFF);
  return out;
}

}  // namespace

bool SignatureCache::Verify(std::string_view key_raw, std::string_view signature, std::string_view message) {
  const std::string key = Sha256({LengthPrefixed(key_raw), key_raw, LengthPrefixed(signature), signature,
                                  LengthPrefixed(message), message});
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (verified_.contains(key)) {
      ++hits_;
      return true;
    }
    if (!verifying_.contains(key)) break;
    verified_cv_.wait(lock);
  }
  verifying_.insert(key);
  lock.unlock();
  const bool ok = bls::Verify(key_raw, signature, message);
  lock.lock();
  verifying_.erase(key);
  if (ok && verified_.insert(key).second) {
    order_.push_back(key);
    while (order_.size() > entries_max_) {
      verified_.erase(order_.front());
      order_.pop_front();
    }
  }
  verified_cv_.notify_all();
  return ok;
}

uint64_t SignatureCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

size_t SignatureCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return verified_.size();
}

Status VerifyCertificate(const Certificate& cert, std::string_view root_key_raw, const CertificateScope& scope,
                         int64_t now_ns, const FreshnessPolicy& freshness, SignatureCache* cache) {
  std::string key(root_key_raw);
  if (cert.has_delegation()) {
    ASSIGN_OR_RETURN(key, CheckDelegation(cert, root_key_raw, scope, cache));
  }
  const std::string message = std::string(kStateRootSep) + cert.tree().RootHash();
  if (!VerifySignature(key, cert.signature(), message, cache)) return Refused("signature does not verify");
  if (freshness.check) {
    ASSIGN_OR_RETURN(const uint64_t time_ns, cert.TimeNs());
    const auto t = static_cast<int64_t>(time_ns);
    if (t < now_ns - freshness.max_age_ns) return Refused("stale: /time is too far in the past");
    if (t > now_ns + freshness.max_skew_ns) return Refused("/time is too far in the future");
  }
  return Status::Ok();
}

Result<RequestStatus> LookupRequestStatus(const Certificate& cert, std::string_view request_id) {
  using L = HashTree::Lookup;
  RequestStatus out;
  const HashTree::LookupResult status = cert.Lookup({"request_status", request_id, "status"});
  if (status.status == L::kAbsent || status.status == L::kUnknown) return out;
  if (status.status == L::kError) return Err(Malformed("request status is not a leaf"));
  using S = RequestStatus::State;
  if (status.value == "received") {
    out.state = S::kReceived;
  } else if (status.value == "processing") {
    out.state = S::kProcessing;
  } else if (status.value == "done") {
    out.state = S::kDone;
  } else if (status.value == "replied") {
    out.state = S::kReplied;
    const HashTree::LookupResult reply = cert.Lookup({"request_status", request_id, "reply"});
    if (reply.status != L::kFound) return Err(Refused("replied without a certified reply"));
    out.reply = std::string(reply.value);
  } else if (status.value == "rejected") {
    out.state = S::kRejected;
    const HashTree::LookupResult code = cert.Lookup({"request_status", request_id, "reject_code"});
    const HashTree::LookupResult message = cert.Lookup({"request_status", request_id, "reject_message"});
    if (code.status != L::kFound || message.status != L::kFound) {
      return Err(Refused("rejected without a certified code and message"));
    }
    ASSIGN_OR_RETURN(out.reject_code, codec::ParseUleb128(code.value));
    out.reject_message = std::string(message.value.substr(0, 4096));
    const HashTree::LookupResult error = cert.Lookup({"request_status", request_id, "error_code"});
    if (error.status == L::kFound) out.error_code = std::string(error.value.substr(0, 64));
  } else {
    return Err(Malformed("unknown request status \"" + std::string(status.value.substr(0, 32)) + "\""));
  }
  return out;
}

Result<bool> RangesContain(std::string_view ranges_cbor, std::string_view canister) {
  codec::CborLimits limits;
  limits.depth_max = 4;
  ASSIGN_OR_RETURN(const codec::CborValue parsed, codec::ParseCbor(ranges_cbor, limits));
  const codec::CborValue& list = parsed.Untagged(kSelfDescribeTag);
  if (!list.is_array()) return Err(Malformed("canister ranges are not a list"));
  for (const codec::CborValue& range : list.items) {
    if (!range.is_array() || range.items.size() != 2 || !range.items[0].is_bytes() || !range.items[1].is_bytes()) {
      return Err(Malformed("canister range is not [lo, hi]"));
    }
    if (range.items[0].str <= canister && canister <= range.items[1].str) return true;
  }
  return false;
}

}  // namespace sela::chain
