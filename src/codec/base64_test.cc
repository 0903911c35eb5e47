#include "codec/base64.h"

#include <gtest/gtest.h>

namespace sela::codec {
namespace {

TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded).value(), plain);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8").value(), "\xfb\xff");
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < 5; ++n) {
    const std::string s = all.substr(0, 256 - n);
    EXPECT_EQ(Base64Decode(Base64Encode(s)).value(), s);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)).value(), s);
  }
}

TEST(Base64, RefusesNonCanonicalInput) {
  EXPECT_FALSE(Base64Decode("Zg=").has_value());     // Length.
  EXPECT_FALSE(Base64Decode("Zh==").has_value());    // Non-zero trailing bits.
  EXPECT_FALSE(Base64Decode("Zm 9v").has_value());   // Whitespace.
  EXPECT_FALSE(Base64Decode("Zm9-").has_value());    // URL alphabet.
  EXPECT_FALSE(Base64Decode("Z===").has_value());    // Too much padding.
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value()); // Padding.
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());
}

}  // namespace
}  // namespace sela::codec
