// RFC 6455 framing, server side, as a pure byte-in/events-out codec.
//
// WsReader turns the bytes a client sent into events (complete messages,
// pings, pongs, close) and decides protocol errors with the close code they
// deserve. It owns no buffer while the connection is idle: bytes of an
// incomplete frame, and fragments of an unfinished message, are kept in a
// heap block that exists only while something is incomplete. Complete
// unfragmented messages are unmasked in place in the caller's buffer and
// handed out as views, without copying.
//
// The writer functions append unmasked server frames to a string.
//
// Thread-safety: none; one reader per connection, used by its loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sela::net {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes we send (RFC 6455 §7.4.1).
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;      // Never on the wire.
inline constexpr uint16_t kAbnormal = 1006;      // Never on the wire.
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
inline constexpr uint16_t kServiceRestart = 1012;
inline constexpr uint16_t kTryAgainLater = 1013;
}  // namespace close_code

// True for codes a peer may put in a Close frame.
bool IsValidWireCloseCode(uint16_t code);

struct WsLimits {
  uint64_t max_message_bytes = 1 << 20;
  bool require_masked = true;  // Clients must mask (RFC 6455 §5.1).
};

// Receives the events of WsReader::Feed. Returning false from any callback
// stops Feed at once (for instance after the connection decided to close);
// remaining bytes are dropped.
class WsEvents {
 public:
  virtual ~WsEvents() = default;
  virtual bool OnMessage(bool text, std::string_view payload) = 0;
  virtual bool OnPing(std::string_view payload) = 0;
  virtual bool OnPong(std::string_view payload) = 0;
  // A valid Close frame. code is close_code::kNoStatus when the frame had no
  // payload. After this, Feed ignores further input.
  virtual bool OnClose(uint16_t code, std::string_view reason) = 0;
  // A data message passed max_message_bytes (`bytes` so far, as its frame
  // headers tell). False (the default): fail the connection with 1009, as
  // before. True: the message is skipped instead, without being buffered:
  // its payload, unmasked, goes to OnTooBigData as it arrives (what came
  // in earlier fragments first), and the connection goes on after it.
  virtual bool OnTooBig(bool /*text*/, uint64_t /*bytes*/) { return false; }
  // A piece of a skipped message; `last` with its final piece (possibly
  // empty). The text is not checked for UTF-8.
  virtual bool OnTooBigData(std::string_view /*piece*/, bool /*last*/) { return true; }
};

// Outcome of Feed: 0, or the close code the connection must be failed with.
struct WsFeedResult {
  uint16_t error_code = 0;
  const char* reason = "";
  uint32_t frames = 0;  // Complete frames consumed.
  bool ok() const { return error_code == 0; }
};

class WsReader {
 public:
  WsReader();
  ~WsReader();
  WsReader(WsReader&&) noexcept;
  WsReader& operator=(WsReader&&) noexcept;

  // Consumes all of data. data is modified (unmasked in place). Events are
  // delivered in order. After an error or a Close, the reader stays closed.
  WsFeedResult Feed(std::span<uint8_t> data, const WsLimits& limits, WsEvents& events);

  // True when no heap block is held (no partial frame or message, not closed).
  bool idle() const { return partial_ == nullptr; }
  // Bytes held for incomplete input.
  size_t buffered_bytes() const;
  // Memory held for incomplete input (the heap block and its buffers).
  size_t held_bytes() const;
  // Memory the incomplete input will hold once its current frame is
  // complete, as far as the frame header tells (held_bytes() when it does
  // not, or nothing is incomplete).
  size_t need_bytes() const;
  // Allocates what need_bytes() says at once, so that a frame whose memory
  // was granted fills its buffer without reallocating.
  void ReserveForFrame();
  // When the incomplete frame or message began, in the caller's time units;
  // 0 until the caller sets it. It goes back to 0 whenever a message
  // completes with nothing left incomplete.
  int64_t partial_since() const;
  void set_partial_since(int64_t when);
  // A Close frame or an error ended the stream; later input is ignored.
  bool closed() const;
  // Drops whatever is incomplete and ignores later input (as closed()).
  void Abandon() { MarkClosed(); }

 private:
  struct Partial;
  // Parses as many whole frames from data as possible; returns bytes used.
  size_t ParseFrames(uint8_t* data, size_t size, const WsLimits& limits, WsEvents& events,
                     WsFeedResult& result);
  bool HandleFrame(uint8_t header0, uint8_t* payload, uint64_t length, WsEvents& events,
                   WsFeedResult& result);
  // Skipping a message too big to take (WsEvents::OnTooBig): starts
  // skipping the frame whose header ends at `payload`, and passes on what
  // of its payload is in [payload, payload + avail). Returns bytes used.
  size_t BeginSkip(const uint8_t* header, size_t header_bytes, bool fin, uint64_t length, uint8_t* payload,
                   size_t avail, WsEvents& events, bool* go_on);
  // Passes on up to `size` bytes of the skipped frame's payload.
  size_t SkipPayload(uint8_t* data, size_t size, WsEvents& events, bool* go_on);
  Partial& partial();
  void MaybeRelease();
  void MarkClosed();

  // The only member, so that an idle connection's codec state is one
  // pointer. The closed state lives in the heap block: a closed reader is
  // about to be torn down anyway.
  std::unique_ptr<Partial> partial_;
};

// Appends one unmasked, final frame.
void AppendWsFrame(std::string& out, WsOpcode opcode, std::string_view payload);
// Writes the header of an unmasked final frame into buf (at least 10 bytes);
// returns its length.
size_t WriteWsFrameHeader(uint8_t* buf, WsOpcode opcode, uint64_t payload_bytes);
// Appends a Close frame; code 0 means an empty payload. The reason is cut to
// fit the 125-byte control-frame limit on a UTF-8 boundary.
void AppendWsClose(std::string& out, uint16_t code, std::string_view reason);

}  // namespace sela::net
