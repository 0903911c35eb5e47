#include "v2_messages.h"

#include <gtest/gtest.h>

#include "principal.h"

namespace loadgen {
namespace {

TEST(V2Messages, IdentitiesAreDeterministicAndSelfAuthenticating) {
  const auto a = MakeV2Identity(1, 7);
  const auto b = MakeV2Identity(1, 7);
  const auto c = MakeV2Identity(1, 8);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->principal, b->principal);
  EXPECT_NE(a->principal, c->principal);
  EXPECT_EQ(a->public_key_der.size(), 44u);
  EXPECT_EQ(a->principal_bytes.size(), 29u);
  EXPECT_EQ(a->principal_bytes.back(), '\x02');
  EXPECT_EQ(a->principal, PrincipalText(a->principal_bytes));
}

TEST(V2Messages, Base64UrlRoundTripsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64UrlDecode("a+b"));
}

TEST(V2Messages, AuthAnswersAChallengeAndRefusesABadNonce) {
  const auto id = MakeV2Identity(3, 1);
  ASSERT_TRUE(id);
  const auto auth = V2AuthMessage(*id, Base64UrlEncode(std::string(32, 'n')));
  ASSERT_TRUE(auth);
  EXPECT_NE(auth->find(R"("type":"auth")"), std::string::npos);
  EXPECT_NE(auth->find(id->principal), std::string::npos);
  EXPECT_FALSE(V2AuthMessage(*id, Base64UrlEncode(std::string(31, 'n'))));
  EXPECT_FALSE(V2AuthMessage(*id, "!!"));
}

TEST(V2Messages, ClassifiesByType) {
  EXPECT_EQ(ClassifyV2(R"({"type":"challenge","nonce":"x"})"), V2Kind::kChallenge);
  EXPECT_EQ(ClassifyV2(R"({"type":"welcome"})"), V2Kind::kWelcome);
  EXPECT_EQ(ClassifyV2(R"({"type":"pong","time_ms":1})"), V2Kind::kPong);
  EXPECT_EQ(ClassifyV2(R"({"type":"error","code":"x"})"), V2Kind::kError);
  EXPECT_EQ(ClassifyV2(R"({"function":"Error"})"), V2Kind::kOther);
}

}  // namespace
}  // namespace loadgen
