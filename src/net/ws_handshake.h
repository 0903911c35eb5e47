// The server side of the RFC 6455 opening handshake: decide whether an HTTP
// request is a WebSocket upgrade, whether it is a valid one, and build the
// 101 response.
#pragma once

#include <string>
#include <string_view>

#include "net/http_types.h"

namespace sela::net {

// True when the request asks for a WebSocket (`Upgrade: websocket`).
bool IsWebSocketUpgrade(const HttpRequest& request);

struct UpgradeDecision {
  unsigned status = 101;   // 101, or the HTTP error status to answer with.
  std::string error;       // Why, when status != 101.
  std::string accept_key;  // Sec-WebSocket-Accept, when status == 101.
  std::string subprotocol; // Selected Sec-WebSocket-Protocol, if any (see CheckUpgrade).
  bool ok() const { return status == 101; }
};

// The subprotocol of node protocol v2 (protocol/v2_messages.h kSubprotocol;
// net does not depend on protocol, so the token is repeated here).
inline constexpr std::string_view kPreferredSubprotocol = "sela.v2";

// Validates method, HTTP version, Connection/Upgrade tokens, version (13;
// 8 is accepted too, as the original's library did) and the key. The
// subprotocol is kPreferredSubprotocol when the client offers it among
// others, else the first offered value.
UpgradeDecision CheckUpgrade(const HttpRequest& request);

// base64(SHA-1(key + GUID)).
std::string ComputeAcceptKey(std::string_view key);

// True when the comma-separated header value contains token (case-insensitive).
bool HeaderHasToken(std::string_view value, std::string_view token);

}  // namespace sela::net
