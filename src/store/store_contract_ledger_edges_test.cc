// The ledger's arithmetic at its edges (ledger.h): totals, caps and times
// beyond 2^53, where a double (Redis's Lua numbers) is no longer exact, and
// a total that reaches INT64_MAX exactly or passes it by one.
#include <algorithm>
#include <limits>

#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

using Window = TransferCap::Window;

constexpr int64_t kTwo53 = int64_t{1} << 53;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Transfers of at most kTransferUnitsMax (10^15 < 2^53) each, adding up
// past 2^53.
std::vector<Transfer> Fill(const std::string& prefix, const std::string& principal, int64_t total,
                           RewardKind kind = RewardKind::kAdmin) {
  std::vector<Transfer> out;
  for (int i = 0; total > 0; ++i) {
    const int64_t amount = std::min(total, kTransferUnitsMax);
    out.push_back(MakeTransfer(prefix + std::to_string(i), principal, amount, kind));
    total -= amount;
  }
  return out;
}

TEST_P(LedgerContractTest, UnitsBeyondTwoToThe53AreAddedExactly) {
  const int64_t odd = 10 * kTransferUnitsMax + 1;  // No double holds it: they are 2 apart there.
  ASSERT_TRUE(Apply(Fill("a:", "alice", odd)).has_value());
  ASSERT_TRUE(Apply(Fill("b:", "bob", kTwo53 + 1, RewardKind::kJob)).has_value());
  EXPECT_EQ(BalanceOf("alice"), odd);
  EXPECT_EQ(BalanceOf("bob"), kTwo53 + 1);
  const auto account = Account("alice");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->credited_units, odd);
  EXPECT_EQ(account->credited_by_kind[static_cast<size_t>(RewardKind::kAdmin)], odd);
  const auto days = Earnings("bob", "2024-03-10", "2024-03-10");
  ASSERT_TRUE(days.has_value() && days->size() == 1u);
  EXPECT_EQ((*days)[0].units[static_cast<size_t>(RewardKind::kJob)], kTwo53 + 1);
  const auto audit = Audit();
  ASSERT_TRUE(audit.has_value()) << audit.error().ToString();
  EXPECT_TRUE(audit->balanced());
  EXPECT_EQ(audit->issued_units, odd + kTwo53 + 1);
  EXPECT_EQ(audit->issued_by_kind[static_cast<size_t>(RewardKind::kJob)], kTwo53 + 1);
  const auto balances = Balances("2024-03-10");
  ASSERT_TRUE(balances.has_value() && balances->size() == 2u);
  EXPECT_EQ((*balances)[0].day_units, odd);
}

TEST_P(LedgerContractTest, ATotalMayReachInt64MaxButNotPassItByOne) {
  // Paid uptime minutes are a total like any other (the account's and the
  // day's); they reach INT64_MAX with two transfers.
  Transfer most = MakeTransfer("u:1", "alice", kSp, RewardKind::kUptime);
  most.minutes = kInt64Max - 1;
  Transfer last = MakeTransfer("u:2", "alice", kSp, RewardKind::kUptime);
  last.minutes = 1;
  ASSERT_TRUE(Apply({most, last}).has_value());
  const auto account = Account("alice");
  ASSERT_TRUE(account.has_value()) << account.error().ToString();
  EXPECT_EQ(account->uptime_minutes, kInt64Max);
  Transfer over = MakeTransfer("u:3", "alice", kSp, RewardKind::kUptime);
  over.minutes = 1;
  // After a transfer to someone else in the same call.
  const auto refused = Apply({MakeTransfer("other:1", "minnow", 5, RewardKind::kJob), over});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted) << refused.error().ToString();
  EXPECT_EQ(BalanceOf("alice"), 2 * kSp);
  EXPECT_EQ(BalanceOf("minnow"), 0) << "nothing of the refused call is applied";
  const auto missing = FindTransfer("other:1");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  ExpectBalanced(2);
}

TEST_P(LedgerContractTest, ACapBeyondTwoToThe53LeavesExactlyItsRoom) {
  const uint32_t jobs = KindBit(RewardKind::kJob);
  std::vector<Transfer> capped;
  for (Transfer& t : Fill("job:", "node", kTwo53 + 1, RewardKind::kJob)) {
    capped.push_back(Capped(t, Window::kDay, jobs, kTwo53 + 3));
  }
  capped.push_back(Capped(MakeTransfer("job:x", "node", 5, RewardKind::kJob), Window::kDay, jobs, kTwo53 + 3));
  capped.push_back(Capped(MakeTransfer("job:y", "node", 1, RewardKind::kJob), Window::kDay, jobs, kTwo53 + 3));
  const auto applied = Apply(capped);
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  const size_t n = applied->size();
  EXPECT_EQ((*applied)[n - 2].credited_units, 2) << "2^53 + 3 - (2^53 + 1)";
  EXPECT_EQ((*applied)[n - 1].credited_units, 0);
  const auto unlimited = Apply({Capped(MakeTransfer("job:z", "node", kTransferUnitsMax, RewardKind::kJob),
                                       Window::kMonth, jobs, kInt64Max)});
  ASSERT_TRUE(unlimited.has_value());
  EXPECT_EQ((*unlimited)[0].credited_units, kTransferUnitsMax);
  EXPECT_EQ(BalanceOf("node"), kTwo53 + 3 + kTransferUnitsMax);
  ExpectBalanced(static_cast<int64_t>(n) + 1);
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
