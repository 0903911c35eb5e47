// Paying jobs (ledger.h JobRewardSpec): CompleteJob records the node's
// "job:<job_id>" transfer under the per-node UTC-day cap and its referrers'
// task shares in the transaction that completes the job; nothing else pays.
#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

// After the jobs' leases (Ongoing leases at StoreTimeZeroMs() + 10).
constexpr int64_t kT0 = StoreTimeZeroMs() + 100;

TEST_P(JobPayContractTest, CompletingAJobPaysItsNodeInTheSameStep) {
  Ongoing("job_1", "node-a");
  const auto done = CompleteAndPay("job_1", Paying("node-a", kSp / 2), kT0 + 5);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(*done, (CompletedJob{CompleteOutcome::kCompleted, kSp / 2, 0, 0}));
  EXPECT_EQ(MustGet("job_1").reward_units, kSp / 2);
  EXPECT_EQ(BalanceOf("node-a"), kSp / 2);
  const auto t = TransferById("job:job_1");
  ASSERT_TRUE(t.has_value());
  Transfer expected;
  expected.id = "job:job_1";
  expected.kind = RewardKind::kJob;
  expected.principal = "node-a";
  expected.amount_units = kSp / 2;
  expected.day = "2024-03-10";
  expected.created_ms = kT0 + 5;
  expected.job_id = "job_1";
  EXPECT_EQ(t->transfer, expected);
  EXPECT_EQ(t->credited_units, kSp / 2);
  EXPECT_TRUE(MustAudit().balanced());
  EXPECT_EQ(MustAudit().transfers, 1);
}

TEST_P(JobPayContractTest, ARepeatALateOrAForeignResultAndAFailedJobPayNothing) {
  Ongoing("job_1", "node-a");
  ASSERT_TRUE(CompleteAndPay("job_1", Paying("node-a", kSp), kT0 + 5).has_value());
  JobCompletion more = Paying("node-a", 3 * kSp);  // A repeat asking for more.
  const auto repeat = CompleteAndPay("job_1", more, kT0 + 9);
  ASSERT_TRUE(repeat.has_value()) << repeat.error().ToString();
  EXPECT_EQ(*repeat, (CompletedJob{CompleteOutcome::kRepeat, kSp, 0, 0}));
  EXPECT_EQ(BalanceOf("node-a"), kSp);

  Ongoing("job_2", "node-a");
  EXPECT_EQ(CompleteAndPay("job_2", Paying("node-b", kSp), kT0 + 5).error().code(), Code::kFailedPrecondition);
  JobCompletion other_attempt = Paying("node-a", kSp);
  other_attempt.attempt = 2;
  EXPECT_EQ(CompleteAndPay("job_2", other_attempt, kT0 + 5).error().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(Call<Status>([&](auto d) {
                store().FailJob("job_2", {1, FailureReason::kNoData, "No data found"}, kT0 + 6, d);
              }).ok());
  EXPECT_EQ(CompleteAndPay("job_2", Paying("node-a", kSp), kT0 + 7).error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(BalanceOf("node-a"), kSp);
  EXPECT_EQ(BalanceOf("node-b"), 0);
  EXPECT_FALSE(TransferById("job:job_2").has_value());
  EXPECT_EQ(MustAudit().transfers, 1);
}

TEST_P(JobPayContractTest, TheDailyCapIsPerNodeAndUtcDayAndACappedJobIsRecordedAtZero) {
  const int64_t cap = kSp;
  const struct {
    const char* job;
    const char* node;
    const char* day;
    int64_t credited;
  } steps[] = {
      {"job_1", "node-a", "2024-03-10", 7 * kSp / 10}, {"job_2", "node-a", "2024-03-10", 3 * kSp / 10},
      {"job_3", "node-a", "2024-03-10", 0},            {"job_4", "node-b", "2024-03-10", 7 * kSp / 10},
      {"job_5", "node-a", "2024-03-11", 7 * kSp / 10},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.job);
    Ongoing(s.job, s.node);
    const auto done = CompleteAndPay(s.job, Paying(s.node, 7 * kSp / 10, cap, 500, 200, s.day), kT0 + 5);
    ASSERT_TRUE(done.has_value()) << done.error().ToString();
    EXPECT_EQ(done->reward_units, s.credited);
    EXPECT_EQ(MustGet(s.job).reward_units, s.credited);
    const auto t = TransferById(std::string("job:") + s.job);
    ASSERT_TRUE(t.has_value()) << "recorded even when capped to 0";
    EXPECT_EQ(t->credited_units, s.credited);
    EXPECT_EQ(t->transfer.cap, (TransferCap{TransferCap::Window::kDay, KindBit(RewardKind::kJob), cap}));
  }
  EXPECT_EQ(BalanceOf("node-a"), kSp + 7 * kSp / 10);
  EXPECT_EQ(BalanceOf("node-b"), 7 * kSp / 10);
  // Job credits recorded by other means count against the cap as well.
  ASSERT_TRUE(Apply({MakeTransfer("job:elsewhere", "node-b", kSp / 10, RewardKind::kJob)}).has_value());
  Ongoing("job_6", "node-b");
  EXPECT_EQ(CompleteAndPay("job_6", Paying("node-b", kSp, cap), kT0 + 5)->reward_units, 2 * kSp / 10);
  EXPECT_TRUE(MustAudit().balanced());
}

TEST_P(JobPayContractTest, TaskSharesGoToBothLevelsFlooredFromWhatWasCredited) {
  MustRefer("l1", "l2");
  MustRefer("worker", "l1");  // worker's L1 is l1, its L2 is l2.
  Ongoing("job_1", "worker");
  // G6: 0.0096 SP pays 0.00048 and 0.000192.
  const auto done = CompleteAndPay("job_1", Paying("worker", 960'000, 0, 500, 200), kT0 + 5);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(*done, (CompletedJob{CompleteOutcome::kCompleted, 960'000, 48'000, 19'200}));
  const auto l1 = TransferById("referral:task:job_1:1");
  ASSERT_TRUE(l1.has_value());
  Transfer expected;
  expected.id = "referral:task:job_1:1";
  expected.kind = RewardKind::kReferralTask1;
  expected.principal = "l1";
  expected.amount_units = 48'000;
  expected.day = "2024-03-10";
  expected.created_ms = kT0 + 5;
  expected.job_id = "job_1";
  expected.referee = "worker";
  expected.base_units = 960'000;
  expected.share_bp = 500;
  EXPECT_EQ(l1->transfer, expected);
  const auto l2 = TransferById("referral:task:job_1:2");
  ASSERT_TRUE(l2.has_value());
  EXPECT_EQ(l2->transfer.kind, RewardKind::kReferralTask2);
  EXPECT_EQ(l2->transfer.principal, "l2");
  EXPECT_EQ(l2->credited_units, 19'200);
  EXPECT_EQ(BalanceOf("l1"), 48'000);
  EXPECT_EQ(BalanceOf("l2"), 19'200);

  // Shares are of the credit the cap left: 0.3 of 0.7 asked.
  Ongoing("job_2", "worker");
  const auto capped = CompleteAndPay("job_2", Paying("worker", 7 * kSp / 10, 960'000 + 3 * kSp / 10, 500, 200),
                                     kT0 + 5);
  ASSERT_TRUE(capped.has_value()) << capped.error().ToString();
  EXPECT_EQ(*capped, (CompletedJob{CompleteOutcome::kCompleted, 3 * kSp / 10, 1'500'000, 600'000}));
  // Capped to nothing: no shares. Shares that floor to 0 units: none recorded.
  Ongoing("job_3", "worker");
  EXPECT_EQ(*CompleteAndPay("job_3", Paying("worker", kSp, 1, 500, 200), kT0 + 5),
            (CompletedJob{CompleteOutcome::kCompleted, 0, 0, 0}));
  Ongoing("job_4", "l1");  // l1's L1 is l2; no L2.
  EXPECT_EQ(*CompleteAndPay("job_4", Paying("l1", 19, 0, 500, 200), kT0 + 5),
            (CompletedJob{CompleteOutcome::kCompleted, 19, 0, 0}));
  for (const char* id : {"referral:task:job_3:1", "referral:task:job_3:2", "referral:task:job_4:1",
                         "referral:task:job_4:2"}) {
    EXPECT_FALSE(TransferById(id).has_value()) << id;
  }
  EXPECT_TRUE(MustAudit().balanced());
}

TEST_P(JobPayContractTest, NoRewardMeansNoTransfer) {
  Ongoing("job_1", "node-a");
  const auto done = CompleteAndPay("job_1", Paying("node-a", 0, 0, 500, 200, ""), kT0 + 5);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(*done, (CompletedJob{CompleteOutcome::kCompleted, 0, 0, 0}));
  EXPECT_EQ(MustGet("job_1").state, JobState::kCompleted);
  EXPECT_FALSE(TransferById("job:job_1").has_value());
  EXPECT_EQ(MustAudit().transfers, 0);
}

// The payment is part of the completion: when the ledger refuses it (its
// transfer id is recorded with another body), the job is not completed,
// its result not stored, and nothing is paid.
TEST_P(JobPayContractTest, ACompletionWhosePaymentIsRefusedCompletesNothing) {
  MustRefer("node-a", "l1");
  ASSERT_TRUE(Apply({MakeTransfer("referral:task:job_1:1", "someone-else", 5, RewardKind::kReferralTask1)})
                  .has_value());
  const JobRecord leased = Ongoing("job_1", "node-a");
  const auto refused = CompleteAndPay("job_1", Paying("node-a", kSp, 0, 500, 200), kT0 + 5);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kConflict) << refused.error().ToString();
  EXPECT_EQ(MustGet("job_1"), leased);
  EXPECT_FALSE(Blob(FakeSha256(1)).value().has_value());
  EXPECT_EQ(BalanceOf("node-a"), 0);
  EXPECT_FALSE(TransferById("job:job_1").has_value());
  EXPECT_TRUE(MustAudit().balanced());
}

}  // namespace
}  // namespace sela::store::testing
