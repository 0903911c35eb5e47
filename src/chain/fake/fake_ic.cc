#include "chain/fake/fake_ic.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "chain/fake/fake_ic_reply.h"
#include "chain/hash_tree.h"
#include "chain/query_signature.h"
#include "codec/cbor_writer.h"
#include "codec/hex.h"
#include "codec/leb128.h"

namespace sela::chain::fake {
namespace {

constexpr uint64_t kSelfDescribeTag = 55799;
constexpr std::string_view kStateRootSep = "\x0Dic-state-root";
constexpr int64_t kExpiryMaxNs = 330LL * 1'000'000'000;  // 5 min + 30 s drift, as the IC.

using Leaves = std::vector<std::pair<std::vector<std::string>, std::string>>;

std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }

FakeIc::Reply Text(int status, std::string text) {
  FakeIc::Reply r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(text);
  return r;
}

std::string CertificateOf(const std::string& tree_cbor, const std::string& signature, const std::string* delegation,
                          std::string_view subnet_id) {
  codec::CborWriter w;
  w.Tag(kSelfDescribeTag).MapHeader(delegation ? 3 : 2).Text("tree").Raw(tree_cbor);
  w.Text("signature").Bytes(signature);
  if (delegation) {
    w.Text("delegation").MapHeader(2).Text("subnet_id").Bytes(subnet_id).Text("certificate").Bytes(*delegation);
  }
  return std::move(w).Take();
}

std::string SignedCertificate(const std::string& tree_cbor, const bls::SecretKey& key, const std::string* delegation,
                              std::string_view subnet_id) {
  const codec::CborValue tree_value = codec::ParseCbor(tree_cbor).value();
  const std::string root = HashTree::FromCbor(tree_value).value().RootHash();
  return CertificateOf(tree_cbor, key.Sign(std::string(kStateRootSep) + root), delegation, subnet_id);
}

std::string RangesCbor(const codec::Principal& lo, const codec::Principal& hi) {
  codec::CborWriter w;
  w.Tag(kSelfDescribeTag).ArrayHeader(1).ArrayHeader(2).Bytes(lo.bytes()).Bytes(hi.bytes());
  return std::move(w).Take();
}

}  // namespace

FakeIc::FakeIc(FakeIcOptions options, const Clock& clock, bls::SecretKey root, bls::SecretKey subnet,
               auth::SigningKey node)
    : options_(std::move(options)), clock_(clock), root_(root), subnet_(subnet), node_(std::move(node)),
      subnet_id_(codec::Principal::FromBytes(Bytes("d77b2a2f7199b9a8aec93fe6fb588661358cf12223e9a3af7b4ebac402"))
                     .value()),
      ledger_(options_.ledger) {}

Result<std::unique_ptr<FakeIc>> FakeIc::Start(FakeIcOptions options, const Clock& ic_clock) {
  if (options.root_secret.empty()) options.root_secret = Bytes("1100000000000000000000000000000000000000000000000000000000000007");
  if (options.subnet_secret.empty()) options.subnet_secret = Bytes("2200000000000000000000000000000000000000000000000000000000000009");
  if (options.node_seed.empty()) options.node_seed = std::string(32, '\x01');
  if (options.ledger_id.bytes().empty()) options.ledger_id = codec::Principal::FromText("y5ego-zyaaa-aaaao-qkfhq-cai").value();
  if (options.files_id.bytes().empty()) options.files_id = codec::Principal::FromText("qe3z4-yiaaa-aaaam-aeoyq-cai").value();
  ASSIGN_OR_RETURN(const bls::SecretKey root, bls::SecretKey::FromBytes(options.root_secret));
  ASSIGN_OR_RETURN(const bls::SecretKey subnet, bls::SecretKey::FromBytes(options.subnet_secret));
  ASSIGN_OR_RETURN(auth::SigningKey node, auth::SigningKey::Ed25519FromSeed(options.node_seed));
  std::unique_ptr<FakeIc> ic(new FakeIc(std::move(options), ic_clock, root, subnet, std::move(node)));
  ic->delegation_ = ic->DelegationCertificate();
  if (ic->options_.round_us > 0) {
    FakeIc* raw = ic.get();
    ic->rounds_ = std::make_unique<RoundCertifier>(
        std::chrono::microseconds(raw->options_.round_us),
        [raw] { return codec::Uleb128(static_cast<uint64_t>(raw->clock_.WallMs()) * 1'000'000); },
        [raw](const std::string& root) { return raw->subnet_.Sign(std::string(kStateRootSep) + root); },
        [raw](const std::string& tree, const std::string& signature) {
          return CertificateOf(tree, signature, &raw->delegation_, raw->subnet_id_.bytes());
        });
  }
  RETURN_IF_ERROR(ic->Listen(0));
  ic->accept_thread_ = std::thread([raw = ic.get()] { raw->AcceptLoop(); });
  return ic;
}

FakeIc::~FakeIc() { StopThreads(); }

std::string FakeIc::root_key_der_hex() const { return codec::HexEncode(bls::KeyToDer(root_.PublicKey())); }

std::string FakeIc::DelegationCertificate() const {
  const std::string subnet(subnet_id_.bytes());
  const codec::Principal lo = std::min(options_.ledger_id, options_.files_id);
  const codec::Principal hi = std::max(options_.ledger_id, options_.files_id);
  HashTreeBuilder b;
  b.Insert(std::vector<std::string>{"subnet", subnet, "public_key"}, bls::KeyToDer(subnet_.PublicKey()));
  b.Insert(std::vector<std::string>{"canister_ranges", subnet, std::string(lo.bytes())}, RangesCbor(lo, hi));
  b.Insert(std::vector<std::string>{"time"}, codec::Uleb128(static_cast<uint64_t>(clock_.WallMs()) * 1'000'000));
  return SignedCertificate(b.EncodeCbor(), root_, nullptr, subnet);
}

std::string FakeIc::Certificate(const Leaves& leaves) {
  int64_t now_ns = clock_.WallMs() * 1'000'000;
  if (TakeFault(Fault::kStaleCertificate)) now_ns -= 600LL * 1'000'000'000;
  HashTreeBuilder b;
  for (const auto& [path, value] : leaves) b.Insert(path, value);
  b.Insert(std::vector<std::string>{"time"}, codec::Uleb128(static_cast<uint64_t>(now_ns)));
  const bls::SecretKey& key = TakeFault(Fault::kBadCertificate) ? root_ : subnet_;
  return SignedCertificate(b.EncodeCbor(), key, &delegation_, subnet_id_.bytes());
}

void FakeIc::InjectFault(Fault fault, int times, int polls) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[fault] = {times, polls};
}

void FakeIc::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

FakeIcStats FakeIc::stats() const {
  FakeIcStats out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out = stats_;
    out.requests_kept = requests_.size();
  }
  if (rounds_) {
    out.rounds = rounds_->rounds();
    out.round_answers = rounds_->answers();
  }
  return out;
}

void FakeIc::RememberRequest(const std::string& id, RequestRecord record, uint64_t now_ns) {
  constexpr uint64_t kKeepPastExpiryNs = 60ULL * 1'000'000'000;
  while (!request_expiries_.empty() && request_expiries_.begin()->first + kKeepPastExpiryNs < now_ns) {
    requests_.erase(request_expiries_.begin()->second);
    request_expiries_.erase(request_expiries_.begin());
  }
  request_expiries_.emplace(record.expiry_ns, id);
  requests_.emplace(id, std::move(record));
}

// Called with mu_ held.
bool FakeIc::TakeFault(Fault fault, int* polls) {
  const auto it = faults_.find(fault);
  if (it == faults_.end() || it->second.first == 0) return false;
  if (polls) *polls = it->second.second;
  ++stats_.faults_served;
  if (it->second.first > 0 && --it->second.first == 0) faults_.erase(it);
  return true;
}

FakeIc::Reply FakeIc::Handle(const std::string& method, const std::string& path, const std::string& body) {
  // /api/v<N>/canister/<ecid>/<kind>
  if (method != "POST") return Text(405, "POST only");
  if (options_.control_routes && path.starts_with("/_fake/")) return HandleControl(path);
  const bool v3 = path.starts_with("/api/v3/canister/");
  if (!v3 && !path.starts_with("/api/v2/canister/")) return Text(404, "not found");
  const std::string rest = path.substr(17);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos) return Text(404, "not found");
  const std::string ecid = rest.substr(0, slash);
  const std::string kind = rest.substr(slash + 1);
  std::lock_guard<std::mutex> lock(mu_);
  if (v3 && TakeFault(Fault::kNoV3)) return Text(404, "no v3 here");
  if (TakeFault(Fault::kHttp503)) return Text(503, "boundary node overloaded");
  Result<DecodedEnvelope> e = DecodeEnvelope(body);
  Status ok = e.has_value() ? AuthenticateEnvelope(*e) : e.error();
  const int64_t now_ns = clock_.WallMs() * 1'000'000;
  if (ok.ok() && (static_cast<int64_t>(e->content.ingress_expiry_ns) < now_ns ||
                  static_cast<int64_t>(e->content.ingress_expiry_ns) > now_ns + kExpiryMaxNs)) {
    ok = InvalidArgument("Invalid request expiry: not within 5 min 30 s of the IC's time");
  }
  if (ok.ok() && e->content.type != RequestType::kReadState && e->content.canister_id.ToText() != ecid) {
    ok = InvalidArgument("effective canister id does not match the canister");
  }
  if (!ok.ok()) {
    ++stats_.refused;
    return Text(400, ok.message());
  }
  if (e->content.type == RequestType::kCall && e->content.arg.size() > options_.ingress_arg_bytes_max) {
    ++stats_.refused;
    return Text(413, "ingress message of " + std::to_string(e->content.arg.size()) + " bytes is over the limit");
  }
  if (kind == "call" && e->content.type == RequestType::kCall) return HandleCall(v3, *e);
  if (kind == "read_state" && e->content.type == RequestType::kReadState) return HandleReadState(*e);
  if (kind == "query" && e->content.type == RequestType::kQuery) return HandleQuery(*e);
  return Text(400, "request type does not match the endpoint");
}

// POST /_fake/fault?name=<name>&times=<n> (n < 0: until cleared), POST /_fake/clear.
FakeIc::Reply FakeIc::HandleControl(const std::string& path) {
  static const std::map<std::string, Fault> kNames = {
      {"http503", Fault::kHttp503},           {"hold", Fault::kHoldAfterExecute},
      {"drop_after", Fault::kDropAfterExecute}, {"drop_before", Fault::kDropBeforeExecute},
      {"reject", Fault::kReject},             {"accepted202", Fault::kAccepted202}};
  if (path == "/_fake/clear") {
    ClearFaults();
    return Text(200, "cleared");
  }
  if (!path.starts_with("/_fake/fault?")) return Text(404, "not found");
  std::string name;
  int times = 1;
  std::string query = path.substr(13);
  size_t at = 0;
  while (at <= query.size()) {
    const size_t end = std::min(query.find('&', at), query.size());
    const std::string pair = query.substr(at, end - at);
    if (pair.starts_with("name=")) name = pair.substr(5);
    if (pair.starts_with("times=")) times = std::atoi(pair.c_str() + 6);
    at = end + 1;
  }
  const auto it = kNames.find(name);
  if (it == kNames.end()) return Text(400, "unknown fault");
  InjectFault(it->second, times);
  return Text(200, "injected");
}

}  // namespace sela::chain::fake
