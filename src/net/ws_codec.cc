#include "net/ws_codec.h"

#include <algorithm>
#include <cstring>

#include "net/utf8.h"

namespace sela::net {

struct WsReader::Partial {
  std::string raw;      // Bytes of a frame that has not fully arrived.
  std::string message;  // Fragments of a data message that is not finished.
  uint8_t message_opcode = 0;  // kText or kBinary while a message is open.
  Utf8Validator utf8;          // Over `message` when it is text.
  bool closed = false;         // A Close frame or an error ended the stream.
  // Skipping a message too big to take (OnTooBig): the rest of the current
  // frame's payload, its mask and where in it we are, and whether it is the
  // message's last frame. While `skipping`, continuation frames belong to
  // the skipped message.
  bool skipping = false;
  bool skip_fin = false;
  uint64_t skip_left = 0;
  uint64_t skip_pos = 0;
  uint8_t skip_mask[4] = {0, 0, 0, 0};
  bool skip_masked = false;
  int64_t since = 0;           // See WsReader::partial_since().
};

namespace {

constexpr size_t kMaxHeaderBytes = 14;
constexpr size_t kMaxControlPayload = 125;

bool IsKnownOpcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

WsFeedResult& SetError(WsFeedResult& r, uint16_t code, const char* reason) {
  r.error_code = code;
  r.reason = reason;
  return r;
}

uint64_t ReadBigEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

void Unmask(uint8_t* payload, uint64_t length, const uint8_t* key) {
  uint64_t i = 0;
  if (length >= 8) {
    uint32_t k32;
    std::memcpy(&k32, key, 4);
    const uint64_t k64 = (uint64_t{k32} << 32) | k32;
    for (; i + 8 <= length; i += 8) {
      uint64_t w;
      std::memcpy(&w, payload + i, 8);
      w ^= k64;
      std::memcpy(payload + i, &w, 8);
    }
  }
  for (; i < length; ++i) payload[i] ^= key[i & 3];
}

}  // namespace

bool IsValidWireCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008:
    case 1009: case 1010: case 1011: case 1012: case 1013: case 1014:
      return true;
    default:
      return false;
  }
}

WsReader::WsReader() = default;
WsReader::~WsReader() = default;
WsReader::WsReader(WsReader&&) noexcept = default;
WsReader& WsReader::operator=(WsReader&&) noexcept = default;

WsReader::Partial& WsReader::partial() {
  if (!partial_) partial_ = std::make_unique<Partial>();
  return *partial_;
}

void WsReader::MaybeRelease() {
  if (partial_ && partial_->raw.empty() && partial_->message_opcode == 0 && !partial_->closed &&
      !partial_->skipping) {
    partial_.reset();
  }
}

bool WsReader::closed() const { return partial_ && partial_->closed; }

void WsReader::MarkClosed() {
  Partial& p = partial();
  p.closed = true;
  // swap, not assignment: assigning an empty string keeps the capacity.
  std::string().swap(p.raw);
  std::string().swap(p.message);
  p.message_opcode = 0;
}

size_t WsReader::buffered_bytes() const {
  return partial_ ? partial_->raw.size() + partial_->message.size() : 0;
}

size_t WsReader::held_bytes() const {
  if (!partial_) return 0;
  return sizeof(Partial) + partial_->raw.capacity() + partial_->message.capacity();
}

namespace {

// Header plus payload of the frame starting at raw, or 0 while its header
// is incomplete.
uint64_t FrameBytes(const std::string& raw) {
  if (raw.size() < 2) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  const uint8_t len7 = p[1] & 0x7F;
  const size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  const size_t header = 2 + ext + ((p[1] & 0x80) ? 4 : 0);
  if (raw.size() < header) return 0;
  return header + (ext ? ReadBigEndian(p + 2, static_cast<int>(ext)) : len7);
}

}  // namespace

size_t WsReader::need_bytes() const {
  if (!partial_ || partial_->closed) return held_bytes();
  const uint64_t frame = FrameBytes(partial_->raw);
  if (frame == 0) return held_bytes();
  // A fragment is copied into `message` while its frame is still in `raw`.
  const uint64_t payload_copy = partial_->message_opcode != 0 ? frame : 0;
  const uint64_t need = sizeof(Partial) + std::max<uint64_t>(frame, partial_->raw.capacity()) +
                        partial_->message.size() + payload_copy;
  return static_cast<size_t>(std::max<uint64_t>(need, held_bytes()));
}

void WsReader::ReserveForFrame() {
  if (!partial_ || partial_->closed) return;
  if (const uint64_t frame = FrameBytes(partial_->raw); frame > partial_->raw.capacity()) {
    partial_->raw.reserve(static_cast<size_t>(frame));
  }
}

int64_t WsReader::partial_since() const { return partial_ ? partial_->since : 0; }

void WsReader::set_partial_since(int64_t when) {
  if (partial_) partial_->since = when;
}

WsFeedResult WsReader::Feed(std::span<uint8_t> data, const WsLimits& limits,
                            WsEvents& events) {
  WsFeedResult result;
  if (closed() || data.empty()) return result;
  if (partial_ && partial_->skip_left > 0) {
    // The payload of a frame being skipped: passed on, never buffered.
    bool go_on = true;
    const size_t used = SkipPayload(data.data(), data.size(), events, &go_on);
    data = data.subspan(used);
    if (!go_on) return result;
    if (data.empty()) {
      MaybeRelease();
      return result;
    }
  }
  if (partial_ && !partial_->raw.empty()) {
    // An incomplete frame is pending: complete it in its own buffer. The
    // buffer is bounded because ParseFrames rejects oversized frames from
    // their header alone.
    std::string& raw = partial_->raw;
    raw.append(reinterpret_cast<const char*>(data.data()), data.size());
    size_t used = ParseFrames(reinterpret_cast<uint8_t*>(raw.data()), raw.size(), limits,
                              events, result);
    if (!result.ok() || closed()) {
      MarkClosed();
      return result;
    }
    raw.erase(0, used);
    // A large frame's buffer is not kept for the small remainder after it.
    if (raw.capacity() > 2 * raw.size() + 16 * 1024) std::string(raw).swap(raw);
  } else {
    size_t used = ParseFrames(data.data(), data.size(), limits, events, result);
    if (!result.ok() || closed()) {
      MarkClosed();
      return result;
    }
    if (used < data.size()) {
      partial().raw.assign(reinterpret_cast<const char*>(data.data() + used),
                           data.size() - used);
    }
  }
  MaybeRelease();
  return result;
}

size_t WsReader::ParseFrames(uint8_t* data, size_t size, const WsLimits& limits,
                             WsEvents& events, WsFeedResult& result) {
  size_t pos = 0;
  while (pos + 2 <= size && !closed()) {
    const uint8_t* p = data + pos;
    const size_t avail = size - pos;
    const uint8_t b0 = p[0];
    const uint8_t b1 = p[1];
    const bool fin = b0 & 0x80;
    const uint8_t op = b0 & 0x0F;
    const bool masked = b1 & 0x80;
    const uint8_t len7 = b1 & 0x7F;
    const uint8_t open_op = partial_ ? partial_->message_opcode : 0;
    // A message is open: being collected, or being skipped (too big).
    const bool open = open_op != 0 || (partial_ && partial_->skipping);

    // Everything decidable from the first two bytes is decided before the
    // rest arrives, so a bad peer is cut off without being buffered.
    if (b0 & 0x70) return SetError(result, close_code::kProtocolError, "reserved bits set"), pos;
    if (!IsKnownOpcode(op)) return SetError(result, close_code::kProtocolError, "reserved opcode"), pos;
    if (limits.require_masked && !masked) {
      return SetError(result, close_code::kProtocolError, "client frame not masked"), pos;
    }
    if (op >= 0x8) {
      if (!fin) return SetError(result, close_code::kProtocolError, "fragmented control frame"), pos;
      if (len7 > kMaxControlPayload) {
        return SetError(result, close_code::kProtocolError, "control frame too long"), pos;
      }
    } else if (op == 0 && !open) {
      return SetError(result, close_code::kProtocolError, "continuation without a message"), pos;
    } else if (op != 0 && open) {
      return SetError(result, close_code::kProtocolError, "new message inside a fragmented one"), pos;
    }

    const size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const size_t header = 2 + ext + (masked ? 4 : 0);
    if (avail < header) break;
    uint64_t length = ext ? ReadBigEndian(p + 2, static_cast<int>(ext)) : len7;
    if (length >> 63) return SetError(result, close_code::kProtocolError, "frame length"), pos;
    const bool skipped_part = op == 0 && partial_ && partial_->skipping;
    if (op < 0x8 && !skipped_part) {
      const uint64_t before = op == 0 ? partial_->message.size() : 0;
      if (length > limits.max_message_bytes || before + length > limits.max_message_bytes) {
        const bool text = op == 1 || (op == 0 && open_op == 1);
        if (!events.OnTooBig(text, before + length)) {
          return SetError(result, close_code::kMessageTooBig, "message too big"), pos;
        }
        if (op == 0 && !partial_->message.empty()) {
          // What earlier fragments brought goes first.
          std::string earlier = std::move(partial_->message);
          partial_->message = std::string();
          if (!events.OnTooBigData(earlier, false)) return pos;
        }
        partial().message_opcode = 0;
        partial_->skipping = true;
      }
    }
    if (skipped_part || (op < 0x8 && partial_ && partial_->skipping)) {
      bool go_on = true;
      ++result.frames;
      pos += BeginSkip(p, header, fin, length, data + pos + header, avail - header, events, &go_on);
      if (!go_on) return pos;
      continue;
    }
    if (avail - header < length) break;

    uint8_t* payload = data + pos + header;
    if (masked) Unmask(payload, length, p + header - 4);
    pos += header + length;
    ++result.frames;
    if (!HandleFrame(b0, payload, length, events, result)) break;
    // Between messages: whatever is incomplete from here on is new.
    if (partial_ && partial_->message_opcode == 0) partial_->since = 0;
  }
  return pos;
}

size_t WsReader::BeginSkip(const uint8_t* header, size_t header_bytes, bool fin, uint64_t length,
                           uint8_t* payload, size_t avail, WsEvents& events, bool* go_on) {
  Partial& p = partial();
  p.skip_fin = fin;
  p.skip_left = length;
  p.skip_pos = 0;
  p.skip_masked = (header[1] & 0x80) != 0;
  if (p.skip_masked) std::memcpy(p.skip_mask, header + header_bytes - 4, 4);
  if (length == 0) {
    // An empty frame: nothing to pass on, but it may end the message.
    if (fin) {
      p.skipping = false;
      *go_on = events.OnTooBigData({}, true);
    }
    return header_bytes;
  }
  return header_bytes + SkipPayload(payload, avail, events, go_on);
}

size_t WsReader::SkipPayload(uint8_t* data, size_t size, WsEvents& events, bool* go_on) {
  Partial& p = *partial_;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(p.skip_left, size));
  if (n == 0) return 0;
  if (p.skip_masked) {
    for (size_t i = 0; i < n; ++i) data[i] ^= p.skip_mask[(p.skip_pos + i) & 3];
  }
  p.skip_pos += n;
  p.skip_left -= n;
  const bool last = p.skip_left == 0 && p.skip_fin;
  if (last) p.skipping = false;
  *go_on = events.OnTooBigData(std::string_view(reinterpret_cast<const char*>(data), n), last);
  return n;
}

bool WsReader::HandleFrame(uint8_t header0, uint8_t* payload, uint64_t length, WsEvents& events,
                           WsFeedResult& result) {
  const bool fin = header0 & 0x80;
  const auto op = static_cast<WsOpcode>(header0 & 0x0F);
  std::string_view view(reinterpret_cast<const char*>(payload), length);
  switch (op) {
    case WsOpcode::kPing:
      return events.OnPing(view);
    case WsOpcode::kPong:
      return events.OnPong(view);
    case WsOpcode::kClose: {
      if (length == 1) return SetError(result, close_code::kProtocolError, "close payload of one byte"), false;
      uint16_t code = close_code::kNoStatus;
      std::string_view reason;
      if (length >= 2) {
        code = static_cast<uint16_t>(payload[0] << 8 | payload[1]);
        if (!IsValidWireCloseCode(code)) return SetError(result, close_code::kProtocolError, "invalid close code"), false;
        reason = view.substr(2);
        if (!IsValidUtf8(payload + 2, length - 2)) {
          return SetError(result, close_code::kInvalidPayload, "close reason is not UTF-8"), false;
        }
      }
      partial().closed = true;
      return events.OnClose(code, reason);
    }
    case WsOpcode::kText:
    case WsOpcode::kBinary: {
      const bool text = op == WsOpcode::kText;
      if (fin) {
        if (text && !IsValidUtf8(payload, length)) {
          return SetError(result, close_code::kInvalidPayload, "text is not UTF-8"), false;
        }
        return events.OnMessage(text, view);
      }
      Partial& p = partial();
      p.message_opcode = static_cast<uint8_t>(op);
      p.utf8.Reset();
      if (text && !p.utf8.Feed(payload, length)) {
        return SetError(result, close_code::kInvalidPayload, "text is not UTF-8"), false;
      }
      p.message.assign(view);
      return true;
    }
    case WsOpcode::kContinuation: {
      Partial& p = *partial_;
      const bool text = p.message_opcode == static_cast<uint8_t>(WsOpcode::kText);
      if (text && !p.utf8.Feed(payload, length)) {
        return SetError(result, close_code::kInvalidPayload, "text is not UTF-8"), false;
      }
      p.message.append(view);
      if (!fin) return true;
      if (text && !p.utf8.complete()) {
        return SetError(result, close_code::kInvalidPayload, "text is not UTF-8"), false;
      }
      std::string message = std::move(p.message);
      std::string().swap(p.message);
      p.message_opcode = 0;
      return events.OnMessage(text, message);
    }
  }
  return true;
}

size_t WriteWsFrameHeader(uint8_t* buf, WsOpcode opcode, uint64_t payload_bytes) {
  buf[0] = static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode));
  if (payload_bytes < 126) {
    buf[1] = static_cast<uint8_t>(payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xFFFF) {
    buf[1] = 126;
    buf[2] = static_cast<uint8_t>(payload_bytes >> 8);
    buf[3] = static_cast<uint8_t>(payload_bytes);
    return 4;
  }
  buf[1] = 127;
  for (int i = 0; i < 8; ++i) buf[2 + i] = static_cast<uint8_t>(payload_bytes >> (56 - 8 * i));
  return 10;
}

void AppendWsFrame(std::string& out, WsOpcode opcode, std::string_view payload) {
  uint8_t header[kMaxHeaderBytes];
  size_t n = WriteWsFrameHeader(header, opcode, payload.size());
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(payload);
}

void AppendWsClose(std::string& out, uint16_t code, std::string_view reason) {
  if (code == 0) {
    AppendWsFrame(out, WsOpcode::kClose, {});
    return;
  }
  size_t keep = std::min(reason.size(), kMaxControlPayload - 2);
  // Do not cut a multi-byte character in half.
  while (keep > 0 && keep < reason.size() && (static_cast<uint8_t>(reason[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, keep));
  AppendWsFrame(out, WsOpcode::kClose, payload);
}

}  // namespace sela::net
