// The floor's wire code (bench/floor/README.md): only what a WebSocket or
// HTTP/1.1 endpoint cannot avoid. Written small on purpose, and separate
// from src/net, so the floor carries none of the server's design.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace floor_bench {

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string AcceptKey(std::string_view key);

// The value of header `name` (case-insensitive) in an HTTP head, or empty.
std::string_view Header(std::string_view head, std::string_view name);

// The 101 response to an upgrade request head; empty when it is not one.
std::string UpgradeResponse(std::string_view head);

// One client frame at the start of [data, data + size).
struct Frame {
  uint8_t opcode = 0;
  size_t total = 0;    // Header + payload bytes.
  char* payload = nullptr;
  size_t payload_len = 0;
};
// 1: a whole frame, unmasked in place; 0: incomplete; -1: a protocol error
// (unmasked, fragmented or a payload above 1 MiB).
int ParseFrame(char* data, size_t size, Frame& frame);

// Appends an unmasked server frame.
void AppendFrame(std::string& out, uint8_t opcode, std::string_view payload);

constexpr uint8_t kText = 0x1, kClose = 0x8, kPing = 0x9, kPong = 0xA;

// A non-blocking listening socket on 127.0.0.1:port (0: any free port);
// writes the port to port_file when it is not empty. Exits on failure.
int Listen(uint16_t port, const char* port_file);

// Sets RLIMIT_NOFILE to its hard limit.
void RaiseFdLimit();

}  // namespace floor_bench
