#include "chain/query_signature.h"

#include "auth/public_key.h"
#include "chain/request_id.h"
#include "codec/cbor_writer.h"

namespace sela::chain {
namespace {

constexpr uint64_t kSelfDescribeTag = 55799;
constexpr size_t kSignaturesMax = 64;

Status Bad(std::string what) { return InvalidArgument("query response: " + what); }

Result<std::string_view> Text(const codec::CborValue& map, std::string_view key) {
  const codec::CborValue* v = map.Find(key);
  if (v == nullptr || !v->is_text()) return Err(Bad("\"" + std::string(key) + "\" missing or not text"));
  return v->str;
}

Result<std::vector<QuerySignature>> Signatures(const codec::CborValue& map) {
  std::vector<QuerySignature> out;
  const codec::CborValue* list = map.Find("signatures");
  if (list == nullptr) return out;
  if (!list->is_array() || list->items.size() > kSignaturesMax) return Err(Bad("signatures not a short list"));
  for (const codec::CborValue& s : list->items) {
    const codec::CborValue* ts = s.Find("timestamp");
    const codec::CborValue* sig = s.Find("signature");
    const codec::CborValue* id = s.Find("identity");
    if (ts == nullptr || !ts->is_unsigned() || sig == nullptr || !sig->is_bytes() || id == nullptr || !id->is_bytes()) {
      return Err(Bad("malformed signature entry"));
    }
    out.push_back({ts->u, std::string(sig->str), std::string(id->str)});
  }
  return out;
}

}  // namespace

Result<NodeKeys> NodeKeysFromCertificate(const Certificate& cert) {
  NodeKeys out;
  std::string subnet;
  if (cert.has_delegation()) {
    subnet = std::string(cert.delegation_subnet_id());
  } else {
    // No delegation: the root subnet answered; find the subnet listing nodes.
    const std::string_view path[] = {"subnet"};
    const HashTree::LookupResult subnets = cert.tree().LookupSubtree(path);
    if (subnets.status != HashTree::Lookup::kFound) return Err(Unauthenticated("certificate lists no subnet"));
    bool complete = false;
    for (const HashTree::Node* s : cert.tree().Children(subnets.node, &complete)) {
      const std::string_view nodes[] = {"subnet", s->data, "node"};
      if (cert.tree().LookupSubtree(nodes).status == HashTree::Lookup::kFound) subnet = std::string(s->data);
    }
  }
  ASSIGN_OR_RETURN(out.subnet, codec::Principal::FromBytes(subnet));
  const std::string_view path[] = {"subnet", subnet, "node"};
  const HashTree::LookupResult nodes = cert.tree().LookupSubtree(path);
  if (nodes.status != HashTree::Lookup::kFound) return Err(Unauthenticated("certificate lists no node of the subnet"));
  bool complete = false;
  for (const HashTree::Node* node : cert.tree().Children(nodes.node, &complete)) {
    const std::string_view key_path[] = {"subnet", subnet, "node", node->data, "public_key"};
    const HashTree::LookupResult key = cert.tree().LookupPath(key_path);
    if (key.status == HashTree::Lookup::kFound) out.keys.emplace(std::string(node->data), std::string(key.value));
  }
  if (out.keys.empty()) return Err(Unauthenticated("certificate holds no node key"));
  return out;
}

Result<QueryResponse> ParseQueryResponse(std::string_view cbor) {
  ASSIGN_OR_RETURN(const codec::CborValue parsed, codec::ParseCbor(cbor));
  const codec::CborValue& map = parsed.Untagged(kSelfDescribeTag);
  if (!map.is_map()) return Err(Bad("not a map"));
  QueryResponse r;
  ASSIGN_OR_RETURN(const std::string_view status, Text(map, "status"));
  if (status == "replied") {
    r.replied = true;
    const codec::CborValue* reply = map.Find("reply");
    const codec::CborValue* arg = reply ? reply->Find("arg") : nullptr;
    if (arg == nullptr || !arg->is_bytes()) return Err(Bad("replied without reply.arg"));
    r.reply = std::string(arg->str);
  } else if (status == "rejected") {
    const codec::CborValue* code = map.Find("reject_code");
    if (code == nullptr || !code->is_unsigned()) return Err(Bad("rejected without reject_code"));
    r.reject_code = code->u;
    ASSIGN_OR_RETURN(const std::string_view message, Text(map, "reject_message"));
    r.reject_message = std::string(message.substr(0, 4096));
    if (map.Find("error_code") != nullptr) {
      ASSIGN_OR_RETURN(const std::string_view error, Text(map, "error_code"));
      r.error_code = std::string(error.substr(0, 64));
    }
  } else {
    return Err(Bad("unknown status"));
  }
  ASSIGN_OR_RETURN(r.signatures, Signatures(map));
  return r;
}

std::string EncodeQueryResponse(const QueryResponse& r) {
  codec::CborWriter w;
  w.Tag(kSelfDescribeTag);
  const size_t fields = r.replied ? 3 : 4 + (r.error_code ? 1 : 0);
  w.MapHeader(fields).Text("status").Text(r.replied ? "replied" : "rejected");
  if (r.replied) {
    w.Text("reply").MapHeader(1).Text("arg").Bytes(r.reply);
  } else {
    w.Text("reject_code").Unsigned(r.reject_code).Text("reject_message").Text(r.reject_message);
    if (r.error_code) w.Text("error_code").Text(*r.error_code);
  }
  w.Text("signatures").ArrayHeader(r.signatures.size());
  for (const QuerySignature& s : r.signatures) {
    w.MapHeader(3).Text("timestamp").Unsigned(s.timestamp_ns).Text("signature").Bytes(s.signature)
        .Text("identity").Bytes(s.identity);
  }
  return std::move(w).Take();
}

std::string QueryResponseHash(const QueryResponse& r, std::string_view request_id, uint64_t timestamp_ns) {
  std::vector<HashedField> fields;
  fields.push_back({"status", HashText(r.replied ? "replied" : "rejected")});
  if (r.replied) {
    fields.push_back({"reply", HashOfMap({{"arg", HashBlob(r.reply)}})});
  } else {
    fields.push_back({"reject_code", HashNat(r.reject_code)});
    fields.push_back({"reject_message", HashText(r.reject_message)});
    if (r.error_code) fields.push_back({"error_code", HashText(*r.error_code)});
  }
  fields.push_back({"timestamp", HashNat(timestamp_ns)});
  fields.push_back({"request_id", HashBlob(request_id)});
  return HashOfMap(fields);
}

Status VerifyQueryResponse(const QueryResponse& r, std::string_view request_id, const NodeKeys& keys,
                           int64_t now_ns, int64_t max_age_ns) {
  if (r.signatures.empty()) return Unauthenticated("query response: missing signature");
  for (const QuerySignature& s : r.signatures) {
    const auto key = keys.keys.find(s.identity);
    if (key == keys.keys.end()) return Unauthenticated("query response: signed by a node outside the subnet");
    if (static_cast<int64_t>(s.timestamp_ns) < now_ns - max_age_ns) {
      return Unauthenticated("query response: signature too old");
    }
    const std::string message = std::string(kResponseDomainSeparator) + QueryResponseHash(r, request_id, s.timestamp_ns);
    const Status v = auth::VerifySignature(key->second, message, s.signature);
    if (!v.ok()) return Unauthenticated("query response: node signature: " + v.message());
  }
  return Status::Ok();
}

}  // namespace sela::chain
