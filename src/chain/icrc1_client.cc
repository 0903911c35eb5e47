#include "chain/icrc1_client.h"

namespace sela::chain {
namespace {

Status RejectStatus(std::string_view method, const Reject& r) {
  return FailedPrecondition(std::string(method) + " rejected (" + std::string(RejectCodeName(r.code)) + "): " +
                            r.message);
}

// The ledger and its archives, through the agent.
class AgentBlocks : public BlockSource {
 public:
  explicit AgentBlocks(Icrc1Client& client) : client_(client) {}
  Result<icrc1::GetBlocksResult> Ledger(const std::vector<icrc1::BlockRange>& ranges) override {
    return client_.GetBlocks(ranges);
  }
  Result<icrc1::GetBlocksResult> Archive(const codec::Principal& canister, const std::string& method,
                                         const std::vector<icrc1::BlockRange>& ranges) override {
    return client_.GetBlocksFrom(canister, method, ranges);
  }

 private:
  Icrc1Client& client_;
};

}  // namespace

Result<std::string> Icrc1Client::QueryReply(std::string_view method, std::string arg) {
  return QueryReplyFrom(ledger_, method, std::move(arg));
}

Result<std::string> Icrc1Client::QueryReplyFrom(const codec::Principal& canister, std::string_view method,
                                                std::string arg) {
  ASSIGN_OR_RETURN(const CanisterResponse r, agent_.Query(canister, method, std::move(arg)));
  if (!r.replied) return Err(RejectStatus(method, r.reject));
  return r.reply;
}

Result<TransferOutcome> Icrc1Client::Transfer(const icrc1::TransferArg& arg) {
  ASSIGN_OR_RETURN(const CanisterResponse r, agent_.Call(ledger_, "icrc1_transfer", icrc1::EncodeTransferArg(arg)));
  TransferOutcome out;
  if (!r.replied) {
    out.kind = TransferOutcome::Kind::kRejected;
    out.reject = r.reject;
    return out;
  }
  ASSIGN_OR_RETURN(const icrc1::TransferResult result, icrc1::DecodeTransferResult(r.reply));
  if (result.ok) {
    out.kind = TransferOutcome::Kind::kApplied;
    out.block_index = result.block_index;
  } else if (result.error.kind == icrc1::TransferError::Kind::kDuplicate) {
    out.kind = TransferOutcome::Kind::kApplied;
    out.block_index = result.error.number;
    out.duplicate = true;
  } else {
    out.kind = TransferOutcome::Kind::kLedgerError;
    out.error = result.error;
  }
  return out;
}

Result<icrc1::Uint128> Icrc1Client::BalanceOf(const icrc1::Account& account) {
  ASSIGN_OR_RETURN(const std::string reply, QueryReply("icrc1_balance_of", icrc1::EncodeAccount(account)));
  return icrc1::DecodeNat(reply);
}

Result<icrc1::Uint128> Icrc1Client::Fee() {
  ASSIGN_OR_RETURN(const std::string reply, QueryReply("icrc1_fee", icrc1::EncodeEmptyArgs()));
  return icrc1::DecodeNat(reply);
}

Result<std::optional<icrc1::Account>> Icrc1Client::MintingAccount() {
  ASSIGN_OR_RETURN(const std::string reply, QueryReply("icrc1_minting_account", icrc1::EncodeEmptyArgs()));
  return icrc1::DecodeOptAccount(reply);
}

Result<std::vector<icrc1::Standard>> Icrc1Client::SupportedStandards() {
  ASSIGN_OR_RETURN(const std::string reply, QueryReply("icrc1_supported_standards", icrc1::EncodeEmptyArgs()));
  return icrc1::DecodeStandards(reply);
}

Result<icrc1::GetBlocksResult> Icrc1Client::GetBlocks(const std::vector<icrc1::BlockRange>& ranges) {
  return GetBlocksFrom(ledger_, "icrc3_get_blocks", ranges);
}

Result<icrc1::GetBlocksResult> Icrc1Client::GetBlocksFrom(const codec::Principal& canister, std::string_view method,
                                                          const std::vector<icrc1::BlockRange>& ranges) {
  ASSIGN_OR_RETURN(const std::string reply, QueryReplyFrom(canister, method, icrc1::EncodeGetBlocksArgs(ranges)));
  return icrc1::DecodeGetBlocksResult(reply);
}

Status Icrc1Client::CheckMinter() {
  ASSIGN_OR_RETURN(const std::vector<icrc1::Standard> standards, SupportedStandards());
  bool icrc1 = false;
  for (const icrc1::Standard& s : standards) icrc1 = icrc1 || s.name == "ICRC-1";
  if (!icrc1) return FailedPrecondition("ledger " + ledger_.ToText() + " does not declare ICRC-1");
  ASSIGN_OR_RETURN(const std::optional<icrc1::Account> minter, MintingAccount());
  const icrc1::Account us{agent_.identity().principal(), std::nullopt};
  if (!minter || *minter != us) {
    return FailedPrecondition("our principal " + us.owner.ToText() + " is not the minting account of " +
                              ledger_.ToText() + ": transfers would not be mints");
  }
  return Status::Ok();
}

Result<std::optional<icrc1::Uint128>> Icrc1Client::FindMint(const icrc1::TransferArg& arg,
                                                            const MintSearchOptions& options, MintSearchStats* stats) {
  AgentBlocks blocks(*this);
  return FindMintIn(blocks, arg, options, stats);
}

}  // namespace sela::chain
