#include "codec/base64_lenient.h"

#include <array>

namespace sela::codec {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kBlank = -2;
constexpr int8_t kPad = -3;
constexpr int8_t kBad = -1;

constexpr std::array<int8_t, 256> MakeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = kBad;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  t['-'] = 62;  // URL-safe alphabet.
  t['_'] = 63;
  for (unsigned char c : {' ', '\t', '\r', '\n'}) t[c] = kBlank;
  t['='] = kPad;
  return t;
}

constexpr std::array<int8_t, 256> kTable = MakeTable();

}  // namespace

Result<std::string> Base64DecodeLenient(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t digits = 0;
  bool padding = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const int8_t v = kTable[static_cast<unsigned char>(text[i])];
    if (v == kBlank) continue;
    if (v == kPad) {
      padding = true;
      continue;
    }
    if (v == kBad || padding) {
      return Err(InvalidArgument("not base64: character at offset " + std::to_string(i)));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (digits % 4 == 1) return Err(InvalidArgument("not base64: a character is left over at the end"));
  return out;
}

}  // namespace sela::codec
