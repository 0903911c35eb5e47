#include "ws_frame.h"

namespace loadgen {
namespace {

constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kReservedBits = 0x70;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr uint16_t kCloseNoStatus = 1005;

bool IsKnownOpcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

}  // namespace

void AppendClientFrame(Opcode opcode, std::string_view payload, uint32_t mask_key,
                       std::string& out) {
  out += static_cast<char>(kFinBit | static_cast<uint8_t>(opcode));
  const size_t n = payload.size();
  if (n < kLength16) {
    out += static_cast<char>(kMaskBit | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(kMaskBit | kLength16);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(kMaskBit | kLength64);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  }
  const char mask[4] = {static_cast<char>(mask_key >> 24), static_cast<char>(mask_key >> 16),
                        static_cast<char>(mask_key >> 8), static_cast<char>(mask_key)};
  out.append(mask, 4);
  const size_t start = out.size();
  out.append(payload);
  for (size_t i = 0; i < n; ++i) out[start + i] ^= mask[i & 3];
}

void AppendCloseFrame(uint16_t code, std::string_view reason, uint32_t mask_key,
                      std::string& out) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xFF);
  payload.append(reason.substr(0, kControlPayloadBytesMax - 2));
  AppendClientFrame(Opcode::kClose, payload, mask_key, out);
}

DecodeResult DecodeServerFrame(std::string_view data, size_t payload_bytes_max) {
  DecodeResult result;
  if (data.size() < 2) return result;
  auto fail = [&result](std::string_view error) {
    result.status = DecodeStatus::kError;
    result.error = error;
    return result;
  };
  const auto b0 = static_cast<uint8_t>(data[0]);
  const auto b1 = static_cast<uint8_t>(data[1]);
  if (b0 & kReservedBits) return fail("frame_reserved_bits");
  const uint8_t op = b0 & kOpcodeBits;
  if (!IsKnownOpcode(op)) return fail("frame_bad_opcode");
  if (b1 & kMaskBit) return fail("frame_masked_by_server");
  result.frame.fin = (b0 & kFinBit) != 0;
  result.frame.opcode = static_cast<Opcode>(op);

  uint64_t length = b1 & 0x7F;
  size_t header = 2;
  if (length == kLength16 || length == kLength64) {
    const size_t extra = length == kLength16 ? 2 : 8;
    if (data.size() < header + extra) return result;
    length = 0;
    for (size_t i = 0; i < extra; ++i) length = (length << 8) | static_cast<uint8_t>(data[2 + i]);
    header += extra;
  }
  const bool control = op >= 0x8;
  if (control && (!result.frame.fin || length > kControlPayloadBytesMax)) {
    return fail("frame_bad_control");
  }
  if (length > payload_bytes_max) return fail("frame_too_large");
  result.frame.header_bytes = header;
  result.frame.payload_bytes = static_cast<size_t>(length);
  if (data.size() >= result.frame.total_bytes()) result.status = DecodeStatus::kFrame;
  return result;
}

uint16_t CloseCode(std::string_view close_payload) {
  if (close_payload.size() < 2) return kCloseNoStatus;
  return static_cast<uint16_t>((static_cast<uint8_t>(close_payload[0]) << 8) |
                               static_cast<uint8_t>(close_payload[1]));
}

}  // namespace loadgen
