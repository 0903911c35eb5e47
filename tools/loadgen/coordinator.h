// Coordinator: the parent process. It never touches a connection; it forks
// the workers, moves them through the scenario's phases together, samples
// the server between phases, merges the workers' reports and prints the
// one JSON object of the run.
//
// Why always fork, even for one worker: the parent can then sample the
// server and sleep through --settle-s without an event loop to keep
// serving, and the one-process and many-process runs share one code path.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "options.h"

namespace loadgen {

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft
// limit.
int64_t RaiseFdLimit();

// Worker processes needed for `nodes` connections when each process may
// hold `fd_limit` descriptors (a few are kept for the process itself), or an
// error when `requested_procs` (0 = auto) cannot fit them.
std::expected<int64_t, std::string> WorkerProcesses(int64_t nodes, int64_t requested_procs,
                                                    int64_t fd_limit);

// Runs the whole scenario; returns the process exit code (0: the run
// finished, whatever it measured; 1: it failed; 3: --max-runtime-s passed).
int RunCoordinator(const Options& options, const Endpoints& endpoints);

}  // namespace loadgen
