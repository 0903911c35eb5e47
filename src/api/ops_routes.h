// Operations endpoints: /health (liveness, same body as the original),
// /api/health (the store answers, as the original pinged Redis), /ready
// (readiness: 503 while starting, draining or when the store does not
// answer) and /metrics (Prometheus text).
#pragma once

#include <functional>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "net/router.h"

namespace sela::api {

struct OpsState {
  // True once start-up finished and until draining starts.
  std::function<bool()> ready;
  // Asks the store whether it can serve; calls back with the answer.
  std::function<void(std::function<void(Status)>)> store_ping;
};

void AddOpsRoutes(net::Router& router, const Clock& clock, MetricsRegistry& metrics,
                  OpsState state);

// 2026-11-25T19:24:20.993Z, as JavaScript's Date#toISOString prints it.
std::string IsoTimestamp(int64_t wall_ms);

}  // namespace sela::api
