#include "codec/cbor_reader.h"

#include <gtest/gtest.h>

#include "codec/cbor_writer.h"
#include "codec/hex.h"

namespace sela::codec {
namespace {

std::string Bytes(std::string_view hex) { return HexDecode(hex).value(); }

TEST(CborReader, ReadsWhatTheWriterWrites) {
  CborWriter w;
  w.Tag(55799).MapHeader(3).Text("a").Bytes("\x01\x02").Text("list").ArrayHeader(2)
      .Unsigned(1795635710075).Bool(true).Text("t").Text("hi");
  const std::string bytes = w.bytes();
  const CborValue v = ParseCbor(bytes).value();
  ASSERT_EQ(v.kind, CborValue::Kind::kTag);
  EXPECT_EQ(v.u, 55799u);
  const CborValue& map = v.Untagged(55799);
  ASSERT_TRUE(map.is_map());
  EXPECT_EQ(map.map_size(), 3u);
  EXPECT_EQ(map.Find("a")->str, "\x01\x02");
  EXPECT_TRUE(map.Find("a")->is_bytes());
  const CborValue* list = map.Find("list");
  ASSERT_TRUE(list && list->is_array());
  EXPECT_EQ(list->items[0].u, 1795635710075u);
  EXPECT_EQ(list->items[1].kind, CborValue::Kind::kBool);
  EXPECT_EQ(map.Find("t")->str, "hi");
  EXPECT_EQ(map.Find("missing"), nullptr);
  EXPECT_TRUE(CheckTextKeysUnique(map).ok());
}

TEST(CborReader, ReadsNegativeNullAndWideHeads) {
  EXPECT_EQ(ParseCbor(Bytes("20")).value().kind, CborValue::Kind::kNegative);
  EXPECT_EQ(ParseCbor(Bytes("f6")).value().kind, CborValue::Kind::kNull);
  EXPECT_EQ(ParseCbor(Bytes("1b000001a2143a887b")).value().u, 1795635710075u);
  EXPECT_EQ(ParseCbor(Bytes("5900020102")).value().str, "\x01\x02");  // Non-minimal head.
}

TEST(CborReader, RefusesMalformedInputWithoutConsumingMemory) {
  EXPECT_FALSE(ParseCbor("").has_value());
  EXPECT_FALSE(ParseCbor(Bytes("0000")).has_value());          // Trailing item.
  EXPECT_FALSE(ParseCbor(Bytes("5a7fffffff00")).has_value());  // String longer than input.
  EXPECT_FALSE(ParseCbor(Bytes("9bffffffffffffffff")).has_value());  // Forged array length.
  EXPECT_FALSE(ParseCbor(Bytes("bbffffffffffffffff")).has_value());  // Forged map length.
  EXPECT_FALSE(ParseCbor(Bytes("9f00ff")).has_value());        // Indefinite array.
  EXPECT_FALSE(ParseCbor(Bytes("5f4100ff")).has_value());      // Indefinite bytes.
  EXPECT_FALSE(ParseCbor(Bytes("f93c00")).has_value());        // Half float.
  EXPECT_FALSE(ParseCbor(Bytes("f7")).has_value());            // undefined.
  EXPECT_FALSE(ParseCbor(Bytes("1c")).has_value());            // Reserved argument.
  EXPECT_FALSE(ParseCbor(Bytes("18")).has_value());            // Head ends early.
  EXPECT_FALSE(ParseCbor(Bytes("d9d9f7")).has_value());        // Tag without item.
}

TEST(CborReader, EnforcesDepthAndItemLimits) {
  std::string deep(200, '\x81');
  deep += '\x00';
  EXPECT_FALSE(ParseCbor(deep).has_value());
  CborLimits limits;
  limits.depth_max = 300;
  EXPECT_TRUE(ParseCbor(deep, limits).has_value());

  CborWriter w;
  w.ArrayHeader(10);
  for (int i = 0; i < 10; ++i) w.Unsigned(i);
  limits = {};
  limits.items_max = 10;  // 11 items with the array itself.
  EXPECT_FALSE(ParseCbor(w.bytes(), limits).has_value());
  limits.items_max = 11;
  EXPECT_TRUE(ParseCbor(w.bytes(), limits).has_value());
  limits.container_items_max = 9;
  EXPECT_FALSE(ParseCbor(w.bytes(), limits).has_value());
}

TEST(CborReader, FindsDuplicateAndNonTextKeys) {
  CborWriter dup;
  dup.MapHeader(2).Text("k").Unsigned(1).Text("k").Unsigned(2);
  const std::string dup_bytes = dup.bytes();
  EXPECT_FALSE(CheckTextKeysUnique(ParseCbor(dup_bytes).value()).ok());
  CborWriter num;
  num.MapHeader(1).Unsigned(1).Unsigned(2);
  const std::string num_bytes = num.bytes();
  EXPECT_FALSE(CheckTextKeysUnique(ParseCbor(num_bytes).value()).ok());
}

}  // namespace
}  // namespace sela::codec
