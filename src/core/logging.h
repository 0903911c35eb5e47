// Logging: structured JSON lines on spdlog.
//
// main calls SetupLogging() once; everyone else logs through spdlog's default
// logger (`spdlog::info("listening on {}:{}", host, port)`). Each record is
// one JSON object on one line of stderr:
//
//   {"ts":"2026-11-25T20:30:00.123Z","level":"info","msg":"listening on 0.0.0.0:8082"}
//
// Fields for machines go through LogFields(), which the formatter lifts out of
// the message into members of the object:
//
//   spdlog::warn("closing connection{}", LogFields({{"peer", peer}, {"code", "1009"}}));
//   {"ts":"...","level":"warn","msg":"closing connection","peer":"10.0.0.7","code":"1009"}
//
// Text from peers may be logged anywhere: every byte that reaches the line is
// escaped, so no input can break the JSON or start a new line. Prefer putting
// such text in a LogFields() value rather than at the end of the message, so
// that it cannot pose as a field block.
//
// Thread-safety: SetupLogging() is for start-up, before other threads log;
// the installed logger and the free functions are safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include "core/config.h"
#include "core/metrics.h"

namespace sela {

struct LoggingOptions {
  LogLevel level = LogLevel::kInfo;
  // Lines per second at most (LOG_MAX_LINES_PER_S); 0: no limit.
  uint32_t max_lines_per_s = 0;
  // Counts the lines dropped by the limit; may be null. Outlives logging.
  Counter* dropped = nullptr;
};

// Installs a default spdlog logger that writes JSON lines to stderr at
// `level` and flushes on warnings and worse. With a line limit, lines past
// it are dropped and counted, and the next line written is preceded by a
// warning {"msg":"log lines dropped","dropped":"N"}; critical lines always
// pass.
void SetupLogging(const LoggingOptions& options);
void SetupLogging(LogLevel level);

// A token bucket of lines: `per_s` tokens per second, at most `per_s` saved
// up. Thread-safe.
class LogRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  LogRateLimiter(uint32_t per_s, Counter* dropped) : per_s_(per_s), tokens_(per_s), dropped_(dropped) {}
  struct Admission {
    bool admitted;
    uint64_t dropped_before;  // Admitted: lines dropped since the last admitted one.
  };
  // Takes a token for one line at `now`; not admitted when there is none
  // (the drop is counted).
  Admission Admit(TimePoint now);
  // Lines dropped since the last admitted one, for a line written without a
  // token (critical); resets the count.
  uint64_t TakeDropped();

 private:
  std::mutex mu_;
  const double per_s_;
  double tokens_;
  TimePoint last_{};
  uint64_t dropped_since_ = 0;
  Counter* dropped_;
};

// An event line at `level`: the message plus fields (as LogFields). Nothing
// is formatted when the level is off or the line limit has no room now (the
// line is counted as dropped), so events on hot paths cost little under a
// flood. Never pass secrets (keys, tokens) or result bodies as fields.
void LogEvent(spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

spdlog::level::level_enum ToSpdlogLevel(LogLevel level);

// Escapes text for use between the quotes of a JSON string: `"` and `\`,
// control characters (\n, \r, \t short, the others as \u00XX) and DEL as
// \u007f. Bytes that are not valid UTF-8 become U+FFFD so the line stays
// valid JSON whatever the input.
std::string JsonEscape(std::string_view text);

// Marks the start of a field block in a message; see LogFields().
inline constexpr char kLogFieldsMarker = '\x1f';

// Renders fields as a block that JsonLogFormatter turns into members of the
// log object; append it at the end of the message. Keys keep only
// [A-Za-z0-9_.-] (others become '_') and the reserved keys ts, level and msg
// get a leading '_'. Values are escaped with JsonEscape().
std::string LogFields(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

// Formats a record as one JSON line. The timestamp is the record's time in
// UTC with milliseconds. A trailing block written by LogFields() becomes
// members after "msg"; a block that is not exactly what LogFields() writes is
// left in the message and escaped.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace sela
