#include "codec/base64.h"
#include "codec/base64_lenient.h"

#include <gtest/gtest.h>

namespace sela::codec {
namespace {

TEST(Base64Lenient, RoundTripsEveryByteAndEveryLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= bytes.size(); ++n) {
    const std::string text = Base64Encode(bytes.substr(0, n));
    EXPECT_EQ(Base64DecodeLenient(text).value(), bytes.substr(0, n)) << n;
  }
}

TEST(Base64Lenient, ReadsWhatNodeReadsExceptGarbage) {
  EXPECT_EQ(Base64DecodeLenient("aGVsbG8").value(), "hello");          // No padding.
  EXPECT_EQ(Base64DecodeLenient("aGVs\r\nbG8=").value(), "hello");     // Line breaks.
  EXPECT_EQ(Base64DecodeLenient("-_8=").value(), Base64DecodeLenient("+/8=").value());  // URL-safe.
  EXPECT_EQ(Base64DecodeLenient("").value(), "");
  EXPECT_EQ(Base64DecodeLenient("aGVs*G8=").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Base64DecodeLenient("aGVsbG8=x").error().code(), Code::kInvalidArgument);  // After padding.
  EXPECT_EQ(Base64DecodeLenient("a").error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sela::codec
