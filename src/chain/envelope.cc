#include "chain/envelope.h"

#include "auth/public_key.h"
#include "chain/request_id.h"
#include "codec/cbor_writer.h"

namespace sela::chain {
namespace {

constexpr uint64_t kSelfDescribeTag = 55799;

Status Bad(std::string what) { return InvalidArgument("envelope: " + what); }

std::string HashPaths(const std::vector<std::vector<std::string>>& paths) {
  std::vector<std::string> path_hashes;
  path_hashes.reserve(paths.size());
  for (const auto& path : paths) {
    std::vector<std::string> label_hashes;
    label_hashes.reserve(path.size());
    for (const std::string& label : path) label_hashes.push_back(HashBlob(label));
    path_hashes.push_back(HashArray(label_hashes));
  }
  return HashArray(path_hashes);
}

void WriteContent(const RequestContent& c, codec::CborWriter& w) {
  const bool read_state = c.type == RequestType::kReadState;
  const size_t fields = (read_state ? 4 : 6) + (c.nonce ? 1 : 0);
  w.MapHeader(fields).Text("request_type").Text(RequestTypeName(c.type));
  if (read_state) {
    w.Text("sender").Bytes(c.sender.bytes());
    w.Text("ingress_expiry").Unsigned(c.ingress_expiry_ns);
    w.Text("paths").ArrayHeader(c.paths.size());
    for (const auto& path : c.paths) {
      w.ArrayHeader(path.size());
      for (const std::string& label : path) w.Bytes(label);
    }
  } else {
    w.Text("canister_id").Bytes(c.canister_id.bytes());
    w.Text("method_name").Text(c.method_name);
    w.Text("arg").Bytes(c.arg);
    w.Text("sender").Bytes(c.sender.bytes());
    w.Text("ingress_expiry").Unsigned(c.ingress_expiry_ns);
  }
  if (c.nonce) w.Text("nonce").Bytes(*c.nonce);
}

Result<std::string_view> BytesField(const codec::CborValue& map, std::string_view key) {
  const codec::CborValue* v = map.Find(key);
  if (v == nullptr || !v->is_bytes()) return Err(Bad("\"" + std::string(key) + "\" missing or not bytes"));
  return v->str;
}

Result<codec::Principal> PrincipalField(const codec::CborValue& map, std::string_view key) {
  ASSIGN_OR_RETURN(const std::string_view bytes, BytesField(map, key));
  return codec::Principal::FromBytes(bytes);
}

Status DecodePaths(const codec::CborValue& map, const EnvelopeLimits& limits, RequestContent& c) {
  const codec::CborValue* paths = map.Find("paths");
  if (paths == nullptr || !paths->is_array() || paths->items.size() > limits.paths_max) {
    return Bad("paths missing, not a list, or too many");
  }
  for (const codec::CborValue& path : paths->items) {
    if (!path.is_array() || path.items.size() > limits.labels_max) return Bad("path not a list or too long");
    std::vector<std::string> labels;
    for (const codec::CborValue& label : path.items) {
      if (!label.is_bytes()) return Bad("path label is not bytes");
      labels.emplace_back(label.str);
    }
    c.paths.push_back(std::move(labels));
  }
  return Status::Ok();
}

Result<RequestContent> DecodeContent(const codec::CborValue& map, const EnvelopeLimits& limits) {
  RequestContent c;
  const codec::CborValue* type = map.Find("request_type");
  if (type == nullptr || !type->is_text()) return Err(Bad("request_type missing"));
  if (type->str == "call") {
    c.type = RequestType::kCall;
  } else if (type->str == "query") {
    c.type = RequestType::kQuery;
  } else if (type->str == "read_state") {
    c.type = RequestType::kReadState;
  } else {
    return Err(Bad("unknown request_type"));
  }
  ASSIGN_OR_RETURN(c.sender, PrincipalField(map, "sender"));
  const codec::CborValue* expiry = map.Find("ingress_expiry");
  if (expiry == nullptr || !expiry->is_unsigned()) return Err(Bad("ingress_expiry missing"));
  c.ingress_expiry_ns = expiry->u;
  if (const codec::CborValue* nonce = map.Find("nonce")) {
    if (!nonce->is_bytes() || nonce->str.size() > 32) return Err(Bad("nonce not bytes of at most 32"));
    c.nonce = std::string(nonce->str);
  }
  if (c.type == RequestType::kReadState) {
    RETURN_IF_ERROR(DecodePaths(map, limits, c));
    return c;
  }
  ASSIGN_OR_RETURN(c.canister_id, PrincipalField(map, "canister_id"));
  const codec::CborValue* method = map.Find("method_name");
  if (method == nullptr || !method->is_text()) return Err(Bad("method_name missing"));
  c.method_name = std::string(method->str);
  ASSIGN_OR_RETURN(const std::string_view arg, BytesField(map, "arg"));
  c.arg = std::string(arg);
  return c;
}

}  // namespace

std::string_view RequestTypeName(RequestType type) {
  switch (type) {
    case RequestType::kCall: return "call";
    case RequestType::kQuery: return "query";
    case RequestType::kReadState: return "read_state";
  }
  return "call";
}

std::string RequestIdOf(const RequestContent& c) {
  std::vector<HashedField> fields;
  fields.push_back({"request_type", HashText(RequestTypeName(c.type))});
  fields.push_back({"sender", HashBlob(c.sender.bytes())});
  fields.push_back({"ingress_expiry", HashNat(c.ingress_expiry_ns)});
  if (c.nonce) fields.push_back({"nonce", HashBlob(*c.nonce)});
  if (c.type == RequestType::kReadState) {
    fields.push_back({"paths", HashPaths(c.paths)});
  } else {
    fields.push_back({"canister_id", HashBlob(c.canister_id.bytes())});
    fields.push_back({"method_name", HashText(c.method_name)});
    fields.push_back({"arg", HashBlob(c.arg)});
  }
  return HashOfMap(fields);
}

std::string EncodeContent(const RequestContent& content) {
  codec::CborWriter w;
  WriteContent(content, w);
  return std::move(w).Take();
}

Result<SignedRequest> SignRequest(const RequestContent& content, const Identity& identity) {
  if (content.sender != identity.principal()) return Err(InvalidArgument("sender is not the identity's principal"));
  SignedRequest out;
  out.request_id = RequestIdOf(content);
  codec::CborWriter w;
  w.Tag(kSelfDescribeTag).MapHeader(identity.anonymous() ? 1 : 3).Text("content");
  WriteContent(content, w);
  if (!identity.anonymous()) {
    ASSIGN_OR_RETURN(const std::string sig, identity.SignRequestId(out.request_id));
    w.Text("sender_pubkey").Bytes(identity.public_key_der());
    w.Text("sender_sig").Bytes(sig);
  }
  out.envelope = std::move(w).Take();
  return out;
}

Result<DecodedEnvelope> DecodeEnvelope(std::string_view bytes, const EnvelopeLimits& limits) {
  if (bytes.size() > limits.bytes_max) return Err(Bad("too large"));
  ASSIGN_OR_RETURN(const codec::CborValue parsed, codec::ParseCbor(bytes));
  const codec::CborValue& map = parsed.Untagged(kSelfDescribeTag);
  RETURN_IF_ERROR(codec::CheckTextKeysUnique(map));
  const codec::CborValue* content = map.Find("content");
  if (content == nullptr || !content->is_map()) return Err(Bad("content missing"));
  DecodedEnvelope out;
  ASSIGN_OR_RETURN(out.content, DecodeContent(*content, limits));
  ASSIGN_OR_RETURN(out.request_id, HashOfCborMap(*content));
  if (const codec::CborValue* k = map.Find("sender_pubkey")) {
    if (!k->is_bytes()) return Err(Bad("sender_pubkey is not bytes"));
    out.sender_pubkey = std::string(k->str);
  }
  if (const codec::CborValue* s = map.Find("sender_sig")) {
    if (!s->is_bytes()) return Err(Bad("sender_sig is not bytes"));
    out.sender_sig = std::string(s->str);
  }
  out.has_sender_delegation = map.Find("sender_delegation") != nullptr;
  return out;
}

Status AuthenticateEnvelope(const DecodedEnvelope& e) {
  if (e.has_sender_delegation) return Unauthenticated("sender delegations are not supported");
  if (e.content.sender.is_anonymous()) {
    if (e.sender_pubkey || e.sender_sig) return Unauthenticated("anonymous request carries a key or signature");
    return Status::Ok();
  }
  if (!e.sender_pubkey || !e.sender_sig) return Unauthenticated("request is not signed");
  if (auth::PrincipalOfPublicKey(*e.sender_pubkey) != e.content.sender) {
    return Unauthenticated("sender_pubkey does not derive the sender");
  }
  std::string message(kRequestDomainSeparator);
  message += e.request_id;
  const Status s = auth::VerifySignature(*e.sender_pubkey, message, *e.sender_sig);
  if (!s.ok()) return Unauthenticated("sender signature: " + s.message());
  return Status::Ok();
}

}  // namespace sela::chain
