#include "jobs/preview.h"

#include <gtest/gtest.h>

namespace sela::jobs {
namespace {

Preview Of(std::string_view bytes, std::string_view type = "application/json") {
  return MakePreview(bytes, type, bytes.size());
}

TEST(Preview, AnArrayShowsItsFirstThreeItemsPrettyPrinted) {
  const Preview p = Of(R"([{"id":1,"t":"a"},{"id":2},{"id":3,"x":[]},{"id":4},{"id":5}])");
  EXPECT_EQ(p.text,
            "[\n  {\n    \"id\": 1,\n    \"t\": \"a\"\n  },\n  {\n    \"id\": 2\n  },\n  {\n    \"id\": 3,\n"
            "    \"x\": []\n  }\n]\n... (2 more items)");
  EXPECT_EQ(p.included, (std::vector<std::string>{"id", "t", "x"}));
  EXPECT_EQ(Of("[1,2]").text, "[\n  1,\n  2\n]");
}

TEST(Preview, AnObjectShowsFiveKeysWithArraysCutToTwo) {
  const Preview p = Of(R"({"a":[1,2,3,4],"b":{"c":true},"c":null,"d":"x","e":1.5,"f":0,"g":0})");
  EXPECT_EQ(p.text,
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"a_more\": \"... 2 more items\",\n  \"b\": {\n    \"c\": true\n"
            "  },\n  \"c\": null,\n  \"d\": \"x\",\n  \"e\": 1.5\n}\n... (2 more fields)");
}

TEST(Preview, HtmlShowsTenLinesAndTextFiveHundredCharacters) {
  std::string html;
  for (int i = 0; i < 15; ++i) html += "<p>" + std::to_string(i) + "</p>\n";
  const Preview p = Of(html, "text/html");
  EXPECT_EQ(std::count(p.text.begin(), p.text.end(), '\n'), 9);
  EXPECT_TRUE(p.text.ends_with("<p>9</p>"));
  const std::string text(800, 'x');
  EXPECT_EQ(Of(text, "text/plain").text.size(), 500u);
  EXPECT_EQ(Of("\"just a string\"").text, "\"just a string\"");
}

TEST(Preview, ALargeResultIsShownByItsStartWithoutBeingParsed) {
  const std::string start = "[" + std::string(600, ' ') + "1]";
  const Preview p = MakePreview(start, "application/json", 10'000'000);
  EXPECT_EQ(p.text.size(), 500u);
  EXPECT_TRUE(p.included.empty());
  // Never cuts a character in two.
  const std::string accents(1000, 'a');
  EXPECT_EQ(MakePreview("é" + accents, "text/plain", 1'000'000).text.size(), 501u);
}

}  // namespace
}  // namespace sela::jobs
