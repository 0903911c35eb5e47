// The reward rules as pure functions of their inputs (ARCHITECTURE.md §7;
// reference services.md §1.10, §3.5, §4.3, §5.3, minus their defects; see
// docs/REWARDS.md). Every constant is configurable; the defaults are the
// original's. All amounts are integer units (units.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "rewards/units.h"
#include "store/store.h"

namespace sela::rewards {

// A performance tier (services.md §3.5): a day's average download speed of
// at least min_speed_mbps and average ping of at most max_ping_ms; bounds
// inclusive. No ping samples count as ping 0, as in the original.
struct TierRule {
  uint32_t level = 4;
  double min_speed_mbps = 0;
  double max_ping_ms = 999;
  uint32_t bonus_bp = 0;  // Bonus on the base reward, in basis points.
};

struct RewardRules {
  // ---- uptime (services.md §4.3) ----
  int64_t uptime_units_per_minute = SpUnits(1) / 2;  // 0.5 SP per measured minute.
  // First match wins; none matching: the last tier's level with no bonus.
  std::vector<TierRule> tiers = {{1, 50, 50, 2'000}, {2, 20, 100, 1'000}, {3, 5, 150, 500}, {4, 0, 999, 0}};

  // ---- jobs (services.md §1.10 minus D2) ----
  int64_t job_units_per_second = 1'200'000;  // 0.012 SP per second of work...
  // ...counted at most up to a typical time for the job's kind, so that
  // holding a job never earns more than doing it.
  std::map<std::string, int64_t, std::less<>> job_typical_ms = {
      {"TWITTER_POST", 60'000}, {"TWITTER_PROFILE", 60'000}, {"TWITTER_FOLLOW_LIST", 120'000}, {"HTML", 30'000}};
  int64_t job_typical_ms_default = 60'000;  // Kinds not listed.
  int64_t job_daily_cap_units = SpUnits(2'000);  // Per node and UTC day; 0: none.

  // ---- referrals (services.md §5.3) ----
  bool referral_enabled = true;
  uint32_t task_l1_bp = 500;    // 5 % of each job reward.
  uint32_t task_l2_bp = 200;    // 2 %.
  uint32_t uptime_l1_bp = 200;  // 2 % of a week's uptime reward...
  uint32_t uptime_l2_bp = 100;  // 1 %.
  int64_t weekly_min_minutes = 6'000;  // ...when the referee measured 100 h that week,
  int64_t monthly_cap_units = SpUnits(10'000);  // at most this per referrer and UTC month (0: no cap).
  int64_t installation_units = SpUnits(500);    // To L1, once the referee has
  int64_t installation_min_uptime_ms = 24 * 3'600'000;  // measured this since signup.
};

// The rules the configuration asks for (REWARD_*, JOB_REWARD_*, REFERRAL_*;
// docs/CONFIGURATION.md); tiers are numbered 1, 2, ... in order.
RewardRules RulesFromConfig(const RewardConfig& config);

// Checks that every constant is in its range and that no reward the rules
// can produce overflows a transfer (a day's uptime: 1440 minutes at the top
// bonus; a job: its typical time). InvalidArgument naming the constant.
Status ValidateRules(const RewardRules& rules);

struct Tier {
  uint32_t level = 4;
  uint32_t bonus_bp = 0;
};
Tier TierOf(double avg_speed_mbps, double avg_ping_ms, const RewardRules& rules);

// The uptime reward for `minutes` at `tier`: base = minutes * rate, bonus =
// floor(base * bonus_bp / 10000).
struct UptimeAmount {
  int64_t base_units = 0;
  int64_t bonus_units = 0;
  int64_t total() const { return base_units + bonus_units; }
};
UptimeAmount UptimeReward(int64_t minutes, const Tier& tier, const RewardRules& rules);

// The day's measured whole minutes not paid yet: floor(online_ms / 60000)
// minus paid_minutes (0 when none).
int64_t UnpaidMinutes(const store::UptimeDay& day);

// A job's reward: rate * min(held_ms, typical time of its kind), held_ms
// being the time from its lease to the result (0 when negative). A job
// targeted at one node (scrapeUrl principalId) is paid by the same rule, so
// it never pays more than an untargeted job of its kind.
int64_t TypicalJobMs(std::string_view kind, const RewardRules& rules);
int64_t JobReward(std::string_view kind, int64_t held_ms, const RewardRules& rules);

// What CompleteJob needs to pay the job and its referral shares
// (store::JobRewardSpec), for a completion on `day`.
store::JobRewardSpec JobRewardSpecFor(std::string_view kind, int64_t held_ms, const std::string& day,
                                      const RewardRules& rules);

}  // namespace sela::rewards
