// SecurityConfig: node identity and fair-use settings (issue 11).
#include <gtest/gtest.h>

#include "core/config.h"

namespace sela {
namespace {

std::string ErrorOf(const EnvMap& vars) {
  const Result<Config> config = LoadConfig(vars);
  return config.has_value() ? "" : config.error().message();
}

TEST(SecurityConfig, DefaultsLetCrowdsInAndKeepFloodsOut) {
  const SecurityConfig s = LoadConfig({}).value().security;
  EXPECT_EQ(s.node_auth, SecurityConfig::NodeAuth::kCompat);
  EXPECT_EQ(s.max_sessions_per_principal, 1u);
  EXPECT_EQ(s.resume_window_ms, 120'000u);
  EXPECT_EQ(s.register_client, SecurityConfig::RegisterClient::kOpen);
  EXPECT_FALSE(s.allow_private_urls);
  EXPECT_TRUE(s.metrics_token.empty());
  // Hundreds of phones behind one carrier NAT may all reconnect at once.
  EXPECT_GE(s.registrations_per_source.burst, 500u);
  EXPECT_TRUE(s.registrations_per_source.enabled);
  EXPECT_LE(s.register_client_per_source.burst, 10u);
  // Tight per minute, with room for a carrier NAT's burst of sign-ups.
  EXPECT_EQ(s.referral_register_per_source, (RateSpec{20, 10, true}));
}

TEST(SecurityConfig, ReadsEveryVariable) {
  const Result<Config> c = LoadConfig({{"NODE_AUTH", "SIGNED"},
                                       {"MAX_SESSIONS_PER_PRINCIPAL", "3"},
                                       {"V2_RESUME_WINDOW_MS", "5000"},
                                       {"V2_CHALLENGE_TTL_MS", "1000"},
                                       {"NODE_TOKEN_TTL_MS", "60000"},
                                       {"NODE_TOKEN_SECRET", std::string(64, 'a')},
                                       {"ALLOW_PRIVATE_URLS", "true"},
                                       {"REGISTER_CLIENT", "admin"},
                                       {"METRICS_TOKEN", "m"},
                                       {"JOB_MAX_AGE_MS", "3600000"},
                                       {"NODE_RECORD_TTL_MS", "60000"},
                                       {"SPEED_REPORT_INTERVAL_MS", "0"},
                                       {"SPEED_CLAIM_MAX_MBPS", "500"},
                                       {"RATE_NODE_REGISTRATIONS_PER_SOURCE", "10:60"},
                                       {"RATE_NODE_MESSAGES_PER_CONNECTION", "off"},
                                       {"RATE_REST_PER_SOURCE", "1:0"},
                                       {"RATE_REST_PER_KEY", "OFF"},
                                       {"RATE_REGISTER_CLIENT_PER_SOURCE", "2:1"},
                                       {"RATE_REGISTER_REFERRAL_PER_SOURCE", "3:2"}});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  const SecurityConfig& s = c->security;
  EXPECT_EQ(s.node_auth, SecurityConfig::NodeAuth::kSigned);
  EXPECT_EQ(s.max_sessions_per_principal, 3u);
  EXPECT_EQ(s.resume_window_ms, 5000u);
  EXPECT_EQ(s.challenge_ttl_ms, 1000u);
  EXPECT_EQ(s.node_token_ttl_ms, 60'000u);
  EXPECT_EQ(s.node_token_secret, std::string(64, 'a'));
  EXPECT_TRUE(s.allow_private_urls);
  EXPECT_EQ(s.register_client, SecurityConfig::RegisterClient::kAdmin);
  EXPECT_EQ(s.metrics_token, "m");
  EXPECT_EQ(s.job_max_age_ms, 3'600'000u);
  EXPECT_EQ(s.node_record_ttl_ms, 60'000u);
  EXPECT_EQ(s.speed_report_interval_ms, 0u);
  EXPECT_EQ(s.speed_claim_max_mbps, 500u);
  EXPECT_EQ(s.registrations_per_source, (RateSpec{10, 60, true}));
  EXPECT_FALSE(s.messages_per_connection.enabled);
  EXPECT_EQ(s.rest_per_source, (RateSpec{1, 0, true}));
  EXPECT_FALSE(s.rest_per_key.enabled);
  EXPECT_EQ(s.register_client_per_source, (RateSpec{2, 1, true}));
  EXPECT_EQ(s.referral_register_per_source, (RateSpec{3, 2, true}));
}

TEST(SecurityConfig, BadValuesNameTheirVariable) {
  EXPECT_NE(ErrorOf({{"NODE_AUTH", "maybe"}}).find("NODE_AUTH: expected one of compat, signed"), std::string::npos);
  EXPECT_NE(ErrorOf({{"REGISTER_CLIENT", "closed"}}).find("REGISTER_CLIENT"), std::string::npos);
  EXPECT_NE(ErrorOf({{"MAX_SESSIONS_PER_PRINCIPAL", "0"}}).find("MAX_SESSIONS_PER_PRINCIPAL"), std::string::npos);
  for (const char* bad : {"10", "10:", ":5", "0:5", "a:b", "10:5:1", "-1:5", "10 : 5"}) {
    EXPECT_NE(ErrorOf({{"RATE_REST_PER_KEY", bad}}).find("RATE_REST_PER_KEY: expected <burst>:<per_minute>"),
              std::string::npos)
        << bad;
  }
}

TEST(SecurityConfig, ATokenSecretMustBe32HexBytesAndIsNotEchoed) {
  const std::string short_secret(62, 'a');
  const std::string error = ErrorOf({{"NODE_TOKEN_SECRET", short_secret}});
  EXPECT_NE(error.find("NODE_TOKEN_SECRET"), std::string::npos);
  EXPECT_EQ(error.find(short_secret), std::string::npos);
  EXPECT_NE(ErrorOf({{"NODE_TOKEN_SECRET", std::string(64, 'g')}}), "");
  EXPECT_EQ(ErrorOf({{"NODE_TOKEN_SECRET", std::string(64, 'F')}}), "");
}

}  // namespace
}  // namespace sela
