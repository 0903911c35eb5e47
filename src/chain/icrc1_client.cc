#include "chain/icrc1_client.h"

namespace sela::chain {
namespace {

Status RejectStatus(std::string_view method, const Reject& r) {
  return FailedPrecondition(std::string(method) + " rejected (" + std::string(RejectCodeName(r.code)) + "): " +
                            r.message);
}

}  // namespace

Result<std::string> Icrc1Client::QueryReply(std::string_view method, std::string arg) {
  ASSIGN_OR_RETURN(const CanisterResponse r, agent_.Query(ledger_, method, std::move(arg)));
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
  ASSIGN_OR_RETURN(const std::string reply, QueryReply("icrc3_get_blocks", icrc1::EncodeGetBlocksArgs(ranges)));
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

Result<std::optional<icrc1::Uint128>> Icrc1Client::FindMint(const icrc1::TransferArg& arg, icrc1::Uint128 from,
                                                            size_t blocks_max) {
  icrc1::Uint128 next = from;
  size_t scanned = 0;
  while (scanned < blocks_max) {
    const icrc1::Uint128 want = std::min<icrc1::Uint128>(blocks_max - scanned, 1000);
    ASSIGN_OR_RETURN(const icrc1::GetBlocksResult r, GetBlocks({{next, want}}));
    if (!r.archived_blocks.empty()) return Err(FailedPrecondition("blocks from " + codec::Uint128ToString(next) +
                                                                  " are archived; reconcile through the archive"));
    if (r.blocks.empty()) return std::optional<icrc1::Uint128>();
    for (const icrc1::Block& b : r.blocks) {
      ASSIGN_OR_RETURN(const std::optional<icrc1::Mint> mint, icrc1::MintOfBlock(b.block));
      if (mint && mint->to == arg.to && mint->amount == arg.amount && mint->memo == arg.memo &&
          mint->created_at_time == arg.created_at_time) {
        return std::optional<icrc1::Uint128>(b.id);
      }
      next = b.id + 1;
    }
    scanned += r.blocks.size();
    if (next >= r.log_length) return std::optional<icrc1::Uint128>();
  }
  // Not at the log's end: absence is not proven.
  return Err(FailedPrecondition("scanned " + std::to_string(scanned) + " blocks from " + codec::Uint128ToString(from) +
                                " without reaching the log's end"));
}

}  // namespace sela::chain
