#include "auth/signing_key.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::auth {
namespace {

std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }

// The secp256k1 test PEM of agent-js (reference ic/PROTOCOL-NOTES.md §3.5).
constexpr std::string_view kSecpPem =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHQCAQEEIGfKHuyoCCCbEXb0789MIdWiCIpZo1LaKApv95SSIaWPoAcGBSuBBAAK\n"
    "oUQDQgAEahC99Avid7r8D6kIeLjjxJ8kwdJRy5nPrN9o18P7xHT95i0JPr5ivc9v\n"
    "CB8vG2s97NB0re2MhqvdWgradJZ8Ow==\n"
    "-----END EC PRIVATE KEY-----\n";
constexpr std::string_view kSecpPrincipal = "42gbo-uiwfn-oq452-ql6yp-4jsqn-a6bxk-n7l4z-ni7os-yptq6-3htob-vqe";
constexpr std::string_view kSeed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kEdPrincipal = "yavxl-ppty4-enezb-hcalr-cdgzv-zoexx-7od3c-urvk6-rfzs4-552ct-7ae";

std::string Pem(std::string_view label, std::string_view der) {
  std::string b64(((der.size() + 2) / 3) * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END " + std::string(label) + "-----\n";
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(SigningKey, LoadsTheDfxSecp256k1PemInEveryWrapping) {
  const std::string variants[] = {
      std::string(kSecpPem),
      Replace(std::string(kSecpPem), "\n", "\r\n"),                          // dfx writes CRLF.
      Replace(std::string(kSecpPem), "\n", "\\n"),                           // From an env variable.
      "-----BEGIN EC PARAMETERS-----\nBgUrgQQACg==\n-----END EC PARAMETERS-----\n" + std::string(kSecpPem),
  };
  for (const std::string& pem : variants) {
    const Result<SigningKey> key = SigningKey::FromPem(pem);
    ASSERT_TRUE(key.has_value()) << key.error().ToString();
    EXPECT_EQ(key->algorithm(), KeyAlgorithm::kSecp256k1);
    EXPECT_EQ(key->principal().ToText(), kSecpPrincipal);
    EXPECT_EQ(key->public_key_der().size(), kSecp256k1DerBytes);
  }
}

TEST(SigningKey, LoadsPkcs8Ed25519InAllThreeLayouts) {
  const std::string seed = Bytes(kSeed);
  const std::string pub = Bytes("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  const std::string v1 = Bytes("302e020100300506032b657004220420") + seed;
  const std::string v2 = Bytes("3051020101300506032b657004220420") + seed + Bytes("812100") + pub;
  const std::string old_dfx = Bytes("3053020101300506032b657004220420") + seed + Bytes("a123032100") + pub;
  for (const std::string& der : {v1, v2, old_dfx}) {
    const Result<SigningKey> key = SigningKey::FromPem(Pem("PRIVATE KEY", der));
    ASSERT_TRUE(key.has_value()) << key.error().ToString();
    EXPECT_EQ(key->algorithm(), KeyAlgorithm::kEd25519);
    EXPECT_EQ(key->principal().ToText(), kEdPrincipal);
  }
}

TEST(SigningKey, LoadsPkcs8Secp256k1AsIcpCliExportsIt) {
  const SigningKey sec1 = SigningKey::FromPem(kSecpPem).value();
  // Re-export the same key as PKCS#8 through OpenSSL.
  BIO* bio = BIO_new_mem_buf(kSecpPem.data(), static_cast<int>(kSecpPem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(pkey, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out, pkey, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  const std::string pkcs8(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(pkey);
  ASSERT_TRUE(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(SigningKey::FromPem(pkcs8).value().principal(), sec1.principal());
}

TEST(SigningKey, RefusesOtherCurvesAndGarbageWithoutEchoingTheKey) {
  EVP_PKEY* p256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(out, p256, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  const std::string pem(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(p256);
  const Result<SigningKey> key = SigningKey::FromPem(pem);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code(), Code::kInvalidArgument);

  for (std::string_view bad : {std::string_view(""), std::string_view("not a pem"),
                               std::string_view("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n")}) {
    const Result<SigningKey> r = SigningKey::FromPem(bad);
    ASSERT_FALSE(r.has_value());
  }
  // A truncated secret: the message never contains the PEM's text.
  const std::string truncated = std::string(kSecpPem.substr(0, 60)) + "-----END EC PRIVATE KEY-----\n";
  const Result<SigningKey> r = SigningKey::FromPem(truncated);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message().find("MHQCAQ"), std::string::npos);
}

TEST(SigningKey, RefusesAnEncryptedPemWithoutPrompting) {
  BIO* bio = BIO_new_mem_buf(kSecpPem.data(), static_cast<int>(kSecpPem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  BIO* out = BIO_new(BIO_s_mem());
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out, pkey, EVP_aes_256_cbc(), pass, 6, nullptr, nullptr), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  const std::string encrypted(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(pkey);
  ASSERT_TRUE(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  EXPECT_FALSE(SigningKey::FromPem(encrypted).has_value());
}

TEST(SigningKey, Ed25519SignaturesAreDeterministic) {
  const SigningKey key = SigningKey::Ed25519FromSeed(Bytes(kSeed)).value();
  EXPECT_EQ(key.Sign("abc").value(), key.Sign("abc").value());
  EXPECT_FALSE(SigningKey::Ed25519FromSeed("short").has_value());
}

}  // namespace
}  // namespace sela::auth
