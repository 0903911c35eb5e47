#include "api/referral_views.h"

#include "codec/js_json.h"
#include "rewards/units.h"

namespace sela::api {
namespace {

using codec::JsonObjectWriter;
using store::KindBit;
using store::RewardKind;

constexpr uint32_t kInstallation = KindBit(RewardKind::kReferralInstallation);
constexpr uint32_t kUptime = KindBit(RewardKind::kReferralUptime1) | KindBit(RewardKind::kReferralUptime2);
constexpr uint32_t kTask = KindBit(RewardKind::kReferralTask1) | KindBit(RewardKind::kReferralTask2);
constexpr uint32_t kLevel1 =
    KindBit(RewardKind::kReferralTask1) | KindBit(RewardKind::kReferralUptime1) | kInstallation;
constexpr uint32_t kLevel2 = KindBit(RewardKind::kReferralTask2) | KindBit(RewardKind::kReferralUptime2);

std::string_view Status24h(const store::ReferralRecord& r) { return r.installation_claimed ? "COMPLETED" : "PENDING"; }

}  // namespace

std::string RelationshipJson(const store::ReferralRecord& r, bool short_form) {
  std::vector<std::string> chain = {codec::JsonQuote(r.referrer_l1)};
  if (!r.referrer_l2.empty()) chain.push_back(codec::JsonQuote(r.referrer_l2));
  JsonObjectWriter w;
  w.String("user_principal_id", r.referee).Raw("referrer_chain", codec::JsonArray(chain)).String("referrer_l1", r.referrer_l1);
  if (!r.referrer_l2.empty()) w.String("referrer_l2", r.referrer_l2);
  w.String("referral_code_used", r.code_used).Integer("signup_timestamp", r.signup_ms).String("status_24h", Status24h(r));
  if (short_form) return w.Finish();
  if (r.installation_claimed) w.Integer("first_24h_completed_at", r.installation_claimed_ms);
  return w.Bool("installation_reward_claimed", r.installation_claimed).Finish();
}

std::pair<std::string_view, uint32_t> ReferralTypeOf(RewardKind kind) {
  switch (kind) {
    case RewardKind::kReferralTask1:
      return {"TASK", 1};
    case RewardKind::kReferralTask2:
      return {"TASK", 2};
    case RewardKind::kReferralUptime1:
      return {"UPTIME", 1};
    case RewardKind::kReferralUptime2:
      return {"UPTIME", 2};
    case RewardKind::kReferralInstallation:
      return {"INSTALLATION", 1};
    default:
      return {"", 0};
  }
}

uint32_t ReferralKinds(std::string_view type, uint32_t tier) {
  uint32_t kinds = kReferralKinds;
  if (type == "INSTALLATION") kinds = kInstallation;
  if (type == "UPTIME") kinds = kUptime;
  if (type == "TASK") kinds = kTask;
  if (!type.empty() && type != "INSTALLATION" && type != "UPTIME" && type != "TASK") kinds = 0;
  if (tier == 1) kinds &= kLevel1;
  if (tier == 2) kinds &= kLevel2;
  if (tier > 2) kinds = 0;
  return kinds;
}

std::string ReferralRewardJson(const store::TransferRecord& r) {
  const store::Transfer& t = r.transfer;
  const auto [type, tier] = ReferralTypeOf(t.kind);
  JsonObjectWriter w;
  w.String("reward_id", t.id)
      .String("referrer_principal_id", t.principal)
      .String("referee_principal_id", t.referee)
      .String("reward_type", type)
      .Integer("tier", tier)
      .Number("base_amount", Sp(t.base_units))
      .Number("reward_percentage", static_cast<double>(t.share_bp) / 100)
      .Number("reward_amount", Sp(r.credited_units))
      .Integer("timestamp", t.created_ms)
      .String("distribution_date", t.day)
      .Integer("distributed_at", t.created_ms)
      .String("status", r.credited_units == 0 ? "CAPPED" : "DISTRIBUTED");
  if (!t.job_id.empty()) w.String("job_id", t.job_id);
  if (type == "UPTIME") w.Integer("weekly_uptime_minutes", t.minutes);
  return w.Integer("created_at", t.created_ms).Integer("updated_at", t.created_ms).Finish();
}

int64_t CreditedOf(const store::AccountSummary& account, uint32_t kinds) {
  int64_t sum = 0;
  for (size_t k = 0; k < store::kRewardKinds; ++k) {
    if (kinds & (uint32_t{1} << k)) sum += account.credited_by_kind[k];
  }
  return sum;
}

std::string ReferralRewardsJson(const ReferralPageInput& in) {
  std::vector<std::string> rewards;
  for (const store::TransferRecord& r : in.page.transfers) rewards.push_back(ReferralRewardJson(r));
  const int64_t total = in.page.total;
  const int64_t pages = (total + in.limit - 1) / in.limit;
  const std::string pagination = JsonObjectWriter()
                                     .Integer("current_page", in.page_number)
                                     .Integer("total_pages", pages)
                                     .Integer("total_items", total)
                                     .Integer("items_per_page", in.limit)
                                     .Bool("has_next_page", in.page_number < pages)
                                     .Bool("has_prev_page", in.page_number > 1)
                                     .Finish();
  const std::string by_type = JsonObjectWriter()
                                  .Number("installation", Sp(CreditedOf(in.account, in.kinds & kInstallation)))
                                  .Number("uptime", Sp(CreditedOf(in.account, in.kinds & kUptime)))
                                  .Number("task", Sp(CreditedOf(in.account, in.kinds & kTask)))
                                  .Finish();
  const std::string by_tier = JsonObjectWriter()
                                  .Number("l1", Sp(CreditedOf(in.account, in.kinds & kLevel1)))
                                  .Number("l2", Sp(CreditedOf(in.account, in.kinds & kLevel2)))
                                  .Finish();
  const std::string summary = JsonObjectWriter()
                                  .Integer("total_rewards", total)
                                  .Number("total_amount", Sp(CreditedOf(in.account, in.kinds)))
                                  .Raw("by_type", by_type)
                                  .Raw("by_tier", by_tier)
                                  .Finish();
  return JsonObjectWriter().Raw("rewards", codec::JsonArray(rewards)).Raw("pagination", pagination).Raw("summary", summary).Finish();
}

std::string DashboardJson(const DashboardInput& in) {
  const store::AccountSummary& a = in.account;
  auto sp = [&](uint32_t kinds) { return Sp(CreditedOf(a, kinds)); };
  std::vector<std::string> referrals;
  int64_t active = 0;
  int64_t active2 = 0;
  for (const store::RefereeEntry& e : in.referees) {
    const bool online = in.online && in.online(e.referee);
    if (online) ++(e.level == 1 ? active : active2);
    if (e.level != 1 || referrals.size() >= 5) continue;
    referrals.push_back(JsonObjectWriter()
                            .String("user_principal_id", e.referee)
                            .Integer("tier", e.level)
                            .Integer("signup_date", e.signup_ms)
                            .String("status", e.installation_claimed ? "ACTIVE" : "PENDING_24H")
                            .Bool("is_online", online)
                            .Number("total_earned_for_me", Sp(e.earned_units))
                            .Finish());
  }
  const std::string tier1 = JsonObjectWriter()
                                .Integer("total_referrals", in.counts.level1)
                                .Integer("active_referrals", active)
                                .Integer("pending_24h", in.counts.level1_pending)
                                .Number("total_earned", sp(kLevel1))
                                .Raw("breakdown", JsonObjectWriter()
                                                      .Number("installation", sp(kInstallation))
                                                      .Number("uptime", sp(KindBit(RewardKind::kReferralUptime1)))
                                                      .Number("task", sp(KindBit(RewardKind::kReferralTask1)))
                                                      .Finish())
                                .Finish();
  const std::string tier2 = JsonObjectWriter()
                                .Integer("total_referrals", in.counts.level2)
                                .Integer("active_referrals", active2)
                                .Number("total_earned", sp(kLevel2))
                                .Raw("breakdown", JsonObjectWriter()
                                                      .Number("uptime", sp(KindBit(RewardKind::kReferralUptime2)))
                                                      .Number("task", sp(KindBit(RewardKind::kReferralTask2)))
                                                      .Finish())
                                .Finish();
  const int64_t cap = in.monthly_cap_units;
  const int64_t used = in.month_uptime_units;
  const std::string cap_status =
      JsonObjectWriter()
          .String("current_month", in.month)
          .Number("uptime_rewards_earned", Sp(used))
          .Number("cap", Sp(cap))
          .Number("remaining", Sp(cap > used ? cap - used : 0))
          .Integer("percentage_used", cap > 0 ? (used * 100 + cap / 2) / cap : 0)
          .Finish();
  std::vector<std::string> recent;
  for (const store::TransferRecord& r : in.recent) {
    const auto [type, tier] = ReferralTypeOf(r.transfer.kind);
    recent.push_back(JsonObjectWriter()
                         .String("reward_id", r.transfer.id)
                         .String("referee_principal_id", r.transfer.referee)
                         .String("reward_type", type)
                         .Integer("tier", tier)
                         .Number("reward_amount", Sp(r.credited_units))
                         .Integer("timestamp", r.transfer.created_ms)
                         .String("distribution_date", r.transfer.day)
                         .String("status", r.credited_units == 0 ? "CAPPED" : "DISTRIBUTED")
                         .Finish());
  }
  const std::string total = JsonObjectWriter()
                                .Number("total_earned", sp(kReferralKinds))
                                .Number("installation_earnings", sp(kInstallation))
                                .Number("uptime_earnings", sp(kUptime))
                                .Number("task_earnings", sp(kTask))
                                .Finish();
  return JsonObjectWriter()
      .String("my_referral_code", in.referral_code)
      .Raw("tier1", tier1)
      .Raw("tier2", tier2)
      .Raw("monthly_cap_status", cap_status)
      .Raw("recent_referrals", codec::JsonArray(referrals))
      .Raw("recent_rewards", codec::JsonArray(recent))
      .Raw("total_summary", total)
      .Finish();
}

std::string ReferralStatsJson(const StatsInput& in) {
  return JsonObjectWriter()
      .Number("total_referral_rewards", Sp(CreditedOf(in.account, kReferralKinds)))
      .Number("this_week_referral_rewards", Sp(in.this_week_units))
      .Integer("total_referrals", in.counts.level1 + in.counts.level2)
      .Integer("pending_referrals", in.counts.level1_pending + in.counts.level2_pending)
      .Integer("qualified_referrals",
               in.counts.level1 + in.counts.level2 - in.counts.level1_pending - in.counts.level2_pending)
      .Number("l1_referral_rewards", Sp(CreditedOf(in.account, kLevel1)))
      .Finish();
}

std::string ReferralTreeJson(const store::ReferralCounts& counts, const std::vector<TreeEntry>& entries,
                             const OnlineFn& online) {
  std::vector<std::string> l1;
  std::vector<std::string> l2;
  for (const TreeEntry& t : entries) {
    const store::RefereeEntry& e = t.referee;
    if (t.client_status.empty()) continue;  // No node record: left out, as the original did.
    JsonObjectWriter w;
    w.String("user_principal_id", e.referee).Integer("signup_timestamp", e.signup_ms);
    if (e.level == 2) w.String("referred_by_l1", e.via);
    w.String("status_24h", e.installation_claimed ? "COMPLETED" : "PENDING")
        .Bool("is_online", online && online(e.referee))
        .String("client_status", t.client_status);
    if (e.level == 1) w.Integer("total_uptime", t.total_uptime_ms).Number("balance", Sp(t.balance_units));
    (e.level == 1 ? l1 : l2).push_back(w.Finish());
  }
  return JsonObjectWriter()
      .Raw("l1_referrals", JsonObjectWriter().Integer("count", counts.level1).Raw("referrals", codec::JsonArray(l1)).Finish())
      .Raw("l2_referrals", JsonObjectWriter().Integer("count", counts.level2).Raw("referrals", codec::JsonArray(l2)).Finish())
      .Finish();
}

std::string ReferralConfigJson(bool enabled) {
  return JsonObjectWriter().Bool("enabled", enabled).Integer("max_tier_depth", 2).Finish();
}

}  // namespace sela::api
