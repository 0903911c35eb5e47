// Operations endpoints: /health and /api/health (liveness, same bodies as
// the original), /ready (readiness: 503 while starting or draining) and
// /metrics (Prometheus text).
#pragma once

#include <functional>

#include "core/clock.h"
#include "core/metrics.h"
#include "net/router.h"

namespace sela::api {

struct OpsState {
  // True once start-up finished and until draining starts.
  std::function<bool()> ready;
};

void AddOpsRoutes(net::Router& router, const Clock& clock, MetricsRegistry& metrics,
                  OpsState state);

// 2026-11-25T19:24:20.993Z, as JavaScript's Date#toISOString prints it.
std::string IsoTimestamp(int64_t wall_ms);

}  // namespace sela::api
