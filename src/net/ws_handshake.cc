#include "net/ws_handshake.h"

#include <openssl/evp.h>

namespace sela::net {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A valid key is base64 of exactly 16 bytes: 22 characters and "==".
bool IsValidKey(std::string_view key) {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i) {
    char c = key[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return false;
  }
  // The last character before padding carries only 2 significant bits.
  static constexpr std::string_view kLast = "AQgw";
  return kLast.find(key[21]) != std::string_view::npos;
}

}  // namespace

bool HeaderHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool IsWebSocketUpgrade(const HttpRequest& request) {
  return HeaderHasToken(request.Header("Upgrade"), "websocket");
}

UpgradeDecision CheckUpgrade(const HttpRequest& request) {
  UpgradeDecision d;
  auto fail = [&d](unsigned status, std::string why) {
    d.status = status;
    d.error = std::move(why);
    return d;
  };
  if (request.method != "GET") return fail(400, "WebSocket upgrade must use GET");
  if (request.version < 11) return fail(400, "WebSocket upgrade needs HTTP/1.1");
  if (!HeaderHasToken(request.Header("Connection"), "upgrade")) {
    return fail(400, "Connection header must contain Upgrade");
  }
  std::string_view version = Trim(request.Header("Sec-WebSocket-Version"));
  if (version != "13" && version != "8") {
    return fail(426, "unsupported Sec-WebSocket-Version (13 is supported)");
  }
  std::string_view key = Trim(request.Header("Sec-WebSocket-Key"));
  if (!IsValidKey(key)) return fail(400, "missing or invalid Sec-WebSocket-Key");
  d.accept_key = ComputeAcceptKey(key);
  // Node protocol v2 is selected whenever it is offered; otherwise the first
  // offered value is echoed, as the original's library did.
  std::string_view protocols = request.Header("Sec-WebSocket-Protocol");
  if (HeaderHasToken(protocols, kPreferredSubprotocol)) {
    d.subprotocol = std::string(kPreferredSubprotocol);
  } else if (!protocols.empty()) {
    d.subprotocol = std::string(Trim(protocols.substr(0, protocols.find(','))));
  }
  return d;
}

std::string ComputeAcceptKey(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

}  // namespace sela::net
