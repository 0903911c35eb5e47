// JobService on a real SqliteStore behind a FaultInjectionStore, with a fake
// clock and a recording node sender: the paths where the store refuses or
// races (AbortSettle, a job failing while its result is stored, repeated
// results, refused leases and creations), and a scrapeUrl whose stored
// result cannot be read.
#include "api/job_service.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/api_test_util.h"
#include "api/rpc_routes.h"
#include "auth/api_key.h"
#include "core/points.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_messages.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_contract_test.h"
#include "testing/fake_clock.h"
#include "testing/fault_injection_store.h"
#include "testing/recording_node_sender.h"

namespace sela::api {
namespace {

namespace v1 = protocol::v1;
using sela::testing::FaultInjectionStore;
using sela::testing::StoreOp;

constexpr int64_t kLeaseMs = 60'000;
constexpr int64_t kTypicalMs = 20'000;
constexpr char kClient[] = "acme";
constexpr char kKey[] = "key-of-acme";
constexpr char kResult[] = R"([{"text":"hello"}])";

class JobServiceTest : public ::testing::Test {
 protected:
  JobServiceTest() {
    store::SqliteOptions options;
    options.path = dir_.path() + "/sela.db";
    options.random = [n = uint64_t{0}]() mutable { return ++n * 0x9e3779b97f4a7c15u; };
    auto opened = store::SqliteStore::Open(options, posts_.AsPostFn());
    if (!opened) {
      ADD_FAILURE() << opened.error().ToString();
      std::abort();
    }
    sqlite_ = std::move(opened).value();
    faults_ = std::make_unique<FaultInjectionStore>(*sqlite_);
    JobServiceOptions service_options;
    service_options.lease_ms = kLeaseMs;
    service_options.max_attempts = 2;
    service_options.open_jobs_max = 3;
    // Shorter than the lease, so that holding a job past it can be tried.
    service_options.rewards.job_typical_ms["TWITTER_POST"] = kTypicalMs;
    jobs_ = std::make_unique<JobService>(service_options, clock_, *faults_, registry_, metrics_);
    jobs_->Attach(&sender_);
    store::ApiClient client{kClient, auth::Sha256Hex(kKey), 0, 1000, clock_.WallMs()};
    sqlite_->RegisterApiClient(client, [](Result<store::ApiClient> r) { ASSERT_TRUE(r.has_value()); });
    Settle();
  }

  ~JobServiceTest() override {
    Settle();
    jobs_.reset();
    sqlite_.reset();
  }

  // Runs store callbacks (and what they issue) until nothing is left.
  void Settle() {
    do {
      sqlite_->Flush();
    } while (posts_.RunAll() > 0);
  }

  nodes::NodeIndex Online(std::string principal) {
    const nodes::NodeIndex node = registry_.Connect(principal, clock_.WallMs(), clock_.WallMs());
    jobs_->NodeOnline(node);
    Settle();
    return node;
  }

  // Submits a scrapeUrl-like job and waits for it; returns its id.
  std::string Submit(int64_t timeout_ms = 0) {
    Result<store::CreateJobOutcome> outcome = TrySubmit(timeout_ms);
    EXPECT_TRUE(outcome.has_value()) << outcome.error().ToString();
    if (!outcome) return "";
    const std::string id = outcome->job.job_id;
    EXPECT_TRUE(jobs_->Wait(id, [this](const JobOutcome& o) { outcomes_.push_back(o); }));
    return id;
  }

  Result<store::CreateJobOutcome> TrySubmit(int64_t timeout_ms = 0) {
    store::CreateJobRequest request;
    request.job.client_uuid = kClient;
    request.job.job_type = "TWITTER_POST";
    request.job.target = "https://x.com/a/status/1";
    request.job.sync = true;
    std::optional<Result<store::CreateJobOutcome>> got;
    jobs_->Submit(std::move(request), timeout_ms, [&got](Result<store::CreateJobOutcome> r) { got = std::move(r); });
    Settle();
    if (!got) {
      ADD_FAILURE() << "Submit never answered";
      return Err(Internal("no answer"));
    }
    return std::move(*got);
  }

  // Issues a node's result; Settle() delivers its reply to replies_.
  // The session is the node's one session (RecordingNodeSender names it).
  void IssueResult(const std::string& principal, const std::string& job_id, const char* content_json) {
    std::optional<boost::json::value> content;
    if (content_json) content = boost::json::parse(content_json);
    const std::string client_id = sender_.LeaseClientId(registry_.Find(principal));
    const bool has_content = content.has_value();
    jobs_->OnResult(principal, client_id, job_id, std::move(content), [this, job_id, has_content](ResultOutcome o) {
      replies_.push_back(EncodeV1ResultReply(o, job_id, has_content, clock_.WallMs()));
    });
  }
  // The reply to one result, issued and settled.
  std::string ReplyTo(const std::string& principal, const std::string& job_id, const char* content_json) {
    replies_.clear();
    IssueResult(principal, job_id, content_json);
    Settle();
    EXPECT_EQ(replies_.size(), 1u);
    return replies_.empty() ? "" : replies_.back();
  }

  store::JobRecord Stored(const std::string& job_id) {
    std::optional<store::JobRecord> job;
    sqlite_->GetJob(job_id, [&job](Result<std::optional<store::JobRecord>> r) {
      ASSERT_TRUE(r.has_value() && r->has_value());
      job = **r;
    });
    Settle();
    return job.value_or(store::JobRecord{});
  }

  uint64_t Count(std::string_view counter) { return metrics_.GetCounter(counter, "").value(); }

  store::testing::TempDir dir_;
  store::testing::PostQueue posts_;
  sela::testing::FakeClock clock_;
  MetricsRegistry metrics_;
  nodes::NodeRegistry registry_;
  sela::testing::RecordingNodeSender sender_;
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<FaultInjectionStore> faults_;
  std::unique_ptr<JobService> jobs_;
  std::vector<JobOutcome> outcomes_;
  std::vector<std::string> replies_;
};

TEST_F(JobServiceTest, AResultIsStoredThenAcknowledgedThenHandedToTheWaiter) {
  const nodes::NodeIndex node = Online("node-a");
  const std::string id = Submit();
  ASSERT_EQ(sender_.JobsSentTo(node), std::vector<std::string>{id});
  clock_.Advance(Millis(1500));
  const int64_t reward = 1500 * JobServiceOptions().rewards.job_units_per_second / 1000;
  EXPECT_EQ(ReplyTo("node-a", id, kResult), v1::EncodeJobComplete(id, Sp(reward), clock_.WallMs()));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kCompleted);
  EXPECT_EQ(outcomes_[0].job, Stored(id));  // The waiter's copy is what the store has.
  EXPECT_EQ(Stored(id).state, store::JobState::kCompleted);
  EXPECT_FALSE(jobs_->IsOpen(id));
}

// Holding a job (a customer targeting its own node, say) earns no more than
// doing it: time counts up to the kind's typical time (the original paid
// 0.012 SP for every second held, up to the lease).
TEST_F(JobServiceTest, HoldingAJobPastItsKindsTypicalTimeEarnsNoMore) {
  Online("node-a");
  const std::string id = Submit();
  clock_.Advance(Millis(kLeaseMs - 5'000));
  const int64_t reward = kTypicalMs * JobServiceOptions().rewards.job_units_per_second / 1000;
  EXPECT_EQ(reward, 24'000'000) << "0.24 SP for the 20 s counted, not 0.66 for the 55 s held";
  EXPECT_EQ(ReplyTo("node-a", id, kResult), v1::EncodeJobComplete(id, Sp(reward), clock_.WallMs()));
  EXPECT_EQ(Stored(id).reward_units, reward);
}

TEST_F(JobServiceTest, AStoreErrorOnAResultReopensTheJobAndTheNodeMaySendItAgain) {
  Online("node-a");
  const std::string id = Submit();
  faults_->FailOp(StoreOp::kCompleteJob, Unavailable("database is locked"), 1);
  // The node learns to retry, not the store's text.
  EXPECT_EQ(ReplyTo("node-a", id, kResult),
            v1::EncodeHandlerFailed("Service temporarily unavailable, retry later"));
  EXPECT_TRUE(outcomes_.empty());
  EXPECT_TRUE(jobs_->IsOpen(id));
  EXPECT_EQ(jobs_->engine().HeldBy(id, "node-a"), std::optional<uint32_t>(1));
  EXPECT_EQ(Stored(id).state, store::JobState::kOngoing);
  // Open as before, its lease included: it expires, and the job is leased
  // again (to the only node there is).
  clock_.Advance(Millis(kLeaseMs));
  jobs_->Tick();
  Settle();
  EXPECT_EQ(Stored(id).attempt, 2u);
  EXPECT_EQ(Count("sela_job_leases_ended_total"), 1u);

  EXPECT_NE(ReplyTo("node-a", id, kResult).find("JobComplete"), std::string::npos);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kCompleted);
  EXPECT_EQ(Stored(id).state, store::JobState::kCompleted);
}

TEST_F(JobServiceTest, AStoreErrorFailingAnEmptyResultReopensTheJob) {
  Online("node-a");
  const std::string id = Submit();
  faults_->FailOp(StoreOp::kFailJob, Internal("disk I/O error"), 1);
  EXPECT_EQ(ReplyTo("node-a", id, "[]"), v1::EncodeHandlerFailed("Internal server error"));
  EXPECT_TRUE(outcomes_.empty());
  EXPECT_EQ(jobs_->engine().HeldBy(id, "node-a"), std::optional<uint32_t>(1));
  EXPECT_EQ(Stored(id).state, store::JobState::kOngoing);
  clock_.Advance(Millis(kLeaseMs));  // Its lease runs again.
  jobs_->Tick();
  Settle();
  EXPECT_EQ(Stored(id).attempt, 2u);

  EXPECT_EQ(ReplyTo("node-a", id, nullptr), v1::EncodeJobFailedNoData(id, clock_.WallMs()));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kFailed);
  EXPECT_EQ(outcomes_[0].job.failure_reason, store::FailureReason::kNoData);
  EXPECT_EQ(Stored(id).failure_reason, store::FailureReason::kNoData);
  EXPECT_EQ(Count("sela_jobs_failed_total"), 1u);
}

// Large results (job_results.cc): a result over the WebSocket message limit
// fails its job at once, with an error naming the limit, rather than getting
// its node closed and the job retried until it runs out of attempts.
TEST_F(JobServiceTest, AResultOverTheMessageLimitFailsItsJobAtOnceNamingTheLimit) {
  Online("node-a");
  const std::string id = Submit();
  std::vector<std::string> replies;
  const auto keep = [this, &replies, id](ResultOutcome o) {
    replies.push_back(EncodeV1ResultReply(o, id, true, clock_.WallMs()));
  };
  jobs_->OnResultTooLarge("node-b", id, 20'000'000, 16'777'216, keep);
  ASSERT_EQ(replies.size(), 1u);  // Not the holder: refused, the job untouched.
  EXPECT_NE(replies[0].find("JOB_NOT_ASSIGNED"), std::string::npos) << replies[0];
  EXPECT_TRUE(jobs_->IsOpen(id));

  jobs_->OnResultTooLarge("node-a", id, 20'000'000, 16'777'216, keep);
  Settle();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_NE(replies[1].find("RESULT_TOO_LARGE"), std::string::npos) << replies[1];
  EXPECT_NE(replies[1].find("WS_MAX_MESSAGE_BYTES (16777216 bytes)"), std::string::npos) << replies[1];
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kFailed);
  EXPECT_EQ(outcomes_[0].job.failure_reason, store::FailureReason::kTooLarge);
  EXPECT_EQ(outcomes_[0].job.error,
            "Result of 20000000 bytes is over WS_MAX_MESSAGE_BYTES (16777216 bytes): upload it as a file "
            "(POST /api/files with the job_id) and report its file_id");
  EXPECT_EQ(Stored(id).state, store::JobState::kFailed);
  EXPECT_EQ(Stored(id).failure_reason, store::FailureReason::kTooLarge);
  EXPECT_EQ(Stored(id).attempt, 1u);  // Not retried.
  EXPECT_FALSE(jobs_->IsOpen(id));
}

TEST_F(JobServiceTest, AResultFileOverFileBytesMaxFailsItsJobAtOnce) {
  Online("node-a");
  const std::string id = Submit();
  jobs_->OnResultFileTooLarge("node-b", id, 300, 200);  // Not the holder: nothing.
  Settle();
  EXPECT_TRUE(jobs_->IsOpen(id));
  jobs_->OnResultFileTooLarge("node-a", id, 300, 200);
  Settle();
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].job.failure_reason, store::FailureReason::kTooLarge);
  EXPECT_EQ(Stored(id).error, "Result file of 300 bytes is over FILE_BYTES_MAX (200 bytes)");
  EXPECT_EQ(Stored(id).failure_reason, store::FailureReason::kTooLarge);
}

// Without a files module, a result named by file id is refused and the job
// stays with its node, which may still send the result inline.
TEST_F(JobServiceTest, AResultFileWithoutFilesIsRefusedAndTheLeaseKept) {
  Online("node-a");
  const std::string id = Submit();
  replies_.clear();
  jobs_->OnResult(
      "node-a", sender_.LeaseClientId(registry_.Find("node-a")), id, std::nullopt,
      [this, id](ResultOutcome o) { replies_.push_back(EncodeV1ResultReply(o, id, true, clock_.WallMs())); },
      "file_1_0123456789abcdef");
  Settle();
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_NE(replies_[0].find("files are not served here"), std::string::npos) << replies_[0];
  EXPECT_EQ(jobs_->engine().HeldBy(id, "node-a"), std::optional<uint32_t>(1));
  EXPECT_NE(ReplyTo("node-a", id, kResult).find("JobComplete"), std::string::npos);
}

TEST_F(JobServiceTest, AStoreErrorFailingAnExpiredJobKeepsItOpenUntilTheNextTick) {
  const std::string id = Submit(/*timeout_ms=*/1000);
  EXPECT_EQ(Stored(id).deadline_ms, Stored(id).created_ms + 1000);  // Absolute in the store.
  clock_.Advance(Millis(1000));
  faults_->FailOp(StoreOp::kFailJob, Unavailable("database is locked"), 1);
  jobs_->Tick();
  Settle();
  EXPECT_TRUE(outcomes_.empty());
  EXPECT_TRUE(jobs_->IsOpen(id));
  EXPECT_EQ(Stored(id).state, store::JobState::kPending);

  jobs_->Tick();
  Settle();
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kFailed);
  EXPECT_EQ(outcomes_[0].job.failure_reason, store::FailureReason::kDeadline);
  EXPECT_EQ(outcomes_[0].job.error, "Job " + id + " timed out after 1000ms");
  EXPECT_EQ(Stored(id).failure_reason, store::FailureReason::kDeadline);
  EXPECT_EQ(faults_->issued(StoreOp::kFailJob), 2u);
}

// The deadline passes and the result comes while the failure is on its way
// to the store: the store has the job failed first, refuses the result, and
// the node hears so; the waiter hears the failure once.
TEST_F(JobServiceTest, AResultThatRacesTheDeadlineIsRefusedAndTheJobStaysFailed) {
  Online("node-a");
  const std::string id = Submit(/*timeout_ms=*/5000);
  clock_.Advance(Millis(5000));
  jobs_->Tick();                          // FailJob issued, not applied yet.
  IssueResult("node-a", id, kResult);     // CompleteJob issued behind it.
  Settle();
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_EQ(replies_[0], v1::EncodeResultRejected("Job is not leased to this node", "JOB_NOT_ASSIGNED"));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kFailed);
  EXPECT_EQ(outcomes_[0].job.failure_reason, store::FailureReason::kDeadline);
  EXPECT_EQ(Stored(id).state, store::JobState::kFailed);
  EXPECT_FALSE(jobs_->IsOpen(id));
  EXPECT_EQ(Count("sela_job_results_refused_total"), 1u);
}

// The other order: the store has the job completed (by this node's result
// through another process) when this one fails it at its deadline. The
// waiter learns that it ended elsewhere, the job is not counted as failed,
// and the node's own copy of the result is a repeat.
TEST_F(JobServiceTest, AJobCompletedInTheStoreWhileItFailsHereEndsAsCompletedElsewhere) {
  Online("node-a");
  const std::string id = Submit(/*timeout_ms=*/5000);
  store::JobCompletion completion;
  completion.node_principal = "node-a";
  completion.attempt = 1;
  completion.result = kResult;
  completion.result_hash = auth::Sha256Hex(completion.result);
  completion.result_content_type = "application/json";
  sqlite_->CompleteJob(id, completion, clock_.WallMs(), [](Result<store::CompleteOutcome> r) {
    ASSERT_EQ(r.value(), store::CompleteOutcome::kCompleted);
  });
  Settle();
  clock_.Advance(Millis(5000));
  jobs_->Tick();
  Settle();
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].kind, JobOutcome::Kind::kCompletedElsewhere);
  EXPECT_EQ(outcomes_[0].job.job_id, id);
  EXPECT_FALSE(jobs_->IsOpen(id));
  EXPECT_EQ(Count("sela_jobs_failed_total"), 0u);
  EXPECT_EQ(Stored(id).state, store::JobState::kCompleted);
  EXPECT_NE(ReplyTo("node-a", id, kResult).find("JobComplete"), std::string::npos);
  EXPECT_EQ(Count("sela_job_results_repeated_total"), 1u);
}

TEST_F(JobServiceTest, ARepeatedResultIsAcknowledgedAndChangesNothing) {
  Online("node-a");
  const std::string id = Submit();
  clock_.Advance(Millis(2000));
  const std::string first = ReplyTo("node-a", id, kResult);
  const store::JobRecord stored = Stored(id);
  EXPECT_EQ(first, v1::EncodeJobComplete(id, Sp(stored.reward_units), clock_.WallMs()));
  clock_.Advance(Millis(3000));
  EXPECT_EQ(ReplyTo("node-a", id, kResult), v1::EncodeJobComplete(id, Sp(stored.reward_units), clock_.WallMs()));
  EXPECT_EQ(Stored(id), stored);
  EXPECT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(Count("sela_job_results_repeated_total"), 1u);
  EXPECT_EQ(Count("sela_jobs_completed_total"), 1u);
}

// Both copies reach the store before either is acknowledged: the second is
// the store's repeat and is acknowledged with what the first stored.
TEST_F(JobServiceTest, ARepeatThatRacesTheFirstIsAcknowledgedWithWhatWasStored) {
  Online("node-a");
  const std::string id = Submit();
  clock_.Advance(Millis(2000));
  IssueResult("node-a", id, kResult);
  IssueResult("node-a", id, kResult);
  Settle();
  const store::JobRecord stored = Stored(id);
  ASSERT_EQ(replies_.size(), 2u);
  EXPECT_EQ(replies_[0], v1::EncodeJobComplete(id, Sp(stored.reward_units), clock_.WallMs()));
  EXPECT_EQ(replies_[1], v1::EncodeJobComplete(id, Sp(stored.reward_units), stored.complete_ms));
  EXPECT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(Count("sela_job_results_repeated_total"), 1u);
  EXPECT_EQ(Count("sela_jobs_completed_total"), 1u);
}

TEST_F(JobServiceTest, AResultFromANodeThatDoesNotHoldTheLeaseIsRefused) {
  Online("node-a");
  Online("node-b");
  const std::string id = Submit();
  EXPECT_EQ(ReplyTo("node-b", id, kResult), v1::EncodeResultRejected("Job is not leased to this node", "JOB_NOT_ASSIGNED"));
  EXPECT_EQ(ReplyTo("node-b", "job_unknown", kResult),
            v1::EncodeResultRejected(v1::kJobNotFoundReason, v1::kErrorTypeInternal));
  EXPECT_EQ(Stored(id).state, store::JobState::kOngoing);
  EXPECT_EQ(Count("sela_job_results_refused_total"), 2u);
}

TEST_F(JobServiceTest, ALeaseTheStoreRefusesIsUndoneAndHandedOutAgain) {
  const std::string id = Submit();  // No node yet: pending.
  faults_->FailOp(StoreOp::kLeaseJob, Unavailable("database is locked"), 1);
  const nodes::NodeIndex node = Online("node-a");  // Leased, sent, refused by the store.
  EXPECT_EQ(sender_.JobsSentTo(node), std::vector<std::string>{id});
  EXPECT_EQ(Stored(id).state, store::JobState::kPending);
  EXPECT_EQ(jobs_->engine().HeldBy(id, "node-a"), std::nullopt);
  EXPECT_EQ(registry_.View(node)->active_jobs, 0u);

  jobs_->Tick();
  Settle();
  EXPECT_EQ(sender_.JobsSentTo(node), (std::vector<std::string>{id, id}));
  EXPECT_EQ(Stored(id).state, store::JobState::kOngoing);
  EXPECT_EQ(Stored(id).attempt, 1u);
  EXPECT_EQ(jobs_->engine().HeldBy(id, "node-a"), std::optional<uint32_t>(1));
  EXPECT_EQ(registry_.View(node)->active_jobs, 1u);
}

TEST_F(JobServiceTest, RefusedCreationsAreWordedForTheCustomerAndLeaveNothingOpen) {
  Online("node-a");
  struct Case {
    Status store;
    Code code;
    std::string message;
  };
  const Case cases[] = {
      {ResourceExhausted("API client acme has used 5 of its 5 usages"), Code::kResourceExhausted,
       "Rate limit exceeded"},
      {Conflict("idempotency key of client acme was used with a different request"), Code::kConflict,
       "Idempotency-Key was already used with a different request"},
      {NotFound("no API client with uuid acme"), Code::kUnauthenticated, "Invalid API key"},
      {Unavailable("database is locked"), Code::kUnavailable, "the store is busy, retry later"},
      {Internal("disk I/O error"), Code::kInternal, "INTERNAL: disk I/O error"},
  };
  for (const Case& c : cases) {
    faults_->FailOp(StoreOp::kCreateJob, c.store, 1);
    const auto refused = TrySubmit();
    ASSERT_FALSE(refused.has_value()) << c.store.ToString();
    EXPECT_EQ(refused.error(), Status(c.code, c.message)) << c.store.ToString();
    EXPECT_EQ(jobs_->engine().open_jobs(), 0u) << c.store.ToString();
  }
  EXPECT_EQ(registry_.View(registry_.Find("node-a"))->active_jobs, 0u);
}

TEST_F(JobServiceTest, BeyondTheOpenJobsCapCreationIsResourceExhausted) {
  for (int i = 0; i < 3; ++i) Submit();
  const auto refused = TrySubmit();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), ResourceExhausted("Too many open jobs on this server, retry later"));
  EXPECT_EQ(faults_->issued(StoreOp::kCreateJob), 3u);  // The fourth never reached the store.
}

// ---- scrapeUrl reading a stored result ------------------------------------------

class ScrapeUrlTest : public JobServiceTest {
 protected:
  ScrapeUrlTest()
      : ctx_{RpcRoutesDeps{clock_, *faults_, registry_, *jobs_}, RpcRoutesOptions{}, {}} {}

  const RestRoute<RpcRoutesContext>& ScrapeRoute() {
    for (const auto& r : RpcRouteTable()) {
      if (r.info.id == "R13") return r;
    }
    std::abort();
  }

  // Issues scrapeUrl with an Idempotency-Key; the answer lands in answers_.
  void IssueScrape() {
    net::HttpRequest request = test_util::JsonRequest(
        "POST", "/api/rpc/scrapeUrl", R"({"url":"https://x.com/a/status/1","scrapeType":"TWITTER_POST"})",
        {{"Authorization", std::string("Bearer ") + kKey}, {"Idempotency-Key", "k-1"}});
    RunRestRoute(ScrapeRoute(), ctx_, ctx_.options.rest, request,
                 [this](net::HttpResponse r) { answers_.push_back(std::move(r)); });
    Settle();
  }

  RpcRoutesContext ctx_;
  std::vector<net::HttpResponse> answers_;
};

TEST_F(ScrapeUrlTest, AStoredResultThatCannotBeReadIsAServerErrorNotAResult) {
  Online("node-a");
  IssueScrape();
  ASSERT_EQ(sender_.sent().size(), 1u);
  const std::string id = sender_.sent()[0].job.job_id;
  EXPECT_NE(ReplyTo("node-a", id, kResult).find("JobComplete"), std::string::npos);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].status, 200u);

  // The same request again reads the job and its result from the store.
  faults_->FailOp(StoreOp::kGetBlob, Internal("disk I/O error"), 1);
  IssueScrape();
  ASSERT_EQ(answers_.size(), 2u);
  EXPECT_EQ(answers_[1].status, 500u);
  EXPECT_EQ(answers_[1].body, ErrorEnvelope("Failed to scrape URL", "null"));

  faults_->FailOp(StoreOp::kGetBlob, Unavailable("database is locked"), 1);
  IssueScrape();
  ASSERT_EQ(answers_.size(), 3u);
  EXPECT_EQ(answers_[2].status, 503u);

  IssueScrape();  // Healed: the stored result, as the first answer had it.
  ASSERT_EQ(answers_.size(), 4u);
  EXPECT_EQ(answers_[3].status, 200u);
  EXPECT_NE(answers_[3].body.find(R"("resultSource":"stored_file")"), std::string::npos) << answers_[3].body;
  EXPECT_EQ(faults_->issued(StoreOp::kGetBlob), 3u);
}

}  // namespace
}  // namespace sela::api
