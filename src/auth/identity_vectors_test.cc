// Checks auth/public_key, auth/signing_key and codec/principal against the
// vectors that the Internet Computer's own JavaScript libraries wrote
// (tests/data/identity/v2_vectors.json, tools/testvectors/generate.mjs):
// the principals protocol v2 derives, the signatures it verifies.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/public_key.h"
#include "auth/signing_key.h"
#include "auth/testing/vectors.h"
#include "codec/base64.h"
#include "codec/hex.h"
#include "codec/principal.h"

namespace sela::auth {
namespace {

namespace json = boost::json;
using testing::Vectors;

std::string B64(const json::value& v) { return *codec::Base64UrlDecode(v.as_string()); }
std::string Hex(const json::value& v) { return *codec::HexDecode(v.as_string()); }
constexpr VerifyOptions kV2{.require_low_s = true};

Result<SigningKey> KeyOf(const json::object& id) {
  return id.at("kind").as_string() == "ed25519" ? SigningKey::Ed25519FromSeed(Hex(id.at("seed_hex")))
                                                : SigningKey::Secp256k1FromSeed(Hex(id.at("seed_hex")));
}

const json::object& IdentityOf(const json::value& principal) {
  for (const json::value& i : Vectors().at("identities").as_array()) {
    if (i.as_object().at("principal") == principal) return i.as_object();
  }
  ADD_FAILURE() << "no identity " << principal;
  return Vectors();
}

TEST(IdentityVectors, DerivePrincipalsLikeTheIcLibraries) {
  ASSERT_EQ(Vectors().at("identities").as_array().size(), 6u);
  for (const json::value& v : Vectors().at("identities").as_array()) {
    const json::object& id = v.as_object();
    const std::string der = B64(id.at("public_key"));
    ASSERT_EQ(der, Hex(id.at("public_key_der_hex")));
    const auto algorithm = PublicKeyAlgorithm(der);
    ASSERT_TRUE(algorithm) << algorithm.error().ToString();
    EXPECT_EQ(*algorithm == KeyAlgorithm::kEd25519 ? "ed25519" : "secp256k1", id.at("kind").as_string());
    const codec::Principal principal = PrincipalOfPublicKey(der);
    EXPECT_EQ(principal.bytes(), Hex(id.at("principal_hex")));
    EXPECT_EQ(principal.ToText(), id.at("principal").as_string());
    EXPECT_EQ(codec::Principal::FromText(id.at("principal").as_string())->bytes(), principal.bytes());
  }
}

TEST(IdentityVectors, SigningKeysFromSeedsMatchTheIcLibraries) {
  for (const json::value& v : Vectors().at("identities").as_array()) {
    const json::object& id = v.as_object();
    auto key = KeyOf(id);
    ASSERT_TRUE(key) << key.error().ToString();
    EXPECT_EQ(key->public_key_der(), Hex(id.at("public_key_der_hex")));
    EXPECT_EQ(key->principal().bytes(), Hex(id.at("principal_hex")));
  }
}

TEST(IdentityVectors, TheirSignaturesVerifyAndNothingElseDoes) {
  for (const json::value& v : Vectors().at("handshakes").as_array()) {
    const json::object& h = v.as_object();
    const json::object& auth = h.at("auth").as_object();
    const std::string der = B64(auth.at("public_key"));
    const std::string m = Hex(h.at("message_hex"));
    const Status st = VerifySignature(der, m, B64(auth.at("signature")), kV2);
    EXPECT_TRUE(st.ok()) << h.at("kind").as_string() << ": " << st.ToString();
    std::string other = m;
    other.back() ^= 1;
    EXPECT_EQ(VerifySignature(der, other, B64(auth.at("signature")), kV2).code(), Code::kUnauthenticated);
  }
}

TEST(IdentityVectors, OurSignaturesVerifyAndEd25519OnesAreIdentical) {
  for (const json::value& v : Vectors().at("handshakes").as_array()) {
    const json::object& h = v.as_object();
    auto signer = KeyOf(IdentityOf(h.at("identity")));
    ASSERT_TRUE(signer);
    const std::string m = Hex(h.at("message_hex"));
    auto sig = signer->Sign(m);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(VerifySignature(signer->public_key_der(), m, *sig, kV2).ok());
    // RFC 8032 signatures are deterministic; ECDSA's nonce differs by library.
    if (signer->algorithm() == KeyAlgorithm::kEd25519) {
      EXPECT_EQ(codec::Base64UrlEncode(*sig), h.at("auth").at("signature").as_string());
    }
  }
}

TEST(IdentityVectors, TextFormsMatchAndTheirRefusalsAreRefused) {
  for (const json::value& v : Vectors().at("principal_texts").as_array()) {
    EXPECT_EQ(codec::Principal::FromBytes(Hex(v.at("hex")))->ToText(), v.at("text").as_string());
  }
  for (const json::value& v : Vectors().at("invalid_principal_texts").as_array()) {
    EXPECT_FALSE(codec::Principal::FromText(v.as_object().at("text").as_string())) << v;
  }
}

TEST(IdentityVectors, TheHighSFormTheyRefuseIsRefused) {
  for (const json::value& v : Vectors().at("refused_auth").as_array()) {
    if (v.at("why").as_string() != "high_s") continue;
    const json::object& auth = v.at("auth").as_object();
    // The message as the protocol builds it from the nonce and principal.
    std::string m = "\x0c" "sela-v2-auth";
    m += B64(v.at("nonce"));
    m += codec::Principal::FromText(auth.at("principal").as_string())->bytes();
    const std::string der = B64(auth.at("public_key"));
    const Status st = VerifySignature(der, m, B64(auth.at("signature")), kV2);
    EXPECT_EQ(st.code(), Code::kUnauthenticated) << st.ToString();
    // It is a valid ECDSA signature otherwise: the check is the low-S rule.
    EXPECT_TRUE(VerifySignature(der, m, B64(auth.at("signature"))).ok());
    return;
  }
  FAIL() << "no high_s vector";
}

TEST(IdentityVectors, Secp256k1SeedsOutOfRangeAreRefused) {
  EXPECT_FALSE(SigningKey::Secp256k1FromSeed(std::string(31, 'x')));
  EXPECT_FALSE(SigningKey::Secp256k1FromSeed(std::string(32, '\0')));
  EXPECT_FALSE(SigningKey::Secp256k1FromSeed(std::string(32, '\xff')));  // >= n
}

}  // namespace
}  // namespace sela::auth
