// HTTP request and response as the rest of the server sees them: plain
// values with no trace of Asio or Beast, so routes and tests stay simple.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sela::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class BodySource;  // net/http_stream.h

// Case-insensitive ASCII comparison, for header names and paths.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;   // As sent, e.g. "GET".
  std::string target;   // Path and query as sent, e.g. "/api/x?a=1".
  std::string path;     // Path as sent, without the query (params are decoded).
  std::string query;    // Raw query string without '?'.
  unsigned version = 11;  // 10 or 11.
  bool keep_alive = true;  // From the version and the Connection header.
  HeaderList headers;
  std::string body;
  std::vector<std::pair<std::string, std::string>> params;  // Route :params.
  // The peer's IP address as text ("192.0.2.1", "2001:db8::1"; IPv4-mapped
  // IPv6 peers as IPv4), for per-source limits; empty when unknown.
  std::string peer;

  // First header with this name (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // Route parameter by name, or empty.
  std::string_view Param(std::string_view name) const;
  // Decoded query parameter (first occurrence), or empty.
  std::string QueryParam(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json; charset=utf-8";
  HeaderList headers;  // Extra headers.
  std::string body;
  bool close = false;  // Close the connection after sending.
  // Set: the body is body_length bytes pulled from the source as the
  // connection drains (`body` is then ignored); HEAD sends none of it.
  std::shared_ptr<BodySource> body_source;
  uint64_t body_length = 0;

  static HttpResponse Json(unsigned status, std::string body);
  static HttpResponse Text(unsigned status, std::string body);
};

std::string_view StatusReason(unsigned status);

// Percent-decodes s; '+' is kept as is (paths) unless plus_is_space.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace sela::net
