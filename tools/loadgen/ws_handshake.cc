#include "ws_handshake.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>

namespace loadgen {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kHeaderEnd = "\r\n\r\n";

void Sha1Block(const uint8_t* block, std::array<uint32_t, 5>& h) {
  uint32_t w[80];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
           (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 80; ++i) w[i] = std::rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  std::array<uint32_t, 5> v = h;  // a, b, c, d, e of FIPS 180-4.
  for (int i = 0; i < 80; ++i) {
    const uint32_t b = v[1], c = v[2], d = v[3];
    uint32_t f;
    uint32_t k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    const uint32_t t = std::rotl(v[0], 5) + f + v[4] + k + w[i];
    v = {t, v[0], std::rotl(b, 30), c, d};
  }
  for (int i = 0; i < 5; ++i) h[i] += v[i];
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

UpgradeResponse Reject(int http_status, std::string reason) {
  UpgradeResponse r;
  r.status = UpgradeStatus::kRejected;
  r.http_status = http_status;
  r.reason = std::move(reason);
  return r;
}

// "HTTP/1.1 101 Switching Protocols" -> 101; 0 when malformed.
int ParseStatusLine(std::string_view line) {
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') return 0;
  int status = 0;
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  return ec == std::errc() && end == line.data() + 12 ? status : 0;
}

}  // namespace

std::array<uint8_t, 20> Sha1(std::string_view data) {
  std::array<uint32_t, 5> h = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string padded(data);
  const uint64_t bit_length = uint64_t{data.size()} * 8;
  padded += static_cast<char>(0x80);
  while (padded.size() % 64 != 56) padded += '\0';
  for (int shift = 56; shift >= 0; shift -= 8) padded += static_cast<char>(bit_length >> shift);
  for (size_t i = 0; i < padded.size(); i += 64) {
    Sha1Block(reinterpret_cast<const uint8_t*>(padded.data() + i), h);
  }
  std::array<uint8_t, 20> digest;
  for (int i = 0; i < 20; ++i) digest[i] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return digest;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t j = 0; j < 3; ++j) {
      v = (v << 8) | (j < n ? static_cast<uint8_t>(bytes[i + j]) : 0);
    }
    for (size_t j = 0; j < 4; ++j) {
      out += j <= n ? kAlphabet[(v >> (18 - 6 * j)) & 0x3F] : '=';
    }
  }
  return out;
}

std::string MakeWebSocketKey(uint64_t random_hi, uint64_t random_lo) {
  std::string raw(16, '\0');
  for (int i = 0; i < 8; ++i) {
    raw[i] = static_cast<char>(random_hi >> (8 * i));
    raw[8 + i] = static_cast<char>(random_lo >> (8 * i));
  }
  return Base64Encode(raw);
}

std::string WebSocketAccept(std::string_view key) {
  std::string input(key);
  input += kAcceptGuid;
  const auto digest = Sha1(input);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string BuildUpgradeRequest(const UpgradeRequest& request) {
  std::string out;
  out.reserve(256);
  out.append("GET ").append(request.path).append(" HTTP/1.1\r\nHost: ");
  out.append(request.host_header);
  out.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  out.append(request.key).append("\r\nSec-WebSocket-Version: 13\r\n");
  if (!request.bearer.empty()) out.append("Authorization: Bearer ").append(request.bearer).append("\r\n");
  if (!request.subprotocol.empty()) out.append("Sec-WebSocket-Protocol: ").append(request.subprotocol).append("\r\n");
  out.append("\r\n");
  return out;
}

UpgradeResponse ParseUpgradeResponse(std::string_view data, std::string_view expected_accept) {
  const size_t end = data.find(kHeaderEnd);
  if (end == std::string_view::npos) {
    if (data.size() > kHandshakeResponseBytesMax) return Reject(0, "handshake_too_large");
    return {};
  }
  std::string_view head = data.substr(0, end + 2);  // Every line ends in CRLF.
  size_t eol = head.find("\r\n");
  const int status = ParseStatusLine(head.substr(0, eol));
  if (status == 0) return Reject(0, "handshake_malformed");
  if (status != 101) return Reject(status, "handshake_status_" + std::to_string(status));
  bool upgrade = false, connection = false, accept = false;
  for (head.remove_prefix(eol + 2); !head.empty(); head.remove_prefix(eol + 2)) {
    eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Reject(status, "handshake_malformed");
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "upgrade")) upgrade = EqualsIgnoreCase(value, "websocket");
    if (EqualsIgnoreCase(name, "connection")) connection = ContainsIgnoreCase(value, "upgrade");
    if (EqualsIgnoreCase(name, "sec-websocket-accept")) accept = value == expected_accept;
  }
  if (!upgrade || !connection) return Reject(status, "handshake_no_upgrade");
  if (!accept) return Reject(status, "handshake_bad_accept");
  UpgradeResponse ok;
  ok.status = UpgradeStatus::kAccepted;
  ok.header_bytes = end + kHeaderEnd.size();
  ok.http_status = status;
  return ok;
}

}  // namespace loadgen
