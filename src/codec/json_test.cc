#include "codec/json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <charconv>
#include <string>

#include "codec/js_json.h"

namespace sela::codec {
namespace {

boost::json::object Obj(const char* text) { return boost::json::parse(text).as_object(); }

TEST(ParseJson, ParsesAnObject) {
  Result<boost::json::value> v = ParseJson(R"({"a":[1,2]})", {});
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(v->at("a").as_array().size(), 2u);
}

TEST(ParseJson, RejectsTextAboveTheByteLimitAsResourceExhausted) {
  Result<boost::json::value> v = ParseJson("[1,2,3]", {.bytes_max = 6});
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), Code::kResourceExhausted);
}

TEST(ParseJson, RejectsNestingAboveTheDepthLimitAsResourceExhausted) {
  EXPECT_TRUE(ParseJson("[[[1]]]", {.depth_max = 3}).has_value());
  Result<boost::json::value> v = ParseJson("[[[[1]]]]", {.depth_max = 3});
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), Code::kResourceExhausted);
}

TEST(ParseJson, RejectsMalformedTextWithItsOffset) {
  for (const char* bad : {"hello", "{\"a\":", "[1,]", "{} x", "", "\"\xff\""}) {
    Result<boost::json::value> v = ParseJson(bad, {});
    ASSERT_FALSE(v.has_value()) << bad;
    EXPECT_EQ(v.error().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(v.error().message().find("at byte"), std::string::npos) << v.error().message();
  }
}

TEST(ParseJson, AllowsBlanksAroundTheValue) { EXPECT_TRUE(ParseJson(" {} \n", {}).has_value()); }

TEST(ParseJson, KeepsTheLastOfDuplicateKeysLikeJavaScript) {
  Result<boost::json::value> v = ParseJson(R"({"a":1,"a":2})", {});
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->at("a").as_int64(), 2);
}

TEST(ParseJson, ReadsDoublesCorrectlyRoundedLikeJavaScript) {
  // Boost.JSON 1.81 alone reads the first as 0.00020400000000000005.
  for (std::string_view text : {"0.00020400000000000003", "0.30000000000000004", "1.5e+21",
                                "2.2250738585072011e-308", "5e-324", "1.7976931348623157e308",
                                "-123.456e-7", "0.1"}) {
    Result<boost::json::value> v = ParseJson(text, {});
    ASSERT_TRUE(v.has_value()) << text;
    double expected = 0;
    std::from_chars(text.data(), text.data() + text.size(), expected);
    EXPECT_EQ(v->as_double(), expected) << text;
  }
  Result<boost::json::value> array = ParseJson("[0.00020400000000000003,1e400]", {});
  ASSERT_TRUE(array.has_value());
  EXPECT_EQ(StringifyJs(*array), "[0.00020400000000000003,null]");
}

TEST(IsTruthy, FollowsJavaScriptRules) {
  for (const char* falsy : {"null", "false", "0", "0.0", "-0", "\"\""}) {
    EXPECT_FALSE(IsTruthy(boost::json::parse(falsy))) << falsy;
  }
  for (const char* truthy : {"true", "1", "-0.5", "\"0\"", "[]", "{}"}) {
    EXPECT_TRUE(IsTruthy(boost::json::parse(truthy))) << truthy;
  }
}

TEST(ParseDecimal, AcceptsDecimalTextWithSurroundingBlanksOnly) {
  EXPECT_EQ(ParseDecimal("87.3").value(), 87.3);
  EXPECT_EQ(ParseDecimal(" 1e3 ").value(), 1000);
  EXPECT_EQ(ParseDecimal("-2").value(), -2);
  for (const char* bad : {"", " ", "87.3 Mbps", "abc", "inf", "nan", "0x10", "1e999"}) {
    EXPECT_FALSE(ParseDecimal(bad).has_value()) << bad;
  }
}

TEST(GetString, ReturnsAPresentStringWithinTheLimit) {
  boost::json::object o = Obj(R"({"id":"abc"})");
  EXPECT_EQ(GetString(o, "id", 3).value(), "abc");
}

TEST(GetString, NamesTheFieldWhenMissingMistypedOrTooLong) {
  boost::json::object o = Obj(R"({"n":5,"s":"abcd","z":null})");
  EXPECT_EQ(GetString(o, "id", 8).error().message(), "field 'id' is required");
  EXPECT_EQ(GetString(o, "z", 8).error().message(), "field 'z' is required");
  EXPECT_EQ(GetString(o, "n", 8).error().message(), "field 'n' must be a string");
  EXPECT_EQ(GetString(o, "s", 3).error().message(), "field 's' must be at most 3 bytes long");
}

TEST(GetOptionalString, TreatsAbsentAndNullAsMissing) {
  boost::json::object o = Obj(R"({"z":null})");
  EXPECT_FALSE(GetOptionalString(o, "z", 8).value().has_value());
  EXPECT_FALSE(GetOptionalString(o, "absent", 8).value().has_value());
}

TEST(GetNumber, AcceptsAnyNumberRepresentationWithinRange) {
  boost::json::object o = Obj(R"({"i":5,"u":18446744073709551615,"d":2.5})");
  EXPECT_EQ(GetNumber(o, "i", {0, 10}).value(), 5);
  EXPECT_EQ(GetNumber(o, "d", {0, 10}).value(), 2.5);
  EXPECT_FALSE(GetNumber(o, "u", {0, 10}).has_value());
}

TEST(GetNumber, RejectsOutOfRangeNonFiniteAndNonNumbers) {
  boost::json::object o = Obj(R"({"big":1e400,"neg":-1,"s":"5"})");
  EXPECT_EQ(GetNumber(o, "neg", {0, 10}).error().message(),
            "field 'neg' must be a number between 0 and 10");
  EXPECT_FALSE(GetNumber(o, "big", {0, 1e308}).has_value());
  EXPECT_EQ(GetNumber(o, "s", {0, 10}).error().message(), "field 's' must be a number");
  EXPECT_EQ(GetNumber(o, "absent", {0, 10}).error().message(), "field 'absent' is required");
}

TEST(GetOptionalNumber, TreatsNullAsAbsent) {
  boost::json::object o = Obj(R"({"p":null})");
  EXPECT_FALSE(GetOptionalNumber(o, "p", {0, 1}).value().has_value());
}

TEST(GetOptionalBool, AcceptsOnlyBooleans) {
  boost::json::object o = Obj(R"({"t":true,"s":"true","n":null})");
  EXPECT_EQ(GetOptionalBool(o, "t").value(), std::optional<bool>(true));
  EXPECT_FALSE(GetOptionalBool(o, "n").value().has_value());
  EXPECT_EQ(GetOptionalBool(o, "s").error().message(), "field 's' must be true or false");
}

}  // namespace
}  // namespace sela::codec
