#include "core/logging.h"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <algorithm>
#include <atomic>
#include <iterator>
#include <utility>

#include <spdlog/fmt/fmt.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sela {
namespace {

constexpr std::string_view kReplacementChar = "\\ufffd";

// Length of the well-formed UTF-8 sequence that starts at text[i], or 0 when
// there is none (stray continuation byte, overlong form, surrogate, past
// U+10FFFF, or cut short).
size_t Utf8SequenceBytes(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t bytes = 0;
  uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) {
    bytes = 2;
    code_point = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    bytes = 3;
    code_point = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    bytes = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() - i < bytes) return 0;
  for (size_t k = 1; k < bytes; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3f);
  }
  if (bytes == 3 && (code_point < 0x800 || (code_point >= 0xd800 && code_point <= 0xdfff))) {
    return 0;
  }
  if (bytes == 4 && (code_point < 0x10000 || code_point > 0x10ffff)) return 0;
  return bytes;
}

// Works for std::string and spdlog::memory_buf_t, so the formatter escapes
// straight into spdlog's buffer without a temporary string.
template <typename Out>
void AppendEscaped(Out& out, std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t bytes = Utf8SequenceBytes(text, i);
      if (bytes == 0) {
        out.append(kReplacementChar.data(), kReplacementChar.data() + kReplacementChar.size());
        ++i;
      } else {
        out.append(text.data() + i, text.data() + i + bytes);
        i += bytes;
      }
      continue;
    }
    const char* escaped = nullptr;
    switch (c) {
      case '"': escaped = "\\\""; break;
      case '\\': escaped = "\\\\"; break;
      case '\n': escaped = "\\n"; break;
      case '\r': escaped = "\\r"; break;
      case '\t': escaped = "\\t"; break;
      default: break;
    }
    if (escaped != nullptr) {
      out.append(escaped, escaped + 2);
    } else if (c < 0x20 || c == 0x7f) {
      const char unicode[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(unicode, unicode + sizeof(unicode));
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
}

template <typename Out>
void AppendText(Out& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

bool IsFieldKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

bool IsReservedKey(std::string_view key) { return key == "ts" || key == "level" || key == "msg"; }

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Consumes `"key"` from the front of block; the key must be one LogFields()
// can write.
bool ConsumeKey(std::string_view& block) {
  if (block.empty() || block.front() != '"') return false;
  const size_t close = block.find('"', 1);
  if (close == std::string_view::npos || close == 1) return false;
  const std::string_view key = block.substr(1, close - 1);
  for (char c : key) {
    if (!IsFieldKeyChar(c)) return false;
  }
  if (IsReservedKey(key)) return false;
  block.remove_prefix(close + 1);
  return true;
}

// Length of the escape sequence at the front of text (which starts with a
// backslash) if AppendEscaped() writes such sequences, otherwise 0.
size_t EscapeBytes(std::string_view text) {
  if (text.size() >= 2 && std::string_view("\"\\nrt").find(text[1]) != std::string_view::npos) {
    return 2;
  }
  if (text.size() >= 6 && text[1] == 'u' &&
      ((text.substr(2, 2) == "00" && IsHex(text[4]) && IsHex(text[5])) ||
       text.substr(2, 4) == "fffd")) {
    return 6;
  }
  return 0;
}

// Consumes `"value"` from the front of block; the value must be something
// AppendEscaped() can produce.
bool ConsumeValue(std::string_view& block) {
  if (block.empty() || block.front() != '"') return false;
  size_t i = 1;
  while (i < block.size()) {
    const auto c = static_cast<unsigned char>(block[i]);
    if (c == '"') {
      block.remove_prefix(i + 1);
      return true;
    }
    if (c == '\\') {
      const size_t bytes = EscapeBytes(block.substr(i));
      if (bytes == 0) return false;
      i += bytes;
    } else if (c < 0x20 || c == 0x7f) {
      return false;
    } else {
      const size_t bytes = Utf8SequenceBytes(block, i);
      if (bytes == 0) return false;
      i += bytes;
    }
  }
  return false;
}

// True when block (the text after the marker) is `"k":"v"` pairs separated by
// commas, as LogFields() writes them, or empty.
bool IsFieldBlock(std::string_view block) {
  bool first = true;
  while (!block.empty()) {
    if (!first) {
      if (block.front() != ',') return false;
      block.remove_prefix(1);
    }
    first = false;
    if (!ConsumeKey(block) || block.empty() || block.front() != ':') return false;
    block.remove_prefix(1);
    if (!ConsumeValue(block)) return false;
  }
  return true;
}

void AppendTimestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const int64_t since_epoch_ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
  // Floor division, so that times before 1970 still print a valid timestamp.
  int64_t seconds = since_epoch_ms / 1000;
  int64_t millis = since_epoch_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto seconds_t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&seconds_t, &utc);
  fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, millis);
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

}  // namespace

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(out, text);
  return out;
}

std::string LogFields(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out(1, kLogFieldsMarker);
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) out += ',';
    first = false;
    out += '"';
    if (key.empty() || IsReservedKey(key)) out += '_';
    for (char c : key) out += IsFieldKeyChar(c) ? c : '_';
    out += "\":\"";
    AppendEscaped(out, value);
    out += '"';
  }
  return out;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string_view text(msg.payload.data(), msg.payload.size());
  std::string_view fields;
  const size_t marker = text.rfind(kLogFieldsMarker);
  if (marker != std::string_view::npos && IsFieldBlock(text.substr(marker + 1))) {
    fields = text.substr(marker + 1);
    text = text.substr(0, marker);
  }
  AppendText(dest, "{\"ts\":\"");
  AppendTimestamp(dest, msg.time);
  AppendText(dest, "\",\"level\":\"");
  AppendText(dest, LevelName(msg.level));
  AppendText(dest, "\",\"msg\":\"");
  AppendEscaped(dest, text);
  AppendText(dest, "\"");
  if (!fields.empty()) {
    AppendText(dest, ",");
    AppendText(dest, fields);
  }
  AppendText(dest, "}\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

spdlog::level::level_enum ToSpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kCritical: return spdlog::level::critical;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

LogRateLimiter::Admission LogRateLimiter::Admit(TimePoint now) {
  std::lock_guard lock(mu_);
  if (last_ != TimePoint{}) {
    const double seconds = std::chrono::duration<double>(now - last_).count();
    if (seconds > 0) tokens_ = std::min(per_s_, tokens_ + seconds * per_s_);
  }
  last_ = now;
  if (tokens_ < 1) {
    ++dropped_since_;
    if (dropped_ != nullptr) dropped_->Inc();
    return {false, 0};
  }
  tokens_ -= 1;
  const uint64_t dropped = dropped_since_;
  dropped_since_ = 0;
  return {true, dropped};
}

uint64_t LogRateLimiter::TakeDropped() {
  std::lock_guard lock(mu_);
  return std::exchange(dropped_since_, 0);
}

namespace {

// The limiter of the installed logger, for LogEvent's check before
// formatting. Set by SetupLogging (start-up, before other threads log);
// the sink that owns it lives as long as the default logger.
std::atomic<LogRateLimiter*> g_limiter{nullptr};
// Set by LogEvent while it logs a line it already admitted, so that the
// sink does not take a second token for it; and how many lines were dropped
// before it.
thread_local bool t_admitted = false;
thread_local uint64_t t_dropped_before = 0;

spdlog::details::log_msg DroppedNotice(const spdlog::details::log_msg& next, uint64_t dropped, std::string& text) {
  text = "log lines dropped" + LogFields({{"dropped", std::to_string(dropped)}, {"limit", "LOG_MAX_LINES_PER_S"}});
  spdlog::details::log_msg notice(next.time, {}, next.logger_name, spdlog::level::warn, text);
  return notice;
}

// Writes through `inner` what the limiter admits (critical lines always).
class LimitedSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  LimitedSink(std::shared_ptr<spdlog::sinks::sink> inner, std::unique_ptr<LogRateLimiter> limiter)
      : inner_(std::move(inner)), limiter_(std::move(limiter)) {}
  LogRateLimiter* limiter() { return limiter_.get(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    uint64_t dropped = 0;
    if (t_admitted) {
      dropped = t_dropped_before;
    } else if (msg.level < spdlog::level::critical) {
      const auto admission = limiter_->Admit(std::chrono::steady_clock::now());
      if (!admission.admitted) return;
      dropped = admission.dropped_before;
    } else {
      dropped = limiter_->TakeDropped();
    }
    if (dropped > 0) {
      std::string text;
      inner_->log(DroppedNotice(msg, dropped, text));
    }
    inner_->log(msg);
  }
  void flush_() override { inner_->flush(); }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
  std::unique_ptr<LogRateLimiter> limiter_;
};

}  // namespace

void SetupLogging(const LoggingOptions& options) {
  std::shared_ptr<spdlog::sinks::sink> sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<JsonLogFormatter>());
  LogRateLimiter* limiter = nullptr;
  if (options.max_lines_per_s > 0) {
    auto limited = std::make_shared<LimitedSink>(
        std::move(sink), std::make_unique<LogRateLimiter>(options.max_lines_per_s, options.dropped));
    limiter = limited->limiter();
    sink = std::move(limited);
  }
  auto logger = std::make_shared<spdlog::logger>("sela", std::move(sink));
  logger->set_level(ToSpdlogLevel(options.level));
  // Warnings and errors reach the file even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  g_limiter.store(limiter);
}

void SetupLogging(LogLevel level) { SetupLogging(LoggingOptions{.level = level}); }

void LogEvent(spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  uint64_t dropped = 0;
  LogRateLimiter* limiter = g_limiter.load(std::memory_order_relaxed);
  if (limiter != nullptr && level < spdlog::level::critical) {
    const auto admission = limiter->Admit(std::chrono::steady_clock::now());
    if (!admission.admitted) return;
    dropped = admission.dropped_before;
  }
  // Critical lines took no token: the sink reports the drops before them.
  t_admitted = limiter != nullptr && level < spdlog::level::critical;
  t_dropped_before = dropped;
  logger->log(level, "{}{}", message, LogFields(fields));
  t_admitted = false;
}

}  // namespace sela
