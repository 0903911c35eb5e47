// Where the Redis store connects: REDIS_URL, with REDIS_PASSWORD and
// REDIS_DB as in the original server (storage-chain-files.md §6). Values
// written in the URL win over the separate variables.
//
//   redis://[[user][:password]@]host[:port][/db]     (port 6379 by default)
//   redis://[[user][:password]@][v6 address]:port[/db]
//   unix://[[user][:password]@]/path/to/redis.sock[?db=N]
//
// The password may be percent-encoded (%40 for '@'). TLS (rediss://) is not
// supported: it is refused with a message rather than sent in clear text.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::store::redis {

struct RedisEndpoint {
  std::string host;       // Empty for a Unix socket.
  uint16_t port = 6379;
  std::string unix_path;  // Set for unix:// URLs.
  std::string user;       // ACL user; empty: AUTH with the password only.
  std::string password;   // Empty: no AUTH.
  uint32_t db = 0;

  // "host:port" or the socket path, for messages (never the password).
  std::string Describe() const;
  friend bool operator==(const RedisEndpoint&, const RedisEndpoint&) = default;
};

// `password` and `db` apply when the URL names none. Errors are
// InvalidArgument and name REDIS_URL without repeating a password.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url, std::string_view password = "",
                                    std::optional<uint32_t> db = std::nullopt);

}  // namespace sela::store::redis
