#include "codec/hex.h"

#include <gtest/gtest.h>

namespace sela::codec {
namespace {

TEST(Hex, EncodesLowercaseAndDecodesEitherCase) {
  EXPECT_EQ(HexEncode(std::string("\x00\xab\xff", 3)), "00abff");
  EXPECT_EQ(HexDecode("00ABff").value(), std::string("\x00\xab\xff", 3));
}

TEST(Hex, RejectsOddLengthAndNonHexDigits) {
  EXPECT_EQ(HexDecode("abc").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(HexDecode("zz").error().message(), "not a hex digit at offset 0");
  EXPECT_EQ(HexDecode("0g").error().message(), "not a hex digit at offset 1");
}

}  // namespace
}  // namespace sela::codec
