#include "protocol/v1_decode.h"

#include <gtest/gtest.h>

#include <string>

#include "codec/js_json.h"

namespace sela::protocol::v1 {
namespace {

constexpr std::string_view kPrincipal = "node-principal-final";

// A frame as the apps send it: text, data (raw JSON), user_principal_id,
// plus anything in `extra` (raw JSON members, with a leading comma).
std::string Frame(std::string_view text, std::string_view data_json, std::string_view extra = "") {
  std::string s = R"({"text":")" + std::string(text) + R"(","data":)" + std::string(data_json) +
                  R"(,"user_principal_id":")" + std::string(kPrincipal) + "\"" +
                  std::string(extra) + "}";
  return s;
}

std::string JsonText(std::string_view json) {
  std::string s;
  codec::AppendJsonString(s, json);
  return s;
}

DecodeResult<NodeMessage> Decode(std::string_view payload, const DecodeOptions& options = {}) {
  return DecodeNodeMessage(payload, options);
}

template <typename T>
T DecodeAs(std::string_view payload) {
  DecodeResult<NodeMessage> m = Decode(payload);
  EXPECT_TRUE(m.has_value()) << payload << " -> " << (m ? std::string() : m.error().detail);
  if (!m || !std::holds_alternative<T>(*m)) return T{};
  return std::get<T>(*m);
}

DecodeError DecodeFailure(std::string_view payload, const DecodeOptions& options = {}) {
  DecodeResult<NodeMessage> m = Decode(payload, options);
  EXPECT_FALSE(m.has_value()) << payload;
  return m ? DecodeError{} : m.error();
}

// A minimal valid `data` (and extra members) for each node message.
std::string MinimalFrame(MessageType type, std::string_view name) {
  switch (type) {
    case MessageType::kSpeedTest: return Frame(name, "87.3");
    case MessageType::kClientStatus: return Frame(name, JsonText(R"({"isActive":true})"));
    case MessageType::kScrapeResult: return Frame(name, JsonText("[1]"), R"(,"job_id":"job_1")");
    default: return Frame(name, "\"\"");
  }
}

TEST(DecodeNodeMessage, DecodesEveryNodeMessageOfTheTableByEachOfItsNames) {
  for (const MessageSpec& spec : kMessageSpecs) {
    for (std::string_view name : spec.names) {
      DecodeResult<NodeMessage> m = Decode(MinimalFrame(spec.type, name));
      ASSERT_TRUE(m.has_value()) << name << ": " << m.error().detail;
      EXPECT_EQ(TypeOf(*m), spec.type) << name;
      EXPECT_EQ(PrincipalOf(*m), kPrincipal) << name;
    }
  }
}

TEST(DecodeNodeMessage, IgnoresDataOfPingHaloHeartbeatAndJobRequest) {
  for (std::string_view name : {"PING", "HALO", "HEARTBEAT", "JOB_REQUEST"}) {
    for (std::string_view data : {"\"ping\"", "null", "{\"x\":[1]}", "12"}) {
      EXPECT_TRUE(Decode(Frame(name, data)).has_value()) << name << " " << data;
    }
    const std::string without_data =
        R"({"text":")" + std::string(name) + R"(","user_principal_id":"p"})";
    EXPECT_TRUE(Decode(without_data).has_value()) << name;
  }
}

TEST(DecodeNodeMessage, IgnoresNodeClientIdCountersAndUnknownFields) {
  const Ping ping = DecodeAs<Ping>(Frame(
      "PING", "\"ping\"",
      R"(,"node_client_id":"1732550000123","post_count":"x","replies_count":null,"extra":{})"));
  EXPECT_EQ(ping.user_principal_id, kPrincipal);
}

TEST(DecodeNodeMessage, ReadsSpeedTestDataGivenAsAnObject) {
  const SpeedTest s = DecodeAs<SpeedTest>(Frame(
      "INTERNET_SPEED_TEST", R"({"downloadSpeed":100.5,"uploadSpeed":50.2,"ping":25,"jitter":2.1})"));
  EXPECT_EQ(s.download_mbps, 100.5);
  EXPECT_EQ(s.upload_mbps, 50.2);
  EXPECT_EQ(s.ping_ms, 25);
  EXPECT_EQ(s.jitter_ms, 2.1);
}

TEST(DecodeNodeMessage, ReadsSpeedTestDataGivenAsABareNumber) {
  const SpeedTest s = DecodeAs<SpeedTest>(Frame("SPEED_TEST", "88.8"));
  EXPECT_EQ(s.download_mbps, 88.8);
  EXPECT_FALSE(s.ping_ms.has_value());
  EXPECT_EQ(DecodeAs<SpeedTest>(Frame("SPEED_TEST", "0")).download_mbps, 0);
}

TEST(DecodeNodeMessage, ReadsSpeedTestDataGivenAsAJsonString) {
  // The documented shape, which the original rejected (D-19).
  const SpeedTest s = DecodeAs<SpeedTest>(
      Frame("INTERNET_SPEED_TEST", JsonText(R"({"downloadSpeed":"100.5","ping":25})")));
  EXPECT_EQ(s.download_mbps, 100.5);
  EXPECT_EQ(s.ping_ms, 25);
  EXPECT_EQ(DecodeAs<SpeedTest>(Frame("SPEED_TEST", JsonText("87.3"))).download_mbps, 87.3);
}

TEST(DecodeNodeMessage, ReadsNumericTextAndFallsBackToSpeed) {
  const SpeedTest s =
      DecodeAs<SpeedTest>(Frame("SPEED_TEST", R"({"speed":"42","ping":"","jitter":null})"));
  EXPECT_EQ(s.download_mbps, 42);
  EXPECT_FALSE(s.ping_ms.has_value());
  EXPECT_FALSE(s.jitter_ms.has_value());
}

TEST(DecodeNodeMessage, RejectsSpeedTestDataThatIsMissingMistypedOrOutOfRange) {
  const char* bad[] = {
      "null",
      "true",
      "\"\"",
      "\"fast\"",
      "[1]",
      R"({"uploadSpeed":5})",
      R"({"downloadSpeed":-1})",
      R"({"downloadSpeed":1e400})",
      R"({"downloadSpeed":100001})",
      R"({"downloadSpeed":"100 Mbps"})",
      R"({"downloadSpeed":10,"ping":-5})",
      R"({"downloadSpeed":10,"ping":60001})",
      R"({"downloadSpeed":10,"ping":"n/a"})",
      R"({"downloadSpeed":{}})",
  };
  for (const char* data : bad) {
    const DecodeError e = DecodeFailure(Frame("INTERNET_SPEED_TEST", data));
    EXPECT_EQ(e.kind, DecodeErrorKind::kInvalidData) << data;
    EXPECT_EQ(e.type, MessageType::kSpeedTest) << data;
    EXPECT_FALSE(e.detail.empty()) << data;
  }
  EXPECT_EQ(DecodeFailure(R"({"text":"SPEED_TEST","user_principal_id":"p"})").kind,
            DecodeErrorKind::kInvalidData);
}

TEST(DecodeNodeMessage, ReadsClientStatusFromAJsonStringAsTheAppsSendIt) {
  const ClientStatus s = DecodeAs<ClientStatus>(Frame(
      "CLIENT_STATUS", JsonText(R"({"isActive":true,"appVersion":"1.0.0","platform":"linux"})")));
  EXPECT_EQ(s.is_active, true);
  EXPECT_EQ(s.app_version, "1.0.0");
  EXPECT_EQ(s.platform, "linux");
}

TEST(DecodeNodeMessage, ReadsClientStatusFromAnObject) {
  EXPECT_EQ(DecodeAs<ClientStatus>(Frame("CLIENT_STATUS", R"({"isActive":false})")).is_active,
            false);
}

TEST(DecodeNodeMessage, LeavesStatusUnchangedWhenIsActiveIsMissing) {
  const ClientStatus s = DecodeAs<ClientStatus>(Frame("CLIENT_STATUS", JsonText("{}")));
  EXPECT_FALSE(s.is_active.has_value());
}

TEST(DecodeNodeMessage, IgnoresUnusableInformationalStatusFields) {
  const std::string long_version(65, 'v');
  const ClientStatus s = DecodeAs<ClientStatus>(Frame(
      "CLIENT_STATUS",
      JsonText(R"({"isActive":true,"appVersion":")" + long_version + R"(","platform":7})")));
  EXPECT_EQ(s.is_active, true);
  EXPECT_FALSE(s.app_version.has_value());
  EXPECT_FALSE(s.platform.has_value());
}

TEST(DecodeNodeMessage, RejectsClientStatusDataThatIsNotAnObject) {
  for (const std::string& data :
       {std::string("null"), JsonText("not json"), JsonText("[true]"), std::string("1"),
        JsonText(R"({"isActive":"yes"})")}) {
    const DecodeError e = DecodeFailure(Frame("CLIENT_STATUS", data));
    EXPECT_EQ(e.kind, DecodeErrorKind::kInvalidData) << data;
    EXPECT_EQ(e.type, MessageType::kClientStatus) << data;
  }
}

ScrapeResult Scrape(std::string_view data_json) {
  return DecodeAs<ScrapeResult>(Frame("TWITTER_SCRAPE_RESULT", data_json, R"(,"job_id":"job_7")"));
}

std::string ContentJson(const ScrapeResult& r) {
  return r.content ? codec::StringifyJs(*r.content) : "<empty>";
}

TEST(DecodeNodeMessage, TakesTheContentOfAJsonStringResult) {
  const ScrapeResult r = Scrape(JsonText(R"({"content":[{"id":"1","text":"hello"}],"x":1})"));
  EXPECT_EQ(r.job_id, "job_7");
  EXPECT_EQ(ContentJson(r), R"([{"id":"1","text":"hello"}])");
  EXPECT_EQ(ContentJson(Scrape(JsonText(R"({"content":"<html></html>"})"))), R"("<html></html>")");
}

TEST(DecodeNodeMessage, PrefersContentOverResultAndFallsBackToResult) {
  EXPECT_EQ(ContentJson(Scrape(JsonText(R"({"result":{"a":1},"content":[2]})"))), "[2]");
  EXPECT_EQ(ContentJson(Scrape(JsonText(R"({"content":"","result":{"a":1}})"))), R"({"a":1})");
}

TEST(DecodeNodeMessage, TakesANonEmptyJsonArrayStringWhole) {
  EXPECT_EQ(ContentJson(Scrape(JsonText(R"([{"id":"1"}])"))), R"([{"id":"1"}])");
}

TEST(DecodeNodeMessage, StoresNonJsonResultTextAsItIs) {
  const ScrapeResult r = Scrape(JsonText("<html><body>hi</body></html>"));
  ASSERT_TRUE(r.content.has_value());
  ASSERT_TRUE(r.content->is_string());
  EXPECT_EQ(r.content->get_string(), "<html><body>hi</body></html>");
}

TEST(DecodeNodeMessage, StoresAJsonValueResultWhole) {
  EXPECT_EQ(ContentJson(Scrape(R"({"content":[1],"meta":2})")), R"({"content":[1],"meta":2})");
  EXPECT_EQ(ContentJson(Scrape(R"([{"id":"1"}])")), R"([{"id":"1"}])");
}

TEST(DecodeNodeMessage, ReportsEmptyResultsAsNoContent) {
  for (const std::string& data :
       {JsonText(R"({"content":[]})"), JsonText("[]"), JsonText(R"({"other":1})"),
        JsonText(R"({"result":[]})"), JsonText("42"), JsonText(R"("quoted")"), JsonText("null"),
        std::string("\"\""), std::string("null"), std::string("[]"), std::string("0")}) {
    EXPECT_FALSE(Scrape(data).content.has_value()) << data;
  }
  const ScrapeResult no_data = DecodeAs<ScrapeResult>(
      R"({"text":"TWITTER_SCRAPE_RESULT","user_principal_id":"p","job_id":"j"})");
  EXPECT_FALSE(no_data.content.has_value());
}

TEST(DecodeNodeMessage, RequiresAUsableJobIdOnResults) {
  for (std::string_view extra : {"", R"(,"job_id":"")", R"(,"job_id":5)", R"(,"job_id":"a b")",
                                 R"(,"job_id":"é")"}) {
    const DecodeError e = DecodeFailure(Frame("TWITTER_SCRAPE_RESULT", JsonText("[1]"), extra));
    EXPECT_EQ(e.kind, DecodeErrorKind::kInvalidData) << extra;
    EXPECT_EQ(e.type, MessageType::kScrapeResult) << extra;
  }
  DecodeOptions options;
  options.job_id_bytes_max = 4;
  EXPECT_EQ(DecodeFailure(Frame("TWITTER_SCRAPE_RESULT", "[1]", R"(,"job_id":"job_1")"), options)
                .detail,
            "field 'job_id' must be at most 4 bytes long");
}

TEST(DecodeNodeMessage, AResultMayNameAnUploadedFileInsteadOfCarryingData) {
  const ScrapeResult r = DecodeAs<ScrapeResult>(
      R"({"text":"TWITTER_SCRAPE_RESULT","user_principal_id":"p","job_id":"j","file_id":"file_1_ab"})");
  EXPECT_EQ(r.file_id, std::optional<std::string>("file_1_ab"));
  EXPECT_FALSE(r.content.has_value());
  EXPECT_FALSE(Scrape(JsonText("[1]")).file_id.has_value());
  for (std::string_view frame :
       {R"({"text":"TWITTER_SCRAPE_RESULT","user_principal_id":"p","job_id":"j","file_id":"f","data":"[1]"})",
        R"({"text":"TWITTER_SCRAPE_RESULT","user_principal_id":"p","job_id":"j","file_id":5})",
        R"({"text":"TWITTER_SCRAPE_RESULT","user_principal_id":"p","job_id":"j","file_id":"../x y"})",
        R"({"text":"TWITTER_SCRAPE_RESULT","user_principal_id":"p","job_id":"j","file_id":""})"}) {
    EXPECT_EQ(DecodeFailure(frame).kind, DecodeErrorKind::kInvalidData) << frame;
  }
}

TEST(DecodeNodeMessage, RefusesResultTextNestedDeeperThanTheLimit) {
  DecodeOptions options;
  options.json_depth_max = 4;
  const std::string deep = JsonText(R"({"content":[[[[1]]]]})");
  const DecodeError e =
      DecodeFailure(Frame("TWITTER_SCRAPE_RESULT", deep, R"(,"job_id":"j")"), options);
  EXPECT_EQ(e.kind, DecodeErrorKind::kInvalidData);
}

TEST(DecodeNodeMessage, ReportsMissingOrFalsyPrincipalAsMissingField) {
  for (std::string_view frame : {R"({"text":"PING","data":"ping"})",
                                 R"({"text":"PING","user_principal_id":""})",
                                 R"({"text":"PING","user_principal_id":null})",
                                 R"({"text":"PING","user_principal_id":0})"}) {
    const DecodeError e = DecodeFailure(frame);
    EXPECT_EQ(e.kind, DecodeErrorKind::kMissingField) << frame;
    EXPECT_EQ(e.type, MessageType::kPing) << frame;
  }
}

TEST(DecodeNodeMessage, RejectsPrincipalsOfTheWrongTypeOrForm) {
  DecodeOptions options;
  options.principal_id_bytes_max = 8;
  for (std::string_view frame : {R"({"text":"PING","user_principal_id":7})",
                                 R"({"text":"PING","user_principal_id":{"a":1}})",
                                 R"({"text":"PING","user_principal_id":"has space"})",
                                 R"({"text":"PING","user_principal_id":"123456789"})",
                                 R"({"text":"PING","user_principal_id":"a\nb"})"}) {
    EXPECT_EQ(DecodeFailure(frame, options).kind, DecodeErrorKind::kInvalidField) << frame;
  }
}

TEST(DecodeNodeMessage, TreatsAFrameTypedOnlyByTypeAsMissingText) {
  // The original routed on `text || type`, then required `text`.
  const DecodeError e = DecodeFailure(R"({"type":"PING","user_principal_id":"p"})");
  EXPECT_EQ(e.kind, DecodeErrorKind::kMissingField);
  EXPECT_EQ(e.type, MessageType::kPing);
}

TEST(DecodeNodeMessage, ReportsUnknownTypesWithTheirName) {
  const DecodeError e = DecodeFailure(Frame("FOO", "\"bar\""));
  EXPECT_EQ(e.kind, DecodeErrorKind::kUnknownType);
  EXPECT_EQ(e.type_name, "FOO");
  EXPECT_FALSE(e.type.has_value());
  EXPECT_EQ(DecodeFailure(Frame("ping", "\"\"")).type_name, "ping");
}

TEST(DecodeNodeMessage, TreatsJobKindsSentByANodeAsUnknownTypes) {
  // ARCHITECTURE.md §6: a job kind only travels to a node, never back.
  for (std::string_view kind : {"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "HTML",
                                "TWITTER_SCRAPE", "NOTIFICATION"}) {
    EXPECT_EQ(DecodeFailure(Frame(kind, "\"https://x.com/a\"")).kind, DecodeErrorKind::kUnknownType)
        << kind;
  }
}

TEST(DecodeNodeMessage, TreatsUploadsRpcEnvelopesAndNonObjectsAsUnknownTypes) {
  const char* frames[] = {
      R"({"type":"file_upload","name":"a.txt","content_type":"text/plain","job_id":"j","content":"SGk="})",
      R"({"val":"a164746578746450494e47"})",
      R"({"text":5,"user_principal_id":"p"})",
      R"([1,2])",
      R"("PING")",
      R"(42)",
  };
  for (const char* frame : frames) {
    EXPECT_EQ(DecodeFailure(frame).kind, DecodeErrorKind::kUnknownType) << frame;
  }
  EXPECT_EQ(DecodeFailure(frames[0]).type_name, "file_upload");
  EXPECT_EQ(DecodeFailure(frames[1]).type_name, "");
}

TEST(DecodeNodeMessage, CutsLongUnknownTypeNamesOnACharacterBoundary) {
  DecodeOptions options;
  options.type_bytes_max = 4;
  // "abcé": the é (2 bytes) would straddle the 4-byte limit.
  EXPECT_EQ(DecodeFailure(Frame("abc\xc3\xa9xyz", "1"), options).type_name, "abc");
}

TEST(DecodeNodeMessage, ReportsNonJsonAndNullAsNotJson) {
  for (std::string_view frame : {"hello", "", "{\"text\":", "null", "\xa2\x63val"}) {
    EXPECT_EQ(DecodeFailure(frame).kind, DecodeErrorKind::kNotJson) << frame;
  }
  DecodeOptions options;
  options.json_depth_max = 2;
  EXPECT_EQ(DecodeFailure(R"({"text":"PING","data":{"a":{"b":1}}})", options).kind,
            DecodeErrorKind::kNotJson);
}

TEST(DecodeNodeMessage, AppliesTheByteLimitOfEachType) {
  DecodeOptions options;
  options.message_bytes_max = 100;
  options.result_bytes_max = 300;
  const std::string padding(120, 'x');
  const DecodeError ping = DecodeFailure(Frame("PING", JsonText(padding)), options);
  EXPECT_EQ(ping.kind, DecodeErrorKind::kTooLarge);
  EXPECT_EQ(ping.type, MessageType::kPing);
  EXPECT_EQ(ping.ToStatus().code(), Code::kResourceExhausted);

  const std::string result = Frame("TWITTER_SCRAPE_RESULT", JsonText(padding), R"(,"job_id":"j")");
  EXPECT_TRUE(Decode(result, options).has_value());

  const DecodeError huge =
      DecodeFailure(Frame("TWITTER_SCRAPE_RESULT", JsonText(std::string(400, 'x'))), options);
  EXPECT_EQ(huge.kind, DecodeErrorKind::kTooLarge);
  EXPECT_FALSE(huge.type.has_value());
}

TEST(DecodeError, MapsToInvalidArgumentUnlessTooLarge) {
  EXPECT_EQ(DecodeFailure("hello").ToStatus().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeFailure(Frame("FOO", "1")).ToStatus().code(), Code::kInvalidArgument);
}

TEST(DecodeRegistration, IgnoresTheFrameWhenTheConnectionNamedThePrincipal) {
  // Even bytes that are not JSON at all, such as the legacy CBOR handshake.
  for (std::string_view payload : {"\xa2\x72garbage", R"({"text":"PING"})", ""}) {
    DecodeResult<Registration> r =
        DecodeRegistration(payload, std::string(kPrincipal), DecodeOptions{});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->principal_id, kPrincipal);
    EXPECT_TRUE(r->from_connection);
  }
}

TEST(DecodeRegistration, ReadsPrincipalIdFromTheFrameOtherwise) {
  DecodeResult<Registration> r =
      DecodeRegistration(R"({"principal_id":"abc-principal"})", std::nullopt, DecodeOptions{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->principal_id, "abc-principal");
  EXPECT_FALSE(r->from_connection);
}

TEST(DecodeRegistration, RejectsFramesWithoutPrincipalIdAsTheOriginalDid) {
  // Including a PING that names user_principal_id instead (§11.2).
  for (std::string_view payload :
       {R"({"text":"PING","user_principal_id":"abc-principal"})", "hello", "[]", "null",
        R"({"principal_id":""})", "\xa2\x72"}) {
    DecodeResult<Registration> r = DecodeRegistration(payload, std::nullopt, DecodeOptions{});
    ASSERT_FALSE(r.has_value()) << payload;
    EXPECT_EQ(r.error().kind, DecodeErrorKind::kInvalidRegistration) << payload;
  }
}

TEST(DecodeRegistration, RejectsMalformedPrincipalsFromFrameOrConnection) {
  for (std::string_view payload : {R"({"principal_id":42})", R"({"principal_id":"a b"})"}) {
    DecodeResult<Registration> r = DecodeRegistration(payload, std::nullopt, DecodeOptions{});
    ASSERT_FALSE(r.has_value()) << payload;
    EXPECT_EQ(r.error().kind, DecodeErrorKind::kInvalidPrincipal) << payload;
  }
  DecodeResult<Registration> r = DecodeRegistration("", std::string("Basic xyz"), DecodeOptions{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, DecodeErrorKind::kInvalidPrincipal);
}

TEST(DecodeRegistration, RefusesFramesAboveTheRegistrationLimit) {
  DecodeOptions options;
  options.registration_bytes_max = 16;
  DecodeResult<Registration> r =
      DecodeRegistration(R"({"principal_id":"abc-principal"})", std::nullopt, options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, DecodeErrorKind::kTooLarge);
  EXPECT_EQ(r.error().type, MessageType::kRegistration);
}

TEST(ValidateIdText, AcceptsVisibleAsciiWithinTheLimitOnly) {
  EXPECT_TRUE(ValidateIdText("p", "2vxsx-fae", 9).ok());
  EXPECT_FALSE(ValidateIdText("p", "2vxsx-fae", 8).ok());
  EXPECT_FALSE(ValidateIdText("p", "", 8).ok());
  EXPECT_FALSE(ValidateIdText("p", "a\x7f", 8).ok());
  EXPECT_EQ(ValidateIdText("p", "a b", 8).message(),
            "field 'p' must contain only visible ASCII characters");
}

}  // namespace
}  // namespace sela::protocol::v1
