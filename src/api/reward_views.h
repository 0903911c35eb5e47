// The JSON of the reward routes (/api/rewards/*, /api/referral-distribution/*;
// reference/original/rest-api.md §2.6, §2.8, §1.6), built from the ledger's
// values: pure functions, unit-tested without sockets or a store.
//
// Amounts are shown in SP as JavaScript numbers (sela::Sp, core/points.h), times as
// the original showed them (ISO strings here, epoch milliseconds where it
// used those). The /api/rewards routes answer in the original's E2 envelope:
// {"success":true,"data":...} and {"success":false,"error":{"type","message"}}.
//
// Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "rewards/distributor.h"
#include "rewards/rules.h"
#include "store/ledger.h"

namespace sela::api {

// ---- E2 envelope -----------------------------------------------------------
net::HttpResponse E2Success(std::string_view data_json);
// type: the original's error types ("Unauthorized", "NotFound", "Conflict",
// "ValidationError", "DatabaseError", "ServerError").
net::HttpResponse E2Error(unsigned status, std::string_view type, std::string_view message);

// ---- /api/rewards ----------------------------------------------------------
struct RewardStatusInput {
  bool enabled = false;        // REWARD_DISTRIBUTION_ENABLED
  bool running = false;        // A run is in progress.
  std::string interval;        // REWARD_DISTRIBUTION_INTERVAL
  std::optional<int64_t> next_run_ms;
  const rewards::RewardRules* rules = nullptr;
};
// W1 data: isRunning, config (enabled, interval, the original's daily and
// weekly figures derived from the rules, baseRewardRate, performanceTiers),
// currentLogFile (null: runs are ledger records, not log files), and ours:
// nextRunAt.
std::string RewardStatusJson(const RewardStatusInput& in);

// "COMPLETED", "FAILED", "IN_PROGRESS", or "SKIPPED" (a finished run that
// paid nobody, which is not kept).
std::string_view DistributionStatusName(const store::RunRecord& run, bool skipped);
// W3/W4 `distribution`: distributionId, distributionDate, distributionType
// ("DAILY" for uptime runs, "WEEKLY_UPTIME" for referral ones), status,
// totalUsers, totalRewardsDistributed, startedAt, completedAt (null while
// running), errorDetails (only when failed).
std::string DistributionJson(const store::RunRecord& run, bool skipped = false);
// W2 data.
std::string TriggerResultJson(const rewards::RunOutcome& outcome);
// W3 data.
std::string DistributionHistoryJson(const store::RunPage& page, uint32_t limit, uint64_t offset);
// W4 transactions / W5 transactions: one uptime transfer as the original's
// RewardTransaction (status CONFIRMED: it is in the ledger).
std::string RunTransactionJson(const store::TransferRecord& r);
std::string UserTransactionJson(const store::TransferRecord& r);
std::string DistributionDetailJson(const store::RunRecord& run, const store::TransferPage& transfers);
std::string UserHistoryJson(std::string_view principal, const store::TransferPage& page, uint32_t limit,
                            uint64_t offset);
// W6 data.
std::string UnprocessedCountJson(const store::UptimeDayCounts& counts);
// W7 data: the runs as the JSON lines the original's reward log held
// ({timestamp, level, component, message, data}), newest last.
std::string RunLogJson(const store::RunPage& runs, std::string_view component);
// The same lines, each a JSON string (quoted), oldest first.
std::vector<std::string> RunLogLines(const store::RunPage& runs, std::string_view component);
// Ours, GET /api/rewards/audit: the ledger's audit.
std::string AuditJson(const store::LedgerAudit& audit);

// ---- /api/referral-distribution ----------------------------------------------
// D2/D3/D4 data: {distribution_id, distribution_type, processed_count,
// total_rewards_distributed, errors: [...], timestamp}.
std::string ReferralDistributionJson(std::string_view id, std::string_view type, int64_t processed,
                                     int64_t units, const std::vector<std::string>& errors, int64_t timestamp_ms);

}  // namespace sela::api
