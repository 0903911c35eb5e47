#include "v1_messages.h"

#include <algorithm>

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
  if (HasMember(payload, "function", R"("JobComplete")")) return ReplyKind::kJobComplete;
  if (HasMember(payload, "function", R"("JobFailed")")) return ReplyKind::kJobFailed;
  return ReplyKind::kOther;
}

std::optional<std::string_view> RawStringMember(std::string_view payload, std::string_view key) {
  std::string quoted = "\"";
  quoted.append(key).append("\"");
  for (size_t at = payload.find(quoted); at != std::string_view::npos;
       at = payload.find(quoted, at + 1)) {
    size_t i = at + quoted.size();
    while (i < payload.size() && IsSpace(payload[i])) ++i;
    if (i >= payload.size() || payload[i] != ':') continue;
    ++i;
    while (i < payload.size() && IsSpace(payload[i])) ++i;
    if (i >= payload.size() || payload[i] != '"') continue;
    const size_t begin = ++i;
    for (; i < payload.size(); ++i) {
      if (payload[i] == '\\') {
        ++i;
      } else if (payload[i] == '"') {
        return payload.substr(begin, i - begin);
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string ResultDataLiteral(int64_t result_bytes) {
  const std::string_view head = R"([{"i":0,"text":")";
  const std::string_view tail = R"("}])";
  const int64_t fixed = static_cast<int64_t>(head.size() + tail.size());
  std::string text(head);
  text.append(static_cast<size_t>(std::max<int64_t>(result_bytes, kResultTextBytesMin) - fixed), 'x');
  text.append(tail);
  std::string literal;
  AppendJsonString(text, literal);
  return literal;
}

void AppendScrapeResultMessage(std::string_view principal, std::string_view job_id_raw,
                               std::string_view data_literal, std::string& out) {
  out += R"({"text":"TWITTER_SCRAPE_RESULT","type":"TWITTER_SCRAPE_RESULT","user_principal_id":)";
  AppendJsonString(principal, out);
  out += R"(,"job_id":")";
  out += job_id_raw;
  out += R"(","data":)";
  out += data_literal;
  out += '}';
}

}  // namespace loadgen
