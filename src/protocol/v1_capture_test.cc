// Replays the real exchanges recorded against the original server
// (shared/reference/original/captures/*.jsonl) through our decoder and
// encoder: every client frame must decode to the message the original saw,
// and every server frame must come out of our encoder byte for byte, given
// the same variable inputs (ids, timestamps, rewards) that the capture
// shows. The few frames we change on purpose are listed, with the reason,
// in kNodeFlow and kCborFlow below and in docs/PROTOCOL-V1.md.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "codec/hex.h"
#include "codec/json.h"
#include "protocol/v1_decode.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_session.h"

namespace sela::protocol::v1 {
namespace {

namespace json = boost::json;

// How our reply is compared with the captured one.
enum class Compare : uint8_t {
  kExact,              // Same bytes.
  kSameShapeNewText,   // Same keys in the same order; the text after the
                       // legacy prefix is ours (the original printed V8's
                       // JSON.parse message).
  kDeliberateChange,   // We answer differently on purpose; `why` says how.
};

using Outcome = std::variant<MessageType, DecodeErrorKind>;

struct Expectation {
  std::string_view what;  // the capture's description of the client frame
  Outcome outcome;
  Compare compare;
  std::string_view ours = {};  // kDeliberateChange: our exact reply
  std::string_view why = {};
};

// One client frame and the server frame that answered it.
struct Exchange {
  json::object client;
  std::optional<json::object> reply;
};

struct Transcript {
  std::string connection_authorization;  // of the last WS CONNECT
  std::vector<Exchange> exchanges;
  // Job dispatches with the scrapeUrl request that caused them.
  std::vector<std::pair<json::object, json::object>> dispatches;
};

// codec::ParseJson rather than boost::json::parse: the captured rewards need
// correctly rounded doubles to print back identically.
json::value ParseExact(std::string_view text) {
  Result<json::value> v = codec::ParseJson(text, {.bytes_max = 1 << 20, .depth_max = 64});
  EXPECT_TRUE(v.has_value()) << text;
  return v ? std::move(*v) : json::value();
}

json::object ParseObject(std::string_view text) {
  json::value v = ParseExact(text);
  return v.is_object() ? std::move(v.get_object()) : json::object();
}

std::filesystem::path CapturePath(std::string_view name) {
  return std::filesystem::path(SELA_CAPTURES_DIR) / name;
}

std::vector<json::object> ReadLines(const std::filesystem::path& path) {
  std::vector<json::object> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(ParseObject(line));
  }
  return lines;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool IsFrame(const json::object& line, std::string_view dir) {
  return Str(line, "dir") == dir && line.contains("raw");
}

// The bytes of a frame: text as is, binary from its hex form.
std::string PayloadOf(const json::object& frame) {
  const std::string raw = Str(frame, "raw");
  if (Str(frame, "kind") != "binary") return raw;
  Result<std::string> bytes = codec::HexDecode(raw);
  EXPECT_TRUE(bytes.has_value()) << raw;
  return bytes ? *bytes : std::string();
}

// Pairs each client frame with the next server frame, except server frames
// that follow a scrapeUrl request: those are job dispatches. A new
// connection starts a new transcript section; only the last one's
// Authorization header is kept, which is enough for these captures because
// each test looks at the exchanges of one connection at a time.
std::vector<Transcript> Parse(const std::vector<json::object>& lines) {
  std::vector<Transcript> connections;
  std::optional<json::object> pending_request;
  for (const json::object& line : lines) {
    const std::string what = Str(line, "what");
    if (Str(line, "dir") == "C->S" && what.starts_with("WS CONNECT")) {
      Transcript t;
      if (const json::value* h = line.if_contains("headers")) {
        t.connection_authorization = Str(h->as_object(), "Authorization");
      }
      connections.push_back(std::move(t));
    } else if (Str(line, "dir") == "HTTP>" && what.find("scrapeUrl") != std::string::npos) {
      pending_request = line;
    } else if (connections.empty() && (IsFrame(line, "C->S") || IsFrame(line, "S->C"))) {
      ADD_FAILURE() << "frame before any WS CONNECT: " << Str(line, "what");
    } else if (IsFrame(line, "C->S")) {
      connections.back().exchanges.push_back({line, std::nullopt});
    } else if (IsFrame(line, "S->C")) {
      if (pending_request) {
        connections.back().dispatches.emplace_back(*pending_request, line);
        pending_request.reset();
      } else if (!connections.back().exchanges.empty() &&
                 !connections.back().exchanges.back().reply) {
        connections.back().exchanges.back().reply = line;
      } else {
        ADD_FAILURE() << "server frame without a request: " << Str(line, "raw");
      }
    }
  }
  return connections;
}

std::vector<json::object> LoadCapture(std::string_view name) {
  const std::filesystem::path path = CapturePath(name);
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "capture " << path
                  << " is missing: the captures of the original server belong in "
                     "tests/data/captures (see its README).";
    return {};
  }
  return ReadLines(path);
}

std::optional<std::string> ConnectionPrincipal(const Transcript& t) {
  return PrincipalFromConnection({.authorization_header = t.connection_authorization});
}

int64_t Int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_number() ? v->to_number<int64_t>() : 0;
}

// Our reply to a decoded node message, chosen by the table's reply tag and
// filled with the variable parts the capture shows.
std::string ReplyTo(const NodeMessage& message, const json::object& captured) {
  ReplyKind kind = SpecOf(TypeOf(message)).reply;
  ReplyValues values{.principal = PrincipalOf(message), .timestamp_ms = Int(captured, "timestamp")};
  if (const auto* result = std::get_if<ScrapeResult>(&message)) {
    values.job_id = result->job_id;
    if (!result->content) kind = ReplyKind::kJobFailed;
    if (const json::value* reward = captured.if_contains("reward")) {
      values.reward = reward->to_number<double>();
    }
  }
  return EncodeReply(kind, values);
}

std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : o) keys.emplace_back(key);
  return keys;
}

void ExpectOutcome(const Outcome& expected, const Outcome& actual, std::string_view what) {
  EXPECT_EQ(expected.index(), actual.index()) << what;
  if (expected.index() != actual.index()) return;
  if (const auto* type = std::get_if<MessageType>(&expected)) {
    EXPECT_EQ(*type, std::get<MessageType>(actual)) << what;
  } else {
    EXPECT_EQ(std::get<DecodeErrorKind>(expected), std::get<DecodeErrorKind>(actual)) << what;
  }
}

// Decodes one client frame as the session would (registration first) and
// returns the outcome and our reply.
struct Replayed {
  Outcome outcome;
  OutboundFrame reply;
  std::optional<NodeMessage> message;
};

Replayed Replay(const Exchange& ex, bool first_frame, const std::optional<std::string>& principal,
                const EncodeOptions& options) {
  const std::string payload = PayloadOf(ex.client);
  const json::object captured =
      ex.reply && Str(*ex.reply, "kind") != "binary" ? ParseObject(Str(*ex.reply, "raw"))
                                                      : json::object();
  if (first_frame) {
    DecodeResult<Registration> r = DecodeRegistration(payload, principal, DecodeOptions{});
    if (!r) return {r.error().kind, EncodeDecodeError(r.error(), 0, options), std::nullopt};
    return {MessageType::kRegistration,
            {OutboundFrame::Kind::kText,
             EncodeRegistered(Str(captured, "clientId"), Int(captured, "sessionId"))},
            std::nullopt};
  }
  DecodeResult<NodeMessage> m = DecodeNodeMessage(payload, DecodeOptions{});
  if (!m) {
    // The legacy CBOR frame carries its timestamp inside the CBOR bytes.
    const int64_t now = ex.reply && Str(*ex.reply, "kind") == "binary"
                            ? Int(ex.reply->at("decoded").as_object(), "timestamp")
                            : Int(captured, "timestamp");
    return {m.error().kind, EncodeDecodeError(m.error(), now, options), std::nullopt};
  }
  return {TypeOf(*m), {OutboundFrame::Kind::kText, ReplyTo(*m, captured)}, *m};
}

void CompareReply(const Expectation& e, const OutboundFrame& ours, const json::object& captured) {
  const std::string theirs = Str(captured, "raw");
  switch (e.compare) {
    case Compare::kExact:
      if (Str(captured, "kind") == "binary") {
        EXPECT_EQ(ours.kind, OutboundFrame::Kind::kBinary) << e.what;
        EXPECT_EQ(codec::HexEncode(ours.payload), theirs) << e.what;
      } else {
        EXPECT_EQ(ours.kind, OutboundFrame::Kind::kText) << e.what;
        EXPECT_EQ(ours.payload, theirs) << e.what;
      }
      return;
    case Compare::kSameShapeNewText: {
      const json::object a = ParseObject(ours.payload);
      const json::object b = ParseObject(theirs);
      EXPECT_EQ(Keys(a), Keys(b)) << e.what;
      EXPECT_EQ(a.at("success"), b.at("success")) << e.what;
      EXPECT_TRUE(Str(a, "error").starts_with(kMessageProcessingFailedPrefix)) << ours.payload;
      EXPECT_TRUE(Str(b, "error").starts_with(kMessageProcessingFailedPrefix)) << theirs;
      return;
    }
    case Compare::kDeliberateChange:
      EXPECT_EQ(ours.kind, OutboundFrame::Kind::kText) << e.what;
      EXPECT_EQ(ours.payload, e.ours) << e.what;
      EXPECT_NE(ours.payload, theirs) << e.what << " is listed as changed but matches";
      return;
  }
}

void RunConnection(const Transcript& t, std::span<const Expectation> expected,
                   const EncodeOptions& options) {
  ASSERT_EQ(t.exchanges.size(), expected.size());
  const std::optional<std::string> principal = ConnectionPrincipal(t);
  bool registered = false;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Exchange& ex = t.exchanges[i];
    const Expectation& e = expected[i];
    SCOPED_TRACE(std::string(e.what));
    EXPECT_NE(Str(ex.client, "what").find(e.what), std::string::npos) << Str(ex.client, "what");
    const Replayed r = Replay(ex, !registered, principal, options);
    registered = registered || std::holds_alternative<MessageType>(r.outcome);
    ExpectOutcome(e.outcome, r.outcome, e.what);
    ASSERT_TRUE(ex.reply.has_value());
    CompareReply(e, r.reply, *ex.reply);
  }
}

// captures/node-flow.jsonl, client frames in order.
constexpr Expectation kNodeFlow[] = {
    {"registration: first message", MessageType::kRegistration, Compare::kExact},
    {"(PING)", MessageType::kPing, Compare::kExact},
    {"INTERNET_SPEED_TEST, data = object", MessageType::kSpeedTest, Compare::kExact},
    {"INTERNET_SPEED_TEST, data = JSON string", MessageType::kSpeedTest,
     Compare::kDeliberateChange,
     R"({"function":"SpeedTestComplete","message":"Speed test data updated","status":"OK"})",
     "D-19: the original double-encoded the documented JSON-string shape and answered Error; "
     "we read it and answer SpeedTestComplete"},
    {"SPEED_TEST, data = number", MessageType::kSpeedTest, Compare::kExact},
    {"(HALO)", MessageType::kHalo, Compare::kExact},
    {"(HEARTBEAT)", MessageType::kHeartbeat, Compare::kExact},
    {"(CLIENT_STATUS)", MessageType::kClientStatus, Compare::kExact},
    {"(JOB_REQUEST)", MessageType::kJobRequest, Compare::kExact},
    {"unknown type FOO", DecodeErrorKind::kUnknownType, Compare::kDeliberateChange,
     R"({"function":"Error","message":"Node message handling failed: Unsupported node message type: FOO","status":"ERROR"})",
     "D-24: the original answered with a binary CBOR frame; we send a JSON Error frame "
     "(kLegacyCbor reproduces the bytes, see LegacyModeReproducesTheCborErrorFrame)"},
    {"non-JSON text", DecodeErrorKind::kNotJson, Compare::kSameShapeNewText},
    {"PING without user_principal_id", DecodeErrorKind::kMissingField, Compare::kExact},
    {"TWITTER_SCRAPE_RESULT", MessageType::kScrapeResult, Compare::kExact},
    {"TWITTER_SCRAPE_RESULT", MessageType::kScrapeResult, Compare::kExact},
    {"TWITTER_SCRAPE_RESULT", MessageType::kScrapeResult, Compare::kExact},
    {"TWITTER_SCRAPE_RESULT", MessageType::kScrapeResult, Compare::kExact},
};

TEST(NodeFlowCapture, EveryClientFrameDecodesAndEveryReplyMatches) {
  const std::vector<Transcript> connections = Parse(LoadCapture("node-flow.jsonl"));
  ASSERT_EQ(connections.size(), 1u);
  RunConnection(connections[0], kNodeFlow, EncodeOptions{});
}

TEST(NodeFlowCapture, JobDispatchesMatchGivenTheScrapeRequest) {
  const std::vector<Transcript> connections = Parse(LoadCapture("node-flow.jsonl"));
  ASSERT_EQ(connections.size(), 1u);
  const Transcript& t = connections[0];
  ASSERT_EQ(t.dispatches.size(), 4u);
  const std::string client_id =
      Str(ParseObject(Str(*t.exchanges[0].reply, "raw")), "clientId");
  for (const auto& [request_line, frame] : t.dispatches) {
    const json::object request = ParseObject(Str(request_line, "raw"));
    const json::object captured = ParseObject(Str(frame, "raw"));
    const std::string type = Str(request, "scrapeType");
    const std::string url = Str(request, "url");
    const std::string job_id = Str(captured, "job_id");
    const JobDispatch job{.job_type = type,
                          .url = url,
                          .job_id = job_id,
                          .client_id = client_id,
                          .post_count = Int(request, "postCount"),
                          .replies_count = Int(request, "replyCount"),
                          .scroll_pause_ms = Int(request, "scrollPauseTime")};
    EXPECT_EQ(EncodeJobDispatch(job), Str(frame, "raw"));
  }
}

TEST(NodeFlowCapture, ResultsAnswerTheJobsThatWereDispatched) {
  const std::vector<Transcript> connections = Parse(LoadCapture("node-flow.jsonl"));
  ASSERT_EQ(connections.size(), 1u);
  const Transcript& t = connections[0];
  std::vector<ScrapeResult> results;
  for (const Exchange& ex : t.exchanges) {
    DecodeResult<NodeMessage> m = DecodeNodeMessage(PayloadOf(ex.client), DecodeOptions{});
    if (m && std::holds_alternative<ScrapeResult>(*m)) results.push_back(std::get<ScrapeResult>(*m));
  }
  ASSERT_EQ(results.size(), t.dispatches.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].job_id,
              Str(ParseObject(Str(t.dispatches[i].second, "raw")), "job_id"));
    EXPECT_EQ(results[i].user_principal_id, "node-principal-final");
  }
  // HTML text, an array of two tweets, an empty result, HTML text.
  ASSERT_TRUE(results[0].content && results[0].content->is_string());
  ASSERT_TRUE(results[1].content && results[1].content->is_array());
  EXPECT_EQ(results[1].content->get_array().size(), 2u);
  EXPECT_FALSE(results[2].content.has_value());
  ASSERT_TRUE(results[3].content && results[3].content->is_string());
}

TEST(NodeFlowCapture, LegacyModeReproducesTheCborErrorFrame) {
  const std::vector<Transcript> connections = Parse(LoadCapture("node-flow.jsonl"));
  ASSERT_EQ(connections.size(), 1u);
  const auto& exchanges = connections[0].exchanges;
  const auto foo = std::find_if(exchanges.begin(), exchanges.end(), [](const Exchange& ex) {
    return Str(ex.client, "what").find("unknown type FOO") != std::string::npos;
  });
  ASSERT_NE(foo, exchanges.end());
  const Replayed r = Replay(*foo, false, std::nullopt,
                            {.unknown_type_reply = UnknownTypeReply::kLegacyCbor});
  CompareReply({"unknown type FOO", DecodeErrorKind::kUnknownType, Compare::kExact}, r.reply,
               *foo->reply);
}

// captures/documented-cbor-flow.jsonl: a client of the old documented CBOR
// protocol, first without and then with a principal in the connection.
constexpr Expectation kCborFlowWithoutPrincipal[] = {
    {"CBOR registration, no principal", DecodeErrorKind::kInvalidRegistration, Compare::kExact},
};
constexpr Expectation kCborFlowWithPrincipal[] = {
    {"CBOR registration, principal in header", MessageType::kRegistration, Compare::kExact},
    {"CBOR {val,sig} PING", DecodeErrorKind::kNotJson, Compare::kSameShapeNewText},
    {"JSON {val: hex(CBOR PING)}", DecodeErrorKind::kUnknownType, Compare::kDeliberateChange,
     R"js({"function":"Error","message":"Node message handling failed: Unsupported node message type: (none)","status":"ERROR"})js",
     "the RPC envelope (§5) is not carried over: no known client sends it; the original "
     "answered with a CBOR {data} frame, we answer with a JSON Error frame"},
};

TEST(CborFlowCapture, LegacyCborClientsGetTheOriginalRegistrationReplies) {
  const std::vector<Transcript> connections = Parse(LoadCapture("documented-cbor-flow.jsonl"));
  ASSERT_EQ(connections.size(), 2u);
  RunConnection(connections[0], kCborFlowWithoutPrincipal, EncodeOptions{});
  RunConnection(connections[1], kCborFlowWithPrincipal, EncodeOptions{});
}

}  // namespace
}  // namespace sela::protocol::v1
