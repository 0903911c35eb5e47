// The Store contract for job transitions (lease, release, complete, fail),
// reads and result blobs; see store_contract_test.h. Every refusal is checked
// to have changed nothing. API clients and job creation:
// store_contract_jobs_test.cc.
#include <string>
#include <vector>

#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = StoreTimeZeroMs();
constexpr int64_t kLeaseMs = JobContractTest::kLeaseMs;

// ---- LeaseJob and ReleaseJob ----

TEST_P(JobContractTest, LeaseJobMakesAPendingJobOngoingForTheNode) {
  const JobRecord created = MustCreate(NewJob("job_1", "acme", kT0));
  ASSERT_TRUE(Lease("job_1", "node-a", 1, kT0 + 100 + kLeaseMs, kT0 + 100, "client-7").ok());
  JobRecord expected = created;
  expected.state = JobState::kOngoing;
  expected.attempt = 1;
  expected.node_principal = "node-a";
  expected.node_client_id = "client-7";
  expected.assigned_ms = kT0 + 100;
  expected.lease_deadline_ms = kT0 + 100 + kLeaseMs;
  EXPECT_EQ(MustGet("job_1"), expected);
}

TEST_P(JobContractTest, LeaseJobRefusesWhatIsNotAPendingJobWithThePreviousAttempt) {
  MustCreate(NewJob("job_p", "acme", kT0));
  const JobRecord pending = MustGet("job_p");
  const JobRecord ongoing = Ongoing("job_o");
  EXPECT_EQ(Lease("job_x", "node-b", 1, kT0 + kLeaseMs, kT0).code(), Code::kNotFound);
  EXPECT_EQ(Lease("job_p", "node-b", 2, kT0 + kLeaseMs, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Lease("job_o", "node-b", 1, kT0 + kLeaseMs, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Lease("job_o", "node-b", 2, kT0 + kLeaseMs, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_p"), pending);
  EXPECT_EQ(MustGet("job_o"), ongoing);
  EXPECT_FALSE(GetJob("job_x").value().has_value());
}

TEST_P(JobContractTest, LeaseJobRefusesFinishedJobs) {
  Ongoing("job_c");
  ASSERT_EQ(Complete("job_c", Completion("node-a", 1, "{}", 1), kT0 + 20),
            CompleteOutcome::kCompleted);
  MustCreate(NewJob("job_f", "acme", kT0));
  ASSERT_TRUE(Fail("job_f", 0, "cancelled", kT0 + 20).ok());
  const JobRecord completed = MustGet("job_c");
  const JobRecord failed = MustGet("job_f");
  EXPECT_EQ(Lease("job_c", "node-b", 2, kT0 + kLeaseMs, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Lease("job_f", "node-b", 1, kT0 + kLeaseMs, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_c"), completed);
  EXPECT_EQ(MustGet("job_f"), failed);
}

TEST_P(JobContractTest, LeaseJobRefusesMalformedArguments) {
  const JobRecord pending = MustCreate(NewJob("job_1", "acme", kT0));
  EXPECT_EQ(Lease("", "node-a", 1, kT0, kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Lease("job_1", "", 1, kT0, kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Lease("job_1", "node-a", 0, kT0, kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Lease("job_1", "node-a", 1, -1, kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Lease("job_1", "node-a", 1, kT0, -1).code(), Code::kInvalidArgument);
  EXPECT_EQ(Lease("job_1", std::string(100'000, 'n'), 1, kT0, kT0).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(MustGet("job_1"), pending);
}

TEST_P(JobContractTest, AReleasedJobIsPendingAgainAndLeasedWithTheNextAttempt) {
  const JobRecord leased = Ongoing("job_1", "node-a");
  ASSERT_TRUE(Release("job_1", 1, kT0 + 50).ok());
  JobRecord expected = leased;
  expected.state = JobState::kPending;
  expected.lease_deadline_ms = 0;
  expected.last_failed_node = "node-a";
  EXPECT_EQ(MustGet("job_1"), expected);
  EXPECT_EQ(OpenJobs().value(), std::vector<JobRecord>{expected});

  // The old attempt number cannot be leased again; the next one can.
  EXPECT_EQ(Lease("job_1", "node-b", 1, kT0 + kLeaseMs, kT0 + 60).code(),
            Code::kFailedPrecondition);
  ASSERT_TRUE(Lease("job_1", "node-b", 2, kT0 + 60 + kLeaseMs, kT0 + 60, "c2").ok());
  const JobRecord again = MustGet("job_1");
  EXPECT_EQ(again.state, JobState::kOngoing);
  EXPECT_EQ(again.attempt, 2u);
  EXPECT_EQ(again.node_principal, "node-b");
  EXPECT_EQ(again.node_client_id, "c2");
  EXPECT_EQ(again.assigned_ms, kT0 + 60);
  EXPECT_EQ(again.last_failed_node, "node-a");
  // The first lease's release is late now and changes nothing.
  EXPECT_EQ(Release("job_1", 1, kT0 + 70).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_1"), again);
}

TEST_P(JobContractTest, ReleaseJobRefusesWhatIsNotOngoingWithThatAttempt) {
  MustCreate(NewJob("job_p", "acme", kT0));
  const JobRecord pending = MustGet("job_p");
  const JobRecord ongoing = Ongoing("job_o");
  EXPECT_EQ(Release("job_x", 1, kT0).code(), Code::kNotFound);
  EXPECT_EQ(Release("job_p", 1, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Release("job_o", 2, kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Release("job_o", 0, kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Release("", 1, kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(MustGet("job_p"), pending);
  EXPECT_EQ(MustGet("job_o"), ongoing);
  ASSERT_EQ(Complete("job_o", Completion("node-a", 1, "{}", 1), kT0 + 20),
            CompleteOutcome::kCompleted);
  const JobRecord completed = MustGet("job_o");
  EXPECT_EQ(Release("job_o", 1, kT0 + 30).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_o"), completed);
}

// ---- CompleteJob ----

TEST_P(JobContractTest, CompleteJobStoresTheResultAndItsBlob) {
  const JobRecord leased = Ongoing("job_1", "node-a");
  const JobCompletion completion = Completion("node-a", 1, R"({"posts":[1,2]})", 77);
  ASSERT_EQ(Complete("job_1", completion, kT0 + 900), CompleteOutcome::kCompleted);
  JobRecord expected = leased;
  expected.state = JobState::kCompleted;
  expected.complete_ms = kT0 + 900;
  expected.lease_deadline_ms = 0;
  expected.result_hash = completion.result_hash;
  expected.result_content_type = "application/json";
  expected.result_bytes = static_cast<int64_t>(completion.result.size());
  expected.reward_units = completion.reward.amount_units;
  expected.price_cents = completion.price_cents;
  expected.objects_count = completion.objects_count;
  expected.file_size_kb = completion.file_size_kb;
  EXPECT_EQ(MustGet("job_1"), expected);
  EXPECT_EQ(Blob(completion.result_hash).value(), std::optional<std::string>(completion.result));
  EXPECT_TRUE(OpenJobs().value().empty());
}

TEST_P(JobContractTest, ACompletionRepeatedByTheSameNodeAndAttemptChangesNothing) {
  Ongoing("job_1", "node-a");
  ASSERT_EQ(Complete("job_1", Completion("node-a", 1, "first", 1), kT0 + 100),
            CompleteOutcome::kCompleted);
  const JobRecord completed = MustGet("job_1");
  JobCompletion repeat = Completion("node-a", 1, "second", 2);
  repeat.reward.amount_units = 1;
  EXPECT_EQ(Complete("job_1", repeat, kT0 + 200), CompleteOutcome::kRepeat);
  EXPECT_EQ(MustGet("job_1"), completed);
  EXPECT_FALSE(Blob(FakeSha256(2)).value().has_value());
  EXPECT_EQ(Blob(FakeSha256(1)).value(), std::optional<std::string>("first"));
}

TEST_P(JobContractTest, ACompletionByAnotherNodeIsRefusedAndChangesNothing) {
  const JobRecord leased = Ongoing("job_1", "node-a");
  const Result<CompleteOutcome> foreign =
      Complete("job_1", Completion("node-b", 1, "theirs", 5), kT0 + 100);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code(), Code::kFailedPrecondition) << foreign.error().ToString();
  EXPECT_EQ(MustGet("job_1"), leased);
  EXPECT_FALSE(Blob(FakeSha256(5)).value().has_value());

  // Nor may it complete a job that the holder has completed.
  ASSERT_EQ(Complete("job_1", Completion("node-a", 1, "mine", 6), kT0 + 200),
            CompleteOutcome::kCompleted);
  const JobRecord completed = MustGet("job_1");
  EXPECT_EQ(Complete("job_1", Completion("node-b", 1, "theirs", 5), kT0 + 300).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_1"), completed);
}

TEST_P(JobContractTest, ACompletionForAnotherAttemptIsRefusedAndChangesNothing) {
  Ongoing("job_1", "node-a");
  ASSERT_TRUE(Release("job_1", 1, kT0 + 20).ok());
  ASSERT_TRUE(Lease("job_1", "node-a", 2, kT0 + 30 + kLeaseMs, kT0 + 30).ok());
  const JobRecord leased = MustGet("job_1");
  // The same node, late with its first attempt's result.
  const Result<CompleteOutcome> late =
      Complete("job_1", Completion("node-a", 1, "late", 5), kT0 + 100);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code(), Code::kFailedPrecondition) << late.error().ToString();
  EXPECT_EQ(MustGet("job_1"), leased);
  ASSERT_EQ(Complete("job_1", Completion("node-a", 2, "on time", 6), kT0 + 200),
            CompleteOutcome::kCompleted);
  const JobRecord completed = MustGet("job_1");
  // Once completed with attempt 2, attempt 1 is still no repeat.
  EXPECT_EQ(Complete("job_1", Completion("node-a", 1, "late", 5), kT0 + 300).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_1"), completed);
}

TEST_P(JobContractTest, CompleteJobRefusesJobsThatAreNotOngoing) {
  MustCreate(NewJob("job_p", "acme", kT0));
  const JobRecord pending = MustGet("job_p");
  Ongoing("job_f");
  ASSERT_TRUE(Fail("job_f", 1, "timeout", kT0 + 20).ok());
  const JobRecord failed = MustGet("job_f");
  EXPECT_EQ(Complete("job_x", Completion("node-a", 1, "r", 1), kT0).error().code(),
            Code::kNotFound);
  EXPECT_EQ(Complete("job_p", Completion("node-a", 1, "r", 1), kT0).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(Complete("job_f", Completion("node-a", 1, "r", 1), kT0).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_p"), pending);
  EXPECT_EQ(MustGet("job_f"), failed);
  EXPECT_FALSE(Blob(FakeSha256(1)).value().has_value());
}

TEST_P(JobContractTest, CompleteJobRefusesMalformedCompletions) {
  const JobRecord leased = Ongoing("job_1", "node-a");
  JobCompletion bad_hash = Completion("node-a", 1, "r", 1);
  bad_hash.result_hash = "abc";
  JobCompletion no_node = Completion("", 1, "r", 1);
  JobCompletion zero_attempt = Completion("node-a", 0, "r", 1);
  JobCompletion negative_reward = Completion("node-a", 1, "r", 1);
  negative_reward.reward.amount_units = -1;
  JobCompletion negative_price = Completion("node-a", 1, "r", 1);
  negative_price.price_cents = -1;
  JobCompletion bad_day = Completion("node-a", 1, "r", 1);
  bad_day.reward.day = "2024-02-30";
  JobCompletion negative_cap = Completion("node-a", 1, "r", 1);
  negative_cap.reward.daily_cap_units = -1;
  JobCompletion share_over_all = Completion("node-a", 1, "r", 1);
  share_over_all.reward.referral_l2_bp = 10'001;
  JobCompletion too_much = Completion("node-a", 1, "r", 1);
  too_much.reward.amount_units = kTransferUnitsMax + 1;
  for (const JobCompletion& completion : {bad_hash, no_node, zero_attempt, negative_reward, negative_price,
                                          bad_day, negative_cap, share_over_all, too_much}) {
    const Result<CompleteOutcome> refused = Complete("job_1", completion, kT0 + 100);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  EXPECT_EQ(Complete("", Completion("node-a", 1, "r", 1), kT0).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Complete("job_1", Completion("node-a", 1, "r", 1), -1).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(MustGet("job_1"), leased);
  EXPECT_FALSE(Blob(FakeSha256(1)).value().has_value());
}

// ---- Blobs ----

TEST_P(JobContractTest, TwoJobsWithTheSameResultShareOneBlobAndBothReadItBack) {
  Ongoing("job_1", "node-a");
  Ongoing("job_2", "node-b");
  const std::string bytes("same\0bytes", 10);
  ASSERT_EQ(Complete("job_1", Completion("node-a", 1, bytes, 42), kT0 + 100),
            CompleteOutcome::kCompleted);
  ASSERT_EQ(Complete("job_2", Completion("node-b", 1, bytes, 42), kT0 + 200),
            CompleteOutcome::kCompleted);
  const JobRecord one = MustGet("job_1");
  const JobRecord two = MustGet("job_2");
  EXPECT_EQ(one.result_hash, FakeSha256(42));
  EXPECT_EQ(two.result_hash, FakeSha256(42));
  EXPECT_EQ(one.result_bytes, 10);
  EXPECT_EQ(two.result_bytes, 10);
  EXPECT_EQ(Blob(one.result_hash).value(), std::optional<std::string>(bytes));
}

TEST_P(JobContractTest, AnEmptyResultIsStoredAsAnEmptyBlob) {
  Ongoing("job_1", "node-a");
  ASSERT_EQ(Complete("job_1", Completion("node-a", 1, "", 3), kT0 + 100),
            CompleteOutcome::kCompleted);
  EXPECT_EQ(MustGet("job_1").result_bytes, 0);
  EXPECT_EQ(Blob(FakeSha256(3)).value(), std::optional<std::string>(""));
}

TEST_P(JobContractTest, GetBlobOfAnUnknownHashIsEmptyAndAMalformedOneIsRefused) {
  EXPECT_FALSE(Blob(FakeSha256(123)).value().has_value());
  EXPECT_EQ(Blob("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Blob(std::string(64, 'G')).error().code(), Code::kInvalidArgument);
}

// ---- FailJob ----

TEST_P(JobContractTest, FailingAChargedSyncJobGivesTheUsageBack) {
  MustCreate(NewJob("job_keep", "acme", kT0));
  const JobRecord leased = Ongoing("job_sync", "node-a", /*sync=*/true);
  ASSERT_EQ(UsageCount("acme"), 2);
  ASSERT_TRUE(Fail("job_sync", 1, "node returned nothing", kT0 + 500, FailureReason::kNoData).ok());
  JobRecord expected = leased;
  expected.state = JobState::kFailed;
  expected.complete_ms = kT0 + 500;
  expected.error = "node returned nothing";
  expected.failure_reason = FailureReason::kNoData;
  expected.lease_deadline_ms = 0;
  EXPECT_EQ(MustGet("job_sync"), expected);
  EXPECT_EQ(UsageCount("acme"), 1);
  EXPECT_EQ(UsageLog("acme").value(), std::vector<int64_t>{kT0});
  EXPECT_EQ(Ids(OpenJobs().value()), std::vector<std::string>{"job_keep"});
}

TEST_P(JobContractTest, FailingAnAsyncJobKeepsTheCharge) {
  Ongoing("job_1", "node-a", /*sync=*/false);
  ASSERT_TRUE(Fail("job_1", 1, "timeout", kT0 + 500).ok());
  EXPECT_EQ(MustGet("job_1").state, JobState::kFailed);
  EXPECT_EQ(UsageCount("acme"), 1);
  EXPECT_EQ(UsageLog("acme").value(), std::vector<int64_t>{kT0});
}

TEST_P(JobContractTest, FailingAnUnchargedSyncJobGivesNothingBack) {
  MustCreate(NewJob("job_charged", "acme", kT0));
  MustCreate(NewJob("job_free", "acme", kT0 + 1, /*sync=*/true), /*charge_usage=*/false);
  ASSERT_TRUE(Fail("job_free", 0, "cancelled", kT0 + 2).ok());
  EXPECT_EQ(UsageCount("acme"), 1);
  EXPECT_EQ(UsageLog("acme").value(), std::vector<int64_t>{kT0});
}

TEST_P(JobContractTest, FailJobEndsAPendingJobAndClearsItsReward) {
  const JobRecord pending = MustCreate(NewJob("job_1", "acme", kT0, /*sync=*/true));
  ASSERT_TRUE(Fail("job_1", 0, "deadline passed", kT0 + 60'000, FailureReason::kDeadline).ok());
  JobRecord expected = pending;
  expected.state = JobState::kFailed;
  expected.complete_ms = kT0 + 60'000;
  expected.error = "deadline passed";
  expected.failure_reason = FailureReason::kDeadline;
  EXPECT_EQ(MustGet("job_1"), expected);
  EXPECT_EQ(UsageCount("acme"), 0);
  EXPECT_TRUE(UsageLog("acme").value().empty());
}

TEST_P(JobContractTest, FailJobRefusesFinishedJobsAndOtherAttemptsAndRefundsOnce) {
  const JobRecord leased = Ongoing("job_1", "node-a", /*sync=*/true);
  EXPECT_EQ(Fail("job_x", 0, "e", kT0).code(), Code::kNotFound);
  EXPECT_EQ(Fail("job_1", 0, "e", kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Fail("job_1", 2, "e", kT0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_1"), leased);
  EXPECT_EQ(UsageCount("acme"), 1);

  ASSERT_TRUE(Fail("job_1", 1, "first", kT0 + 10).ok());
  const JobRecord failed = MustGet("job_1");
  EXPECT_EQ(Fail("job_1", 1, "second", kT0 + 20).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_1"), failed);
  EXPECT_EQ(UsageCount("acme"), 0);

  Ongoing("job_2", "node-a", /*sync=*/true);
  ASSERT_EQ(Complete("job_2", Completion("node-a", 1, "r", 1), kT0 + 30),
            CompleteOutcome::kCompleted);
  const JobRecord completed = MustGet("job_2");
  EXPECT_EQ(Fail("job_2", 1, "late", kT0 + 40).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet("job_2"), completed);
  EXPECT_EQ(UsageCount("acme"), 1);
}

TEST_P(JobContractTest, EveryFailureReasonIsStoredAndReadBack) {
  const FailureReason reasons[] = {FailureReason::kNoData, FailureReason::kDeadline,
                                   FailureReason::kAttemptsExhausted, FailureReason::kRestart,
                                   FailureReason::kTooLarge, FailureReason::kCancelled};
  std::vector<FailureReason> stored;
  for (FailureReason reason : reasons) {
    const std::string id = "job_" + std::string(FailureReasonName(reason));
    MustCreate(NewJob(id, "acme", kT0));
    ASSERT_TRUE(Fail(id, 0, "why", kT0 + 1, reason).ok()) << id;
    EXPECT_EQ(MustGet(id).failure_reason, reason) << id;
  }
  const std::vector<JobRecord> listed = ClientJobs("acme").value();
  for (const JobRecord& job : listed) stored.push_back(job.failure_reason);
  EXPECT_EQ(stored, std::vector<FailureReason>(std::begin(reasons), std::end(reasons)));
}

TEST_P(JobContractTest, FailJobRefusesMalformedArguments) {
  const JobRecord pending = MustCreate(NewJob("job_1", "acme", kT0, /*sync=*/true));
  EXPECT_EQ(Fail("", 0, "e", kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Fail("job_1", 0, "e", -1).code(), Code::kInvalidArgument);
  EXPECT_EQ(Fail("job_1", 0, std::string(1'000'000, 'e'), kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(Fail("job_1", 0, "e", kT0, FailureReason::kNone).code(), Code::kInvalidArgument);
  EXPECT_EQ(Fail("job_1", 0, "e", kT0, static_cast<FailureReason>(200)).code(), Code::kInvalidArgument);
  EXPECT_EQ(MustGet("job_1"), pending);
  EXPECT_EQ(UsageCount("acme"), 1);
}

// ---- Listing ----

TEST_P(JobContractTest, ListClientJobsGivesTheClientsJobsOldestFirst) {
  ASSERT_TRUE(RegisterClient(Client("beta", 10, 2)).has_value());
  // Ids sort the other way round, so that an order by id would show.
  MustCreate(NewJob("job_z", "acme", kT0));
  MustCreate(NewJob("job_y", "beta", kT0 + 1));
  MustCreate(NewJob("job_x", "acme", kT0 + 2));
  MustCreate(NewJob("job_w", "acme", kT0 + 3));
  MustCreate(NewJob("job_v", "acme", kT0 + 4));
  ASSERT_TRUE(Lease("job_x", "node-a", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_TRUE(Lease("job_v", "node-a", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_TRUE(Fail("job_w", 0, "cancelled", kT0 + 6).ok());

  EXPECT_EQ(Ids(ClientJobs("acme").value()),
            (std::vector<std::string>{"job_z", "job_x", "job_w", "job_v"}));
  EXPECT_EQ(Ids(ClientJobs("acme", std::nullopt, 2).value()),
            (std::vector<std::string>{"job_z", "job_x"}));
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kOngoing).value()),
            (std::vector<std::string>{"job_x", "job_v"}));
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kOngoing, 1).value()),
            std::vector<std::string>{"job_x"});
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kFailed).value()),
            std::vector<std::string>{"job_w"});
  EXPECT_TRUE(ClientJobs("acme", JobState::kCompleted).value().empty());
  EXPECT_TRUE(ClientJobs("acme", std::nullopt, 0).value().empty());
  EXPECT_EQ(Ids(ClientJobs("beta").value()), std::vector<std::string>{"job_y"});
  EXPECT_TRUE(ClientJobs("nobody").value().empty());
  EXPECT_EQ(ClientJobs("acme").value()[1], MustGet("job_x"));
}

TEST_P(JobContractTest, JobReadsRefuseMalformedArguments) {
  EXPECT_EQ(GetJob("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(ClientJobs("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(ClientJobs("acme", static_cast<JobState>(9)).error().code(),
            Code::kInvalidArgument);
}

TEST_P(JobContractTest, GetJobOfAnUnknownIdIsEmpty) {
  EXPECT_FALSE(GetJob("job_none").value().has_value());
}

TEST_P(JobContractTest, ListOpenJobsGivesPendingAndOngoingJobsOldestFirst) {
  ASSERT_TRUE(RegisterClient(Client("beta", 10, 2)).has_value());
  MustCreate(NewJob("job_e", "acme", kT0));
  MustCreate(NewJob("job_d", "beta", kT0 + 1));
  MustCreate(NewJob("job_c", "acme", kT0 + 2));
  MustCreate(NewJob("job_b", "beta", kT0 + 3));
  MustCreate(NewJob("job_a", "acme", kT0 + 4));
  ASSERT_TRUE(Lease("job_d", "node-a", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_TRUE(Lease("job_c", "node-a", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_EQ(Complete("job_c", Completion("node-a", 1, "r", 1), kT0 + 6),
            CompleteOutcome::kCompleted);
  ASSERT_TRUE(Fail("job_b", 0, "cancelled", kT0 + 6).ok());
  EXPECT_EQ(Ids(OpenJobs().value()), (std::vector<std::string>{"job_e", "job_d", "job_a"}));
}

TEST_P(JobContractTest, ClientsJobsUsageAndBlobsSurviveReopen) {
  ASSERT_TRUE(Create(NewJobRequest(NewJob("job_c", "acme", kT0), true, "key", "body"))
                  .has_value());
  MustCreate(NewJob("job_b", "acme", kT0 + 1, /*sync=*/true));
  MustCreate(NewJob("job_a", "acme", kT0 + 2));
  MustCreate(NewJob("job_0", "acme", kT0 + 3));
  ASSERT_TRUE(Lease("job_c", "node-a", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_TRUE(Lease("job_b", "node-b", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_TRUE(Lease("job_0", "node-b", 1, kT0 + kLeaseMs, kT0 + 5).ok());
  ASSERT_EQ(Complete("job_0", Completion("node-b", 1, "result", 9), kT0 + 6),
            CompleteOutcome::kCompleted);
  const std::vector<JobRecord> open = OpenJobs().value();
  ASSERT_EQ(Ids(open), (std::vector<std::string>{"job_c", "job_b", "job_a"}));
  const ApiClient client = GetClient("acme")->value();
  const JobRecord completed = MustGet("job_0");

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(OpenJobs().value(), open);
  EXPECT_EQ(GetClient("acme").value(), std::optional<ApiClient>(client));
  EXPECT_EQ(FindClient(FakeSha256(1)).value(), std::optional<ApiClient>(client));
  EXPECT_EQ(UsageLog("acme").value(), (std::vector<int64_t>{kT0, kT0 + 1, kT0 + 2, kT0 + 3}));
  EXPECT_EQ(MustGet("job_0"), completed);
  EXPECT_EQ(Blob(FakeSha256(9)).value(), std::optional<std::string>("result"));
  // A taken-over job goes on where it was, and keys are still remembered.
  ASSERT_TRUE(Release("job_c", 1, kT0 + 10).ok());
  ASSERT_TRUE(Fail("job_b", 1, "server restarted", kT0 + 10).ok());
  EXPECT_EQ(UsageCount("acme"), 3);
  const Result<CreateJobOutcome> repeat =
      Create(NewJobRequest(NewJob("job_new", "acme", kT0 + 11), true, "key", "body"));
  ASSERT_TRUE(repeat.has_value()) << repeat.error().ToString();
  EXPECT_FALSE(repeat->created);
  EXPECT_EQ(repeat->job.job_id, "job_c");
}

TEST_P(JobContractTest, JobCallbacksArriveInIssueOrder) {
  std::vector<int> order;
  auto record = [&order](int i) { return [&order, i](auto) { order.push_back(i); }; };
  int issued = 0;
  for (int round = 0; round < 20; ++round) {
    const std::string id = "job_" + std::to_string(round);
    store().CreateJob(NewJobRequest(NewJob(id, "acme", kT0)), record(issued++));
    store().CreateJob(NewJobRequest(NewJob(id, "acme", kT0)), record(issued++));  // Taken.
    store().LeaseJob(id, JobLease{"node-a", "c", 1, kT0 + kLeaseMs}, kT0, record(issued++));
    store().LeaseJob(id, JobLease{"node-a", "c", 1, kT0 + kLeaseMs}, kT0, record(issued++));  // Refused.
    store().CompleteJob(id, Completion("node-a", 1, "r", 1), kT0, record(issued++));
    store().GetJob(id, record(issued++));
    store().GetBlob(FakeSha256(1), record(issued++));
  }
  Settle();
  ASSERT_EQ(order.size(), static_cast<size_t>(issued));
  for (int i = 0; i < issued; ++i) ASSERT_EQ(order[i], i);
  EXPECT_EQ(ClientJobs("acme", JobState::kCompleted).value().size(), 20u);
}

}  // namespace
}  // namespace sela::store::testing
