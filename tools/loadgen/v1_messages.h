// Node protocol v1 as the load generator speaks it (the TypeScript server's
// wire format, /work/shared/reference/original/ws-protocol.md).
//
// Messages built: registration (§2.3; the first data frame, `principal_id`
// field, which also works when the principal came in the Authorization
// header because the server then ignores the first frame's content), PING
// (§4.2), HEARTBEAT (§4.7) and the job result TWITTER_SCRAPE_RESULT (§4.6).
//
// Replies are classified loosely, on the fields the doc guarantees, without a
// full JSON parse: `success` (registration level) and `function` (handler
// level). Whitespace around ':' is tolerated and key order does not matter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

std::string RegistrationMessage(std::string_view principal);
std::string PingMessage(std::string_view principal);
std::string HeartbeatMessage(std::string_view principal);

enum class ReplyKind {
  kRegistered,          // {"success":true,...,"clientId":...,"sessionId":...}
  kRejected,            // {"success":false,"error":...}
  kPingReply,           // {"function":"Notification",...,"state":"Connected"}
  kHeartbeatAck,        // {"function":"HeartbeatAck",...}
  kHandlerError,        // {"function":"Error",...}
  kJobDispatch,         // {"function":"TWITTER_SCRAPE",...,"job_id":...}
  kJobComplete,         // {"function":"JobComplete",...}: a result was accepted
  kJobFailed,           // {"function":"JobFailed",...}: a result was refused
  kOther,
};

ReplyKind ClassifyReply(std::string_view payload);

// True when the JSON text has a member `key` whose raw value token starts with
// `json_token` (e.g. `true` or `"Notification"`). Matches at any nesting depth,
// which is enough for the flat replies of protocol v1.
bool HasMember(std::string_view payload, std::string_view key, std::string_view json_token);

// The raw (still escaped) text between the quotes of the string member
// `key`, found the way HasMember finds keys; nullopt when there is no such
// member or its value is not a complete string. Echoing the raw text back
// between quotes reproduces the same JSON string without unescaping it.
std::optional<std::string_view> RawStringMember(std::string_view payload, std::string_view key);

// The `data` of a job result, as a JSON string literal (quotes included)
// whose value is the JSON text of a non-empty array, exactly `result_bytes`
// long (at least kResultTextBytesMin): [{"i":0,"text":"xxxx..."}]. Built
// once per run; every result carries the same bytes.
inline constexpr int64_t kResultTextBytesMin = 19;
std::string ResultDataLiteral(int64_t result_bytes);

// Appends a TWITTER_SCRAPE_RESULT for the job whose raw job_id is
// `job_id_raw`. The kind goes in both `text` (which the original requires)
// and `type`, so servers reading either field see it.
void AppendScrapeResultMessage(std::string_view principal, std::string_view job_id_raw,
                               std::string_view data_literal, std::string& out);

}  // namespace loadgen
