// Fair use of the job queue (issue 11): one customer's share of the open
// jobs, JOB_MAX_AGE_MS, and cancel by the customer or an operator, on a real
// SqliteStore with a fake clock.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/job_service.h"
#include "api/security_events.h"
#include "auth/api_key.h"
#include "store/sqlite/sqlite_test_util.h"
#include "store/store_contract_test.h"
#include "testing/fake_clock.h"
#include "testing/recording_node_sender.h"

namespace sela::api {
namespace {

constexpr int64_t kLeaseMs = 60'000;
constexpr int64_t kMaxAgeMs = 10'000;

class JobFairUseTest : public ::testing::Test {
 protected:
  JobFairUseTest() {
    store_ = store::testing::OpenTestSqlite(dir_, posts_);
    JobServiceOptions o;
    o.lease_ms = kLeaseMs;
    o.open_jobs_max = 10;
    o.open_jobs_per_client_max = 3;
    o.job_max_age_ms = kMaxAgeMs;
    jobs_ = std::make_unique<JobService>(o, clock_, *store_, registry_, metrics_);
    jobs_->Attach(&sender_);
    jobs_->AttachEvents(&events_);
    for (const char* uuid : {"acme", "globex"}) {
      store::ApiClient client{uuid, auth::Sha256Hex(uuid), 0, 1000, clock_.WallMs()};
      store_->RegisterApiClient(client, [](Result<store::ApiClient> r) { ASSERT_TRUE(r.has_value()); });
    }
    Settle();
  }
  ~JobFairUseTest() override {
    Settle();
    jobs_.reset();
    store_.reset();
  }

  void Settle() {
    do {
      store_->Flush();
    } while (posts_.RunAll() > 0);
  }

  Result<store::CreateJobOutcome> Add(const std::string& client, int64_t timeout_ms = 0) {
    store::CreateJobRequest request;
    request.job.client_uuid = client;
    request.job.job_type = "TWITTER_POST";
    request.job.target = "https://x.com/a/status/1";
    std::optional<Result<store::CreateJobOutcome>> got;
    jobs_->Submit(std::move(request), timeout_ms, [&got](Result<store::CreateJobOutcome> r) { got = std::move(r); });
    Settle();
    if (!got) return Err(Internal("Submit never answered"));
    return std::move(*got);
  }
  std::string MustAdd(const std::string& client) {
    auto r = Add(client);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? r->job.job_id : "";
  }

  Result<store::JobRecord> Cancel(const std::string& id, std::optional<std::string> client) {
    std::optional<Result<store::JobRecord>> got;
    jobs_->Cancel(id, std::move(client), [&got](Result<store::JobRecord> r) { got = std::move(r); });
    Settle();
    if (!got) return Err(Internal("Cancel never answered"));
    return std::move(*got);
  }

  store::JobRecord Stored(const std::string& id) {
    std::optional<store::JobRecord> job;
    store_->GetJob(id, [&job](Result<std::optional<store::JobRecord>> r) {
      ASSERT_TRUE(r.has_value() && r->has_value());
      job = **r;
    });
    Settle();
    return job.value_or(store::JobRecord{});
  }

  nodes::NodeIndex Online(const std::string& principal) {
    const nodes::NodeIndex node = registry_.Connect(principal, clock_.WallMs(), clock_.WallMs());
    jobs_->NodeOnline(node);
    Settle();
    return node;
  }

  store::testing::TempDir dir_;
  store::testing::PostQueue posts_;
  sela::testing::FakeClock clock_;
  MetricsRegistry metrics_;
  SecurityEvents events_{metrics_, clock_};
  nodes::NodeRegistry registry_;
  sela::testing::RecordingNodeSender sender_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<JobService> jobs_;
};

TEST_F(JobFairUseTest, ACustomerOverItsShareIsRefusedWhileAnotherStillGetsIn) {
  for (int i = 0; i < 3; ++i) MustAdd("acme");
  const auto over = Add("acme");
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code(), Code::kResourceExhausted);
  EXPECT_NE(over.error().message().find("Too many open jobs for this client"), std::string::npos);
  EXPECT_EQ(events_.count(Refusal::kOpenJobsShare), 1u);
  EXPECT_TRUE(Add("globex").has_value());
  EXPECT_EQ(jobs_->engine().OpenJobsOf("acme"), 3u);
}

TEST_F(JobFairUseTest, ACancelledJobFreesItsCustomersShare) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(MustAdd("acme"));
  ASSERT_TRUE(Cancel(ids[0], "acme").has_value());
  EXPECT_TRUE(Add("acme").has_value());
}

TEST_F(JobFairUseTest, AJobNobodyWaitsForFailsAtItsMaximumAge) {
  const std::string id = MustAdd("acme");
  EXPECT_EQ(Stored(id).deadline_ms, Stored(id).created_ms + kMaxAgeMs);
  clock_.Advance(Millis(kMaxAgeMs - 1));
  jobs_->Tick();
  Settle();
  EXPECT_EQ(Stored(id).state, store::JobState::kPending);
  clock_.Advance(Millis(1));
  jobs_->Tick();
  Settle();
  EXPECT_EQ(Stored(id).state, store::JobState::kFailed);
  EXPECT_EQ(Stored(id).failure_reason, store::FailureReason::kDeadline);
  EXPECT_FALSE(jobs_->IsOpen(id));
}

TEST_F(JobFairUseTest, AScrapeTimeoutIsTheDeadlineNotTheMaximumAge) {
  auto r = Add("acme", 2'000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Stored(r->job.job_id).deadline_ms, Stored(r->job.job_id).created_ms + 2'000);
}

TEST_F(JobFairUseTest, TheCustomerCancelsAPendingJob) {
  const std::string id = MustAdd("acme");
  auto cancelled = Cancel(id, "acme");
  ASSERT_TRUE(cancelled.has_value()) << cancelled.error().ToString();
  EXPECT_EQ(cancelled->state, store::JobState::kFailed);
  EXPECT_EQ(cancelled->failure_reason, store::FailureReason::kCancelled);
  EXPECT_EQ(Stored(id).failure_reason, store::FailureReason::kCancelled);
  EXPECT_FALSE(jobs_->IsOpen(id));
}

TEST_F(JobFairUseTest, AnotherCustomersJobAnswersAsAMissingOne) {
  const std::string id = MustAdd("acme");
  const auto foreign = Cancel(id, "globex");
  const auto missing = Cancel("job_1_1", "globex");
  ASSERT_FALSE(foreign.has_value());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(foreign.error(), missing.error());
  EXPECT_EQ(foreign.error().code(), Code::kNotFound);
  EXPECT_EQ(Stored(id).state, store::JobState::kPending);
}

TEST_F(JobFairUseTest, AnOperatorCancelsAnyJobAndAnEndedOneIsAConflict) {
  const std::string id = MustAdd("acme");
  ASSERT_TRUE(Cancel(id, std::nullopt).has_value());
  EXPECT_EQ(Stored(id).error, "Job cancelled by an operator");
  const auto again = Cancel(id, std::nullopt);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kConflict);
  // Ended, yet still another customer's: that customer hears 404, not 409.
  EXPECT_EQ(Cancel(id, "globex").error().code(), Code::kNotFound);
}

// The node holding a cancelled job is not told; its result is refused as
// not leased, so nothing is stored and nothing is paid.
TEST_F(JobFairUseTest, ACancelledLeasedJobRefusesTheNodesResult) {
  const nodes::NodeIndex node = Online("node-a");
  const std::string id = MustAdd("acme");
  ASSERT_EQ(sender_.JobsSentTo(node), std::vector<std::string>{id});
  ASSERT_TRUE(Cancel(id, "acme").has_value());
  EXPECT_EQ(registry_.View(node)->active_jobs, 0u);
  std::optional<ResultOutcome> outcome;
  jobs_->OnResult("node-a", sender_.LeaseClientId(node), id, boost::json::parse(R"([{"text":"x"}])"),
                  [&outcome](ResultOutcome o) { outcome = std::move(o); });
  Settle();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->kind, ResultOutcome::Kind::kNotLeased);
  EXPECT_EQ(Stored(id).state, store::JobState::kFailed);
  EXPECT_EQ(Stored(id).reward_units, 0);
  EXPECT_EQ(Stored(id).result_hash, "");
}

}  // namespace
}  // namespace sela::api
