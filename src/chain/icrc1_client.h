// Icrc1Client: the ICRC-1 ledger as the settlement step needs it
// (docs/CHAIN.md, "Settlement"): transfers (mints from the minting account)
// with created_at_time and memo, balances, the ledger's settings, and the
// ICRC-3 block log for reconciliation.
//
// Blocking (runs on the Executor). Errors are the Agent's: any error means
// the outcome is unknown and the transfer may have been applied; resend
// the same TransferArg (same created_at_time and memo) and the ledger
// answers Duplicate{duplicate_of} if it was.
//
// Thread-safety: as Agent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/agent.h"
#include "chain/block_search.h"
#include "chain/icrc1_types.h"

namespace sela::chain {

struct TransferOutcome {
  enum class Kind : uint8_t {
    kApplied,      // Ok(block_index), or Duplicate{duplicate_of = block_index}: on the ledger.
    kLedgerError,  // The ledger refused it (error); nothing was applied.
    kRejected,     // The call was rejected (reject); nothing was applied.
  };
  Kind kind = Kind::kRejected;
  icrc1::Uint128 block_index = 0;
  bool duplicate = false;  // kApplied through Duplicate: an earlier send was applied.
  icrc1::TransferError error;
  Reject reject;
};

class Icrc1Client {
 public:
  Icrc1Client(Agent& agent, codec::Principal ledger) : agent_(agent), ledger_(ledger) {}

  Result<TransferOutcome> Transfer(const icrc1::TransferArg& arg);
  Result<icrc1::Uint128> BalanceOf(const icrc1::Account& account);
  Result<icrc1::Uint128> Fee();
  Result<std::optional<icrc1::Account>> MintingAccount();
  Result<std::vector<icrc1::Standard>> SupportedStandards();
  Result<icrc1::GetBlocksResult> GetBlocks(const std::vector<icrc1::BlockRange>& ranges);
  // The same query to another canister: an archive's callback (method as
  // the ledger named it), verified as any query (node signatures under keys
  // certified for that canister's subnet).
  Result<icrc1::GetBlocksResult> GetBlocksFrom(const codec::Principal& canister, std::string_view method,
                                               const std::vector<icrc1::BlockRange>& ranges);

  // Checks that our identity is the minting account (so transfers are
  // mints) and that the ledger speaks ICRC-1; FailedPrecondition otherwise.
  Status CheckMinter();

  // Reconciliation (chain/block_search.h): the index of the mint matching
  // arg (to, amount, memo, created_at_time) among the blocks whose ledger
  // time is inside arg's window, found by a binary search on block times
  // and a forward scan, following archive callbacks; nullopt when the
  // window holds none. An error whenever absence is not proven.
  Result<std::optional<icrc1::Uint128>> FindMint(const icrc1::TransferArg& arg, const MintSearchOptions& options,
                                                 MintSearchStats* stats = nullptr);

  const codec::Principal& ledger() const { return ledger_; }

 private:
  Result<std::string> QueryReply(std::string_view method, std::string arg);
  Result<std::string> QueryReplyFrom(const codec::Principal& canister, std::string_view method, std::string arg);

  Agent& agent_;
  const codec::Principal ledger_;
};

}  // namespace sela::chain
