// FindMintIn (block_search.h) over the fake ledger and its archive in
// memory: found in the archive or the ledger, absent only after a complete
// scan, every failure an error, and a long log searched only in the
// transfer's time window.
#include "chain/block_search.h"

#include <gtest/gtest.h>

#include "chain/fake/fake_canisters.h"

namespace sela::chain {
namespace {

using icrc1::Uint128;
constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kT0 = 1'764'100'000ULL * kSecond;

codec::Principal Owner(uint8_t n) {
  return codec::Principal::FromBytes(std::string(28, static_cast<char>(n)) + "\x02").value();
}

// The fake ledger as the agent would serve it: archive answers through the
// archive canister's query (its faults included).
class LedgerBlocks : public BlockSource {
 public:
  explicit LedgerBlocks(fake::FakeLedger& ledger) : ledger_(ledger) {}
  Result<icrc1::GetBlocksResult> Ledger(const std::vector<icrc1::BlockRange>& ranges) override {
    return ledger_.GetBlocks(ranges);
  }
  Result<icrc1::GetBlocksResult> Archive(const codec::Principal& canister, const std::string& method,
                                         const std::vector<icrc1::BlockRange>& ranges) override {
    std::optional<fake::ArchiveAnswer> a = ledger_.ArchiveQuery(canister, method, icrc1::EncodeGetBlocksArgs(ranges));
    if (!a) return Err(FailedPrecondition("no such canister"));
    if (!a->sign) return Err(Unauthenticated("missing signature"));
    if (!a->replied) return Err(FailedPrecondition("rejected: " + a->reject_message));
    return icrc1::DecodeGetBlocksResult(a->reply);
  }

 private:
  fake::FakeLedger& ledger_;
};

class BlockSearchTest : public ::testing::Test {
 protected:
  void Make(size_t trigger, size_t to_archive, size_t archive_reply_max = 2000) {
    fake::LedgerSettings s;
    s.minting_account.owner = Owner(1);
    s.archive.trigger_blocks = trigger;
    s.archive.blocks_to_archive = to_archive;
    s.archive.blocks_per_reply_max = archive_reply_max;
    ledger_ = std::make_unique<fake::FakeLedger>(s);
    source_ = std::make_unique<LedgerBlocks>(*ledger_);
  }
  // n filler mints (no created_at_time) to someone else, one every step_ns
  // from `now_`.
  void Fill(size_t n, uint64_t step_ns) {
    icrc1::TransferArg filler;
    filler.to = {Owner(9), std::nullopt};
    filler.amount = 1;
    for (size_t i = 0; i < n; ++i, now_ += step_ns) {
      ASSERT_TRUE(ledger_->Transfer(Owner(1), filler, now_).ok);
    }
  }
  icrc1::TransferArg Arg(std::string memo, uint64_t created) {
    icrc1::TransferArg arg;
    arg.to = {Owner(2), std::nullopt};
    arg.amount = 7;
    arg.memo = std::move(memo);
    arg.created_at_time = created;
    return arg;
  }
  // Applies `arg` at ledger time `at` (also the clock for what follows).
  Uint128 Apply(const icrc1::TransferArg& arg, uint64_t at) {
    now_ = at;
    const icrc1::TransferResult r = ledger_->Transfer(Owner(1), arg, at);
    EXPECT_TRUE(r.ok) << icrc1::KindName(r.error.kind);
    now_ += kSecond;
    return r.block_index;
  }
  Result<std::optional<Uint128>> Find(const icrc1::TransferArg& arg, MintSearchOptions o = {}) {
    return FindMintIn(*source_, arg, o, &stats_);
  }

  std::unique_ptr<fake::FakeLedger> ledger_;
  std::unique_ptr<LedgerBlocks> source_;
  MintSearchStats stats_;
  uint64_t now_ = kT0;
};

TEST_F(BlockSearchTest, FoundInTheArchiveFoundInTheLedgerAbsentOtherwise) {
  Make(1000, 1000);
  Fill(1500, kSecond);
  const icrc1::TransferArg old = Arg("old", now_);
  const Uint128 old_at = Apply(old, now_);
  Fill(2500, kSecond);
  const icrc1::TransferArg recent = Arg("recent", now_);
  const Uint128 recent_at = Apply(recent, now_);
  Fill(10, kSecond);
  ASSERT_GT(ledger_->archive().blocks(), old_at);  // `old` has moved to the archive.
  ASSERT_GT(ledger_->archive().blocks(), 0u);

  EXPECT_TRUE(Find(old).value() == std::optional<Uint128>(old_at));
  EXPECT_GT(stats_.archive_pages, 0u);
  EXPECT_TRUE(Find(recent).value() == std::optional<Uint128>(recent_at));
  // Absent: same window, another memo; and the same memo at another time.
  EXPECT_FALSE(Find(Arg("never", old.created_at_time.value())).value().has_value());
  EXPECT_GT(stats_.archive_pages, 0u);
  icrc1::TransferArg other_time = old;
  *other_time.created_at_time += 1;
  EXPECT_FALSE(Find(other_time).value().has_value());
  EXPECT_EQ(Find(icrc1::TransferArg{}).error().code(), Code::kInvalidArgument);  // No created_at_time.
}

TEST_F(BlockSearchTest, AnArchiveThatFailsIsAnErrorNeverAbsent) {
  Make(100, 100);
  Fill(300, kSecond);
  const icrc1::TransferArg archived = Arg("x", now_);
  Apply(archived, now_);
  Fill(300, kSecond);
  const icrc1::TransferArg absent = Arg("y", archived.created_at_time.value());
  for (const fake::ArchiveFault fault : {fake::ArchiveFault::kTrap, fake::ArchiveFault::kUnsigned}) {
    ledger_->archive().InjectFault(fault, -1);
    for (const icrc1::TransferArg& arg : {archived, absent}) {
      const auto r = Find(arg);
      ASSERT_FALSE(r.has_value()) << "an archive that fails must not read as found or absent";
      EXPECT_NE(r.error().message().find("archive"), std::string::npos) << r.error().message();
    }
    ledger_->archive().ClearFaults();
  }
  EXPECT_TRUE(Find(archived).value().has_value());
  EXPECT_FALSE(Find(absent).value().has_value());
  // One failing answer is enough to refuse.
  ledger_->archive().InjectFault(fake::ArchiveFault::kTrap, 1);
  EXPECT_FALSE(Find(absent).has_value());
}

TEST_F(BlockSearchTest, ALongLogIsSearchedOnlyInsideTheTransfersWindow) {
  // 20,000 blocks over 4.6 days (one every 20 s), all but the last ~1,000
  // in the archive. The transfer was made on day 2.
  Make(2000, 1000, 700);  // The archive answers at most 700 blocks at a time.
  Fill(8'500, 20 * kSecond);
  const uint64_t created = now_;
  Fill(1'500, 20 * kSecond);  // Applied 8 h after created_at_time: still inside the window.
  const icrc1::TransferArg arg = Arg("day2", created);
  const Uint128 at = Apply(arg, now_);
  Fill(10'000, 20 * kSecond);
  ASSERT_EQ(ledger_->blocks(), 20'001u);

  ASSERT_TRUE(Find(arg).value() == std::optional<Uint128>(at));
  EXPECT_LE(stats_.probes, 16u);  // Binary search: ~log2(20,000).
  EXPECT_GE(stats_.first_candidate, 8'500u - 20);  // Starts at the window (drift + slack = 6 min = 18 blocks).
  EXPECT_LE(stats_.scanned, 1'550u);

  const auto none = Find(Arg("none", created));
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_FALSE(none->has_value());
  // The window is 24 h + 2 x (60 s + 5 min): ~4,357 blocks, plus the one past its end.
  EXPECT_GE(stats_.scanned, 4'300u);
  EXPECT_LE(stats_.scanned, 4'400u);
  // Probes (a ledger and an archive query each) and ~7 archive pages of
  // 700 blocks: from block 0 the scan alone would take ~38 queries.
  EXPECT_LE(stats_.pages, 48u) << stats_.probes << " probes";
}

TEST_F(BlockSearchTest, TheWindowsEdgesAreSearched) {
  // The ledger accepts created_at_time up to drift in its future and up to
  // window + drift in its past: blocks at both edges hold such transfers.
  Make(0, 0);
  Fill(100, 60 * kSecond);
  const MintSearchOptions tight{.slack_ns = 0};
  const uint64_t created = now_ + 3600 * kSecond;
  const icrc1::TransferArg early = Arg("early", created);
  Fill(60, 60 * kSecond);
  const Uint128 early_at = Apply(early, created - tight.drift_ns);
  Fill(1, 0);
  const icrc1::TransferArg late = Arg("late", created);
  Fill(24 * 60, 60 * kSecond);
  const Uint128 late_at = Apply(late, created + tight.window_ns + tight.drift_ns);
  Fill(100, 60 * kSecond);
  EXPECT_TRUE(Find(early, tight).value() == std::optional<Uint128>(early_at));
  EXPECT_TRUE(Find(late, tight).value() == std::optional<Uint128>(late_at));
}

TEST_F(BlockSearchTest, BoundsAndABrokenLogAreErrorsNotAbsent) {
  Make(0, 0);
  Fill(5'000, kSecond);
  const icrc1::TransferArg arg = Arg("z", kT0 + 100 * kSecond);
  EXPECT_FALSE(Find(arg).value().has_value());
  EXPECT_EQ(Find(arg, {.pages_max = 3}).error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Find(arg, {.blocks_max = 1000}).error().code(), Code::kFailedPrecondition);
  // A block older than the one before it: the time bound does not hold.
  now_ = kT0 + 50 * kSecond;
  Fill(1, kSecond);
  const auto r = Find(Arg("w", now_ - 10 * kSecond));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("not in time order"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace sela::chain
