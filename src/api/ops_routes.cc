#include "api/ops_routes.h"

#include <ctime>
#include <memory>

#include "api/rest_table.h"
#include "net/server.h"

namespace sela::api {

std::string IsoTimestamp(int64_t wall_ms) {
  std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf,
                static_cast<int>(wall_ms % 1000));
  return out;
}

void AddOpsRoutes(net::Router& router, const Clock& clock, MetricsRegistry& metrics,
                  OpsState state) {
  router.Add("GET", "/health", [&clock](net::HttpRequest&, net::HttpReply reply) {
    reply.Send(net::HttpResponse::Json(
        200, R"({"success":true,"message":"Server is healthy","data":{"status":"healthy","timestamp":")" +
                 IsoTimestamp(clock.WallMs()) + R"(","service":"Sela Network Hybrid Server"}})"));
  });
  router.Add("GET", "/api/health", [&clock, ping = state.store_ping](net::HttpRequest&, net::HttpReply reply) {
    auto shared = std::make_shared<net::HttpReply>(std::move(reply));
    ping([&clock, shared](Status st) {
      if (st.ok()) {
        shared->Send(net::HttpResponse::Json(
            200, R"({"success":true,"message":"Database is healthy","data":{"status":"healthy","timestamp":")" +
                     IsoTimestamp(clock.WallMs()) + R"("}})"));
      } else {
        shared->Send(ErrorResponse(503, "Service unhealthy"));
      }
    });
  });
  router.Add("GET", "/ready", [ready = state.ready, ping = state.store_ping](net::HttpRequest&, net::HttpReply reply) {
    auto not_ready = [](net::HttpReply& r) {
      r.Send(ErrorResponse(503, "not ready", R"({"status":"unavailable"})"));
    };
    if (!ready()) {
      not_ready(reply);
      return;
    }
    auto shared = std::make_shared<net::HttpReply>(std::move(reply));
    ping([shared, not_ready](Status st) {
      if (st.ok()) {
        shared->Send(net::HttpResponse::Json(200, R"({"success":true,"message":"ready","data":{"status":"ready"}})"));
      } else {
        not_ready(*shared);
      }
    });
  });
  router.Add("GET", "/metrics", [&metrics](net::HttpRequest&, net::HttpReply reply) {
    net::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.RenderPrometheus();
    reply.Send(std::move(r));
  });
}

}  // namespace sela::api
