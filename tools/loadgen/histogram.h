// LatencyHistogram: HdrHistogram-style log-linear latency recording.
//
// Values are microseconds from 0 to kValueMaxUs (100 s) with two significant
// decimal digits: every bucket is at most 1/128 of its value wide, so a
// reported percentile is within 0.8% of the true one. Recording is O(1) and
// allocation-free after construction; the whole table is ~21 KiB.
//
// Histograms are mergeable: worker processes ship their non-zero buckets to
// the parent (see NonZeroBuckets/AddBucketCount), which adds them up, so
// percentiles over all processes are exact up to bucket width.
//
// Thread-safety: none; one owner.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace loadgen {

class LatencyHistogram {
 public:
  static constexpr int64_t kValueMaxUs = 100'000'000;

  LatencyHistogram();

  // Values below 0 count as 0; values above kValueMaxUs as kValueMaxUs (and
  // are counted in clamped_count() so a report can say so).
  void Record(int64_t value_us);
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t clamped_count() const { return clamped_count_; }
  int64_t min_us() const { return count_ == 0 ? 0 : min_us_; }
  int64_t max_us() const { return max_us_; }
  double mean_us() const;

  // The smallest recorded-bucket upper bound at or below which `percentile`
  // percent of the values lie (0 < percentile <= 100), capped at max_us().
  // Returns 0 for an empty histogram.
  int64_t ValueAtPercentile(double percentile) const;

  // Sparse form for transport between processes: (bucket index, count).
  std::vector<std::pair<int32_t, int64_t>> NonZeroBuckets() const;
  // Inverse of NonZeroBuckets, used together with RestoreSummary. Returns
  // false for an index out of range or a negative count (untrusted input).
  bool AddBucketCount(int32_t index, int64_t count);
  // Restores the exact summary values that the buckets cannot carry.
  void RestoreSummary(int64_t min_us, int64_t max_us, int64_t sum_us, int64_t clamped_count);
  int64_t sum_us() const { return sum_us_; }

  // Bucket geometry, exposed for tests.
  static int32_t BucketIndex(int64_t value_us);
  static int64_t BucketLowestUs(int32_t index);
  static int64_t BucketHighestUs(int32_t index);
  static int32_t BucketCount();

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t clamped_count_ = 0;
  int64_t min_us_ = 0;
  int64_t max_us_ = 0;
  int64_t sum_us_ = 0;
};

}  // namespace loadgen
