#include "rewards/scheduler.h"

#include <utility>

namespace sela::rewards {

RewardScheduler::RewardScheduler(CronSchedule uptime, CronSchedule weekly, Distributor& distributor,
                                 const Clock& clock, std::function<void(const Result<RunOutcome>&)> on_run)
    : uptime_(std::move(uptime)),
      weekly_(std::move(weekly)),
      distributor_(distributor),
      clock_(clock),
      on_run_(std::move(on_run)) {
  const int64_t now_ms = clock_.WallMs();
  next_uptime_ms_ = uptime_.Next(now_ms);
  next_weekly_ms_ = weekly_.Next(now_ms);
}

void RewardScheduler::Tick() {
  const int64_t now_ms = clock_.WallMs();
  if (next_uptime_ms_ && now_ms >= *next_uptime_ms_) {
    uptime_due_ = true;
    next_uptime_ms_ = uptime_.Next(now_ms);
  }
  if (next_weekly_ms_ && now_ms >= *next_weekly_ms_) {
    weekly_due_ = true;
    next_weekly_ms_ = weekly_.Next(now_ms);
  }
  if (distributor_.running() || chain_) return;
  if (weekly_due_) {
    weekly_due_ = false;
    uptime_due_ = false;  // The weekly job pays uptime first.
    RunWeekly();
    return;
  }
  if (uptime_due_) {
    uptime_due_ = false;
    distributor_.RunUptime(Trigger::kSchedule, [this](Result<RunOutcome> r) {
      if (on_run_) on_run_(r);
    });
  }
}

void RewardScheduler::RunWeekly() {
  chain_ = true;
  distributor_.RunUptime(Trigger::kSchedule, [this](Result<RunOutcome> uptime) {
    if (on_run_) on_run_(uptime);
    // The shares are of paid uptime: when the uptime run could not finish,
    // the weekly job waits for its next chance rather than pay short.
    if (!uptime) {
      chain_ = false;
      weekly_due_ = true;
      return;
    }
    distributor_.RunReferralWeekly(Trigger::kSchedule, [this](Result<RunOutcome> weekly) {
      chain_ = false;
      if (on_run_) on_run_(weekly);
    });
  });
}

}  // namespace sela::rewards
