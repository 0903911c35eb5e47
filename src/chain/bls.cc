#include "chain/bls.h"

#include <blst.h>

#include <cstring>

namespace sela::chain::bls {
namespace {

constexpr std::string_view kDst = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

const byte* B(std::string_view s) { return reinterpret_cast<const byte*>(s.data()); }

blst_scalar ToScalar(const std::array<uint8_t, 32>& bytes) {
  blst_scalar s;
  static_assert(sizeof(s) == 32);
  std::memcpy(&s, bytes.data(), 32);
  return s;
}

}  // namespace

Result<std::string_view> KeyFromDer(std::string_view der) {
  if (der.size() != kDerPrefix.size() + kPublicKeyBytes || !der.starts_with(kDerPrefix)) {
    return Err(InvalidArgument("BLS key: not a DER BLS12-381 G2 key"));
  }
  return der.substr(kDerPrefix.size());
}

std::string KeyToDer(std::string_view raw96) {
  std::string der(kDerPrefix);
  der += raw96;
  return der;
}

bool Verify(std::string_view public_key96, std::string_view signature48, std::string_view message) {
  if (public_key96.size() != kPublicKeyBytes || signature48.size() != kSignatureBytes) return false;
  blst_p2_affine pk;
  blst_p1_affine sig;
  if (blst_p2_uncompress(&pk, B(public_key96)) != BLST_SUCCESS) return false;
  if (blst_p1_uncompress(&sig, B(signature48)) != BLST_SUCCESS) return false;
  if (blst_p2_affine_is_inf(&pk) || !blst_p2_affine_in_g2(&pk) || !blst_p1_affine_in_g1(&sig)) return false;
  return blst_core_verify_pk_in_g2(&pk, &sig, true, B(message), message.size(), B(kDst), kDst.size(),
                                   nullptr, 0) == BLST_SUCCESS;
}

Result<SecretKey> SecretKey::FromBytes(std::string_view bytes32) {
  if (bytes32.size() != 32) return Err(InvalidArgument("BLS secret key: expected 32 bytes"));
  blst_scalar s;
  blst_scalar_from_bendian(&s, B(bytes32));
  if (!blst_sk_check(&s)) return Err(InvalidArgument("BLS secret key: not in [1, r)"));
  SecretKey key;
  std::memcpy(key.scalar_.data(), &s, 32);
  return key;
}

std::string SecretKey::PublicKey() const {
  const blst_scalar s = ToScalar(scalar_);
  blst_p2 pk;
  blst_sk_to_pk_in_g2(&pk, &s);
  std::string out(kPublicKeyBytes, '\0');
  blst_p2_compress(reinterpret_cast<byte*>(out.data()), &pk);
  return out;
}

std::string SecretKey::Sign(std::string_view message) const {
  const blst_scalar s = ToScalar(scalar_);
  blst_p1 hash;
  blst_hash_to_g1(&hash, B(message), message.size(), B(kDst), kDst.size(), nullptr, 0);
  blst_p1 sig;
  blst_sign_pk_in_g2(&sig, &hash, &s);
  std::string out(kSignatureBytes, '\0');
  blst_p1_compress(reinterpret_cast<byte*>(out.data()), &sig);
  return out;
}

}  // namespace sela::chain::bls
