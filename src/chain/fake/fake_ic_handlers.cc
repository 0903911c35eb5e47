// FakeIc's request handlers: calls run on the simulated canisters, read_state
// and query answers (fake_ic.h). Called with mu_ held.
#include "chain/fake/fake_ic.h"
#include "chain/fake/fake_ic_reply.h"
#include "chain/query_signature.h"
#include "codec/cbor_writer.h"
#include "codec/leb128.h"

namespace sela::chain::fake {
namespace {

constexpr uint64_t kSelfDescribeTag = 55799;
using Leaves = std::vector<std::pair<std::vector<std::string>, std::string>>;

FakeIc::Reply Cbor(std::string body) {
  FakeIc::Reply r;
  r.body = std::move(body);
  return r;
}

FakeIc::Reply Accepted() {
  FakeIc::Reply r;
  r.status = 202;
  return r;
}

FakeIc::Reply Act(FakeIc::Reply::Action action) {
  FakeIc::Reply r;
  r.action = action;
  return r;
}

struct Outcome {
  bool replied = false;
  std::string reply;
  uint64_t reject_code = 0;
  std::string reject_message;
};

FakeIc::Reply InRound(FakeIc::Reply::Action action, Leaves leaves) {
  FakeIc::Reply r;
  r.action = action;
  r.round_leaves = std::move(leaves);
  return r;
}

std::string CallBody(const std::string& certificate) {
  codec::CborWriter w;
  w.Tag(kSelfDescribeTag).MapHeader(2).Text("status").Text("replied").Text("certificate").Bytes(certificate);
  return std::move(w).Take();
}

std::string ReadStateBody(const std::string& certificate) {
  codec::CborWriter w;
  w.Tag(kSelfDescribeTag).MapHeader(1).Text("certificate").Bytes(certificate);
  return std::move(w).Take();
}

Outcome Replied(std::string reply) { return {true, std::move(reply), 0, {}}; }
Outcome Rejected(uint64_t code, std::string message) { return {false, {}, code, std::move(message)}; }

void StatusLeaves(Leaves& leaves, const std::string& id, const std::string& status, bool replied,
                  const std::string& reply, uint64_t code, const std::string& message) {
  leaves.push_back({{"request_status", id, "status"}, status});
  if (status == "replied") leaves.push_back({{"request_status", id, "reply"}, reply});
  if (status == "rejected") {
    leaves.push_back({{"request_status", id, "reject_code"}, codec::Uleb128(code)});
    leaves.push_back({{"request_status", id, "reject_message"}, message});
  }
  (void)replied;
}

}  // namespace

FakeIc::Reply FakeIc::HandleCall(bool v3, const DecodedEnvelope& e) {
  ++stats_.call_posts;
  const std::string& id = e.request_id;
  auto it = requests_.find(id);
  if (it == requests_.end()) {
    if (TakeFault(Fault::kDropBeforeExecute)) return Act(Reply::Action::kDrop);
    if (TakeFault(Fault::kNonReplicatedReject)) {
      codec::CborWriter w;
      w.Tag(kSelfDescribeTag).MapHeader(v3 ? 4 : 3);
      if (v3) w.Text("status").Text("non_replicated_rejection");
      w.Text("reject_code").Unsigned(4).Text("reject_message").Text("inspect_message refused the call")
          .Text("error_code").Text("IC0406");
      return Cbor(std::move(w).Take());
    }
    const uint64_t now_ns = static_cast<uint64_t>(clock_.WallMs()) * 1'000'000;
    Outcome out;
    const bool trap = TakeFault(Fault::kReject);
    if (trap) {
      out = Rejected(5, "Canister trapped: injected fault");
    } else if (e.content.canister_id == options_.ledger_id && e.content.method_name == "icrc1_transfer") {
      const Result<icrc1::TransferArg> arg = icrc1::DecodeTransferArg(e.content.arg);
      out = arg.has_value() ? Replied(icrc1::EncodeTransferResult(ledger_.Transfer(e.content.sender, *arg, now_ns)))
                            : Rejected(5, "Candid decode failed: " + arg.error().message());
    } else if (e.content.canister_id == options_.files_id && e.content.method_name == "store_file") {
      const Result<files::StoreFileArgs> arg = files::DecodeStoreFileArgs(e.content.arg);
      out = arg.has_value() ? Replied(files::EncodeStoreFileResult(files_.StoreFile(*arg)))
                            : Rejected(5, "Candid decode failed: " + arg.error().message());
    } else {
      out = Rejected(3, "Canister " + e.content.canister_id.ToText() + " has no update method '" +
                            e.content.method_name + "'");
    }
    if (!trap) ++stats_.calls_executed;
    RequestRecord record{e.content.ingress_expiry_ns, e.content.sender, out.replied, out.reply, out.reject_code,
                         out.reject_message, 0};
    int polls = 0;
    if (v3 && TakeFault(Fault::kAccepted202, &polls)) record.hidden_polls = polls;
    RememberRequest(id, std::move(record), now_ns);
    it = requests_.find(id);
    if (TakeFault(Fault::kHoldAfterExecute)) return Act(Reply::Action::kHold);
    if (TakeFault(Fault::kDropAfterExecute)) return Act(Reply::Action::kDrop);
    if (TakeFault(Fault::kRestartAfterExecute)) return Act(Reply::Action::kRestart);
  }
  const RequestRecord& r = it->second;
  if (!v3 || r.hidden_polls > 0) return Accepted();
  Leaves leaves;
  StatusLeaves(leaves, id, r.replied ? "replied" : "rejected", r.replied, r.reply, r.reject_code, r.reject_message);
  if (CertifiesInRounds()) return InRound(Reply::Action::kRoundCall, std::move(leaves));
  return Cbor(CallBody(Certificate(leaves)));
}

FakeIc::Reply FakeIc::HandleReadState(const DecodedEnvelope& e) {
  ++stats_.read_states;
  Leaves leaves;
  const std::string subnet(subnet_id_.bytes());
  for (const std::vector<std::string>& path : e.content.paths) {
    if (path.size() >= 2 && path[0] == "request_status") {
      const auto it = requests_.find(path[1]);
      if (it == requests_.end()) continue;  // Absent: unknown to the IC.
      RequestRecord& r = it->second;
      if (r.sender != e.content.sender) {
        Reply denied;
        denied.status = 403;
        denied.content_type = "text/plain";
        denied.body = "request status of another sender";
        return denied;
      }
      if (r.hidden_polls > 0) {
        --r.hidden_polls;
        leaves.push_back({{"request_status", path[1], "status"}, "processing"});
        continue;
      }
      StatusLeaves(leaves, path[1], r.replied ? "replied" : "rejected", r.replied, r.reply, r.reject_code,
                   r.reject_message);
    } else if (!path.empty() && path[0] == "subnet") {
      leaves.push_back({{"subnet", subnet, "public_key"}, bls::KeyToDer(subnet_.PublicKey())});
      leaves.push_back({{"subnet", subnet, "node", std::string(node_.principal().bytes()), "public_key"},
                        node_.public_key_der()});
    }
  }
  if (CertifiesInRounds()) return InRound(Reply::Action::kRoundReadState, std::move(leaves));
  return Cbor(ReadStateBody(Certificate(leaves)));
}

FakeIc::Reply FakeIc::FinishRound(Reply reply) {
  const bool call = reply.action == Reply::Action::kRoundCall;
  const std::string certificate = rounds_->Certify(std::move(reply.round_leaves));
  return Cbor(call ? CallBody(certificate) : ReadStateBody(certificate));
}

FakeIc::Reply FakeIc::HandleQuery(const DecodedEnvelope& e) {
  ++stats_.queries;
  const std::string& method = e.content.method_name;
  const std::string& arg = e.content.arg;
  Outcome out = Rejected(3, "Canister has no query method '" + method + "'");
  bool sign = true;
  if (std::optional<ArchiveAnswer> a = ledger_.ArchiveQuery(e.content.canister_id, method, arg)) {
    out = a->replied ? Replied(std::move(a->reply)) : Rejected(a->reject_code, std::move(a->reject_message));
    sign = a->sign;
  } else if (e.content.canister_id == options_.ledger_id) {
    if (method == "icrc1_balance_of") {
      const Result<icrc1::Account> account = icrc1::DecodeAccount(arg);
      out = account.has_value() ? Replied(icrc1::EncodeNat(ledger_.BalanceOf(*account)))
                                : Rejected(5, "Candid decode failed");
    } else if (method == "icrc1_total_supply") {
      out = Replied(icrc1::EncodeNat(ledger_.total_supply()));
    } else if (method == "icrc1_fee") {
      out = Replied(icrc1::EncodeNat(ledger_.settings().transfer_fee));
    } else if (method == "icrc1_minting_account") {
      out = Replied(icrc1::EncodeOptAccount(ledger_.settings().minting_account));
    } else if (method == "icrc1_supported_standards") {
      out = Replied(icrc1::EncodeStandards({{"ICRC-1", "https://github.com/dfinity/ICRC-1"},
                                            {"ICRC-3", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-3"}}));
    } else if (method == "icrc3_get_blocks") {
      const Result<std::vector<icrc1::BlockRange>> ranges = icrc1::DecodeGetBlocksArgs(arg);
      const Result<std::string> reply = ranges.has_value() ? icrc1::EncodeGetBlocksResult(ledger_.GetBlocks(*ranges))
                                                           : Result<std::string>(Err(ranges.error()));
      out = reply.has_value() ? Replied(*reply) : Rejected(5, "Candid decode failed");
    }
  } else if (e.content.canister_id == options_.files_id && method == "get_file") {
    const Result<std::string> key = files::DecodeGetFileArgs(arg);
    const Result<std::string> reply = key.has_value() ? files::EncodeGetFileResult(files_.GetFile(*key))
                                                      : Result<std::string>(Err(key.error()));
    out = reply.has_value() ? Replied(*reply) : Rejected(5, "Candid decode failed");
  }
  QueryResponse response;
  response.replied = out.replied;
  response.reply = out.reply;
  response.reject_code = out.reject_code;
  response.reject_message = out.reject_message;
  if (sign && !TakeFault(Fault::kUnsignedQuery)) {
    const uint64_t ts = static_cast<uint64_t>(clock_.WallMs()) * 1'000'000;
    const std::string message = std::string(kResponseDomainSeparator) + QueryResponseHash(response, e.request_id, ts);
    response.signatures.push_back({ts, node_.Sign(message).value(), std::string(node_.principal().bytes())});
  }
  return Cbor(EncodeQueryResponse(response));
}

}  // namespace sela::chain::fake
