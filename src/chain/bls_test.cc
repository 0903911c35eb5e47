#include "chain/bls.h"

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::chain::bls {
namespace {

std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }

// Vectors: reference ic/PROTOCOL-NOTES.md Appendix A ("test_root_key_certificate"),
// made with @noble/curves and verified by agent-js.
constexpr std::string_view kTestSk = "1100000000000000000000000000000000000000000000000000000000000007";
constexpr std::string_view kTestRootKeyDer =
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c0503020103610098645bc901448e100bc0"
    "9ce56fc853347faaa1a26dfe1fbac0e6649d3cd06f31899094d293ad19e8c2f5dd50851ce9260c2913f41e5a375919"
    "d0e2614228336dabc23e6bfd4ea16c4420077fb7a714c9d8798209dcb1ef21e0c5a079d6141bcb";
constexpr std::string_view kRootHash = "f5531e3f18b922756994ba35e4798c1fdb993338fdf5ebcfda3bca4dedde4fa6";
constexpr std::string_view kSignature =
    "96d07bf2ba51ca36268ca1e75aac77c7c5ac9366eb1d4a72db372c40a4901174319bea39baa9016cf3236738f0a1d2bb";

std::string Message() { return std::string("\x0Dic-state-root") + Bytes(kRootHash); }

TEST(Bls, SignsAndDerivesKeysExactlyAsTheJavaScriptOracle) {
  const SecretKey sk = SecretKey::FromBytes(Bytes(kTestSk)).value();
  EXPECT_EQ(codec::HexEncode(KeyToDer(sk.PublicKey())), kTestRootKeyDer);
  EXPECT_EQ(codec::HexEncode(sk.Sign(Message())), kSignature);  // BLS signatures are deterministic.
}

TEST(Bls, VerifiesAndRefusesWrongKeyMessageOrSignature) {
  const std::string pk = std::string(KeyFromDer(Bytes(kTestRootKeyDer)).value());
  const std::string sig = Bytes(kSignature);
  EXPECT_TRUE(Verify(pk, sig, Message()));
  EXPECT_FALSE(Verify(pk, sig, Message() + "x"));
  std::string bad = sig;
  bad[47] ^= 1;
  EXPECT_FALSE(Verify(pk, bad, Message()));
  const SecretKey other = SecretKey::FromBytes(Bytes(
      "2200000000000000000000000000000000000000000000000000000000000009")).value();
  EXPECT_FALSE(Verify(other.PublicKey(), sig, Message()));
  EXPECT_FALSE(Verify(pk.substr(1), sig, Message()));
  EXPECT_FALSE(Verify(pk, std::string(48, '\0'), Message()));
  EXPECT_FALSE(Verify(std::string(96, '\xff'), sig, Message()));
}

TEST(Bls, RefusesMalformedKeysAndScalars) {
  EXPECT_FALSE(KeyFromDer(Bytes(kTestRootKeyDer).substr(1)).has_value());
  EXPECT_FALSE(SecretKey::FromBytes(std::string(32, '\0')).has_value());     // Zero.
  EXPECT_FALSE(SecretKey::FromBytes(std::string(32, '\xff')).has_value());   // >= r.
  EXPECT_FALSE(SecretKey::FromBytes("short").has_value());
}

}  // namespace
}  // namespace sela::chain::bls
