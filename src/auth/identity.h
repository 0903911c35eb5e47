// Node identity: public keys, the Internet Computer principals they give,
// and signature checks (ARCHITECTURE.md §3, §5; docs/protocol-v2.md).
//
// - A public key travels as a DER SubjectPublicKeyInfo: Ed25519 (OID
//   1.3.101.112) or id-ecPublicKey on secp256k1 (uncompressed or compressed
//   point). ParsePublicKeyDer accepts exactly those encodings (fixed DER
//   prefixes, no BER variants, no trailing bytes), so a key has one byte form
//   and the principal derived from it is unambiguous.
// - The self-authenticating principal of a key is SHA-224(DER) || 0x02,
//   29 bytes; codec/principal_text.h gives its text form.
// - Ed25519 signatures are the 64 bytes of RFC 8032 over the message itself;
//   secp256k1 signatures are ECDSA over SHA-256(message), 64 bytes r || s
//   with s in the lower half of the group order (low-S: the other half would
//   give a second valid signature for the same message).
//
// SigningKey is the other side, for tests, benchmarks and the chain agent:
// keys from a 32-byte seed, exactly as @dfinity/identity's
// Ed25519KeyIdentity.generate(seed) and @dfinity/identity-secp256k1's
// Secp256k1KeyIdentity.generate(seed) make them.
//
// Thread-safety: free functions and immutable objects; safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::auth {

enum class KeyType : uint8_t { kEd25519, kSecp256k1 };

std::string_view KeyTypeName(KeyType type);  // "ed25519", "secp256k1"

// Bytes of a self-authenticating principal: 28 of SHA-224 and the tag.
inline constexpr std::size_t kSelfAuthenticatingBytes = 29;
inline constexpr char kSelfAuthenticatingTag = 0x02;
inline constexpr std::size_t kSignatureBytes = 64;
// The largest DER this module accepts (secp256k1, uncompressed).
inline constexpr std::size_t kPublicKeyDerBytesMax = 88;

struct PublicKey {
  KeyType type = KeyType::kEd25519;
  std::string der;  // The SubjectPublicKeyInfo as received.
};

// InvalidArgument saying what is wrong when `der` is not one of the accepted
// encodings, or its point is not on the curve.
Result<PublicKey> ParsePublicKeyDer(std::string_view der);

// SHA-224(der) || 0x02. Any bytes are hashed; callers parse the key first.
std::string SelfAuthenticatingPrincipal(std::string_view der);

// OK when `signature` is a valid signature of `message` by `key`;
// Unauthenticated otherwise (wrong length, high S, or it does not verify).
Status VerifySignature(const PublicKey& key, std::string_view message, std::string_view signature);

class SigningKey {
 public:
  // A key from a 32-byte seed (the raw private key). InvalidArgument for a
  // seed of another length, or one that is not a valid secp256k1 scalar.
  static Result<SigningKey> FromSeed(KeyType type, std::string_view seed);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  KeyType type() const { return type_; }
  const std::string& public_key_der() const { return der_; }
  // SelfAuthenticatingPrincipal(public_key_der()).
  std::string principal() const;
  // 64 bytes (see the header comment); secp256k1 signatures are low-S.
  Result<std::string> Sign(std::string_view message) const;

 private:
  struct Key;
  SigningKey(KeyType type, std::unique_ptr<Key> key, std::string der);
  KeyType type_;
  std::unique_ptr<Key> key_;
  std::string der_;
};

}  // namespace sela::auth
