#include "auth/signing_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>

namespace sela::auth {
namespace {

struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct SigFree { void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); } };
struct BnFree { void operator()(BIGNUM* b) const { BN_free(b); } };

constexpr std::string_view kEd25519Oid{"\x06\x03\x2b\x65\x70", 5};
constexpr std::string_view kSeedHeader{"\x04\x20", 2};
// secp256k1's group order n, big-endian.
constexpr std::array<uint8_t, 32> kOrder = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Environment variables often carry a PEM with its line breaks written as
// the two characters backslash and n.
std::string NormalisePem(std::string_view pem) {
  std::string out;
  out.reserve(pem.size());
  for (size_t i = 0; i < pem.size(); ++i) {
    if (pem[i] == '\\' && i + 1 < pem.size() && pem[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += pem[i];
    }
  }
  return out;
}

// The base64 body of the first `-----BEGIN PRIVATE KEY-----` block, decoded.
Result<std::string> Pkcs8Body(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN PRIVATE KEY-----";
  constexpr std::string_view kEnd = "-----END PRIVATE KEY-----";
  const size_t begin = pem.find(kBegin);
  const size_t end = pem.find(kEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    return Err(InvalidArgument("PEM: no private key block"));
  }
  std::string b64;
  for (char c : pem.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64 += c;
  }
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 4096) {
    return Err(InvalidArgument("PEM: malformed base64 body"));
  }
  std::string der(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()), U(b64),
                                static_cast<int>(b64.size()));
  if (n < 0) return Err(InvalidArgument("PEM: malformed base64 body"));
  size_t padding = 0;
  while (padding < 2 && b64[b64.size() - 1 - padding] == '=') ++padding;
  der.resize(static_cast<size_t>(n) - padding);
  return der;
}

// PKCS#8 Ed25519 keys OpenSSL 3.0 cannot read (v2 with the public key,
// old dfx's layout): the seed is the OCTET STRING 04 20 after the OID.
Result<std::string> Ed25519SeedFromPkcs8(std::string_view der) {
  const size_t oid = der.find(kEd25519Oid);
  if (oid == std::string_view::npos) return Err(InvalidArgument("PEM: not an Ed25519 or secp256k1 key"));
  const size_t seed = der.find(kSeedHeader, oid + kEd25519Oid.size());
  if (seed == std::string_view::npos || der.size() < seed + 2 + 32) {
    return Err(InvalidArgument("PEM: Ed25519 key without its 32-byte seed"));
  }
  return std::string(der.substr(seed + 2, 32));
}

bool IsSecp256k1(EVP_PKEY* pkey) {
  std::array<char, 64> group{};
  size_t len = 0;
  return EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                        &len) == 1 &&
         std::string_view(group.data(), len) == "secp256k1";
}

Result<std::string> PublicDer(EVP_PKEY* pkey) {
  const int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return Err(Internal("cannot encode the public key"));
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(pkey, &p);
  return der;
}

// DER ECDSA-Sig-Value -> r || s, with s replaced by n - s when above n/2.
Result<std::string> DerToLowSRaw(std::string_view der) {
  const unsigned char* p = U(der);
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Err(Internal("cannot decode an ECDSA signature"));
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) {
    return Err(Internal("ECDSA signature component too wide"));
  }
  if (!IsLowS(std::string_view(raw).substr(32))) {
    std::unique_ptr<BIGNUM, BnFree> n(BN_bin2bn(kOrder.data(), 32, nullptr));
    std::unique_ptr<BIGNUM, BnFree> low(BN_new());
    if (!n || !low || BN_sub(low.get(), n.get(), s) != 1 || BN_bn2binpad(low.get(), out + 32, 32) != 32) {
      return Err(Internal("cannot normalise an ECDSA signature"));
    }
  }
  return raw;
}

}  // namespace

void SigningKey::PkeyFree::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::FromPkey(std::unique_ptr<EVP_PKEY, PkeyFree> pkey) {
  SigningKey key;
  if (EVP_PKEY_get_id(pkey.get()) == EVP_PKEY_ED25519) {
    key.algorithm_ = KeyAlgorithm::kEd25519;
  } else if (EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_EC && IsSecp256k1(pkey.get())) {
    key.algorithm_ = KeyAlgorithm::kSecp256k1;
    // The IC wants the uncompressed point in the DER key.
    EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                   OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
  } else {
    return Err(InvalidArgument("private key: only Ed25519 and secp256k1 keys are supported"));
  }
  ASSIGN_OR_RETURN(key.public_key_der_, PublicDer(pkey.get()));
  if (!PublicKeyAlgorithm(key.public_key_der_).has_value()) {
    return Err(InvalidArgument("private key: its public key has no canonical DER form"));
  }
  key.pkey_ = std::move(pkey);
  return key;
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem_text) {
  const std::string pem = NormalisePem(pem_text);
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // No passphrase callback would make OpenSSL prompt on the terminal for an
  // encrypted key; this one refuses instead.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (pkey) return FromPkey(std::move(pkey));
  ASSIGN_OR_RETURN(const std::string der, Pkcs8Body(pem));
  ASSIGN_OR_RETURN(const std::string seed, Ed25519SeedFromPkcs8(der));
  return Ed25519FromSeed(seed);
}

Result<SigningKey> SigningKey::Ed25519FromSeed(std::string_view seed32) {
  if (seed32.size() != 32) return Err(InvalidArgument("Ed25519 seed: expected 32 bytes"));
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, U(seed32), seed32.size()));
  ERR_clear_error();
  if (!pkey) return Err(Internal("cannot build an Ed25519 key"));
  return FromPkey(std::move(pkey));
}

Result<SigningKey> SigningKey::Secp256k1FromSeed(std::string_view seed32) {
  if (seed32.size() != 32) return Err(InvalidArgument("secp256k1 seed: expected 32 bytes"));
  // OpenSSL 3 builds EC keys from parameters (the EC_KEY interface is
  // deprecated): the group, the scalar and the public point it gives.
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(NID_secp256k1),
                                                            &EC_GROUP_free);
  std::unique_ptr<BIGNUM, BnFree> priv(BN_bin2bn(U(seed32), 32, nullptr));
  if (!group || !priv) return Err(Internal("cannot set up secp256k1"));
  if (BN_is_zero(priv.get()) || BN_cmp(priv.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return Err(InvalidArgument("secp256k1 seed: not a valid private key"));
  }
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> pub(EC_POINT_new(group.get()), &EC_POINT_free);
  std::array<unsigned char, 65> point{};
  if (!pub || EC_POINT_mul(group.get(), pub.get(), priv.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, point.data(), point.size(),
                         nullptr) != point.size()) {
    ERR_clear_error();
    return Err(Internal("cannot compute the secp256k1 public key"));
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return Err(Internal("cannot build secp256k1 key parameters"));
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> pctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !pctx || EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    ERR_clear_error();
    return Err(Internal("cannot load the secp256k1 key"));
  }
  return FromPkey(std::unique_ptr<EVP_PKEY, PkeyFree>(raw));
}

Result<SigningKey> SigningKey::Generate(KeyAlgorithm algorithm) {
  EVP_PKEY* raw = algorithm == KeyAlgorithm::kEd25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1");
  ERR_clear_error();
  if (raw == nullptr) return Err(Unavailable("key generation failed"));
  return FromPkey(std::unique_ptr<EVP_PKEY, PkeyFree>(raw));
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = algorithm_ == KeyAlgorithm::kEd25519 ? nullptr : EVP_sha256();
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, U(message), message.size()) != 1) {
    ERR_clear_error();
    return Err(Internal("signing failed"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, U(message),
                     message.size()) != 1) {
    ERR_clear_error();
    return Err(Internal("signing failed"));
  }
  sig.resize(len);
  if (algorithm_ == KeyAlgorithm::kEd25519) return sig;
  return DerToLowSRaw(sig);
}

}  // namespace sela::auth
