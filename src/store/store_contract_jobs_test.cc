// The Store contract for API clients and job creation (usage, idempotency);
// see store_contract_test.h. Every refusal is checked to have changed
// nothing. Job transitions and blobs: store_contract_job_transitions_test.cc.
#include <string>
#include <vector>

#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = StoreTimeZeroMs();
constexpr int64_t kLeaseMs = JobContractTest::kLeaseMs;

// ---- API clients ----

TEST_P(JobContractTest, RegisterApiClientStartsAtZeroUsageAndIsFoundByUuidAndKeyHash) {
  ApiClient client = Client("beta", 50, 2, kT0 + 5);
  client.usage_count = 7;  // Ignored: a client starts at 0.
  const Result<ApiClient> stored = RegisterClient(client);
  ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
  client.usage_count = 0;
  EXPECT_EQ(*stored, client);
  EXPECT_EQ(GetClient("beta").value(), std::optional<ApiClient>(client));
  EXPECT_EQ(FindClient(FakeSha256(2)).value(), std::optional<ApiClient>(client));
}

TEST_P(JobContractTest, UnknownApiClientsAreEmpty) {
  EXPECT_FALSE(GetClient("nobody").value().has_value());
  EXPECT_FALSE(FindClient(FakeSha256(999)).value().has_value());
  EXPECT_TRUE(UsageLog("nobody").value().empty());
}

TEST_P(JobContractTest, RegisterApiClientRefusesATakenUuidAndWritesNothing) {
  const ApiClient before = GetClient("acme")->value();
  const Result<ApiClient> again = RegisterClient(Client("acme", 5, 2));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists) << again.error().ToString();
  EXPECT_EQ(GetClient("acme").value(), std::optional<ApiClient>(before));
  EXPECT_FALSE(FindClient(FakeSha256(2)).value().has_value());
}

TEST_P(JobContractTest, RegisterApiClientRefusesATakenKeyHashAndWritesNothing) {
  const Result<ApiClient> same_key = RegisterClient(Client("beta", 5, 1));
  ASSERT_FALSE(same_key.has_value());
  EXPECT_EQ(same_key.error().code(), Code::kAlreadyExists) << same_key.error().ToString();
  EXPECT_FALSE(GetClient("beta").value().has_value());
  EXPECT_EQ(FindClient(FakeSha256(1)).value()->uuid, "acme");
}

TEST_P(JobContractTest, RegisterApiClientRefusesMalformedClients) {
  ApiClient no_uuid = Client("", 5, 2);
  ApiClient upper_hash = Client("beta", 5, 2);
  upper_hash.key_hash = std::string(64, 'A');
  ApiClient short_hash = Client("beta", 5, 2);
  short_hash.key_hash.pop_back();
  ApiClient negative_limit = Client("beta", -1, 2);
  ApiClient negative_time = Client("beta", 5, 2, -1);
  ApiClient long_uuid = Client(std::string(100'000, 'u'), 5, 2);
  for (const ApiClient& client :
       {no_uuid, upper_hash, short_hash, negative_limit, negative_time, long_uuid}) {
    const Result<ApiClient> refused = RegisterClient(client);
    ASSERT_FALSE(refused.has_value()) << client.uuid.substr(0, 10);
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  EXPECT_FALSE(GetClient("beta").value().has_value());
  EXPECT_FALSE(FindClient(FakeSha256(2)).value().has_value());
}

TEST_P(JobContractTest, ApiClientReadsRefuseMalformedKeys) {
  EXPECT_EQ(GetClient("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(FindClient("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(FindClient("not-a-hash").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(UsageLog("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(UsageLog("acme", -1, 5).error().code(), Code::kInvalidArgument);
}

TEST_P(JobContractTest, GetUsageLogReturnsChargedTimesInTheInclusiveRangeAscending) {
  for (int64_t t : {kT0 + 30, kT0 + 10, kT0 + 20, kT0 + 40}) {
    MustCreate(NewJob("job_" + std::to_string(t), "acme", t));
  }
  MustCreate(NewJob("job_free", "acme", kT0 + 25), /*charge_usage=*/false);
  EXPECT_EQ(UsageLog("acme").value(),
            (std::vector<int64_t>{kT0 + 10, kT0 + 20, kT0 + 30, kT0 + 40}));
  EXPECT_EQ(UsageLog("acme", kT0 + 20, kT0 + 30).value(),
            (std::vector<int64_t>{kT0 + 20, kT0 + 30}));
  EXPECT_TRUE(UsageLog("acme", kT0 + 41, kT0 + 100).value().empty());
  EXPECT_TRUE(UsageLog("acme", kT0 + 30, kT0 + 20).value().empty());
}

// ---- CreateJob ----

TEST_P(JobContractTest, CreateJobStoresThePendingJobAndChargesOneUsage) {
  JobRecord job = NewJob("job_1", "acme", kT0 + 1, /*sync=*/true);
  job.target_node = "node-b";  // Kept as given.
  const Result<CreateJobOutcome> outcome = Create(NewJobRequest(job));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().ToString();
  EXPECT_TRUE(outcome->created);
  JobRecord expected = job;
  expected.usage_charged = true;
  EXPECT_EQ(outcome->job, expected);
  EXPECT_EQ(GetJob("job_1").value(), std::optional<JobRecord>(expected));
  EXPECT_EQ(UsageCount("acme"), 1);
  EXPECT_EQ(UsageLog("acme").value(), std::vector<int64_t>{kT0 + 1});
}

TEST_P(JobContractTest, CreateJobWithoutChargeLeavesUsageAlone) {
  JobRecord job = NewJob("job_1", "acme", kT0);
  job.usage_charged = true;  // Set by the store, not by the caller.
  const JobRecord stored = MustCreate(job, /*charge_usage=*/false);
  EXPECT_FALSE(stored.usage_charged);
  EXPECT_FALSE(MustGet("job_1").usage_charged);
  EXPECT_EQ(UsageCount("acme"), 0);
  EXPECT_TRUE(UsageLog("acme").value().empty());
}

TEST_P(JobContractTest, CreateJobChargesUpToTheLimitExactlyThenIsExhausted) {
  ASSERT_TRUE(RegisterClient(Client("small", 3, 2)).has_value());
  for (int i = 0; i < 3; ++i) MustCreate(NewJob("job_" + std::to_string(i), "small", kT0 + i));
  EXPECT_EQ(UsageCount("small"), 3);
  const Result<CreateJobOutcome> refused = Create(NewJobRequest(NewJob("job_3", "small", kT0 + 3)));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted) << refused.error().ToString();
  EXPECT_FALSE(GetJob("job_3").value().has_value());
  EXPECT_EQ(UsageCount("small"), 3);
  EXPECT_EQ(UsageLog("small").value().size(), 3u);
  // A job that charges nothing is still accepted.
  MustCreate(NewJob("job_free", "small", kT0 + 4), /*charge_usage=*/false);
  EXPECT_EQ(UsageCount("small"), 3);
}

TEST_P(JobContractTest, CreateJobForAClientWithLimitZeroIsExhausted) {
  ASSERT_TRUE(RegisterClient(Client("none", 0, 2)).has_value());
  EXPECT_EQ(Create(NewJobRequest(NewJob("job_1", "none", kT0))).error().code(),
            Code::kResourceExhausted);
  EXPECT_FALSE(GetJob("job_1").value().has_value());
}

TEST_P(JobContractTest, CreateJobForAnUnknownClientIsNotFoundAndWritesNothing) {
  for (bool charge : {true, false}) {
    const Result<CreateJobOutcome> refused =
        Create(NewJobRequest(NewJob("job_1", "ghost", kT0), charge, "key", "hash"));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kNotFound) << refused.error().ToString();
  }
  EXPECT_FALSE(GetJob("job_1").value().has_value());
  EXPECT_FALSE(GetClient("ghost").value().has_value());
  EXPECT_TRUE(OpenJobs().value().empty());
}

TEST_P(JobContractTest, CreateJobWithATakenIdIsAlreadyExistsAndChargesNothing) {
  const JobRecord first = MustCreate(NewJob("job_1", "acme", kT0));
  JobRecord other = NewJob("job_1", "acme", kT0 + 9);
  other.target = "https://other.example/";
  const Result<CreateJobOutcome> refused = Create(NewJobRequest(other, true, "k1", "h1"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kAlreadyExists) << refused.error().ToString();
  EXPECT_EQ(MustGet("job_1"), first);
  EXPECT_EQ(UsageCount("acme"), 1);
  EXPECT_EQ(UsageLog("acme").value(), std::vector<int64_t>{kT0});
  // The refused request left no idempotency key behind.
  const Result<CreateJobOutcome> fresh = Create(NewJobRequest(NewJob("job_2", "acme", kT0), true,
                                                              "k1", "h2"));
  ASSERT_TRUE(fresh.has_value()) << fresh.error().ToString();
  EXPECT_TRUE(fresh->created);
}

TEST_P(JobContractTest, CreateJobMayCreateAJobAlreadyLeasedToItsFirstNode) {
  JobRecord job = NewJob("job_1", "acme", kT0);
  job.state = JobState::kOngoing;
  job.attempt = 1;
  job.node_principal = "node-a";
  job.node_client_id = "17";
  job.lease_deadline_ms = kT0 + 300'000;
  const Result<CreateJobOutcome> outcome = Create(NewJobRequest(job));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().ToString();
  JobRecord expected = job;
  expected.usage_charged = true;
  EXPECT_EQ(GetJob("job_1").value(), std::optional<JobRecord>(expected));
  EXPECT_EQ(UsageCount("acme"), 1);
  // It is open, and its first lease completes like any other.
  const auto open = OpenJobs().value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0], expected);
  EXPECT_EQ(Complete("job_1", Completion("node-a", 1, "[1]", 1), kT0 + 5).value(), CompleteOutcome::kCompleted);
}

TEST_P(JobContractTest, CreateJobRefusesMalformedJobsAndWritesNothing) {
  auto with = [](auto change) {
    CreateJobRequest request = NewJobRequest(NewJob("job_bad", "acme", kT0));
    change(request);
    return request;
  };
  const CreateJobRequest bad[] = {
      with([](CreateJobRequest& r) { r.job.job_id = ""; }),
      with([](CreateJobRequest& r) { r.job.client_uuid = ""; }),
      with([](CreateJobRequest& r) { r.job.job_type = ""; }),
      with([](CreateJobRequest& r) { r.job.state = JobState::kOngoing; }),  // Attempt 0, no node.
      with([](CreateJobRequest& r) {
        r.job.state = JobState::kOngoing;  // No node.
        r.job.attempt = 1;
        r.job.lease_deadline_ms = kT0 + 1000;
      }),
      with([](CreateJobRequest& r) {
        r.job.state = JobState::kOngoing;  // Not the first lease.
        r.job.attempt = 2;
        r.job.node_principal = "node-a";
        r.job.lease_deadline_ms = kT0 + 1000;
      }),
      with([](CreateJobRequest& r) { r.job.state = JobState::kCompleted; }),
      with([](CreateJobRequest& r) { r.job.state = static_cast<JobState>(9); }),
      with([](CreateJobRequest& r) { r.job.attempt = 1; }),
      with([](CreateJobRequest& r) { r.job.max_attempts = 0; }),
      with([](CreateJobRequest& r) { r.job.created_ms = -1; }),
      with([](CreateJobRequest& r) { r.job.deadline_ms = -5; }),
      with([](CreateJobRequest& r) { r.job.post_count = -1; }),
      with([](CreateJobRequest& r) { r.job.target = std::string(1'000'000, 't'); }),
      with([](CreateJobRequest& r) { r.job.job_id = std::string(100'000, 'j'); }),
      with([](CreateJobRequest& r) { r.idempotency_key = "key"; }),  // No request hash.
      with([](CreateJobRequest& r) { r.idempotency_key = std::string(100'000, 'k'); }),
  };
  for (const CreateJobRequest& request : bad) {
    const Result<CreateJobOutcome> refused = Create(request);
    ASSERT_FALSE(refused.has_value()) << request.job.job_id.substr(0, 10);
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  EXPECT_TRUE(ClientJobs("acme").value().empty());
  EXPECT_EQ(UsageCount("acme"), 0);
  EXPECT_TRUE(UsageLog("acme").value().empty());
}

TEST_P(JobContractTest, ARepeatedIdempotencyKeyDeliversTheFirstJobAndWritesNothing) {
  const Result<CreateJobOutcome> first =
      Create(NewJobRequest(NewJob("job_1", "acme", kT0), true, "key-1", "body-a"));
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  ASSERT_TRUE(first->created);
  const Result<CreateJobOutcome> repeat =
      Create(NewJobRequest(NewJob("job_2", "acme", kT0 + 5), true, "key-1", "body-a"));
  ASSERT_TRUE(repeat.has_value()) << repeat.error().ToString();
  EXPECT_FALSE(repeat->created);
  EXPECT_EQ(repeat->job, first->job);
  EXPECT_FALSE(GetJob("job_2").value().has_value());
  EXPECT_EQ(UsageCount("acme"), 1);
  EXPECT_EQ(UsageLog("acme").value(), std::vector<int64_t>{kT0});
}

TEST_P(JobContractTest, ARepeatedIdempotencyKeyDeliversTheJobAsItIsNow) {
  MustCreate(NewJob("job_0", "acme", kT0));
  ASSERT_TRUE(Create(NewJobRequest(NewJob("job_1", "acme", kT0), true, "key-1", "body-a"))
                  .has_value());
  ASSERT_TRUE(Lease("job_1", "node-a", 1, kT0 + kLeaseMs, kT0).ok());
  const Result<CreateJobOutcome> repeat =
      Create(NewJobRequest(NewJob("job_2", "acme", kT0 + 5), true, "key-1", "body-a"));
  ASSERT_TRUE(repeat.has_value()) << repeat.error().ToString();
  EXPECT_FALSE(repeat->created);
  EXPECT_EQ(repeat->job, MustGet("job_1"));
  EXPECT_EQ(repeat->job.state, JobState::kOngoing);
}

TEST_P(JobContractTest, ARepeatedIdempotencyKeyIsServedEvenAtTheUsageLimit) {
  ASSERT_TRUE(RegisterClient(Client("small", 1, 2)).has_value());
  const CreateJobRequest request = NewJobRequest(NewJob("job_1", "small", kT0), true, "k", "h");
  ASSERT_TRUE(Create(request).has_value());
  CreateJobRequest again = request;
  again.job.job_id = "job_2";
  const Result<CreateJobOutcome> repeat = Create(again);
  ASSERT_TRUE(repeat.has_value()) << repeat.error().ToString();
  EXPECT_FALSE(repeat->created);
  EXPECT_EQ(repeat->job.job_id, "job_1");
  EXPECT_EQ(UsageCount("small"), 1);
}

TEST_P(JobContractTest, AnIdempotencyKeyWithADifferentRequestIsAConflictAndWritesNothing) {
  const JobRecord first =
      Create(NewJobRequest(NewJob("job_1", "acme", kT0), true, "key-1", "body-a"))->job;
  const Result<CreateJobOutcome> refused =
      Create(NewJobRequest(NewJob("job_2", "acme", kT0 + 5), true, "key-1", "body-b"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kConflict) << refused.error().ToString();
  EXPECT_FALSE(GetJob("job_2").value().has_value());
  EXPECT_EQ(MustGet("job_1"), first);
  EXPECT_EQ(UsageCount("acme"), 1);
}

TEST_P(JobContractTest, IdempotencyKeysBelongToOneClient) {
  ASSERT_TRUE(RegisterClient(Client("beta", 10, 2)).has_value());
  ASSERT_TRUE(Create(NewJobRequest(NewJob("job_1", "acme", kT0), true, "key", "body-a")).has_value());
  const Result<CreateJobOutcome> other =
      Create(NewJobRequest(NewJob("job_2", "beta", kT0), true, "key", "body-b"));
  ASSERT_TRUE(other.has_value()) << other.error().ToString();
  EXPECT_TRUE(other->created);
  EXPECT_EQ(other->job.client_uuid, "beta");
  EXPECT_EQ(UsageCount("beta"), 1);
}

TEST_P(JobContractTest, RequestsWithoutAKeyAreNeverDeduplicated) {
  MustCreate(NewJob("job_1", "acme", kT0));
  MustCreate(NewJob("job_2", "acme", kT0));
  EXPECT_EQ(Ids(ClientJobs("acme").value()), (std::vector<std::string>{"job_1", "job_2"}));
  EXPECT_EQ(UsageCount("acme"), 2);
}

TEST_P(JobContractTest, ARefusedCreateInABatchUndoesOnlyItself) {
  posts_.HoldNextPost();
  store().Ping([](Status) {});
  posts_.WaitUntilHeld();
  std::vector<Code> codes;
  auto record = [&codes](Result<CreateJobOutcome> r) {
    codes.push_back(r.has_value() ? Code::kOk : r.error().code());
  };
  store().CreateJob(NewJobRequest(NewJob("job_1", "acme", kT0)), record);
  store().CreateJob(NewJobRequest(NewJob("job_1", "acme", kT0 + 1)), record);  // Taken id.
  store().CreateJob(NewJobRequest(NewJob("job_2", "ghost", kT0 + 2)), record);
  store().CreateJob(NewJobRequest(NewJob("job_3", "acme", kT0 + 3)), record);
  posts_.Release();
  Settle();
  EXPECT_EQ(codes, (std::vector<Code>{Code::kOk, Code::kAlreadyExists, Code::kNotFound,
                                      Code::kOk}));
  EXPECT_EQ(UsageCount("acme"), 2);
  EXPECT_EQ(UsageLog("acme").value(), (std::vector<int64_t>{kT0, kT0 + 3}));
  EXPECT_EQ(Ids(ClientJobs("acme").value()), (std::vector<std::string>{"job_1", "job_3"}));
}

}  // namespace
}  // namespace sela::store::testing
