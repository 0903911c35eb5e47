#include "v1_messages.h"

#include <gtest/gtest.h>

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
