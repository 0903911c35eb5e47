// Operations endpoints (ARCHITECTURE.md §2 "Ops"; docs/OPERATIONS.md):
// /health (liveness, same body as the original), /api/health (the store
// answers, as the original pinged Redis), /ready (readiness: 503 while
// starting, draining or when the store does not answer), /metrics
// (Prometheus text), the API description (/openapi.json, /swagger.yaml) with
// Swagger UI at /api/docs, and the dashboard page at /admin (its data comes
// over the /admin/feed WebSocket, see api/dashboard.h).
//
// Like the REST modules, the routes are a table (OpsRouteTable()) that
// registration, the OpenAPI description and the drift test read. The
// WebSocket endpoints are listed in WebSocketRouteTable(): the server
// upgrades on any path, so they are not router routes.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "api/rest_table.h"
#include "api/security_events.h"
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
  // ADMIN_TOKEN; empty: /admin answers 403 (the dashboard is disabled).
  std::string admin_token;
  // METRICS_TOKEN; when set, /metrics answers 401 without
  // `Authorization: Bearer <it>`; empty: /metrics is open.
  std::string metrics_token;
  // Counts and logs refused /metrics requests; null in tests that do not look.
  SecurityEvents* events = nullptr;
  // The API description, served as is (see api/openapi.h).
  std::string openapi_json;
  std::string openapi_yaml;
};

std::span<const RestRouteInfo> OpsRouteTable();
std::span<const RestRouteInfo> WebSocketRouteTable();

void AddOpsRoutes(net::Router& router, const Clock& clock, MetricsRegistry& metrics, OpsState state);

// 2026-11-25T19:24:20.993Z, as JavaScript's Date#toISOString prints it.
std::string IsoTimestamp(int64_t wall_ms);

}  // namespace sela::api
