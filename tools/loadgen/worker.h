// Worker: one child process running an Engine over its share of the nodes,
// or (jobs scenario, one extra process) the Customers loop of the API client,
// stepping through the scenario's phases when the parent says so.
//
// Pipe protocol (lines of text):
//   parent -> worker   "go"    start the next phase
//                      "stop"  end an open-ended phase (idle, ping)
//   worker -> parent   "done"  the current phase finished; waiting for "go"
//                      "result <json>"  the WorkerReport; the worker exits
//                      "error <text>"   could not start; the worker exits
// The engine keeps serving its connections (pongs, heartbeats) while the
// worker waits, so a barrier across workers never starves a connection.
// EOF on the control pipe means the parent is gone: the worker exits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace loadgen {

struct WorkerConfig {
  Options options;
  Endpoints endpoints;
  int worker_index = 0;
  int64_t first_node = 0;  // Global index of this worker's first node.
  int64_t node_count = 0;
  double connect_rate_per_s = 0;
  int64_t deadline_ns = 0;  // CLOCK_MONOTONIC; past it the worker exits.
  // jobs: this worker runs the API customers instead of nodes.
  bool customers = false;
  std::string api_uuid;
};

// The phases each scenario steps through, in order; shared by parent and
// workers so both sides agree on the number of "go"s.
enum class Phase { kConnect, kIdle, kPing, kStormRound, kJobs, kClose };
std::vector<Phase> ScenarioPhases(Scenario scenario, int64_t rounds);
// Open-ended phases run until "stop".
bool PhaseNeedsStop(Phase phase);

// Runs the worker to completion; returns the process exit code.
int RunWorker(const WorkerConfig& config, int control_fd, int report_fd);

}  // namespace loadgen
