// The Redis variables of LoadConfig (docs/CONFIGURATION.md); the others are
// in config_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "core/config.h"

namespace sela {
namespace {

// Error message of LoadConfig(vars), or "" when it succeeds.
std::string ErrorOf(const EnvMap& vars) {
  const Result<Config> config = LoadConfig(vars);
  if (config.has_value()) return "";
  EXPECT_EQ(config.error().code(), Code::kInvalidArgument);
  return config.error().message();
}

TEST(LoadConfig, RedisUrlNeedsARedisSchemeAndIsNotEchoed) {
  const std::string error = ErrorOf({{"REDIS_URL", "http://:hunter2@cache:6379"}});
  EXPECT_EQ(error, "REDIS_URL: expected a URL starting with redis:// or unix://");
  EXPECT_EQ(error.find("hunter2"), std::string::npos);
  EXPECT_NE(ErrorOf({{"REDIS_URL", "cache:6379"}}), "");
  EXPECT_EQ(ErrorOf({{"REDIS_URL", "redis://cache:6379/2"}}), "");
  EXPECT_EQ(ErrorOf({{"REDIS_URL", "unix:///run/redis.sock"}}), "");
  // TLS is refused rather than silently sent in clear text.
  EXPECT_NE(ErrorOf({{"REDIS_URL", "rediss://:hunter2@cache:6380"}}).find("TLS"), std::string::npos);
  EXPECT_EQ(ErrorOf({{"REDIS_URL", "rediss://:hunter2@cache:6380"}}).find("hunter2"), std::string::npos);
}

TEST(LoadConfig, RedisKeyPrefixIsAShortName) {
  EXPECT_EQ(ErrorOf({{"REDIS_KEY_PREFIX", "sela_2.a-b"}}), "");
  for (const char* bad : {"{sela}", "a b", "x:y"}) {
    EXPECT_NE(ErrorOf({{"REDIS_KEY_PREFIX", bad}}).find("REDIS_KEY_PREFIX"), std::string::npos) << bad;
  }
  EXPECT_NE(ErrorOf({{"REDIS_KEY_PREFIX", std::string(65, 'a')}}), "");
}

TEST(LoadConfig, RedisDurabilityAndProcessTtl) {
  EXPECT_EQ(LoadConfig({})->redis_durability, "always");
  EXPECT_EQ(LoadConfig({})->redis_process_ttl_ms, 10'000u);
  for (const char* ok : {"always", "everysec", "none"}) {
    EXPECT_EQ(LoadConfig({{"REDIS_DURABILITY", ok}})->redis_durability, ok);
  }
  EXPECT_EQ(ErrorOf({{"REDIS_DURABILITY", "sometimes"}}),
            "REDIS_DURABILITY: expected always, everysec or none, got \"sometimes\"");
  EXPECT_EQ(ErrorOf({{"REDIS_PROCESS_TTL_MS", "299"}}),
            "REDIS_PROCESS_TTL_MS: expected an integer in 300..3600000, got \"299\"");
}

}  // namespace
}  // namespace sela
