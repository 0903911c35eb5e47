#include "v2_messages.h"

#include <openssl/evp.h>

#include <array>
#include <memory>

#include "principal.h"
#include "v1_messages.h"

namespace loadgen {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kEd25519Prefix("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);
constexpr std::string_view kDomain = "sela-v2-auth";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string Digest(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = std::char_traits<char>::find(kAlphabet, 64, c);
    if (p == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::optional<V2Identity> MakeV2Identity(uint64_t run_seed, uint64_t index) {
  V2Identity id;
  const std::string label = "sela-loadgen v2 " + std::to_string(run_seed) + " " + std::to_string(index);
  id.seed = Digest(EVP_sha256(), label);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, U(id.seed), id.seed.size()));
  std::array<unsigned char, 32> pub{};
  size_t len = pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1) return std::nullopt;
  id.public_key_der = std::string(kEd25519Prefix) + std::string(reinterpret_cast<const char*>(pub.data()), len);
  id.principal_bytes = Digest(EVP_sha224(), id.public_key_der) + '\x02';
  id.principal = PrincipalText(id.principal_bytes);
  return id;
}

std::optional<std::string> V2AuthMessage(const V2Identity& identity, std::string_view nonce_b64url) {
  const auto nonce = Base64UrlDecode(nonce_b64url);
  if (!nonce || nonce->size() != 32) return std::nullopt;
  std::string m;
  m += static_cast<char>(kDomain.size());
  m += kDomain;
  m += *nonce;
  m += identity.principal_bytes;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, U(identity.seed), identity.seed.size()));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  std::array<unsigned char, 64> sig{};
  size_t len = sig.size();
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, U(m), m.size()) != 1) {
    return std::nullopt;
  }
  return R"({"type":"auth","principal":")" + identity.principal + R"(","public_key":")" +
         Base64UrlEncode(identity.public_key_der) + R"(","signature":")" +
         Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(sig.data()), len)) + "\"}";
}

V2Kind ClassifyV2(std::string_view payload) {
  const auto type = RawStringMember(payload, "type");
  if (!type) return V2Kind::kOther;
  if (*type == "challenge") return V2Kind::kChallenge;
  if (*type == "welcome") return V2Kind::kWelcome;
  if (*type == "pong") return V2Kind::kPong;
  if (*type == "error") return V2Kind::kError;
  if (*type == "job") return V2Kind::kJob;
  if (*type == "result_ok") return V2Kind::kResultOk;
  return V2Kind::kOther;
}

}  // namespace loadgen
