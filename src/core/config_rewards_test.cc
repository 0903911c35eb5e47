// The reward variables of LoadConfig (config_rewards.cc).
#include <gtest/gtest.h>

#include "core/config.h"

namespace sela {
namespace {

Result<RewardConfig> Rewards(const EnvMap& vars) {
  const Result<Config> config = LoadConfig(vars);
  if (!config) return Err(config.error());
  return config->rewards;
}

TEST(RewardConfig, ReadsEveryVariable) {
  const auto c = Rewards({{"REWARD_DISTRIBUTION_INTERVAL", "0 * * * *"},
                          {"REFERRAL_WEEKLY_CRON", "30 3 * * mon"},
                          {"REWARD_UPTIME_SP_PER_MINUTE", "0.75"},
                          {"REWARD_TIERS", "100/20/30, 10/200/2.5"},
                          {"JOB_REWARD_SP_PER_SECOND", "0.02"},
                          {"JOB_REWARD_TYPICAL_MS", "HTML=1000, *=5000"},
                          {"JOB_REWARD_DAILY_CAP_SP", "0"},
                          {"REFERRAL_ENABLED", "false"},
                          {"REFERRAL_TASK_PERCENT", "2.5,1"},
                          {"REFERRAL_UPTIME_PERCENT", "3, 0"},
                          {"REFERRAL_UPTIME_MIN_WEEKLY_MINUTES", "60"},
                          {"REFERRAL_UPTIME_MONTHLY_CAP_SP", "100.5"},
                          {"REFERRAL_INSTALLATION_SP", "1"},
                          {"REFERRAL_INSTALLATION_UPTIME_MINUTES", "10"}});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->distribution_interval, "0 * * * *");
  EXPECT_EQ(c->referral_weekly_cron, "30 3 * * mon");
  EXPECT_EQ(c->uptime_units_per_minute, 75'000'000);
  ASSERT_EQ(c->tiers.size(), 2u);
  EXPECT_EQ(c->tiers[0], (RewardTier{100, 20, 3'000}));
  EXPECT_EQ(c->tiers[1], (RewardTier{10, 200, 250}));
  EXPECT_EQ(c->job_units_per_second, 2'000'000);
  EXPECT_EQ(c->job_typical_ms, (std::map<std::string, int64_t, std::less<>>{{"HTML", 1'000}}));
  EXPECT_EQ(c->job_typical_ms_default, 5'000);
  EXPECT_EQ(c->job_daily_cap_units, 0);
  EXPECT_FALSE(c->referral_enabled);
  EXPECT_EQ(c->task_l1_bp, 250u);
  EXPECT_EQ(c->task_l2_bp, 100u);
  EXPECT_EQ(c->uptime_l1_bp, 300u);
  EXPECT_EQ(c->uptime_l2_bp, 0u);
  EXPECT_EQ(c->weekly_min_minutes, 60);
  EXPECT_EQ(c->monthly_cap_units, 10'050'000'000);
  EXPECT_EQ(c->installation_units, 100'000'000);
  EXPECT_EQ(c->installation_min_uptime_minutes, 10);
}

TEST(RewardConfig, TheDefaultsAreTheOriginals) {
  const auto c = Rewards({});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->distribution_interval, "*/5 * * * *");
  EXPECT_EQ(c->uptime_units_per_minute, 50'000'000);
  EXPECT_EQ(c->task_l1_bp, 500u);
  EXPECT_EQ(c->installation_units, 50'000'000'000);
  EXPECT_EQ(LoadConfig({})->node.uptime_ping_interval_ms, 30'000u);
}

TEST(RewardConfig, BadValuesNameTheirVariable) {
  const std::pair<const char*, const char*> cases[] = {
      {"REWARD_DISTRIBUTION_INTERVAL", "*/5 * * *"},
      {"REWARD_DISTRIBUTION_INTERVAL", "\"0 * * * *\""},
      {"REFERRAL_WEEKLY_CRON", "0 25 * * 0"},
      {"REWARD_UPTIME_SP_PER_MINUTE", "0"},
      {"REWARD_UPTIME_SP_PER_MINUTE", "0.000000001"},
      {"REWARD_UPTIME_SP_PER_MINUTE", "-1"},
      {"REWARD_UPTIME_SP_PER_MINUTE", "1e3"},
      {"REWARD_TIERS", "50/50"},
      {"REWARD_TIERS", "50/50/101"},
      {"REWARD_TIERS", "-1/50/10"},
      {"JOB_REWARD_SP_PER_SECOND", "200"},
      {"JOB_REWARD_TYPICAL_MS", "HTML"},
      {"JOB_REWARD_TYPICAL_MS", "html=5"},
      {"JOB_REWARD_TYPICAL_MS", "HTML=86400001"},
      {"JOB_REWARD_DAILY_CAP_SP", "10000000.1"},
      {"REFERRAL_ENABLED", "yes"},
      {"REFERRAL_TASK_PERCENT", "5"},
      {"REFERRAL_TASK_PERCENT", "101,2"},
      {"REFERRAL_UPTIME_PERCENT", "2,1,1"},
      {"REFERRAL_UPTIME_MIN_WEEKLY_MINUTES", "10081"},
      {"REFERRAL_INSTALLATION_SP", "0"},
      {"UPTIME_PING_INTERVAL_MS", "99"},
  };
  for (const auto& [name, value] : cases) {
    const Result<Config> config = LoadConfig({{name, value}});
    ASSERT_FALSE(config.has_value()) << name << "=" << value;
    EXPECT_EQ(config.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(config.error().message().rfind(std::string(name) + ":", 0), 0u) << config.error().message();
  }
}

TEST(ChainConfig, ReadsSettlementVariablesAndRefusesBadOnesWithoutEchoingTheKey) {
  const Result<Config> config = LoadConfig({{"SETTLEMENT_INTERVAL", "0 * * * *"},
                                            {"SETTLEMENT_CONCURRENCY", "3"},
                                            {"SELA_POINTS_CANISTER_ID", "aaaaa-aa"},
                                            {"CANISTER_CONTROLLER_PEM", "-----BEGIN EC PRIVATE KEY-----"},
                                            {"IC_ROOT_KEY", "30ab"},
                                            {"FILE_STORAGE_CANISTER_ID", "aaaaa-aa"},
                                            {"CANISTER_SYNC_CONCURRENCY", "4"},
                                            {"CANISTER_CHUNK_BYTES", "65536"},
                                            {"CANISTER_TIMEOUT_MS", "2000"}});
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->chain.file_canister_id, "aaaaa-aa");
  EXPECT_EQ(config->chain.canister_sync_concurrency, 4u);
  EXPECT_EQ(config->chain.canister_chunk_bytes, 65'536u);
  EXPECT_EQ(config->chain.canister_timeout_ms, 2'000u);
  EXPECT_EQ(config->chain.settlement_interval, "0 * * * *");
  EXPECT_EQ(config->chain.settlement_concurrency, 3u);
  EXPECT_EQ(config->chain.ledger_canister_id, "aaaaa-aa");
  EXPECT_EQ(config->chain.controller_pem, "-----BEGIN EC PRIVATE KEY-----");
  EXPECT_EQ(config->chain.root_key_der_hex, "30ab");
  const ChainConfig defaults = LoadConfig({})->chain;
  EXPECT_EQ(defaults.settlement_interval, "");
  EXPECT_EQ(defaults.settlement_concurrency, 8u);
  EXPECT_EQ(defaults.ledger_canister_id, "y5ego-zyaaa-aaaao-qkfhq-cai");
  EXPECT_EQ(defaults.file_canister_id, "qe3z4-yiaaa-aaaam-aeoyq-cai");
  EXPECT_EQ(defaults.canister_sync_concurrency, 2u);
  EXPECT_EQ(defaults.canister_chunk_bytes, 1u << 20);
  EXPECT_EQ(defaults.canister_timeout_ms, 60'000u);
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"SETTLEMENT_INTERVAL", "61 * * * *"}, {"SETTLEMENT_CONCURRENCY", "0"},
           {"SETTLEMENT_CONCURRENCY", "65"}, {"IC_ROOT_KEY", "30a"}, {"IC_ROOT_KEY", "zz"},
           {"CANISTER_SYNC_CONCURRENCY", "0"}, {"CANISTER_CHUNK_BYTES", "1023"},
           {"CANISTER_CHUNK_BYTES", "1572865"}, {"CANISTER_TIMEOUT_MS", "999"}}) {
    const Result<Config> bad = LoadConfig({{name, value}});
    ASSERT_FALSE(bad.has_value()) << name << "=" << value;
    EXPECT_EQ(bad.error().message().rfind(name + ":", 0), 0u) << bad.error().message();
  }
}

}  // namespace
}  // namespace sela
