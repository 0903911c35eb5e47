// JobService on a real SqliteStore behind a FaultInjectionStore, with a fake
// clock and a recording node sender: the paths where the store refuses or
// races (AbortSettle, a job failing while its result is stored, repeated
// results, refused leases and creations), and a scrapeUrl whose stored
// result cannot be read.
#include "api/job_service_test_fixture.h"

namespace sela::api {
namespace {

using namespace job_service_testing;  // NOLINT: the fixture and its constants.

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
  EXPECT_EQ(Balance("node-a"), 0) << "an empty result earns nothing";
}

// Large results (job_results.cc): a result over the WebSocket message limit
// fails its job at once, with an error naming the limit, rather than getting
// its node closed and the job retried until it runs out of attempts.
// The lease belongs to the session it was sent to: another session of the
// same principal (an older connection, or one naming the principal) that
// says the result is too large neither fails the job nor ends the lease.
TEST_F(JobServiceTest, AResultTooLargeFromAnotherSessionOfTheHolderChangesNothing) {
  Online("node-a");
  const std::string id = Submit();
  const std::string session = sender_.LeaseClientId(registry_.Find("node-a"));
  ASSERT_FALSE(session.empty());
  std::vector<std::string> replies;
  jobs_->OnResultTooLarge("node-a", session + "9", id, 20'000'000, 16'777'216, [&](ResultOutcome o) {
    replies.push_back(EncodeV1ResultReply(o, id, true, clock_.WallMs()));
  });
  Settle();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("JOB_NOT_ASSIGNED"), std::string::npos) << replies[0];
  EXPECT_TRUE(outcomes_.empty());
  EXPECT_TRUE(jobs_->IsOpen(id));
  EXPECT_EQ(jobs_->engine().HeldBy(id, "node-a"), std::optional<uint32_t>(1));
  EXPECT_EQ(Stored(id).state, store::JobState::kOngoing);
  // The session holding the lease still completes the job.
  EXPECT_NE(ReplyTo("node-a", id, kResult).find("JobComplete"), std::string::npos);
}

TEST_F(JobServiceTest, AResultOverTheMessageLimitFailsItsJobAtOnceNamingTheLimit) {
  Online("node-a");
  const std::string id = Submit();
  std::vector<std::string> replies;
  const auto keep = [this, &replies, id](ResultOutcome o) {
    replies.push_back(EncodeV1ResultReply(o, id, true, clock_.WallMs()));
  };
  const std::string session = sender_.LeaseClientId(registry_.Find("node-a"));
  jobs_->OnResultTooLarge("node-b", session, id, 20'000'000, 16'777'216, keep);
  ASSERT_EQ(replies.size(), 1u);  // Not the holder: refused, the job untouched.
  EXPECT_NE(replies[0].find("JOB_NOT_ASSIGNED"), std::string::npos) << replies[0];
  EXPECT_TRUE(jobs_->IsOpen(id));

  jobs_->OnResultTooLarge("node-a", session, id, 20'000'000, 16'777'216, keep);
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
  EXPECT_EQ(Balance("node-a"), 0) << "a late result earns nothing";
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
  sqlite_->CompleteJob(id, completion, clock_.WallMs(), [](Result<store::CompletedJob> r) {
    ASSERT_EQ(r.value().outcome, store::CompleteOutcome::kCompleted);
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
  EXPECT_GT(stored.reward_units, 0);
  EXPECT_EQ(Balance("node-a"), stored.reward_units) << "paid once";
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
  EXPECT_EQ(Balance("node-a"), stored.reward_units) << "paid once";
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
  // Another session of the holder (an impostor naming it, or an older
  // connection) holds nothing either.
  replies_.clear();
  jobs_->OnResult("node-a", "other-session", id, boost::json::parse(kResult),
                  [this, id](ResultOutcome o) { replies_.push_back(EncodeV1ResultReply(o, id, true, clock_.WallMs())); });
  Settle();
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_EQ(replies_[0], v1::EncodeResultRejected("Job is not leased to this node", "JOB_NOT_ASSIGNED"));
  EXPECT_EQ(Balance("node-a"), 0);
  EXPECT_EQ(Balance("node-b"), 0);
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
