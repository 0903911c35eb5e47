#include "codec/base64.h"

#include <gtest/gtest.h>

namespace sela::codec {
namespace {

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  // RFC 4648 §10 (the alphabets agree on these), padding removed.
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(Base64Url, RoundTripsEveryByteAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes += static_cast<char>(i);
    auto back = Base64UrlDecode(Base64UrlEncode(bytes));
    ASSERT_TRUE(back) << i;
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64Url, RefusesNonCanonicalText) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));    // padding
  EXPECT_FALSE(Base64UrlDecode("Zm9v+g"));  // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm9v/g"));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));   // blank
  EXPECT_FALSE(Base64UrlDecode("Z"));       // 1 mod 4 characters
  EXPECT_FALSE(Base64UrlDecode("Zh"));      // non-zero unused bits ("Zg" is canonical)
  EXPECT_FALSE(Base64UrlDecode("Zm9"));     // "Zm8" is canonical
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
  auto bad = Base64UrlDecode("Zm9v!A");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("offset 4"), std::string::npos);
}

}  // namespace
}  // namespace sela::codec
