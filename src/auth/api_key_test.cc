#include "auth/api_key.h"

#include <gtest/gtest.h>

#include <set>

namespace sela::auth {
namespace {

TEST(ApiKey, Is32AlphanumericCharactersAndDiffersEachTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto key = GenerateApiKey();
    ASSERT_TRUE(key.has_value());
    ASSERT_EQ(key->size(), kApiKeyLength);
    for (char c : *key) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << *key;
    EXPECT_TRUE(seen.insert(*key).second);
  }
}

TEST(ApiKey, UsesTheWholeAlphabet) {
  std::set<char> chars;
  for (int i = 0; i < 100; ++i) {
    const auto key = GenerateApiKey();
    ASSERT_TRUE(key.has_value());
    for (char c : *key) chars.insert(c);
  }
  EXPECT_EQ(chars.size(), 62u);
}

TEST(Sha256Hex, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeyFromHeader, AcceptsBearerApiKeyAndBareForms) {
  EXPECT_EQ(ApiKeyFromHeader("Bearer abc123"), "abc123");
  EXPECT_EQ(ApiKeyFromHeader("ApiKey abc123"), "abc123");  // The original dropped a character (D-15).
  EXPECT_EQ(ApiKeyFromHeader("abc123"), "abc123");
  EXPECT_EQ(ApiKeyFromHeader("  Bearer   abc123 "), "abc123");
  EXPECT_EQ(ApiKeyFromHeader(""), std::nullopt);
  EXPECT_EQ(ApiKeyFromHeader("Bearer "), std::nullopt);
  EXPECT_EQ(ApiKeyFromHeader("   "), std::nullopt);
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace sela::auth
