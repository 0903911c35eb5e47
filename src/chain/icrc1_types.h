// ICRC-1 and ICRC-3 types as Candid (dfinity/ICRC-1 standards; reference
// ic/PROTOCOL-NOTES.md §5.3-5.4, §6): encoders for what we send, decoders for
// what the ledger answers (which read fields by id, so a ledger with extra
// fields or error cases still decodes), and the reverse directions for the
// project's fake ledger.
//
// Amounts and block indexes are Candid `nat`: 128 bits here; the ledger's
// own limit is lower.
//
// Thread-safety: free functions on values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/candid.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain::icrc1 {

using candid::Uint128;

inline constexpr size_t kSubaccountBytes = 32;

struct Account {
  codec::Principal owner;
  std::optional<std::string> subaccount;  // 32 bytes when present.
  friend bool operator==(const Account&, const Account&) = default;
};

struct TransferArg {
  Account to;
  std::optional<Uint128> fee;
  std::optional<std::string> memo;
  std::optional<std::string> from_subaccount;
  std::optional<uint64_t> created_at_time;  // ns since the epoch; enables deduplication.
  Uint128 amount = 0;
  friend bool operator==(const TransferArg&, const TransferArg&) = default;
};

struct TransferError {
  enum class Kind : uint8_t {
    kGenericError, kTemporarilyUnavailable, kBadBurn, kDuplicate, kBadFee, kCreatedInFuture, kTooOld,
    kInsufficientFunds,
    kUnknown,  // A case this version does not know (a newer ledger).
  };
  Kind kind = Kind::kUnknown;
  // duplicate_of, expected_fee, min_burn_amount, balance or error_code.
  Uint128 number = 0;
  uint64_t ledger_time_ns = 0;  // kCreatedInFuture.
  std::string message;          // kGenericError.
  uint32_t unknown_case = 0;    // kUnknown: the case's field id.
  friend bool operator==(const TransferError&, const TransferError&) = default;
};
std::string_view KindName(TransferError::Kind kind);

struct TransferResult {
  bool ok = false;
  Uint128 block_index = 0;  // When ok.
  TransferError error;      // When not.
};

std::string EncodeTransferArg(const TransferArg& arg);
Result<TransferArg> DecodeTransferArg(std::string_view candid);
std::string EncodeTransferResult(const TransferResult& result);
Result<TransferResult> DecodeTransferResult(std::string_view candid);

std::string EncodeAccount(const Account& account);  // icrc1_balance_of's argument.
Result<Account> DecodeAccount(std::string_view candid);
std::string EncodeNat(Uint128 value);  // icrc1_balance_of, icrc1_fee replies.
Result<Uint128> DecodeNat(std::string_view candid);
std::string EncodeEmptyArgs();
std::string EncodeOptAccount(const std::optional<Account>& account);  // icrc1_minting_account
Result<std::optional<Account>> DecodeOptAccount(std::string_view candid);

struct Standard {
  std::string name;
  std::string url;
};
std::string EncodeStandards(const std::vector<Standard>& standards);
Result<std::vector<Standard>> DecodeStandards(std::string_view candid);

// ICRC-3.
struct BlockRange {
  Uint128 start = 0;
  Uint128 length = 0;
};
struct Block {
  Uint128 id = 0;
  candid::Value block;  // ICRC-3 Value: Blob | Text | Nat | Int | Array | Map.
};
struct ArchivedBlocks {
  std::vector<BlockRange> args;
  codec::Principal callback_canister;
  std::string callback_method;
};
struct GetBlocksResult {
  Uint128 log_length = 0;
  std::vector<Block> blocks;
  std::vector<ArchivedBlocks> archived_blocks;
};
std::string EncodeGetBlocksArgs(const std::vector<BlockRange>& ranges);
Result<std::vector<BlockRange>> DecodeGetBlocksArgs(std::string_view candid);
Result<std::string> EncodeGetBlocksResult(const GetBlocksResult& result);
Result<GetBlocksResult> DecodeGetBlocksResult(std::string_view candid);

// A mint as ICRC-3 records it (btype "1mint" or tx.op "mint").
struct Mint {
  Account to;
  Uint128 amount = 0;
  std::optional<std::string> memo;
  std::optional<uint64_t> created_at_time;  // tx.ts
  uint64_t timestamp_ns = 0;                // ts: ledger time
};
// nullopt when the block is not a mint; InvalidArgument when it is
// malformed.
Result<std::optional<Mint>> MintOfBlock(const candid::Value& block);
// Any block's ledger time (its top-level `ts`, ns): blocks are in time
// order, which bounds a search by time. InvalidArgument without one.
Result<uint64_t> BlockTimestamp(const candid::Value& block);
// The ICRC-3 Value of a mint block (the fake ledger's log).
candid::Value MintBlockValue(const Mint& mint, const std::string& parent_hash);

}  // namespace sela::chain::icrc1
