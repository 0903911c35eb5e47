// The golden cases of reference/original/services.md §8 that concern
// rewards, through the store and a real distribution run. Where the
// original's figure came from one of its defects, the test says which, and
// asserts what we pay instead (docs/REWARDS.md "Golden cases").
#include <gtest/gtest.h>

#include "rewards/rules.h"
#include "rewards/test_harness.h"

namespace sela::rewards::testing {
namespace {

// units of n/1000 SP, for the golden figures.
constexpr int64_t Milli(int64_t n) { return n * (kUnitsPerSp / 1000); }

class Golden : public RewardsHarness {
 protected:
  Golden() { MakeDistributor(); }
  // Pays what is unpaid now; returns what principal p was credited by it.
  int64_t RunAndCredited(const std::string& p) {
    const int64_t before = Balance(p);
    const auto run = RunUptime();
    EXPECT_TRUE(run.has_value()) << run.error().ToString();
    return Balance(p) - before;
  }
  const store::Transfer& LastUptimeTransfer(const std::string& p) {
    last_ = TransfersOf(p);
    EXPECT_FALSE(last_.empty());
    return last_.back().transfer;
  }
  std::vector<store::TransferRecord> last_;
};

// G1: 480 minutes at 60 Mbps / 40 ms: tier 1, 240 + 48 = 288 SP.
TEST_F(Golden, G1_OneSessionAtTierOnePays288) {
  AddUptime({Delta("p", "2025-01-15", 480 * kMinuteMs, 60, 40)});
  EXPECT_EQ(RunAndCredited("p"), SpUnits(288));
  const store::Transfer& t = LastUptimeTransfer("p");
  EXPECT_EQ(t.id, "uptime:p:2025-01-15:480");
  EXPECT_EQ(t.base_units, SpUnits(240));
  EXPECT_EQ(t.bonus_units, SpUnits(48));
  EXPECT_EQ(t.minutes, 480);
  EXPECT_EQ(t.tier, 1u);
  EXPECT_EQ(PaidMinutes("p", "2025-01-15"), 480);
}

// G2: inclusive tier bounds; no samples is tier 4.
TEST_F(Golden, G2_TierBoundsAreInclusive) {
  AddUptime({Delta("a", "2025-01-15", 240 * kMinuteMs, 20, 100), Delta("b", "2025-01-15", 240 * kMinuteMs, 19.99, 100),
             Delta("c", "2025-01-15", 240 * kMinuteMs)});
  ASSERT_TRUE(RunUptime().has_value());
  EXPECT_EQ(Balance("a"), SpUnits(132));
  EXPECT_EQ(Balance("b"), SpUnits(126));
  EXPECT_EQ(Balance("c"), SpUnits(120));
}

// G3: a second session of the same day pays only its own minutes.
TEST_F(Golden, G3_ASecondRunPaysOnlyTheNewMinutes) {
  AddUptime({Delta("p", "2025-01-15", 100 * kMinuteMs, 10, 120)});
  EXPECT_EQ(RunAndCredited("p"), Milli(52'500));
  AddUptime({Delta("p", "2025-01-15", 30 * kMinuteMs, 10, 120)});
  EXPECT_EQ(RunAndCredited("p"), Milli(15'750));
  EXPECT_EQ(Balance("p"), Milli(68'250));
  int64_t base = 0;
  int64_t bonus = 0;
  for (const auto& r : TransfersOf("p")) {
    base += r.transfer.base_units;
    bonus += r.transfer.bonus_units;
  }
  EXPECT_EQ(base, SpUnits(65));
  EXPECT_EQ(bonus, Milli(3'250));
  EXPECT_EQ(PaidMinutes("p", "2025-01-15"), 130);
}

// G4: the original paid 1.0205666... minutes (0.51028333 SP). We pay whole
// measured minutes: 1 minute (0.5 SP) now, and the 1,234 ms left over count
// toward the day's next minute instead of being paid as a fraction.
TEST_F(Golden, G4_FractionsOfAMinuteWaitForTheNextWholeMinute) {
  AddUptime({Delta("p", "2025-01-15", 61'234)});
  EXPECT_EQ(RunAndCredited("p"), SpUnits(1) / 2);
  AddUptime({Delta("p", "2025-01-15", 58'766)});
  EXPECT_EQ(RunAndCredited("p"), SpUnits(1) / 2) << "61,234 + 58,766 ms = 2 whole minutes";
}

// G5: the original averaged every session ever, samples or not (D9): 105 SP
// with a run after each session, 99 with one run. The day's own samples give
// tier 1 both ways: 108 SP, whatever the timing of the runs.
TEST_F(Golden, G5_TheDaysOwnSamplesMakeTheTierNotTheRunTiming) {
  AddUptime({Delta("a", "2025-01-15", 60 * kMinuteMs, 100, 20)});
  AddUptime({Delta("b", "2025-01-15", 60 * kMinuteMs, 100, 20)});
  EXPECT_EQ(RunAndCredited("a"), SpUnits(36));
  for (int session = 2; session <= 3; ++session) {
    AddUptime({Delta("a", "2025-01-15", 60 * kMinuteMs)});
    EXPECT_EQ(RunAndCredited("a"), SpUnits(36)) << "variant A, session " << session;
  }
  AddUptime({Delta("b", "2025-01-15", 120 * kMinuteMs)});
  ASSERT_TRUE(RunUptime().has_value());
  EXPECT_EQ(Balance("a"), SpUnits(108));
  EXPECT_EQ(Balance("b"), SpUnits(108)) << "variant B";
}

// G6: the job reward and its task shares. 37.5 s and 0.8 s pay as the
// original did; 125 s paid 1.5 SP there (D2: holding a job earned more);
// here time counts up to the kind's typical 60 s: 0.72 SP. Shares are
// floored in units (0.00048 SP, not the original's round4 0.0005).
TEST(GoldenRules, G6_JobRewardAndTaskShares) {
  const RewardRules r;
  EXPECT_EQ(JobReward("TWITTER_POST", 37'500, r), Milli(450));
  EXPECT_EQ(ShareOf(Milli(450), r.task_l1_bp), Milli(450) / 20);  // 0.0225
  EXPECT_EQ(ShareOf(Milli(450), r.task_l2_bp), 900'000);          // 0.009
  EXPECT_EQ(JobReward("TWITTER_POST", 125'000, r), Milli(720));
  EXPECT_EQ(JobReward("TWITTER_POST", 800, r), 960'000);             // 0.0096
  EXPECT_EQ(ShareOf(960'000, r.task_l1_bp), 48'000);                  // 0.00048
  EXPECT_EQ(ShareOf(960'000, r.task_l2_bp), 19'200);                  // 0.000192
}

// G10: the original put a session across midnight on the day it ended
// (D8). Split at midnight, with the session's speed test carried into the
// new day (nodes/registry.h): 15.75 SP on the 31st and 23.625 on the 1st.
TEST_F(Golden, G10_ASessionAcrossMidnightIsPaidOnBothDays) {
  AddUptime({Delta("p", "2025-03-31", 30 * kMinuteMs, 10, 120), Delta("p", "2025-04-01", 45 * kMinuteMs, 10, 120)});
  ASSERT_TRUE(RunUptime().has_value());
  const auto transfers = TransfersOf("p");
  ASSERT_EQ(transfers.size(), 2u);
  EXPECT_EQ(transfers[0].transfer.day, "2025-03-31");
  EXPECT_EQ(transfers[0].credited_units, Milli(15'750));
  EXPECT_EQ(transfers[1].transfer.day, "2025-04-01");
  EXPECT_EQ(transfers[1].credited_units, Milli(23'625));
}

// X2: two runs at once paid the same record twice (D3). A second run cannot
// start while the first runs, and a run after it pays nothing.
TEST_F(Golden, X2_OverlappingRunsPayOnce) {
  AddUptime({Delta("p", "2025-01-15", 480 * kMinuteMs, 60, 40)});
  std::optional<Result<RunOutcome>> first;
  std::optional<Result<RunOutcome>> second;
  distributor_->RunUptime(Trigger::kSchedule, [&](Result<RunOutcome> r) { first = std::move(r); });
  distributor_->RunUptime(Trigger::kManual, [&](Result<RunOutcome> r) { second = std::move(r); });
  Settle();
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE(first->has_value());
  ASSERT_FALSE(second->has_value());
  EXPECT_EQ(second->error().code(), Code::kFailedPrecondition);
  const auto third = RunUptime();
  ASSERT_TRUE(third.has_value());
  EXPECT_TRUE(third->skipped);
  EXPECT_EQ(Balance("p"), SpUnits(288));
}

// X3: the original lost a reconnecting node's first session (D7) and paid
// 0.5 SP for 10:00-14:00. Measured per connection and counted once, the
// four hours are paid: 120 SP at tier 4.
TEST_F(Golden, X3_AReconnectLosesNothing) {
  AddUptime({Delta("p", "2025-01-15", 240 * kMinuteMs)});
  EXPECT_EQ(RunAndCredited("p"), SpUnits(120));
}

// X4: the weekly uptime share, which the original never paid (D10): 6,000
// minutes and 3,000 SP of uptime in the week give L1 60 SP and L2 30 SP;
// an L1 with 9,980 SP of shares this month gets 20, then nothing (capped).
TEST_F(Golden, X4_WeeklySharesAndTheMonthlyCap) {
  Refer("l1", "l2");
  Refer("referee", "l1");
  // Week 2024-03-03..09: 6,000 minutes, 3,000 SP of uptime paid.
  for (int d = 3; d <= 8; ++d) AddUptime({Delta("referee", "2024-03-0" + std::to_string(d), 1'000 * kMinuteMs)});
  ASSERT_TRUE(RunUptime().has_value());
  ASSERT_EQ(Balance("referee"), SpUnits(3'000));
  ASSERT_TRUE(RunWeekly().has_value());
  EXPECT_EQ(CreditedBy("l1", kWeeklyShares), SpUnits(60));
  EXPECT_EQ(CreditedBy("l2", kWeeklyShares), SpUnits(30));
  EXPECT_EQ(Balance("l1"), SpUnits(560)) << "and the installation bonus: the referee ran for 100 h";
  const auto again = RunWeekly();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->skipped) << "a week is paid once";
  EXPECT_EQ(CreditedBy("l1", kWeeklyShares), SpUnits(60));

}

TEST_F(Golden, X4_TheMonthlyCapPoolsBothLevelsAndCapsLaterShares) {
  Refer("big", "capped");
  Refer("small", "capped");
  store::Transfer earlier;
  earlier.id = "referral:uptime:someone:2024-02-25:2";
  earlier.kind = store::RewardKind::kReferralUptime2;
  earlier.principal = "capped";
  earlier.amount_units = SpUnits(9'980);
  earlier.day = "2024-03-02";
  earlier.created_ms = clock_.WallMs();
  ASSERT_TRUE((Call<Result<std::vector<store::AppliedTransfer>>>(
                   [&](auto done) { store_->ApplyTransfers({earlier}, "", done); }))
                  .has_value());
  for (int d = 3; d <= 8; ++d) {
    const std::string day = "2024-03-0" + std::to_string(d);
    AddUptime({Delta("big", day, 1'000 * kMinuteMs), Delta("small", day, 1'000 * kMinuteMs)});
  }
  ASSERT_TRUE(RunUptime().has_value());
  ASSERT_TRUE(RunWeekly().has_value());
  EXPECT_EQ(CreditedBy("capped", kWeeklyShares), SpUnits(10'000)) << "9,980 + 20 of the 60 + 60 due";
  std::vector<store::TransferRecord> shares;
  for (const auto& r : TransfersOf("capped")) {
    if (store::KindBit(r.transfer.kind) & kWeeklyShares) shares.push_back(r);
  }
  ASSERT_EQ(shares.size(), 3u);
  EXPECT_EQ(shares[1].transfer.referee, "big");
  EXPECT_EQ(shares[1].credited_units, SpUnits(20));
  EXPECT_EQ(shares[2].transfer.referee, "small");
  EXPECT_EQ(shares[2].transfer.amount_units, SpUnits(60));
  EXPECT_EQ(shares[2].credited_units, 0) << "recorded as capped";
  EXPECT_TRUE(Audit().balanced());
}

}  // namespace
}  // namespace sela::rewards::testing
