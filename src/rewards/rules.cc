#include "rewards/rules.h"

#include <algorithm>
#include <cmath>

namespace sela::rewards {
namespace {

constexpr int64_t kMinutesPerDay = 1'440;
constexpr int64_t kMsPerMinute = 60'000;

Status Bad(const std::string& what) { return InvalidArgument("reward rule " + what); }

}  // namespace

RewardRules RulesFromConfig(const RewardConfig& c) {
  RewardRules r;
  r.uptime_units_per_minute = c.uptime_units_per_minute;
  r.tiers.clear();
  for (size_t i = 0; i < c.tiers.size(); ++i) {
    r.tiers.push_back(TierRule{static_cast<uint32_t>(i + 1), c.tiers[i].min_speed_mbps, c.tiers[i].max_ping_ms,
                               c.tiers[i].bonus_bp});
  }
  r.job_units_per_second = c.job_units_per_second;
  r.job_typical_ms = c.job_typical_ms;
  r.job_typical_ms_default = c.job_typical_ms_default;
  r.job_daily_cap_units = c.job_daily_cap_units;
  r.referral_enabled = c.referral_enabled;
  r.task_l1_bp = c.task_l1_bp;
  r.task_l2_bp = c.task_l2_bp;
  r.uptime_l1_bp = c.uptime_l1_bp;
  r.uptime_l2_bp = c.uptime_l2_bp;
  r.weekly_min_minutes = c.weekly_min_minutes;
  r.monthly_cap_units = c.monthly_cap_units;
  r.installation_units = c.installation_units;
  r.installation_min_uptime_ms = c.installation_min_uptime_minutes * 60'000;
  return r;
}

Status ValidateRules(const RewardRules& r) {
  if (r.tiers.empty() || r.tiers.size() > 16) return Bad("tiers: 1 to 16 expected");
  for (const TierRule& t : r.tiers) {
    if (!std::isfinite(t.min_speed_mbps) || !std::isfinite(t.max_ping_ms) || t.min_speed_mbps < 0 ||
        t.max_ping_ms < 0 || t.bonus_bp > 10'000 || t.level == 0 || t.level > 99) {
      return Bad("tier " + std::to_string(t.level) + ": speed and ping >= 0, bonus 0..100 %, level 1..99");
    }
  }
  const int64_t max = store::kTransferUnitsMax;
  if (r.uptime_units_per_minute < 1 || r.uptime_units_per_minute > max / kMinutesPerDay / 2) {
    return Bad("uptime reward per minute: 0.00000001 SP to " + std::to_string(max / kMinutesPerDay / 2 / kUnitsPerSp) + " SP");
  }
  if (r.job_units_per_second < 0 || r.job_units_per_second > max / 86'400) {
    return Bad("job reward per second out of range");
  }
  for (const auto& [kind, ms] : r.job_typical_ms) {
    if (ms < 0 || ms > 86'400'000) return Bad("typical time of " + kind + ": 0 to 86400000 ms");
  }
  if (r.job_typical_ms_default < 0 || r.job_typical_ms_default > 86'400'000) {
    return Bad("default typical job time: 0 to 86400000 ms");
  }
  if (r.job_daily_cap_units < 0 || r.job_daily_cap_units > max) return Bad("daily job cap out of range");
  for (uint32_t bp : {r.task_l1_bp, r.task_l2_bp, r.uptime_l1_bp, r.uptime_l2_bp}) {
    if (bp > 10'000) return Bad("referral share: 0 to 100 %");
  }
  if (r.weekly_min_minutes < 0 || r.weekly_min_minutes > 7 * kMinutesPerDay) {
    return Bad("weekly minutes for the referral uptime share: 0 to 10080");
  }
  if (r.monthly_cap_units < 0 || r.monthly_cap_units > max) return Bad("monthly referral cap out of range");
  if (r.installation_units < 1 || r.installation_units > max) return Bad("installation bonus out of range");
  if (r.installation_min_uptime_ms < 0) return Bad("installation uptime must not be negative");
  return Status::Ok();
}

Tier TierOf(double avg_speed_mbps, double avg_ping_ms, const RewardRules& rules) {
  for (const TierRule& t : rules.tiers) {
    if (avg_speed_mbps >= t.min_speed_mbps && avg_ping_ms <= t.max_ping_ms) return Tier{t.level, t.bonus_bp};
  }
  return Tier{rules.tiers.empty() ? 4 : rules.tiers.back().level, 0};
}

UptimeAmount UptimeReward(int64_t minutes, const Tier& tier, const RewardRules& rules) {
  UptimeAmount a;
  a.base_units = std::max<int64_t>(minutes, 0) * rules.uptime_units_per_minute;
  a.bonus_units = ShareOf(a.base_units, tier.bonus_bp);
  return a;
}

int64_t UnpaidMinutes(const store::UptimeDay& day) {
  return std::max<int64_t>(day.online_ms / kMsPerMinute - day.paid_minutes, 0);
}

int64_t TypicalJobMs(std::string_view kind, const RewardRules& rules) {
  const auto it = rules.job_typical_ms.find(kind);
  return it == rules.job_typical_ms.end() ? rules.job_typical_ms_default : it->second;
}

int64_t JobReward(std::string_view kind, int64_t held_ms, const RewardRules& rules) {
  const int64_t counted_ms = std::clamp<int64_t>(held_ms, 0, TypicalJobMs(kind, rules));
  return static_cast<int64_t>(static_cast<__int128>(counted_ms) * rules.job_units_per_second / 1000);
}

store::JobRewardSpec JobRewardSpecFor(std::string_view kind, int64_t held_ms, const std::string& day,
                                      const RewardRules& rules) {
  store::JobRewardSpec spec;
  spec.amount_units = JobReward(kind, held_ms, rules);
  spec.daily_cap_units = rules.job_daily_cap_units;
  if (rules.referral_enabled) {
    spec.referral_l1_bp = rules.task_l1_bp;
    spec.referral_l2_bp = rules.task_l2_bp;
  }
  spec.day = day;
  return spec;
}

}  // namespace sela::rewards
