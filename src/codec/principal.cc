#include "codec/principal.h"

#include <cstring>

namespace sela::codec {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

constexpr char kBase32Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
// Text form of the longest principal: 4 + 29 bytes -> 53 base32 chars + 10 dashes.
constexpr size_t kTextMax = 63;

std::string Base32(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 5) {
      out += kBase32Alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

int Base32Digit(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

Result<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int digit = Base32Digit(c);
    if (digit < 0) return Err(InvalidArgument("principal: not a base32 character"));
    buffer = (buffer << 5) | static_cast<uint32_t>(digit);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  // Leftover bits are padding of the last character and must be zero.
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return Err(InvalidArgument("principal: non-canonical base32 ending"));
  }
  return out;
}

}  // namespace

uint32_t Crc32(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : bytes) c = kCrcTable[(c ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Result<Principal> Principal::FromBytes(std::string_view bytes) {
  if (bytes.size() > kMaxBytes) {
    return Err(InvalidArgument("principal: " + std::to_string(bytes.size()) +
                               " bytes, at most 29 allowed"));
  }
  Principal p;
  std::memcpy(p.bytes_.data(), bytes.data(), bytes.size());
  p.size_ = static_cast<uint8_t>(bytes.size());
  return p;
}

Principal Principal::Anonymous() {
  Principal p;
  p.bytes_[0] = kAnonymousTag;
  p.size_ = 1;
  return p;
}

std::string Principal::ToText() const {
  const uint32_t crc = Crc32(bytes());
  std::string raw;
  raw.reserve(4 + size_);
  for (int shift = 24; shift >= 0; shift -= 8) raw += static_cast<char>((crc >> shift) & 0xFF);
  raw += bytes();
  const std::string b32 = Base32(raw);
  std::string out;
  out.reserve(b32.size() + b32.size() / 5);
  for (size_t i = 0; i < b32.size(); ++i) {
    if (i > 0 && i % 5 == 0) out += '-';
    out += b32[i];
  }
  return out;
}

Result<Principal> Principal::FromText(std::string_view text) {
  if (text.size() > kTextMax) return Err(InvalidArgument("principal: text too long"));
  std::string compact;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_slot = i % 6 == 5;
    if (dash_slot != (text[i] == '-')) {
      return Err(InvalidArgument("principal: dashes must separate groups of five characters"));
    }
    if (!dash_slot) compact += text[i];
  }
  if (!text.empty() && text.back() == '-') return Err(InvalidArgument("principal: ends with a dash"));
  ASSIGN_OR_RETURN(const std::string raw, Base32Decode(compact));
  if (raw.size() < 4) return Err(InvalidArgument("principal: too short"));
  ASSIGN_OR_RETURN(Principal p, FromBytes(std::string_view(raw).substr(4)));
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc = (crc << 8) | static_cast<uint8_t>(raw[i]);
  if (crc != Crc32(p.bytes())) return Err(InvalidArgument("principal: checksum mismatch"));
  // The text form is canonical: re-encoding must give the same characters.
  if (p.ToText().size() != text.size()) return Err(InvalidArgument("principal: non-canonical text"));
  return p;
}

}  // namespace sela::codec
