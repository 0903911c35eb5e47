// sela-loadgen: simulates many Sela node WebSocket connections (and, in the
// jobs scenario, API customers submitting jobs over REST) against a local
// server and prints one JSON object of measurements. See README.md.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "coordinator.h"
#include "options.h"
#include "run_report.h"

int main(int argc, char** argv) {
  // Writes to a closed socket or to a dead worker's pipe must come back as
  // errors, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = loadgen::ParseOptions(args);
  if (!options) {
    std::fprintf(stderr, "sela-loadgen: %s\n(sela-loadgen --help lists the options)\n",
                 options.error().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(loadgen::UsageText().c_str(), stdout);
    return 0;
  }
  auto endpoints = loadgen::ResolveEndpoints(*options);
  if (!endpoints) {
    std::fprintf(stderr, "sela-loadgen: %s\n", endpoints.error().c_str());
    return 2;
  }
  return loadgen::RunCoordinator(*options, *endpoints);
}
