#include "core/logging.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>

namespace sela {
namespace {

namespace json = boost::json;

// 2026-11-25T20:30:00.123Z.
constexpr int64_t kRecordTimeMs = 1'795'638'600'123;

std::string Format(std::string_view payload,
                   spdlog::level::level_enum level = spdlog::level::info,
                   int64_t time_ms = kRecordTimeMs) {
  const spdlog::log_clock::time_point time{std::chrono::milliseconds(time_ms)};
  const spdlog::details::log_msg msg(time, spdlog::source_loc{}, "sela", level,
                                     spdlog::string_view_t(payload.data(), payload.size()));
  JsonLogFormatter formatter;
  spdlog::memory_buf_t buffer;
  formatter.format(msg, buffer);
  return std::string(buffer.data(), buffer.size());
}

// Parses one formatted line strictly (valid UTF-8, one object, one newline at
// the end) and returns the object.
json::object ParseLine(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  json::error_code error;
  const json::value value = json::parse(line, error);
  EXPECT_FALSE(error) << error.message() << " in " << line;
  if (error || !value.is_object()) return {};
  return value.as_object();
}

std::string Member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return "<absent>";
  return std::string(value->as_string());
}

TEST(JsonLogFormatter, WritesTimestampLevelAndMessageAsOneLine) {
  EXPECT_EQ(Format("listening on 0.0.0.0:8082"),
            "{\"ts\":\"2026-11-25T20:30:00.123Z\",\"level\":\"info\","
            "\"msg\":\"listening on 0.0.0.0:8082\"}\n");
}

TEST(JsonLogFormatter, TimestampIsUtcWithMilliseconds) {
  EXPECT_EQ(Member(ParseLine(Format("x", spdlog::level::info, 0)), "ts"),
            "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Member(ParseLine(Format("x", spdlog::level::info, 951'782'400'007)), "ts"),
            "2000-02-29T00:00:00.007Z");
  EXPECT_EQ(Member(ParseLine(Format("x", spdlog::level::info, -1)), "ts"),
            "1969-12-31T23:59:59.999Z");
}

TEST(JsonLogFormatter, NamesEveryLevel) {
  const std::pair<spdlog::level::level_enum, const char*> cases[] = {
      {spdlog::level::trace, "trace"}, {spdlog::level::debug, "debug"},
      {spdlog::level::info, "info"},   {spdlog::level::warn, "warn"},
      {spdlog::level::err, "error"},   {spdlog::level::critical, "critical"},
  };
  for (const auto& [level, name] : cases) {
    EXPECT_EQ(Member(ParseLine(Format("x", level)), "level"), name);
  }
}

TEST(JsonLogFormatter, MessageWithQuotesBackslashesAndControlCharactersRoundTrips) {
  const std::string message =
      std::string("say \"hi\" C:\\dir\nnext\tline\r\x01\x1b[31m\x7f end") + '\0' + "nul";
  const std::string line = Format(message);
  EXPECT_EQ(Member(ParseLine(line), "msg"), message);
}

TEST(JsonLogFormatter, InvalidUtf8BecomesReplacementCharacters) {
  const std::string line = Format("bad \xff\xfe and cut \xe2\x82");
  EXPECT_EQ(Member(ParseLine(line), "msg"), "bad \uFFFD\uFFFD and cut \uFFFD\uFFFD");
}

TEST(JsonLogFormatter, LiftsLogFieldsIntoMembers) {
  const std::string payload = "closing connection" +
                              LogFields({{"peer", "10.0.0.7:51234"}, {"code", "1009"},
                                         {"reason", "said \"bye\"\n\x01\xff"}});
  const json::object object = ParseLine(Format(payload, spdlog::level::warn));
  EXPECT_EQ(Member(object, "msg"), "closing connection");
  EXPECT_EQ(Member(object, "level"), "warn");
  EXPECT_EQ(Member(object, "peer"), "10.0.0.7:51234");
  EXPECT_EQ(Member(object, "code"), "1009");
  EXPECT_EQ(Member(object, "reason"), "said \"bye\"\n\x01\uFFFD");
  EXPECT_EQ(object.size(), 6u);
}

TEST(JsonLogFormatter, EmptyLogFieldsLeaveJustTheMessage) {
  const json::object object = ParseLine(Format("hello" + LogFields({})));
  EXPECT_EQ(Member(object, "msg"), "hello");
  EXPECT_EQ(object.size(), 3u);
}

TEST(JsonLogFormatter, FieldsCannotReplaceTimestampLevelOrMessage) {
  const json::object object =
      ParseLine(Format(std::string("m").append(LogFields({{"level", "critical"}, {"ts", "0"}, {"msg", "x"}}))));
  EXPECT_EQ(Member(object, "level"), "info");
  EXPECT_EQ(Member(object, "msg"), "m");
  EXPECT_EQ(Member(object, "_level"), "critical");
  EXPECT_EQ(Member(object, "_ts"), "0");
  EXPECT_EQ(Member(object, "_msg"), "x");
}

TEST(JsonLogFormatter, ForgedFieldBlocksStayInTheMessage) {
  const std::string forgeries[] = {
      "user text \x1f\"level\":\"critical\"",
      "user text \x1f\"a\":\"b\"}, {\"c\":\"d\"",
      "user text \x1f\"a\":\"b\",",
      "user text \x1f\"a b\":\"c\"",
      "user text \x1f\"a\":\"\\ud800\"",
      "user text \x1f\"a\":\"raw\ncontrol\"",
  };
  for (const std::string& payload : forgeries) {
    const json::object object = ParseLine(Format(payload));
    EXPECT_EQ(Member(object, "msg"), payload);
    EXPECT_EQ(Member(object, "level"), "info");
    EXPECT_EQ(object.size(), 3u) << payload;
  }
}

TEST(JsonLogFormatter, OnlyTheLastFieldBlockIsLifted) {
  const std::string first = LogFields({{"a", "1"}});
  const json::object object = ParseLine(Format("x" + first + " y" + LogFields({{"b", "2"}})));
  EXPECT_EQ(Member(object, "msg"), "x" + first + " y");
  EXPECT_EQ(Member(object, "b"), "2");
  EXPECT_EQ(Member(object, "a"), "<absent>");
}

TEST(JsonLogFormatter, CloneFormatsTheSame) {
  JsonLogFormatter formatter;
  const std::unique_ptr<spdlog::formatter> clone = formatter.clone();
  ASSERT_NE(clone, nullptr);
  const spdlog::details::log_msg msg(
      spdlog::log_clock::time_point{std::chrono::milliseconds(kRecordTimeMs)},
      spdlog::source_loc{}, "sela", spdlog::level::err, "boom");
  spdlog::memory_buf_t original;
  spdlog::memory_buf_t cloned;
  formatter.format(msg, original);
  clone->format(msg, cloned);
  EXPECT_EQ(std::string(original.data(), original.size()),
            std::string(cloned.data(), cloned.size()));
}

TEST(JsonEscape, EscapesOnlyWhatJsonNeeds) {
  EXPECT_EQ(JsonEscape("plain text 123"), "plain text 123");
  EXPECT_EQ(JsonEscape("\"q\" \\"), "\\\"q\\\" \\\\");
  EXPECT_EQ(JsonEscape("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(JsonEscape(std::string("\x01\x1f\x7f") + '\0'), "\\u0001\\u001f\\u007f\\u0000");
  EXPECT_EQ(JsonEscape("/"), "/");
}

TEST(JsonEscape, KeepsValidUtf8) {
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(JsonEscape, ReplacesEachInvalidUtf8ByteWithTheReplacementCharacter) {
  EXPECT_EQ(JsonEscape("\x80"), "\\ufffd");                    // Stray continuation.
  EXPECT_EQ(JsonEscape("\xc0\x80"), "\\ufffd\\ufffd");         // Overlong NUL.
  EXPECT_EQ(JsonEscape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // Surrogate.
  EXPECT_EQ(JsonEscape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // > U+10FFFF.
  EXPECT_EQ(JsonEscape("a\xe2\x82"), "a\\ufffd\\ufffd");       // Cut short.
}

TEST(LogFields, SanitizesKeys) {
  const json::object object =
      ParseLine(Format(std::string("m").append(LogFields({{"bad key\"", "v"}, {"", "empty"}, {"ok.key-1", "w"}}))));
  EXPECT_EQ(Member(object, "bad_key_"), "v");
  EXPECT_EQ(Member(object, "_"), "empty");
  EXPECT_EQ(Member(object, "ok.key-1"), "w");
}

TEST(ToSpdlogLevel, MapsEveryLevel) {
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kTrace), spdlog::level::trace);
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kDebug), spdlog::level::debug);
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kInfo), spdlog::level::info);
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kWarn), spdlog::level::warn);
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kError), spdlog::level::err);
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kCritical), spdlog::level::critical);
  EXPECT_EQ(ToSpdlogLevel(LogLevel::kOff), spdlog::level::off);
}

TEST(SetupLogging, InstallsADefaultLoggerAtTheGivenLevel) {
  const std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  SetupLogging(LogLevel::kError);
  const std::shared_ptr<spdlog::logger> installed = spdlog::default_logger();
  EXPECT_NE(installed, previous);
  EXPECT_EQ(installed->level(), spdlog::level::err);
  EXPECT_FALSE(installed->should_log(spdlog::level::warn));
  EXPECT_TRUE(installed->should_log(spdlog::level::critical));
  spdlog::set_default_logger(previous);
}

TEST(LogRateLimiter, AdmitsABurstThenRefillsWithTimeAndCountsDrops) {
  Counter dropped;
  LogRateLimiter limiter(3, &dropped);
  const LogRateLimiter::TimePoint t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit(t0).admitted) << i;
  EXPECT_FALSE(limiter.Admit(t0).admitted);
  EXPECT_FALSE(limiter.Admit(t0 + std::chrono::milliseconds(100)).admitted);  // 0.3 of a token.
  EXPECT_EQ(dropped.value(), 2u);
  // A third of a second later one token is back; the admitted line learns
  // how many were dropped before it, once.
  const auto later = limiter.Admit(t0 + std::chrono::milliseconds(340));
  EXPECT_TRUE(later.admitted);
  EXPECT_EQ(later.dropped_before, 2u);
  // Long quiet: at most one second's worth is saved up.
  const auto quiet = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Admit(quiet).dropped_before, 0u);
  EXPECT_FALSE(limiter.Admit(quiet).admitted);
  EXPECT_EQ(dropped.value(), 3u);
}

// The lines written to stderr while fn runs, under a logger set up with options.
std::vector<std::string> LinesLogged(const LoggingOptions& options, const std::function<void()>& fn) {
  const std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  ::testing::internal::CaptureStderr();
  SetupLogging(options);
  fn();
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  const std::string text = ::testing::internal::GetCapturedStderr();
  SetupLogging(LogLevel::kInfo);  // Forget the limiter before the old logger returns.
  spdlog::set_default_logger(previous);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

TEST(SetupLogging, DropsLinesPastTheLimitAndCountsThem) {
  Counter dropped;
  const auto lines = LinesLogged({.level = LogLevel::kInfo, .max_lines_per_s = 3, .dropped = &dropped}, [] {
    for (int i = 0; i < 5; ++i) spdlog::info("plain {}", i);
    for (int i = 0; i < 5; ++i) LogEvent(spdlog::level::info, "event", {{"n", std::to_string(i)}});
    spdlog::critical("always written");
  });
  // One second's burst: 3 lines; the critical one passes anyway and is
  // preceded by the notice of what was dropped.
  ASSERT_EQ(lines.size(), 5u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("plain 0"), std::string::npos);
  EXPECT_NE(lines[2].find("plain 2"), std::string::npos);
  EXPECT_EQ(dropped.value(), 7u);
  EXPECT_NE(lines[3].find("\"msg\":\"log lines dropped\",\"dropped\":\"7\""), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("always written"), std::string::npos);
}

TEST(LogEvent, WritesTheMessageAndFieldsAndNothingBelowTheLevel) {
  const auto lines = LinesLogged({.level = LogLevel::kWarn}, [] {
    LogEvent(spdlog::level::info, "not written", {{"a", "b"}});
    LogEvent(spdlog::level::warn, "request refused", {{"reason", "bad \"token\""}, {"status", "401"}});
  });
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"level\":\"warn\",\"msg\":\"request refused\",\"reason\":\"bad \\\"token\\\"\",\"status\":\"401\"}"),
            std::string::npos)
      << lines[0];
}

}  // namespace
}  // namespace sela
