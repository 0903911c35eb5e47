#include "auth/node_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "auth/api_key.h"
#include "codec/base64.h"

namespace sela::auth {
namespace {

constexpr std::string_view kDomain = "sela-node-token";
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kTimeBytes = 8;
constexpr std::size_t kPrincipalBytesMax = 29;

std::string Mac(std::string_view secret, std::string_view body) {
  std::string input(kDomain);
  input += body;
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), kMacBytes);
}

}  // namespace

std::string IssueNodeToken(std::string_view secret, std::string_view principal, int64_t expires_ms) {
  std::string body(principal);
  for (int shift = 56; shift >= 0; shift -= 8) {
    body += static_cast<char>((static_cast<uint64_t>(expires_ms) >> shift) & 0xFF);
  }
  body += Mac(secret, body);
  return std::string(kNodeTokenPrefix) + codec::Base64UrlEncode(body);
}

Result<std::string> VerifyNodeToken(std::string_view secret, std::string_view token, int64_t now_ms) {
  if (!token.starts_with(kNodeTokenPrefix)) return Err(Unauthenticated("not a node token"));
  token.remove_prefix(kNodeTokenPrefix.size());
  if (token.size() > ((kPrincipalBytesMax + kTimeBytes + kMacBytes) * 4 + 2) / 3) {
    return Err(Unauthenticated("node token is too long"));
  }
  auto raw = codec::Base64UrlDecode(token);
  if (!raw || raw->size() < 1 + kTimeBytes + kMacBytes) return Err(Unauthenticated("node token is malformed"));
  const std::string_view body(raw->data(), raw->size() - kMacBytes);
  const std::string_view mac(raw->data() + body.size(), kMacBytes);
  if (!ConstantTimeEquals(mac, Mac(secret, body))) return Err(Unauthenticated("node token is not ours or was altered"));
  uint64_t expires = 0;
  for (std::size_t i = body.size() - kTimeBytes; i < body.size(); ++i) {
    expires = (expires << 8) | static_cast<uint8_t>(body[i]);
  }
  if (now_ms > static_cast<int64_t>(expires)) return Err(Unauthenticated("node token expired; take a new one"));
  return std::string(body.substr(0, body.size() - kTimeBytes));
}

}  // namespace sela::auth
