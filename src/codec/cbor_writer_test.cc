#include "codec/cbor_writer.h"

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::codec {
namespace {

TEST(CborWriter, UsesTheShortestHeadForEveryArgumentWidth) {
  EXPECT_EQ(HexEncode(CborWriter().Unsigned(23).bytes()), "17");
  EXPECT_EQ(HexEncode(CborWriter().Unsigned(24).bytes()), "1818");
  EXPECT_EQ(HexEncode(CborWriter().Unsigned(256).bytes()), "190100");
  EXPECT_EQ(HexEncode(CborWriter().Unsigned(65536).bytes()), "1a00010000");
  EXPECT_EQ(HexEncode(CborWriter().Unsigned(1795635710075).bytes()), "1b000001a2143a887b");
}

TEST(CborWriter, WritesTextMapsAndSimpleValues) {
  CborWriter w;
  w.MapHeader(3).Text("a").Bool(true).Text("b").Bool(false).Text("c").Undefined();
  const std::string bytes = w.bytes();
  EXPECT_EQ(HexEncode(bytes), "a36161f56162f46163f7");
}

TEST(CborWriter, WritesLongTextWithAOneByteLength) {
  const std::string text(73, 'x');
  EXPECT_EQ(HexEncode(CborWriter().Text(text).bytes()).substr(0, 4), "7849");
}

}  // namespace
}  // namespace sela::codec
