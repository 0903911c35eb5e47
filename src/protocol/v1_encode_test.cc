#include "protocol/v1_encode.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "codec/hex.h"

namespace sela::protocol::v1 {
namespace {

constexpr int64_t kNow = 1732550012345;

// Every expected string here is copied from ws-protocol.md (§2.3, §4, §7.1,
// §10, §11) or from captures/node-flow.jsonl.

TEST(Encode, RegistrationReplyKeepsClientIdAStringAndSessionIdANumber) {
  EXPECT_EQ(EncodeRegistered("1732550000123", 42),
            R"({"success":true,"message":"Registration successful","clientId":"1732550000123","sessionId":42})");
}

TEST(Encode, FailureEnvelopesWithAndWithoutTimestamp) {
  EXPECT_EQ(EncodeFailure("Registration failed: Invalid JSON message format"),
            R"({"success":false,"error":"Registration failed: Invalid JSON message format"})");
  EXPECT_EQ(EncodeFailureWithTimestamp("Login failed: boom", kNow),
            R"({"success":false,"error":"Login failed: boom","timestamp":1732550012345})");
}

TEST(Encode, NotificationRepliesToPingAndHalo) {
  EXPECT_EQ(EncodePingReply("abc-principal"),
            R"({"function":"Notification","message":"Client connect open","user_principal_id":"abc-principal","state":"Connected","status":"OK"})");
  EXPECT_EQ(EncodeHaloReply("abc-principal"),
            R"({"function":"Notification","message":"HALO received","user_principal_id":"abc-principal","status":"OK","data":"Sending message to client - HALO HALO"})");
}

TEST(Encode, ConstantRepliesOfSpeedTestStatusHeartbeatAndJobRequest) {
  EXPECT_EQ(EncodeSpeedTestComplete(),
            R"({"function":"SpeedTestComplete","message":"Speed test data updated","status":"OK"})");
  EXPECT_EQ(EncodeClientStatusUpdate(),
            R"({"function":"ClientStatusUpdate","message":"Client status updated successfully","status":"OK"})");
  EXPECT_EQ(EncodeHeartbeatAck(1732550020000),
            R"({"function":"HeartbeatAck","message":"Heartbeat acknowledged","timestamp":1732550020000,"status":"OK"})");
  EXPECT_EQ(EncodeNoJobsAvailable(kNow),
            R"({"function":"NoJobsAvailable","message":"No jobs available at the moment","status":"OK","timestamp":1732550012345})");
}

TEST(Encode, JobDispatchCarriesJobIdAndTheThreeCounters) {
  const JobDispatch job{.job_type = "TWITTER_POST",
                        .url = "https://x.com/user/status/1875028823173177816",
                        .job_id = "job_1732550000000_1234",
                        .client_id = "1732550000123",
                        .post_count = 20,
                        .replies_count = 5,
                        .scroll_pause_ms = 1500};
  EXPECT_EQ(EncodeJobDispatch(job),
            R"({"function":"TWITTER_SCRAPE","type":"TWITTER_POST","url":"https://x.com/user/status/1875028823173177816","job_id":"job_1732550000000_1234","message":"Sending job to client","client_id":"1732550000123","post_count":20,"replies_count":5,"scrollPauseTime":1500,"status":"OK"})");
}

TEST(Encode, JobCompletePrintsTheRewardAsJavaScriptDid) {
  EXPECT_EQ(EncodeJobComplete("job_1732550005000_42", 0.312, 1732550031000),
            R"({"function":"JobComplete","message":"Job completed and result stored successfully","status":"OK","timestamp":1732550031000,"reward":0.312,"jobId":"job_1732550005000_42"})");
  EXPECT_EQ(EncodeJobComplete("j", 0.00020400000000000003, 1),
            R"({"function":"JobComplete","message":"Job completed and result stored successfully","status":"OK","timestamp":1,"reward":0.00020400000000000003,"jobId":"j"})");
  EXPECT_EQ(EncodeJobComplete("j", 1e-7, 1).find(R"("reward":1e-7)") != std::string::npos, true);
  EXPECT_NE(EncodeJobComplete("j", std::nan(""), 1).find(R"("reward":null)"), std::string::npos);
}

TEST(Encode, JobFailedForAnEmptyResult) {
  EXPECT_EQ(EncodeJobFailedNoData("job_1732550000000_1234", kNow),
            R"({"function":"JobFailed","message":"Scraping returned empty results - no data found","status":"ERROR","errorType":"NO_DATA_FOUND","timestamp":1732550012345,"jobId":"job_1732550000000_1234"})");
}

TEST(Encode, ErrorRepliesOfTheHandlers) {
  EXPECT_EQ(EncodeAuthenticationFailed("abc"),
            R"({"function":"Error","message":"Node message handling failed: Authentication failed for user: abc","status":"ERROR"})");
  EXPECT_EQ(EncodeHandlerFailed("Failed to connect client: down"),
            R"({"function":"Error","message":"Node message handling failed: Failed to connect client: down","status":"ERROR"})");
  EXPECT_EQ(EncodeResultRejected(kJobNotFoundReason, kErrorTypeInternal),
            R"({"function":"Error","message":"Error processing scrape result: Failed to update job: Job not found","status":"ERROR","errorType":"INTERNAL_SERVER_ERROR"})");
}

TEST(Encode, EscapesStringsLikeJsonStringify) {
  EXPECT_EQ(EncodeError("a \"quoted\"\nline"),
            R"({"function":"Error","message":"a \"quoted\"\nline","status":"ERROR"})");
}

std::vector<std::string> KeysOf(const std::string& json) {
  std::vector<std::string> keys;
  const boost::json::value parsed = boost::json::parse(json);
  for (const auto& [key, value] : parsed.as_object()) keys.emplace_back(key);
  return keys;
}

TEST(EncodeReply, WritesEveryReplyWithTheKeysOfItsTableEntryInOrder) {
  const ReplyValues values{.client_id = "1", .principal = "p", .message = "m", .error_type = "E",
                           .job_type = "HTML", .url = "u", .job_id = "j", .session_id = 2,
                           .timestamp_ms = 3, .post_count = 4, .replies_count = 5,
                           .scroll_pause_ms = 6, .reward = 0.5};
  for (const ReplySpec& spec : kReplySpecs) {
    const std::string json = EncodeReply(spec.kind, values);
    std::vector<std::string> expected;
    for (const ReplyField& field : spec.fields) expected.emplace_back(field.key);
    EXPECT_EQ(KeysOf(json), expected) << json;
    for (const ReplyField& field : spec.fields) {
      if (field.slot == Slot::kLiteral) {
        EXPECT_EQ(boost::json::parse(json).at(field.key).as_string(), field.literal) << json;
      }
    }
  }
}

DecodeError Error(DecodeErrorKind kind, std::optional<MessageType> type, std::string detail,
                  std::string type_name = "") {
  return DecodeError{.kind = kind, .type = type, .type_name = type_name, .detail = detail};
}

std::string Reply(const DecodeError& e, const EncodeOptions& options = {}) {
  const OutboundFrame frame = EncodeDecodeError(e, kNow, options);
  EXPECT_EQ(frame.kind, OutboundFrame::Kind::kText);
  return frame.payload;
}

TEST(EncodeDecodeError, AnswersMissingFieldsWithTheOriginalTimestampedText) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kMissingField, MessageType::kPing, "x")),
            R"({"success":false,"error":"Node message processing failed: Missing required fields in application message","timestamp":1732550012345})");
}

TEST(EncodeDecodeError, AnswersNonJsonWithMessageProcessingFailed) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kNotJson, std::nullopt, "invalid JSON: syntax error at byte 0")),
            R"({"success":false,"error":"Message processing failed: invalid JSON: syntax error at byte 0"})");
}

TEST(EncodeDecodeError, AnswersUnknownTypesWithAJsonErrorByDefault) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kUnknownType, std::nullopt, "", "FOO")),
            R"({"function":"Error","message":"Node message handling failed: Unsupported node message type: FOO","status":"ERROR"})");
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kUnknownType, std::nullopt, "", "")),
            R"js({"function":"Error","message":"Node message handling failed: Unsupported node message type: (none)","status":"ERROR"})js");
}

TEST(EncodeDecodeError, CanAnswerUnknownTypesWithTheLegacyCborFrame) {
  const OutboundFrame frame =
      EncodeDecodeError(Error(DecodeErrorKind::kUnknownType, std::nullopt, "", "FOO"),
                        1795635710075, {.unknown_type_reply = UnknownTypeReply::kLegacyCbor});
  EXPECT_EQ(frame.kind, OutboundFrame::Kind::kBinary);
  // The bytes of captures/node-flow.jsonl at t_ms=39.
  EXPECT_EQ(codec::HexEncode(frame.payload),
            "a2656572726f7278494170706c69636174696f6e206d6573736167652070726f63657373696e67206661"
            "696c65643a20496e76616c6964206170706c69636174696f6e206d65737361676520666f726d617469"
            "74696d657374616d701b000001a2143a887b");
}

TEST(EncodeDecodeError, KeepsTheOriginalTextsForBadSpeedAndStatusData) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kInvalidData, MessageType::kSpeedTest, "detail")),
            R"({"function":"Error","message":"Node message handling failed: Failed to process speed test data: Failed to update speed: Invalid speed data","status":"ERROR"})");
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kInvalidData, MessageType::kClientStatus, "detail")),
            R"({"function":"Error","message":"Invalid status data format","status":"ERROR"})");
}

TEST(EncodeDecodeError, ExplainsRejectedResultsWithAnErrorType) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kInvalidData, MessageType::kScrapeResult,
                        "field 'job_id' is required")),
            R"({"function":"Error","message":"Error processing scrape result: field 'job_id' is required","status":"ERROR","errorType":"INVALID_RESULT"})");
}

TEST(EncodeDecodeError, AnswersEnvelopeProblemsAndOversizeWithTimestampedFailures) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kInvalidField, MessageType::kPing,
                        "field 'user_principal_id' must be a string")),
            R"({"success":false,"error":"Node message processing failed: field 'user_principal_id' must be a string","timestamp":1732550012345})");
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kTooLarge, MessageType::kPing, "too big")),
            R"({"success":false,"error":"Node message processing failed: too big","timestamp":1732550012345})");
}

TEST(EncodeDecodeError, AnswersRegistrationProblemsWithRegistrationFailed) {
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kInvalidRegistration, MessageType::kRegistration, "x")),
            R"({"success":false,"error":"Registration failed: Invalid JSON message format"})");
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kInvalidPrincipal, MessageType::kRegistration,
                        "field 'principal_id' must be a string")),
            R"({"success":false,"error":"Registration failed: field 'principal_id' must be a string"})");
  EXPECT_EQ(Reply(Error(DecodeErrorKind::kTooLarge, MessageType::kRegistration, "too big")),
            R"({"success":false,"error":"Registration failed: too big"})");
}

}  // namespace
}  // namespace sela::protocol::v1
