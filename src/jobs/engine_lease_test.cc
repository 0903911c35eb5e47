// JobEngine: leases, node loss, settling and deadlines, one rule per test
// (the queue, ranking and pull are in engine_test.cc).
#include "jobs/engine.h"
#include "jobs/engine_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace sela::jobs {
namespace {

using namespace sela::jobs::testing;  // NOLINT: test helpers

// ---- leases --------------------------------------------------------------------

TEST(JobEngine, LeaseExpiresAtItsDeadlineNotBefore) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  EXPECT_TRUE(engine.Expire(kT0 + kLeaseMs - 1).empty());
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kOngoing);
  std::vector<Ended> ended = engine.Expire(kT0 + kLeaseMs);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "j1");
  EXPECT_EQ(ended[0].kind, Ended::Kind::kReleased);
  EXPECT_EQ(ended[0].attempt, 1u);
  EXPECT_EQ(ended[0].error, "lease expired");
  EXPECT_TRUE(engine.Expire(kT0 + 10 * kLeaseMs).empty());
}

TEST(JobEngine, ExpiredLeaseReturnsTheJobToTheFrontKeepingItsAttempt) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  for (const char* id : {"j1", "j2", "j3"}) engine.AddPending(MakeJob(id));
  ASSERT_EQ(Ids(engine.Assign(kT0)), (std::vector<std::string>{"j1"}));

  ASSERT_EQ(engine.Expire(kT0 + kLeaseMs).size(), 1u);
  const store::JobRecord* j1 = engine.Find("j1");
  ASSERT_NE(j1, nullptr);
  EXPECT_EQ(j1->state, store::JobState::kPending);
  EXPECT_EQ(j1->attempt, 1u);
  EXPECT_EQ(j1->lease_deadline_ms, 0);
  EXPECT_EQ(j1->last_failed_node, "a");
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
  EXPECT_EQ(engine.pending_jobs(), 3u);
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::nullopt);

  // j1 is ahead of j2 and j3; "a" is the only node, so it gets it again.
  std::vector<Lease> leases = engine.Assign(kT0 + kLeaseMs);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "j1");
  EXPECT_EQ(leases[0].attempt, 2u);
  EXPECT_EQ(leases[0].deadline_ms, kT0 + 2 * kLeaseMs);
}

TEST(JobEngine, FailsTheJobOnceMaxAttemptsLeasesEnded) {
  auto engine = MakeEngine(/*max_attempts=*/3);
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  int64_t now = kT0;
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    std::vector<Lease> leases = engine.Assign(now);
    ASSERT_EQ(leases.size(), 1u);
    ASSERT_EQ(leases[0].attempt, attempt);
    now += kLeaseMs;
    std::vector<Ended> ended = engine.Expire(now);
    ASSERT_EQ(ended.size(), 1u);
    EXPECT_EQ(ended[0].kind, Ended::Kind::kReleased);
    EXPECT_EQ(ended[0].attempt, attempt);
  }
  ASSERT_EQ(engine.Assign(now).size(), 1u);
  now += kLeaseMs;
  std::vector<Ended> ended = engine.Expire(now);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
  EXPECT_EQ(ended[0].attempt, 3u);
  EXPECT_EQ(ended[0].error, "Job failed after 3 attempts: lease expired");
  EXPECT_EQ(ended[0].reason, store::FailureReason::kAttemptsExhausted);
  // Failing: not offered again, and its slot is free.
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
  EXPECT_TRUE(engine.Assign(now).empty());
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::nullopt);
  engine.Finish("j1");
  EXPECT_EQ(engine.open_jobs(), 0u);
}

TEST(JobEngine, MaxAttemptsOfOneFailsOnTheFirstEndedLease) {
  auto engine = MakeEngine(/*max_attempts=*/1);
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  std::vector<Ended> ended = engine.RemoveNode(0);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
  EXPECT_EQ(ended[0].error, "Job failed after 1 attempts: node disconnected");
}

TEST(JobEngine, HeldByAnswersOnlyForTheCurrentHolder) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::nullopt);  // Pending.
  EXPECT_EQ(engine.HeldBy("nope", "a"), std::nullopt);
  engine.UpsertNode(0, "a", 1, 10);
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::optional<uint32_t>(1));
  EXPECT_EQ(engine.HeldBy("j1", "b"), std::nullopt);
}

TEST(JobEngine, LeaseFailedUndoesTheLease) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(Ids(engine.Assign(kT0)), (std::vector<std::string>{"j1"}));

  engine.LeaseFailed("j1", 2);  // Not the current attempt: ignored.
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kOngoing);
  engine.LeaseFailed("j1", 1);
  const store::JobRecord* j1 = engine.Find("j1");
  EXPECT_EQ(j1->state, store::JobState::kPending);
  EXPECT_EQ(j1->attempt, 0u);
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
  EXPECT_EQ(engine.pending_jobs(), 2u);
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::nullopt);

  // Back at the front, and the next lease has the same attempt number.
  std::vector<Lease> leases = engine.Assign(kT0 + 1000);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "j1");
  EXPECT_EQ(leases[0].attempt, 1u);
}

TEST(JobEngine, TheUndoneLeaseDoesNotExpireItsSuccessor) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.LeaseFailed("j1", 1);
  std::vector<Lease> leases = engine.Assign(kT0 + 1000);
  ASSERT_EQ(leases.size(), 1u);
  ASSERT_EQ(leases[0].attempt, 1u);
  // The first lease's expiry passes: the second lease runs on.
  EXPECT_TRUE(engine.Expire(kT0 + kLeaseMs).empty());
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::optional<uint32_t>(1));
  EXPECT_EQ(engine.Expire(kT0 + 1000 + kLeaseMs).size(), 1u);
}

// ---- node loss -----------------------------------------------------------------

TEST(JobEngine, RemoveNodeEndsEveryLeaseItHeld) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 2, 100);
  engine.UpsertNode(1, "b", 1, 1);
  for (const char* id : {"j1", "j2", "j3", "j4"}) engine.AddPending(MakeJob(id));
  std::vector<Lease> leases = engine.Assign(kT0);
  // a (faster), b (holds fewer), a (b is full).
  ASSERT_EQ(Nodes(leases), (std::vector<nodes::NodeIndex>{0, 1, 0}));

  std::vector<Ended> ended = engine.RemoveNode(0);
  ASSERT_EQ(ended.size(), 2u);
  std::vector<std::string> ids;
  for (const Ended& e : ended) {
    ids.push_back(e.job_id);
    EXPECT_EQ(e.kind, Ended::Kind::kReleased);
    EXPECT_EQ(e.attempt, 1u);
    EXPECT_EQ(e.error, "node disconnected");
    EXPECT_EQ(engine.Find(e.job_id)->state, store::JobState::kPending);
    EXPECT_EQ(engine.Find(e.job_id)->last_failed_node, "a");
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"j1", "j3"}));
  EXPECT_EQ(engine.Find("j2")->state, store::JobState::kOngoing);
  EXPECT_EQ(engine.live_nodes(), 1u);
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
  EXPECT_EQ(engine.pending_jobs(), 3u);
  EXPECT_TRUE(engine.RemoveNode(0).empty());  // Already gone.

  // The released jobs are ahead of j4.
  engine.UpsertNode(2, "c", 3, 1);
  std::vector<Lease> again = engine.Assign(kT0);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[2].job_id, "j4");
  for (const Lease& l : again) EXPECT_EQ(l.node, 2u);
  EXPECT_EQ(again[0].attempt, 2u);
  EXPECT_EQ(again[2].attempt, 1u);
}

TEST(JobEngine, RemoveNodeLeavesAJobBeingSettled) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 2, 10);
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(engine.Assign(kT0).size(), 2u);
  engine.BeginSettle("j1");
  std::vector<Ended> ended = engine.RemoveNode(0);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "j2");
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kOngoing);
  engine.Finish("j1");
  EXPECT_EQ(engine.Find("j1"), nullptr);
  EXPECT_EQ(engine.open_jobs(), 1u);
}

TEST(JobEngine, AbortSettleAfterItsNodeLeftEndsTheLease) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.BeginSettle("j1");
  EXPECT_TRUE(engine.RemoveNode(0).empty());
  std::optional<Ended> ended = engine.AbortSettle("j1");
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->kind, Ended::Kind::kReleased);
  EXPECT_EQ(ended->attempt, 1u);
  EXPECT_EQ(ended->error, "node disconnected");
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kPending);
  EXPECT_EQ(engine.pending_jobs(), 1u);
}

// ---- settling ------------------------------------------------------------------

TEST(JobEngine, BeginSettleProtectsFromLeaseExpiry) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.BeginSettle("j1");
  EXPECT_TRUE(engine.Expire(kT0 + 2 * kLeaseMs).empty());
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kOngoing);
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
}

TEST(JobEngine, AbortSettleReopensTheLeaseAsBefore) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.BeginSettle("j1");
  EXPECT_EQ(engine.AbortSettle("j1"), std::nullopt);
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::optional<uint32_t>(1));
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kOngoing);
  // The lease expires as it would have.
  std::vector<Ended> ended = engine.Expire(kT0 + kLeaseMs);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Ended::Kind::kReleased);
}

TEST(JobEngine, ALeaseThatPassedWhileSettlingExpiresOnceReopened) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.BeginSettle("j1");
  EXPECT_TRUE(engine.Expire(kT0 + kLeaseMs).empty());
  EXPECT_EQ(engine.AbortSettle("j1"), std::nullopt);
  std::vector<Ended> ended = engine.Expire(kT0 + kLeaseMs + 1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "j1");
  EXPECT_EQ(ended[0].kind, Ended::Kind::kReleased);
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
}

TEST(JobEngine, AbortSettleOfAPendingJobPutsItAtTheFront) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(engine.BeginFail("j2"), std::optional<uint32_t>(0));
  EXPECT_EQ(engine.BeginFail("j2"), std::nullopt);  // Already settling.
  EXPECT_EQ(engine.BeginFail("nope"), std::nullopt);
  engine.UpsertNode(0, "a", 1, 10);
  EXPECT_EQ(Ids(engine.Assign(kT0)), (std::vector<std::string>{"j1"}));
  EXPECT_EQ(engine.AbortSettle("j2"), std::nullopt);
  EXPECT_EQ(engine.pending_jobs(), 1u);
  engine.AddPending(MakeJob("j3"));
  engine.Finish("j1");
  EXPECT_EQ(Ids(engine.Assign(kT0)), (std::vector<std::string>{"j2"}));
}

TEST(JobEngine, FinishFreesTheSlotForTheNextAssign) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  EXPECT_TRUE(engine.Assign(kT0).empty());
  engine.BeginSettle("j1");
  engine.Finish("j1");
  EXPECT_EQ(engine.Find("j1"), nullptr);
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
  EXPECT_EQ(engine.free_slots(), 1u);
  std::vector<Lease> leases = engine.Assign(kT0);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "j2");
  EXPECT_EQ(leases[0].node, 0u);
  // Its old lease timer finds nothing to end.
  EXPECT_TRUE(engine.Expire(kT0 + kLeaseMs - 1).empty());
  engine.Finish("unknown");
  EXPECT_EQ(engine.open_jobs(), 1u);
}

// ---- deadlines -----------------------------------------------------------------

TEST(JobEngine, DeadlineFailsAPendingJob) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1", kT0, kT0 + 60'000));
  engine.AddPending(MakeJob("j2"));
  EXPECT_TRUE(engine.Expire(kT0 + 59'999).empty());
  std::vector<Ended> ended = engine.Expire(kT0 + 60'000);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "j1");
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
  EXPECT_EQ(ended[0].attempt, 0u);
  EXPECT_EQ(ended[0].error, "Job j1 timed out after 60000ms");
  EXPECT_EQ(ended[0].reason, store::FailureReason::kDeadline);
  // Failing: no node gets it, the job behind it is next.
  engine.UpsertNode(0, "a", 2, 10);
  std::optional<Lease> lease = engine.LeaseTo(0, kT0 + 60'000);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->job_id, "j2");
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kPending);
  engine.Finish("j1");
  EXPECT_EQ(engine.Find("j1"), nullptr);
  EXPECT_EQ(engine.open_jobs(), 1u);
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
}

TEST(JobEngine, AFailingPendingJobIsNotLeased) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1", kT0, kT0 + 1000));
  ASSERT_EQ(engine.Expire(kT0 + 1000).size(), 1u);
  engine.UpsertNode(0, "a", 2, 10);
  EXPECT_FALSE(engine.LeaseTo(0, kT0 + 1000).has_value());
  EXPECT_TRUE(engine.Assign(kT0 + 1000).empty());
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kPending);
}

TEST(JobEngine, DeadlineFailsAnOngoingJob) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1", kT0 - 500, kT0 + 9'500));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  std::vector<Ended> ended = engine.Expire(kT0 + 9'500);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
  EXPECT_EQ(ended[0].attempt, 1u);
  EXPECT_EQ(ended[0].error, "Job j1 timed out after 10000ms");
  // Failing: its lease no longer expires, its slot is held until Finish.
  EXPECT_TRUE(engine.Expire(kT0 + 2 * kLeaseMs).empty());
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
  engine.Finish("j1");
  EXPECT_EQ(engine.ActiveJobs(0), 0u);
}

TEST(JobEngine, ADeadlineThatPassedWhileSettlingFailsOnceReopened) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1", kT0, kT0 + 5'000));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.BeginSettle("j1");
  EXPECT_TRUE(engine.Expire(kT0 + 5'000).empty());
  EXPECT_EQ(engine.AbortSettle("j1"), std::nullopt);
  std::vector<Ended> ended = engine.Expire(kT0 + 5'001);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
  EXPECT_EQ(ended[0].error, "Job j1 timed out after 5000ms");
}

TEST(JobEngine, AReopenedTimedOutJobTimesOutAgain) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1", kT0, kT0 + 5'000));
  ASSERT_EQ(engine.Expire(kT0 + 5'000).size(), 1u);
  // The store refused the failure: the job is pending again, and still late.
  EXPECT_EQ(engine.AbortSettle("j1"), std::nullopt);
  EXPECT_EQ(engine.pending_jobs(), 1u);
  std::vector<Ended> ended = engine.Expire(kT0 + 6'000);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
}

TEST(JobEngine, FinishedJobsLeaveNoTimersBehind) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1", kT0, kT0 + 5'000));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.BeginSettle("j1");
  engine.Finish("j1");
  EXPECT_TRUE(engine.Expire(kT0 + 10 * kLeaseMs).empty());
}

}  // namespace
}  // namespace sela::jobs
