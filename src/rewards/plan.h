// What a distribution run pays, as pure functions of what the store read:
// one uptime payment per (principal, UTC day) with unpaid measured minutes,
// and the weekly referral shares of one referee. The distributor
// (distributor.h) reads, plans with these, and applies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "rewards/rules.h"
#include "store/store.h"

namespace sela::rewards {

// The day's unpaid whole minutes at the day's tier (its own speed and ping
// averages: sessions without samples do not pull them down, unlike the
// original's D9), as one payment from paid_minutes through the measured
// minutes; nullopt when nothing is unpaid.
std::optional<store::UptimePayment> PlanUptimePayment(const store::UptimeDay& day, const RewardRules& rules,
                                                      const std::string& run_id, int64_t now_ms);

// The weekly uptime shares (services.md §5.6, which the original never paid:
// D10) of one referee for `week`: when it measured at least
// weekly_min_minutes, uptime_l1_bp of its uptime reward of the week to L1
// and uptime_l2_bp to L2, each capped at monthly_cap_units per referrer and
// UTC month of the week's last day (L1 and L2 shares pooled). Shares of 0
// units are left out.
std::vector<store::Transfer> PlanWeeklyShares(const store::RefereeWeek& week_of_referee, const Week& week,
                                              const RewardRules& rules, const std::string& run_id, int64_t now_ms);

}  // namespace sela::rewards
