#include "codec/base64_std.h"

#include <gtest/gtest.h>

namespace sela::codec {
namespace {

TEST(Base64Std, RoundTripsEveryByteAndEveryLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= bytes.size(); ++n) {
    const std::string text = Base64Encode(bytes.substr(0, n));
    EXPECT_EQ(Base64Decode(text).value(), bytes.substr(0, n)) << n;
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
}

TEST(Base64Std, ReadsWhatNodeReadsExceptGarbage) {
  EXPECT_EQ(Base64Decode("aGVsbG8").value(), "hello");          // No padding.
  EXPECT_EQ(Base64Decode("aGVs\r\nbG8=").value(), "hello");     // Line breaks.
  EXPECT_EQ(Base64Decode("-_8=").value(), Base64Decode("+/8=").value());  // URL-safe.
  EXPECT_EQ(Base64Decode("").value(), "");
  EXPECT_EQ(Base64Decode("aGVs*G8=").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Base64Decode("aGVsbG8=x").error().code(), Code::kInvalidArgument);  // After padding.
  EXPECT_EQ(Base64Decode("a").error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sela::codec
