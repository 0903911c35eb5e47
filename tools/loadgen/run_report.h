// The one JSON object sela-loadgen prints per run, built from the merged
// worker reports and the server samples taken by the parent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "json.h"
#include "options.h"
#include "proc_stats.h"
#include "worker_report.h"

namespace loadgen {

// Server readings at the scenario's phase boundaries (absent when
// --server-pid is not given or the reading failed).
struct ServerSamples {
  int64_t pid = 0;
  std::optional<ProcessSample> before;         // Before the first connect.
  std::optional<ProcessSample> after_connect;  // All ready, then --settle-s idle.
  std::optional<ProcessSample> after_measure;  // End of idle / ping / storm rounds.
  std::optional<ProcessSample> end;            // After every connection closed.
  std::string error;                           // First failed reading, if any.
};

struct LoadgenFacts {
  int64_t procs = 1;
  double cpu_s = 0;  // Parent and workers.
  double wall_s = 0;
  double idle_s = 0;  // hold: parent-measured idle time after all connected.
};

JsonValue BuildRunReport(const Options& options, const WorkerReport& merged,
                         const ServerSamples& server, const LoadgenFacts& loadgen);

// {"scenario":..,"error":..}: what a run that could not finish prints.
JsonValue BuildErrorReport(const Options& options, std::string_view error);

}  // namespace loadgen
