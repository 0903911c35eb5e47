#include "v1_messages.h"

#include "json.h"

namespace loadgen {
namespace {

std::string NodeMessage(std::string_view text, std::string_view data, std::string_view principal) {
  std::string out = R"({"text":)";
  AppendJsonString(text, out);
  out += R"(,"data":)";
  AppendJsonString(data, out);
  out += R"(,"user_principal_id":)";
  AppendJsonString(principal, out);
  out += '}';
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string RegistrationMessage(std::string_view principal) {
  std::string out = R"({"principal_id":)";
  AppendJsonString(principal, out);
  out += '}';
  return out;
}

std::string PingMessage(std::string_view principal) {
  return NodeMessage("PING", "ping", principal);
}

std::string HeartbeatMessage(std::string_view principal) {
  return NodeMessage("HEARTBEAT", "", principal);
}

bool HasMember(std::string_view payload, std::string_view key, std::string_view json_token) {
  std::string quoted = "\"";
  quoted.append(key).append("\"");
  for (size_t at = payload.find(quoted); at != std::string_view::npos;
       at = payload.find(quoted, at + 1)) {
    size_t i = at + quoted.size();
    while (i < payload.size() && IsSpace(payload[i])) ++i;
    if (i >= payload.size() || payload[i] != ':') continue;
    ++i;
    while (i < payload.size() && IsSpace(payload[i])) ++i;
    if (payload.substr(i).starts_with(json_token)) return true;
  }
  return false;
}

ReplyKind ClassifyReply(std::string_view payload) {
  if (HasMember(payload, "success", "true")) return ReplyKind::kRegistered;
  if (HasMember(payload, "success", "false")) return ReplyKind::kRejected;
  if (HasMember(payload, "function", R"("Notification")")) return ReplyKind::kPingReply;
  if (HasMember(payload, "function", R"("HeartbeatAck")")) return ReplyKind::kHeartbeatAck;
  if (HasMember(payload, "function", R"("Error")")) return ReplyKind::kHandlerError;
  if (HasMember(payload, "function", R"("TWITTER_SCRAPE")")) return ReplyKind::kJobDispatch;
  return ReplyKind::kOther;
}

}  // namespace loadgen
