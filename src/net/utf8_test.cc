#include "net/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace sela::net {
namespace {

bool Valid(const std::string& s) {
  return IsValidUtf8(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Utf8, AcceptsValidText) {
  EXPECT_TRUE(Valid(""));
  EXPECT_TRUE(Valid("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(Valid("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  EXPECT_TRUE(Valid("\xf0\x9f\x98\x80"));                              // U+1F600
  EXPECT_TRUE(Valid("\xf4\x8f\xbf\xbf"));                              // U+10FFFF
  EXPECT_TRUE(Valid("\xef\xbf\xbf"));                                  // U+FFFF
}

TEST(Utf8, RejectsOverlongsSurrogatesAndOutOfRange) {
  EXPECT_FALSE(Valid("\xc0\xaf"));
  EXPECT_FALSE(Valid("\xe0\x80\xaf"));
  EXPECT_FALSE(Valid("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(Valid("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(Valid("\x80"));
  EXPECT_FALSE(Valid("\xfe"));
  EXPECT_FALSE(Valid("abc\xe2\x82"));       // truncated at the end
}

TEST(Utf8, ValidatesIncrementallyAtEveryByteSplit) {
  const std::string s = "a\xf0\x9f\x98\x80\xe2\x82\xac";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Utf8Validator v;
    ASSERT_TRUE(v.Feed(reinterpret_cast<const uint8_t*>(s.data()), cut));
    ASSERT_TRUE(v.Feed(reinterpret_cast<const uint8_t*>(s.data()) + cut, s.size() - cut));
    EXPECT_TRUE(v.complete()) << cut;
  }
}

}  // namespace
}  // namespace sela::net
