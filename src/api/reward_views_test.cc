// The JSON of the reward, referral and money-showing node routes, byte for
// byte where the original's shape is fixed (rest-api.md §2.4, §2.6-§2.8).
#include <gtest/gtest.h>

#include "api/node_reward_views.h"
#include "api/referral_views.h"
#include "api/reward_views.h"

namespace sela::api {
namespace {

constexpr int64_t kSp = 100'000'000;
constexpr int64_t kT = 1'705'305'600'000;  // 2024-01-15T08:00:00.000Z

store::TransferRecord Record(store::RewardKind kind, int64_t credited, const std::string& id = "t") {
  store::TransferRecord r;
  r.transfer.id = id;
  r.transfer.kind = kind;
  r.transfer.principal = "p";
  r.transfer.amount_units = credited > 0 ? credited : kSp;
  r.transfer.day = "2024-01-15";
  r.transfer.created_ms = kT;
  r.credited_units = credited;
  return r;
}

TEST(RewardViews, E2EnvelopesAreTheOriginals) {
  EXPECT_EQ(E2Success(R"({"a":1})").body, R"({"success":true,"data":{"a":1}})");
  const net::HttpResponse e = E2Error(404, "NotFound", "Distribution not found");
  EXPECT_EQ(e.status, 404u);
  EXPECT_EQ(e.body, R"({"success":false,"error":{"type":"NotFound","message":"Distribution not found"}})");
}

TEST(RewardViews, StatusShowsTheOriginalsFiguresFromTheRules) {
  const rewards::RewardRules rules;
  RewardStatusInput in{.enabled = true, .running = false, .interval = "*/5 * * * *", .next_run_ms = kT, .rules = &rules};
  const std::string json = RewardStatusJson(in);
  EXPECT_NE(json.find(R"("config":{"enabled":true,"interval":"*/5 * * * *","minDailyReward":0.5,"maxDailyReward":720,)"
                      R"("maxDailyRewardWithBonus":864,"maxWeeklyReward":5040,"baseRewardRate":0.5,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"({"tier":1,"min_speed":50,"max_ping":50,"bonus_rate":0.2})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("currentLogFile":null,"nextRunAt":"2024-01-15T08:00:00.000Z")"), std::string::npos);
}

TEST(RewardViews, ADistributionAsTheOriginalListedIt) {
  store::RunRecord run;
  run.id = "dist_1";
  run.day = "2024-01-15";
  run.state = store::RunState::kCompleted;
  run.users = 2;
  run.total_units = 288 * kSp + kSp / 2;
  run.started_ms = kT;
  run.completed_ms = kT + 1'500;
  EXPECT_EQ(DistributionJson(run),
            R"({"distributionId":"dist_1","distributionDate":"2024-01-15","distributionType":"DAILY",)"
            R"("status":"COMPLETED","totalUsers":2,"totalRewardsDistributed":288.5,)"
            R"("startedAt":"2024-01-15T08:00:00.000Z","completedAt":"2024-01-15T08:00:01.500Z"})");
  run.state = store::RunState::kFailed;
  run.error = "UNAVAILABLE: disk";
  EXPECT_NE(DistributionJson(run).find(R"("status":"FAILED")"), std::string::npos);
  EXPECT_NE(DistributionJson(run).find(R"("errorDetails":"UNAVAILABLE: disk")"), std::string::npos);
  run.state = store::RunState::kRunning;
  run.completed_ms = 0;
  EXPECT_NE(DistributionJson(run).find(R"("status":"IN_PROGRESS")"), std::string::npos);
  EXPECT_NE(DistributionJson(run).find(R"("completedAt":null)"), std::string::npos);
  rewards::RunOutcome skipped{.run = run, .skipped = true, .resumed = false, .conflicts = 0};
  skipped.run.state = store::RunState::kCompleted;
  EXPECT_NE(TriggerResultJson(skipped).find(R"("status":"SKIPPED")"), std::string::npos);
}

TEST(RewardViews, AnUptimeTransferIsAConfirmedRewardTransaction) {
  store::TransferRecord r = Record(store::RewardKind::kUptime, 288 * kSp, "uptime:p:2024-01-15:480");
  r.transfer.run_id = "dist_1";
  r.transfer.base_units = 240 * kSp;
  r.transfer.bonus_units = 48 * kSp;
  r.transfer.minutes = 480;
  r.transfer.tier = 1;
  EXPECT_EQ(UserTransactionJson(r),
            R"({"transactionId":"uptime:p:2024-01-15:480","distributionId":"dist_1","amount":288,"baseAmount":240,)"
            R"("bonusAmount":48,"uptimeMinutes":480,"tierLevel":1,"status":"CONFIRMED","date":"2024-01-15",)"
            R"("timestamp":"2024-01-15T08:00:00.000Z"})");
  store::TransferPage page;
  page.total = 3;
  page.transfers = {r};
  EXPECT_NE(UserHistoryJson("p", page, 1, 1).find(R"("pagination":{"total":3,"limit":1,"offset":1,"hasMore":true})"),
            std::string::npos);
}

TEST(RewardViews, UnprocessedCountAndAudit) {
  EXPECT_EQ(UnprocessedCountJson({.total = 10, .unpaid = 3}),
            R"({"unprocessedCount":3,"totalRecords":10,"processedCount":7})");
  store::LedgerAudit audit;
  audit.issued_units = audit.held_units = audit.transfer_units = 3 * kSp;
  audit.issued_by_kind[1] = 3 * kSp;
  const std::string json = AuditJson(audit);
  EXPECT_EQ(json.rfind(R"({"balanced":true,"issued":3,"held":3,)", 0), 0u) << json;
  EXPECT_NE(json.find(R"("issuance:uptime":3)"), std::string::npos);
  audit.held_units -= 1;
  EXPECT_EQ(AuditJson(audit).rfind(R"({"balanced":false,)", 0), 0u);
}

TEST(ReferralViews, RelationshipsAsTheOriginalShowedThem) {
  store::ReferralRecord r{.referee = "c", .referrer_l1 = "b", .referrer_l2 = "a", .code_used = "ABCD1234",
                          .signup_ms = kT, .uptime_base_ms = 0, .installation_claimed = false,
                          .installation_claimed_ms = 0};
  EXPECT_EQ(RelationshipJson(r, true),
            R"({"user_principal_id":"c","referrer_chain":["b","a"],"referrer_l1":"b","referrer_l2":"a",)"
            R"("referral_code_used":"ABCD1234","signup_timestamp":1705305600000,"status_24h":"PENDING"})");
  r.referrer_l2.clear();
  r.installation_claimed = true;
  r.installation_claimed_ms = kT + 5;
  EXPECT_EQ(RelationshipJson(r, false),
            R"({"user_principal_id":"c","referrer_chain":["b"],"referrer_l1":"b","referral_code_used":"ABCD1234",)"
            R"("signup_timestamp":1705305600000,"status_24h":"COMPLETED","first_24h_completed_at":1705305600005,)"
            R"("installation_reward_claimed":true})");
}

TEST(ReferralViews, RewardsShowTypeTierAndCapping) {
  store::TransferRecord task = Record(store::RewardKind::kReferralTask2, 900'000, "referral:task:j:2");
  task.transfer.referee = "w";
  task.transfer.job_id = "j";
  task.transfer.base_units = 45'000'000;
  task.transfer.share_bp = 200;
  EXPECT_EQ(ReferralRewardJson(task),
            R"({"reward_id":"referral:task:j:2","referrer_principal_id":"p","referee_principal_id":"w",)"
            R"("reward_type":"TASK","tier":2,"base_amount":0.45,"reward_percentage":2,"reward_amount":0.009,)"
            R"("timestamp":1705305600000,"distribution_date":"2024-01-15","distributed_at":1705305600000,)"
            R"("status":"DISTRIBUTED","job_id":"j","created_at":1705305600000,"updated_at":1705305600000})");
  const store::TransferRecord capped = Record(store::RewardKind::kReferralUptime1, 0);
  EXPECT_NE(ReferralRewardJson(capped).find(R"("status":"CAPPED")"), std::string::npos);
  EXPECT_EQ(ReferralKinds("TASK", 1), store::KindBit(store::RewardKind::kReferralTask1));
  EXPECT_EQ(ReferralKinds("", 2), store::KindBit(store::RewardKind::kReferralTask2) |
                                      store::KindBit(store::RewardKind::kReferralUptime2));
  EXPECT_EQ(ReferralKinds("BOGUS", 0), 0u);
  EXPECT_EQ(ReferralKinds("", 3), 0u);
}

TEST(ReferralViews, TheRewardsSummaryCoversAllPages) {
  ReferralPageInput in;
  in.page.total = 41;
  in.account.credited_by_kind[static_cast<size_t>(store::RewardKind::kReferralTask1)] = 2 * kSp;
  in.account.credited_by_kind[static_cast<size_t>(store::RewardKind::kReferralInstallation)] = 500 * kSp;
  in.page_number = 2;
  const std::string json = ReferralRewardsJson(in);
  EXPECT_NE(json.find(R"("pagination":{"current_page":2,"total_pages":3,"total_items":41,"items_per_page":20,)"
                      R"("has_next_page":true,"has_prev_page":true})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("summary":{"total_rewards":41,"total_amount":502,"by_type":{"installation":500,"uptime":0,)"
                      R"("task":2},"by_tier":{"l1":502,"l2":0}})"),
            std::string::npos)
      << json;
}

TEST(NodeRewardViews, UserDataShowsTheLedgerAsTheOriginalsStrings) {
  const rewards::RewardRules rules;
  UserDataInput in;
  in.node.principal = "p";
  in.node.referral_code = "ABCD1234";
  in.node.max_concurrent_jobs = 10;
  in.account.balance_units = 12 * kSp + kSp / 2;
  in.account.credited_units = 40 * kSp + kSp / 10;
  in.today_units = 12 * kSp / 10;
  in.last_job = Record(store::RewardKind::kJob, 36'000'000);
  in.rules = &rules;
  in.now_ms = kT;
  // Settlement on the chain beside the off-chain fields (docs/CHAIN.md).
  in.settled.committed_units = 50'000'000;
  in.settled.settled_units = 30'000'000;
  EXPECT_EQ(UserDataJson(in),
            R"({"function":"Get Data","message":"Getting client data","user_principal_id":"p","balance":"12.5",)"
            R"("todaysEarnings":"1.2","totalAccumulativePoints":"40.1","totalEarnFromLastJob":"0.36",)"
            R"("referralCode":"ABCD1234","totalReferral":"0","state":"waiting","status":"OK","jobAssigned":false,)"
            R"("activeJobsCount":0,"maxConcurrentJobs":10,"activeSessionRewards":"0","activeSessionMinutes":"0.00",)"
            R"("isCurrentlyOnline":false,"settledBalance":"0.3","settlingBalance":"0.2"})");
}

TEST(NodeRewardViews, TheLiveEstimateIsTodaysUnpaidMinutesAtTodaysTier) {
  const rewards::RewardRules rules;
  store::UptimeDay today;
  today.online_ms = 100 * 60'000;
  today.paid_minutes = 90;
  today.speed_sum = 60;
  today.speed_count = 1;
  today.ping_sum = 40;
  today.ping_count = 1;
  LiveUptime live;
  live.online = true;
  live.unreported_today_ms = 5 * 60'000 + 59'999;
  // 15 unpaid minutes at tier 1: 7.5 + 1.5.
  EXPECT_EQ(UnpaidUptimeEstimateUnits(today, live, rules), 9 * kSp);
  EXPECT_EQ(UnpaidUptimeEstimateUnits(std::nullopt, LiveUptime{}, rules), 0);
}

TEST(NodeRewardViews, HistoryAndChartCountJobAndUptimeRewards) {
  HistoryInput h;
  h.principal = "p";
  store::TransferRecord job = Record(store::RewardKind::kJob, 36'000'000);
  job.transfer.job_id = "job_1";
  h.page.transfers = {job, Record(store::RewardKind::kUptime, 30 * kSp)};
  h.page.total = 2;
  h.account.credited_by_kind[0] = 36'000'000;
  h.account.credited_by_kind[1] = 30 * kSp;
  h.account.transfers_by_kind[0] = 1;
  h.account.transfers_by_kind[1] = 1;
  h.account.uptime_minutes = 60;
  const std::string json = RewardHistoryJson(h);
  EXPECT_NE(json.find(R"({"type":"job","amount":0.36,"timestamp":1705305600000,"date":"2024-01-15",)"
                      R"("state":"completed","completeAt":1705305600000,"job_id":"job_1"})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("job_id":null)"), std::string::npos);
  EXPECT_NE(json.find(R"("summary":{"totalJobRewards":0.36,"totalUptimeRewards":30,"totalRewards":30.36,)"
                      R"("totalUptimeMinutes":60,"jobRewardsCount":1,"uptimeRewardsCount":1})"),
            std::string::npos);
  store::EarningsDay d1{.day = "2024-01-14"};
  d1.units[1] = 30 * kSp;
  d1.transfers[1] = 1;
  d1.uptime_minutes = 60;
  store::EarningsDay referral_only{.day = "2024-01-15"};
  referral_only.units[2] = kSp;
  referral_only.transfers[2] = 1;
  EXPECT_EQ(RewardChartJson("p", {d1, referral_only}, std::nullopt, std::nullopt),
            R"({"userPrincipalId":"p","dateRange":{"startDate":"2024-01-14","endDate":"2024-01-14"},)"
            R"("summary":{"totalJobRewards":0,"totalUptimeRewards":30,"totalRewards":30,"totalDays":1,)"
            R"("averageDailyRewards":30},"chartData":[{"date":"2024-01-14","jobRewards":0,"uptimeRewards":30,)"
            R"("totalRewards":30,"uptimeMinutes":60}]})");
  EXPECT_EQ(RewardsAddedJson(125 * kSp / 10), R"({"balance":"12.5","message":"Rewards added successfully"})");
}

}  // namespace
}  // namespace sela::api
