// RESP for the Redis store: commands are written here as arrays of bulk
// strings (no allocation per argument), replies are parsed by hiredis's
// reader (hiredis/read.h) into redisReply trees that we own.
//
// Pure; thread-compatible.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::store::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One command: Arg() appends an argument; Finish() gives the bytes to send.
class Command {
 public:
  Command() = default;
  explicit Command(std::string_view name) { Arg(name); }

  Command& Arg(std::string_view arg);
  Command& Arg(const char* arg) { return Arg(std::string_view(arg)); }
  Command& Arg(const std::string& arg) { return Arg(std::string_view(arg)); }
  Command& Int(int64_t value);
  Command& Uint(uint64_t value);
  // Shortest text that reads back as the same double (std::to_chars).
  Command& Double(double value);

  size_t args() const { return args_; }
  // The whole command in RESP; the builder is left empty.
  std::string Finish();

 private:
  std::string body_;
  size_t args_ = 0;
};

// Reading replies. Each is false / empty / 0 when the reply is of another
// type, so that decoders check types with Is*() first where it matters.
inline bool IsNil(const redisReply* r) { return r == nullptr || r->type == REDIS_REPLY_NIL; }
inline bool IsError(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_ERROR; }
inline bool IsArray(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_ARRAY; }
inline bool IsInteger(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_INTEGER; }
inline std::string_view Text(const redisReply* r) {
  if (r == nullptr) return {};
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
    return {r->str, r->len};
  }
  return {};
}
inline const redisReply* Element(const redisReply* r, size_t i) {
  return IsArray(r) && i < r->elements ? r->element[i] : nullptr;
}

// Numbers as Redis or our scripts write them: integers as decimal text or
// integer replies, doubles as text. nullopt when the reply is neither.
std::optional<int64_t> ToInt(const redisReply* r);
// Decimal text, the whole of it; nullopt otherwise.
std::optional<int64_t> ParseInt(std::string_view text);
std::optional<double> ToDouble(const redisReply* r);

// An error reply as a Status with the code that says what the caller
// should do: OOM → ResourceExhausted; LOADING, BUSY, READONLY, MASTERDOWN,
// TRYAGAIN, CLUSTERDOWN → Unavailable; anything else → Internal. `what`
// names the operation.
Status ErrorReplyStatus(std::string_view error, std::string_view what);

}  // namespace sela::store::redis
