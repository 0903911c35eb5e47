#include "codec/js_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cmath>
#include <limits>
#include <string>

namespace sela::codec {
namespace {

struct NumberCase {
  double value;
  const char* js;  // String(value) in Node.js 18.
};

// Every expected string below was printed by Node.js (String(v)).
TEST(FormatJsNumber, MatchesNodeForPlainAndExponentForms) {
  const NumberCase cases[] = {
      {0, "0"},
      {-0.0, "0"},
      {1, "1"},
      {-1, "-1"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {100, "100"},
      {1e21, "1e+21"},
      {1.5e21, "1.5e+21"},
      {123456789012345680000.0, "123456789012345680000"},
      {1e20, "100000000000000000000"},
      {1e-7, "1e-7"},
      {1.5e-7, "1.5e-7"},
      {0.000001, "0.000001"},
      {1.2e-6, "0.0000012"},
      {0.0000012345, "0.0000012345"},
      {0.00020400000000000003, "0.00020400000000000003"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {-1e-7, "-1e-7"},
      {9007199254740992.0, "9007199254740992"},
      {123.456, "123.456"},
      {1e100, "1e+100"},
      {1234567.0, "1234567"},
      {88.8, "88.8"},
      {1795635710071.0, "1795635710071"},
  };
  for (const NumberCase& c : cases) {
    EXPECT_EQ(FormatJsNumber(c.value), c.js) << "value " << c.value;
  }
}

TEST(FormatJsNumber, ReproducesTheRewardArithmeticOfTheOriginal) {
  // reward = 0.012 * (elapsed_ms / 1000) as the TypeScript server computed it;
  // these are the figures of captures/node-flow.jsonl.
  EXPECT_EQ(FormatJsNumber(0.012 * (10 / 1000.0)), "0.00012");
  EXPECT_EQ(FormatJsNumber(0.012 * (17 / 1000.0)), "0.00020400000000000003");
  EXPECT_EQ(FormatJsNumber(0.012 * (16 / 1000.0)), "0.000192");
}

TEST(FormatJsNumber, PrintsNonFiniteValuesAsJavaScriptNames) {
  EXPECT_EQ(FormatJsNumber(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatJsNumber(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(FormatJsNumber(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(FormatJsonNumber, PrintsNonFiniteValuesAsNull) {
  EXPECT_EQ(FormatJsonNumber(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(FormatJsonNumber(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(FormatJsonNumber(2.5), "2.5");
}

TEST(FormatJsInteger, IsExactUpToTwoToTheFiftyThirdAndRoundedBeyond) {
  EXPECT_EQ(FormatJsInteger(1795635710071), "1795635710071");
  EXPECT_EQ(FormatJsInteger(-42), "-42");
  EXPECT_EQ(FormatJsInteger(9007199254740993), "9007199254740992");
}

TEST(AppendJsonString, UsesTheEscapesOfJsonStringify) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  // Node: JSON.stringify("a\"b\\c\b\f\n\r\t\u0001\u001f\u007f/é€😀")
  EXPECT_EQ(out,
            "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

TEST(AppendJsonString, EscapesACharacterAnywhereInALongRun) {
  // Long runs are scanned eight bytes at a time: every escaped character,
  // at every offset of a run and at its ends, must still be found, and
  // bytes of 0x80 and above (UTF-8) pass unchanged.
  const std::string plain = "abcdefghijklmnopqrstuvwxyz\xc3\xa9" "ABCDEFGHIJ~";
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', ' ', '\x80'}) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      std::string text = plain;
      text.insert(at, 1, special);
      std::string expected = "\"";
      for (const char c : text) {
        if (c == '"') {
          expected += "\\\"";
        } else if (c == '\\') {
          expected += "\\\\";
        } else if (c == '\n') {
          expected += "\\n";
        } else if (c == '\x01') {
          expected += "\\u0001";
        } else if (c == '\x1f') {
          expected += "\\u001f";
        } else {
          expected += c;
        }
      }
      expected += '"';
      std::string out;
      AppendJsonString(out, text);
      EXPECT_EQ(out, expected) << "character " << int(static_cast<unsigned char>(special)) << " at " << at;
    }
  }
}

TEST(AppendJsonString, GrowsItsBufferGeometrically) {
  // One buffer collecting many strings (a JsonObjectWriter) reallocates a
  // few times, not once per string.
  std::string out;
  int reallocations = 0;
  for (int i = 0; i < 1000; ++i) {
    const size_t capacity = out.capacity();
    AppendJsonString(out, "key");
    if (out.capacity() != capacity) ++reallocations;
  }
  EXPECT_EQ(out.size(), 5000u);
  EXPECT_LE(reallocations, 12);
}

TEST(JsonObjectWriter, ReservesWhatItIsToldToExpect) {
  const std::string big(3000, 'x');
  const std::string s = JsonObjectWriter(4096).String("a", big).Finish();
  EXPECT_EQ(s, R"({"a":")" + big + R"("})");
  EXPECT_GE(s.capacity(), 4096u);
  // Without a hint it starts with room for a typical frame.
  EXPECT_GE(JsonObjectWriter().Finish().capacity(), JsonObjectWriter::kInitialBytes);
}

TEST(JsonObjectWriter, KeepsInsertionOrderWithoutWhitespace) {
  const std::string s = JsonObjectWriter()
                            .String("function", "JobComplete")
                            .Integer("timestamp", 1795635710180)
                            .Number("reward", 0.00020400000000000003)
                            .Bool("ok", true)
                            .Raw("raw", "[1,2]")
                            .Finish();
  EXPECT_EQ(s,
            R"({"function":"JobComplete","timestamp":1795635710180,)"
            R"("reward":0.00020400000000000003,"ok":true,"raw":[1,2]})");
}

TEST(JsonObjectWriter, WritesAnEmptyObject) { EXPECT_EQ(JsonObjectWriter().Finish(), "{}"); }

TEST(JsonObjectWriter, WritesNullForNonFiniteNumbers) {
  EXPECT_EQ(JsonObjectWriter().Number("a", std::nan("")).Finish(), R"({"a":null})");
}

TEST(StringifyJs, MatchesJsonStringifyForParsedValues) {
  const char* text =
      R"({"b":1.0,"a":[true,false,null,"x\n",-0.5,1e21,12345678901234567890],"c":{}})";
  // Node: JSON.stringify(JSON.parse(text))
  EXPECT_EQ(StringifyJs(boost::json::parse(text)),
            R"({"b":1,"a":[true,false,null,"x\n",-0.5,1e+21,12345678901234567000],"c":{}})");
}

}  // namespace
}  // namespace sela::codec
