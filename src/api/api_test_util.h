// Helpers shared by the api module's tests.
#pragma once

#include <string>
#include <utility>

#include "net/http_types.h"
#include "store/store.h"

namespace sela::api::test_util {

inline store::UptimeDay Day(std::string day, int64_t online_ms, double speed = 0, double ping = 0) {
  store::UptimeDay d;
  d.principal = "p1";
  d.day = std::move(day);
  d.online_ms = online_ms;
  d.sessions = 2;
  if (speed > 0) {
    d.speed_sum = speed * 2;
    d.speed_count = 2;
  }
  if (ping > 0) {
    d.ping_sum = ping;
    d.ping_count = 1;
  }
  d.updated_ms = 1'700'000'000'000;
  return d;
}

inline net::HttpRequest Request(std::string method, std::string path, std::string query = "",
                         net::HeaderList headers = {}, std::string body = "") {
  net::HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.target = r.path + (r.query.empty() ? "" : "?" + r.query);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}
inline net::HttpRequest JsonRequest(std::string method, std::string path, std::string body, net::HeaderList headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  return Request(std::move(method), std::move(path), "", std::move(headers), std::move(body));
}

}  // namespace sela::api::test_util
