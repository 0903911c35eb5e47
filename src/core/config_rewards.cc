// The reward variables (docs/CONFIGURATION.md "Rewards"): amounts in SP as
// exact decimals, percentages, cron schedules, tiers and typical job times.
#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>

#include "core/config_reader.h"
#include "core/cron.h"
#include "core/decimal.h"

namespace sela::config_internal {
namespace {

constexpr int64_t kUnitsPerSp = 100'000'000;
constexpr int64_t kUnitsMax = 1'000'000'000'000'000;  // 10^7 SP: a transfer's limit.
constexpr int64_t kDayMs = 86'400'000;

std::vector<std::string_view> SplitComma(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

void Sp(Reader& r, std::string_view name, int64_t& out, int64_t min_units) {
  const std::string* value = r.Find(name);
  if (value == nullptr) return;
  const auto units = ParseDecimal(*value, 8, kUnitsMax);
  if (!units || *units < min_units) {
    r.Fail(std::string(name) + ": expected an amount of SP with at most 8 decimals, " +
           (min_units > 0 ? "above 0" : "0 or more") + " and at most 10000000, got " + Quoted(*value));
    return;
  }
  out = *units;
}

void Cron(Reader& r, std::string_view name, std::string& out) {
  const std::string* value = r.Find(name);
  if (value == nullptr) return;
  if (auto schedule = CronSchedule::Parse(*value); !schedule) {
    r.Fail(std::string(name) + ": " + schedule.error().message());
    return;
  }
  out = *value;
}

// "a,b": two percentages with at most two decimals, as basis points.
void PercentPair(Reader& r, std::string_view name, uint32_t& l1, uint32_t& l2) {
  const std::string* value = r.Find(name);
  if (value == nullptr) return;
  const std::vector<std::string_view> parts = SplitComma(*value);
  std::optional<int64_t> a;
  std::optional<int64_t> b;
  if (parts.size() == 2) {
    a = ParseDecimal(parts[0], 2, 10'000);
    b = ParseDecimal(parts[1], 2, 10'000);
  }
  if (!a || !b) {
    r.Fail(std::string(name) + ": expected two percentages 0-100 (level 1, level 2) such as \"5,2\", got " +
           Quoted(*value));
    return;
  }
  l1 = static_cast<uint32_t>(*a);
  l2 = static_cast<uint32_t>(*b);
}

std::optional<double> NonNegative(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

void Tiers(Reader& r, RewardConfig& c) {
  const std::string* value = r.Find("REWARD_TIERS");
  if (value == nullptr) return;
  std::vector<RewardTier> tiers;
  for (std::string_view part : SplitComma(*value)) {
    const size_t a = part.find('/');
    const size_t b = a == std::string_view::npos ? a : part.find('/', a + 1);
    std::optional<double> speed, ping;
    std::optional<int64_t> bonus;
    if (b != std::string_view::npos) {
      speed = NonNegative(part.substr(0, a));
      ping = NonNegative(part.substr(a + 1, b - a - 1));
      bonus = ParseDecimal(part.substr(b + 1), 2, 10'000);
    }
    if (!speed || !ping || !bonus || tiers.size() >= 16) {
      r.Fail("REWARD_TIERS: expected up to 16 tiers \"min Mbps/max ping ms/bonus %\", best first, such as "
             "\"50/50/20,20/100/10,5/150/5,0/999/0\", got " + Quoted(*value));
      return;
    }
    tiers.push_back({*speed, *ping, static_cast<uint32_t>(*bonus)});
  }
  c.tiers = std::move(tiers);
}

void TypicalTimes(Reader& r, RewardConfig& c) {
  const std::string* value = r.Find("JOB_REWARD_TYPICAL_MS");
  if (value == nullptr) return;
  std::map<std::string, int64_t, std::less<>> times;
  int64_t fallback = c.job_typical_ms_default;
  for (std::string_view part : SplitComma(*value)) {
    const size_t eq = part.find('=');
    int64_t ms = -1;
    if (eq != std::string_view::npos) ms = ParseDecimal(part.substr(eq + 1), 0, kDayMs).value_or(-1);
    const std::string_view kind = eq == std::string_view::npos ? part : part.substr(0, eq);
    const bool kind_ok = !kind.empty() && kind.size() <= 64 &&
                         std::all_of(kind.begin(), kind.end(), [](char ch) {
                           return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '*';
                         }) &&
                         (kind == "*" || kind.find('*') == std::string_view::npos);
    if (ms < 0 || !kind_ok) {
      r.Fail("JOB_REWARD_TYPICAL_MS: expected KIND=ms pairs (0-86400000), * for every other kind, such as "
             "\"TWITTER_POST=60000,HTML=30000,*=60000\", got " + Quoted(*value));
      return;
    }
    if (kind == "*") {
      fallback = ms;
    } else {
      times[std::string(kind)] = ms;
    }
  }
  c.job_typical_ms = std::move(times);
  c.job_typical_ms_default = fallback;
}

}  // namespace

void ReadRewards(Reader& r, RewardConfig& c) {
  Cron(r, "REWARD_DISTRIBUTION_INTERVAL", c.distribution_interval);
  Cron(r, "REFERRAL_WEEKLY_CRON", c.referral_weekly_cron);
  Sp(r, "REWARD_UPTIME_SP_PER_MINUTE", c.uptime_units_per_minute, 1);
  if (c.uptime_units_per_minute > kUnitsMax / 1440 / 2) {
    r.Fail("REWARD_UPTIME_SP_PER_MINUTE: at most " + std::to_string(kUnitsMax / 1440 / 2 / kUnitsPerSp) + " SP");
  }
  Tiers(r, c);
  Sp(r, "JOB_REWARD_SP_PER_SECOND", c.job_units_per_second, 0);
  if (c.job_units_per_second > kUnitsMax / 86'400) r.Fail("JOB_REWARD_SP_PER_SECOND: at most 115 SP");
  TypicalTimes(r, c);
  Sp(r, "JOB_REWARD_DAILY_CAP_SP", c.job_daily_cap_units, 0);
  r.Bool("REFERRAL_ENABLED", c.referral_enabled);
  PercentPair(r, "REFERRAL_TASK_PERCENT", c.task_l1_bp, c.task_l2_bp);
  PercentPair(r, "REFERRAL_UPTIME_PERCENT", c.uptime_l1_bp, c.uptime_l2_bp);
  r.Unsigned("REFERRAL_UPTIME_MIN_WEEKLY_MINUTES", c.weekly_min_minutes, 0, 10'080);
  Sp(r, "REFERRAL_UPTIME_MONTHLY_CAP_SP", c.monthly_cap_units, 0);
  Sp(r, "REFERRAL_INSTALLATION_SP", c.installation_units, 1);
  r.Unsigned("REFERRAL_INSTALLATION_UPTIME_MINUTES", c.installation_min_uptime_minutes, 0, 1'000'000);
}

void ReadChain(Reader& r, ChainConfig& c) {
  Cron(r, "SETTLEMENT_INTERVAL", c.settlement_interval);
  r.Unsigned("SETTLEMENT_CONCURRENCY", c.settlement_concurrency, 1, 64);
  r.String("SELA_POINTS_CANISTER_ID", c.ledger_canister_id);
  r.String("CANISTER_CONTROLLER_PEM", c.controller_pem);
  r.String("IC_ROOT_KEY", c.root_key_der_hex);
  const std::string& key = c.root_key_der_hex;
  const bool hex = key.size() % 2 == 0 &&
                   std::all_of(key.begin(), key.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); });
  if (!hex) r.Fail("IC_ROOT_KEY: expected the root key's DER in hex");
  r.String("FILE_STORAGE_CANISTER_ID", c.file_canister_id);
  r.Unsigned("CANISTER_SYNC_CONCURRENCY", c.canister_sync_concurrency, 1, 16);
  r.Unsigned("CANISTER_CHUNK_BYTES", c.canister_chunk_bytes, 1'024, 1'572'864);
  r.Unsigned("CANISTER_TIMEOUT_MS", c.canister_timeout_ms, 1'000, 600'000);
}

}  // namespace sela::config_internal
