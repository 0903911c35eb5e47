#include "auth/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace sela::auth {

void TokenBucket::Refill(const BucketSpec& spec, int64_t now_ms) {
  if (now_ms <= last_ms_) return;
  const double gained = static_cast<double>(now_ms - last_ms_) * spec.per_second / 1000.0;
  tokens_ = static_cast<float>(std::min(spec.burst, static_cast<double>(tokens_) + gained));
  last_ms_ = now_ms;
}

RateDecision TokenBucket::Take(const BucketSpec& spec, int64_t now_ms, double cost) {
  if (!spec.enabled) return {};
  Refill(spec, now_ms);
  if (static_cast<double>(tokens_) >= cost) {
    tokens_ = static_cast<float>(static_cast<double>(tokens_) - cost);
    return {};
  }
  RateDecision d;
  d.allowed = false;
  const double missing = cost - static_cast<double>(tokens_);
  // A cost above the burst can never be met; say "a long time" rather than
  // divide into a meaningless figure.
  constexpr int64_t kNeverMs = 3'600'000;
  if (spec.per_second <= 0 || cost > spec.burst) {
    d.retry_after_ms = kNeverMs;
  } else {
    d.retry_after_ms = std::min<int64_t>(kNeverMs, static_cast<int64_t>(std::ceil(missing * 1000.0 / spec.per_second)));
    // Time gone backwards: the bucket refills only once it is passed again.
    d.retry_after_ms += std::max<int64_t>(0, last_ms_ - now_ms);
  }
  return d;
}

bool TokenBucket::FullAt(const BucketSpec& spec, int64_t now_ms) const {
  if (now_ms <= last_ms_) return static_cast<double>(tokens_) >= spec.burst;
  const double gained = static_cast<double>(now_ms - last_ms_) * spec.per_second / 1000.0;
  return static_cast<double>(tokens_) + gained >= spec.burst;
}

RateDecision Gcra::Take(const BucketSpec& spec, int64_t now_ms) {
  if (!spec.enabled) return {};
  constexpr int64_t kNeverMs = 3'600'000;
  // Each action moves "full again" one interval later; the bucket is empty
  // when that lies more than a whole burst of intervals ahead.
  const double interval = spec.per_second > 0 ? 1000.0 / spec.per_second : 1e15;
  const double window = interval * spec.burst;
  const int64_t start = std::max(full_at_ms_, now_ms);
  const double ahead = static_cast<double>(start - now_ms) + interval;
  if (ahead > window + 1e-6) {
    RateDecision d;
    d.allowed = false;
    d.retry_after_ms = std::min<double>(kNeverMs, std::ceil(ahead - window));
    return d;
  }
  full_at_ms_ = start + static_cast<int64_t>(std::llround(std::min(interval, 1e15)));
  return {};
}

void KeyedLimiter::DropFull(int64_t now_ms) {
  std::erase_if(buckets_, [&](const auto& entry) { return entry.second.FullAt(spec_, now_ms); });
}

RateDecision KeyedLimiter::Take(std::string_view key, int64_t now_ms, double cost) {
  if (!spec_.enabled) return {};
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // A sweep costs a pass over the table, so at most one a second.
    if (buckets_.size() >= keys_max_ && now_ms >= next_sweep_ms_) {
      DropFull(now_ms);
      next_sweep_ms_ = now_ms + kSweepIntervalMs;
    }
    if (buckets_.size() >= keys_max_) {
      // Every tracked key is busy: refuse newcomers rather than grow.
      return {.allowed = false, .retry_after_ms = 1000};
    }
    it = buckets_.emplace(std::string(key), TokenBucket(spec_, now_ms)).first;
  }
  return it->second.Take(spec_, now_ms, cost);
}

}  // namespace sela::auth
