// SigningKey: a private key that signs as an Internet Computer identity
// (Ed25519, or ECDSA on secp256k1), loaded from PEM or made from raw bytes.
//
// PEM layouts accepted (reference ic/PROTOCOL-NOTES.md §3.4): SEC1
// `EC PRIVATE KEY` as dfx exports it (LF or CRLF, with or without a leading
// `EC PARAMETERS` block), which is what the original server accepted in
// CANISTER_CONTROLLER_PEM; PKCS#8 `PRIVATE KEY` for secp256k1 (icp-cli) and
// Ed25519 (v1, v2 with the public key, and old dfx's non-conforming form).
// A PEM whose line breaks arrive as the two characters `\n` (an environment
// variable) is accepted too. EC keys on any other curve are refused.
//
// The key material never appears in an error message, a log line or a
// string this class returns, other than the public key.
//
// Thread-safety: immutable after construction; Sign() may run on several
// threads at once. Move-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "auth/public_key.h"
#include "codec/principal.h"
#include "core/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace sela::auth {

class SigningKey {
 public:
  static Result<SigningKey> FromPem(std::string_view pem);
  static Result<SigningKey> Ed25519FromSeed(std::string_view seed32);
  // A secp256k1 key whose private scalar is the 32 bytes (big-endian), as
  // @dfinity/identity-secp256k1's Secp256k1KeyIdentity.generate(seed) makes
  // it; InvalidArgument when the scalar is 0 or not below the group order.
  static Result<SigningKey> Secp256k1FromSeed(std::string_view seed32);
  // A fresh key from OpenSSL's CSPRNG (tests, the fake IC's node keys).
  static Result<SigningKey> Generate(KeyAlgorithm algorithm);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  KeyAlgorithm algorithm() const { return algorithm_; }
  // Canonical DER SubjectPublicKeyInfo (44 or 88 bytes).
  const std::string& public_key_der() const { return public_key_der_; }
  codec::Principal principal() const { return PrincipalOfPublicKey(public_key_der_); }

  // Ed25519: the 64-byte signature of message (deterministic).
  // secp256k1: ECDSA over SHA-256(message), r || s, normalised to low-S.
  Result<std::string> Sign(std::string_view message) const;

 private:
  struct PkeyFree { void operator()(EVP_PKEY* p) const; };
  static Result<SigningKey> FromPkey(std::unique_ptr<EVP_PKEY, PkeyFree> pkey);
  SigningKey() = default;

  std::unique_ptr<EVP_PKEY, PkeyFree> pkey_;
  KeyAlgorithm algorithm_ = KeyAlgorithm::kEd25519;
  std::string public_key_der_;
};

}  // namespace sela::auth
