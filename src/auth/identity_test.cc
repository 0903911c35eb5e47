// Checks auth/identity and codec/principal_text against the vectors that
// the Internet Computer's own JavaScript libraries wrote
// (tests/data/identity/v2_vectors.json, tools/testvectors/generate.mjs).
#include "auth/identity.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "auth/testing/vectors.h"
#include "codec/base64.h"
#include "codec/hex.h"
#include "codec/principal_text.h"

namespace sela::auth {
namespace {

namespace json = boost::json;
using testing::Vectors;

std::string B64(const json::value& v) { return *codec::Base64UrlDecode(v.as_string()); }
std::string Hex(const json::value& v) { return *codec::HexDecode(v.as_string()); }

TEST(IdentityVectors, DerivePrincipalsLikeTheIcLibraries) {
  const json::object& doc = Vectors();
  ASSERT_EQ(doc.at("identities").as_array().size(), 6u);
  for (const json::value& v : doc.at("identities").as_array()) {
    const json::object& id = v.as_object();
    const std::string der = B64(id.at("public_key"));
    ASSERT_EQ(der, Hex(id.at("public_key_der_hex")));
    auto key = ParsePublicKeyDer(der);
    ASSERT_TRUE(key) << key.error().ToString();
    EXPECT_EQ(KeyTypeName(key->type), id.at("kind").as_string());
    const std::string principal = SelfAuthenticatingPrincipal(der);
    EXPECT_EQ(principal, Hex(id.at("principal_hex")));
    EXPECT_EQ(codec::PrincipalToText(principal), id.at("principal").as_string());
    EXPECT_EQ(*codec::PrincipalFromText(id.at("principal").as_string()), principal);
  }
}

TEST(IdentityVectors, SigningKeysFromSeedsMatchTheIcLibraries) {
  for (const json::value& v : Vectors().at("identities").as_array()) {
    const json::object& id = v.as_object();
    const KeyType type = id.at("kind").as_string() == "ed25519" ? KeyType::kEd25519 : KeyType::kSecp256k1;
    auto key = SigningKey::FromSeed(type, Hex(id.at("seed_hex")));
    ASSERT_TRUE(key) << key.error().ToString();
    EXPECT_EQ(key->public_key_der(), Hex(id.at("public_key_der_hex")));
    EXPECT_EQ(key->principal(), Hex(id.at("principal_hex")));
  }
}

TEST(IdentityVectors, AcceptsTheirSignatures) {
  for (const json::value& v : Vectors().at("handshakes").as_array()) {
    const json::object& h = v.as_object();
    const json::object& auth = h.at("auth").as_object();
    const std::string der = B64(auth.at("public_key"));
    auto key = ParsePublicKeyDer(der);
    ASSERT_TRUE(key);
    const std::string m = Hex(h.at("message_hex"));
    const Status st = VerifySignature(*key, m, B64(auth.at("signature")));
    EXPECT_TRUE(st.ok()) << h.at("kind").as_string() << ": " << st.ToString();
    // A message one bit off does not verify.
    std::string other = m;
    other.back() ^= 1;
    EXPECT_EQ(VerifySignature(*key, other, B64(auth.at("signature"))).code(), Code::kUnauthenticated);
  }
}

TEST(IdentityVectors, OurSignaturesVerifyAndEd25519OnesAreIdentical) {
  for (const json::value& v : Vectors().at("handshakes").as_array()) {
    const json::object& h = v.as_object();
    const json::object* id = nullptr;
    for (const json::value& i : Vectors().at("identities").as_array()) {
      if (i.as_object().at("principal") == h.at("identity")) id = &i.as_object();
    }
    ASSERT_NE(id, nullptr);
    const KeyType type = id->at("kind").as_string() == "ed25519" ? KeyType::kEd25519 : KeyType::kSecp256k1;
    auto signer = SigningKey::FromSeed(type, Hex(id->at("seed_hex")));
    const std::string m = Hex(h.at("message_hex"));
    auto sig = signer->Sign(m);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(VerifySignature(*ParsePublicKeyDer(signer->public_key_der()), m, *sig).ok());
    // RFC 8032 signatures are deterministic; ECDSA's nonce differs by library.
    if (type == KeyType::kEd25519) {
      EXPECT_EQ(codec::Base64UrlEncode(*sig), h.at("auth").at("signature").as_string());
    }
  }
}

TEST(IdentityVectors, RefusesWhatTheyRefuse) {
  for (const json::value& v : Vectors().at("invalid_principal_texts").as_array()) {
    EXPECT_FALSE(codec::PrincipalFromText(v.as_object().at("text").as_string())) << v;
  }
  for (const json::value& v : Vectors().at("principal_texts").as_array()) {
    EXPECT_EQ(codec::PrincipalToText(Hex(v.at("hex"))), v.at("text").as_string());
  }
}

TEST(Identity, RefusesOtherKeyEncodings) {
  const std::string ed = *codec::HexDecode(
      "302a300506032b657003210087e4171f20ac4aae11d362bed9a3b6e7fa8bbda022a7a717f10776c29be7d80d");
  EXPECT_TRUE(ParsePublicKeyDer(ed));
  EXPECT_FALSE(ParsePublicKeyDer(ed + "x"));               // trailing byte
  EXPECT_FALSE(ParsePublicKeyDer(ed.substr(0, ed.size() - 1)));
  EXPECT_FALSE(ParsePublicKeyDer(ed.substr(12)));          // raw key, no SPKI
  EXPECT_FALSE(ParsePublicKeyDer(""));
  // A P-256 key (prime256v1) is id-ecPublicKey too, but not secp256k1.
  const std::string p256 = *codec::HexDecode(
      "3059301306072a8648ce3d020106082a8648ce3d030107034200046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0"
      "f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  EXPECT_FALSE(ParsePublicKeyDer(p256));
}

TEST(Identity, RefusesASecp256k1PointOffTheCurve) {
  std::string der = B64(Vectors().at("identities").as_array()[3].at("public_key"));
  ASSERT_TRUE(ParsePublicKeyDer(der));
  der.back() ^= 1;  // y no longer matches x
  EXPECT_FALSE(ParsePublicKeyDer(der));
}

TEST(Identity, RefusesSignaturesOfTheWrongSize) {
  auto key = ParsePublicKeyDer(B64(Vectors().at("identities").as_array()[0].at("public_key")));
  EXPECT_EQ(VerifySignature(*key, "m", std::string(63, 'x')).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifySignature(*key, "m", "").code(), Code::kUnauthenticated);
}

TEST(Identity, SecpSignaturesAreLowSAndHighSIsRefused) {
  // The vectors' high_s case is refused although it verifies as plain ECDSA.
  for (const json::value& v : Vectors().at("refused_auth").as_array()) {
    if (v.at("why").as_string() != "high_s") continue;
    const json::object& auth = v.at("auth").as_object();
    auto key = ParsePublicKeyDer(B64(auth.at("public_key")));
    ASSERT_TRUE(key);
    // The message is rebuilt the way the protocol does (nonce and principal).
    std::string m = "\x0c" "sela-v2-auth";
    m += B64(v.at("nonce"));
    m += *codec::PrincipalFromText(auth.at("principal").as_string());
    const Status st = VerifySignature(*key, m, B64(auth.at("signature")));
    EXPECT_EQ(st.code(), Code::kUnauthenticated);
    EXPECT_NE(st.message().find("low-S"), std::string::npos) << st.ToString();
    return;
  }
  FAIL() << "no high_s vector";
}

TEST(Identity, SeedsOfTheWrongSizeOrOutOfRangeAreRefused) {
  EXPECT_FALSE(SigningKey::FromSeed(KeyType::kEd25519, std::string(31, 'x')));
  EXPECT_FALSE(SigningKey::FromSeed(KeyType::kSecp256k1, std::string(32, '\0')));
  EXPECT_FALSE(SigningKey::FromSeed(KeyType::kSecp256k1, std::string(32, '\xff')));  // >= n
}

}  // namespace
}  // namespace sela::auth
