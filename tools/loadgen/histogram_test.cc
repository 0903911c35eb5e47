#include "histogram.h"

#include <gtest/gtest.h>

#include "xorshift.h"

namespace loadgen {
namespace {

TEST(LatencyHistogram, SmallValuesAreExact) {
  for (int64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(LatencyHistogram::BucketLowestUs(LatencyHistogram::BucketIndex(v)), v);
    EXPECT_EQ(LatencyHistogram::BucketHighestUs(LatencyHistogram::BucketIndex(v)), v);
  }
}

TEST(LatencyHistogram, BucketsHoldTheirValuesWithinTwoSignificantDigits) {
  Xorshift64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const int64_t v = static_cast<int64_t>(rng.Next() % LatencyHistogram::kValueMaxUs);
    const int32_t index = LatencyHistogram::BucketIndex(v);
    ASSERT_LT(index, LatencyHistogram::BucketCount());
    const int64_t low = LatencyHistogram::BucketLowestUs(index);
    const int64_t high = LatencyHistogram::BucketHighestUs(index);
    ASSERT_LE(low, v);
    ASSERT_GE(high, v);
    ASSERT_LE(static_cast<double>(high - low), static_cast<double>(v) / 100.0);
  }
}

TEST(LatencyHistogram, BucketsAreContiguous) {
  for (int32_t i = 1; i < LatencyHistogram::BucketCount(); ++i) {
    ASSERT_EQ(LatencyHistogram::BucketLowestUs(i), LatencyHistogram::BucketHighestUs(i - 1) + 1);
  }
}

TEST(LatencyHistogram, PercentilesOfUniformValues) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 10000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 10000);
  EXPECT_EQ(h.min_us(), 1);
  EXPECT_EQ(h.max_us(), 10000);
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(50)), 5000, 50);
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(99)), 9900, 99);
  EXPECT_EQ(h.ValueAtPercentile(100), 10000);
  EXPECT_DOUBLE_EQ(h.mean_us(), 5000.5);
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.ValueAtPercentile(50), 0);
  EXPECT_EQ(h.min_us(), 0);
  EXPECT_EQ(h.max_us(), 0);
}

TEST(LatencyHistogram, ClampsOutOfRangeValuesAndCountsThem) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(LatencyHistogram::kValueMaxUs * 3);
  EXPECT_EQ(h.min_us(), 0);
  EXPECT_EQ(h.max_us(), LatencyHistogram::kValueMaxUs);
  EXPECT_EQ(h.clamped_count(), 1);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int64_t v = 0; v < 5000; v += 3) {
    a.Record(v * 7);
    all.Record(v * 7);
  }
  for (int64_t v = 0; v < 9000; v += 5) {
    b.Record(v * 11);
    all.Record(v * 11);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max_us(), all.max_us());
  EXPECT_EQ(a.sum_us(), all.sum_us());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p));
}

TEST(LatencyHistogram, RejectsBadBucketsFromUntrustedInput) {
  LatencyHistogram h;
  EXPECT_FALSE(h.AddBucketCount(-1, 1));
  EXPECT_FALSE(h.AddBucketCount(LatencyHistogram::BucketCount(), 1));
  EXPECT_FALSE(h.AddBucketCount(3, -1));
  EXPECT_TRUE(h.AddBucketCount(3, 2));
  EXPECT_EQ(h.count(), 2);
}

}  // namespace
}  // namespace loadgen
