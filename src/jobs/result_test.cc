// AnalyzeResult, IsEmptyHtml, PriceFromCents and ContentAnalysisJson against
// the rules of services.md §1.9-§1.11 and rest-api.md §4.4.
#include "jobs/result.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "codec/js_json.h"

namespace sela::jobs {
namespace {

namespace json = boost::json;

json::value Json(std::string_view text) { return json::parse(text); }
json::value Text(std::string_view text) { return json::value(json::string(text)); }

using Keys = std::vector<std::string>;

// ---- emptiness -----------------------------------------------------------------

TEST(AnalyzeResult, NullIsEmpty) {
  ResultAnalysis a = AnalyzeResult("TWITTER_POST", json::value(nullptr));
  EXPECT_TRUE(a.empty);
  EXPECT_TRUE(a.bytes.empty());
  EXPECT_EQ(a.price_cents, 0);
}

TEST(AnalyzeResult, BlankStringsAreEmpty) {
  for (const char* s : {"", " ", "\n\t  \r\n"}) {
    SCOPED_TRACE(testing::PrintToString(s));
    EXPECT_TRUE(AnalyzeResult("HTML", Text(s)).empty);
  }
}

TEST(AnalyzeResult, EmptyArrayAndObjectAreEmpty) {
  EXPECT_TRUE(AnalyzeResult("TWITTER_PROFILE", Json("[]")).empty);
  EXPECT_TRUE(AnalyzeResult("TWITTER_PROFILE", Json("{}")).empty);
}

TEST(AnalyzeResult, StringsHoldingAnEmptyArrayOrObjectAreEmpty) {
  for (const char* s : {"[]", "{}", " [ ] ", "\n{\n}\n"}) {
    SCOPED_TRACE(s);
    EXPECT_TRUE(AnalyzeResult("TWITTER_POST", Text(s)).empty);
  }
}

TEST(AnalyzeResult, HtmlWithoutVisibleTextIsEmpty) {
  const char* pages[] = {
      "<html><head><title></title></head><body></body></html>",
      "<html><head><style>body { color: red; }</style>"
      "<script>var x = '<p>not text</p>';</script></head>"
      "<body><div>&nbsp;</div><!-- nothing --><br/></body></html>",
      "<div>\n  <SCRIPT type=\"text/javascript\">alert(1)</SCRIPT>\n  <Style>p{}</Style>&amp;&#160;\n</div>",
      "<p></p>",
  };
  for (const char* page : pages) {
    SCOPED_TRACE(page);
    EXPECT_TRUE(IsEmptyHtml(page));
    ResultAnalysis a = AnalyzeResult("HTML", Text(page));
    EXPECT_TRUE(a.empty);
    EXPECT_EQ(a.content_type, "text/html");
  }
}

TEST(AnalyzeResult, HtmlWithVisibleTextIsKept) {
  const std::string page =
      "<html><head><script>var a = 1;</script></head><body><p>Hello &amp; welcome</p></body></html>";
  EXPECT_FALSE(IsEmptyHtml(page));
  ResultAnalysis a = AnalyzeResult("HTML", Text(page));
  EXPECT_FALSE(a.empty);
  EXPECT_EQ(a.bytes, page);
  EXPECT_FALSE(a.is_json);
  EXPECT_EQ(a.objects_count, 0);
  EXPECT_EQ(a.file_size_kb, 1);
  EXPECT_EQ(a.price_cents, 120);
}

TEST(AnalyzeResult, TextAfterAnUnclosedAngleBracketIsVisible) {
  // "< 3 apples" is no tag: a browser shows it.
  EXPECT_FALSE(IsEmptyHtml("<br>< 3 apples"));
  EXPECT_FALSE(AnalyzeResult("HTML", Text("<br>< 3 apples")).empty);
}

TEST(AnalyzeResult, PlainTextIsKept) {
  for (const char* s : {"hello world", "a < b and c > d", "x", "1 <2"}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(IsEmptyHtml(s));
    ResultAnalysis a = AnalyzeResult("HTML", Text(s));
    EXPECT_FALSE(a.empty);
    EXPECT_EQ(a.bytes, s);
    EXPECT_FALSE(a.is_json);
  }
}

TEST(AnalyzeResult, NonEmptyValuesAreKept) {
  EXPECT_FALSE(AnalyzeResult("TWITTER_POST", Json(R"({"a":null})")).empty);
  EXPECT_FALSE(AnalyzeResult("TWITTER_POST", Json("[null]")).empty);
  EXPECT_FALSE(AnalyzeResult("TWITTER_POST", Json("0")).empty);
  EXPECT_FALSE(AnalyzeResult("TWITTER_POST", Text("[0]")).empty);
}

TEST(IsEmptyHtml, TextThatIsNotHtmlIsNotEmptyHtml) {
  EXPECT_FALSE(IsEmptyHtml(""));
  EXPECT_FALSE(IsEmptyHtml("   "));
  EXPECT_FALSE(IsEmptyHtml("<"));
  EXPECT_FALSE(IsEmptyHtml("<>"));
  EXPECT_TRUE(IsEmptyHtml("<!DOCTYPE html>"));
  EXPECT_TRUE(IsEmptyHtml("</div>"));
}

// ---- bytes and content type ----------------------------------------------------

TEST(AnalyzeResult, StoresAStringVerbatim) {
  const std::string text = "  line one\n\tline \"two\" é\n";
  ResultAnalysis a = AnalyzeResult("TWITTER_POST", Text(text));
  EXPECT_EQ(a.bytes, text);
  EXPECT_FALSE(a.is_json);
}

TEST(AnalyzeResult, StoresAStringHoldingJsonVerbatim) {
  const std::string text = "[ {\"a\": 1},\n  {\"b\": 2} ]";
  ResultAnalysis a = AnalyzeResult("TWITTER_PROFILE", Text(text));
  EXPECT_EQ(a.bytes, text);
  EXPECT_TRUE(a.is_json);
}

TEST(AnalyzeResult, StoresOtherValuesAsCompactJson) {
  ResultAnalysis a = AnalyzeResult("TWITTER_POST", Json(R"( { "z" : 1.0, "a" : [ 1, 2.5, "x\n" ], "n" : null } )"));
  EXPECT_EQ(a.bytes, R"({"z":1,"a":[1,2.5,"x\n"],"n":null})");
  EXPECT_TRUE(a.is_json);
  EXPECT_EQ(AnalyzeResult("TWITTER_POST", Json("true")).bytes, "true");
  EXPECT_EQ(AnalyzeResult("TWITTER_POST", Json("1e21")).bytes, "1e+21");
}

TEST(AnalyzeResult, ContentTypeFollowsTheJobType) {
  for (const char* type : {"HTML", "html", "Html"}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(AnalyzeResult(type, Text("<p>x</p>")).content_type, "text/html");
    EXPECT_EQ(AnalyzeResult(type, Json(R"(["x"])")).content_type, "text/html");
  }
  for (const char* type : {"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "WEBSITE", "HTMLX", ""}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(AnalyzeResult(type, Text("<p>x</p>")).content_type, "application/json");
  }
}

// ---- object counting -------------------------------------------------------------

TEST(AnalyzeResult, TwitterPostCountsThePostAndItsReplies) {
  const json::value post = Json(R"({"post":{"id":1,"text":"a"},"reply":[{"id":2,"user":"u"},{"id":3,"likes":0}]})");
  for (const char* type : {"TWITTER_POST", "twitter_post", "Twitter_Post"}) {
    SCOPED_TRACE(type);
    ResultAnalysis a = AnalyzeResult(type, post);
    EXPECT_FALSE(a.empty);
    EXPECT_EQ(a.objects_count, 3);
    EXPECT_EQ(a.included, (Keys{"id", "likes", "text", "user"}));
  }
}

TEST(AnalyzeResult, TwitterPostWithNoRepliesCountsThePost) {
  ResultAnalysis a = AnalyzeResult("TWITTER_POST", Json(R"({"post":{"id":1},"reply":[]})"));
  EXPECT_EQ(a.objects_count, 1);
  EXPECT_EQ(a.included, (Keys{"id"}));
}

TEST(AnalyzeResult, TwitterPostCountsAStringHoldingJson) {
  ResultAnalysis a = AnalyzeResult("TWITTER_POST", Text(R"({"post":{"id":1},"reply":[{"id":2}]})"));
  EXPECT_EQ(a.objects_count, 2);
  EXPECT_EQ(a.included, (Keys{"id"}));
}

TEST(AnalyzeResult, TwitterPostOfAnyOtherShapeFallsBackToTheGenericRule) {
  struct Case {
    const char* content;
    int64_t objects;
    Keys included;
  };
  const Case cases[] = {
      {R"([{"a":1},{"b":2},{"a":3}])", 3, {"a", "b"}},
      {R"({"post":{"id":1}})", 0, {}},
      {R"({"post":{"id":1},"reply":{"id":2}})", 0, {}},
      {R"({"post":null,"reply":[{"id":2}]})", 0, {}},
      {R"({"post":false,"reply":[{"id":2}]})", 0, {}},
      {R"({"post":"","reply":[{"id":2}]})", 0, {}},
      {R"({"post":0,"reply":[{"id":2}]})", 0, {}},
      {R"({"reply":[{"id":2}]})", 0, {}},
      {R"({"id":1,"text":"t"})", 0, {}},
      {R"("just text")", 0, {}},
      {"42", 0, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content);
    ResultAnalysis a = AnalyzeResult("TWITTER_POST", Json(c.content));
    EXPECT_EQ(a.objects_count, c.objects);
    EXPECT_EQ(a.included, c.included);
  }
}

TEST(AnalyzeResult, TwitterPostTruthyPostsOtherThanObjectsCount) {
  // JavaScript truthiness: a non-empty string, a non-zero number and an
  // empty array are all truthy; only the replies contribute keys.
  for (const char* post : {R"("x")", "1", "[]", "true"}) {
    SCOPED_TRACE(post);
    ResultAnalysis a =
        AnalyzeResult("TWITTER_POST", Json(std::string(R"({"post":)") + post + R"(,"reply":[{"r":1}]})"));
    EXPECT_EQ(a.objects_count, 2);
    EXPECT_EQ(a.included, (Keys{"r"}));
  }
}

TEST(AnalyzeResult, TwitterProfileCountsArrayItems) {
  ResultAnalysis a = AnalyzeResult("TWITTER_PROFILE", Json(R"([{"name":"a","bio":"b"},{"name":"c"},7])"));
  EXPECT_EQ(a.objects_count, 3);
  EXPECT_EQ(a.included, (Keys{"bio", "name"}));

  a = AnalyzeResult("twitter_profile", Json(R"({"name":"a","bio":"b"})"));
  EXPECT_EQ(a.objects_count, 0);
  EXPECT_TRUE(a.included.empty());

  // The TWITTER_POST shape means nothing for a profile.
  a = AnalyzeResult("TWITTER_PROFILE", Json(R"({"post":{"id":1},"reply":[{"id":2}]})"));
  EXPECT_EQ(a.objects_count, 0);
}

TEST(AnalyzeResult, OtherTypesCountArrayItems) {
  for (const char* type : {"TWITTER_FOLLOW_LIST", "HTML", "GOOGLE_SEARCH", "website"}) {
    SCOPED_TRACE(type);
    ResultAnalysis a = AnalyzeResult(type, Json(R"([{"u":1},{"v":2},{"u":3},{"w":4}])"));
    EXPECT_EQ(a.objects_count, 4);
    EXPECT_EQ(a.included, (Keys{"u", "v", "w"}));
    EXPECT_EQ(AnalyzeResult(type, Json(R"({"u":1})")).objects_count, 0);
    EXPECT_EQ(AnalyzeResult(type, Text(R"([1,2])")).objects_count, 2);
  }
}

TEST(AnalyzeResult, TextThatIsNotJsonCountsNoObjects) {
  ResultAnalysis a = AnalyzeResult("HTML", Text("<ul><li>a</li><li>b</li></ul>"));
  EXPECT_EQ(a.objects_count, 0);
  EXPECT_TRUE(a.included.empty());
  EXPECT_EQ(a.price_cents, 120);
}

// ---- size and price --------------------------------------------------------------

TEST(AnalyzeResult, KilobytesRoundUpAt1024ByteBoundaries) {
  struct Case {
    size_t bytes;
    int64_t kb;
  };
  for (Case c : {Case{1, 1}, Case{1023, 1}, Case{1024, 1}, Case{1025, 2}, Case{2048, 2}, Case{2049, 3},
                 Case{10 * 1024, 10}, Case{10 * 1024 + 1, 11}}) {
    SCOPED_TRACE(c.bytes);
    ResultAnalysis a = AnalyzeResult("HTML", Text(std::string(c.bytes, 'x')));
    EXPECT_EQ(a.bytes.size(), c.bytes);
    EXPECT_EQ(a.file_size_kb, c.kb);
    EXPECT_EQ(a.price_cents, 100 + 20 * c.kb);
  }
}

TEST(AnalyzeResult, KilobytesCountUtf8Bytes) {
  std::string text;
  for (int i = 0; i < 512; ++i) text += "é";  // 2 bytes each: exactly 1024.
  EXPECT_EQ(AnalyzeResult("HTML", Text(text)).file_size_kb, 1);
  text += "é";
  EXPECT_EQ(AnalyzeResult("HTML", Text(text)).file_size_kb, 2);
}

TEST(AnalyzeResult, KilobytesOfAValueAreThoseOfItsCompactJson) {
  // ["xxx…"] is 4 bytes of syntax around the string.
  json::value v = json::array{json::string(std::string(1020, 'x'))};
  ResultAnalysis a = AnalyzeResult("TWITTER_PROFILE", v);
  EXPECT_EQ(a.bytes.size(), 1024u);
  EXPECT_EQ(a.file_size_kb, 1);
  EXPECT_EQ(a.objects_count, 1);
  EXPECT_EQ(a.price_cents, 100 + 20 + 10);

  v = json::array{json::string(std::string(1021, 'x'))};
  a = AnalyzeResult("TWITTER_PROFILE", v);
  EXPECT_EQ(a.bytes.size(), 1025u);
  EXPECT_EQ(a.file_size_kb, 2);
  EXPECT_EQ(a.price_cents, 100 + 40 + 10);
}

TEST(AnalyzeResult, PriceIsOneDollarPlusTwentyCentsPerKbPlusTenCentsPerObject) {
  // rest-api.md R13's example: 20 objects in 2 KB cost 3.4 USDT.
  json::array items;
  for (int i = 0; i < 20; ++i) items.push_back(json::object{{"k", std::string(50, static_cast<char>('a' + i))}});
  ResultAnalysis a = AnalyzeResult("TWITTER_PROFILE", json::value(items));
  EXPECT_EQ(a.bytes.size(), 2u + 20u * 58u + 19u);
  EXPECT_EQ(a.objects_count, 20);
  EXPECT_EQ(a.file_size_kb, 2);
  EXPECT_EQ(a.price_cents, 340);
  EXPECT_EQ(a.included, (Keys{"k"}));
  EXPECT_EQ(PriceFromCents(a.price_cents), 3.4);
}

TEST(PriceFromCents, GivesTheDecimalJavaScriptPrints) {
  EXPECT_EQ(PriceFromCents(340), 3.4);
  EXPECT_EQ(PriceFromCents(100), 1.0);
  EXPECT_EQ(PriceFromCents(130), 1.3);
  EXPECT_EQ(PriceFromCents(0), 0.0);
  EXPECT_EQ(codec::FormatJsNumber(PriceFromCents(340)), "3.4");
  // Every cent amount prints as its exact decimal, as round2 would give it.
  for (int64_t cents = 0; cents <= 200'000; ++cents) {
    std::string expected = std::to_string(cents / 100);
    const int64_t frac = cents % 100;
    if (frac != 0) {
      expected += '.';
      expected += static_cast<char>('0' + frac / 10);
      if (frac % 10 != 0) expected += static_cast<char>('0' + frac % 10);
    }
    ASSERT_EQ(codec::FormatJsNumber(PriceFromCents(cents)), expected) << cents;
  }
}

// ---- content analysis ------------------------------------------------------------

TEST(ContentAnalysisJson, DescribesAnArray) {
  EXPECT_EQ(ContentAnalysisJson(Json(R"([{"b":1,"a":2},{"c":3}])"), 1834),
            R"({"isValidJson":true,"contentType":"json","isAnalyzable":true,"objectsCount":2,)"
            R"("dataStructure":{"type":"array","itemCount":2,"fields":["a","b","c"],"fieldCount":3},)"
            R"("validation":{"isValidJson":true,"isCountable":true,"hasStructuredData":true,"isPriceable":true},)"
            R"("fileSizeBytes":1834,"fileSizeKB":2})");
}

TEST(ContentAnalysisJson, DescribesAnObjectAsOneObjectWithItsKeys) {
  EXPECT_EQ(ContentAnalysisJson(Json(R"({"z":1,"a":{"q":1},"m":[]})"), 1024),
            R"({"isValidJson":true,"contentType":"json","isAnalyzable":true,"objectsCount":1,)"
            R"("dataStructure":{"type":"object","itemCount":3,"fields":["a","m","z"],"fieldCount":3},)"
            R"("validation":{"isValidJson":true,"isCountable":true,"hasStructuredData":true,"isPriceable":true},)"
            R"("fileSizeBytes":1024,"fileSizeKB":1})");
}

TEST(ContentAnalysisJson, AnalysesAStringHoldingJson) {
  EXPECT_EQ(ContentAnalysisJson(Text(R"([1,2,3])"), 7),
            R"({"isValidJson":true,"contentType":"json","isAnalyzable":true,"objectsCount":3,)"
            R"("dataStructure":{"type":"array","itemCount":3,"fields":[],"fieldCount":0},)"
            R"("validation":{"isValidJson":true,"isCountable":true,"hasStructuredData":true,"isPriceable":true},)"
            R"("fileSizeBytes":7,"fileSizeKB":1})");
}

TEST(ContentAnalysisJson, DescribesAPrimitiveAsNoObjects) {
  EXPECT_EQ(ContentAnalysisJson(Json("42"), 2),
            R"({"isValidJson":true,"contentType":"json","isAnalyzable":true,"objectsCount":0,)"
            R"("dataStructure":{"type":"number","itemCount":0,"fields":[],"fieldCount":0},)"
            R"("validation":{"isValidJson":true,"isCountable":false,"hasStructuredData":false,"isPriceable":true},)"
            R"("fileSizeBytes":2,"fileSizeKB":1})");
}

TEST(ContentAnalysisJson, DescribesTextThatIsNotJson) {
  EXPECT_EQ(ContentAnalysisJson(Text("<p>Hello</p>"), 1025),
            R"({"isValidJson":false,"contentType":"text","isAnalyzable":false,"objectsCount":0,)"
            R"("validation":{"isValidJson":false,"isCountable":false,"hasStructuredData":false,"isPriceable":false},)"
            R"("fileSizeBytes":1025,"fileSizeKB":2})");
}

TEST(ContentAnalysisJson, IsValidJsonText) {
  for (const char* content : {R"([{"a":"x\"y"}])", R"({"k\n":1})", R"("<b>")", "null"}) {
    SCOPED_TRACE(content);
    boost::system::error_code ec;
    json::parse(ContentAnalysisJson(Json(content), 10), ec);
    EXPECT_FALSE(ec) << ec.message();
  }
}

}  // namespace
}  // namespace sela::jobs
