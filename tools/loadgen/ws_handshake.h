// The client half of the RFC 6455 opening handshake, plus the SHA-1 and
// base64 it needs (hand-rolled so the tool depends on nothing but the C++
// standard library and Linux).
//
// Pure functions; no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

// Responses larger than this without a blank line are rejected; a real
// 101 response is a few hundred bytes.
inline constexpr size_t kHandshakeResponseBytesMax = 8192;

std::array<uint8_t, 20> Sha1(std::string_view data);
std::string Base64Encode(std::string_view bytes);

// Sec-WebSocket-Key from 16 random bytes.
std::string MakeWebSocketKey(uint64_t random_hi, uint64_t random_lo);
// The Sec-WebSocket-Accept value a server must answer for `key`.
std::string WebSocketAccept(std::string_view key);

struct UpgradeRequest {
  std::string_view host_header;  // "127.0.0.1:8082"
  std::string_view path;         // "/"
  std::string_view key;          // Sec-WebSocket-Key
  std::string_view bearer;       // Authorization: Bearer <bearer>; omitted when empty
  std::string_view subprotocol = {};  // Sec-WebSocket-Protocol; omitted when empty
};

std::string BuildUpgradeRequest(const UpgradeRequest& request);

enum class UpgradeStatus { kNeedMore, kAccepted, kRejected };

struct UpgradeResponse {
  UpgradeStatus status = UpgradeStatus::kNeedMore;
  // kAccepted: bytes of the HTTP response; frames may follow right after.
  size_t header_bytes = 0;
  // kRejected: HTTP status (0 when unparseable) and a counter-style reason.
  int http_status = 0;
  std::string reason;
};

// Checks the server's answer: status 101, Upgrade: websocket, Connection:
// upgrade, and Sec-WebSocket-Accept matching `expected_accept`.
UpgradeResponse ParseUpgradeResponse(std::string_view data, std::string_view expected_accept);

}  // namespace loadgen
