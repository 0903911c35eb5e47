#include "protocol/v1_peek.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sela::protocol::v1 {
namespace {

TopLevelPeek PeekInPieces(std::string_view json, size_t piece) {
  TopLevelPeek peek;
  for (size_t i = 0; i < json.size(); i += piece) peek.Feed(json.substr(i, piece));
  return peek;
}

TEST(TopLevelPeek, FindsTextAndJobIdWhereverTheyAreAndHoweverTheMessageIsCut) {
  const std::string big(100'000, 'x');
  for (const std::string& json : std::vector<std::string>{
           R"({"text":"TWITTER_SCRAPE_RESULT","job_id":"job_1_2","data":")" + big + "\"}",
        R"({"data":")" + big + R"(","user_principal_id":"p","job_id":"job_1_2","text":"TWITTER_SCRAPE_RESULT"})",
        R"({ "data" : {"text":"nested","job_id":"no","a":[1,{"b":"}]{["}]} , "job_id" : "job_1_2" ,)"
        R"( "n": -1.5e3, "t": true, "text":"TWITTER_SCRAPE_RESULT"})"}) {
    for (size_t piece : {1u, 3u, 4096u, 1000000u}) {
      const TopLevelPeek peek = PeekInPieces(json, piece);
      EXPECT_EQ(peek.text(), "TWITTER_SCRAPE_RESULT") << piece;
      EXPECT_EQ(peek.job_id(), "job_1_2") << piece;
    }
  }
}

TEST(TopLevelPeek, IgnoresEscapedQuotesInsideOtherStrings) {
  const TopLevelPeek peek = PeekInPieces(R"({"data":"a \"job_id\":\"fake\" \\","job_id":"job_9"})", 2);
  EXPECT_EQ(peek.job_id(), "job_9");
}

TEST(TopLevelPeek, LeavesOutValuesThatAreNotPlainShortStrings) {
  TopLevelPeek peek(8);
  peek.Feed(R"({"job_id":"much_too_long_id","text":"a\nb"})");
  EXPECT_EQ(peek.job_id(), "");
  EXPECT_EQ(peek.text(), "");
  TopLevelPeek number;
  number.Feed(R"({"job_id":5,"text":["x"]})");
  EXPECT_EQ(number.job_id(), "");
  EXPECT_EQ(number.text(), "");
  TopLevelPeek not_object;
  not_object.Feed(R"(["job_id","x"])");
  EXPECT_EQ(not_object.job_id(), "");
}

}  // namespace
}  // namespace sela::protocol::v1
