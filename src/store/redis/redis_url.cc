#include "store/redis/redis_url.h"

#include <charconv>

namespace sela::store::redis {
namespace {

constexpr uint32_t kDbMax = 1'000'000;  // Redis allows `databases` up to INT_MAX; keep it sane.

Status Bad(std::string_view what) { return InvalidArgument("REDIS_URL: " + std::string(what)); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return Err(Bad("a '%' escape is cut short"));
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return Err(Bad("a '%' escape is not two hex digits"));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Result<uint32_t> ParseDb(std::string_view text) {
  uint32_t db = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), db);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || db > kDbMax) {
    return Err(Bad("the database must be a number 0.." + std::to_string(kDbMax) + ", got \"" +
                   std::string(text) + "\""));
  }
  return db;
}

// "[user][:password]@" before the host, if present.
Status ParseUserInfo(std::string_view& rest, RedisEndpoint& out) {
  const size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return Status::Ok();
  const std::string_view info = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  const size_t colon = info.find(':');
  ASSIGN_OR_RETURN(out.user, PercentDecode(info.substr(0, colon)));
  if (colon != std::string_view::npos) {
    ASSIGN_OR_RETURN(out.password, PercentDecode(info.substr(colon + 1)));
  }
  return Status::Ok();
}

Status ParseHostPort(std::string_view hostport, RedisEndpoint& out) {
  std::string_view port_text;
  if (hostport.starts_with('[')) {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Bad("an IPv6 address lacks its ']'");
    out.host = std::string(hostport.substr(1, close - 1));
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("expected ':port' after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = hostport.rfind(':');
    out.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port_text = hostport.substr(colon + 1);
  }
  if (out.host.empty()) return Bad("the host is missing");
  if (!port_text.empty()) {
    uint32_t port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return Bad("the port must be a number 1..65535, got \"" + std::string(port_text) + "\"");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return Status::Ok();
}

Result<RedisEndpoint> ParseTcp(std::string_view rest, bool& db_given) {
  RedisEndpoint out;
  RETURN_IF_ERROR(ParseUserInfo(rest, out));
  const size_t slash = rest.find('/');
  RETURN_IF_ERROR(ParseHostPort(rest.substr(0, slash), out));
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    ASSIGN_OR_RETURN(out.db, ParseDb(rest.substr(slash + 1)));
    db_given = true;
  }
  return out;
}

Result<RedisEndpoint> ParseUnix(std::string_view rest, bool& db_given) {
  RedisEndpoint out;
  RETURN_IF_ERROR(ParseUserInfo(rest, out));
  const size_t query = rest.find('?');
  out.unix_path = std::string(rest.substr(0, query));
  if (out.unix_path.empty() || out.unix_path[0] != '/') {
    return Err(Bad("a unix:// URL needs an absolute socket path"));
  }
  if (query != std::string_view::npos) {
    const std::string_view q = rest.substr(query + 1);
    if (!q.starts_with("db=")) return Err(Bad("the only query a unix:// URL takes is db=N"));
    ASSIGN_OR_RETURN(out.db, ParseDb(q.substr(3)));
    db_given = true;
  }
  return out;
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  if (!unix_path.empty()) return unix_path;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url, std::string_view password,
                                    std::optional<uint32_t> db) {
  constexpr std::string_view kTcp = "redis://";
  constexpr std::string_view kUnix = "unix://";
  Result<RedisEndpoint> out = Err(Bad("expected redis://host[:port][/db] or unix:///path"));
  bool db_given = false;
  if (url.starts_with(kTcp)) {
    out = ParseTcp(url.substr(kTcp.size()), db_given);
  } else if (url.starts_with(kUnix)) {
    out = ParseUnix(url.substr(kUnix.size()), db_given);
  } else if (url.starts_with("rediss://")) {
    return Err(Bad("TLS (rediss://) is not supported; reach Redis over a private network or a "
                   "local TLS proxy"));
  }
  if (!out) return out;
  if (out->password.empty()) out->password = std::string(password);
  if (!db_given && db.has_value()) out->db = *db;
  return out;
}

}  // namespace sela::store::redis
