// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, no
// code points above U+10FFFF), resumable across fragment boundaries. Uses the
// well-known byte-class DFA, so the state is one byte.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sela::net {

class Utf8Validator {
 public:
  static constexpr uint8_t kAccept = 0;
  static constexpr uint8_t kReject = 12;

  // Feeds bytes; returns false as soon as the input cannot be valid UTF-8.
  bool Feed(const uint8_t* data, size_t size);
  // True when everything fed so far ends on a complete code point.
  bool complete() const { return state_ == kAccept; }
  void Reset() { state_ = kAccept; }
  uint8_t state() const { return state_; }
  void set_state(uint8_t s) { state_ = s; }

 private:
  uint8_t state_ = kAccept;
};

bool IsValidUtf8(const uint8_t* data, size_t size);

}  // namespace sela::net
