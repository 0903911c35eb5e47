#include "auth/rate_limit.h"

#include <gtest/gtest.h>

namespace sela::auth {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

TEST(TokenBucket, AllowsTheBurstThenRefusesWithTheTimeToWait) {
  const BucketSpec spec{.burst = 3, .per_second = 2};
  TokenBucket b(spec, kT0);
  EXPECT_TRUE(b.Take(spec, kT0).allowed);
  EXPECT_TRUE(b.Take(spec, kT0).allowed);
  EXPECT_TRUE(b.Take(spec, kT0).allowed);
  const RateDecision refused = b.Take(spec, kT0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 500);  // One token at 2 per second.
  EXPECT_EQ(refused.RetryAfterSeconds(), 1);
  EXPECT_FALSE(b.Take(spec, kT0 + 499).allowed);
  EXPECT_TRUE(b.Take(spec, kT0 + 500 + 499).allowed);  // T-1 and T around the refill.
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  const BucketSpec spec{.burst = 2, .per_second = 1};
  TokenBucket b(spec, kT0);
  const int64_t later = kT0 + 3'600'000;
  EXPECT_TRUE(b.FullAt(spec, later));
  EXPECT_TRUE(b.Take(spec, later).allowed);
  EXPECT_TRUE(b.Take(spec, later).allowed);
  EXPECT_FALSE(b.Take(spec, later).allowed);
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
  const BucketSpec spec{.burst = 1, .per_second = 1};
  TokenBucket b(spec, kT0);
  EXPECT_TRUE(b.Take(spec, kT0).allowed);
  const RateDecision back = b.Take(spec, kT0 - 10'000);
  EXPECT_FALSE(back.allowed);
  EXPECT_EQ(back.retry_after_ms, 1000 + 10'000);
  EXPECT_TRUE(b.Take(spec, kT0 + 1000).allowed);
}

TEST(TokenBucket, CostsAboveTheBurstAndZeroRatesNeverPass) {
  const BucketSpec spec{.burst = 2, .per_second = 0};
  TokenBucket b(spec, kT0);
  EXPECT_FALSE(b.Take(spec, kT0, 3).allowed);
  EXPECT_TRUE(b.Take(spec, kT0, 2).allowed);
  EXPECT_FALSE(b.Take(spec, kT0 + 86'400'000).allowed);
}

TEST(TokenBucket, DisabledSpecAllowsEverything) {
  const BucketSpec spec{.burst = 1, .per_second = 0, .enabled = false};
  TokenBucket b(spec, kT0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(b.Take(spec, kT0).allowed);
}

TEST(Gcra, BehavesLikeATokenBucketOfOneTokenPerAction) {
  const BucketSpec spec{.burst = 3, .per_second = 2};
  Gcra g;
  EXPECT_TRUE(g.Take(spec, kT0).allowed);
  EXPECT_TRUE(g.Take(spec, kT0).allowed);
  EXPECT_TRUE(g.Take(spec, kT0).allowed);
  const RateDecision refused = g.Take(spec, kT0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 500);
  EXPECT_FALSE(g.Take(spec, kT0 + 499).allowed);
  EXPECT_TRUE(g.Take(spec, kT0 + 500).allowed);
  // Idle long enough, the whole burst is back, and no more.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(g.Take(spec, kT0 + 60'000).allowed);
  EXPECT_FALSE(g.Take(spec, kT0 + 60'000).allowed);
  EXPECT_EQ(sizeof(Gcra), 8u);
}

TEST(Gcra, ZeroRateAllowsTheBurstOnlyAndDisabledAllowsAll) {
  Gcra g;
  const BucketSpec once{.burst = 1, .per_second = 0};
  EXPECT_TRUE(g.Take(once, kT0).allowed);
  EXPECT_FALSE(g.Take(once, kT0 + 86'400'000).allowed);
  Gcra h;
  const BucketSpec off{.burst = 1, .per_second = 0, .enabled = false};
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(h.Take(off, kT0).allowed);
}

TEST(KeyedLimiter, KeepsOneBucketPerKey) {
  KeyedLimiter l({.burst = 2, .per_second = 1}, 100);
  EXPECT_TRUE(l.Take("a", kT0).allowed);
  EXPECT_TRUE(l.Take("a", kT0).allowed);
  EXPECT_FALSE(l.Take("a", kT0).allowed);
  EXPECT_TRUE(l.Take("b", kT0).allowed);
  EXPECT_EQ(l.size(), 2u);
}

TEST(KeyedLimiter, StaysWithinItsBoundAndForgetsFullBuckets) {
  KeyedLimiter l({.burst = 1, .per_second = 1}, 3);
  EXPECT_TRUE(l.Take("a", kT0).allowed);
  EXPECT_TRUE(l.Take("b", kT0).allowed);
  EXPECT_TRUE(l.Take("c", kT0).allowed);
  // Full of busy keys: a newcomer is refused, nothing grows.
  const RateDecision d = l.Take("d", kT0);
  EXPECT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after_ms, 0);
  EXPECT_EQ(l.size(), 3u);
  // Once their buckets have refilled they are forgotten and the newcomer fits.
  EXPECT_TRUE(l.Take("d", kT0 + 1000).allowed);
  EXPECT_EQ(l.size(), 1u);
}

TEST(KeyedLimiter, SweepsAtMostOnceASecond) {
  KeyedLimiter l({.burst = 1, .per_second = 10}, 2);
  EXPECT_TRUE(l.Take("a", kT0).allowed);
  EXPECT_TRUE(l.Take("b", kT0).allowed);
  EXPECT_FALSE(l.Take("c", kT0).allowed);  // Swept now; nothing was full.
  // 200 ms later both buckets are full again, but the next sweep is not due.
  EXPECT_FALSE(l.Take("c", kT0 + 200).allowed);
  EXPECT_TRUE(l.Take("c", kT0 + 1000).allowed);
}

}  // namespace
}  // namespace sela::auth
