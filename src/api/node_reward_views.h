// The JSON of the node routes that show money (reference/original/rest-api.md
// §2.4 N5, N8, N9, N11 and §5.1), from the rewards ledger: pure functions,
// unit-tested without sockets or a store. Amounts in SP as the original
// showed them: numbers, or Number#toString strings in N5 and N11.
//
// Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/node_views.h"
#include "rewards/rules.h"
#include "store/store.h"

namespace sela::api {

struct UserDataInput {
  store::NodeRecord node;
  store::AccountSummary account;
  store::SettledTotal settled;               // What settlement on the chain made of it.
  int64_t today_units = 0;                   // Credited with transfers of today (UTC).
  std::optional<store::TransferRecord> last_job;  // The newest job reward.
  LiveUptime live;
  // Today's measured uptime in the store (for the live estimate), if any.
  std::optional<store::UptimeDay> today;
  int64_t now_ms = 0;
  const rewards::RewardRules* rules = nullptr;
};

// The uptime reward that today's measured but not yet paid minutes would
// bring at today's tier, the live part not yet checkpointed included: what
// the next distribution will credit (a display estimate, not a ledger
// amount). N5 and N6 show it as activeSessionRewards.
int64_t UnpaidUptimeEstimateUnits(const std::optional<store::UptimeDay>& today, const LiveUptime& live,
                                  const rewards::RewardRules& rules);

// N5 data. balance, todaysEarnings and totalAccumulativePoints are the
// ledger's (credited, not an estimate: the original added the live
// session's estimate to all three).
std::string UserDataJson(const UserDataInput& in);

struct HistoryInput {
  std::string principal;
  store::TransferPage page;       // kJob and kUptime transfers, newest first.
  store::AccountSummary account;  // For the summary over all pages.
  uint32_t page_number = 1;
  uint32_t limit = 20;
};
// N8 data.
std::string RewardHistoryJson(const HistoryInput& in);

// N9 data: per UTC day with job or uptime credits, in [start, end] when
// given (then dateRange shows them; otherwise the first and last day found).
std::string RewardChartJson(std::string_view principal, const std::vector<store::EarningsDay>& days,
                            const std::optional<std::string>& start, const std::optional<std::string>& end);

// N11 data: {"balance":"<new balance>","message":"Rewards added successfully"}.
std::string RewardsAddedJson(int64_t balance_units);

}  // namespace sela::api
