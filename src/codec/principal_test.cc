#include "codec/principal.h"

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::codec {
namespace {

Principal FromHex(std::string_view hex) { return Principal::FromBytes(HexDecode(hex).value()).value(); }

// Vectors: IC interface spec and PROTOCOL-NOTES.md §3.3 (checked with agent-js).
TEST(Principal, TextFormMatchesTheSpecVectors) {
  EXPECT_EQ(FromHex("abcd01").ToText(), "em77e-bvlzu-aq");
  EXPECT_EQ(FromHex("efcdab000000000001").ToText(), "2chl6-4hpzw-vqaaa-aaaaa-c");
  EXPECT_EQ(Principal::Anonymous().ToText(), "2vxsx-fae");
  EXPECT_EQ(Principal().ToText(), "aaaaa-aa");
  EXPECT_EQ(FromHex("0000000001d0514f0101").ToText(), "y5ego-zyaaa-aaaao-qkfhq-cai");
  EXPECT_EQ(FromHex("00000000018023b10101").ToText(), "qe3z4-yiaaa-aaaam-aeoyq-cai");
  EXPECT_EQ(FromHex("f3c708d264271017110cd9ae5c4bdfee1ec548d55e89732e77ba14fe02").ToText(),
            "yavxl-ppty4-enezb-hcalr-cdgzv-zoexx-7od3c-urvk6-rfzs4-552ct-7ae");
  EXPECT_EQ(Crc32(HexDecode("abcd01").value()), 0x233FF206u);
}

TEST(Principal, ParsesTextBackInEitherCase) {
  for (std::string_view text : {"em77e-bvlzu-aq", "2vxsx-fae", "aaaaa-aa", "y5ego-zyaaa-aaaao-qkfhq-cai",
                                "yavxl-ppty4-enezb-hcalr-cdgzv-zoexx-7od3c-urvk6-rfzs4-552ct-7ae"}) {
    const Principal p = Principal::FromText(text).value();
    EXPECT_EQ(p.ToText(), text);
  }
  EXPECT_EQ(Principal::FromText("Y5EGO-ZYAAA-AAAAO-QKFHQ-CAI").value().ToText(),
            "y5ego-zyaaa-aaaao-qkfhq-cai");
  EXPECT_TRUE(Principal::FromText("2vxsx-fae").value().is_anonymous());
  EXPECT_TRUE(FromHex("f3c708d264271017110cd9ae5c4bdfee1ec548d55e89732e77ba14fe02").is_self_authenticating());
}

TEST(Principal, RefusesBadText) {
  EXPECT_FALSE(Principal::FromText("y5ego-zyaaa-aaaao-qkfhq-caj").has_value());  // CRC.
  EXPECT_FALSE(Principal::FromText("y5egozyaaa-aaaao-qkfhq-cai").has_value());   // Dashes.
  EXPECT_FALSE(Principal::FromText("y5ego-zyaaa-aaaao-qkfhq-").has_value());
  EXPECT_FALSE(Principal::FromText("y5ego-zy1aa-aaaao-qkfhq-cai").has_value());  // '1' not base32.
  EXPECT_FALSE(Principal::FromText("").has_value());
  EXPECT_FALSE(Principal::FromText("aaaab-aa").has_value());  // Non-zero padding bits.
  EXPECT_FALSE(Principal::FromText(std::string(100, 'a')).has_value());
  EXPECT_FALSE(Principal::FromBytes(std::string(30, 'x')).has_value());
}

TEST(Principal, OrdersByBytes) {
  EXPECT_LT(FromHex("00000000002000000101"), FromHex("00000000002fffff0101"));
  EXPECT_LT(FromHex("00"), FromHex("0000"));
}

}  // namespace
}  // namespace sela::codec
