// Metrics: counters, gauges and histograms rendered in the Prometheus text
// exposition format (version 0.0.4).
//
// Series are created by name and label set and live as long as the registry;
// callers keep the returned reference for fixed series and look up dynamic
// ones (e.g. per route and status) when they happen. Updates are relaxed
// atomics, so any thread may update; lookups and rendering take a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sela {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Cumulative histogram with fixed upper bounds (in the unit of the metric,
// seconds by convention).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;
  const std::vector<double>& bounds() const { return bounds_; }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // Not cumulative.
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};
};

// Latency buckets from 50 µs to 10 s.
std::vector<double> DefaultLatencyBounds();

class MetricsRegistry {
 public:
  // labels: already formatted, e.g. `route="/health",status="200"`; empty for
  // none. Label values must be escaped with EscapeLabel.
  Counter& GetCounter(std::string_view name, std::string_view help, std::string_view labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, std::string_view labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          std::string_view labels = {}, std::vector<double> bounds = {});

  std::string RenderPrometheus() const;

  // Every series of a counter family as (labels, value), in label order;
  // empty when the family does not exist. For readers that sample a few
  // families now and then (the dashboard), not for hot paths: it takes the
  // registry's mutex.
  std::vector<std::pair<std::string, uint64_t>> CounterSeries(std::string_view name) const;
  // The histogram with this name and labels, or null; does not create it.
  const Histogram* FindHistogram(std::string_view name, std::string_view labels = {}) const;

  static std::string EscapeLabel(std::string_view value);

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
    std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
  };
  Family& GetFamily(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace sela
