// The environment's sources: .env parsing, merging it with the process
// environment, and LoadConfigFromProcess (config.h). LoadConfig's own
// variables are in config_test.cc.
#include "core/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config_test_variables.h"

namespace sela {
namespace {

EnvMap ParseOk(std::string_view text) {
  Result<EnvMap> vars = ParseDotEnv(text);
  EXPECT_TRUE(vars.has_value()) << vars.error().ToString();
  return vars.value_or(EnvMap{});
}

std::string ParseError(std::string_view text) {
  const Result<EnvMap> vars = ParseDotEnv(text);
  if (vars.has_value()) return "";
  EXPECT_EQ(vars.error().code(), Code::kInvalidArgument);
  return vars.error().message();
}

TEST(ParseDotEnv, ReadsKeyValueLinesAndSkipsBlanksAndComments) {
  const EnvMap vars = ParseOk(
      "# Sela settings\n"
      "\n"
      "PORT=9000\n"
      "   \t\n"
      "  HOST = 127.0.0.1  \n"
      "EMPTY=\n"
      "  # indented comment\n"
      "LOG_LEVEL=debug");
  EXPECT_EQ(vars, (EnvMap{{"PORT", "9000"}, {"HOST", "127.0.0.1"}, {"EMPTY", ""},
                          {"LOG_LEVEL", "debug"}}));
}

TEST(ParseDotEnv, AcceptsExportPrefix) {
  EXPECT_EQ(ParseOk("export PORT=1\nexport\tHOST=h\nexported=2\n"),
            (EnvMap{{"PORT", "1"}, {"HOST", "h"}, {"exported", "2"}}));
}

TEST(ParseDotEnv, DoubleQuotesUnderstandEscapes) {
  const EnvMap vars = ParseOk(
      R"(A="two\nlines"
B="say \"hi\""
C="back\\slash"
D="C:\path\to"
E="  padded  "
F="# not a comment" # a comment
G="")");
  EXPECT_EQ(vars.at("A"), "two\nlines");
  EXPECT_EQ(vars.at("B"), "say \"hi\"");
  EXPECT_EQ(vars.at("C"), "back\\slash");
  EXPECT_EQ(vars.at("D"), "C:\\path\\to");
  EXPECT_EQ(vars.at("E"), "  padded  ");
  EXPECT_EQ(vars.at("F"), "# not a comment");
  EXPECT_EQ(vars.at("G"), "");
}

TEST(ParseDotEnv, SingleQuotesAreLiteral) {
  const EnvMap vars = ParseOk(R"(A='no \n escapes'
B='has "double" quotes' # comment
C='')");
  EXPECT_EQ(vars.at("A"), "no \\n escapes");
  EXPECT_EQ(vars.at("B"), "has \"double\" quotes");
  EXPECT_EQ(vars.at("C"), "");
}

TEST(ParseDotEnv, HashStartsACommentOnlyAfterABlank) {
  const EnvMap vars = ParseOk(
      "URL=http://host/page#part\n"
      "TOKEN=abc # the token\n"
      "NOTHING= # only a comment\n"
      "TAB=x\t# tab before hash\n");
  EXPECT_EQ(vars.at("URL"), "http://host/page#part");
  EXPECT_EQ(vars.at("TOKEN"), "abc");
  EXPECT_EQ(vars.at("NOTHING"), "");
  EXPECT_EQ(vars.at("TAB"), "x");
}

TEST(ParseDotEnv, ValueMayContainEqualsSigns) {
  EXPECT_EQ(ParseOk("ADMIN_TOKEN=a=b==\n").at("ADMIN_TOKEN"), "a=b==");
}

TEST(ParseDotEnv, AcceptsCrlfLineEndsAndAByteOrderMark) {
  EXPECT_EQ(ParseOk("\xEF\xBB\xBFPORT=1\r\nHOST=\"h\"\r\n"),
            (EnvMap{{"PORT", "1"}, {"HOST", "h"}}));
}

TEST(ParseDotEnv, LaterLineWins) {
  EXPECT_EQ(ParseOk("PORT=1\nPORT=2\n").at("PORT"), "2");
}

TEST(ParseDotEnv, BadLinesAreReportedWithTheirLineNumber) {
  EXPECT_EQ(ParseError("PORT=1\n\njust some words\n"), ".env line 3: expected KEY=VALUE");
  EXPECT_EQ(ParseError("# c\nexport PORT\n"), ".env line 2: expected KEY=VALUE");
  EXPECT_EQ(ParseError("=value\n"), ".env line 1: invalid variable name \"\"");
  EXPECT_EQ(ParseError("A=1\n1ABC=2\n"), ".env line 2: invalid variable name \"1ABC\"");
  EXPECT_EQ(ParseError("A=1\nMY-VAR=2\n"), ".env line 2: invalid variable name \"MY-VAR\"");
  EXPECT_EQ(ParseError("A=1\nB=2\nC=\"open\n"), ".env line 3: missing closing double quote");
  EXPECT_EQ(ParseError("A='open\n"), ".env line 1: missing closing single quote");
  EXPECT_EQ(ParseError("A=\"x\" y\n"), ".env line 1: unexpected text after closing quote");
  EXPECT_EQ(ParseError("A='x'y\n"), ".env line 1: unexpected text after closing quote");
  EXPECT_EQ(ParseError("A=\"ends with backslash\\\"\n"),
            ".env line 1: missing closing double quote");
}

TEST(ParseDotEnv, EmptyTextHasNoVariables) {
  EXPECT_EQ(ParseOk(""), EnvMap{});
  EXPECT_EQ(ParseOk("\n\n# only comments\n"), EnvMap{});
}

TEST(MergeEnv, EnvironmentWinsOverDotEnv) {
  const EnvMap merged = MergeEnv({{"PORT", "1"}, {"HOST", "from-file"}},
                                 {{"PORT", "2"}, {"LOG_LEVEL", "warn"}});
  EXPECT_EQ(merged, (EnvMap{{"PORT", "2"}, {"HOST", "from-file"}, {"LOG_LEVEL", "warn"}}));
  const Result<Config> config = LoadConfig(merged);
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->net.port, 2);
  EXPECT_EQ(config->net.host, "from-file");
}

TEST(MergeEnv, EmptyEnvironmentValueStillOverridesAndMeansDefault) {
  const Result<Config> config = LoadConfig(MergeEnv({{"PORT", "1"}}, {{"PORT", ""}}));
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->net.port, 8082);
}

// Variables to set, or for nullopt to unset.
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Applies EnvChanges and puts the previous values back when destroyed.
class ScopedEnv {
 public:
  explicit ScopedEnv(const EnvChanges& vars) {
    for (const auto& [name, value] : vars) {
      const char* old = ::getenv(name.c_str());
      saved_.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
      Set(name, value);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) Set(name, value);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  static void Set(const std::string& name, const std::optional<std::string>& value) {
    if (value.has_value()) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  EnvChanges saved_;
};

// Runs the test body in a fresh temporary directory and returns to the old
// working directory afterwards.
class ScopedTempCwd {
 public:
  ScopedTempCwd() : old_(std::filesystem::current_path()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "sela_config_XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    dir_ = pattern;
    std::filesystem::current_path(dir_);
  }
  ~ScopedTempCwd() {
    std::filesystem::current_path(old_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScopedTempCwd(const ScopedTempCwd&) = delete;
  ScopedTempCwd& operator=(const ScopedTempCwd&) = delete;

  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

 private:
  std::filesystem::path old_;
  std::filesystem::path dir_;
};

// Clears every variable LoadConfig reads, so the tests do not depend on the
// environment they run in, then applies `set`.
EnvChanges OnlyThese(const std::vector<std::pair<std::string, std::string>>& set) {
  EnvChanges vars;
  for (const std::string& name : kAllVariables) vars.emplace_back(name, std::nullopt);
  for (const auto& [name, value] : set) vars.emplace_back(name, value);
  return vars;
}

TEST(ProcessEnv, ContainsTheProcessVariables) {
  const ScopedEnv env(EnvChanges{{"SELA_CONFIG_TEST_VAR", "a=b"}});
  const EnvMap vars = ProcessEnv();
  ASSERT_TRUE(vars.contains("SELA_CONFIG_TEST_VAR"));
  EXPECT_EQ(vars.at("SELA_CONFIG_TEST_VAR"), "a=b");
}

TEST(LoadConfigFromProcess, EnvironmentWinsOverDotEnvFile) {
  const ScopedTempCwd cwd;
  cwd.Write(".env", "PORT=7000\nHOST=10.0.0.1\nexport LOG_LEVEL=error\n");
  const ScopedEnv env(OnlyThese({{"PORT", "9000"}}));
  const Result<Config> config = LoadConfigFromProcess();
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->net.port, 9000);
  EXPECT_EQ(config->net.host, "10.0.0.1");
  EXPECT_EQ(config->log_level, LogLevel::kError);
}

TEST(LoadConfigFromProcess, WorksWithoutADotEnvFile) {
  const ScopedTempCwd cwd;
  const ScopedEnv env(OnlyThese({{"REDIS_DB", "5"}}));
  const Result<Config> config = LoadConfigFromProcess();
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->redis_db, 5u);
  EXPECT_EQ(config->net.port, 8082);
}

TEST(LoadConfigFromProcess, BadDotEnvLineStopsStartUp) {
  const ScopedTempCwd cwd;
  cwd.Write(".env", "PORT=7000\noops\n");
  const ScopedEnv env(OnlyThese({}));
  const Result<Config> config = LoadConfigFromProcess();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error(), InvalidArgument(".env line 2: expected KEY=VALUE"));
}

TEST(LoadConfigFromProcess, BadValueInDotEnvNamesTheVariable) {
  const ScopedTempCwd cwd;
  cwd.Write(".env", "WS_MAX_MESSAGE_BYTES=12\n");
  const ScopedEnv env(OnlyThese({}));
  const Result<Config> config = LoadConfigFromProcess();
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(config.error().message().starts_with("WS_MAX_MESSAGE_BYTES: "));
}

TEST(LoadConfigFromProcess, OversizedDotEnvIsRejected) {
  const ScopedTempCwd cwd;
  cwd.Write(".env", std::string(1024 * 1024 + 1, '#'));
  const ScopedEnv env(OnlyThese({}));
  const Result<Config> config = LoadConfigFromProcess();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code(), Code::kInvalidArgument);
}

TEST(LoadConfigFromProcess, UnreadableDotEnvIsAnError) {
  const ScopedTempCwd cwd;
  std::filesystem::create_directory(".env");
  const ScopedEnv env(OnlyThese({}));
  const Result<Config> config = LoadConfigFromProcess();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace sela
