#include "worker_report.h"

#include <algorithm>

namespace loadgen {
namespace {

int64_t EarliestSet(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

JsonValue PhaseToJson(const PhaseStats& p) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("attempted", p.attempted);
  j.Set("opened", p.opened);
  j.Set("ready", p.ready);
  j.Set("failed", p.failed);
  j.Set("retries", p.retries);
  j.Set("start_ns", p.start_ns);
  j.Set("first_connect_ns", p.first_connect_ns);
  j.Set("last_ready_ns", p.last_ready_ns);
  j.Set("latency", HistogramToJson(p.latency));
  return j;
}

std::expected<PhaseStats, std::string> PhaseFromJson(const JsonValue& j) {
  PhaseStats p;
  p.attempted = j["attempted"].AsInt();
  p.opened = j["opened"].AsInt();
  p.ready = j["ready"].AsInt();
  p.failed = j["failed"].AsInt();
  p.retries = j["retries"].AsInt();
  p.start_ns = j["start_ns"].AsInt();
  p.first_connect_ns = j["first_connect_ns"].AsInt();
  p.last_ready_ns = j["last_ready_ns"].AsInt();
  auto latency = HistogramFromJson(j["latency"]);
  if (!latency) return std::unexpected(latency.error());
  p.latency = std::move(*latency);
  return p;
}

void MergePhase(const PhaseStats& from, PhaseStats& into) {
  into.attempted += from.attempted;
  into.opened += from.opened;
  into.ready += from.ready;
  into.failed += from.failed;
  into.retries += from.retries;
  into.start_ns = EarliestSet(into.start_ns, from.start_ns);
  into.first_connect_ns = EarliestSet(into.first_connect_ns, from.first_connect_ns);
  into.last_ready_ns = std::max(into.last_ready_ns, from.last_ready_ns);
  into.latency.Merge(from.latency);
}

JsonValue PingToJson(const PingStats& p) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("round_trips", p.round_trips);
  j.Set("round_trips_in_window", p.round_trips_in_window);
  j.Set("error_replies", p.error_replies);
  j.Set("start_ns", p.start_ns);
  j.Set("stop_ns", p.stop_ns);
  j.Set("latency", HistogramToJson(p.latency));
  return j;
}

std::expected<PingStats, std::string> PingFromJson(const JsonValue& j) {
  PingStats p;
  p.round_trips = j["round_trips"].AsInt();
  p.round_trips_in_window = j["round_trips_in_window"].AsInt();
  p.error_replies = j["error_replies"].AsInt();
  p.start_ns = j["start_ns"].AsInt();
  p.stop_ns = j["stop_ns"].AsInt();
  auto latency = HistogramFromJson(j["latency"]);
  if (!latency) return std::unexpected(latency.error());
  p.latency = std::move(*latency);
  return p;
}

JsonValue JobsToJson(const JobStats& s) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("customers_connected", s.customers_connected);
  j.Set("submitted", s.submitted);
  j.Set("late", s.late);
  j.Set("unsent", s.unsent);
  j.Set("completed", s.completed);
  j.Set("completed_in_window", s.completed_in_window);
  j.Set("failed", s.failed);
  j.Set("lost", s.lost);
  j.Set("unanswered", s.unanswered);
  j.Set("reconnects", s.reconnects);
  JsonValue statuses = JsonValue::MakeObject();
  for (const auto& [status, count] : s.statuses) statuses.Set(status, count);
  j.Set("statuses", std::move(statuses));
  j.Set("start_ns", s.start_ns);
  j.Set("stop_ns", s.stop_ns);
  j.Set("latency", HistogramToJson(s.latency));
  j.Set("scheduled_latency", HistogramToJson(s.scheduled_latency));
  j.Set("customers_cpu_s", s.customers_cpu_s);
  j.Set("dispatches", s.dispatches);
  j.Set("results_sent", s.results_sent);
  j.Set("results_acked", s.results_acked);
  j.Set("results_refused", s.results_refused);
  return j;
}

std::expected<JobStats, std::string> JobsFromJson(const JsonValue& j) {
  JobStats s;
  s.customers_connected = j["customers_connected"].AsInt();
  s.submitted = j["submitted"].AsInt();
  s.late = j["late"].AsInt();
  s.unsent = j["unsent"].AsInt();
  s.completed = j["completed"].AsInt();
  s.completed_in_window = j["completed_in_window"].AsInt();
  s.failed = j["failed"].AsInt();
  s.lost = j["lost"].AsInt();
  s.unanswered = j["unanswered"].AsInt();
  s.reconnects = j["reconnects"].AsInt();
  for (const auto& [status, count] : j["statuses"].AsObject()) s.statuses[status] = count.AsInt();
  s.start_ns = j["start_ns"].AsInt();
  s.stop_ns = j["stop_ns"].AsInt();
  auto latency = HistogramFromJson(j["latency"]);
  if (!latency) return std::unexpected(latency.error());
  s.latency = std::move(*latency);
  auto scheduled = HistogramFromJson(j["scheduled_latency"]);
  if (!scheduled) return std::unexpected(scheduled.error());
  s.scheduled_latency = std::move(*scheduled);
  s.customers_cpu_s = j["customers_cpu_s"].AsDouble();
  s.dispatches = j["dispatches"].AsInt();
  s.results_sent = j["results_sent"].AsInt();
  s.results_acked = j["results_acked"].AsInt();
  s.results_refused = j["results_refused"].AsInt();
  return s;
}

void MergeJobs(const JobStats& from, JobStats& into) {
  into.customers_connected += from.customers_connected;
  into.submitted += from.submitted;
  into.late += from.late;
  into.unsent += from.unsent;
  into.completed += from.completed;
  into.completed_in_window += from.completed_in_window;
  into.failed += from.failed;
  into.lost += from.lost;
  into.unanswered += from.unanswered;
  into.reconnects += from.reconnects;
  for (const auto& [status, count] : from.statuses) into.statuses[status] += count;
  into.start_ns = EarliestSet(into.start_ns, from.start_ns);
  into.stop_ns = std::max(into.stop_ns, from.stop_ns);
  into.latency.Merge(from.latency);
  into.scheduled_latency.Merge(from.scheduled_latency);
  into.customers_cpu_s += from.customers_cpu_s;
  into.dispatches += from.dispatches;
  into.results_sent += from.results_sent;
  into.results_acked += from.results_acked;
  into.results_refused += from.results_refused;
}

}  // namespace

JsonValue HistogramToJson(const LatencyHistogram& h) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("count", h.count());
  j.Set("min", h.min_us());
  j.Set("max", h.max_us());
  j.Set("sum", h.sum_us());
  j.Set("clamped", h.clamped_count());
  JsonValue buckets = JsonValue::MakeArray();
  for (const auto& [index, count] : h.NonZeroBuckets()) {
    buckets.Push(JsonValue(JsonValue::Array{index, count}));
  }
  j.Set("buckets", std::move(buckets));
  return j;
}

std::expected<LatencyHistogram, std::string> HistogramFromJson(const JsonValue& j) {
  LatencyHistogram h;
  for (const JsonValue& bucket : j["buckets"].AsArray()) {
    const auto& pair = bucket.AsArray();
    if (pair.size() != 2 ||
        !h.AddBucketCount(static_cast<int32_t>(pair[0].AsInt()), pair[1].AsInt())) {
      return std::unexpected("bad histogram bucket in worker report");
    }
  }
  if (h.count() != j["count"].AsInt()) return std::unexpected("histogram count mismatch");
  h.RestoreSummary(j["min"].AsInt(), j["max"].AsInt(), j["sum"].AsInt(), j["clamped"].AsInt());
  return h;
}

JsonValue LatencySummaryJson(const LatencyHistogram& h) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("count", h.count());
  j.Set("p50", h.ValueAtPercentile(50));
  j.Set("p90", h.ValueAtPercentile(90));
  j.Set("p99", h.ValueAtPercentile(99));
  j.Set("p999", h.ValueAtPercentile(99.9));
  j.Set("max", h.max_us());
  j.Set("mean", static_cast<double>(static_cast<int64_t>(h.mean_us() * 10)) / 10);
  return j;
}

JsonValue WorkerReportToJson(const WorkerReport& r) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("workers", r.workers);
  j.Set("nodes", r.nodes);
  j.Set("connect", PhaseToJson(r.connect));
  JsonValue rounds = JsonValue::MakeArray();
  for (const PhaseStats& round : r.rounds) rounds.Push(PhaseToJson(round));
  j.Set("rounds", std::move(rounds));
  j.Set("ping", PingToJson(r.ping));
  j.Set("jobs", JobsToJson(r.jobs));
  j.Set("heartbeats_sent", r.heartbeats_sent);
  j.Set("heartbeat_acks", r.heartbeat_acks);
  j.Set("closed_clean", r.closed_clean);
  j.Set("close_timeouts", r.close_timeouts);
  j.Set("dropped", r.dropped);
  JsonValue errors = JsonValue::MakeObject();
  for (const auto& [name, count] : r.errors) errors.Set(name, count);
  j.Set("errors", std::move(errors));
  j.Set("cpu_s", r.cpu_s);
  j.Set("wall_s", r.wall_s);
  j.Set("measure_cpu_s", r.measure_cpu_s);
  j.Set("measure_wall_s", r.measure_wall_s);
  j.Set("measure_cpu_fraction_max", r.measure_cpu_fraction_max);
  return j;
}

std::expected<WorkerReport, std::string> WorkerReportFromJson(const JsonValue& j) {
  if (!j.is_object()) return std::unexpected("worker report is not a JSON object");
  WorkerReport r;
  r.workers = j["workers"].AsInt();
  r.nodes = j["nodes"].AsInt();
  auto connect = PhaseFromJson(j["connect"]);
  if (!connect) return std::unexpected(connect.error());
  r.connect = std::move(*connect);
  for (const JsonValue& round : j["rounds"].AsArray()) {
    auto phase = PhaseFromJson(round);
    if (!phase) return std::unexpected(phase.error());
    r.rounds.push_back(std::move(*phase));
  }
  auto ping = PingFromJson(j["ping"]);
  if (!ping) return std::unexpected(ping.error());
  r.ping = std::move(*ping);
  auto jobs = JobsFromJson(j["jobs"]);
  if (!jobs) return std::unexpected(jobs.error());
  r.jobs = std::move(*jobs);
  r.heartbeats_sent = j["heartbeats_sent"].AsInt();
  r.heartbeat_acks = j["heartbeat_acks"].AsInt();
  r.closed_clean = j["closed_clean"].AsInt();
  r.close_timeouts = j["close_timeouts"].AsInt();
  r.dropped = j["dropped"].AsInt();
  for (const auto& [name, count] : j["errors"].AsObject()) r.errors[name] = count.AsInt();
  r.cpu_s = j["cpu_s"].AsDouble();
  r.wall_s = j["wall_s"].AsDouble();
  r.measure_cpu_s = j["measure_cpu_s"].AsDouble();
  r.measure_wall_s = j["measure_wall_s"].AsDouble();
  r.measure_cpu_fraction_max = j["measure_cpu_fraction_max"].AsDouble();
  return r;
}

void MergeWorkerReport(const WorkerReport& from, WorkerReport& into) {
  into.workers += from.workers;
  into.nodes += from.nodes;
  MergePhase(from.connect, into.connect);
  if (into.rounds.size() < from.rounds.size()) into.rounds.resize(from.rounds.size());
  for (size_t i = 0; i < from.rounds.size(); ++i) MergePhase(from.rounds[i], into.rounds[i]);
  into.ping.round_trips += from.ping.round_trips;
  into.ping.round_trips_in_window += from.ping.round_trips_in_window;
  into.ping.error_replies += from.ping.error_replies;
  into.ping.start_ns = EarliestSet(into.ping.start_ns, from.ping.start_ns);
  into.ping.stop_ns = std::max(into.ping.stop_ns, from.ping.stop_ns);
  into.ping.latency.Merge(from.ping.latency);
  MergeJobs(from.jobs, into.jobs);
  into.heartbeats_sent += from.heartbeats_sent;
  into.heartbeat_acks += from.heartbeat_acks;
  into.closed_clean += from.closed_clean;
  into.close_timeouts += from.close_timeouts;
  into.dropped += from.dropped;
  for (const auto& [name, count] : from.errors) into.errors[name] += count;
  into.cpu_s += from.cpu_s;
  into.wall_s = std::max(into.wall_s, from.wall_s);
  into.measure_cpu_s += from.measure_cpu_s;
  into.measure_wall_s = std::max(into.measure_wall_s, from.measure_wall_s);
  into.measure_cpu_fraction_max =
      std::max(into.measure_cpu_fraction_max, from.measure_cpu_fraction_max);
}

}  // namespace loadgen
