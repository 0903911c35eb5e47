#include "auth/public_key.h"

#include <gtest/gtest.h>

#include "auth/signing_key.h"
#include "codec/hex.h"

namespace sela::auth {
namespace {

std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }

// Vectors: reference ic/PROTOCOL-NOTES.md §3.5 (agent-js and OpenSSL agree).
constexpr std::string_view kSecpDer =
    "3056301006072a8648ce3d020106052b8104000a034200046a10bdf40be277bafc0fa90878b8e3c49f24c1d251cb99"
    "cfacdf68d7c3fbc474fde62d093ebe62bdcf6f081f2f1b6b3decd074aded8c86abdd5a0ada74967c3b";
constexpr std::string_view kEdDer = "302a300506032b657003210003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";

TEST(PublicKey, DerivesSelfAuthenticatingPrincipals) {
  EXPECT_EQ(PrincipalOfPublicKey(Bytes(kSecpDer)).ToText(),
            "42gbo-uiwfn-oq452-ql6yp-4jsqn-a6bxk-n7l4z-ni7os-yptq6-3htob-vqe");
  EXPECT_EQ(PrincipalOfPublicKey(Bytes(kEdDer)).ToText(),
            "yavxl-ppty4-enezb-hcalr-cdgzv-zoexx-7od3c-urvk6-rfzs4-552ct-7ae");
}

TEST(PublicKey, ClassifiesOnlyCanonicalForms) {
  EXPECT_EQ(PublicKeyAlgorithm(Bytes(kEdDer)).value(), KeyAlgorithm::kEd25519);
  EXPECT_EQ(PublicKeyAlgorithm(Bytes(kSecpDer)).value(), KeyAlgorithm::kSecp256k1);
  EXPECT_FALSE(PublicKeyAlgorithm(Bytes(kEdDer) + "x").has_value());
  EXPECT_FALSE(PublicKeyAlgorithm(Bytes(kEdDer).substr(0, 43)).has_value());
  std::string compressed = Bytes(kSecpDer);
  compressed[23] = '\x02';
  EXPECT_FALSE(PublicKeyAlgorithm(compressed).has_value());
  // P-256 (prime256v1) is not an IC user key here.
  EXPECT_FALSE(PublicKeyAlgorithm(Bytes("3059301306072a8648ce3d020106082a8648ce3d030107034200")).has_value());
  EXPECT_EQ(Ed25519DerFromRaw(Bytes(kEdDer).substr(12)), Bytes(kEdDer));
}

TEST(PublicKey, VerifiesEd25519AndRefusesTampering) {
  const SigningKey key = SigningKey::Ed25519FromSeed(Bytes(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")).value();
  const std::string sig = key.Sign("message").value();
  EXPECT_TRUE(VerifySignature(key.public_key_der(), "message", sig).ok());
  EXPECT_EQ(VerifySignature(key.public_key_der(), "messagE", sig).code(), Code::kUnauthenticated);
  std::string bad = sig;
  bad[5] ^= 1;
  EXPECT_EQ(VerifySignature(key.public_key_der(), "message", bad).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifySignature(key.public_key_der(), "message", sig.substr(1)).code(), Code::kInvalidArgument);
  EXPECT_EQ(VerifySignature("junk", "message", sig).code(), Code::kInvalidArgument);
}

TEST(PublicKey, VerifiesSecp256k1AndPolicesHighS) {
  const SigningKey key = SigningKey::Generate(KeyAlgorithm::kSecp256k1).value();
  const std::string sig = key.Sign("message").value();
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(IsLowS(sig.substr(32)));
  EXPECT_TRUE(VerifySignature(key.public_key_der(), "message", sig, {.require_low_s = true}).ok());
  EXPECT_EQ(VerifySignature(key.public_key_der(), "other", sig).code(), Code::kUnauthenticated);
  // n - s: the same signature in its malleable high-S form.
  const std::string n = Bytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  std::string high = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = static_cast<uint8_t>(n[i]) - static_cast<uint8_t>(sig[32 + i]) - borrow;
    borrow = d < 0;
    high[32 + i] = static_cast<char>(d & 0xFF);
  }
  EXPECT_FALSE(IsLowS(high.substr(32)));
  EXPECT_TRUE(VerifySignature(key.public_key_der(), "message", high).ok());
  EXPECT_EQ(VerifySignature(key.public_key_der(), "message", high, {.require_low_s = true}).code(),
            Code::kUnauthenticated);
}

}  // namespace
}  // namespace sela::auth
