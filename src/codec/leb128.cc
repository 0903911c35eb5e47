#include "codec/leb128.h"

#include <algorithm>

namespace sela::codec {
namespace {

Status Truncated() { return InvalidArgument("LEB128 number ends early"); }
Status TooWide(int bits) {
  return InvalidArgument("LEB128 number wider than " + std::to_string(bits) + " bits");
}

}  // namespace

void AppendUleb128(std::string& out, Uint128 value) {
  do {
    auto byte = static_cast<uint8_t>(value & 0x7F);
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (value != 0);
}

void AppendSleb128(std::string& out, Int128 value) {
  while (true) {
    auto byte = static_cast<uint8_t>(value & 0x7F);
    value >>= 7;  // Arithmetic shift: gcc defines it for signed values.
    const bool sign_bit = (byte & 0x40) != 0;
    if ((value == 0 && !sign_bit) || (value == -1 && sign_bit)) {
      out += static_cast<char>(byte);
      return;
    }
    out += static_cast<char>(byte | 0x80);
  }
}

std::string Uleb128(Uint128 value) {
  std::string out;
  AppendUleb128(out, value);
  return out;
}

Result<Uint128> ReadUleb128Wide(std::string_view& in) {
  Uint128 value = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto byte = static_cast<uint8_t>(in[i]);
    const unsigned shift = 7 * i;
    const Uint128 part = byte & 0x7F;
    if (shift >= 128 || (shift > 0 && (part >> (128 - shift)) != 0)) return Err(TooWide(128));
    value |= part << shift;
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return value;
    }
  }
  return Err(Truncated());
}

Result<uint64_t> ReadUleb128(std::string_view& in) {
  std::string_view copy = in;
  ASSIGN_OR_RETURN(const Uint128 wide, ReadUleb128Wide(copy));
  if (wide > UINT64_MAX) return Err(TooWide(64));
  in = copy;
  return static_cast<uint64_t>(wide);
}

Result<Int128> ReadSleb128Wide(std::string_view& in) {
  Uint128 value = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto byte = static_cast<uint8_t>(in[i]);
    const unsigned shift = 7 * i;
    if (shift >= 128) return Err(TooWide(128));
    value |= static_cast<Uint128>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      const unsigned used = shift + 7;
      if (used < 128 && (byte & 0x40) != 0) value |= ~Uint128{0} << used;  // Sign-extend.
      in.remove_prefix(i + 1);
      return static_cast<Int128>(value);
    }
  }
  return Err(Truncated());
}

Result<int64_t> ReadSleb128(std::string_view& in) {
  std::string_view copy = in;
  ASSIGN_OR_RETURN(const Int128 wide, ReadSleb128Wide(copy));
  if (wide > INT64_MAX || wide < INT64_MIN) return Err(TooWide(64));
  in = copy;
  return static_cast<int64_t>(wide);
}

Result<uint64_t> ParseUleb128(std::string_view bytes) {
  ASSIGN_OR_RETURN(const uint64_t value, ReadUleb128(bytes));
  if (!bytes.empty()) return Err(InvalidArgument("bytes after the LEB128 number"));
  return value;
}

std::string Uint128ToString(Uint128 value) {
  std::string digits;
  do {
    digits += static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace sela::codec
