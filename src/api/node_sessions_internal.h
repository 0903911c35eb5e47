// NodeSessions' parts shared by its source files (node_sessions*.cc).
// Internal to src/api.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "api/node_sessions.h"
#include "protocol/v2_handshake.h"

namespace sela::api {

// What a connection needs only until it has registered, or while input
// waits behind a store operation: an idle registered session has none.
struct NodeSessions::Pending {
  std::optional<std::string> connection_principal;  // v1, from the upgrade request.
  std::deque<std::string> queue;
  uint64_t queued_bytes = 0;
  std::string source;  // SourceKey of the peer, until registration.
  std::optional<protocol::v2::Handshake> handshake;
};

}  // namespace sela::api
