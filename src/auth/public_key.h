// Public keys of Internet Computer principals (ARCHITECTURE.md §5): which DER
// SubjectPublicKeyInfo forms we accept, the self-authenticating principal a
// key derives, and signature verification.
//
// Accepted keys, in their canonical DER form only (the IC refuses others):
// Ed25519 (RFC 8410, 44 bytes) and ECDSA secp256k1 with an uncompressed
// point (RFC 5480, 88 bytes). Signatures: Ed25519 over the message; secp256k1
// ECDSA over SHA-256(message) as 64 bytes r || s.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/principal.h"
#include "core/status.h"

namespace sela::auth {

enum class KeyAlgorithm : uint8_t { kEd25519, kSecp256k1 };

inline constexpr std::string_view kEd25519DerPrefix{"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12};
inline constexpr size_t kEd25519DerBytes = 44;
inline constexpr std::string_view kSecp256k1DerPrefix{
    "\x30\x56\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00\x0a\x03\x42\x00", 23};
inline constexpr size_t kSecp256k1DerBytes = 88;
inline constexpr size_t kSignatureBytes = 64;

// The algorithm of a canonical DER key; InvalidArgument for anything else
// (other curves, compressed points, trailing bytes).
Result<KeyAlgorithm> PublicKeyAlgorithm(std::string_view der);

// SHA-224(der) || 0x02: the self-authenticating principal of a key.
codec::Principal PrincipalOfPublicKey(std::string_view der);

// The 44-byte DER form of a raw 32-byte Ed25519 key.
std::string Ed25519DerFromRaw(std::string_view raw32);

struct VerifyOptions {
  // secp256k1: refuse s > n/2 (malleable form). The IC accepts both; the
  // node protocol v2 requires low-S.
  bool require_low_s = false;
};

// OK when `signature` is valid for `message` under the key; Unauthenticated
// when it is not; InvalidArgument for a malformed key or signature.
Status VerifySignature(std::string_view public_key_der, std::string_view message,
                       std::string_view signature, VerifyOptions options = {});

// secp256k1's group order n halved, big-endian (the low-S bound).
bool IsLowS(std::string_view s32);

}  // namespace sela::auth
