// WorkerReport: what one worker process measured, in a form that crosses the
// pipe to the parent as JSON and merges with the other workers' reports.
//
// Timestamps are CLOCK_MONOTONIC nanoseconds, which all processes on the host
// share, so "first connect of any worker" and "last registration of any
// worker" can be compared directly after a merge.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "histogram.h"
#include "json.h"

namespace loadgen {

// One wave of connections: the initial connect of every scenario, and each
// storm round.
struct PhaseStats {
  int64_t attempted = 0;         // Nodes this phase tried to bring up.
  int64_t opened = 0;            // Completed the WebSocket handshake.
  int64_t ready = 0;             // Reached "open" (--raw) or "registered".
  int64_t failed = 0;            // Gave up on, after retries where allowed.
  int64_t retries = 0;           // Connect attempts repeated after a failure.
  int64_t start_ns = 0;          // Phase start; 0 when unset.
  int64_t first_connect_ns = 0;  // First connect() of the phase; 0 when none.
  int64_t last_ready_ns = 0;     // Last node becoming ready; 0 when none.
  LatencyHistogram latency;      // connect() start of the successful attempt -> ready.
};

struct PingStats {
  int64_t round_trips = 0;            // Replies matched to a request.
  int64_t round_trips_in_window = 0;  // ... of which arrived before the stop signal.
  int64_t error_replies = 0;          // Requests answered with an error reply.
  int64_t start_ns = 0;
  int64_t stop_ns = 0;
  LatencyHistogram latency;
};

// The jobs scenario. The customer worker fills the customer half, the node
// workers the node half; merging the reports adds them up.
struct JobStats {
  // Customers (HTTP, POST /api/rpc/scrapeUrl).
  int64_t customers_connected = 0;  // Connections open at the end of the connect phase.
  int64_t submitted = 0;            // Requests written in the window.
  int64_t late = 0;       // Open loop: due while every connection was full; queued instead.
  int64_t unsent = 0;     // Open loop: still queued when the window closed; never sent.
  int64_t completed = 0;  // 200 responses (window and drain).
  int64_t completed_in_window = 0;
  int64_t failed = 0;      // Non-200 responses, and requests lost with their connection.
  int64_t lost = 0;        // ... of which lost: connection closed, reset or timed out.
  int64_t unanswered = 0;  // Still outstanding when the drain ended.
  int64_t reconnects = 0;  // Customer connections reopened after the server closed one.
  std::map<std::string, int64_t, std::less<>> statuses;  // Responses by HTTP status.
  int64_t start_ns = 0;    // Submission window.
  int64_t stop_ns = 0;
  LatencyHistogram latency;            // 200s: request written -> response read.
  LatencyHistogram scheduled_latency;  // Open loop 200s: due time -> response read.
  double customers_cpu_s = 0;          // The customer worker's CPU in the window.
  // Nodes (WebSocket).
  int64_t dispatches = 0;       // TWITTER_SCRAPE frames received.
  int64_t results_sent = 0;     // TWITTER_SCRAPE_RESULT frames sent.
  int64_t results_acked = 0;    // JobComplete replies.
  int64_t results_refused = 0;  // JobFailed, Error or success:false replies.
};

struct WorkerReport {
  int64_t workers = 1;
  int64_t nodes = 0;
  PhaseStats connect;
  std::vector<PhaseStats> rounds;
  PingStats ping;
  JobStats jobs;
  int64_t heartbeats_sent = 0;
  int64_t heartbeat_acks = 0;
  int64_t closed_clean = 0;    // Final close answered by the server's close frame or EOF.
  int64_t close_timeouts = 0;  // Final close not answered in time.
  int64_t dropped = 0;         // Ready connections lost without us closing them.
  std::map<std::string, int64_t, std::less<>> errors;  // Unusual events by name.
  double cpu_s = 0;
  double wall_s = 0;
  // The scenario's measured phase (hold: connect; ping: pinging; storm: the
  // rounds): CPU used, its wall time, and the busiest worker's CPU / wall.
  double measure_cpu_s = 0;
  double measure_wall_s = 0;
  double measure_cpu_fraction_max = 0;
};

JsonValue HistogramToJson(const LatencyHistogram& histogram);
std::expected<LatencyHistogram, std::string> HistogramFromJson(const JsonValue& json);

// {"count","p50","p90","p99","p999","max","mean"} in microseconds.
JsonValue LatencySummaryJson(const LatencyHistogram& histogram);

JsonValue WorkerReportToJson(const WorkerReport& report);
std::expected<WorkerReport, std::string> WorkerReportFromJson(const JsonValue& json);

// Adds `from` into `into`: counts and histograms add up, start times take the
// earliest, end times the latest, wall time the longest.
void MergeWorkerReport(const WorkerReport& from, WorkerReport& into);

}  // namespace loadgen
