#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace loadgen {
namespace {

// 256 linear sub-buckets per power of two, of which the upper half is used
// above the first range: resolution 1/128, i.e. better than two significant
// decimal digits.
constexpr int kSubBucketBits = 8;
constexpr int64_t kSubBucketCount = int64_t{1} << kSubBucketBits;
constexpr int64_t kSubBucketHalf = kSubBucketCount / 2;

}  // namespace

int32_t LatencyHistogram::BucketIndex(int64_t value_us) {
  if (value_us < kSubBucketCount) return static_cast<int32_t>(value_us);
  const int shift = std::bit_width(static_cast<uint64_t>(value_us)) - kSubBucketBits;
  const int64_t sub = value_us >> shift;  // In [kSubBucketHalf, kSubBucketCount).
  return static_cast<int32_t>(kSubBucketCount + (shift - 1) * kSubBucketHalf +
                              (sub - kSubBucketHalf));
}

int64_t LatencyHistogram::BucketLowestUs(int32_t index) {
  if (index < kSubBucketCount) return index;
  const int64_t above = index - kSubBucketCount;
  const int shift = static_cast<int>(above / kSubBucketHalf) + 1;
  const int64_t sub = above % kSubBucketHalf + kSubBucketHalf;
  return sub << shift;
}

int64_t LatencyHistogram::BucketHighestUs(int32_t index) {
  if (index < kSubBucketCount) return index;
  const int shift = static_cast<int>((index - kSubBucketCount) / kSubBucketHalf) + 1;
  return BucketLowestUs(index) + (int64_t{1} << shift) - 1;
}

int32_t LatencyHistogram::BucketCount() { return BucketIndex(kValueMaxUs) + 1; }

LatencyHistogram::LatencyHistogram() : counts_(BucketCount(), 0) {}

void LatencyHistogram::Record(int64_t value_us) {
  if (value_us < 0) value_us = 0;
  if (value_us > kValueMaxUs) {
    value_us = kValueMaxUs;
    ++clamped_count_;
  }
  ++counts_[BucketIndex(value_us)];
  min_us_ = count_ == 0 ? value_us : std::min(min_us_, value_us);
  max_us_ = std::max(max_us_, value_us);
  sum_us_ += value_us;
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_us_ = count_ == 0 ? other.min_us_ : std::min(min_us_, other.min_us_);
  max_us_ = std::max(max_us_, other.max_us_);
  sum_us_ += other.sum_us_;
  count_ += other.count_;
  clamped_count_ += other.clamped_count_;
}

double LatencyHistogram::mean_us() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_us_) / static_cast<double>(count_);
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  const auto wanted = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_))));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= wanted) {
      return std::min(BucketHighestUs(static_cast<int32_t>(i)), max_us_);
    }
  }
  return max_us_;
}

std::vector<std::pair<int32_t, int64_t>> LatencyHistogram::NonZeroBuckets() const {
  std::vector<std::pair<int32_t, int64_t>> out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) out.emplace_back(static_cast<int32_t>(i), counts_[i]);
  }
  return out;
}

bool LatencyHistogram::AddBucketCount(int32_t index, int64_t count) {
  if (index < 0 || index >= static_cast<int32_t>(counts_.size()) || count < 0) return false;
  counts_[index] += count;
  count_ += count;
  return true;
}

void LatencyHistogram::RestoreSummary(int64_t min_us, int64_t max_us, int64_t sum_us,
                                      int64_t clamped_count) {
  min_us_ = min_us;
  max_us_ = max_us;
  sum_us_ = sum_us;
  clamped_count_ = clamped_count;
}

}  // namespace loadgen
