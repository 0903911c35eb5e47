// The JSON the /api/node routes answer with, built from plain values: the
// node records and uptime days of the store and a snapshot of the live
// registry (reference/original/rest-api.md §2.4, services.md §3.5-§3.6).
// Pure functions, so every format is unit-tested without sockets or a store.
//
// Uptime here is what the server measured (ARCHITECTURE.md §7): the store's
// per-UTC-day totals, which checkpoints bring up to date every
// UPTIME_CHECKPOINT_MS, plus the part of a live node's current connection
// that the last checkpoint has not reported yet.
//
// Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/registry.h"
#include "store/store.h"

namespace sela::api {

// "HH:MM:SS" of a duration as the original's formatUptime printed it: whole
// seconds (floored), each part at least two digits, hours unbounded, and
// "00:00:00" for anything not positive.
std::string FormatUptimeHms(int64_t duration_ms);

// Number.prototype.toFixed(digits) of JavaScript (digits 0..20): the exact
// value of the double rounded half up, "-" kept for negative values that
// round to zero ("-0.00"), and Number#toString from 1e21 up.
std::string JsToFixed(double value, int digits);

// A double that prints as the float's shortest form (55.2f becomes 55.2,
// not 55.20000076293945): the registry keeps speeds as floats.
double ShortestDouble(float value);

// The uptime performance tiers (services.md §3.5): the first tier whose
// bounds an average speed (Mbps) and ping (ms) meet, inclusive, wins.
struct PerformanceTier {
  int tier;
  double min_speed;
  double max_ping;
  double bonus_rate;
  std::string_view description;
};
inline constexpr PerformanceTier kPerformanceTiers[] = {
    {1, 50, 50, 0.20, "Tier 1: High Performance"},
    {2, 20, 100, 0.10, "Tier 2: Good Performance"},
    {3, 5, 150, 0.05, "Tier 3: Standard Performance"},
    {4, 0, 999, 0.00, "Tier 4: Basic Performance"},
};
// Sela Points per online minute before the tier bonus (services.md §4.3).
inline constexpr double kUptimePointsPerMinute = 0.5;

int TierFor(double avg_speed, double avg_ping);
double TierBonusRate(int tier);
// The display-only estimate the original showed for a live session:
// minutes x 0.5, plus that times the tier's bonus rate (computed in the
// original's order, so the digits match). Not a ledger amount.
double ActiveSessionPoints(double minutes, int tier);
// `performance_tiers` of N7.
std::string PerformanceTiersJson();

// Milliseconds since the epoch at the start of the UTC day holding `wall_ms`.
int64_t UtcDayStartMs(int64_t wall_ms);

// A principal's live state, read from the registry when a request arrives.
struct LiveUptime {
  bool online = false;
  int64_t online_since_ms = 0;
  int64_t last_activity_ms = 0;
  uint32_t connections = 0;
  uint32_t active_jobs = 0;
  uint32_t max_concurrent_jobs = 0;
  double download_speed = 0;
  double ping_ms = 0;
  // Online time not yet reported to the store: in total and within today.
  int64_t unreported_ms = 0;
  int64_t unreported_today_ms = 0;
};

// last_checkpoint_ms: when the registry last handed its accrued uptime to
// the store (NodeSessions::last_uptime_checkpoint_ms()).
LiveUptime SnapshotLive(const nodes::NodeRegistry& registry, std::string_view principal, int64_t now_ms,
                        int64_t last_checkpoint_ms);

// N6 `data`. total_ms and today come from the store (today may be absent).
std::string UptimeStatsJson(const LiveUptime& live, int64_t now_ms, int64_t stored_total_ms,
                            const std::optional<store::UptimeDay>& today);

struct DetailedUptimeInput {
  std::string principal;
  int64_t now_ms = 0;
  int64_t days = 7;
  std::string start_day;
  std::string end_day;
  std::vector<store::UptimeDay> records;  // Ascending, within [start_day, end_day].
  LiveUptime live;
};
// N7 `data`.
std::string DetailedUptimeJson(const DetailedUptimeInput& input);

// One day as the original's DailyUptimeRecord, preceded by "date".
std::string UptimeDayJson(const store::UptimeDay& day);

// A node as N3/N4 list it: the original ClientRecord's fields that this
// server keeps, `balance` and `todaysEarnings` (SP) from the rewards ledger
// (units; today is the UTC day), plus `isOnline` and `activeJobsCount` from
// the live registry.
std::string NodeRecordJson(const store::NodeRecord& node, const LiveUptime& live, int64_t balance_units,
                           int64_t today_units);

// Adds to a node's JSON object (NodeRecordJson) what settlement on the
// chain made of its balance (docs/CHAIN.md): `settledBalance` (SP confirmed
// on the ICRC-1 ledger) and `settlingBalance` (SP in settlements not yet
// confirmed, failed ones included). The rest of `balance` waits for the
// next settlement run.
void AppendSettledFields(std::string& node_json, const store::SettledTotal& total);

}  // namespace sela::api
