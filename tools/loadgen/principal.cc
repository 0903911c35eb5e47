#include "principal.h"

#include <cstdio>

#include "xorshift.h"

namespace loadgen {
namespace {

constexpr int kIndexWidthMin = 6;
constexpr int kHashBytes = 28;
constexpr char kSelfAuthenticatingTag = 0x02;
constexpr int kGroupChars = 5;

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

std::string Base32Lower(std::string_view bytes) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 0x1F];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 0x1F];
  return out;
}

}  // namespace

int PrincipalIndexWidth(uint64_t nodes_total) {
  int width = 1;
  for (uint64_t n = nodes_total > 0 ? nodes_total - 1 : 0; n >= 10; n /= 10) ++width;
  return width < kIndexWidthMin ? kIndexWidthMin : width;
}

uint32_t Crc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (const char c : bytes) {
    crc ^= static_cast<uint8_t>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string PrincipalText(std::string_view bytes) {
  const uint32_t crc = Crc32(bytes);
  std::string raw;
  for (int shift = 24; shift >= 0; shift -= 8) raw += static_cast<char>(crc >> shift);
  raw.append(bytes);
  const std::string encoded = Base32Lower(raw);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += kGroupChars) {
    if (i != 0) out += '-';
    out.append(encoded, i, kGroupChars);
  }
  return out;
}

std::string MakePrincipal(PrincipalFormat format, std::string_view prefix, uint64_t index,
                          int index_width) {
  if (format == PrincipalFormat::kPlain) {
    char digits[32];
    std::snprintf(digits, sizeof(digits), "%0*llu", index_width,
                  static_cast<unsigned long long>(index));
    return std::string(prefix) + digits;
  }
  Xorshift64 rng(Fnv1a(prefix) ^ MixSeed(index));
  std::string bytes;
  for (int i = 0; i < kHashBytes; i += 4) {
    const uint32_t r = rng.Next32();
    for (int j = 0; j < 4; ++j) bytes += static_cast<char>(r >> (8 * j));
  }
  bytes += kSelfAuthenticatingTag;
  return PrincipalText(bytes);
}

}  // namespace loadgen
