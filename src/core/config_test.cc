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

// The reward variables are read between REWARD_DISTRIBUTION_ENABLED and
// CANISTER_STORAGE_ENABLED; config_rewards_test.cc checks them.

// Error message of LoadConfig(vars), or "" when it succeeds.
std::string ErrorOf(const EnvMap& vars) {
  const Result<Config> config = LoadConfig(vars);
  if (config.has_value()) return "";
  EXPECT_EQ(config.error().code(), Code::kInvalidArgument);
  return config.error().message();
}

TEST(LoadConfig, NoVariablesGiveTheDefaults) {
  const Result<Config> config = LoadConfig({});
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(*config, Config{});
  EXPECT_EQ(config->net.host, "0.0.0.0");
  EXPECT_EQ(config->net.port, 8082);
  EXPECT_EQ(config->log_level, LogLevel::kInfo);
  EXPECT_EQ(config->data_path, "./data/redis");
  EXPECT_EQ(config->ic_url, "https://ic0.app");
  EXPECT_EQ(config->session_timeout_s, 86'400u);
  EXPECT_EQ(config->dead_timeout_ms, 3'600'000u);
}

TEST(LoadConfig, EmptyValuesGiveTheDefaults) {
  EnvMap vars;
  for (const std::string& name : kAllVariables) vars[name] = "";
  const Result<Config> config = LoadConfig(vars);
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(*config, Config{});
}

TEST(LoadConfig, ReadsEveryVariable) {
  const EnvMap vars = {
      {"HOST", "127.0.0.1"},
      {"PORT", "9443"},
      {"TLS_CERT_FILE", "/etc/sela/cert.pem"},
      {"TLS_KEY_FILE", "/etc/sela/key.pem"},
      {"HTTP_MAX_HEADER_BYTES", "8192"},
      {"HTTP_MAX_BODY_BYTES", "1000000"},
      {"HTTP_HEADER_TIMEOUT_MS", "1001"},
      {"HTTP_REQUEST_TIMEOUT_MS", "1002"},
      {"HTTP_IDLE_TIMEOUT_MS", "1003"},
      {"WS_MAX_MESSAGE_BYTES", "65536"},
      {"WS_MAX_OUTBOUND_BYTES", "131072"},
      {"WS_HANDSHAKE_TIMEOUT_MS", "1004"},
      {"WS_CLOSE_TIMEOUT_MS", "1005"},
      {"WS_MESSAGE_TIMEOUT_MS", "1007"},
      {"INBOUND_BUDGET_BYTES", "3000000"},
      {"MAX_CONNECTIONS", "50000"},
      {"MAX_CONNECTIONS_PER_SOURCE", "300"},
      {"RESERVED_CONNECTIONS", "7"},
      {"DRAIN_TIMEOUT_MS", "1006"},
      {"LOG_LEVEL", "Debug"},
      {"LOG_MAX_LINES_PER_S", "250"},
      {"DATA_PATH", "/var/lib/sela"},
      {"SQLITE_CHECKPOINT_PAGES", "2000"},
      {"SQLITE_GATHER_US", "2500"},
      {"SQLITE_QUICK_CHECK_MS", "0"},
      {"ADMIN_TOKEN", "s3cret-s3cret-s3cret-s3cret-s3cret"},
      {"REDIS_URL", "redis://cache.internal:6380"},
      {"REDIS_KEY_PREFIX", "prod-eu.1"},
      {"REDIS_DURABILITY", "everysec"},
      {"REDIS_PROCESS_TTL_MS", "4000"},
      {"REDIS_PASSWORD", "pw"},
      {"REDIS_DB", "3"},
      {"SESSION_TIMEOUT", "3600"},
      {"USAGE_LIMIT", "25"},
      {"DEAD_TIMEOUT", "60000"},
      {"MAX_JOBS_PER_CLIENT", "4"},
      {"IC_URL", "http://127.0.0.1:4943"},
      {"BLOCKCHAIN_ENABLED", "true"},
      {"REWARD_DISTRIBUTION_ENABLED", "1"},
      {"CANISTER_STORAGE_ENABLED", "TRUE"},
      {"SOMETHING_ELSE", "ignored"},
  };
  for (const std::string& name : kAllVariables) ASSERT_TRUE(vars.contains(name)) << name;
  const Result<Config> config = LoadConfig(vars);
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  const NetConfig& net = config->net;
  EXPECT_EQ(net.host, "127.0.0.1");
  EXPECT_EQ(net.port, 9443);
  EXPECT_EQ(net.tls_cert_file, "/etc/sela/cert.pem");
  EXPECT_EQ(net.tls_key_file, "/etc/sela/key.pem");
  EXPECT_EQ(net.http_header_bytes_max, 8192u);
  EXPECT_EQ(net.http_body_bytes_max, 1'000'000u);
  EXPECT_EQ(net.http_header_timeout_ms, 1001u);
  EXPECT_EQ(net.http_request_timeout_ms, 1002u);
  EXPECT_EQ(net.http_idle_timeout_ms, 1003u);
  EXPECT_EQ(net.ws_max_message_bytes, 65536u);
  EXPECT_EQ(net.ws_outbound_bytes_max, 131072u);
  EXPECT_EQ(net.ws_handshake_timeout_ms, 1004u);
  EXPECT_EQ(net.ws_close_timeout_ms, 1005u);
  EXPECT_EQ(net.ws_message_timeout_ms, 1007u);
  EXPECT_EQ(net.inbound_budget_bytes, 3'000'000u);
  EXPECT_EQ(net.max_connections, 50000u);
  EXPECT_EQ(net.max_connections_per_source, 300u);
  EXPECT_EQ(net.reserved_connections, 7u);
  EXPECT_EQ(net.drain_timeout_ms, 1006u);
  EXPECT_EQ(config->log_level, LogLevel::kDebug);
  EXPECT_EQ(config->data_path, "/var/lib/sela");
  EXPECT_EQ(config->sqlite_checkpoint_pages, 2000u);
  EXPECT_EQ(config->sqlite_quick_check_ms, 0u);
  EXPECT_EQ(config->sqlite_gather_us, 2500u);
  EXPECT_EQ(config->log_max_lines_per_s, 250u);
  EXPECT_EQ(config->admin_token, "s3cret-s3cret-s3cret-s3cret-s3cret");
  EXPECT_EQ(config->redis_url, "redis://cache.internal:6380");
  EXPECT_EQ(config->redis_key_prefix, "prod-eu.1");
  EXPECT_EQ(config->redis_durability, "everysec");
  EXPECT_EQ(config->redis_process_ttl_ms, 4000u);
  EXPECT_EQ(config->redis_password, "pw");
  EXPECT_EQ(config->redis_db, 3u);
  EXPECT_EQ(config->session_timeout_s, 3600u);
  EXPECT_EQ(config->usage_limit, 25u);
  EXPECT_EQ(config->dead_timeout_ms, 60000u);
  EXPECT_EQ(config->max_jobs_per_client, 4u);
  EXPECT_EQ(config->ic_url, "http://127.0.0.1:4943");
  EXPECT_TRUE(config->blockchain_enabled);
  EXPECT_TRUE(config->reward_distribution_enabled);
  EXPECT_TRUE(config->canister_storage_enabled);
}

TEST(LoadConfig, JobSettingsHaveTheDocumentedDefaults) {
  const Result<Config> config = LoadConfig({});
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->jobs.kinds,
            (std::vector<std::string>{"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "HTML"}));
  EXPECT_EQ(config->jobs.lease_ms, 300'000u);
  EXPECT_EQ(config->jobs.max_attempts, 3u);
  EXPECT_TRUE(config->jobs.push);
  EXPECT_EQ(config->jobs.scrape_timeout_max_ms, 900'000u);
}

TEST(LoadConfig, JobKindsIsACommaSeparatedListWithBlanksTrimmed) {
  const Result<Config> config = LoadConfig({{"JOB_KINDS", "HTML, GOOGLE_SEARCH ,WEBSITE"},
                                            {"JOB_LEASE_MS", "1500"},
                                            {"JOB_MAX_ATTEMPTS", "5"},
                                            {"JOB_PUSH", "false"}});
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->jobs.kinds, (std::vector<std::string>{"HTML", "GOOGLE_SEARCH", "WEBSITE"}));
  EXPECT_EQ(config->jobs.lease_ms, 1500u);
  EXPECT_EQ(config->jobs.max_attempts, 5u);
  EXPECT_FALSE(config->jobs.push);
}

TEST(LoadConfig, BadJobSettingsNameTheirVariable) {
  for (const char* kinds : {"HTML,,WEBSITE", "html", "HTML;DROP", "A B"}) {
    EXPECT_NE(ErrorOf({{"JOB_KINDS", kinds}}).find("JOB_KINDS"), std::string::npos) << kinds;
  }
  EXPECT_NE(ErrorOf({{"JOB_MAX_ATTEMPTS", "0"}}).find("JOB_MAX_ATTEMPTS"), std::string::npos);
  EXPECT_NE(ErrorOf({{"JOB_LEASE_MS", "5"}}).find("JOB_LEASE_MS"), std::string::npos);
  EXPECT_NE(ErrorOf({{"SCRAPE_TIMEOUT_MAX_MS", "999"}}).find("SCRAPE_TIMEOUT_MAX_MS"), std::string::npos);
}

TEST(LoadConfig, BooleansAcceptTrueFalseOneAndZeroInAnyCase) {
  for (const char* yes : {"true", "TRUE", "True", "1"}) {
    const Result<Config> config = LoadConfig({{"BLOCKCHAIN_ENABLED", yes}});
    ASSERT_TRUE(config.has_value()) << yes;
    EXPECT_TRUE(config->blockchain_enabled) << yes;
  }
  for (const char* no : {"false", "FALSE", "fAlSe", "0"}) {
    const Result<Config> config = LoadConfig({{"CANISTER_STORAGE_ENABLED", no}});
    ASSERT_TRUE(config.has_value()) << no;
    EXPECT_FALSE(config->canister_storage_enabled) << no;
  }
}

TEST(LoadConfig, BadBooleanNamesTheVariable) {
  EXPECT_EQ(ErrorOf({{"REWARD_DISTRIBUTION_ENABLED", "yes"}}),
            "REWARD_DISTRIBUTION_ENABLED: expected true, false, 1 or 0, got \"yes\"");
  for (const char* bad : {"on", " true", "2", "truee"}) {
    EXPECT_TRUE(ErrorOf({{"BLOCKCHAIN_ENABLED", bad}}).starts_with("BLOCKCHAIN_ENABLED: "))
        << bad;
  }
}

TEST(LoadConfig, PortThatIsNotAPlainIntegerNamesTheVariable) {
  EXPECT_EQ(ErrorOf({{"PORT", "80a"}}), "PORT: expected an integer in 0..65535, got \"80a\"");
  for (const char* bad : {"-1", "+80", " 80", "80 ", "0x50", "8.0", "65536",
                          "99999999999999999999999"}) {
    EXPECT_EQ(ErrorOf({{"PORT", bad}}),
              std::string("PORT: expected an integer in 0..65535, got \"") + bad + "\"")
        << bad;
  }
}

TEST(LoadConfig, PortAcceptsZeroMaximumAndLeadingZeros) {
  EXPECT_EQ(LoadConfig({{"PORT", "0"}})->net.port, 0);
  EXPECT_EQ(LoadConfig({{"PORT", "65535"}})->net.port, 65535);
  EXPECT_EQ(LoadConfig({{"PORT", "08082"}})->net.port, 8082);
}

TEST(LoadConfig, EveryNumericVariableRejectsTextAndNamesItself) {
  for (const std::string& name : kAllVariables) {
    const EnvMap probe = {{name, "12x"}};
    const Result<Config> config = LoadConfig(probe);
    // TLS files must come in pairs; TlsCertificateAndKeyComeTogether covers them.
    if (name.starts_with("TLS_")) continue;
    const bool is_text = name == "HOST" || name == "DATA_PATH" || name == "REDIS_PASSWORD" ||
                         name == "REDIS_KEY_PREFIX" || name == "IC_URL";
    if (name == "ADMIN_TOKEN") continue;  // AdminTokenShorterThan32CharactersIsRefusedAndNotEchoed
    // REDIS_DURABILITY is a word: "12x" is refused, and names it.
    if (is_text) {
      EXPECT_TRUE(config.has_value()) << name;
      continue;
    }
    ASSERT_FALSE(config.has_value()) << name;
    EXPECT_EQ(config.error().code(), Code::kInvalidArgument);
    EXPECT_TRUE(config.error().message().starts_with(name + ": ")) << config.error().message();
  }
}

TEST(LoadConfig, IntegersBeyondTheirTypeAreRejected) {
  EXPECT_EQ(ErrorOf({{"REDIS_DB", "4294967296"}}),
            "REDIS_DB: expected an integer in 0..4294967295, got \"4294967296\"");
  EXPECT_EQ(ErrorOf({{"USAGE_LIMIT", "18446744073709551616"}}),
            "USAGE_LIMIT: expected an integer in 0..18446744073709551615, got "
            "\"18446744073709551616\"");
  EXPECT_EQ(LoadConfig({{"USAGE_LIMIT", "18446744073709551615"}})->usage_limit,
            18446744073709551615u);
}

TEST(LoadConfig, CheckpointPagesStayInTheirRange) {
  EXPECT_EQ(LoadConfig({})->sqlite_checkpoint_pages, 4000u);
  EXPECT_EQ(ErrorOf({{"SQLITE_CHECKPOINT_PAGES", "99"}}),
            "SQLITE_CHECKPOINT_PAGES: expected an integer in 100..1000000, got \"99\"");
  EXPECT_EQ(LoadConfig({{"SQLITE_CHECKPOINT_PAGES", "100"}})->sqlite_checkpoint_pages, 100u);
  EXPECT_EQ(LoadConfig({})->sqlite_gather_us, 1000u);
  EXPECT_EQ(LoadConfig({{"SQLITE_GATHER_US", "0"}})->sqlite_gather_us, 0u);
  EXPECT_EQ(ErrorOf({{"SQLITE_GATHER_US", "100001"}}),
            "SQLITE_GATHER_US: expected an integer in 0..100000, got \"100001\"");
}

TEST(LoadConfig, TimeoutsMustBePositive) {
  for (const char* name : {"HTTP_HEADER_TIMEOUT_MS", "HTTP_REQUEST_TIMEOUT_MS",
                           "HTTP_IDLE_TIMEOUT_MS", "WS_HANDSHAKE_TIMEOUT_MS",
                           "WS_CLOSE_TIMEOUT_MS", "WS_MESSAGE_TIMEOUT_MS", "DRAIN_TIMEOUT_MS"}) {
    EXPECT_EQ(ErrorOf({{name, "0"}}),
              std::string(name) + ": expected an integer in 1..4294967295, got \"0\"");
    EXPECT_EQ(ErrorOf({{name, "1"}}), "") << name;
  }
  for (const char* name : {"SESSION_TIMEOUT", "DEAD_TIMEOUT"}) {
    EXPECT_EQ(ErrorOf({{name, "0"}}),
              std::string(name) + ": expected an integer in 1..18446744073709551615, got \"0\"");
  }
}

TEST(LoadConfig, WebSocketMessageLimitMustBeBetween125BytesAnd1GiB) {
  EXPECT_EQ(ErrorOf({{"WS_MAX_MESSAGE_BYTES", "124"}}),
            "WS_MAX_MESSAGE_BYTES: expected an integer in 125..1073741824, got \"124\"");
  EXPECT_EQ(ErrorOf({{"WS_MAX_MESSAGE_BYTES", "1073741825"}}),
            "WS_MAX_MESSAGE_BYTES: expected an integer in 125..1073741824, got \"1073741825\"");
  EXPECT_EQ(LoadConfig({{"WS_MAX_MESSAGE_BYTES", "125"}})->net.ws_max_message_bytes, 125u);
  EXPECT_EQ(LoadConfig({{"WS_MAX_MESSAGE_BYTES", "1073741824"}, {"INBOUND_BUDGET_BYTES", "2147483648"}})
                ->net.ws_max_message_bytes,
            1073741824u);
}

TEST(LoadConfig, InboundBudgetMustHoldTwoOfTheLargestMessageOrBody) {
  EXPECT_EQ(LoadConfig({})->net.inbound_budget_bytes, 64u << 20);
  EXPECT_EQ(ErrorOf({{"INBOUND_BUDGET_BYTES", "1048575"}}),
            "INBOUND_BUDGET_BYTES: expected an integer in 1048576..18446744073709551615, got \"1048575\"");
  EXPECT_EQ(ErrorOf({{"INBOUND_BUDGET_BYTES", "2097151"}}),
            "INBOUND_BUDGET_BYTES: must be at least twice WS_MAX_MESSAGE_BYTES and HTTP_MAX_BODY_BYTES "
            "(2097152), got 2097151");
  EXPECT_EQ(ErrorOf({{"INBOUND_BUDGET_BYTES", "2097152"}}), "");
  EXPECT_EQ(ErrorOf({{"HTTP_MAX_BODY_BYTES", "33554433"}}),
            "INBOUND_BUDGET_BYTES: must be at least twice WS_MAX_MESSAGE_BYTES and HTTP_MAX_BODY_BYTES "
            "(67108866), got 67108864");
  EXPECT_EQ(ErrorOf({{"HTTP_MAX_BODY_BYTES", "1073741825"}}),
            "HTTP_MAX_BODY_BYTES: expected an integer in 0..1073741824, got \"1073741825\"");
}

TEST(LoadConfig, ConnectionLimitsHaveDefaultsForCrowdsBehindOneAddress) {
  const Result<Config> config = LoadConfig({});
  EXPECT_EQ(config->net.max_connections_per_source, 1024u);
  EXPECT_EQ(config->net.reserved_connections, 64u);
  EXPECT_EQ(config->net.ws_message_timeout_ms, 30'000u);
  EXPECT_EQ(config->net.http_body_bytes_max, 64u * 1024);
}

TEST(LoadConfig, AdminTokenShorterThan32CharactersIsRefusedAndNotEchoed) {
  const std::string short_token(31, 'k');
  EXPECT_EQ(ErrorOf({{"ADMIN_TOKEN", short_token}}), "ADMIN_TOKEN: must be at least 32 characters (got 31)");
  EXPECT_EQ(ErrorOf({{"ADMIN_TOKEN", "a"}}), "ADMIN_TOKEN: must be at least 32 characters (got 1)");
  EXPECT_EQ(LoadConfig({{"ADMIN_TOKEN", std::string(32, 'k')}})->admin_token, std::string(32, 'k'));
  // Unset or empty: admin routes are disabled (403), which is allowed.
  EXPECT_EQ(ErrorOf({{"ADMIN_TOKEN", ""}}), "");
}

TEST(LoadConfig, HeaderLimitMustBeBetween1KiBAnd1MiB) {
  EXPECT_EQ(ErrorOf({{"HTTP_MAX_HEADER_BYTES", "1023"}}),
            "HTTP_MAX_HEADER_BYTES: expected an integer in 1024..1048576, got \"1023\"");
  EXPECT_EQ(ErrorOf({{"HTTP_MAX_HEADER_BYTES", "1048577"}}),
            "HTTP_MAX_HEADER_BYTES: expected an integer in 1024..1048576, got \"1048577\"");
  EXPECT_EQ(LoadConfig({{"HTTP_MAX_HEADER_BYTES", "1024"}})->net.http_header_bytes_max, 1024u);
  EXPECT_EQ(LoadConfig({{"HTTP_MAX_HEADER_BYTES", "1048576"}})->net.http_header_bytes_max,
            1048576u);
}

TEST(LoadConfig, TlsCertificateAndKeyComeTogether) {
  EXPECT_EQ(ErrorOf({{"TLS_CERT_FILE", "cert.pem"}}),
            "TLS_KEY_FILE: must be set when TLS_CERT_FILE is set");
  EXPECT_EQ(ErrorOf({{"TLS_KEY_FILE", "key.pem"}}),
            "TLS_CERT_FILE: must be set when TLS_KEY_FILE is set");
  EXPECT_EQ(ErrorOf({{"TLS_CERT_FILE", "cert.pem"}, {"TLS_KEY_FILE", ""}}),
            "TLS_KEY_FILE: must be set when TLS_CERT_FILE is set");
  EXPECT_EQ(ErrorOf({{"TLS_CERT_FILE", "cert.pem"}, {"TLS_KEY_FILE", "key.pem"}}), "");
}

TEST(LoadConfig, LogLevelAcceptsEveryNameInAnyCase) {
  const std::pair<const char*, LogLevel> cases[] = {
      {"trace", LogLevel::kTrace}, {"DEBUG", LogLevel::kDebug},   {"Info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"WARNING", LogLevel::kWarn},  {"error", LogLevel::kError},
      {"critical", LogLevel::kCritical}, {"OFF", LogLevel::kOff},
  };
  for (const auto& [text, level] : cases) {
    const Result<Config> config = LoadConfig({{"LOG_LEVEL", text}});
    ASSERT_TRUE(config.has_value()) << text;
    EXPECT_EQ(config->log_level, level) << text;
  }
  EXPECT_EQ(ErrorOf({{"LOG_LEVEL", "verbose"}}),
            "LOG_LEVEL: expected one of trace, debug, info, warn, warning, error, critical, off, "
            "got \"verbose\"");
}

TEST(LoadConfig, LongBadValuesAreCutInTheMessage) {
  const std::string value(1000, '9');
  const std::string error = ErrorOf({{"PORT", value}});
  EXPECT_TRUE(error.starts_with("PORT: ")) << error;
  EXPECT_LT(error.size(), 200u);
}

TEST(LoadConfig, ReportsTheFirstErrorInFieldOrder) {
  // LOG_LEVEL sorts before PORT in the map, but PORT is read first.
  const std::string error =
      ErrorOf({{"LOG_LEVEL", "loud"}, {"PORT", "x"}, {"BLOCKCHAIN_ENABLED", "maybe"}});
  EXPECT_TRUE(error.starts_with("PORT: ")) << error;
  EXPECT_TRUE(ErrorOf({{"LOG_LEVEL", "loud"}, {"BLOCKCHAIN_ENABLED", "maybe"}})
                  .starts_with("LOG_LEVEL: "));
}

TEST(ParseLogLevel, MapsNamesAndRejectsOthers) {
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("Critical"), LogLevel::kCritical);
  EXPECT_EQ(ParseLogLevel(""), std::nullopt);
  EXPECT_EQ(ParseLogLevel("info "), std::nullopt);
  EXPECT_EQ(ParseLogLevel("err"), std::nullopt);
}

}  // namespace
}  // namespace sela
