#include "protocol/v1_peek.h"

namespace sela::protocol::v1 {
namespace {

constexpr size_t kKeyBytesMax = 8;  // "job_id", "text".

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

void TopLevelPeek::Feed(std::string_view piece) {
  for (char c : piece) {
    if (expect_ == Expect::kDone) return;
    if (in_string_) {
      StringByte(c);
    } else {
      Byte(c);
    }
  }
}

void TopLevelPeek::StringByte(char c) {
  if (escape_) {
    escape_ = false;
    plain_ = false;
    return;
  }
  if (c == '\\') {
    escape_ = true;
    return;
  }
  if (c == '"') {
    EndString();
    return;
  }
  if (in_key_) {
    if (key_.size() <= kKeyBytesMax) key_.push_back(c);
  } else if (capturing_) {
    if (value_.size() < value_bytes_max_) {
      value_.push_back(c);
    } else {
      plain_ = false;
    }
  }
}

void TopLevelPeek::EndString() {
  in_string_ = false;
  if (in_key_) {
    in_key_ = false;
    field_ = key_ == "text" ? Field::kText : key_ == "job_id" ? Field::kJobId : Field::kOther;
    expect_ = Expect::kColon;
    return;
  }
  if (capturing_) {
    capturing_ = false;
    if (plain_ && !value_.empty()) (field_ == Field::kText ? text_ : job_id_) = value_;
    value_.clear();
  }
  if (depth_ == 0) expect_ = Expect::kCommaOrEnd;
}

void TopLevelPeek::Byte(char c) {
  if (IsBlank(c)) return;
  if (depth_ > 0) {
    // Inside a nested value: only strings and brackets matter.
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if ((c == '}' || c == ']') && --depth_ == 0) {
      expect_ = Expect::kCommaOrEnd;
    }
    return;
  }
  switch (expect_) {
    case Expect::kObject:
      expect_ = c == '{' ? Expect::kKey : Expect::kDone;
      return;
    case Expect::kKey:
      if (c == '"') {
        in_string_ = true;
        in_key_ = true;
        key_.clear();
      } else {
        expect_ = Expect::kDone;  // '}' or not JSON.
      }
      return;
    case Expect::kColon:
      expect_ = c == ':' ? Expect::kValue : Expect::kDone;
      return;
    case Expect::kValue:
      if (c == '"') {
        in_string_ = true;
        capturing_ = field_ != Field::kOther;
        plain_ = true;
        value_.clear();
      } else if (c == '{' || c == '[') {
        depth_ = 1;
      } else {
        expect_ = Expect::kCommaOrEnd;  // A scalar: its other bytes are skipped below.
      }
      return;
    case Expect::kCommaOrEnd:
      if (c == ',') expect_ = Expect::kKey;
      if (c == '}') expect_ = Expect::kDone;
      return;
    case Expect::kDone:
      return;
  }
}

}  // namespace sela::protocol::v1
