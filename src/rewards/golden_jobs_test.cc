// The job golden cases of reference/original/services.md §8 (G7, G9, X1,
// X6; G8 is a job-service test, job_service_test.cc) as payments through
// the store: a job is created leased to its node and its result completes
// it with Store::CompleteJob, which pays the node (and its referrers) in
// the same transaction. Where the original's figure came from one of its
// defects, the test says which and asserts what we pay instead
// (docs/REWARDS.md "Golden cases").
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/calendar.h"
#include "jobs/result.h"
#include "rewards/ids.h"
#include "rewards/rules.h"
#include "rewards/test_harness.h"

namespace sela::rewards::testing {
namespace {

constexpr char kClient[] = "customer";
constexpr int64_t kLeaseMs = 300'000;

class GoldenJobs : public RewardsHarness {
 protected:
  GoldenJobs() {
    auto r = Call<Result<store::ApiClient>>(
        [&](auto done) { store_->RegisterApiClient(store::testing::Client(kClient, 1000, 1), done); });
    EXPECT_TRUE(r.has_value());
  }

  // A TWITTER_POST job leased to `node` now (attempt 1).
  void Leased(const std::string& job_id, const std::string& node) {
    store::CreateJobRequest request;
    request.job = store::testing::NewJob(job_id, kClient, clock_.WallMs());
    request.job.job_type = "TWITTER_POST";
    request.job.state = store::JobState::kOngoing;
    request.job.attempt = 1;
    request.job.node_principal = node;
    request.job.lease_deadline_ms = clock_.WallMs() + kLeaseMs;
    request.charge_usage = false;
    auto created = Call<Result<store::CreateJobOutcome>>([&](auto done) { store_->CreateJob(request, done); });
    ASSERT_TRUE(created.has_value()) << created.error().ToString();
  }

  // The node's result now, as the job service completes it: analysed and
  // priced, rewarded for the time since the lease (JobRewardSpecFor).
  Result<store::CompletedJob> SendResult(const std::string& job_id, const std::string& node, const char* json,
                                      int64_t leased_ms) {
    const jobs::ResultAnalysis analysis = jobs::AnalyzeResult("TWITTER_POST", boost::json::parse(json));
    store::JobCompletion c;
    c.node_principal = node;
    c.attempt = 1;
    c.result = analysis.bytes;
    c.result_hash = store::testing::FakeSha256(std::hash<std::string>{}(analysis.bytes));
    c.result_content_type = "application/json";
    c.price_cents = analysis.price_cents;
    c.objects_count = analysis.objects_count;
    c.file_size_kb = analysis.file_size_kb;
    c.reward = JobRewardSpecFor("TWITTER_POST", clock_.WallMs() - leased_ms, UtcDayOf(clock_.WallMs()), rules_);
    return Call<Result<store::CompletedJob>>(
        [&](auto done) { store_->CompleteJob(job_id, c, clock_.WallMs(), done); });
  }

  store::JobRecord Job(const std::string& job_id) {
    auto job = Call<Result<std::optional<store::JobRecord>>>([&](auto done) { store_->GetJob(job_id, done); });
    EXPECT_TRUE(job.has_value() && job->has_value());
    return job.has_value() && job->has_value() ? **job : store::JobRecord{};
  }
  bool Paid(const std::string& transfer_id) {
    auto t = Call<Result<std::optional<store::TransferRecord>>>(
        [&](auto done) { store_->GetTransfer(transfer_id, done); });
    return t.has_value() && t->has_value();
  }

  RewardRules rules_;
};

// G7: pricing. A TWITTER_POST of a post and 3 replies in 2,500 bytes: 3 KB,
// 4 objects, 2.0 USDT, as the original; the node is paid its reward for the
// 37.5 s it held the job (0.45 SP, G6) in the same step.
TEST_F(GoldenJobs, G7_AResultIsPricedAndItsNodePaidWhenItCompletes) {
  std::string post = R"({"post":{"text":""},"reply":[{"id":1},{"id":2},{"id":3}]})";
  post.insert(post.find(R"(""})") + 1, std::string(2'500 - post.size(), 'x'));
  ASSERT_EQ(post.size(), 2'500u);
  const int64_t leased = clock_.WallMs();
  Leased("job_g7", "node");
  clock_.Advance(Millis(37'500));
  const auto done = SendResult("job_g7", "node", post.c_str(), leased);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(done->outcome, store::CompleteOutcome::kCompleted);
  EXPECT_EQ(done->reward_units, 45'000'000);
  const store::JobRecord job = Job("job_g7");
  EXPECT_EQ(job.file_size_kb, 3);
  EXPECT_EQ(job.objects_count, 4);
  EXPECT_EQ(job.price_cents, 200);
  EXPECT_EQ(job.reward_units, 45'000'000);
  EXPECT_EQ(Balance("node"), 45'000'000);
  EXPECT_TRUE(Audit().balanced());
}

// G9: the original completed and paid a job that had failed at its deadline
// when the result came at T + 62 min (44.64 SP; D2). A failed job stays
// failed: the late result is refused and pays nothing.
TEST_F(GoldenJobs, G9_ALateResultForAFailedJobPaysNothing) {
  const int64_t leased = clock_.WallMs();
  Leased("job_g9", "node");
  clock_.Advance(Millis(61 * 60'000));
  const Status failed = Call<Status>([&](auto done) {
    store_->FailJob("job_g9", {1, store::FailureReason::kDeadline, "Job timed out after 60 minutes"},
                    clock_.WallMs(), done);
  });
  ASSERT_TRUE(failed.ok()) << failed.ToString();
  clock_.Advance(Millis(60'000));
  const auto late = SendResult("job_g9", "node", R"({"post":{"text":"late"}})", leased);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Job("job_g9").state, store::JobState::kFailed);
  EXPECT_EQ(Job("job_g9").reward_units, 0);
  EXPECT_EQ(Balance("node"), 0);
  EXPECT_FALSE(Paid(JobTransferId("job_g9")));
}

// X1: the original paid a duplicate result again (0.12 then 0.24 SP, and the
// L1 referrer 0.006 + 0.012). The repeat is acknowledged with the first
// credit and pays nothing: 0.12 SP, and 0.006 to the referrer.
TEST_F(GoldenJobs, X1_ADuplicateResultIsPaidOnce) {
  Refer("node", "referrer");
  const int64_t leased = clock_.WallMs();
  Leased("job_x1", "node");
  clock_.Advance(Millis(10'000));
  const auto first = SendResult("job_x1", "node", R"({"post":{"text":"a"}})", leased);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(*first, (store::CompletedJob{store::CompleteOutcome::kCompleted, 12'000'000, 600'000, 0}));
  clock_.Advance(Millis(10'000));
  const auto again = SendResult("job_x1", "node", R"({"post":{"text":"a"}})", leased);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(*again, (store::CompletedJob{store::CompleteOutcome::kRepeat, 12'000'000, 0, 0}));
  EXPECT_EQ(Balance("node"), 12'000'000);
  EXPECT_EQ(Balance("referrer"), 600'000);
  EXPECT_EQ(Job("job_x1").reward_units, 12'000'000);
  EXPECT_TRUE(Audit().balanced());
}

// X6: the original completed (and paid) a job whose result was `{}` and
// then marked it failed, the credit kept (D16). An empty result fails the
// job (the job service sends it to FailJob) and pays nothing; a result
// after that is refused.
TEST_F(GoldenJobs, X6_AnEmptyResultFailsTheJobAndPaysNothing) {
  Refer("node", "referrer");
  const int64_t leased = clock_.WallMs();
  Leased("job_x6", "node");
  clock_.Advance(Millis(10'000));
  ASSERT_TRUE(jobs::AnalyzeResult("TWITTER_POST", boost::json::parse("{}")).empty);
  const Status failed = Call<Status>([&](auto done) {
    store_->FailJob("job_x6", {1, store::FailureReason::kNoData, "No data found"}, clock_.WallMs(), done);
  });
  ASSERT_TRUE(failed.ok()) << failed.ToString();
  const auto after = SendResult("job_x6", "node", R"({"post":{"text":"a"}})", leased);
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Job("job_x6").reward_units, 0);
  EXPECT_EQ(Balance("node"), 0);
  EXPECT_EQ(Balance("referrer"), 0);
  EXPECT_FALSE(Paid(JobTransferId("job_x6")));
  EXPECT_FALSE(Paid(ReferralTaskId("job_x6", 1)));
}

}  // namespace
}  // namespace sela::rewards::testing
