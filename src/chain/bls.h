// BLS12-381 signatures as the Internet Computer uses them for certificates:
// signatures in G1 (48 bytes compressed), public keys in G2 (96 bytes
// compressed), ciphersuite BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_.
// Backed by blst (third_party/blst, fetched by scripts/fetch-blst.sh).
//
// Signing is here for the project's fake IC endpoint and tests, which issue
// certificates under a test root key; the agent only verifies.
//
// Thread-safety: free functions and an immutable key; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::chain::bls {

inline constexpr size_t kPublicKeyBytes = 96;
inline constexpr size_t kSignatureBytes = 48;
// DER prefix of an IC BLS public key (OID 1.3.6.1.4.1.44668.5.3.1.2.1 with
// curve 1.3.6.1.4.1.44668.5.3.2.1); the raw 96 bytes follow.
inline constexpr std::string_view kDerPrefix{
    "\x30\x81\x82\x30\x1d\x06\x0d\x2b\x06\x01\x04\x01\x82\xdc\x7c\x05\x03\x01\x02\x01\x06\x0c\x2b\x06"
    "\x01\x04\x01\x82\xdc\x7c\x05\x03\x02\x01\x03\x61\x00",
    37};

// The raw 96 bytes of a DER BLS key; InvalidArgument for any other shape.
Result<std::string_view> KeyFromDer(std::string_view der);
std::string KeyToDer(std::string_view raw96);

// True when signature48 is a valid signature of message under public_key96
// (both points decoded, on the curve, in their subgroups, not infinity).
bool Verify(std::string_view public_key96, std::string_view signature48, std::string_view message);

class SecretKey {
 public:
  // A 32-byte big-endian scalar in [1, r).
  static Result<SecretKey> FromBytes(std::string_view bytes32);
  std::string PublicKey() const;  // 96 bytes compressed.
  std::string Sign(std::string_view message) const;  // 48 bytes compressed.

 private:
  std::array<uint8_t, 32> scalar_{};  // blst_scalar's little-endian bytes.
};

}  // namespace sela::chain::bls
