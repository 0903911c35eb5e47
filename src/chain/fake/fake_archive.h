// The fake ledger's ICRC-3 archive (fake_canisters.h): as the DFINITY ledger
// does, once the ledger holds more than `trigger_blocks` blocks its oldest
// `blocks_to_archive` move to an archive canister, and icrc3_get_blocks
// answers ranges below what the ledger still holds with an archived_blocks
// callback naming that canister and its query method. The archive answers
// those ranges (at most blocks_per_reply_max blocks per answer, as real
// archives cap them). For tests it can trap or answer unsigned on purpose.
//
// Thread-safety: not thread-safe; FakeIc serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/icrc1_types.h"
#include "codec/principal.h"

namespace sela::chain::fake {

struct ArchiveSettings {
  // Default qnysa-oaaaa-aaaam-aeoza-cai: inside the fake subnet's certified
  // ranges (between the file canister's id and the ledger's). A canister
  // outside them is refused by the agent, as a real archive on a subnet
  // whose certificate does not list it would be.
  codec::Principal canister_id;
  std::string method = "icrc3_get_blocks";
  size_t trigger_blocks = 0;       // 0: nothing is ever archived.
  size_t blocks_to_archive = 1000;
  size_t blocks_per_reply_max = 2000;
};

// A query's answer as FakeIc sends it.
struct ArchiveAnswer {
  bool replied = false;
  std::string reply;  // Candid.
  uint64_t reject_code = 0;
  std::string reject_message;
  bool sign = true;  // False: no node signature (the agent must refuse it).
};

enum class ArchiveFault : uint8_t { kTrap, kUnsigned };

class FakeArchive {
 public:
  explicit FakeArchive(ArchiveSettings settings);

  const codec::Principal& id() const { return settings_.canister_id; }
  const ArchiveSettings& settings() const { return settings_; }
  // Blocks are appended in order from block 0 on.
  void Append(candid::Value block) { blocks_.push_back(std::move(block)); }
  size_t blocks() const { return blocks_.size(); }
  icrc1::GetBlocksResult GetBlocks(const std::vector<icrc1::BlockRange>& ranges) const;
  // The next `times` queries (times < 0: all until cleared) get the fault.
  void InjectFault(ArchiveFault fault, int times = 1);
  void ClearFaults() { fault_times_ = 0; }
  uint64_t queries() const { return queries_; }
  // The answer to a query `method(arg)` to this canister.
  ArchiveAnswer Query(std::string_view method, std::string_view arg);

 private:
  ArchiveSettings settings_;
  std::vector<candid::Value> blocks_;
  ArchiveFault fault_ = ArchiveFault::kTrap;
  int fault_times_ = 0;
  uint64_t queries_ = 0;
};

}  // namespace sela::chain::fake
