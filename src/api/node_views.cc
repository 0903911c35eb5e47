#include "api/node_views.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "codec/js_json.h"

namespace sela::api {

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr double kMinuteMs = 60'000.0;

std::string Pad2(int64_t v) {
  std::string s = std::to_string(v);
  if (s.size() < 2) s.insert(0, 2 - s.size(), '0');
  return s;
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  out += ']';
  return out;
}

std::string ActiveSessionJson(const LiveUptime& live, std::string_view principal, int64_t now_ms) {
  if (!live.online) return "null";
  return codec::JsonObjectWriter()
      .String("user_principal_id", principal)
      .Integer("start_time", live.online_since_ms)
      .Integer("last_activity_time", live.last_activity_ms)
      .Number("duration_minutes", static_cast<double>(now_ms - live.online_since_ms) / kMinuteMs)
      .Number("avg_speed", live.download_speed)
      .Number("avg_ping", live.ping_ms)
      .String("status", "ACTIVE")
      .Integer("connections", live.connections)
      .Finish();
}

}  // namespace

std::string FormatUptimeHms(int64_t duration_ms) {
  if (duration_ms <= 0) return "00:00:00";
  const int64_t seconds = duration_ms / 1000;
  return Pad2(seconds / 3600) + ":" + Pad2(seconds % 3600 / 60) + ":" + Pad2(seconds % 60);
}

std::string JsToFixed(double value, int digits) {
  assert(digits >= 0 && digits <= 20);
  if (std::isnan(value)) return "NaN";
  if (!(std::fabs(value) < 1e21)) return codec::FormatJsNumber(value);
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  if (value == 0) value = 0;  // -0 prints as "0.00", as in JavaScript.
  // glibc prints the exact decimal expansion of a double when asked for
  // enough digits (1074 suffice for the smallest subnormal); rounding half
  // up on that exact value is what ECMA-262 asks for.
  std::array<char, 1200> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%.1100f", value);
  assert(n > 0 && static_cast<size_t>(n) < buf.size());
  std::string exact(buf.data(), static_cast<size_t>(n));
  const size_t point = exact.find('.');
  std::string kept = exact.substr(0, point) + exact.substr(point + 1, static_cast<size_t>(digits));
  if (exact[point + 1 + static_cast<size_t>(digits)] >= '5') {
    size_t i = kept.size();
    while (i > 0 && kept[i - 1] == '9') kept[--i] = '0';
    if (i == 0) {
      kept.insert(kept.begin(), '1');
    } else {
      ++kept[i - 1];
    }
  }
  const size_t int_digits = kept.size() - static_cast<size_t>(digits);
  out.append(kept, 0, int_digits);
  if (digits > 0) {
    out += '.';
    out.append(kept, int_digits, std::string::npos);
  }
  return out;
}

double ShortestDouble(float value) {
  if (!std::isfinite(value)) return static_cast<double>(value);
  std::array<char, 32> buf{};
  const auto printed = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  double out = 0;
  std::from_chars(buf.data(), printed.ptr, out);
  return out;
}

int TierFor(double avg_speed, double avg_ping) {
  for (const PerformanceTier& t : kPerformanceTiers) {
    if (avg_speed >= t.min_speed && avg_ping <= t.max_ping) return t.tier;
  }
  return 4;
}

double TierBonusRate(int tier) {
  for (const PerformanceTier& t : kPerformanceTiers) {
    if (t.tier == tier) return t.bonus_rate;
  }
  return 0;
}

double ActiveSessionPoints(double minutes, int tier) {
  const double base = minutes * kUptimePointsPerMinute;
  const double bonus = base * TierBonusRate(tier);
  return base + bonus;
}

std::string PerformanceTiersJson() {
  std::vector<std::string> items;
  for (const PerformanceTier& t : kPerformanceTiers) {
    items.push_back(codec::JsonObjectWriter()
                        .Integer("tier", t.tier)
                        .Number("min_speed", t.min_speed)
                        .Number("max_ping", t.max_ping)
                        .Number("bonus_rate", t.bonus_rate)
                        .String("description", t.description)
                        .Finish());
  }
  return JsonArray(items);
}

int64_t UtcDayStartMs(int64_t wall_ms) {
  int64_t rem = wall_ms % kDayMs;
  if (rem < 0) rem += kDayMs;
  return wall_ms - rem;
}

LiveUptime SnapshotLive(const nodes::NodeRegistry& registry, std::string_view principal, int64_t now_ms,
                        int64_t last_checkpoint_ms) {
  LiveUptime live;
  const nodes::NodeIndex index = registry.Find(principal);
  if (index == nodes::kNoNode) return live;
  const auto view = registry.View(index);
  if (!view) return live;
  live.online = true;
  live.online_since_ms = view->online_since_ms;
  live.last_activity_ms = view->last_activity_ms;
  live.connections = view->connections;
  live.active_jobs = view->active_jobs;
  live.max_concurrent_jobs = view->max_concurrent_jobs;
  live.download_speed = ShortestDouble(view->download_speed);
  live.ping_ms = ShortestDouble(view->ping_ms);
  if (!view->uptime_verified) {
    // No ping answered yet: nothing accrues (NodeRegistry::Verify).
    live.online_since_ms = now_ms;
    return live;
  }
  const int64_t from = std::max(view->online_since_ms, last_checkpoint_ms);
  live.unreported_ms = std::max<int64_t>(0, now_ms - from);
  live.unreported_today_ms = std::max<int64_t>(0, now_ms - std::max(from, UtcDayStartMs(now_ms)));
  return live;
}

std::string UptimeStatsJson(const LiveUptime& live, int64_t now_ms, int64_t stored_total_ms,
                            const std::optional<store::UptimeDay>& today) {
  const int64_t today_ms = (today ? today->online_ms : 0) + live.unreported_today_ms;
  const double session_minutes = live.online ? static_cast<double>(now_ms - live.online_since_ms) / kMinuteMs : 0;
  // The tier of today's measured averages: what today's payout will use.
  const int tier = today ? TierFor(today->avg_speed(), today->avg_ping()) : TierFor(0, 0);
  const double points = live.online ? ActiveSessionPoints(session_minutes, tier) : 0;
  return codec::JsonObjectWriter()
      .String("totalUptime", FormatUptimeHms(stored_total_ms + live.unreported_ms))
      .String("todayUptime", FormatUptimeHms(today_ms))
      .Bool("isCurrentlyOnline", live.online)
      .String("currentSessionDuration",
              live.online ? FormatUptimeHms(now_ms - live.online_since_ms) : std::string("00:00:00"))
      .String("activeSessionRewards", codec::FormatJsNumber(points))
      .String("activeSessionMinutes", live.online ? JsToFixed(session_minutes, 2) : std::string("0"))
      .Finish();
}

std::string UptimeDayJson(const store::UptimeDay& day) {
  const double minutes = static_cast<double>(day.online_ms) / kMinuteMs;
  const int64_t whole_minutes = day.online_ms / 60'000;
  // Reward amounts come from the rewards ledger, which does not exist yet:
  // this server has paid nothing, so they are 0 (docs/REST-NODE.md).
  return codec::JsonObjectWriter()
      .String("date", day.day)
      .String("user_principal_id", day.principal)
      .Number("total_minutes", minutes)
      .Integer("processed_minutes", day.paid_minutes)
      .Integer("session_count", day.sessions)
      .Number("avg_speed", day.avg_speed())
      .Number("avg_ping", day.avg_ping())
      .Integer("tier_level", TierFor(day.avg_speed(), day.avg_ping()))
      .Integer("base_reward", 0)
      .Integer("bonus_reward", 0)
      .Integer("total_reward", 0)
      .Integer("last_updated", day.updated_ms)
      .Bool("is_processed", day.paid_minutes > 0 && day.paid_minutes >= whole_minutes)
      .Finish();
}

std::string DetailedUptimeJson(const DetailedUptimeInput& in) {
  std::vector<std::string> records;
  double total_minutes = 0;
  double speed_sum = 0;
  double ping_sum = 0;
  for (const store::UptimeDay& day : in.records) {
    records.push_back(UptimeDayJson(day));
    total_minutes += static_cast<double>(day.online_ms) / kMinuteMs;
    speed_sum += day.avg_speed();
    ping_sum += day.avg_ping();
  }
  const double n = static_cast<double>(in.records.size());
  const std::string period = codec::JsonObjectWriter()
                                 .String("start_date", in.start_day)
                                 .String("end_date", in.end_day)
                                 .Integer("days", in.days)
                                 .Finish();
  const std::string summary = codec::JsonObjectWriter()
                                  .Number("total_minutes", total_minutes)
                                  .Integer("total_rewards", 0)
                                  .Number("avg_daily_minutes", n > 0 ? total_minutes / n : 0)
                                  .Number("avg_speed", n > 0 ? speed_sum / n : 0)
                                  .Number("avg_ping", n > 0 ? ping_sum / n : 0)
                                  .Integer("days_active", static_cast<int64_t>(in.records.size()))
                                  .Finish();
  return codec::JsonObjectWriter()
      .Raw("period", period)
      .Raw("summary", summary)
      .Raw("daily_records", JsonArray(records))
      .Raw("weekly_records", "[]")
      .Raw("active_session", ActiveSessionJson(in.live, in.principal, in.now_ms))
      .Raw("performance_tiers", PerformanceTiersJson())
      .Finish();
}

std::string NodeRecordJson(const store::NodeRecord& node, const LiveUptime& live, int64_t balance_units,
                           int64_t today_units) {
  return codec::JsonObjectWriter()
      .String("user_principal_id", node.principal)
      .String("client_id", node.client_id)
      .Integer("maxConcurrentJobs", node.max_concurrent_jobs)
      .Number("downloadSpeed", node.download_speed)
      .Number("uploadSpeed", node.upload_speed)
      .Number("ping", node.ping_ms)
      .Integer("wsConnect", node.ws_connect_ms)
      .Integer("wsDisconnect", node.ws_disconnect_ms)
      .Number("todaysEarnings", static_cast<double>(today_units) / 1e8)
      .Number("balance", static_cast<double>(balance_units) / 1e8)
      .String("referralCode", node.referral_code)
      .Integer("totalReferral", node.total_referral)
      .String("clientStatus", node.status == store::NodeStatus::kActive ? "Active" : "Inactive")
      .Integer("pingTimestamp", node.ping_timestamp_ms)
      .Integer("createdAt", node.created_ms)
      .Bool("isOnline", live.online)
      .Integer("activeJobsCount", live.active_jobs)
      .Finish();
}

void AppendSettledFields(std::string& node_json, const store::SettledTotal& total) {
  if (node_json.empty() || node_json.back() != '}') return;
  node_json.back() = ',';
  node_json += codec::JsonObjectWriter()
                   .Number("settledBalance", static_cast<double>(total.settled_units) / 1e8)
                   .Number("settlingBalance", static_cast<double>(total.committed_units - total.settled_units) / 1e8)
                   .Finish()
                   .substr(1);  // "{" dropped: the fields continue the node's object.
}

}  // namespace sela::api
