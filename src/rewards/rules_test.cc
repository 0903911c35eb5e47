#include "rewards/rules.h"

#include <gtest/gtest.h>

#include "rewards/ids.h"

namespace sela::rewards {
namespace {

TEST(Units, ParseSpIsExactDecimal) {
  EXPECT_EQ(ParseSp("0.5"), SpUnits(1) / 2);
  EXPECT_EQ(ParseSp("12"), SpUnits(12));
  EXPECT_EQ(ParseSp("0.012"), 1'200'000);
  EXPECT_EQ(ParseSp("0.00000001"), 1);
  EXPECT_EQ(ParseSp("10000000"), store::kTransferUnitsMax);
  for (const char* bad : {"", ".", "1.", ".5", "-1", "+1", "1e3", "0.000000001", "1.2.3", " 1", "10000000.00000001",
                          "99999999999999999999999"}) {
    EXPECT_FALSE(ParseSp(bad).has_value()) << bad;
  }
}

TEST(Units, JsonNumbersOfSpBecomeUnitsOnlyWhenExact) {
  EXPECT_EQ(UnitsOfSpNumber(0.45), 45'000'000);
  EXPECT_EQ(UnitsOfSpNumber(288), SpUnits(288));
  EXPECT_EQ(UnitsOfSpNumber(1e-8), 1);
  EXPECT_EQ(UnitsOfSpNumber(1e7), store::kTransferUnitsMax);
  EXPECT_FALSE(UnitsOfSpNumber(1e-9).has_value());
  EXPECT_FALSE(UnitsOfSpNumber(0.1 + 0.2).has_value()) << "0.30000000000000004 has 17 decimals";
  EXPECT_FALSE(UnitsOfSpNumber(-1).has_value());
  EXPECT_FALSE(UnitsOfSpNumber(1e7 + 1).has_value());
  EXPECT_FALSE(UnitsOfSpNumber(1e300).has_value());
  EXPECT_FALSE(UnitsOfSpNumber(std::numeric_limits<double>::quiet_NaN()).has_value());
  EXPECT_DOUBLE_EQ(Sp(45'000'000), 0.45);
  EXPECT_EQ(Sp(45'000'000), 0.45) << "the double JSON shows is the literal's";
}

TEST(Units, PercentsBecomeBasisPoints) {
  EXPECT_EQ(ParsePercentBp("5"), 500u);
  EXPECT_EQ(ParsePercentBp("2.5"), 250u);
  EXPECT_EQ(ParsePercentBp("0.01"), 1u);
  EXPECT_EQ(ParsePercentBp("100"), 10'000u);
  EXPECT_FALSE(ParsePercentBp("100.01").has_value());
  EXPECT_FALSE(ParsePercentBp("0.001").has_value());
  EXPECT_FALSE(ParsePercentBp("-5").has_value());
  EXPECT_EQ(ShareOf(45'000'000, 500), 2'250'000);
  EXPECT_EQ(ShareOf(960'000, 500), 48'000) << "floored in units, not rounded to 4 decimals";
  EXPECT_EQ(ShareOf(store::kTransferUnitsMax, 10'000), store::kTransferUnitsMax) << "no overflow";
}

TEST(Rules, TheDefaultsAreValid) { EXPECT_TRUE(ValidateRules(RewardRules{}).ok()); }

TEST(Rules, TheConfigurationsDefaultsAreTheRulesDefaults) {
  const RewardRules from_config = RulesFromConfig(RewardConfig{});
  const RewardRules defaults;
  EXPECT_EQ(from_config.uptime_units_per_minute, defaults.uptime_units_per_minute);
  ASSERT_EQ(from_config.tiers.size(), defaults.tiers.size());
  for (size_t i = 0; i < defaults.tiers.size(); ++i) {
    EXPECT_EQ(from_config.tiers[i].level, defaults.tiers[i].level);
    EXPECT_EQ(from_config.tiers[i].min_speed_mbps, defaults.tiers[i].min_speed_mbps);
    EXPECT_EQ(from_config.tiers[i].max_ping_ms, defaults.tiers[i].max_ping_ms);
    EXPECT_EQ(from_config.tiers[i].bonus_bp, defaults.tiers[i].bonus_bp);
  }
  EXPECT_EQ(from_config.job_units_per_second, defaults.job_units_per_second);
  EXPECT_EQ(from_config.job_typical_ms, defaults.job_typical_ms);
  EXPECT_EQ(from_config.job_typical_ms_default, defaults.job_typical_ms_default);
  EXPECT_EQ(from_config.job_daily_cap_units, defaults.job_daily_cap_units);
  EXPECT_EQ(from_config.task_l1_bp, defaults.task_l1_bp);
  EXPECT_EQ(from_config.task_l2_bp, defaults.task_l2_bp);
  EXPECT_EQ(from_config.uptime_l1_bp, defaults.uptime_l1_bp);
  EXPECT_EQ(from_config.uptime_l2_bp, defaults.uptime_l2_bp);
  EXPECT_EQ(from_config.weekly_min_minutes, defaults.weekly_min_minutes);
  EXPECT_EQ(from_config.monthly_cap_units, defaults.monthly_cap_units);
  EXPECT_EQ(from_config.installation_units, defaults.installation_units);
  EXPECT_EQ(from_config.installation_min_uptime_ms, defaults.installation_min_uptime_ms);
}

TEST(Rules, OutOfRangeConstantsAreRefused) {
  std::vector<RewardRules> bad(8);
  bad[0].tiers.clear();
  bad[1].tiers[0].bonus_bp = 10'001;
  bad[2].uptime_units_per_minute = 0;
  bad[3].uptime_units_per_minute = store::kTransferUnitsMax;
  bad[4].job_typical_ms["HTML"] = -1;
  bad[5].task_l1_bp = 10'001;
  bad[6].weekly_min_minutes = 10'081;
  bad[7].installation_units = 0;
  for (const RewardRules& r : bad) EXPECT_EQ(ValidateRules(r).code(), Code::kInvalidArgument);
}

TEST(Rules, TierBoundsAreInclusiveAndTheFirstMatchWins) {
  const RewardRules r;
  EXPECT_EQ(TierOf(50, 50, r).level, 1u);
  EXPECT_EQ(TierOf(49.99, 50, r).level, 2u);
  EXPECT_EQ(TierOf(50, 50.01, r).level, 2u);
  EXPECT_EQ(TierOf(20, 100, r).level, 2u);
  EXPECT_EQ(TierOf(19.99, 100, r).level, 3u);
  EXPECT_EQ(TierOf(5, 150, r).level, 3u);
  EXPECT_EQ(TierOf(4.99, 0, r).level, 4u);
  EXPECT_EQ(TierOf(1000, 1000, r).level, 4u) << "ping above every bound: the last tier";
  EXPECT_EQ(TierOf(1000, 1000, r).bonus_bp, 0u);
  EXPECT_EQ(TierOf(60, 0, r).level, 1u) << "no ping samples count as ping 0, as in the original";
}

TEST(Rules, UptimeIsPaidPerWholeMeasuredMinute) {
  store::UptimeDay day;
  day.online_ms = 61'234;
  EXPECT_EQ(UnpaidMinutes(day), 1);
  day.online_ms = 10 * 60'000 + 59'999;
  day.paid_minutes = 4;
  EXPECT_EQ(UnpaidMinutes(day), 6);
  day.paid_minutes = 11;  // Cannot happen; never negative anyway.
  EXPECT_EQ(UnpaidMinutes(day), 0);
}

TEST(Rules, AJobIsPaidForItsTimeUpToTheTypicalTimeOfItsKind) {
  const RewardRules r;
  EXPECT_EQ(JobReward("TWITTER_POST", 37'500, r), 45'000'000);        // 0.45 SP
  EXPECT_EQ(JobReward("TWITTER_POST", 60'000, r), 72'000'000);        // 0.72 SP
  EXPECT_EQ(JobReward("TWITTER_POST", 300'000, r), 72'000'000) << "holding to the lease earns nothing more";
  EXPECT_EQ(JobReward("HTML", 300'000, r), 36'000'000);
  EXPECT_EQ(JobReward("GOOGLE_SEARCH", 300'000, r), 72'000'000) << "kinds not listed: the default";
  EXPECT_EQ(JobReward("HTML", -5, r), 0);
  EXPECT_EQ(JobReward("HTML", 1, r), 1'200) << "1.2e-05 SP answered at once";
  const store::JobRewardSpec spec = JobRewardSpecFor("TWITTER_POST", 37'500, "2024-03-10", r);
  EXPECT_EQ(spec.amount_units, 45'000'000);
  EXPECT_EQ(spec.daily_cap_units, SpUnits(2'000));
  EXPECT_EQ(spec.referral_l1_bp, 500u);
  EXPECT_EQ(spec.referral_l2_bp, 200u);
  EXPECT_EQ(spec.day, "2024-03-10");
  RewardRules off;
  off.referral_enabled = false;
  EXPECT_EQ(JobRewardSpecFor("HTML", 1'000, "2024-03-10", off).referral_l1_bp, 0u);
}

TEST(Ids, AreDeterministicAndEndInFixedFormatParts) {
  EXPECT_EQ(JobTransferId("job_1_0"), "job:job_1_0");
  EXPECT_EQ(UptimeTransferId("aaaaa-bb", "2024-03-10", 480), "uptime:aaaaa-bb:2024-03-10:480");
  EXPECT_EQ(ReferralTaskId("job_1_0", 2), "referral:task:job_1_0:2");
  EXPECT_EQ(ReferralUptimeId("r", "2024-03-03", 1), "referral:uptime:r:2024-03-03:1");
  EXPECT_EQ(InstallationId("r"), "referral:installation:r");
  EXPECT_EQ(AdminTransferId("k"), "admin:k");
}

}  // namespace
}  // namespace sela::rewards
