// Distribution runs against a real store: paid once, single-flight,
// resumable after a crash at any point, failures recorded.
#include "rewards/distributor.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "rewards/test_harness.h"
#include "testing/crash_store.h"
#include "testing/fault_injection_store.h"

namespace sela::rewards::testing {
namespace {

class DistributorTest : public RewardsHarness {};

TEST_F(DistributorTest, AnUptimeRunPaysEveryUnpaidDayOnceAndRecordsItself) {
  page_rows_ = 2;  // Several pages.
  MakeDistributor();
  AddUptime({Delta("a", "2024-03-09", 10 * kMinuteMs), Delta("a", "2024-03-10", 20 * kMinuteMs),
             Delta("b", "2024-03-10", 30 * kMinuteMs), Delta("c", "2024-03-10", 30'000)});
  const auto run = RunUptime();
  ASSERT_TRUE(run.has_value()) << run.error().ToString();
  EXPECT_FALSE(run->skipped);
  EXPECT_EQ(run->run.state, store::RunState::kCompleted);
  EXPECT_EQ(run->run.users, 3);
  EXPECT_EQ(run->run.total_units, SpUnits(30));
  EXPECT_EQ(run->run.trigger, "manual");
  EXPECT_EQ(run->run.id.rfind("dist_", 0), 0u);
  EXPECT_EQ(Balance("a"), SpUnits(15));
  EXPECT_EQ(Balance("b"), SpUnits(15));
  EXPECT_EQ(Balance("c"), 0) << "half a minute";
  const auto again = RunUptime();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->skipped) << "nothing left to pay";
  auto kept = Call<Result<std::optional<store::RunRecord>>>(
      [&](auto done) { store_->GetRun(again->run.id, done); });
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(kept->has_value()) << "a run that paid nobody is not kept";
  EXPECT_TRUE(Audit().balanced());
}

TEST_F(DistributorTest, ARunInProgressElsewhereMakesANewOneWait) {
  MakeDistributor();
  AddUptime({Delta("a", "2024-03-10", 10 * kMinuteMs)});
  auto other = Call<Result<store::RunStartResult>>([&](auto done) {
    store::RunStart s;
    s.run.id = "dist_other";
    s.run.trigger = "schedule";
    s.run.day = "2024-03-10";
    s.run.owner = "other-process";
    s.now_ms = clock_.WallMs();
    store_->StartRun(s, done);
  });
  ASSERT_TRUE(other.has_value());
  const auto busy = RunUptime();
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Balance("a"), 0);
  // Once the other process has made no progress for stale_after_ms, its
  // run is taken over and finished here.
  clock_.Advance(Millis(120'000));
  const auto taken = RunUptime();
  ASSERT_TRUE(taken.has_value()) << taken.error().ToString();
  EXPECT_TRUE(taken->resumed);
  EXPECT_EQ(taken->run.id, "dist_other");
  EXPECT_EQ(taken->run.resumes, 1);
  EXPECT_EQ(Balance("a"), SpUnits(5));
}

// A crash at each store operation of a run (CrashStore: what was submitted
// before it is applied, nothing after it, no callback delivered), then a
// restart with a new owner: the run is resumed and every minute is paid
// exactly once.
TEST_F(DistributorTest, AfterACrashAtAnyOperationTheRunIsResumedAndPaysEachMinuteOnce) {
  page_rows_ = 1;
  for (uint64_t crash_at = 0; crash_at < 12; ++crash_at) {
    SCOPED_TRACE("crash at operation " + std::to_string(crash_at));
    CloseStore();
    std::filesystem::remove_all(dir_.path() + "/sela.db");
    std::filesystem::remove_all(dir_.path() + "/sela.db-wal");
    std::filesystem::remove_all(dir_.path() + "/sela.db-shm");
    OpenStore();
    AddUptime({Delta("a", "2024-03-10", 10 * kMinuteMs), Delta("b", "2024-03-10", 20 * kMinuteMs),
               Delta("c", "2024-03-10", 30 * kMinuteMs)});
    sela::testing::CrashStore faulty(*store_);
    faulty.CrashAtOperation(crash_at);
    MakeDistributor({}, "before-crash", &faulty);
    bool finished = false;
    distributor_->RunUptime(Trigger::kSchedule, [&](Result<RunOutcome>) { finished = true; });
    Settle();
    EXPECT_TRUE(finished || faulty.crashed()) << "the run either ended or reached the crash";
    distributor_.reset();
    CloseStore();
    if (crash_at >= 11) {
      EXPECT_TRUE(finished) << "the run has 11 operations";
    }

    OpenStore();
    MakeDistributor({}, "after-restart");
    auto resumed = Call<Result<std::optional<RunOutcome>>>([&](auto done) { distributor_->Resume(0, done); });
    ASSERT_TRUE(resumed.has_value()) << resumed.error().ToString();
    ASSERT_TRUE(RunUptime().has_value());
    EXPECT_EQ(Balance("a"), SpUnits(5));
    EXPECT_EQ(Balance("b"), SpUnits(10));
    EXPECT_EQ(Balance("c"), SpUnits(15));
    EXPECT_EQ(PaidMinutes("c", "2024-03-10"), 30);
    EXPECT_TRUE(Audit().balanced());
    distributor_.reset();
  }
}

TEST_F(DistributorTest, AStoreFailureEndsTheRunAsFailedAndTheNextRunPays) {
  AddUptime({Delta("a", "2024-03-10", 10 * kMinuteMs)});
  sela::testing::FaultInjectionStore faulty(*store_);
  faulty.FailOp(sela::testing::StoreOp::kPayUptime, Unavailable("disk on fire"), 1);
  MakeDistributor({}, "owner-1", &faulty);
  const auto failed = RunUptime();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Code::kUnavailable);
  EXPECT_FALSE(distributor_->running());
  auto runs = Call<Result<store::RunPage>>([&](auto done) { store_->ListRuns(3, 0, 10, done); });
  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->runs.size(), 1u);
  EXPECT_EQ(runs->runs[0].state, store::RunState::kFailed);
  EXPECT_NE(runs->runs[0].error.find("disk on fire"), std::string::npos);
  EXPECT_EQ(Balance("a"), 0);
  const auto next = RunUptime();
  ASSERT_TRUE(next.has_value()) << next.error().ToString();
  EXPECT_EQ(Balance("a"), SpUnits(5));
}

TEST_F(DistributorTest, TheInstallationBonusIsPaidOnceWhenTheRefereeHasMeasuredADay) {
  MakeDistributor();
  Refer("new-node", "referrer");
  AddUptime({Delta("new-node", "2024-03-09", 20 * kHourMs)});
  ASSERT_TRUE(RunUptime().has_value());
  EXPECT_EQ(Balance("referrer"), 0);
  AddUptime({Delta("new-node", "2024-03-10", 4 * kHourMs)});
  const auto run = RunUptime();
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(Balance("referrer"), SpUnits(500));
  ASSERT_TRUE(RunUptime().has_value());
  EXPECT_EQ(Balance("referrer"), SpUnits(500));
  const auto transfers = TransfersOf("referrer");
  ASSERT_EQ(transfers.size(), 1u);
  EXPECT_EQ(transfers[0].transfer.id, "referral:installation:new-node");
  EXPECT_EQ(transfers[0].transfer.run_id, run->run.id);
}

TEST_F(DistributorTest, NoReferralRewardsWhenReferralsAreDisabled) {
  RewardRules rules;
  rules.referral_enabled = false;
  MakeDistributor(rules);
  Refer("new-node", "referrer");
  for (int d = 3; d <= 8; ++d) AddUptime({Delta("new-node", "2024-03-0" + std::to_string(d), 1'000 * kMinuteMs)});
  ASSERT_TRUE(RunUptime().has_value());
  ASSERT_TRUE(RunWeekly().has_value());
  EXPECT_EQ(Balance("new-node"), SpUnits(3'000));
  EXPECT_EQ(Balance("referrer"), 0);
}

TEST_F(DistributorTest, AWeekWithTooFewMinutesPaysNoShare) {
  MakeDistributor();
  Refer("referee", "referrer");
  for (int d = 3; d <= 8; ++d) AddUptime({Delta("referee", "2024-03-0" + std::to_string(d), 999 * kMinuteMs)});
  ASSERT_TRUE(RunUptime().has_value());
  const auto weekly = RunWeekly();
  ASSERT_TRUE(weekly.has_value());
  EXPECT_TRUE(weekly->skipped);
  EXPECT_EQ(weekly->run.day, "2024-03-09");
  EXPECT_EQ(CreditedBy("referrer", kWeeklyShares), 0) << "5,994 minutes < 6,000";
}

}  // namespace
}  // namespace sela::rewards::testing
