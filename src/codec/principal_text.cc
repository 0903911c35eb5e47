#include "codec/principal_text.h"

#include <array>

namespace sela::codec {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t kGroupChars = 5;
constexpr std::size_t kCrcBytes = 4;

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

int Base32Value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

}  // namespace

uint32_t Crc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : bytes) crc = kCrcTable[(crc ^ static_cast<uint8_t>(c)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string Base32LowerEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 0x1F];
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 0x1F];
  return out;
}

std::string PrincipalToText(std::string_view bytes) {
  const uint32_t crc = Crc32(bytes);
  std::string raw;
  raw.reserve(kCrcBytes + bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) raw += static_cast<char>((crc >> shift) & 0xFF);
  raw.append(bytes);
  const std::string encoded = Base32LowerEncode(raw);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / kGroupChars);
  for (std::size_t i = 0; i < encoded.size(); i += kGroupChars) {
    if (i != 0) out += '-';
    out.append(encoded, i, kGroupChars);
  }
  return out;
}

Result<std::string> PrincipalFromText(std::string_view text) {
  if (text.empty()) return Err(InvalidArgument("principal text is empty"));
  if (text.size() > kPrincipalTextBytesMax) {
    return Err(InvalidArgument("principal text is longer than " + std::to_string(kPrincipalTextBytesMax) +
                               " characters"));
  }
  std::string raw;
  uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Every sixth character is a dash: "abcde-fghij-kl".
    const bool dash_place = i % (kGroupChars + 1) == kGroupChars;
    if (dash_place != (text[i] == '-')) {
      return Err(InvalidArgument("principal text has a misplaced or missing dash at offset " + std::to_string(i)));
    }
    if (dash_place) continue;
    const int v = Base32Value(text[i]);
    if (v < 0) {
      return Err(InvalidArgument("principal text has a character outside lowercase base32 at offset " +
                                 std::to_string(i)));
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      raw += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (text.back() == '-') return Err(InvalidArgument("principal text ends with a dash"));
  if (raw.size() < kCrcBytes) return Err(InvalidArgument("principal text is too short for its checksum"));
  std::string bytes = raw.substr(kCrcBytes);
  if (bytes.size() > kPrincipalBytesMax) {
    return Err(InvalidArgument("principal is longer than " + std::to_string(kPrincipalBytesMax) + " bytes"));
  }
  // Leftover bits, a wrong checksum or any other non-canonical spelling:
  // the canonical text of the bytes must be exactly what was given.
  if (PrincipalToText(bytes) != text) {
    const uint32_t crc = Crc32(bytes);
    uint32_t given = 0;
    for (std::size_t i = 0; i < kCrcBytes; ++i) given = (given << 8) | static_cast<uint8_t>(raw[i]);
    return Err(InvalidArgument(given != crc ? "principal text checksum does not match"
                                            : "principal text is not in canonical form"));
  }
  return bytes;
}

}  // namespace sela::codec
