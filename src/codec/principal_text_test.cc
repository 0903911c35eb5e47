#include "codec/principal_text.h"

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::codec {
namespace {

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(PrincipalText, WritesWellKnownPrincipals) {
  EXPECT_EQ(PrincipalToText(""), "aaaaa-aa");             // management canister
  EXPECT_EQ(PrincipalToText("\x04"), "2vxsx-fae");        // anonymous
  // The ICP ledger canister, as every IC tool writes it.
  EXPECT_EQ(PrincipalToText(*HexDecode("00000000000000020101")), "ryjl3-tyaaa-aaaaa-aaaba-cai");
}

TEST(PrincipalText, ParsesWhatItWrites) {
  for (std::string_view hex : {"", "04", "00000000000000020101",
                               "5d51c88d22181a498d92b17f3fdf089f03c2bc497c810fb65471819a02"}) {
    const std::string bytes = *HexDecode(hex);
    auto back = PrincipalFromText(PrincipalToText(bytes));
    ASSERT_TRUE(back) << hex << ": " << back.error().ToString();
    EXPECT_EQ(*back, bytes);
  }
}

TEST(PrincipalText, RefusesNonCanonicalOrCorruptText) {
  EXPECT_FALSE(PrincipalFromText(""));
  EXPECT_FALSE(PrincipalFromText("2VXSX-FAE"));   // uppercase: not canonical here
  EXPECT_FALSE(PrincipalFromText("2vxsxfae"));    // missing dash
  EXPECT_FALSE(PrincipalFromText("2vxs-xfae"));   // misplaced dash
  EXPECT_FALSE(PrincipalFromText("2vxsx-fae-"));  // trailing dash
  EXPECT_FALSE(PrincipalFromText("2vxsx-faa"));   // checksum or leftover bits
  EXPECT_FALSE(PrincipalFromText("2vxsx-f0e"));   // '0' is not base32
  EXPECT_FALSE(PrincipalFromText("aaaa"));        // shorter than its checksum
  // 30 bytes: one more than the IC allows.
  EXPECT_FALSE(PrincipalFromText(PrincipalToText(std::string(30, 'x'))));
  EXPECT_TRUE(PrincipalFromText(PrincipalToText(std::string(29, 'x'))));
  auto checksum = PrincipalFromText("aaaab-aa");
  ASSERT_FALSE(checksum);
}

}  // namespace
}  // namespace sela::codec
