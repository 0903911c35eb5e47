#include "api/reward_views.h"

#include <algorithm>

#include "api/ops_routes.h"
#include "codec/js_json.h"

namespace sela::api {
namespace {

using codec::JsonObjectWriter;

std::string Pagination(int64_t total, uint32_t limit, uint64_t offset) {
  return JsonObjectWriter()
      .Integer("total", total)
      .Integer("limit", limit)
      .Integer("offset", static_cast<int64_t>(offset))
      .Bool("hasMore", static_cast<int64_t>(offset) + static_cast<int64_t>(limit) < total)
      .Finish();
}

std::string TierListJson(const rewards::RewardRules& rules) {
  std::vector<std::string> tiers;
  for (const rewards::TierRule& t : rules.tiers) {
    tiers.push_back(JsonObjectWriter()
                        .Integer("tier", t.level)
                        .Number("min_speed", t.min_speed_mbps)
                        .Number("max_ping", t.max_ping_ms)
                        .Number("bonus_rate", static_cast<double>(t.bonus_bp) / 10'000)
                        .Finish());
  }
  return codec::JsonArray(tiers);
}

}  // namespace

net::HttpResponse E2Success(std::string_view data_json) {
  return net::HttpResponse::Json(200, JsonObjectWriter().Bool("success", true).Raw("data", data_json).Finish());
}

net::HttpResponse E2Error(unsigned status, std::string_view type, std::string_view message) {
  const std::string error = JsonObjectWriter().String("type", type).String("message", message).Finish();
  return net::HttpResponse::Json(status, JsonObjectWriter().Bool("success", false).Raw("error", error).Finish());
}

std::string RewardStatusJson(const RewardStatusInput& in) {
  const rewards::RewardRules& rules = *in.rules;
  uint32_t bonus_max = 0;
  for (const rewards::TierRule& t : rules.tiers) bonus_max = std::max(bonus_max, t.bonus_bp);
  // The original's configured figures, from the rules: a minute, a whole
  // day (1,440 minutes) without and with the best bonus, and a week.
  const int64_t day = 1'440 * rules.uptime_units_per_minute;
  const std::string config = JsonObjectWriter()
                                 .Bool("enabled", in.enabled)
                                 .String("interval", in.interval)
                                 .Number("minDailyReward", Sp(rules.uptime_units_per_minute))
                                 .Number("maxDailyReward", Sp(day))
                                 .Number("maxDailyRewardWithBonus", Sp(day + rewards::ShareOf(day, bonus_max)))
                                 .Number("maxWeeklyReward", Sp(7 * day))
                                 .Number("baseRewardRate", Sp(rules.uptime_units_per_minute))
                                 .Raw("performanceTiers", TierListJson(rules))
                                 .Finish();
  return JsonObjectWriter()
      .Bool("isRunning", in.running)
      .Raw("config", config)
      .Raw("currentLogFile", "null")
      .Raw("nextRunAt", in.enabled && in.next_run_ms ? codec::JsonQuote(IsoTimestamp(*in.next_run_ms)) : "null")
      .Finish();
}

std::string_view DistributionStatusName(const store::RunRecord& run, bool skipped) {
  if (skipped) return "SKIPPED";
  switch (run.state) {
    case store::RunState::kRunning:
      return "IN_PROGRESS";
    case store::RunState::kCompleted:
      return "COMPLETED";
    case store::RunState::kFailed:
      return "FAILED";
  }
  return "FAILED";
}

std::string DistributionJson(const store::RunRecord& run, bool skipped) {
  JsonObjectWriter w;
  w.String("distributionId", run.id)
      .String("distributionDate", run.day)
      .String("distributionType", run.kind == store::RunKind::kUptime ? "DAILY" : "WEEKLY_UPTIME")
      .String("status", DistributionStatusName(run, skipped))
      .Integer("totalUsers", run.users)
      .Number("totalRewardsDistributed", Sp(run.total_units))
      .String("startedAt", IsoTimestamp(run.started_ms))
      .Raw("completedAt", run.completed_ms > 0 ? codec::JsonQuote(IsoTimestamp(run.completed_ms)) : "null");
  if (run.state == store::RunState::kFailed) w.String("errorDetails", run.error);
  return w.Finish();
}

std::string TriggerResultJson(const rewards::RunOutcome& outcome) {
  const store::RunRecord& run = outcome.run;
  return JsonObjectWriter()
      .String("distributionId", run.id)
      .String("status", DistributionStatusName(run, outcome.skipped))
      .Integer("totalUsers", run.users)
      .Number("totalRewardsDistributed", Sp(run.total_units))
      .String("startedAt", IsoTimestamp(run.started_ms))
      .Raw("completedAt", run.completed_ms > 0 ? codec::JsonQuote(IsoTimestamp(run.completed_ms)) : "null")
      .Bool("resumed", outcome.resumed)
      .Finish();
}

std::string DistributionHistoryJson(const store::RunPage& page, uint32_t limit, uint64_t offset) {
  std::vector<std::string> runs;
  for (const store::RunRecord& run : page.runs) runs.push_back(DistributionJson(run));
  return JsonObjectWriter()
      .Raw("distributions", codec::JsonArray(runs))
      .Raw("pagination", Pagination(page.total, limit, offset))
      .Finish();
}

std::string RunTransactionJson(const store::TransferRecord& r) {
  const store::Transfer& t = r.transfer;
  return JsonObjectWriter()
      .String("transactionId", t.id)
      .String("userPrincipalId", t.principal)
      .Number("amount", Sp(r.credited_units))
      .Number("baseAmount", Sp(t.base_units))
      .Number("bonusAmount", Sp(t.bonus_units))
      .Integer("uptimeMinutes", t.minutes)
      .Integer("tierLevel", t.tier)
      .String("status", "CONFIRMED")
      .String("timestamp", IsoTimestamp(t.created_ms))
      .Finish();
}

std::string UserTransactionJson(const store::TransferRecord& r) {
  const store::Transfer& t = r.transfer;
  return JsonObjectWriter()
      .String("transactionId", t.id)
      .String("distributionId", t.run_id)
      .Number("amount", Sp(r.credited_units))
      .Number("baseAmount", Sp(t.base_units))
      .Number("bonusAmount", Sp(t.bonus_units))
      .Integer("uptimeMinutes", t.minutes)
      .Integer("tierLevel", t.tier)
      .String("status", "CONFIRMED")
      .String("date", t.day)
      .String("timestamp", IsoTimestamp(t.created_ms))
      .Finish();
}

std::string DistributionDetailJson(const store::RunRecord& run, const store::TransferPage& transfers) {
  std::vector<std::string> items;
  for (const store::TransferRecord& r : transfers.transfers) items.push_back(RunTransactionJson(r));
  return JsonObjectWriter()
      .Raw("distribution", DistributionJson(run))
      .Raw("transactions", codec::JsonArray(items))
      .Integer("totalTransactions", transfers.total)
      .Finish();
}

std::string UserHistoryJson(std::string_view principal, const store::TransferPage& page, uint32_t limit,
                            uint64_t offset) {
  std::vector<std::string> items;
  for (const store::TransferRecord& r : page.transfers) items.push_back(UserTransactionJson(r));
  return JsonObjectWriter()
      .String("userPrincipalId", principal)
      .Raw("transactions", codec::JsonArray(items))
      .Raw("pagination", Pagination(page.total, limit, offset))
      .Finish();
}

std::string UnprocessedCountJson(const store::UptimeDayCounts& counts) {
  return JsonObjectWriter()
      .Integer("unprocessedCount", counts.unpaid)
      .Integer("totalRecords", counts.total)
      .Integer("processedCount", counts.total - counts.unpaid)
      .Finish();
}

std::vector<std::string> RunLogLines(const store::RunPage& runs, std::string_view component) {
  std::vector<std::string> lines;
  // Oldest first, as a log file reads.
  for (auto it = runs.runs.rbegin(); it != runs.runs.rend(); ++it) {
    const store::RunRecord& run = *it;
    auto line = [&](int64_t ms, std::string_view level, std::string_view message) {
      lines.push_back(codec::JsonQuote(JsonObjectWriter()
                                .String("timestamp", IsoTimestamp(ms))
                                .String("level", level)
                                .String("component", component)
                                .String("message", message)
                                .Raw("data", DistributionJson(run))
                                .Finish()));
    };
    line(run.started_ms, "INFO", "Distribution started");
    if (run.state == store::RunState::kCompleted) line(run.completed_ms, "INFO", "Distribution completed");
    if (run.state == store::RunState::kFailed) line(run.completed_ms, "ERROR", "Distribution failed");
  }
  return lines;
}

std::string RunLogJson(const store::RunPage& runs, std::string_view component) {
  const std::vector<std::string> lines = RunLogLines(runs, component);
  return JsonObjectWriter()
      .String("logFile", "ledger:reward_runs")
      .Raw("lines", codec::JsonArray(lines))
      .Integer("totalLines", static_cast<int64_t>(lines.size()))
      .Finish();
}

std::string AuditJson(const store::LedgerAudit& a) {
  JsonObjectWriter by_kind;
  for (size_t k = 0; k < store::kRewardKinds; ++k) {
    by_kind.Number(store::IssuanceAccount(static_cast<store::RewardKind>(k)), Sp(a.issued_by_kind[k]));
  }
  const std::string mismatches = JsonObjectWriter()
                                     .Integer("issuanceAccounts", a.mismatched_issuance)
                                     .Integer("principalAccounts", a.mismatched_accounts)
                                     .Integer("days", a.mismatched_days)
                                     .Integer("overCredited", a.over_credited)
                                     .Finish();
  return JsonObjectWriter()
      .Bool("balanced", a.balanced())
      .Number("issued", Sp(a.issued_units))
      .Number("held", Sp(a.held_units))
      .Integer("issuedUnits", a.issued_units)
      .Integer("heldUnits", a.held_units)
      .Integer("transfers", a.transfers)
      .Integer("accounts", a.accounts)
      .Raw("issuedByAccount", by_kind.Finish())
      .Raw("mismatches", mismatches)
      .Finish();
}

std::string ReferralDistributionJson(std::string_view id, std::string_view type, int64_t processed,
                                     int64_t units, const std::vector<std::string>& errors, int64_t timestamp_ms) {
  std::vector<std::string> quoted;
  for (const std::string& e : errors) quoted.push_back(codec::JsonQuote(e));
  return JsonObjectWriter()
      .String("distribution_id", id)
      .String("distribution_type", type)
      .Integer("processed_count", processed)
      .Number("total_rewards_distributed", Sp(units))
      .Raw("errors", codec::JsonArray(quoted))
      .Integer("timestamp", timestamp_ms)
      .Finish();
}

}  // namespace sela::api
