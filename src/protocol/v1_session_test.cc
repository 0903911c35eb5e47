#include "protocol/v1_session.h"

#include <gtest/gtest.h>

namespace sela::protocol::v1 {
namespace {

std::optional<std::string> FromHeader(std::string_view header) {
  return PrincipalFromConnection({.authorization_header = header});
}

TEST(PrincipalFromConnection, TakesTheTokenOfABearerHeader) {
  EXPECT_EQ(FromHeader("Bearer abc"), "abc");
}

TEST(PrincipalFromConnection, TakesOtherHeaderValuesWholeAsTheOriginalDid) {
  // The §2.1 consequences, one by one.
  EXPECT_EQ(FromHeader("abc"), "abc");
  EXPECT_EQ(FromHeader("bearer abc"), "bearer abc");
  EXPECT_EQ(FromHeader("Bearer  abc"), " abc");
  EXPECT_EQ(FromHeader("Basic xyz"), "Basic xyz");
  EXPECT_EQ(FromHeader("Bearer abc def"), "abc def");
}

TEST(PrincipalFromConnection, DecodesTheAuthorizationQueryASecondTime) {
  EXPECT_EQ(PrincipalFromConnection({.authorization_query = "Bearer%20abc"}), "abc");
  EXPECT_EQ(PrincipalFromConnection({.authorization_query = "a%2Bb+c"}), "a+b+c");
}

TEST(PrincipalFromConnection, KeepsAMalformedEscapeInsteadOfCrashing) {
  // ?authorization=%25 crashed the original (D-7).
  EXPECT_EQ(PrincipalFromConnection({.authorization_query = "%"}), "%");
  EXPECT_EQ(PrincipalFromConnection({.authorization_query = "abc%2"}), "abc%2");
  EXPECT_EQ(PrincipalFromConnection({.authorization_query = "%zz"}), "%zz");
}

TEST(PrincipalFromConnection, PrefersHeaderThenAuthorizationQueryThenPrincipalIdQuery) {
  EXPECT_EQ(PrincipalFromConnection({.authorization_header = "Bearer h",
                                     .authorization_query = "q",
                                     .principal_id_query = "p"}),
            "h");
  EXPECT_EQ(PrincipalFromConnection({.authorization_query = "q", .principal_id_query = "p"}), "q");
  EXPECT_EQ(PrincipalFromConnection({.principal_id_query = "p"}), "p");
}

TEST(PrincipalFromConnection, StripsARemainingBearerPrefixOnce) {
  EXPECT_EQ(PrincipalFromConnection({.principal_id_query = "Bearer abc"}), "abc");
}

TEST(PrincipalFromConnection, YieldsNothingWhenNoSourceIsPresentOrTheResultIsEmpty) {
  EXPECT_EQ(PrincipalFromConnection({}), std::nullopt);
  EXPECT_EQ(FromHeader("Bearer "), std::nullopt);
}

TEST(CheckMessagePrincipal, LetsAMessageOfTheSessionPrincipalThrough) {
  EXPECT_EQ(CheckMessagePrincipal(Ping{"abc"}, "abc"), std::nullopt);
}

TEST(CheckMessagePrincipal, AnswersAForeignPrincipalWithTheAuthenticationError) {
  const std::optional<std::string> reply =
      CheckMessagePrincipal(ScrapeResult{"victim", "job_1", std::nullopt}, "attacker");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(*reply,
            R"({"function":"Error","message":"Node message handling failed: Authentication failed for user: victim","status":"ERROR"})");
}

}  // namespace
}  // namespace sela::protocol::v1
