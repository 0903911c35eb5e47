#include "v1_messages.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "json.h"

namespace loadgen {
namespace {

TEST(V1Messages, BuildsTheDocumentedShapes) {
  EXPECT_EQ(RegistrationMessage("loadgen-000001"), R"({"principal_id":"loadgen-000001"})");
  EXPECT_EQ(PingMessage("p"), R"({"text":"PING","data":"ping","user_principal_id":"p"})");
  EXPECT_EQ(HeartbeatMessage("p"), R"({"text":"HEARTBEAT","data":"","user_principal_id":"p"})");
}

TEST(V1Messages, ClassifiesTheCapturedReplies) {
  // Verbatim from reference/original/captures/node-flow.jsonl.
  EXPECT_EQ(ClassifyReply(R"({"success":true,"message":"Registration successful","clientId":"1795635710051","sessionId":1})"),
            ReplyKind::kRegistered);
  EXPECT_EQ(ClassifyReply(R"({"function":"Notification","message":"Client connect open","user_principal_id":"p","state":"Connected","status":"OK"})"),
            ReplyKind::kPingReply);
  EXPECT_EQ(ClassifyReply(R"({"function":"HeartbeatAck","message":"Heartbeat acknowledged","timestamp":1795635710071,"status":"OK"})"),
            ReplyKind::kHeartbeatAck);
  EXPECT_EQ(ClassifyReply(R"({"success":false,"error":"Registration failed: Invalid JSON message format"})"),
            ReplyKind::kRejected);
  EXPECT_EQ(ClassifyReply(R"({"function":"Error","message":"Node message handling failed: x","status":"ERROR"})"),
            ReplyKind::kHandlerError);
  EXPECT_EQ(ClassifyReply(R"({"function":"TWITTER_SCRAPE","type":"HTML","job_id":"job_1"})"),
            ReplyKind::kJobDispatch);
  EXPECT_EQ(ClassifyReply(R"({"function":"NoJobsAvailable"})"), ReplyKind::kOther);
}

TEST(V1Messages, ClassifiesTheServersVerdictOnAResult) {
  // ws-protocol.md §4.6.
  EXPECT_EQ(ClassifyReply(R"({"function":"JobComplete","message":"Job completed and result stored successfully","status":"OK","timestamp":1732550012345,"reward":0.1482,"jobId":"job_1732550000000_1234"})"),
            ReplyKind::kJobComplete);
  EXPECT_EQ(ClassifyReply(R"({"function":"JobFailed","message":"Scraping returned empty results - no data found","status":"ERROR","errorType":"NO_DATA_FOUND","timestamp":1732550012345,"jobId":"job_1"})"),
            ReplyKind::kJobFailed);
}

constexpr std::string_view kDispatch =
    R"({"function":"TWITTER_SCRAPE","type":"HTML","url":"https://example.com/5","job_id":"job_1732550005000_42","message":"Sending job to client","client_id":"1732550000123","post_count":0,"replies_count":0,"scrollPauseTime":0,"status":"OK"})";

TEST(V1Messages, FindsTheJobIdOfADispatch) {
  EXPECT_EQ(ClassifyReply(kDispatch), ReplyKind::kJobDispatch);
  EXPECT_EQ(RawStringMember(kDispatch, "job_id"), "job_1732550005000_42");
  EXPECT_EQ(RawStringMember(R"({ "job_id" : "a\"b" })", "job_id"), R"(a\"b)");
  EXPECT_EQ(RawStringMember(R"({"job_id":""})", "job_id"), "");
}

TEST(V1Messages, RawStringMemberRefusesNonStringsAndTruncation) {
  EXPECT_EQ(RawStringMember(R"({"job_id":7})", "job_id"), std::nullopt);
  EXPECT_EQ(RawStringMember(R"({"job_id":"abc)", "job_id"), std::nullopt);
  EXPECT_EQ(RawStringMember(R"({"message":"job_id"})", "job_id"), std::nullopt);
  EXPECT_EQ(RawStringMember(R"({"x":"y"})", "job_id"), std::nullopt);
}

TEST(V1Messages, ResultDataIsAStringHoldingANonEmptyArrayOfTheAskedLength) {
  for (const int64_t bytes : {int64_t{0}, kResultTextBytesMin, int64_t{20}, int64_t{1024}, int64_t{100000}}) {
    auto literal = ParseJson(ResultDataLiteral(bytes));
    ASSERT_TRUE(literal.has_value());
    ASSERT_TRUE(literal->is_string());
    const std::string& text = literal->AsString();
    EXPECT_EQ(static_cast<int64_t>(text.size()), std::max(bytes, kResultTextBytesMin));
    auto array = ParseJson(text);
    ASSERT_TRUE(array.has_value()) << text;
    ASSERT_EQ(array->AsArray().size(), 1u);
    EXPECT_EQ(array->AsArray()[0]["i"].AsInt(), 0);
  }
}

TEST(V1Messages, ScrapeResultEchoesTheJobAndNamesTheNode) {
  std::string out;
  AppendScrapeResultMessage("loadgen-000001", *RawStringMember(kDispatch, "job_id"),
                            ResultDataLiteral(64), out);
  auto message = ParseJson(out);
  ASSERT_TRUE(message.has_value()) << out;
  EXPECT_EQ((*message)["text"].AsString(), "TWITTER_SCRAPE_RESULT");
  EXPECT_EQ((*message)["type"].AsString(), "TWITTER_SCRAPE_RESULT");
  EXPECT_EQ((*message)["user_principal_id"].AsString(), "loadgen-000001");
  EXPECT_EQ((*message)["job_id"].AsString(), "job_1732550005000_42");
  EXPECT_EQ((*message)["data"].AsString().size(), 64u);
}

TEST(V1Messages, ToleratesWhitespaceAndKeyOrder) {
  EXPECT_EQ(ClassifyReply("{ \"sessionId\": 3, \"success\" :\n true }"), ReplyKind::kRegistered);
  EXPECT_TRUE(HasMember(R"({"a":"x","function" : "HeartbeatAck"})", "function", R"("HeartbeatAck")"));
}

TEST(V1Messages, DoesNotMatchAKeyInsideAValue) {
  EXPECT_FALSE(HasMember(R"({"message":"\"success\" true"})", "success", "true"));
  EXPECT_FALSE(HasMember(R"({"function":"NotificationX"})", "function", R"("Notification")"));
}

}  // namespace
}  // namespace loadgen
