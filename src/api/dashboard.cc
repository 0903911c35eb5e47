#include "api/dashboard.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "api/job_service.h"
#include "codec/js_json.h"

namespace sela::api {

namespace {

// Counters whose growth the dashboard lists as errors. `label` names the
// label that tells series apart (empty: the family is summed).
struct ErrorFamily {
  std::string_view metric;
  std::string_view label;
  std::string_view name;
};

constexpr ErrorFamily kErrorFamilies[] = {
    {"sela_http_errors_total", "reason", "bad HTTP request"},
    {"sela_ws_protocol_errors_total", "code", "WebSocket closed with"},
    {"sela_node_registration_failures_total", "", "node registration refused"},
    {"sela_node_registration_timeouts_total", "", "node never registered"},
    {"sela_node_heartbeat_timeouts_total", "", "node heartbeat timeout"},
    {"sela_node_messages_rejected_total", "", "node message rejected"},
    {"sela_node_queue_overflow_closes_total", "", "node outbound queue overflow"},
    {"sela_job_results_refused_total", "", "job result refused"},
    {"sela_jobs_failed_total", "", "job failed"},
    {"sela_log_lines_dropped_total", "", "log lines dropped (rate limit)"},
    {"sela_admin_feed_refused_total", "", "dashboard viewer refused"},
};

constexpr std::string_view kHttpRequests = "sela_http_requests_total";

// The value of `key` in a label set as MetricsRegistry stores it
// (`a="x",b="y"`), unescaped; empty when absent.
std::string LabelValue(std::string_view labels, std::string_view key) {
  size_t at = 0;
  while (at < labels.size()) {
    const size_t eq = labels.find("=\"", at);
    if (eq == std::string_view::npos) return {};
    const std::string_view name = labels.substr(at, eq - at);
    std::string value;
    size_t i = eq + 2;
    for (; i < labels.size() && labels[i] != '"'; ++i) {
      if (labels[i] == '\\' && i + 1 < labels.size()) ++i;
      value += labels[i];
    }
    if (name == key) return value;
    at = i + 2;  // Past the closing quote and the comma.
  }
  return {};
}

uint64_t Sum(const std::vector<std::pair<std::string, uint64_t>>& series) {
  uint64_t total = 0;
  for (const auto& [labels, value] : series) total += value;
  return total;
}

double PerSecond(uint64_t now, uint64_t before, double seconds) {
  return seconds > 0 && now >= before ? static_cast<double>(now - before) / seconds : 0;
}

// v rounded to 1/scale (scale 100: two decimals), for short JSON numbers.
double Round(double v, double scale) { return std::round(v * scale) / scale; }

}  // namespace

double BucketQuantile(std::span<const double> bounds, std::span<const uint64_t> counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return -1;
  const double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0 || static_cast<double>(below + counts[i]) < rank) {
      below += counts[i];
      continue;
    }
    if (i >= bounds.size()) return bounds.empty() ? -1 : bounds.back();
    const double lower = i == 0 ? 0 : bounds[i - 1];
    const double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
    return lower + (bounds[i] - lower) * fraction;
  }
  return bounds.empty() ? -1 : bounds.back();
}

DashboardSampler::DashboardSampler(DashboardOptions options, const Clock& clock, const MetricsRegistry& metrics,
                                   DashboardSources sources)
    : options_(std::move(options)), clock_(clock), metrics_(metrics), sources_(std::move(sources)) {
  baseline_ = Read();
}

DashboardSampler::Point DashboardSampler::Read() const {
  Point p;
  p.at = clock_.Now();
  p.registrations = Sum(metrics_.CounterSeries("sela_node_registrations_total"));
  p.created = Sum(metrics_.CounterSeries("sela_jobs_created_total"));
  p.leased = Sum(metrics_.CounterSeries("sela_job_leases_total"));
  p.completed = Sum(metrics_.CounterSeries("sela_jobs_completed_total"));
  p.failed = Sum(metrics_.CounterSeries("sela_jobs_failed_total"));
  for (const auto& [labels, value] : metrics_.CounterSeries(kHttpRequests)) {
    p.http_requests += value;
    const std::string status = LabelValue(labels, "status");
    if (value > 0 && status.size() == 3 && status[0] >= '4') {
      p.errors["HTTP " + status + " " + LabelValue(labels, "route")] += value;
    }
  }
  for (const ErrorFamily& family : kErrorFamilies) {
    for (const auto& [labels, value] : metrics_.CounterSeries(family.metric)) {
      if (value == 0) continue;
      std::string name(family.name);
      if (!family.label.empty()) name += " " + LabelValue(labels, family.label);
      p.errors[name] += value;
    }
  }
  if (const Histogram* h = metrics_.FindHistogram(kJobRoundTripMetric)) {
    p.round_trip.resize(h->bounds().size() + 1);
    for (size_t i = 0; i < p.round_trip.size(); ++i) p.round_trip[i] = h->bucket(i);
  }
  return p;
}

const std::string& DashboardSampler::Sample() {
  Point now = Read();
  now.json = Render(now, points_.empty() ? baseline_ : points_.back());
  points_.push_back(std::move(now));
  while (points_.size() > options_.history_samples) points_.pop_front();
  return points_.back().json;
}

const std::string& DashboardSampler::latest() const {
  static const std::string kNone;
  return points_.empty() ? kNone : points_.back().json;
}

std::string DashboardSampler::HistoryJson() const {
  std::string out = "[";
  for (const Point& p : points_) {
    if (out.size() > 1) out += ',';
    out += p.json;
  }
  out += ']';
  return out;
}

std::string DashboardSampler::Render(const Point& now, const Point& before) const {
  const double seconds = std::chrono::duration<double>(now.at - before.at).count();
  const DashboardLive live = sources_.live ? sources_.live() : DashboardLive{};
  const std::string nodes = codec::JsonObjectWriter()
                                .Integer("online", static_cast<int64_t>(live.nodes_online))
                                .Number("registrations_per_s", Round(PerSecond(now.registrations, before.registrations, seconds), 100))
                                .Integer("registrations_total", static_cast<int64_t>(now.registrations))
                                .Finish();
  const std::string jobs = codec::JsonObjectWriter(320)
                               .Number("created_per_s", Round(PerSecond(now.created, before.created, seconds), 100))
                               .Number("leased_per_s", Round(PerSecond(now.leased, before.leased, seconds), 100))
                               .Number("completed_per_s", Round(PerSecond(now.completed, before.completed, seconds), 100))
                               .Number("failed_per_s", Round(PerSecond(now.failed, before.failed, seconds), 100))
                               .Integer("pending", static_cast<int64_t>(live.jobs_pending))
                               .Integer("open", static_cast<int64_t>(live.jobs_open))
                               .Integer("created_total", static_cast<int64_t>(now.created))
                               .Integer("completed_total", static_cast<int64_t>(now.completed))
                               .Integer("failed_total", static_cast<int64_t>(now.failed))
                               .Finish();
  std::string ledger = "null";
  if (sources_.ledger) {
    if (const DashboardLedger l = sources_.ledger(); l.available) {
      ledger = codec::JsonObjectWriter()
                   .Number("issued_sp", static_cast<double>(l.issued_units) / 1e8)
                   .Number("paid_sp", static_cast<double>(l.paid_units) / 1e8)
                   .Finish();
    }
  }
  return codec::JsonObjectWriter(1024)
      .Integer("ts", clock_.WallMs())
      .Number("interval_s", Round(seconds, 1000))
      .Raw("nodes", nodes)
      .Raw("jobs", jobs)
      .Raw("round_trip_ms", RoundTripJson(now))
      .Number("http_requests_per_s", Round(PerSecond(now.http_requests, before.http_requests, seconds), 100))
      .Raw("errors", TopErrorsJson(now))
      .Raw("ledger", ledger)
      .Finish();
}

std::string DashboardSampler::RoundTripJson(const Point& now) const {
  const Histogram* h = metrics_.FindHistogram(kJobRoundTripMetric);
  // Observations in the window: now minus the point `percentile_window` back.
  const size_t back = std::min(options_.percentile_window, points_.size());
  const Point& old = back == 0 ? baseline_ : points_[points_.size() - back];
  std::vector<uint64_t> window(now.round_trip.size());
  uint64_t total = 0;
  for (size_t i = 0; i < window.size(); ++i) {
    const uint64_t before = i < old.round_trip.size() ? old.round_trip[i] : 0;
    window[i] = now.round_trip[i] - std::min(before, now.round_trip[i]);
    total += window[i];
  }
  codec::JsonObjectWriter w;
  w.Integer("count", static_cast<int64_t>(total));
  for (const auto& [key, q] : {std::pair{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}}) {
    const double seconds = h ? BucketQuantile(h->bounds(), window, q) : -1;
    if (seconds < 0) {
      w.Raw(key, "null");
    } else {
      w.Number(key, Round(seconds * 1000, 100));
    }
  }
  return w.Finish();
}

std::string DashboardSampler::TopErrorsJson(const Point& now) const {
  const size_t back = std::min(options_.error_window_samples, points_.size());
  const Point& old = back == 0 ? baseline_ : points_[points_.size() - back];
  struct Row {
    const std::string* name;
    uint64_t recent;
    uint64_t total;
  };
  std::vector<Row> rows;
  for (const auto& [name, total] : now.errors) {
    const auto it = old.errors.find(name);
    const uint64_t before = it == old.errors.end() ? 0 : std::min(it->second, total);
    rows.push_back({&name, total - before, total});
  }
  // Most recent growth first, then most in total, then by name for a stable order.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.recent != b.recent) return a.recent > b.recent;
    if (a.total != b.total) return a.total > b.total;
    return *a.name < *b.name;
  });
  if (rows.size() > options_.top_errors) rows.resize(options_.top_errors);
  std::string out = "[";
  for (const Row& r : rows) {
    if (out.size() > 1) out += ',';
    out += codec::JsonObjectWriter()
               .String("name", *r.name)
               .Integer("last_minute", static_cast<int64_t>(r.recent))
               .Integer("total", static_cast<int64_t>(r.total))
               .Finish();
  }
  out += ']';
  return out;
}

}  // namespace sela::api
