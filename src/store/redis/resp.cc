#include "store/redis/resp.h"

#include <charconv>
#include <optional>

namespace sela::store::redis {
namespace {

void AppendDecimal(std::string& out, uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

}  // namespace

Command& Command::Arg(std::string_view arg) {
  body_ += '$';
  AppendDecimal(body_, arg.size());
  body_ += "\r\n";
  body_.append(arg);
  body_ += "\r\n";
  ++args_;
  return *this;
}

Command& Command::Int(int64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return Arg(std::string_view(buf, static_cast<size_t>(end - buf)));
}

Command& Command::Uint(uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return Arg(std::string_view(buf, static_cast<size_t>(end - buf)));
}

Command& Command::Double(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return Arg(std::string_view(buf, static_cast<size_t>(end - buf)));
}

std::string Command::Finish() {
  std::string out;
  out.reserve(body_.size() + 16);
  out += '*';
  AppendDecimal(out, args_);
  out += "\r\n";
  out += body_;
  body_.clear();
  args_ = 0;
  return out;
}

std::optional<int64_t> ToInt(const redisReply* r) {
  if (IsInteger(r)) return static_cast<int64_t>(r->integer);
  if (r == nullptr || r->type == REDIS_REPLY_ERROR) return std::nullopt;
  return ParseInt(Text(r));
}

std::optional<int64_t> ParseInt(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ToDouble(const redisReply* r) {
  if (IsInteger(r)) return static_cast<double>(r->integer);
  const std::string_view text = Text(r);
  if (text.empty() || r->type == REDIS_REPLY_ERROR) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Status ErrorReplyStatus(std::string_view error, std::string_view what) {
  const std::string message = std::string(what) + ": Redis answered " + std::string(error);
  if (error.starts_with("OOM")) return ResourceExhausted(message);
  for (std::string_view transient : {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (error.starts_with(transient)) return Unavailable(message);
  }
  return Internal(message);
}

}  // namespace sela::store::redis
