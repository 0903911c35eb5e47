#include "auth/public_key.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <memory>

namespace sela::auth {
namespace {

// (n - 1) / 2 for secp256k1, big-endian.
constexpr std::array<uint8_t, 32> kHalfOrder = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct SigFree { void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); } };

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// r || s (64 bytes) -> DER ECDSA-Sig-Value, as OpenSSL's verifier wants it.
Result<std::string> RawToDerSignature(std::string_view raw) {
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U(raw.substr(0, 32)), 32, nullptr);
  BIGNUM* s = BN_bin2bn(U(raw.substr(32, 32)), 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return Err(Internal("cannot build an ECDSA signature"));
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return Err(Internal("cannot encode an ECDSA signature"));
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

}  // namespace

Result<KeyAlgorithm> PublicKeyAlgorithm(std::string_view der) {
  if (der.size() == kEd25519DerBytes && der.starts_with(kEd25519DerPrefix)) {
    return KeyAlgorithm::kEd25519;
  }
  if (der.size() == kSecp256k1DerBytes && der.starts_with(kSecp256k1DerPrefix) &&
      der[kSecp256k1DerPrefix.size()] == '\x04') {
    return KeyAlgorithm::kSecp256k1;
  }
  return Err(InvalidArgument("public key: not a canonical DER Ed25519 or uncompressed secp256k1 key"));
}

codec::Principal PrincipalOfPublicKey(std::string_view der) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(der.data(), der.size(), digest.data(), &len, EVP_sha224(), nullptr);
  std::string bytes(reinterpret_cast<const char*>(digest.data()), len);
  bytes += static_cast<char>(codec::Principal::kSelfAuthenticatingTag);
  return codec::Principal::FromBytes(bytes).value();  // 29 bytes by construction.
}

std::string Ed25519DerFromRaw(std::string_view raw32) {
  std::string der(kEd25519DerPrefix);
  der += raw32;
  return der;
}

bool IsLowS(std::string_view s32) {
  return s32.size() == 32 && std::memcmp(s32.data(), kHalfOrder.data(), 32) <= 0;
}

namespace {

// Ed25519 with libsodium: about half the CPU of OpenSSL 3.0's EVP path
// (48 against 104 microseconds a verification here), which is most of what a
// node's sign-in costs the server (docs/BENCHMARKS.md). RFC 8032 verification;
// libsodium also refuses small-order keys and non-canonical encodings, which
// no honest signer produces.
Status VerifyEd25519(std::string_view der, std::string_view message, std::string_view signature) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) return Internal("libsodium could not start");
  const std::string_view raw = der.substr(kEd25519DerPrefix.size());
  if (crypto_sign_verify_detached(U(signature), U(message), message.size(), U(raw)) != 0) {
    return Unauthenticated("signature does not verify");
  }
  return Status::Ok();
}

}  // namespace

Status VerifySignature(std::string_view public_key_der, std::string_view message,
                       std::string_view signature, VerifyOptions options) {
  ASSIGN_OR_RETURN(const KeyAlgorithm algorithm, PublicKeyAlgorithm(public_key_der));
  if (signature.size() != kSignatureBytes) {
    return InvalidArgument("signature: expected 64 bytes, got " + std::to_string(signature.size()));
  }
  if (algorithm == KeyAlgorithm::kEd25519) return VerifyEd25519(public_key_der, message, signature);
  const unsigned char* p = U(public_key_der);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_key_der.size())));
  if (!key) {
    ERR_clear_error();
    return InvalidArgument("public key: not a valid point");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  int ok = 0;
  if (algorithm == KeyAlgorithm::kEd25519) {
    ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), U(signature), signature.size(), U(message), message.size()) == 1;
  } else {
    if (options.require_low_s && !IsLowS(signature.substr(32))) {
      return Unauthenticated("signature: high-S form refused");
    }
    ASSIGN_OR_RETURN(const std::string der_sig, RawToDerSignature(signature));
    ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), U(der_sig), der_sig.size(), U(message), message.size()) == 1;
  }
  ERR_clear_error();
  if (!ok) return Unauthenticated("signature does not verify");
  return Status::Ok();
}

}  // namespace sela::auth
