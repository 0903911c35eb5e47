// Event lines of REST requests (declared in rest_table.h).
#include <algorithm>

#include "api/rest_table.h"

#include <spdlog/spdlog.h>

#include <string>

#include "core/logging.h"

namespace sela::api {

namespace {

constexpr size_t kUserAgentBytesMax = 120;

}  // namespace

std::string_view EnvelopeMessage(std::string_view body) {
  constexpr std::string_view kKey = "\"message\":\"";
  const size_t at = body.find(kKey);
  if (at == std::string_view::npos) return {};
  const size_t start = at + kKey.size();
  size_t end = start;
  while (end < body.size() && body[end] != '"') end += body[end] == '\\' ? 2 : 1;
  return body.substr(start, std::min(end, body.size()) - start);
}

void LogRestOutcome(const RestRouteInfo& route, std::string_view user_agent, const net::HttpResponse& response) {
  const std::string status = std::to_string(response.status);
  if (response.status >= 400) {
    LogEvent(spdlog::level::warn, "request refused",
             {{"route", route.id},
              {"method", route.method},
              {"path", route.path},
              {"status", status},
              {"reason", EnvelopeMessage(response.body)}});
  }
  if (route.auth == RestAuth::kAdmin && response.status != 401 && response.status != 403) {
    // The admin token names no person: who is "the ADMIN_TOKEN holder", told
    // apart by their client where it says.
    LogEvent(spdlog::level::info, "admin action",
             {{"who", "ADMIN_TOKEN holder"},
              {"user_agent", user_agent.substr(0, kUserAgentBytesMax)},
              {"route", route.id},
              {"what", route.summary},
              {"method", route.method},
              {"path", route.path},
              {"status", status}});
  }
}

}  // namespace sela::api
