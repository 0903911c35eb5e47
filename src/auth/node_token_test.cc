#include "auth/node_token.h"

#include <gtest/gtest.h>

namespace sela::auth {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
const std::string kSecret(32, 's');
const std::string kPrincipal = std::string(28, '\x33') + "\x02";

TEST(NodeToken, VerifiesUpToItsExpiryAndNotAfter) {
  const std::string token = IssueNodeToken(kSecret, kPrincipal, kT0 + 1000);
  EXPECT_TRUE(token.starts_with("sn1."));
  EXPECT_EQ(VerifyNodeToken(kSecret, token, kT0).value(), kPrincipal);
  EXPECT_EQ(VerifyNodeToken(kSecret, token, kT0 + 1000).value(), kPrincipal);
  const auto late = VerifyNodeToken(kSecret, token, kT0 + 1001);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), Code::kUnauthenticated);
}

TEST(NodeToken, RefusesAlteredForeignAndMalformedTokens) {
  const std::string token = IssueNodeToken(kSecret, kPrincipal, kT0 + 1000);
  EXPECT_FALSE(VerifyNodeToken(std::string(32, 'x'), token, kT0));  // another server's
  for (std::size_t i = 4; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(VerifyNodeToken(kSecret, altered, kT0)) << i;
  }
  EXPECT_FALSE(VerifyNodeToken(kSecret, "", kT0));
  EXPECT_FALSE(VerifyNodeToken(kSecret, "sn1.", kT0));
  EXPECT_FALSE(VerifyNodeToken(kSecret, "sn1.!!!!", kT0));
  EXPECT_FALSE(VerifyNodeToken(kSecret, "sn1." + std::string(500, 'A'), kT0));
  EXPECT_FALSE(VerifyNodeToken(kSecret, token.substr(4), kT0));  // no prefix
}

TEST(NodeToken, AnotherPrincipalsTokenNamesThatPrincipal) {
  const std::string other = std::string(28, '\x44') + "\x02";
  EXPECT_EQ(VerifyNodeToken(kSecret, IssueNodeToken(kSecret, other, kT0), kT0).value(), other);
}

}  // namespace
}  // namespace sela::auth
