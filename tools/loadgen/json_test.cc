#include "json.h"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

TEST(Json, SerializesInInsertionOrder) {
  JsonValue j = JsonValue::MakeObject();
  j.Set("b", 1);
  j.Set("a", "x");
  j.Set("c", JsonValue());
  j.Set("b", 2);  // Replaces in place.
  EXPECT_EQ(j.Serialize(), R"({"b":2,"a":"x","c":null})");
}

TEST(Json, EscapesStrings) {
  EXPECT_EQ(JsonValue("a\"b\\c\n\x01").Serialize(), R"("a\"b\\c\n\u0001")");
}

TEST(Json, PrintsNonFiniteNumbersAsNull) {
  EXPECT_EQ(JsonValue(1.0 / 0.0).Serialize(), "null");
  EXPECT_EQ(JsonValue(0.25).Serialize(), "0.25");
}

TEST(Json, RoundTripsADocument) {
  const std::string text =
      R"({"n":-12,"big":1795635710051000000,"f":1.5,"t":true,"f2":false,"z":null,)"
      R"("s":"h\u00e9\"llo","a":[1,[2,3],{}],"o":{"k":"v"}})";
  auto parsed = ParseJson(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ((*parsed)["n"].AsInt(), -12);
  EXPECT_EQ((*parsed)["big"].AsInt(), 1795635710051000000);
  EXPECT_DOUBLE_EQ((*parsed)["f"].AsDouble(), 1.5);
  EXPECT_EQ((*parsed)["s"].AsString(), "h\xc3\xa9\"llo");
  EXPECT_EQ((*parsed)["a"].AsArray().size(), 3u);
  EXPECT_EQ((*parsed)["o"]["k"].AsString(), "v");
  auto again = ParseJson(parsed->Serialize());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->Serialize(), parsed->Serialize());
}

TEST(Json, MissingMembersReadAsNull) {
  auto parsed = ParseJson(R"({"a":1})");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE((*parsed)["nope"].is_null());
  EXPECT_EQ((*parsed)["nope"]["deeper"].AsInt(), 0);
}

TEST(Json, RejectsMalformedInput) {
  for (const char* bad : {"", "{", "[1,]", R"({"a" 1})", "tru", R"("abc)", "1 2", R"({"a":01x})",
                          "\"\x01\"", R"("\q")"}) {
    EXPECT_FALSE(ParseJson(bad).has_value()) << bad;
  }
}

TEST(Json, RejectsNestingBeyondTheLimit) {
  std::string deep(kJsonDepthMax + 2, '[');
  deep += std::string(kJsonDepthMax + 2, ']');
  EXPECT_FALSE(ParseJson(deep).has_value());
  std::string ok(kJsonDepthMax, '[');
  ok += std::string(kJsonDepthMax, ']');
  EXPECT_TRUE(ParseJson(ok).has_value());
}

}  // namespace
}  // namespace loadgen
