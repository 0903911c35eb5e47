// TopLevelPeek: the top-level `text` and `job_id` string fields of a JSON
// object that streams past in pieces and is never held whole: a node's
// message too large to take (WS_MAX_MESSAGE_BYTES), so that the server can
// tell which job's result it was and fail that job at once. Holds only
// those two values (each at most value_bytes_max) and a few bytes of state,
// whatever the message's size or nesting.
//
// Pure; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sela::protocol::v1 {

class TopLevelPeek {
 public:
  explicit TopLevelPeek(size_t value_bytes_max = 128) : value_bytes_max_(value_bytes_max) {}

  void Feed(std::string_view piece);

  // The field's string value, once it has passed whole; "" before, or when
  // it was not a plain string (an escape, too long, another type).
  const std::string& text() const { return text_; }
  const std::string& job_id() const { return job_id_; }

 private:
  enum class Expect : uint8_t { kObject, kKey, kColon, kValue, kCommaOrEnd, kDone };
  enum class Field : uint8_t { kOther, kText, kJobId };
  void Byte(char c);
  void StringByte(char c);
  void EndString();

  size_t value_bytes_max_;
  Expect expect_ = Expect::kObject;
  uint32_t depth_ = 0;       // Nesting inside the top-level object's values.
  bool in_string_ = false;
  bool escape_ = false;
  bool in_key_ = false;      // The string is a top-level key.
  bool capturing_ = false;   // The string is the value of text or job_id.
  bool plain_ = true;        // The captured value had no escape and fitted.
  Field field_ = Field::kOther;
  std::string key_;          // At most a few bytes: only two keys matter.
  std::string value_;
  std::string text_;
  std::string job_id_;
};

}  // namespace sela::protocol::v1
