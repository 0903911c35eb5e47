#include "run_report.h"

#include <cmath>

namespace loadgen {
namespace {

double Seconds(int64_t from_ns, int64_t to_ns) {
  return from_ns == 0 || to_ns < from_ns ? 0.0 : static_cast<double>(to_ns - from_ns) / 1e9;
}

// Figures are rounded for reading; the raw counts stay exact.
double Round3(double x) { return std::round(x * 1000) / 1000; }

JsonValue PerSecond(int64_t count, double seconds) {
  return seconds > 0 ? JsonValue(Round3(static_cast<double>(count) / seconds)) : JsonValue();
}

struct Measured {
  double duration_s = 0;
  const LatencyHistogram* latency = nullptr;
  JsonValue throughput_per_s;
  int64_t ops = 0;  // What server CPU per op divides by (0: not reported).
  std::string_view block_name;  // The scenario's own member of the report.
  JsonValue block;
};

JsonValue ConnectJson(const PhaseStats& c) {
  const double time_s = Seconds(c.first_connect_ns, c.last_ready_ns);
  JsonValue j = JsonValue::MakeObject();
  j.Set("time_s", Round3(time_s));
  j.Set("rate_per_s", PerSecond(c.ready, time_s));
  j.Set("latency_us", LatencySummaryJson(c.latency));
  return j;
}

JsonValue StormRoundsJson(const WorkerReport& r, LatencyHistogram& all, double& total_s,
                          int64_t& reconnected) {
  JsonValue rounds = JsonValue::MakeArray();
  for (size_t i = 0; i < r.rounds.size(); ++i) {
    const PhaseStats& p = r.rounds[i];
    const double time_s = Seconds(p.start_ns, p.last_ready_ns);
    JsonValue j = JsonValue::MakeObject();
    j.Set("round", static_cast<int64_t>(i + 1));
    j.Set("reconnected", p.ready);
    j.Set("failed", p.failed);
    j.Set("retries", p.retries);
    j.Set("time_s", Round3(time_s));
    j.Set("latency_us", LatencySummaryJson(p.latency));
    rounds.Push(std::move(j));
    all.Merge(p.latency);
    total_s += time_s;
    reconnected += p.ready;
  }
  return rounds;
}

JsonValue JobsJson(const Options& o, const JobStats& j, double window_s) {
  JsonValue b = JsonValue::MakeObject();
  b.Set("loop", o.job_rate_per_s > 0 ? "open" : "closed");
  b.Set("job_rate_per_s", o.job_rate_per_s);
  b.Set("customers", o.customers);
  b.Set("customers_connected", j.customers_connected);
  b.Set("pipeline", o.pipeline);
  b.Set("result_bytes", o.result_bytes);
  b.Set("result_delay_ms", o.result_delay_ms);
  b.Set("timeout_ms", o.timeout_ms);
  b.Set("submitted", j.submitted);
  b.Set("submitted_per_s", PerSecond(j.submitted, window_s));
  b.Set("completed", j.completed);
  b.Set("completed_in_window", j.completed_in_window);
  b.Set("failed", j.failed);
  b.Set("lost", j.lost);
  b.Set("unanswered", j.unanswered);
  b.Set("late", j.late);
  b.Set("unsent", j.unsent);
  b.Set("reconnects", j.reconnects);
  JsonValue statuses = JsonValue::MakeObject();
  for (const auto& [status, count] : j.statuses) statuses.Set(status, count);
  b.Set("statuses", std::move(statuses));
  if (o.job_rate_per_s > 0) b.Set("scheduled_latency_us", LatencySummaryJson(j.scheduled_latency));
  b.Set("node_dispatches", j.dispatches);
  b.Set("node_results_sent", j.results_sent);
  b.Set("node_results_acked", j.results_acked);
  b.Set("node_results_refused", j.results_refused);
  b.Set("customers_cpu_s", Round3(j.customers_cpu_s));
  return b;
}

// What the scenario measured, and its own block of the report.
Measured MeasureScenario(const Options& o, const WorkerReport& r, const LoadgenFacts& facts,
                         LatencyHistogram& storm_latency) {
  Measured m;
  JsonValue block = JsonValue::MakeObject();
  if (o.scenario == Scenario::kHold) {
    m.duration_s = facts.idle_s;
    m.latency = &r.connect.latency;
    m.throughput_per_s = PerSecond(r.connect.ready, Seconds(r.connect.first_connect_ns, r.connect.last_ready_ns));
    block.Set("idle_s", Round3(facts.idle_s));
    block.Set("heartbeat_s", o.raw ? 0.0 : o.heartbeat_s);
    block.Set("heartbeats_sent", r.heartbeats_sent);
    block.Set("heartbeat_acks", r.heartbeat_acks);
    m.block_name = "hold";
  } else if (o.scenario == Scenario::kPing) {
    m.duration_s = Seconds(r.ping.start_ns, r.ping.stop_ns);
    m.latency = &r.ping.latency;
    m.throughput_per_s = PerSecond(r.ping.round_trips_in_window, m.duration_s);
    m.ops = r.ping.round_trips;
    block.Set("connections", r.connect.ready);
    block.Set("inflight", o.inflight);
    block.Set("kind", o.raw ? "websocket-ping" : "v1-PING");
    block.Set("round_trips", r.ping.round_trips);
    block.Set("error_replies", r.ping.error_replies);
    m.block_name = "ping";
  } else if (o.scenario == Scenario::kJobs) {
    m.duration_s = Seconds(r.jobs.start_ns, r.jobs.stop_ns);
    m.latency = &r.jobs.latency;
    m.throughput_per_s = PerSecond(r.jobs.completed_in_window, m.duration_s);
    m.ops = r.jobs.completed;
    block = JobsJson(o, r.jobs, m.duration_s);
    m.block_name = "jobs";
  } else {
    int64_t reconnected = 0;
    block = StormRoundsJson(r, storm_latency, m.duration_s, reconnected);
    m.block_name = "rounds";
    m.latency = &storm_latency;
    m.throughput_per_s = PerSecond(reconnected, m.duration_s);
    m.ops = reconnected;
  }
  m.block = std::move(block);
  return m;
}

JsonValue CpuDelta(const std::optional<ProcessSample>& from, const std::optional<ProcessSample>& to) {
  if (!from || !to) return JsonValue();
  return Round3(to->cpu_s - from->cpu_s);
}

JsonValue ServerJson(const Options& o, const ServerSamples& s, int64_t connected, int64_t ops) {
  if (s.pid == 0) return JsonValue();
  auto rss = [](const std::optional<ProcessSample>& x) { return x ? JsonValue(x->rss_bytes) : JsonValue(); };
  JsonValue j = JsonValue::MakeObject();
  j.Set("pid", s.pid);
  j.Set("rss_before_bytes", rss(s.before));
  j.Set("rss_after_bytes", rss(s.after_connect));
  j.Set("rss_end_bytes", rss(s.end));
  JsonValue per_connection;
  if (s.before && s.after_connect && connected > 0) {
    per_connection = Round3(static_cast<double>(s.after_connect->rss_bytes - s.before->rss_bytes) /
                            static_cast<double>(connected));
  }
  j.Set("rss_bytes_per_connection", std::move(per_connection));
  JsonValue anon_per_connection;
  if (s.before && s.after_connect && connected > 0) {
    anon_per_connection = Round3(static_cast<double>(s.after_connect->rss_anon_bytes - s.before->rss_anon_bytes) /
                                 static_cast<double>(connected));
  }
  j.Set("rss_anon_bytes_per_connection", std::move(anon_per_connection));
  // hold measures the connect phase; ping and storm the phase after it.
  const bool hold = o.scenario == Scenario::kHold;
  j.Set("cpu_s", hold ? CpuDelta(s.before, s.after_connect) : CpuDelta(s.after_connect, s.after_measure));
  if (hold) j.Set("cpu_idle_s", CpuDelta(s.after_connect, s.after_measure));
  if (ops > 0 && s.after_connect && s.after_measure) {
    j.Set("cpu_us_per_op", Round3((s.after_measure->cpu_s - s.after_connect->cpu_s) * 1e6 /
                                  static_cast<double>(ops)));
  }
  j.Set("cpu_total_s", CpuDelta(s.before, s.end));
  if (!s.error.empty()) j.Set("error", s.error);
  return j;
}

}  // namespace

JsonValue BuildRunReport(const Options& o, const WorkerReport& r, const ServerSamples& server,
                         const LoadgenFacts& facts) {
  JsonValue out = JsonValue::MakeObject();
  out.Set("scenario", ScenarioName(o.scenario));
  out.Set("mode", o.raw ? "raw" : o.protocol == 2 ? "v2" : "v1");
  out.Set("nodes", o.nodes);
  out.Set("connected", r.connect.opened);
  out.Set("registered", o.raw ? JsonValue() : JsonValue(r.connect.ready));
  out.Set("failed", r.connect.failed);
  out.Set("retries", r.connect.retries);
  LatencyHistogram storm_latency;
  Measured m = MeasureScenario(o, r, facts, storm_latency);
  out.Set("duration_s", Round3(m.duration_s));
  out.Set("latency_us", LatencySummaryJson(*m.latency));
  out.Set("throughput_per_s", m.throughput_per_s);
  out.Set(m.block_name, std::move(m.block));
  out.Set("connect", ConnectJson(r.connect));
  JsonValue close = JsonValue::MakeObject();
  close.Set("clean", r.closed_clean);
  close.Set("timeouts", r.close_timeouts);
  out.Set("close", std::move(close));
  out.Set("dropped", r.dropped);
  out.Set("server", ServerJson(o, server, r.connect.ready, m.ops));
  JsonValue lg = JsonValue::MakeObject();
  lg.Set("procs", facts.procs);
  lg.Set("cpu_s", Round3(facts.cpu_s));
  lg.Set("wall_s", Round3(facts.wall_s));
  lg.Set("measure_cpu_s", Round3(r.measure_cpu_s));
  lg.Set("busiest_proc_cpu_fraction", Round3(r.measure_cpu_fraction_max));
  lg.Set("connect_rate_per_s", o.connect_rate_per_s);
  lg.Set("source_ips", o.source_ips);
  out.Set("loadgen", std::move(lg));
  JsonValue errors = JsonValue::MakeObject();
  for (const auto& [name, count] : r.errors) errors.Set(name, count);
  out.Set("errors", std::move(errors));
  return out;
}

JsonValue BuildErrorReport(const Options& o, std::string_view error) {
  JsonValue out = JsonValue::MakeObject();
  out.Set("scenario", ScenarioName(o.scenario));
  out.Set("nodes", o.nodes);
  out.Set("error", std::string(error));
  return out;
}

}  // namespace loadgen
