// Node protocol v1 as the load generator speaks it (the TypeScript server's
// wire format, /work/shared/reference/original/ws-protocol.md).
//
// Messages built: registration (§2.3; the first data frame, `principal_id`
// field, which also works when the principal came in the Authorization
// header because the server then ignores the first frame's content), PING
// (§4.2) and HEARTBEAT (§4.7).
//
// Replies are classified loosely, on the fields the doc guarantees, without a
// full JSON parse: `success` (registration level) and `function` (handler
// level). Whitespace around ':' is tolerated and key order does not matter.
#pragma once

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
  kJobDispatch,         // {"function":"TWITTER_SCRAPE",...}: unsolicited work
  kOther,
};

ReplyKind ClassifyReply(std::string_view payload);

// True when the JSON text has a member `key` whose raw value token starts with
// `json_token` (e.g. `true` or `"Notification"`). Matches at any nesting depth,
// which is enough for the flat replies of protocol v1.
bool HasMember(std::string_view payload, std::string_view key, std::string_view json_token);

}  // namespace loadgen
