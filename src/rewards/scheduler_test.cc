#include "rewards/scheduler.h"

#include <gtest/gtest.h>

#include "rewards/test_harness.h"

namespace sela::rewards::testing {
namespace {

class SchedulerTest : public RewardsHarness {
 protected:
  SchedulerTest() {
    clock_.SetWallMs(kT0 + 12 * kHourMs + 500);  // Sunday 2024-03-10 12:00:00.5 UTC.
    MakeDistributor();
  }
  std::unique_ptr<RewardScheduler> Make(const char* uptime_cron, const char* weekly_cron) {
    return std::make_unique<RewardScheduler>(*CronSchedule::Parse(uptime_cron), *CronSchedule::Parse(weekly_cron),
                                             *distributor_, clock_, [this](const Result<RunOutcome>& r) {
                                               outcomes_.push_back(r);
                                             });
  }
  void AdvanceTo(int64_t wall_ms) { clock_.Advance(Millis(wall_ms - clock_.WallMs())); }
  std::vector<Result<RunOutcome>> outcomes_;
};

TEST_F(SchedulerTest, RunsTheUptimeDistributionWhenItsScheduleComesDue) {
  auto scheduler = Make("*/5 * * * *", "0 2 * * 0");
  EXPECT_EQ(scheduler->next_uptime_ms(), kT0 + 12 * kHourMs + 5 * kMinuteMs);
  AddUptime({Delta("a", "2024-03-10", 10 * kMinuteMs)});
  AdvanceTo(kT0 + 12 * kHourMs + 5 * kMinuteMs - 1);
  scheduler->Tick();
  Settle();
  EXPECT_TRUE(outcomes_.empty());
  EXPECT_EQ(Balance("a"), 0);
  AdvanceTo(kT0 + 12 * kHourMs + 5 * kMinuteMs);
  scheduler->Tick();
  Settle();
  ASSERT_EQ(outcomes_.size(), 1u);
  ASSERT_TRUE(outcomes_[0].has_value());
  EXPECT_EQ(outcomes_[0]->run.trigger, "schedule");
  EXPECT_EQ(Balance("a"), SpUnits(5));
  EXPECT_EQ(scheduler->next_uptime_ms(), kT0 + 12 * kHourMs + 10 * kMinuteMs);
}

TEST_F(SchedulerTest, DueTimesWhileARunIsInProgressCoalesceIntoOneRun) {
  auto scheduler = Make("* * * * *", "0 2 * * 0");
  AddUptime({Delta("a", "2024-03-10", 10 * kMinuteMs)});
  AdvanceTo(kT0 + 12 * kHourMs + kMinuteMs);
  scheduler->Tick();  // Starts a run; the store has not answered yet.
  ASSERT_TRUE(distributor_->running());
  for (int m = 2; m <= 4; ++m) {
    AdvanceTo(kT0 + 12 * kHourMs + m * kMinuteMs);
    scheduler->Tick();
  }
  Settle();
  EXPECT_EQ(outcomes_.size(), 1u);
  scheduler->Tick();  // The minutes that came due meanwhile: one run.
  Settle();
  scheduler->Tick();
  Settle();
  EXPECT_EQ(outcomes_.size(), 2u);
}

TEST_F(SchedulerTest, TheWeeklyJobPaysTheWeeksUptimeThenItsShares) {
  auto scheduler = Make("0 0 1 1 *", "0 2 * * 0");
  Refer("referee", "referrer");
  // The week 03-10..16, unpaid until the weekly job runs: 6,300 minutes.
  for (int d = 10; d <= 16; ++d) AddUptime({Delta("referee", "2024-03-" + std::to_string(d), 900 * kMinuteMs)});
  AdvanceTo(kT0 + 7 * 24 * kHourMs + 2 * kHourMs);  // Sunday 2024-03-17 02:00.
  scheduler->Tick();
  Settle();
  ASSERT_EQ(outcomes_.size(), 2u);
  ASSERT_TRUE(outcomes_[0].has_value() && outcomes_[1].has_value());
  EXPECT_EQ(outcomes_[0]->run.kind, store::RunKind::kUptime);
  EXPECT_EQ(outcomes_[1]->run.kind, store::RunKind::kReferralWeekly);
  EXPECT_EQ(outcomes_[1]->run.day, "2024-03-16");
  EXPECT_EQ(Balance("referee"), SpUnits(3'150)) << "7 x 900 minutes at 0.5 SP, paid first";
  EXPECT_EQ(CreditedBy("referrer", kWeeklyShares), SpUnits(63)) << "2 % of them";
}

}  // namespace
}  // namespace sela::rewards::testing
