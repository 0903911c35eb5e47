#include "codec/cbor_writer.h"

namespace sela::codec {
namespace {

constexpr uint8_t kMajorUnsigned = 0;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorArray = 4;
constexpr uint8_t kMajorMap = 5;
constexpr uint8_t kMajorTag = 6;
constexpr uint8_t kFalse = 0xF4;
constexpr uint8_t kTrue = 0xF5;
constexpr uint8_t kUndefined = 0xF7;

}  // namespace

void CborWriter::Head(uint8_t major, uint64_t argument) {
  const auto initial = static_cast<char>(major << 5);
  int width = 0;
  if (argument < 24) {
    out_ += static_cast<char>(initial | static_cast<char>(argument));
    return;
  }
  if (argument <= 0xFF) {
    out_ += static_cast<char>(initial | 24);
    width = 1;
  } else if (argument <= 0xFFFF) {
    out_ += static_cast<char>(initial | 25);
    width = 2;
  } else if (argument <= 0xFFFFFFFF) {
    out_ += static_cast<char>(initial | 26);
    width = 4;
  } else {
    out_ += static_cast<char>(initial | 27);
    width = 8;
  }
  for (int i = width - 1; i >= 0; --i) {
    out_ += static_cast<char>((argument >> (8 * i)) & 0xFF);
  }
}

CborWriter& CborWriter::MapHeader(uint64_t pairs) {
  Head(kMajorMap, pairs);
  return *this;
}

CborWriter& CborWriter::ArrayHeader(uint64_t items) {
  Head(kMajorArray, items);
  return *this;
}

CborWriter& CborWriter::Tag(uint64_t tag) {
  Head(kMajorTag, tag);
  return *this;
}

CborWriter& CborWriter::Bytes(std::string_view bytes) {
  Head(kMajorBytes, bytes.size());
  out_ += bytes;
  return *this;
}

CborWriter& CborWriter::Raw(std::string_view encoded) {
  out_ += encoded;
  return *this;
}

CborWriter& CborWriter::Text(std::string_view utf8) {
  Head(kMajorText, utf8.size());
  out_ += utf8;
  return *this;
}

CborWriter& CborWriter::Unsigned(uint64_t value) {
  Head(kMajorUnsigned, value);
  return *this;
}

CborWriter& CborWriter::Bool(bool value) {
  out_ += static_cast<char>(value ? kTrue : kFalse);
  return *this;
}

CborWriter& CborWriter::Undefined() {
  out_ += static_cast<char>(kUndefined);
  return *this;
}

}  // namespace sela::codec
