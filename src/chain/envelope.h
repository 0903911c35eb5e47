// Request envelopes (interface spec, "Envelope"; reference
// ic/PROTOCOL-NOTES.md §1.2-1.3): the content of a call, query or
// read_state, its request id, and the signed CBOR envelope
// #6.55799({content, sender_pubkey, sender_sig}) that is POSTed.
//
// Keys are written in the order the IC's JavaScript agent writes them, so
// our bytes equal its bytes for the same content (tests/data/ic/vectors.json);
// the IC itself does not care about the order.
//
// DecodeEnvelope reads an envelope as the IC does (the fake endpoint and
// tests use it): the request id is computed over the content map as sent.
//
// Thread-safety: free functions on values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/identity.h"
#include "codec/cbor_reader.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain {

enum class RequestType : uint8_t { kCall, kQuery, kReadState };
std::string_view RequestTypeName(RequestType type);

struct RequestContent {
  RequestType type = RequestType::kCall;
  codec::Principal sender;
  uint64_t ingress_expiry_ns = 0;
  std::optional<std::string> nonce;  // At most 32 bytes.
  // Call and query.
  codec::Principal canister_id;
  std::string method_name;
  std::string arg;
  // Read state: paths of labels.
  std::vector<std::vector<std::string>> paths;
};

// The 32-byte request id.
std::string RequestIdOf(const RequestContent& content);

// CBOR of the content map alone.
std::string EncodeContent(const RequestContent& content);

struct SignedRequest {
  std::string request_id;  // 32 bytes.
  std::string envelope;    // CBOR, ready to POST.
};
// content.sender must be identity.principal().
Result<SignedRequest> SignRequest(const RequestContent& content, const Identity& identity);

struct DecodedEnvelope {
  RequestContent content;
  std::string request_id;  // Over the content map as received.
  std::optional<std::string> sender_pubkey;
  std::optional<std::string> sender_sig;
  bool has_sender_delegation = false;
};

struct EnvelopeLimits {
  size_t bytes_max = 4 << 20;  // The IC's ingress limit is 2 MiB of payload.
  size_t paths_max = 1000;
  size_t labels_max = 127;
};

// InvalidArgument for anything that is not a well-formed envelope.
Result<DecodedEnvelope> DecodeEnvelope(std::string_view bytes, const EnvelopeLimits& limits = {});

// The IC's authentication of an envelope: the anonymous sender carries no
// key or signature; any other sender's key derives its principal and its
// signature verifies over the request id. Delegations are not supported
// (Unauthenticated). Errors are Unauthenticated.
Status AuthenticateEnvelope(const DecodedEnvelope& envelope);

}  // namespace sela::chain
