// Query responses and their node signatures (interface spec, "Query call";
// reference ic/PROTOCOL-NOTES.md §1.1).
//
// A query reply is not certified; each replica that answered signs it with
// its node key (Ed25519) over "\x0Bic-response" || hash_of_map({status,
// reply | reject_code, reject_message, error_code?, timestamp, request_id}).
// The node keys come from certified state: read_state of /subnet gives
// /subnet/<subnet_id>/node/<node_id>/public_key (a BLS-verified
// certificate), so a query is as trustworthy as the certificate that named
// its signers.
//
// Thread-safety: free functions on values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/certificate.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain {

inline constexpr std::string_view kResponseDomainSeparator = "\x0Bic-response";

struct NodeKeys {
  codec::Principal subnet;
  std::map<std::string, std::string> keys;  // Node id bytes -> DER Ed25519 key.
};

// The signing nodes of the subnet that `cert` speaks for (its delegation's
// subnet, or else the one subnet in the tree that lists nodes). The
// certificate must already be verified.
Result<NodeKeys> NodeKeysFromCertificate(const Certificate& cert);

struct QuerySignature {
  uint64_t timestamp_ns = 0;
  std::string signature;  // 64 bytes.
  std::string identity;   // Node id (principal bytes).
};

struct QueryResponse {
  bool replied = false;
  std::string reply;  // Candid, when replied.
  uint64_t reject_code = 0;
  std::string reject_message;
  std::optional<std::string> error_code;
  std::vector<QuerySignature> signatures;
};

Result<QueryResponse> ParseQueryResponse(std::string_view cbor);
std::string EncodeQueryResponse(const QueryResponse& response);  // The fake endpoint's answer.

// The hash a node signs for `response` at `timestamp_ns`.
std::string QueryResponseHash(const QueryResponse& response, std::string_view request_id, uint64_t timestamp_ns);

// At least one signature, every one by a node of `keys`, valid, and not older
// than max_age_ns. Errors are Unauthenticated.
Status VerifyQueryResponse(const QueryResponse& response, std::string_view request_id, const NodeKeys& keys,
                           int64_t now_ns, int64_t max_age_ns);

}  // namespace sela::chain
