// RewardScheduler: starts the distributions on their cron schedules
// (REWARD_DISTRIBUTION_INTERVAL for uptime, the weekly referral job), one at
// a time (services.md §4.1, §5.7; the original ran cron and manual runs side
// by side and paid twice, D3).
//
// Tick() is called every second or so by the event loop; it reads the
// injected clock, marks the schedules that came due and starts one when no
// run is in progress. A schedule that comes due again before its run could
// start runs once (due times coalesce). The weekly job first runs an uptime
// distribution, so that every minute of the week is paid before its shares
// are reckoned.
//
// Threading: the event loop's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "core/clock.h"
#include "core/cron.h"
#include "rewards/distributor.h"

namespace sela::rewards {

class RewardScheduler {
 public:
  // on_run (optional) hears every scheduled run's outcome (logs, metrics).
  RewardScheduler(CronSchedule uptime, CronSchedule weekly, Distributor& distributor, const Clock& clock,
                  std::function<void(const Result<RunOutcome>&)> on_run = {});

  void Tick();

  // The next times the schedules fire (ms), as of the last Tick (or
  // construction).
  std::optional<int64_t> next_uptime_ms() const { return next_uptime_ms_; }
  std::optional<int64_t> next_weekly_ms() const { return next_weekly_ms_; }
  const CronSchedule& uptime_schedule() const { return uptime_; }
  const CronSchedule& weekly_schedule() const { return weekly_; }

 private:
  void RunWeekly();

  CronSchedule uptime_;
  CronSchedule weekly_;
  Distributor& distributor_;
  const Clock& clock_;
  std::function<void(const Result<RunOutcome>&)> on_run_;
  std::optional<int64_t> next_uptime_ms_;
  std::optional<int64_t> next_weekly_ms_;
  bool uptime_due_ = false;
  bool weekly_due_ = false;
  bool chain_ = false;  // The weekly job's uptime run is in progress.
};

}  // namespace sela::rewards
