// Token buckets for fair use (ARCHITECTURE.md §3; docs/FAIR-USE.md).
//
// Pure: callers pass the time (wall-clock ms from the injected Clock); nothing
// here reads a clock. A bucket holds up to `burst` tokens and gains
// `per_second` tokens a second; an action costs one token (or `cost`), and is
// refused when the bucket has too few, with the time until it would have
// enough (the Retry-After a caller answers with).
//
// KeyedLimiter keeps one bucket per key (a source address, an API key) in a
// table bounded by keys_max. A bucket that has refilled completely is the
// same as no bucket, so when the table is full such entries are dropped; if
// it is still full after that, new keys are refused (fail closed: the table
// never grows past its bound, whatever the number of sources).
//
// Time that goes backwards (a wall-clock step) adds no tokens and takes
// none away: the bucket waits until time passes its last stamp again.
//
// Thread-safety: none; owned by the event loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sela::auth {

struct BucketSpec {
  double burst = 1;       // Tokens a full bucket holds (> 0).
  double per_second = 1;  // Refill rate (>= 0; 0: the burst is all there is).
  // Disabled specs allow everything (an operator's choice per limit).
  bool enabled = true;
};

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_ms = 0;  // When refused: until enough tokens are back.
  // Retry-After in whole seconds, at least 1 (HTTP's unit).
  int64_t RetryAfterSeconds() const { return retry_after_ms <= 0 ? 1 : (retry_after_ms + 999) / 1000; }
};

// One bucket: 16 bytes, cheap enough to keep per connection.
class TokenBucket {
 public:
  TokenBucket() = default;
  // A full bucket as of now_ms.
  TokenBucket(const BucketSpec& spec, int64_t now_ms) : last_ms_(now_ms), tokens_(static_cast<float>(spec.burst)) {}

  RateDecision Take(const BucketSpec& spec, int64_t now_ms, double cost = 1);
  // Whether the bucket would be full at now_ms (then it can be forgotten).
  bool FullAt(const BucketSpec& spec, int64_t now_ms) const;

 private:
  void Refill(const BucketSpec& spec, int64_t now_ms);
  int64_t last_ms_ = 0;
  float tokens_ = 0;
};

// The same limit in 8 bytes, for state kept per connection: the generic
// cell rate algorithm keeps only the time at which the bucket would be full
// again (theoretical arrival time). Equivalent to TokenBucket for one token
// per action.
class Gcra {
 public:
  RateDecision Take(const BucketSpec& spec, int64_t now_ms);

 private:
  int64_t full_at_ms_ = 0;  // The bucket is full from then on.
};

class KeyedLimiter {
 public:
  KeyedLimiter(BucketSpec spec, std::size_t keys_max) : spec_(spec), keys_max_(keys_max) {}

  RateDecision Take(std::string_view key, int64_t now_ms, double cost = 1);
  const BucketSpec& spec() const { return spec_; }
  std::size_t size() const { return buckets_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  void DropFull(int64_t now_ms);

  static constexpr int64_t kSweepIntervalMs = 1000;
  BucketSpec spec_;
  std::size_t keys_max_;
  int64_t next_sweep_ms_ = 0;
  std::unordered_map<std::string, TokenBucket, Hash, std::equal_to<>> buckets_;
};

}  // namespace sela::auth
