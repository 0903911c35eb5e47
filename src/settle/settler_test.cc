// The settlement journal's store operations (store.h, settlement_types.h)
// on the SQLite backend, and the mapping between store and chain records.
#include <gtest/gtest.h>

#include "settle/settle_test_util.h"

namespace sela::settle::testing {
namespace {

using store::SettlementRecord;
using store::SettlementState;

class JournalTest : public SettleTest {
 protected:
  Result<store::SettlementBatchResult> Create(const std::string& run, uint32_t limit, std::string after = "") {
    return Sync<store::SettlementBatchResult>([&](auto cb) {
      store_->CreateSettlements({.run_id = run, .after_principal = after, .now_ms = clock.WallMs(), .limit = limit},
                                std::move(cb));
    });
  }
  std::vector<SettlementRecord> Due(uint32_t limit = 100) {
    return Sync<std::vector<SettlementRecord>>(
               [&](auto cb) { store_->ListDueSettlements(clock.WallMs(), limit, std::move(cb)); })
        .value();
  }
  Result<SettlementRecord> Update(const SettlementRecord& r) {
    return Sync<SettlementRecord>([&](auto cb) { store_->UpdateSettlement(r, std::move(cb)); });
  }
  store::SettledTotal Total(const std::string& p) {
    return Sync<store::SettledTotal>([&](auto cb) { store_->GetSettledTotal(p, std::move(cb)); }).value();
  }
};

// Each saved outcome sends the next due settlement: one Tick settles a whole
// run with in_flight_max outstanding, instead of in_flight_max per Tick
// (once a second in the server).
TEST_F(JournalTest, OneTickSettlesAWholeRunAsOutcomesFreeSlots) {
  std::vector<std::string> nodes;
  for (uint32_t i = 0; i < 9; ++i) nodes.push_back(NodePrincipal(i));
  Earn(nodes, 100, "pace");
  int sent = 0;
  SettlerOptions options = Enabled();
  options.in_flight_max = 2;
  MakeSettler(options, [&](const chain::icrc1::TransferArg&, TransferDone done) {
    chain::TransferOutcome applied;
    applied.kind = chain::TransferOutcome::Kind::kApplied;
    applied.block_index = sent++;
    posts_.AsPostFn()([done = std::move(done), applied] { done(applied); });
  });
  ASSERT_TRUE(Run().has_value());
  settler_->Tick();
  for (int i = 0; i < 2000 && settler_->in_flight() + Open(Summary()) > 0; ++i) {
    if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(sent, 9);
  EXPECT_EQ(Summary().count_by_state[static_cast<size_t>(SettlementState::kConfirmed)], 9);
}

TEST_F(JournalTest, ARunCoversEachUnsettledAmountOnceInSteps) {
  const std::string a = NodePrincipal(1), b = NodePrincipal(2), c = NodePrincipal(3);
  Earn({a, b, c}, 100, "one");
  auto first = Create("run1", 2).value();
  EXPECT_EQ(first.created, 2);
  EXPECT_TRUE(first.more);
  auto second = Create("run1", 2, first.last_principal).value();
  EXPECT_EQ(second.created, 1);
  EXPECT_FALSE(second.more);
  EXPECT_EQ(first.units + second.units, 100 + 101 + 102);
  // Nothing is unsettled now: the same or another run creates nothing.
  EXPECT_EQ(Create("run1", 10)->created, 0);
  EXPECT_EQ(Create("run2", 10)->created, 0);
  // Earned since: only the difference, in a new run.
  Earn({b}, 40, "two");
  auto third = Create("run3", 10).value();
  EXPECT_EQ(third.created, 1);
  EXPECT_EQ(third.units, 40);
  EXPECT_EQ(Total(b).committed_units, 101 + 40);
  EXPECT_EQ(Total(b).settled_units, 0);
  const auto due = Due();
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(due[0].version, 1);
  EXPECT_EQ(due[0].created_at_ns, due[0].created_ms * 1'000'000);
  EXPECT_EQ(due[0].block_index, -1);
}

TEST_F(JournalTest, UpdatesCompareVersionsKeepFixedFieldsAndConfirmOnce) {
  const std::string a = NodePrincipal(1);
  Earn({a}, 500, "one");
  ASSERT_TRUE(Create("r", 10).has_value());
  SettlementRecord s = Due().at(0);
  SettlementRecord sent = s;
  sent.state = SettlementState::kSent;
  sent.attempts = 1;
  sent.next_attempt_ms = clock.WallMs() + 1'000;
  auto stored = Update(sent);
  ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
  EXPECT_EQ(stored->version, 2);
  EXPECT_TRUE(Due().empty()) << "sent waits for its back-off";
  // A stale writer (version 1) changes nothing.
  EXPECT_EQ(Update(sent).error().code(), Code::kFailedPrecondition);
  SettlementRecord moved = *stored;
  moved.amount_units += 1;
  EXPECT_EQ(Update(moved).error().code(), Code::kInvalidArgument);
  SettlementRecord no_block = *stored;
  no_block.state = SettlementState::kConfirmed;
  EXPECT_EQ(Update(no_block).error().code(), Code::kInvalidArgument);
  SettlementRecord confirmed = *stored;
  confirmed.state = SettlementState::kConfirmed;
  confirmed.block_index = 7;
  confirmed.confirmed_ms = clock.WallMs();
  ASSERT_TRUE(Update(confirmed).has_value());
  EXPECT_EQ(Total(a).settled_units, 500);
  // Confirmed is final.
  SettlementRecord again = confirmed;
  again.version = 3;
  EXPECT_EQ(Update(again).error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Total(a).settled_units, 500);
  SettlementRecord missing = confirmed;
  missing.id = "r/" + NodePrincipal(9);
  missing.principal = NodePrincipal(9);
  EXPECT_EQ(Update(missing).error().code(), Code::kNotFound);
}

TEST_F(JournalTest, BadInputIsRefusedAndChangesNothing) {
  Earn({NodePrincipal(1)}, 5, "one");
  EXPECT_EQ(Create("a/b", 10).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Create("", 10).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Create("ok", 0).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Create(std::string(65, 'r'), 10).error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Due().empty());
  const auto summary = Summary();
  for (int64_t c : summary.count_by_state) EXPECT_EQ(c, 0);
}

TEST_F(JournalTest, SummaryCountsStatesUnitsFailuresAndLag) {
  Earn({NodePrincipal(1), NodePrincipal(2)}, 10, "one");
  ASSERT_TRUE(Create("r", 10).has_value());
  SettlementRecord f = Due().at(0);
  f.state = SettlementState::kFailed;
  f.failure = "BadFee";
  f.failure_kind = "BadFee";
  ASSERT_TRUE(Update(f).has_value());
  const auto s = Summary();
  EXPECT_EQ(s.count_by_state[0], 1);
  EXPECT_EQ(s.count_by_state[3], 1);
  EXPECT_EQ(s.units_by_state[0] + s.units_by_state[3], 21);
  ASSERT_EQ(s.failed_by_kind.size(), 1u);
  EXPECT_EQ(s.failed_by_kind[0], std::make_pair(std::string("BadFee"), int64_t{1}));
  EXPECT_EQ(s.oldest_open_created_ms, clock.WallMs());
}

TEST(SettlementMapping, FailureKindsAreShortCodes) {
  chain::Settlement s;
  s.state = chain::Settlement::State::kFailed;
  s.failure = "TooOld: the ledger's window passed; reconcile";
  EXPECT_EQ(FailureKind(s), "TooOld");
  s.failure = "rejected SYS_FATAL: no";
  EXPECT_EQ(FailureKind(s), "rejected_SYS_FATAL");
  s.failure = "outcome unknown near the end of the deduplication window (x): reconcile";
  EXPECT_EQ(FailureKind(s), "window_passed");
  s.state = chain::Settlement::State::kSent;
  EXPECT_EQ(FailureKind(s), "");
}

}  // namespace
}  // namespace sela::settle::testing
