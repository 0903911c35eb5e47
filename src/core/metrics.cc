#include "core/metrics.h"

#include <cassert>
#include <cmath>
#include <charconv>

namespace sela {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const double nanos = value > 0 ? value * 1e9 : 0;
  sum_nanos_.fetch_add(static_cast<uint64_t>(nanos), std::memory_order_relaxed);
}

double Histogram::sum() const {
  return static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
}

std::vector<double> DefaultLatencyBounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,    5,    10};
}

MetricsRegistry::Family& MetricsRegistry::GetFamily(std::string_view name, std::string_view help,
                                                    Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}}).first;
  }
  assert(it->second.kind == kind && "metric registered twice with different kinds");
  return it->second;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     std::string_view labels) {
  std::lock_guard lock(mu_);
  auto& series = GetFamily(name, help, Kind::kCounter).counters;
  auto it = series.find(labels);
  if (it == series.end()) it = series.emplace(std::string(labels), std::make_unique<Counter>()).first;
  return *it->second;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 std::string_view labels) {
  std::lock_guard lock(mu_);
  auto& series = GetFamily(name, help, Kind::kGauge).gauges;
  auto it = series.find(labels);
  if (it == series.end()) it = series.emplace(std::string(labels), std::make_unique<Gauge>()).first;
  return *it->second;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         std::string_view labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& series = GetFamily(name, help, Kind::kHistogram).histograms;
  auto it = series.find(labels);
  if (it == series.end()) {
    if (bounds.empty()) bounds = DefaultLatencyBounds();
    it = series.emplace(std::string(labels), std::make_unique<Histogram>(std::move(bounds))).first;
  }
  return *it->second;
}

std::vector<std::pair<std::string, uint64_t>> MetricsRegistry::CounterSeries(std::string_view name) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, uint64_t>> out;
  const auto it = families_.find(name);
  if (it == families_.end()) return out;
  out.reserve(it->second.counters.size());
  for (const auto& [labels, counter] : it->second.counters) out.emplace_back(labels, counter->value());
  return out;
}

const Histogram* MetricsRegistry::FindHistogram(std::string_view name, std::string_view labels) const {
  std::lock_guard lock(mu_);
  const auto family = families_.find(name);
  if (family == families_.end()) return nullptr;
  const auto series = family->second.histograms.find(labels);
  return series == family->second.histograms.end() ? nullptr : series->second.get();
}

std::string MetricsRegistry::EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

namespace {

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string SeriesName(std::string_view name, std::string_view labels, std::string_view extra = {}) {
  std::string out(name);
  if (labels.empty() && extra.empty()) return out;
  out += '{';
  out += labels;
  if (!labels.empty() && !extra.empty()) out += ',';
  out += extra;
  out += '}';
  return out;
}

}  // namespace

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n";
    switch (family.kind) {
      case Kind::kCounter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, c] : family.counters) {
          out += SeriesName(name, labels) + " " + std::to_string(c->value()) + "\n";
        }
        break;
      case Kind::kGauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, g] : family.gauges) {
          out += SeriesName(name, labels) + " " + std::to_string(g->value()) + "\n";
        }
        break;
      case Kind::kHistogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, h] : family.histograms) {
          uint64_t cumulative = 0;
          for (size_t i = 0; i <= h->bounds().size(); ++i) {
            cumulative += h->bucket(i);
            const std::string le =
                "le=\"" + (i < h->bounds().size() ? FormatDouble(h->bounds()[i]) : "+Inf") + "\"";
            out += SeriesName(name + "_bucket", labels, le) + " " + std::to_string(cumulative) + "\n";
          }
          out += SeriesName(name + "_sum", labels) + " " + FormatDouble(h->sum()) + "\n";
          out += SeriesName(name + "_count", labels) + " " + std::to_string(h->count()) + "\n";
        }
        break;
    }
  }
  return out;
}

}  // namespace sela
