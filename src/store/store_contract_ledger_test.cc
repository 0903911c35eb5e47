// The ledger's transfers (ledger.h): double entry, idempotency, caps,
// refusals that write nothing, and the reads.
#include <algorithm>
#include <limits>

#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

using Window = TransferCap::Window;

TEST_P(LedgerContractTest, ATransferCreditsThePrincipalAndDebitsItsIssuanceAccount) {
  const auto applied = Apply({MakeTransfer("admin:1", "alice", 3 * kSp)});
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].outcome, TransferOutcome::kApplied);
  EXPECT_EQ((*applied)[0].credited_units, 3 * kSp);

  const auto account = Account("alice");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->balance_units, 3 * kSp);
  EXPECT_EQ(account->credited_units, 3 * kSp);
  EXPECT_EQ(account->transfers, 1);
  EXPECT_EQ(account->credited_by_kind[static_cast<size_t>(RewardKind::kAdmin)], 3 * kSp);
  const auto audit = Audit();
  ASSERT_TRUE(audit.has_value());
  EXPECT_TRUE(audit->balanced());
  EXPECT_EQ(audit->issued_units, 3 * kSp);
  EXPECT_EQ(audit->held_units, 3 * kSp);
  EXPECT_EQ(audit->issued_by_kind[static_cast<size_t>(RewardKind::kAdmin)], 3 * kSp);
  EXPECT_EQ(audit->accounts, 1);
}

TEST_P(LedgerContractTest, AnAccountWithoutTransfersReadsAsZero) {
  const auto account = Account("nobody");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->principal, "nobody");
  EXPECT_EQ(account->balance_units, 0);
  EXPECT_EQ(account->transfers, 0);
  ExpectBalanced(0);
}

TEST_P(LedgerContractTest, ARepeatWithTheSameBodyChangesNothing) {
  Transfer t = MakeTransfer("job:j1", "alice", kSp, RewardKind::kJob);
  ASSERT_TRUE(Apply({t}).has_value());
  t.created_ms += 5'000;  // When it was made is not part of the body.
  const auto again = Apply({t, t});
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ((*again)[0].outcome, TransferOutcome::kRepeat);
  EXPECT_EQ((*again)[1].outcome, TransferOutcome::kRepeat);
  EXPECT_EQ((*again)[0].credited_units, kSp);
  EXPECT_EQ(BalanceOf("alice"), kSp);
  ExpectBalanced(1);
}

TEST_P(LedgerContractTest, ARepeatWithAnotherBodyIsAConflictAndTheWholeCallIsRefused) {
  ASSERT_TRUE(Apply({MakeTransfer("job:j1", "alice", kSp, RewardKind::kJob)}).has_value());
  const auto refused = Apply({MakeTransfer("job:j2", "bob", kSp, RewardKind::kJob),
                              MakeTransfer("job:j1", "alice", 2 * kSp, RewardKind::kJob)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kConflict);
  EXPECT_EQ(BalanceOf("bob"), 0) << "the first transfer of the refused call stays unapplied";
  EXPECT_EQ(BalanceOf("alice"), kSp);
  const auto other_principal = Apply({MakeTransfer("job:j1", "mallory", kSp, RewardKind::kJob)});
  ASSERT_FALSE(other_principal.has_value());
  EXPECT_EQ(other_principal.error().code(), Code::kConflict);
  ExpectBalanced(1);
}

TEST_P(LedgerContractTest, InvalidTransfersAreRefusedAndWriteNothing) {
  auto bad = [](auto mutate) {
    Transfer t = MakeTransfer("t:1", "alice", kSp);
    mutate(t);
    return t;
  };
  const std::vector<Transfer> cases = {
      bad([](Transfer& t) { t.amount_units = 0; }),
      bad([](Transfer& t) { t.amount_units = -kSp; }),
      bad([](Transfer& t) { t.amount_units = kTransferUnitsMax + 1; }),
      bad([](Transfer& t) { t.id = ""; }),
      bad([](Transfer& t) { t.principal = ""; }),
      bad([](Transfer& t) { t.principal = std::string(300, 'p'); }),
      bad([](Transfer& t) { t.day = "2024-02-30"; }),
      bad([](Transfer& t) { t.kind = static_cast<RewardKind>(9); }),
      bad([](Transfer& t) { t.cap = TransferCap{Window::kNone, KindBit(RewardKind::kJob), 0}; }),
      bad([](Transfer& t) { t.cap = TransferCap{Window::kDay, 0, kSp}; }),
      bad([](Transfer& t) { t.cap = TransferCap{Window::kDay, KindBit(RewardKind::kJob), -1}; }),
      bad([](Transfer& t) { t.share_bp = 10'001; }),
      bad([](Transfer& t) { t.created_ms = -1; }),
  };
  for (const Transfer& t : cases) {
    const auto refused = Apply({MakeTransfer("ok:1", "bob", kSp), t});
    ASSERT_FALSE(refused.has_value()) << t.id << " " << t.amount_units;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  const auto empty = Apply({});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(BalanceOf("bob"), 0);
  ExpectBalanced(0);
}

TEST_P(LedgerContractTest, ABalanceThatWouldOverflowIsRefused) {
  std::vector<Transfer> huge;
  const int64_t count = std::numeric_limits<int64_t>::max() / kTransferUnitsMax + 1;
  for (int64_t i = 0; i < count; ++i) {
    huge.push_back(MakeTransfer("big:" + std::to_string(i), "whale", kTransferUnitsMax));
  }
  const auto refused = Apply(huge);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted) << refused.error().ToString();
  EXPECT_EQ(BalanceOf("whale"), 0);
  ExpectBalanced(0);
}

TEST_P(LedgerContractTest, ADailyCapLimitsCreditsOfItsKindsOnThatDay) {
  const uint32_t jobs = KindBit(RewardKind::kJob);
  auto job = [&](const std::string& id, const std::string& day) {
    return Capped(MakeTransfer(id, "node", kSp, RewardKind::kJob, day), Window::kDay, jobs, 3 * kSp / 2);
  };
  const auto applied = Apply({job("job:1", "2024-03-10"), MakeTransfer("admin:1", "node", 5 * kSp),
                              job("job:2", "2024-03-10"), job("job:3", "2024-03-10"),
                              job("job:4", "2024-03-11")});
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  EXPECT_EQ((*applied)[0].credited_units, kSp);
  EXPECT_EQ((*applied)[2].credited_units, kSp / 2) << "the admin grant does not count against a job cap";
  EXPECT_EQ((*applied)[3].credited_units, 0) << "recorded, capped to nothing";
  EXPECT_EQ((*applied)[4].credited_units, kSp) << "a new day";
  EXPECT_EQ(BalanceOf("node"), 5 * kSp + kSp + kSp / 2 + kSp);
  const auto capped = FindTransfer("job:3");
  ASSERT_TRUE(capped.has_value() && capped->has_value());
  EXPECT_EQ((*capped)->credited_units, 0);
  EXPECT_EQ((*capped)->transfer.amount_units, kSp);
  ExpectBalanced(5);
}

TEST_P(LedgerContractTest, AMonthlyCapPoolsItsKindsOverTheMonth) {
  const uint32_t shares = KindBit(RewardKind::kReferralUptime1) | KindBit(RewardKind::kReferralUptime2);
  auto share = [&](const std::string& id, RewardKind kind, const std::string& day, int64_t units) {
    return Capped(MakeTransfer(id, "ref", units, kind, day), Window::kMonth, shares, 10 * kSp);
  };
  const auto applied = Apply({share("a", RewardKind::kReferralUptime1, "2024-03-02", 6 * kSp),
                              share("b", RewardKind::kReferralUptime2, "2024-03-30", 6 * kSp),
                              share("c", RewardKind::kReferralUptime1, "2024-03-31", kSp),
                              share("d", RewardKind::kReferralUptime1, "2024-04-01", 6 * kSp)});
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  EXPECT_EQ((*applied)[0].credited_units, 6 * kSp);
  EXPECT_EQ((*applied)[1].credited_units, 4 * kSp);
  EXPECT_EQ((*applied)[2].credited_units, 0);
  EXPECT_EQ((*applied)[3].credited_units, 6 * kSp);
  // A repeat reports what was credited then, though the room has changed.
  const auto again = Apply({share("b", RewardKind::kReferralUptime2, "2024-03-30", 6 * kSp)});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)[0].outcome, TransferOutcome::kRepeat);
  EXPECT_EQ((*again)[0].credited_units, 4 * kSp);
  ExpectBalanced(4);
}

TEST_P(LedgerContractTest, EarningsArePerDayAndKindWithPaidUptimeMinutes) {
  Transfer uptime = MakeTransfer("u:1", "alice", 5 * kSp, RewardKind::kUptime, "2024-03-09");
  uptime.minutes = 10;
  ASSERT_TRUE(Apply({uptime, MakeTransfer("j:1", "alice", kSp, RewardKind::kJob, "2024-03-09"),
                     MakeTransfer("j:2", "alice", 2 * kSp, RewardKind::kJob, "2024-03-10"),
                     MakeTransfer("j:3", "bob", 7 * kSp, RewardKind::kJob, "2024-03-10"),
                     MakeTransfer("j:4", "alice", kSp, RewardKind::kJob, "2024-03-12")})
                  .has_value());
  const auto days = Earnings("alice", "2024-03-09", "2024-03-11");
  ASSERT_TRUE(days.has_value()) << days.error().ToString();
  ASSERT_EQ(days->size(), 2u);
  EXPECT_EQ((*days)[0].day, "2024-03-09");
  EXPECT_EQ((*days)[0].units[static_cast<size_t>(RewardKind::kUptime)], 5 * kSp);
  EXPECT_EQ((*days)[0].units[static_cast<size_t>(RewardKind::kJob)], kSp);
  EXPECT_EQ((*days)[0].uptime_minutes, 10);
  EXPECT_EQ((*days)[0].total_units(), 6 * kSp);
  EXPECT_EQ((*days)[1].day, "2024-03-10");
  EXPECT_EQ((*days)[1].total_units(), 2 * kSp);
  EXPECT_EQ((*days)[1].transfers[static_cast<size_t>(RewardKind::kJob)], 1);
  const auto account = Account("alice");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->uptime_minutes, 10);
  EXPECT_EQ(account->transfers_by_kind[static_cast<size_t>(RewardKind::kJob)], 3);
  const auto balances = Balances("2024-03-10");
  ASSERT_TRUE(balances.has_value());
  ASSERT_EQ(balances->size(), 2u);
  EXPECT_EQ((*balances)[0].principal, "alice");
  EXPECT_EQ((*balances)[0].balance_units, 9 * kSp);
  EXPECT_EQ((*balances)[0].day_units, 2 * kSp);
  EXPECT_EQ((*balances)[1].principal, "bob");
  EXPECT_EQ((*balances)[1].day_units, 7 * kSp);
}

// A page of the node list reads its own principals' balances only: the
// same entries as the whole list has for them, by principal, each once.
TEST_P(LedgerContractTest, BalancesOfSomePrincipalsAreTheirEntriesOfTheWholeList) {
  ASSERT_TRUE(Apply({MakeTransfer("a1", "alice", 3 * kSp, RewardKind::kJob, "2024-03-09"),
                     MakeTransfer("a2", "alice", 2 * kSp, RewardKind::kJob, "2024-03-10"),
                     MakeTransfer("b1", "bob", 7 * kSp), MakeTransfer("c1", "carol", kSp)})
                  .has_value());
  const auto all = Balances("2024-03-10");
  ASSERT_TRUE(all.has_value());
  auto entry = [&](const std::string& p) {
    return *std::find_if(all->begin(), all->end(), [&](const Balance& b) { return b.principal == p; });
  };
  const auto some = BalancesOf({"carol", "nobody", "alice", "carol"}, "2024-03-10");
  ASSERT_TRUE(some.has_value()) << some.error().ToString();
  ASSERT_EQ(some->size(), 2u);
  for (const auto& [got, want] : {std::pair{(*some)[0], entry("alice")}, std::pair{(*some)[1], entry("carol")}}) {
    EXPECT_EQ(got.principal, want.principal);
    EXPECT_EQ(got.balance_units, want.balance_units);
    EXPECT_EQ(got.day_units, want.day_units);
  }
  EXPECT_EQ((*some)[0].balance_units, 5 * kSp);
  EXPECT_EQ((*some)[0].day_units, 2 * kSp);
  const auto none = BalancesOf({}, "2024-03-10");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(BalancesOf({"alice"}, "2024-02-30").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(BalancesOf({"alice", ""}, "2024-03-10").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(BalancesOf({std::string(300, 'p')}, "2024-03-10").error().code(), Code::kInvalidArgument);
}

TEST_P(LedgerContractTest, TransfersListNewestFirstFilteredAndPaged) {
  std::vector<Transfer> all;
  for (int i = 1; i <= 5; ++i) {
    all.push_back(MakeTransfer("j:" + std::to_string(i), "alice", i * kSp, RewardKind::kJob));
  }
  all.push_back(MakeTransfer("u:1", "alice", kSp, RewardKind::kUptime));
  all.push_back(MakeTransfer("j:9", "bob", kSp, RewardKind::kJob));
  ASSERT_TRUE(Apply(all).has_value());
  TransferQuery q;
  q.principal = "alice";
  q.kinds = KindBit(RewardKind::kJob);
  q.limit = 2;
  q.offset = 1;
  const auto page = Transfers(q);
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_EQ(page->total, 5);
  ASSERT_EQ(page->transfers.size(), 2u);
  EXPECT_EQ(page->transfers[0].transfer.id, "j:4");
  EXPECT_EQ(page->transfers[1].transfer.id, "j:3");
  EXPECT_LT(page->transfers[1].seq, page->transfers[0].seq);
  q.kinds = kAllKinds;
  q.newest_first = false;
  q.offset = 0;
  q.limit = 10;
  const auto oldest = Transfers(q);
  ASSERT_TRUE(oldest.has_value());
  EXPECT_EQ(oldest->total, 6);
  ASSERT_EQ(oldest->transfers.size(), 6u);
  EXPECT_EQ(oldest->transfers[0].transfer, all[0]);
  EXPECT_EQ(oldest->transfers[5].transfer.id, "u:1");
}

TEST_P(LedgerContractTest, TransferQueriesOutsideTheirLimitsAreRefused) {
  TransferQuery both;
  both.principal = "alice";
  both.run_id = "dist_1";
  TransferQuery neither;
  TransferQuery no_limit;
  no_limit.principal = "alice";
  no_limit.limit = 0;
  for (const TransferQuery& q : {both, neither, no_limit}) {
    const auto refused = Transfers(q);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  }
}

TEST_P(LedgerContractTest, TheLedgerSurvivesAReopen) {
  ASSERT_TRUE(Apply({MakeTransfer("a:1", "alice", 2 * kSp), MakeTransfer("a:2", "bob", kSp)}).has_value());
  Reopen();
  EXPECT_EQ(BalanceOf("alice"), 2 * kSp);
  const auto repeat = Apply({MakeTransfer("a:1", "alice", 2 * kSp)});
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ((*repeat)[0].outcome, TransferOutcome::kRepeat);
  ExpectBalanced(2);
}

}  // namespace
}  // namespace sela::store::testing
