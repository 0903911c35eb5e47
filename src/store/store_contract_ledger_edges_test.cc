// The ledger's arithmetic at its edges (ledger.h): amounts, totals, caps
// and times beyond 2^53, where a double (Redis's Lua numbers) is no longer
// exact, and totals that reach INT64_MAX exactly or pass it by one unit.
#include <limits>

#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

using Window = TransferCap::Window;

constexpr int64_t kTwo53 = int64_t{1} << 53;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

TEST_P(LedgerContractTest, UnitsBeyondTwoToThe53AreAddedExactly) {
  const auto applied = Apply({MakeTransfer("big:1", "alice", kTwo53 + 1), MakeTransfer("big:2", "alice", 1),
                              MakeTransfer("big:3", "alice", kTransferUnitsMax - 1),
                              MakeTransfer("big:4", "bob", kTransferUnitsMax - 3, RewardKind::kJob)});
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  EXPECT_EQ((*applied)[0].credited_units, kTwo53 + 1);
  EXPECT_EQ((*applied)[2].credited_units, kTransferUnitsMax - 1);
  EXPECT_EQ(BalanceOf("alice"), kTwo53 + 2 + kTransferUnitsMax - 1);
  EXPECT_EQ(BalanceOf("bob"), kTransferUnitsMax - 3);
  const auto account = Account("alice");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->credited_by_kind[static_cast<size_t>(RewardKind::kAdmin)], kTwo53 + 2 + kTransferUnitsMax - 1);
  const auto recorded = FindTransfer("big:1");
  ASSERT_TRUE(recorded.has_value() && recorded->has_value());
  EXPECT_EQ((*recorded)->transfer.amount_units, kTwo53 + 1);
  const auto repeat = Apply({MakeTransfer("big:1", "alice", kTwo53 + 1)});
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ((*repeat)[0].outcome, TransferOutcome::kRepeat);
  EXPECT_EQ((*repeat)[0].credited_units, kTwo53 + 1);
  // One unit off is another body, however large the amounts.
  const auto other = Apply({MakeTransfer("big:1", "alice", kTwo53)});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), Code::kConflict);
  const auto audit = Audit();
  ASSERT_TRUE(audit.has_value()) << audit.error().ToString();
  EXPECT_TRUE(audit->balanced());
  EXPECT_EQ(audit->issued_units, kTwo53 + 2 + kTransferUnitsMax - 1 + kTransferUnitsMax - 3);
  EXPECT_EQ(audit->issued_by_kind[static_cast<size_t>(RewardKind::kJob)], kTransferUnitsMax - 3);
}

TEST_P(LedgerContractTest, ABalanceMayReachInt64MaxButNotPassItByOneUnit) {
  std::vector<Transfer> fill;
  int64_t left = kInt64Max;
  for (int i = 0; left > 0; ++i) {
    const int64_t amount = std::min(left, kTransferUnitsMax);
    fill.push_back(MakeTransfer("fill:" + std::to_string(i), "whale", amount));
    left -= amount;
  }
  ASSERT_TRUE(Apply(fill).has_value());
  EXPECT_EQ(BalanceOf("whale"), kInt64Max);
  // One unit more, after a transfer to someone else in the same call.
  const auto refused =
      Apply({MakeTransfer("other:1", "minnow", 5, RewardKind::kJob), MakeTransfer("over:1", "whale", 1)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted) << refused.error().ToString();
  EXPECT_EQ(BalanceOf("whale"), kInt64Max);
  EXPECT_EQ(BalanceOf("minnow"), 0) << "nothing of the refused call is applied";
  const auto missing = FindTransfer("other:1");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  ExpectBalanced(static_cast<int64_t>(fill.size()));
}

TEST_P(LedgerContractTest, ACapBeyondTwoToThe53LeavesExactlyItsRoom) {
  const uint32_t jobs = KindBit(RewardKind::kJob);
  auto job = [&](const std::string& id, int64_t amount) {
    return Capped(MakeTransfer(id, "node", amount, RewardKind::kJob), Window::kDay, jobs, kTwo53 + 3);
  };
  const auto applied = Apply({job("job:1", kTwo53 + 1), job("job:2", 5), job("job:3", 1)});
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  EXPECT_EQ((*applied)[0].credited_units, kTwo53 + 1);
  EXPECT_EQ((*applied)[1].credited_units, 2) << "2^53 + 3 - (2^53 + 1)";
  EXPECT_EQ((*applied)[2].credited_units, 0);
  const auto unlimited = Apply({Capped(MakeTransfer("job:4", "node", kTransferUnitsMax, RewardKind::kJob),
                                       Window::kMonth, jobs, kInt64Max)});
  ASSERT_TRUE(unlimited.has_value());
  EXPECT_EQ((*unlimited)[0].credited_units, kTransferUnitsMax);
  EXPECT_EQ(BalanceOf("node"), kTwo53 + 3 + kTransferUnitsMax);
  ExpectBalanced(4);
}

TEST_P(LedgerContractTest, TimesBeyondTwoToThe53AreKeptExactly) {
  const int64_t t = kTwo53 + 1;
  ASSERT_TRUE(Start(MakeRunStart("dist_1", "p", t)).has_value());
  Transfer late = MakeTransfer("t:1", "alice", kSp);
  late.created_ms = t + 2;
  late.run_id = "dist_1";
  ASSERT_TRUE(Apply({late}, "p").has_value());
  const auto run = Run("dist_1");
  ASSERT_TRUE(run.has_value() && run->has_value());
  EXPECT_EQ((*run)->started_ms, t);
  EXPECT_EQ((*run)->heartbeat_ms, t + 2);
  const auto account = Account("alice");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->updated_ms, t + 2);
  // Stale exactly at heartbeat + stale_after, not one ms before.
  const auto busy = Start(MakeRunStart("dist_2", "q", t + 2 + 999, 1000));
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->outcome, RunStartOutcome::kBusy);
  const auto taken = Start(MakeRunStart("dist_2", "q", t + 2 + 1000, 1000));
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->outcome, RunStartOutcome::kResumed);
  EXPECT_EQ(taken->run.heartbeat_ms, t + 2 + 1000);
}

}  // namespace
}  // namespace sela::store::testing
