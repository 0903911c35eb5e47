#include "auth/identity.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace sela::auth {
namespace {

// The only encodings accepted (see the header): fixed SubjectPublicKeyInfo
// prefixes followed by the key bytes.
constexpr std::string_view kEd25519Prefix("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::string_view kSecpUncompressedPrefix(
    "\x30\x56\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00\x0a\x03\x42\x00", 23);
constexpr std::string_view kSecpCompressedPrefix(
    "\x30\x36\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00\x0a\x03\x22\x00", 23);
constexpr std::size_t kSeedBytes = 32;
constexpr std::size_t kScalarBytes = 32;

// secp256k1's group order n and n / 2 (rounded down), big-endian.
constexpr std::array<uint8_t, 32> kOrder = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
constexpr std::array<uint8_t, 32> kHalfOrder = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Big-endian comparison of two 32-byte numbers.
int Compare32(const uint8_t* a, const uint8_t* b) { return std::memcmp(a, b, 32); }
bool IsZero32(const uint8_t* a) {
  return std::all_of(a, a + 32, [](uint8_t x) { return x == 0; });
}

Pkey LoadPublic(const PublicKey& key) {
  if (key.type == KeyType::kEd25519) {
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(key.der) + kEd25519Prefix.size(),
                                            kEd25519KeyBytes));
  }
  const unsigned char* p = Bytes(key.der);
  Pkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.der.size())));
  if (pkey && p != Bytes(key.der) + key.der.size()) pkey.reset();
  return pkey;
}

// The DER ECDSA-Sig-Value of a 64-byte r || s, or empty.
std::string EcdsaDer(std::string_view signature) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return {};
  std::unique_ptr<ECDSA_SIG, SigFree> owner(sig);
  BIGNUM* r = BN_bin2bn(Bytes(signature), kScalarBytes, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(signature) + kScalarBytes, kScalarBytes, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

Status VerifyEcdsa(EVP_PKEY* pkey, std::string_view message, std::string_view signature) {
  const uint8_t* r = Bytes(signature);
  const uint8_t* s = r + kScalarBytes;
  if (IsZero32(r) || Compare32(r, kOrder.data()) >= 0 || IsZero32(s)) {
    return Unauthenticated("signature has r or s out of range");
  }
  if (Compare32(s, kHalfOrder.data()) > 0) {
    return Unauthenticated("secp256k1 signature is not low-S (s must be at most n/2)");
  }
  const std::string der = EcdsaDer(signature);
  MdCtx ctx(EVP_MD_CTX_new());
  if (der.empty() || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1) {
    return Internal("cannot set up ECDSA verification");
  }
  if (EVP_DigestVerify(ctx.get(), Bytes(der), der.size(), Bytes(message), message.size()) != 1) {
    return Unauthenticated("signature does not verify");
  }
  return {};
}

// secp256k1 key pair from a 32-byte private scalar (OpenSSL 3 parameters;
// the EC_KEY interface is deprecated there).
Result<Pkey> Secp256k1FromScalar(std::string_view seed, std::string* uncompressed_point) {
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(NID_secp256k1),
                                                            &EC_GROUP_free);
  Bn priv(BN_bin2bn(Bytes(seed), static_cast<int>(seed.size()), nullptr));
  if (!group || !priv) return Err(Internal("cannot set up secp256k1"));
  if (BN_is_zero(priv.get()) || BN_cmp(priv.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return Err(InvalidArgument("seed is not a valid secp256k1 private key"));
  }
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> pub(EC_POINT_new(group.get()), &EC_POINT_free);
  std::array<unsigned char, 65> oct{};
  if (!pub || EC_POINT_mul(group.get(), pub.get(), priv.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, oct.data(), oct.size(), nullptr) !=
          oct.size()) {
    return Err(Internal("cannot compute the secp256k1 public key"));
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, oct.data(), oct.size()) != 1) {
    return Err(Internal("cannot build secp256k1 key parameters"));
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> pctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !pctx || EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return Err(Internal("cannot load the secp256k1 key"));
  }
  uncompressed_point->assign(reinterpret_cast<const char*>(oct.data()), oct.size());
  return Pkey(raw);
}

Result<std::string> SignEcdsaLowS(EVP_PKEY* pkey, std::string_view message) {
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(message), message.size()) != 1) {
    return Err(Internal("cannot set up ECDSA signing"));
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len, Bytes(message),
                     message.size()) != 1) {
    return Err(Internal("ECDSA signing failed"));
  }
  const unsigned char* p = Bytes(der);
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return Err(Internal("cannot read the ECDSA signature"));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bn order(BN_bin2bn(kOrder.data(), kOrder.size(), nullptr));
  Bn half(BN_bin2bn(kHalfOrder.data(), kHalfOrder.size(), nullptr));
  Bn low(BN_dup(s));
  if (!order || !half || !low) return Err(Internal("out of memory"));
  if (BN_cmp(low.get(), half.get()) > 0 && BN_sub(low.get(), order.get(), s) != 1) {
    return Err(Internal("cannot normalise s"));
  }
  std::string out(kSignatureBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kScalarBytes) != kScalarBytes ||
      BN_bn2binpad(low.get(), o + kScalarBytes, kScalarBytes) != kScalarBytes) {
    return Err(Internal("ECDSA signature does not fit 64 bytes"));
  }
  return out;
}

}  // namespace

std::string_view KeyTypeName(KeyType type) { return type == KeyType::kEd25519 ? "ed25519" : "secp256k1"; }

Result<PublicKey> ParsePublicKeyDer(std::string_view der) {
  PublicKey key;
  if (der.size() == kEd25519Prefix.size() + kEd25519KeyBytes && der.starts_with(kEd25519Prefix)) {
    key.type = KeyType::kEd25519;
  } else if ((der.size() == kSecpUncompressedPrefix.size() + 65 && der.starts_with(kSecpUncompressedPrefix) &&
              der[kSecpUncompressedPrefix.size()] == 0x04) ||
             (der.size() == kSecpCompressedPrefix.size() + 33 && der.starts_with(kSecpCompressedPrefix) &&
              (der[kSecpCompressedPrefix.size()] == 0x02 || der[kSecpCompressedPrefix.size()] == 0x03))) {
    key.type = KeyType::kSecp256k1;
  } else {
    return Err(InvalidArgument(
        "public_key is not a DER SubjectPublicKeyInfo of an Ed25519 or secp256k1 key"));
  }
  key.der = std::string(der);
  if (key.type == KeyType::kSecp256k1 && !LoadPublic(key)) {
    return Err(InvalidArgument("public_key is not a point on secp256k1"));
  }
  return key;
}

std::string SelfAuthenticatingPrincipal(std::string_view der) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(der.data(), der.size(), digest.data(), &len, EVP_sha224(), nullptr);
  std::string out(reinterpret_cast<const char*>(digest.data()), len);
  out += kSelfAuthenticatingTag;
  return out;
}

Status VerifySignature(const PublicKey& key, std::string_view message, std::string_view signature) {
  if (signature.size() != kSignatureBytes) {
    return Unauthenticated("signature must be " + std::to_string(kSignatureBytes) + " bytes, got " +
                           std::to_string(signature.size()));
  }
  Pkey pkey = LoadPublic(key);
  if (!pkey) return Unauthenticated("public key cannot be loaded");
  if (key.type == KeyType::kSecp256k1) return VerifyEcdsa(pkey.get(), message, signature);
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return Internal("cannot set up Ed25519 verification");
  }
  if (EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message), message.size()) != 1) {
    return Unauthenticated("signature does not verify");
  }
  return {};
}

struct SigningKey::Key {
  Pkey pkey;
};

SigningKey::SigningKey(KeyType type, std::unique_ptr<Key> key, std::string der)
    : type_(type), key_(std::move(key)), der_(std::move(der)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::FromSeed(KeyType type, std::string_view seed) {
  if (seed.size() != kSeedBytes) return Err(InvalidArgument("a key seed is 32 bytes"));
  auto key = std::make_unique<Key>();
  std::string der;
  if (type == KeyType::kEd25519) {
    key->pkey.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()));
    std::array<unsigned char, kEd25519KeyBytes> pub{};
    std::size_t len = pub.size();
    if (!key->pkey || EVP_PKEY_get_raw_public_key(key->pkey.get(), pub.data(), &len) != 1) {
      return Err(Internal("cannot load the Ed25519 key"));
    }
    der = std::string(kEd25519Prefix);
    der.append(reinterpret_cast<const char*>(pub.data()), len);
  } else {
    std::string point;
    ASSIGN_OR_RETURN(key->pkey, Secp256k1FromScalar(seed, &point));
    der = std::string(kSecpUncompressedPrefix) + point;
  }
  return SigningKey(type, std::move(key), std::move(der));
}

std::string SigningKey::principal() const { return SelfAuthenticatingPrincipal(der_); }

Result<std::string> SigningKey::Sign(std::string_view message) const {
  if (type_ == KeyType::kSecp256k1) return SignEcdsaLowS(key_->pkey.get(), message);
  MdCtx ctx(EVP_MD_CTX_new());
  std::string out(kSignatureBytes, '\0');
  std::size_t len = out.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, Bytes(message),
                     message.size()) != 1 ||
      len != kSignatureBytes) {
    return Err(Internal("Ed25519 signing failed"));
  }
  return out;
}

}  // namespace sela::auth
