// RFC 6455 framing for the client side: encode masked frames, decode the
// server's unmasked frames.
//
// Pure functions on byte strings, no I/O. The decoder validates what a client
// must reject (reserved bits, unknown opcodes, masked server frames, bad
// control frames, oversized payloads) and reports it as kError, so the event
// loop can count a protocol error and drop the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline constexpr size_t kControlPayloadBytesMax = 125;
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;

// Appends one final (FIN) client frame with `payload` masked by `mask_key`.
void AppendClientFrame(Opcode opcode, std::string_view payload, uint32_t mask_key,
                       std::string& out);

// Appends a masked close frame carrying `code` (network order) and `reason`.
void AppendCloseFrame(uint16_t code, std::string_view reason, uint32_t mask_key,
                      std::string& out);

struct DecodedFrame {
  bool fin = false;
  Opcode opcode = Opcode::kContinuation;
  size_t header_bytes = 0;
  size_t payload_bytes = 0;

  size_t total_bytes() const { return header_bytes + payload_bytes; }
};

enum class DecodeStatus { kFrame, kNeedMore, kError };

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kNeedMore;
  DecodedFrame frame;
  // Static text for kError, usable as an error-counter name.
  std::string_view error;
};

// Decodes the frame at the start of `data`. kFrame only when the whole frame
// (header and payload) is present; the payload is
// data.substr(frame.header_bytes, frame.payload_bytes).
DecodeResult DecodeServerFrame(std::string_view data, size_t payload_bytes_max);

// Close-frame payload helpers: code 1005 ("no status") when the payload is empty.
uint16_t CloseCode(std::string_view close_payload);

}  // namespace loadgen
