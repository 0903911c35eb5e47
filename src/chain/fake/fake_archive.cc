// The fake ledger's block log as ICRC-3 serves it, and its archive canister
// (fake_archive.h).
#include "chain/fake/fake_archive.h"

#include <algorithm>

#include "chain/fake/fake_canisters.h"

namespace sela::chain::fake {
namespace {

constexpr size_t kLedgerBlocksPerReplyMax = 2000;  // As ledgers cap it.

}  // namespace

FakeArchive::FakeArchive(ArchiveSettings settings) : settings_(std::move(settings)) {
  if (settings_.canister_id.bytes().empty()) {
    settings_.canister_id = codec::Principal::FromText("qnysa-oaaaa-aaaam-aeoza-cai").value();
  }
}

icrc1::GetBlocksResult FakeArchive::GetBlocks(const std::vector<icrc1::BlockRange>& ranges) const {
  icrc1::GetBlocksResult out;
  out.log_length = blocks_.size();
  for (const icrc1::BlockRange& range : ranges) {
    for (icrc1::Uint128 i = range.start; i < range.start + range.length && i < blocks_.size(); ++i) {
      if (out.blocks.size() >= settings_.blocks_per_reply_max) return out;
      out.blocks.push_back({i, blocks_[static_cast<size_t>(i)]});
    }
  }
  return out;
}

void FakeArchive::InjectFault(ArchiveFault fault, int times) {
  fault_ = fault;
  fault_times_ = times;
}

ArchiveAnswer FakeArchive::Query(std::string_view method, std::string_view arg) {
  ++queries_;
  ArchiveAnswer a;
  if (fault_times_ != 0) {
    if (fault_times_ > 0) --fault_times_;
    if (fault_ == ArchiveFault::kTrap) {
      a.reject_code = 5;
      a.reject_message = "Canister trapped: injected archive fault";
      return a;
    }
    a.sign = false;
  }
  if (method != settings_.method) {
    a.reject_code = 3;
    a.reject_message = "Archive has no query method '" + std::string(method) + "'";
    return a;
  }
  const Result<std::vector<icrc1::BlockRange>> ranges = icrc1::DecodeGetBlocksArgs(arg);
  const Result<std::string> reply =
      ranges.has_value() ? icrc1::EncodeGetBlocksResult(GetBlocks(*ranges)) : Result<std::string>(Err(ranges.error()));
  if (!reply.has_value()) {
    a.reject_code = 5;
    a.reject_message = "Candid decode failed";
    return a;
  }
  a.replied = true;
  a.reply = *reply;
  return a;
}

void FakeLedger::MaybeArchive() {
  const ArchiveSettings& a = archive_.settings();
  if (a.trigger_blocks == 0 || log_.size() <= a.trigger_blocks) return;
  const size_t n = std::min(std::max<size_t>(a.blocks_to_archive, 1), log_.size());
  for (size_t i = 0; i < n; ++i) archive_.Append(std::move(log_[i]));
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(n));
  local_start_ += n;
}

icrc1::GetBlocksResult FakeLedger::GetBlocks(const std::vector<icrc1::BlockRange>& ranges) const {
  icrc1::GetBlocksResult out;
  const icrc1::Uint128 length = blocks();
  out.log_length = length;
  for (const icrc1::BlockRange& range : ranges) {
    const icrc1::Uint128 end = std::min<icrc1::Uint128>(range.start + range.length, length);
    if (range.start < local_start_ && range.start < end) {
      const icrc1::Uint128 archived_end = std::min<icrc1::Uint128>(end, local_start_);
      out.archived_blocks.push_back(
          {{{range.start, archived_end - range.start}}, archive_.id(), archive_.settings().method});
    }
    for (icrc1::Uint128 i = std::max<icrc1::Uint128>(range.start, local_start_); i < end; ++i) {
      if (out.blocks.size() >= kLedgerBlocksPerReplyMax) return out;
      out.blocks.push_back({i, log_[static_cast<size_t>(i - local_start_)]});
    }
  }
  return out;
}

std::optional<ArchiveAnswer> FakeLedger::ArchiveQuery(const codec::Principal& canister, std::string_view method,
                                                      std::string_view arg) {
  if (canister != archive_.id()) return std::nullopt;
  return archive_.Query(method, arg);
}

}  // namespace sela::chain::fake
