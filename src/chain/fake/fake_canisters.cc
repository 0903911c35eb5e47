#include "chain/fake/fake_canisters.h"

#include "chain/sha256.h"

namespace sela::chain::fake {

FakeLedger::Key FakeLedger::KeyOf(const icrc1::Account& a) {
  return {std::string(a.owner.bytes()), a.subaccount};
}

icrc1::TransferResult FakeLedger::Transfer(const codec::Principal& caller, const icrc1::TransferArg& arg,
                                           uint64_t now_ns) {
  using K = icrc1::TransferError::Kind;
  icrc1::TransferResult r;
  auto fail = [&r](K kind, icrc1::Uint128 number = 0) {
    r.ok = false;
    r.error.kind = kind;
    r.error.number = number;
    return r;
  };
  if (arg.memo && arg.memo->size() > settings_.memo_bytes_max) {
    r.error.message = "memo longer than " + std::to_string(settings_.memo_bytes_max) + " bytes";
    return fail(K::kGenericError, 1);
  }
  std::string dedup_key;
  if (arg.created_at_time) {
    const uint64_t t = *arg.created_at_time;
    if (t + settings_.tx_window_ns + settings_.permitted_drift_ns < now_ns) return fail(K::kTooOld);
    if (t > now_ns + settings_.permitted_drift_ns) {
      r = fail(K::kCreatedInFuture);
      r.error.ledger_time_ns = now_ns;
      return r;
    }
    dedup_key = std::string(caller.bytes()) + icrc1::EncodeTransferArg(arg);
    if (const auto it = dedup_.find(dedup_key); it != dedup_.end()) return fail(K::kDuplicate, it->second);
  }
  const icrc1::Account from{caller, arg.from_subaccount};
  if (from != settings_.minting_account) {
    r.error.message = "only mints are simulated";
    return fail(K::kGenericError, 2);
  }
  if (arg.fee && *arg.fee != 0) return fail(K::kBadFee, 0);  // Mints have no fee.
  balances_[KeyOf(arg.to)] += arg.amount;
  total_supply_ += arg.amount;
  mints_.push_back(icrc1::Mint{arg.to, arg.amount, arg.memo, arg.created_at_time, now_ns});
  const icrc1::Uint128 index = mints_.size() - 1;
  if (!dedup_key.empty()) dedup_.emplace(std::move(dedup_key), index);
  r.ok = true;
  r.block_index = index;
  return r;
}

icrc1::Uint128 FakeLedger::BalanceOf(const icrc1::Account& account) const {
  const auto it = balances_.find(KeyOf(account));
  return it == balances_.end() ? 0 : it->second;
}

icrc1::GetBlocksResult FakeLedger::GetBlocks(const std::vector<icrc1::BlockRange>& ranges) const {
  icrc1::GetBlocksResult out;
  out.log_length = mints_.size();
  constexpr size_t kBlocksMax = 2000;  // Per reply, as ledgers cap it.
  for (const icrc1::BlockRange& range : ranges) {
    for (icrc1::Uint128 i = range.start; i < range.start + range.length && i < mints_.size(); ++i) {
      if (out.blocks.size() >= kBlocksMax) return out;
      const auto at = static_cast<size_t>(i);
      const std::string parent = at == 0 ? std::string() : Sha256(std::to_string(at - 1));
      out.blocks.push_back({i, icrc1::MintBlockValue(mints_[at], parent)});
    }
  }
  return out;
}

files::StoreFileResult FakeFileCanister::StoreFile(const files::StoreFileArgs& args) {
  ++store_calls_;
  content_bytes_ += args.content.size();
  files_[args.file_key] = args;
  return {args.file_key, true};
}

files::GetFileResult FakeFileCanister::GetFile(const std::string& key) const {
  const auto it = files_.find(key);
  if (it == files_.end()) return {};
  return {it->second.content, it->second.metadata, true};
}

bool FakeFileCanister::Corrupt(const std::string& key) {
  const auto it = files_.find(key);
  if (it == files_.end() || it->second.content.empty()) return false;
  char& c = it->second.content[0];
  c = c == 'A' ? 'B' : 'A';
  return true;
}

}  // namespace sela::chain::fake
