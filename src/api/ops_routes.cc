#include "api/ops_routes.h"

#include <cassert>
#include <ctime>
#include <memory>

#include "api/static_assets.h"
#include "net/server.h"

namespace sela::api {

namespace {

constexpr RestRouteInfo kOpsRoutes[] = {
    {"O1", "GET", "/health", RestAuth::kNone, "Liveness: the process serves HTTP (the original's body)."},
    {"O2", "GET", "/api/health", RestAuth::kNone, "The store answers (the original pinged Redis)."},
    {"O3", "GET", "/ready", RestAuth::kNone, "Readiness: 200 when serving; 503 while starting, draining or "
                                             "when the store does not answer."},
    {"O4", "GET", "/metrics", RestAuth::kNone, "Prometheus text exposition (version 0.0.4). "
                                              "With METRICS_TOKEN set: Authorization: Bearer $METRICS_TOKEN, else 401."},
    {"O5", "GET", "/openapi.json", RestAuth::kNone, "This API description (OpenAPI 3.1, JSON)."},
    {"O6", "GET", "/swagger.yaml", RestAuth::kNone, "This API description (OpenAPI 3.1, YAML)."},
    {"O7", "GET", "/api/docs", RestAuth::kNone, "Swagger UI on this description, served from the binary."},
    {"O8", "GET", "/api/docs/:file", RestAuth::kNone, "Swagger UI's files (swagger-ui-dist, vendored)."},
    {"O9", "GET", "/admin", RestAuth::kNone,
     "The live dashboard page; it asks for ADMIN_TOKEN and reads /admin/feed. 403 when no ADMIN_TOKEN is set."},
    {"O10", "GET", "/admin/:file", RestAuth::kNone, "The dashboard's script and style sheet."},
};

constexpr RestRouteInfo kWebSocketRoutes[] = {
    {"W1", "GET", "/", RestAuth::kNone,
     "WebSocket: node protocol v1 (docs/PROTOCOL-V1.md). Any path but /admin/feed upgrades to it; the "
     "principal comes from the first message or from Authorization / ?authorization= / ?principal_id=."},
    {"W2", "GET", "/admin/feed", RestAuth::kAdmin,
     "WebSocket: the dashboard feed, one JSON sample per second (docs/OPERATIONS.md). ADMIN_TOKEN in the "
     "upgrade's Authorization header or in the first message {\"type\":\"auth\",\"token\":...}."},
};

net::HttpResponse AssetResponse(const net::HttpRequest& request, const StaticAsset& asset) {
  const std::string etag = "\"" + std::string(asset.sha256.substr(0, 32)) + "\"";
  net::HttpResponse r;
  if (request.Header("If-None-Match") == etag) {
    r.status = 304;
    r.content_type.clear();
  } else {
    r.content_type = std::string(asset.content_type);
    r.body = std::string(asset.bytes);
  }
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

void ServeAsset(net::HttpRequest& request, net::HttpReply reply) {
  std::string_view path = request.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const StaticAsset* asset = FindStaticAsset(path);
  if (asset == nullptr) {
    reply.Send(ErrorResponse(404, "File not found"));
    return;
  }
  reply.Send(AssetResponse(request, *asset));
}

net::HttpResponse Document(std::string_view content_type, const std::string& body) {
  net::HttpResponse r;
  r.content_type = std::string(content_type);
  r.body = body;
  return r;
}

}  // namespace

std::span<const RestRouteInfo> OpsRouteTable() { return kOpsRoutes; }
std::span<const RestRouteInfo> WebSocketRouteTable() { return kWebSocketRoutes; }

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

namespace {

net::HttpHandler HealthHandler(const Clock& clock) {
  return [&clock](net::HttpRequest&, net::HttpReply reply) {
    reply.Send(net::HttpResponse::Json(
        200, R"({"success":true,"message":"Server is healthy","data":{"status":"healthy","timestamp":")" +
                 IsoTimestamp(clock.WallMs()) + R"(","service":"Sela Network Hybrid Server"}})"));
  };
}

net::HttpHandler StoreHealthHandler(const Clock& clock, std::function<void(std::function<void(Status)>)> ping) {
  return [&clock, ping = std::move(ping)](net::HttpRequest&, net::HttpReply reply) {
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
  };
}

net::HttpHandler ReadyHandler(std::function<bool()> ready, std::function<void(std::function<void(Status)>)> ping) {
  return [ready = std::move(ready), ping = std::move(ping)](net::HttpRequest&, net::HttpReply reply) {
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
  };
}

net::HttpHandler AdminPageHandler(std::string admin_token) {
  return [disabled = admin_token.empty()](net::HttpRequest& request, net::HttpReply reply) {
    if (disabled) {
      reply.Send(AdminRefusal(AdminCheck::kDisabled));
      return;
    }
    ServeAsset(request, std::move(reply));
  };
}

}  // namespace

void AddOpsRoutes(net::Router& router, const Clock& clock, MetricsRegistry& metrics, OpsState state) {
  auto shared = std::make_shared<const OpsState>(std::move(state));
  for (const RestRouteInfo& route : kOpsRoutes) {
    net::HttpHandler handler;
    const std::string_view id = route.id;
    if (id == "O1") handler = HealthHandler(clock);
    if (id == "O2") handler = StoreHealthHandler(clock, shared->store_ping);
    if (id == "O3") handler = ReadyHandler(shared->ready, shared->store_ping);
    if (id == "O4") {
      handler = [&metrics, shared](net::HttpRequest& request, net::HttpReply reply) {
        if (!shared->metrics_token.empty()) {
          const AdminCheck check = CheckAdminToken(request.Header("Authorization"), shared->metrics_token);
          if (check != AdminCheck::kAllowed) {
            if (shared->events) shared->events->Refused(Refusal::kMetricsTokenRefused, {{"peer", request.peer}});
            reply.Send(AdminRefusal(check));
            return;
          }
        }
        reply.Send(Document("text/plain; version=0.0.4; charset=utf-8", metrics.RenderPrometheus()));
      };
    }
    if (id == "O5") {
      handler = [shared](net::HttpRequest&, net::HttpReply reply) {
        reply.Send(Document("application/json; charset=utf-8", shared->openapi_json));
      };
    }
    if (id == "O6") {
      handler = [shared](net::HttpRequest&, net::HttpReply reply) {
        reply.Send(Document("application/yaml; charset=utf-8", shared->openapi_yaml));
      };
    }
    if (id == "O7" || id == "O8" || id == "O10") handler = &ServeAsset;
    if (id == "O9") handler = AdminPageHandler(shared->admin_token);
    assert(handler && "every ops route has a handler");
    router.Add(std::string(route.method), std::string(route.path), std::move(handler));
  }
}

}  // namespace sela::api
