#include "codec/leb128.h"

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::codec {
namespace {

std::string Bytes(std::string_view hex) { return HexDecode(hex).value(); }

TEST(Leb128, EncodesTheSpecExamples) {
  EXPECT_EQ(HexEncode(Uleb128(624485)), "e58e26");
  std::string s;
  AppendSleb128(s, -123456);
  EXPECT_EQ(HexEncode(s), "c0bb78");
  EXPECT_EQ(HexEncode(Uleb128(0)), "00");
  EXPECT_EQ(HexEncode(Uleb128(100'000'000)), "80c2d72f");
}

TEST(Leb128, RoundTripsEdgeValues) {
  for (Uint128 v : {Uint128{0}, Uint128{127}, Uint128{128}, Uint128{UINT64_MAX},
                    ~Uint128{0}}) {
    std::string enc = Uleb128(v);
    std::string_view in = enc;
    EXPECT_EQ(ReadUleb128Wide(in).value(), v);
    EXPECT_TRUE(in.empty());
  }
  for (Int128 v : {Int128{0}, Int128{-1}, Int128{63}, Int128{64}, Int128{-64}, Int128{-65},
                   Int128{INT64_MIN}, Int128{INT64_MAX}}) {
    std::string enc;
    AppendSleb128(enc, v);
    std::string_view in = enc;
    EXPECT_TRUE(ReadSleb128Wide(in).value() == v);
  }
}

TEST(Leb128, RefusesTruncatedAndTooWideNumbers) {
  std::string_view truncated = "\x80\x80";
  EXPECT_FALSE(ReadUleb128(truncated).has_value());
  EXPECT_EQ(truncated.size(), 2u);  // Nothing consumed on error.
  const std::string wide = Uleb128(Uint128{UINT64_MAX} + 1);
  std::string_view in = wide;
  EXPECT_FALSE(ReadUleb128(in).has_value());
  const std::string huge(30, '\xff');
  std::string_view h = huge;
  EXPECT_FALSE(ReadUleb128Wide(h).has_value());
  EXPECT_FALSE(ParseUleb128(Bytes("0100")).has_value());  // Trailing byte.
  EXPECT_EQ(ParseUleb128(Bytes("e2dc939091c696eb16")).value(), 1645601880652705378u);
}

TEST(Leb128, PrintsWideDecimal) {
  EXPECT_EQ(Uint128ToString(0), "0");
  EXPECT_EQ(Uint128ToString(~Uint128{0}), "340282366920938463463374607431768211455");
}

}  // namespace
}  // namespace sela::codec
