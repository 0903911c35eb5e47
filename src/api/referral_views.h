// The JSON of /api/referral/* (reference/original/rest-api.md §2.7, §1.6
// ReferralRelationship and ReferralReward, §5.3), built from the ledger's
// values; pure functions, unit-tested without sockets or a store. Amounts
// in SP as JavaScript numbers, times in epoch milliseconds, as the original.
//
// Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace sela::api {

// The relationship as Rf2 (`relationship`), Rf7 and Rf8 show it:
// user_principal_id, referrer_chain, referrer_l1, referrer_l2 (left out when
// there is none), referral_code_used, signup_timestamp, status_24h
// (PENDING until the installation bonus is claimed, then COMPLETED),
// first_24h_completed_at (once COMPLETED), installation_reward_claimed.
// `short_form` (Rf2) stops after status_24h, as the original did.
std::string RelationshipJson(const store::ReferralRecord& r, bool short_form);

// "INSTALLATION", "UPTIME", "TASK" and the level (1 or 2) of a referral
// transfer kind; ("", 0) for other kinds.
std::pair<std::string_view, uint32_t> ReferralTypeOf(store::RewardKind kind);
// The kinds an Rf6 `type` (as the original named them, or "" for all) and
// `tier` (0 for both) select.
uint32_t ReferralKinds(std::string_view type, uint32_t tier);
inline constexpr uint32_t kReferralKinds =
    store::KindBit(store::RewardKind::kReferralTask1) | store::KindBit(store::RewardKind::kReferralTask2) |
    store::KindBit(store::RewardKind::kReferralUptime1) | store::KindBit(store::RewardKind::kReferralUptime2) |
    store::KindBit(store::RewardKind::kReferralInstallation);

// One referral transfer as the original's ReferralReward (status DISTRIBUTED,
// or CAPPED when the monthly cap left it nothing).
std::string ReferralRewardJson(const store::TransferRecord& r);

// Sum of an account's credits over a set of kinds.
int64_t CreditedOf(const store::AccountSummary& account, uint32_t kinds);

struct ReferralPageInput {
  store::TransferPage page;
  store::AccountSummary account;  // For the summary's amounts, over all pages.
  uint32_t kinds = kReferralKinds;
  uint32_t page_number = 1;
  uint32_t limit = 20;
};
// Rf6 data: rewards, pagination, summary.
std::string ReferralRewardsJson(const ReferralPageInput& in);

// Whether a principal is online now (the live registry), and its node's
// status text ("Active"/"Inactive", "" when it has no record).
using OnlineFn = std::function<bool(std::string_view principal)>;

struct DashboardInput {
  std::string referral_code;
  store::ReferralCounts counts;
  store::AccountSummary account;
  std::vector<store::RefereeEntry> referees;  // Newest first.
  std::vector<store::TransferRecord> recent;  // Newest referral rewards first.
  std::string month;                          // "YYYY-MM" of now.
  int64_t month_uptime_units = 0;             // Weekly shares credited this month.
  int64_t monthly_cap_units = 0;
  OnlineFn online;
};
// Rf3 data.
std::string DashboardJson(const DashboardInput& in);

struct StatsInput {
  store::ReferralCounts counts;
  store::AccountSummary account;
  int64_t this_week_units = 0;  // Referral credits since Monday 00:00 UTC.
};
// Rf4 data.
std::string ReferralStatsJson(const StatsInput& in);

struct TreeEntry {
  store::RefereeEntry referee;
  std::string client_status;  // "Active", "Inactive", or "" (no node record).
  int64_t total_uptime_ms = 0;
  int64_t balance_units = 0;
};
// Rf5 data: l1_referrals and l2_referrals with count and referrals.
std::string ReferralTreeJson(const store::ReferralCounts& counts, const std::vector<TreeEntry>& entries,
                             const OnlineFn& online);

// Rf9 data.
std::string ReferralConfigJson(bool enabled);

}  // namespace sela::api
