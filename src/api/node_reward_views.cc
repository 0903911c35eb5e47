#include "api/node_reward_views.h"

#include <algorithm>

#include "codec/js_json.h"
#include "rewards/units.h"

namespace sela::api {
namespace {

using codec::JsonObjectWriter;
using store::RewardKind;

constexpr int64_t kMinuteMs = 60'000;

std::string SpText(int64_t units) { return codec::FormatJsNumber(Sp(units)); }

int64_t Of(const store::AccountSummary& a, RewardKind k) { return a.credited_by_kind[static_cast<size_t>(k)]; }
int64_t CountOf(const store::AccountSummary& a, RewardKind k) {
  return a.transfers_by_kind[static_cast<size_t>(k)];
}

}  // namespace

int64_t UnpaidUptimeEstimateUnits(const std::optional<store::UptimeDay>& today, const LiveUptime& live,
                                  const rewards::RewardRules& rules) {
  store::UptimeDay day = today.value_or(store::UptimeDay{});
  day.online_ms += live.unreported_today_ms;
  const rewards::Tier tier = rewards::TierOf(day.avg_speed(), day.avg_ping(), rules);
  return rewards::UptimeReward(rewards::UnpaidMinutes(day), tier, rules).total();
}

std::string UserDataJson(const UserDataInput& in) {
  const LiveUptime& live = in.live;
  const double session_minutes =
      live.online ? static_cast<double>(std::max<int64_t>(0, in.now_ms - live.online_since_ms)) / kMinuteMs : 0;
  const int64_t estimate = UnpaidUptimeEstimateUnits(in.today, live, *in.rules);
  const uint32_t active = live.online ? live.active_jobs : 0;
  return JsonObjectWriter()
      .String("function", "Get Data")
      .String("message", "Getting client data")
      .String("user_principal_id", in.node.principal)
      .String("balance", SpText(in.account.balance_units))
      .String("todaysEarnings", SpText(in.today_units))
      .String("totalAccumulativePoints", SpText(in.account.credited_units))
      .String("totalEarnFromLastJob", SpText(in.last_job ? in.last_job->credited_units : 0))
      .String("referralCode", in.node.referral_code)
      .String("totalReferral", std::to_string(in.node.total_referral))
      .String("state", active > 0 ? "working" : "waiting")
      .String("status", "OK")
      .Bool("jobAssigned", active > 0)
      .Integer("activeJobsCount", active)
      .Integer("maxConcurrentJobs", in.node.max_concurrent_jobs)
      .String("activeSessionRewards", SpText(estimate))
      .String("activeSessionMinutes", JsToFixed(session_minutes, 2))
      .Bool("isCurrentlyOnline", live.online)
      // Settlement on the ICRC-1 ledger (docs/CHAIN.md), named as in
      // /api/node/nodes: confirmed on the ledger, and in settlements not yet
      // confirmed (failed ones included). SP text like `balance`.
      .String("settledBalance", SpText(in.settled.settled_units))
      .String("settlingBalance", SpText(in.settled.committed_units - in.settled.settled_units))
      .Finish();
}

std::string RewardHistoryJson(const HistoryInput& in) {
  std::vector<std::string> items;
  for (const store::TransferRecord& r : in.page.transfers) {
    const store::Transfer& t = r.transfer;
    const bool job = t.kind == RewardKind::kJob;
    items.push_back(JsonObjectWriter()
                        .String("type", job ? "job" : "uptime")
                        .Number("amount", Sp(r.credited_units))
                        .Integer("timestamp", t.created_ms)
                        .String("date", t.day)
                        .String("state", "completed")
                        .Integer("completeAt", t.created_ms)
                        .Raw("job_id", job ? codec::JsonQuote(t.job_id) : "null")
                        .Finish());
  }
  const int64_t total = in.page.total;
  const int64_t pages = (total + in.limit - 1) / in.limit;
  const store::AccountSummary& a = in.account;
  const int64_t jobs = Of(a, RewardKind::kJob);
  const int64_t uptime = Of(a, RewardKind::kUptime);
  return JsonObjectWriter()
      .String("userPrincipalId", in.principal)
      .Raw("pagination", JsonObjectWriter()
                             .Integer("currentPage", in.page_number)
                             .Integer("totalPages", pages)
                             .Integer("totalItems", total)
                             .Integer("itemsPerPage", in.limit)
                             .Bool("hasNextPage", in.page_number < pages)
                             .Bool("hasPrevPage", in.page_number > 1)
                             .Finish())
      .Raw("summary", JsonObjectWriter()
                          .Number("totalJobRewards", Sp(jobs))
                          .Number("totalUptimeRewards", Sp(uptime))
                          .Number("totalRewards", Sp(jobs + uptime))
                          .Integer("totalUptimeMinutes", a.uptime_minutes)
                          .Integer("jobRewardsCount", CountOf(a, RewardKind::kJob))
                          .Integer("uptimeRewardsCount", CountOf(a, RewardKind::kUptime))
                          .Finish())
      .Raw("data", JsonObjectWriter().Raw("rewards", codec::JsonArray(items)).Finish())
      .Finish();
}

std::string RewardChartJson(std::string_view principal, const std::vector<store::EarningsDay>& days,
                            const std::optional<std::string>& start, const std::optional<std::string>& end) {
  std::vector<std::string> points;
  int64_t jobs_total = 0;
  int64_t uptime_total = 0;
  std::string first;
  std::string last;
  for (const store::EarningsDay& d : days) {
    const int64_t jobs = d.units[static_cast<size_t>(RewardKind::kJob)];
    const int64_t uptime = d.units[static_cast<size_t>(RewardKind::kUptime)];
    const int64_t count = d.transfers[static_cast<size_t>(RewardKind::kJob)] +
                          d.transfers[static_cast<size_t>(RewardKind::kUptime)];
    if (count == 0) continue;
    if (first.empty()) first = d.day;
    last = d.day;
    jobs_total += jobs;
    uptime_total += uptime;
    points.push_back(JsonObjectWriter()
                         .String("date", d.day)
                         .Number("jobRewards", Sp(jobs))
                         .Number("uptimeRewards", Sp(uptime))
                         .Number("totalRewards", Sp(jobs + uptime))
                         .Integer("uptimeMinutes", d.uptime_minutes)
                         .Finish());
  }
  auto date = [](const std::optional<std::string>& given, const std::string& found) -> std::string {
    if (given) return codec::JsonQuote(*given);
    return found.empty() ? "null" : codec::JsonQuote(found);
  };
  const double n = static_cast<double>(points.size());
  return JsonObjectWriter()
      .String("userPrincipalId", principal)
      .Raw("dateRange",
           JsonObjectWriter().Raw("startDate", date(start, first)).Raw("endDate", date(end, last)).Finish())
      .Raw("summary", JsonObjectWriter()
                          .Number("totalJobRewards", Sp(jobs_total))
                          .Number("totalUptimeRewards", Sp(uptime_total))
                          .Number("totalRewards", Sp(jobs_total + uptime_total))
                          .Integer("totalDays", static_cast<int64_t>(points.size()))
                          .Number("averageDailyRewards", n > 0 ? Sp(jobs_total + uptime_total) / n : 0)
                          .Finish())
      .Raw("chartData", codec::JsonArray(points))
      .Finish();
}

std::string RewardsAddedJson(int64_t balance_units) {
  return JsonObjectWriter().String("balance", SpText(balance_units)).String("message", "Rewards added successfully").Finish();
}

}  // namespace sela::api
