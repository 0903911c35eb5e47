#include "auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace sela::auth {

namespace {
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// SHA-256 fetched from the provider once: EVP_sha256() makes every digest
// look the implementation up again (OpenSSL 3), which cost as much as
// hashing a short API key. Hashed per request and per job result.
const EVP_MD* Sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}
}  // namespace

Result<std::string> GenerateApiKey() {
  std::string key;
  key.reserve(kApiKeyLength);
  std::array<unsigned char, 64> buf{};
  while (key.size() < kApiKeyLength) {
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
      return Err(Unavailable("the random source failed"));
    }
    for (unsigned char b : buf) {
      // Rejection sampling: 248 = 4 × 62 keeps every character equally likely.
      if (b >= 248) continue;
      key += kAlphabet[b % kAlphabet.size()];
      if (key.size() == kApiKeyLength) break;
    }
  }
  return key;
}

std::string Sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, Sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::optional<std::string_view> ApiKeyFromHeader(std::string_view header) {
  std::string_view v = header;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  if (v.starts_with("Bearer ")) {
    v.remove_prefix(7);
  } else if (v.starts_with("ApiKey ")) {
    v.remove_prefix(7);
  }
  v = Trim(v);
  if (v.empty()) return std::nullopt;
  return v;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sela::auth
