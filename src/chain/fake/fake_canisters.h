// The canisters the fake IC endpoint simulates (fake_ic.h): an ICRC-1 ledger
// with ICRC-1 deduplication and an ICRC-3 block log, and the Motoko file
// canister. Pure state machines over Candid bytes; no I/O, no clock (the
// caller passes the IC's time).
//
// FakeLedger follows the DFINITY ICRC-1 ledger where reference
// ic/PROTOCOL-NOTES.md §6 records its rules: a transfer from the minting
// account is a mint (fee null or 0, else BadFee{0}); with created_at_time
// set, a transfer structurally equal to one already applied (same caller,
// same arguments) within the window answers Duplicate{duplicate_of};
// created_at_time older than window + drift is TooOld, later than now +
// drift is CreatedInFuture. Without created_at_time there is no
// deduplication at all, which is the double payment the original suffered.
//
// Thread-safety: not thread-safe; FakeIc serialises access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chain/file_types.h"
#include "chain/icrc1_types.h"
#include "codec/principal.h"

namespace sela::chain::fake {

struct LedgerSettings {
  icrc1::Account minting_account;
  icrc1::Uint128 transfer_fee = 10'000;
  uint64_t tx_window_ns = 24ULL * 3600 * 1'000'000'000;
  uint64_t permitted_drift_ns = 60ULL * 1'000'000'000;
  size_t memo_bytes_max = 32;
};

class FakeLedger {
 public:
  explicit FakeLedger(LedgerSettings settings) : settings_(std::move(settings)) {}

  icrc1::TransferResult Transfer(const codec::Principal& caller, const icrc1::TransferArg& arg, uint64_t now_ns);
  icrc1::Uint128 BalanceOf(const icrc1::Account& account) const;
  icrc1::GetBlocksResult GetBlocks(const std::vector<icrc1::BlockRange>& ranges) const;
  const LedgerSettings& settings() const { return settings_; }

  // For tests: every mint applied, in block order.
  const std::vector<icrc1::Mint>& mints() const { return mints_; }
  icrc1::Uint128 total_supply() const { return total_supply_; }
  size_t blocks() const { return mints_.size(); }

 private:
  using Key = std::pair<std::string, std::optional<std::string>>;  // Owner bytes, subaccount.
  static Key KeyOf(const icrc1::Account& a);

  LedgerSettings settings_;
  std::map<Key, icrc1::Uint128> balances_;
  std::map<std::string, icrc1::Uint128> dedup_;  // Caller + encoded arg -> block index.
  // The block log: every block is a mint, kept as its Mint (~200 bytes);
  // its ICRC-3 value is made when read (GetBlocks), not kept (~7 KiB as a
  // candid::Value tree).
  std::vector<icrc1::Mint> mints_;
  icrc1::Uint128 total_supply_ = 0;
};

// The Motoko can_file_storage canister as deployed: store_file overwrites,
// get_file on a miss answers success = false with empty fields.
// It keeps what it is given as text (Candid text is UTF-8, so binary bytes
// can only arrive encoded, which the client does). For tests it counts the
// stores and the content bytes it took, and can damage a stored value.
class FakeFileCanister {
 public:
  files::StoreFileResult StoreFile(const files::StoreFileArgs& args);
  files::GetFileResult GetFile(const std::string& key) const;
  size_t files() const { return files_.size(); }
  uint64_t store_calls() const { return store_calls_; }
  uint64_t content_bytes() const { return content_bytes_; }
  // Flips the content's first byte to another base64 letter; false when
  // the key holds nothing or nothing to flip.
  bool Corrupt(const std::string& key);
  bool Erase(const std::string& key) { return files_.erase(key) == 1; }

 private:
  std::map<std::string, files::StoreFileArgs> files_;
  uint64_t store_calls_ = 0;
  uint64_t content_bytes_ = 0;
};

}  // namespace sela::chain::fake
