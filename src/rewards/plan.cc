#include "rewards/plan.h"

#include "rewards/ids.h"

namespace sela::rewards {

std::optional<store::UptimePayment> PlanUptimePayment(const store::UptimeDay& day, const RewardRules& rules,
                                                      const std::string& run_id, int64_t now_ms) {
  const int64_t minutes = UnpaidMinutes(day);
  if (minutes <= 0) return std::nullopt;
  const Tier tier = TierOf(day.avg_speed(), day.avg_ping(), rules);
  const UptimeAmount amount = UptimeReward(minutes, tier, rules);
  store::UptimePayment p;
  p.from_minutes = day.paid_minutes;
  p.through_minutes = day.paid_minutes + minutes;
  store::Transfer& t = p.transfer;
  t.id = UptimeTransferId(day.principal, day.day, p.through_minutes);
  t.kind = store::RewardKind::kUptime;
  t.principal = day.principal;
  t.amount_units = amount.total();
  t.day = day.day;
  t.created_ms = now_ms;
  t.run_id = run_id;
  t.minutes = minutes;
  t.tier = tier.level;
  t.base_units = amount.base_units;
  t.bonus_units = amount.bonus_units;
  return p;
}

std::vector<store::Transfer> PlanWeeklyShares(const store::RefereeWeek& w, const Week& week,
                                              const RewardRules& rules, const std::string& run_id,
                                              int64_t now_ms) {
  std::vector<store::Transfer> shares;
  if (!rules.referral_enabled || w.minutes < rules.weekly_min_minutes) return shares;
  const std::string first_day = DayText(week.first_day);
  const uint32_t pooled = store::KindBit(store::RewardKind::kReferralUptime1) |
                          store::KindBit(store::RewardKind::kReferralUptime2);
  const struct {
    const std::string& referrer;
    uint32_t level;
    uint32_t bp;
    store::RewardKind kind;
  } levels[] = {{w.referrer_l1, 1, rules.uptime_l1_bp, store::RewardKind::kReferralUptime1},
                {w.referrer_l2, 2, rules.uptime_l2_bp, store::RewardKind::kReferralUptime2}};
  for (const auto& level : levels) {
    const int64_t amount = ShareOf(w.uptime_units, level.bp);
    if (level.referrer.empty() || amount <= 0) continue;
    store::Transfer t;
    t.id = ReferralUptimeId(w.referee, first_day, level.level);
    t.kind = level.kind;
    t.principal = level.referrer;
    t.amount_units = amount;
    if (rules.monthly_cap_units > 0) {
      t.cap = store::TransferCap{store::TransferCap::Window::kMonth, pooled, rules.monthly_cap_units};
    }
    t.day = DayText(week.last_day);
    t.created_ms = now_ms;
    t.run_id = run_id;
    t.referee = w.referee;
    t.minutes = w.minutes;
    t.base_units = w.uptime_units;
    t.share_bp = level.bp;
    shares.push_back(std::move(t));
  }
  return shares;
}

}  // namespace sela::rewards
