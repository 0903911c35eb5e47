// JobEngine: queue order, node ranking, targets and pull, one rule per test.
// Leases, node loss, settling and deadlines are in engine_lease_test.cc, the
// randomised invariants in engine_property_test.cc.
#include "jobs/engine.h"
#include "jobs/engine_test_util.h"

#include <gtest/gtest.h>

#include <map>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace sela::jobs {
namespace {

using namespace sela::jobs::testing;  // NOLINT: test helpers

// ---- queue order and ranking -------------------------------------------------

TEST(JobEngine, TimersOfFinishedJobsDoNotPileUp) {
  // Jobs finish in milliseconds while their lease and deadline timers are
  // due minutes later: the dead timers must not accumulate.
  auto engine = MakeEngine();
  engine.UpsertNode(1, "node-1", 10, 1.0f);
  for (int i = 0; i < 100'000; ++i) {
    const std::string id = "job_" + std::to_string(i);
    engine.AddPending(MakeJob(id, kT0 + i, kT0 + i + 60'000));
    const auto leases = engine.Assign(kT0 + i);
    ASSERT_EQ(leases.size(), 1u);
    engine.BeginSettle(id);
    engine.Finish(id);
  }
  EXPECT_EQ(engine.open_jobs(), 0u);
  EXPECT_LE(engine.timer_count(), 2048u);
  // Live timers survive a compaction: an open job still expires.
  engine.AddPending(MakeJob("live", kT0, kT0 + 1'000));
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  for (int i = 0; i < 5'000; ++i) {
    const std::string id = "later_" + std::to_string(i);
    engine.AddPending(MakeJob(id));
    ASSERT_EQ(engine.Assign(kT0).size(), 1u);
    engine.Finish(id);
  }
  const auto ended = engine.Expire(kT0 + 1'000);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "live");
  EXPECT_EQ(ended[0].kind, Ended::Kind::kFailed);
}

TEST(JobEngine, ATargetedJobGoesOnlyToItsNodeAndWaitsForIt) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 10, 100.0f);  // Best ranked.
  engine.UpsertNode(1, "b", 1, 1.0f);
  store::JobRecord t = MakeJob("t");
  t.target_node = "b";
  engine.AddPending(t);
  engine.AddPending(MakeJob("u"));
  auto leases = engine.Assign(kT0);
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].job_id, "t");
  EXPECT_EQ(leases[0].node, 1u);
  EXPECT_EQ(engine.HeldBy("t", "b"), std::optional<uint32_t>(1));
  EXPECT_EQ(leases[1].node, 0u);
  // b is full now: another job for b waits, even though a has free slots.
  store::JobRecord t2 = MakeJob("t2");
  t2.target_node = "b";
  engine.AddPending(t2);
  EXPECT_TRUE(engine.Assign(kT0).empty());
  EXPECT_EQ(engine.pending_jobs(), 1u);
  EXPECT_EQ(engine.LeaseTo(0, kT0), std::nullopt);  // a may not pull it.
  // b's slot frees: t2 is queued again and goes to b.
  engine.Finish("t");
  leases = engine.Assign(kT0);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "t2");
  EXPECT_EQ(leases[0].node, 1u);
  EXPECT_EQ(engine.pending_jobs(), 0u);
}

TEST(JobEngine, AJobForAnOfflineNodeWaitsUntilItComesBackOrItsDeadline) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 10, 1.0f);
  store::JobRecord t = MakeJob("t", kT0, kT0 + 5'000);
  t.target_node = "gone";
  engine.AddPending(t);
  EXPECT_TRUE(engine.Assign(kT0).empty());
  EXPECT_EQ(engine.pending_jobs(), 1u);
  store::JobRecord t2 = MakeJob("t2");
  t2.target_node = "later";
  engine.AddPending(t2);
  EXPECT_TRUE(engine.Assign(kT0).empty());
  engine.UpsertNode(3, "later", 1, 1.0f);
  auto leases = engine.Assign(kT0);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "t2");
  // The first one fails at its deadline and leaves nothing parked behind.
  const auto ended = engine.Expire(kT0 + 5'000);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "t");
  engine.Finish("t");
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_EQ(engine.open_jobs(), 1u);
}

TEST(JobEngine, RankingStaysRightThroughManyChanges) {
  // Ranks are a heap updated in place as nodes change; after many changes
  // (and an index reused) the best node is still the one chosen.
  auto engine = MakeEngine();
  for (nodes::NodeIndex i = 0; i < 10; ++i) engine.UpsertNode(i, "n" + std::to_string(i), 5, 1.0f);
  for (int round = 0; round < 20'000; ++round) {
    const nodes::NodeIndex i = static_cast<nodes::NodeIndex>(round % 10);
    engine.UpsertNode(i, "n" + std::to_string(i), 5, static_cast<float>(round % 7));
  }
  engine.UpsertNode(7, "n7", 9, 0.5f);   // Most free slots: no longer first.
  engine.UpsertNode(3, "n3", 5, 100.0f);  // Second fastest.
  engine.RemoveNode(8);
  engine.UpsertNode(8, "n8-reborn", 5, 200.0f);  // Index reused by a new node, the fastest.
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  engine.AddPending(MakeJob("j3"));
  // Every node holds nothing: by speed. The last round left n0..n9 at
  // (19990 + i) % 7: n1 6, n0 5, n6 4, n5 3, n4 2, n2 and n9 0; n7 0.5.
  const auto leases = engine.Assign(kT0);
  ASSERT_EQ(leases.size(), 3u);
  EXPECT_EQ(leases[0].node, 8u);
  EXPECT_EQ(leases[1].node, 3u);
  EXPECT_EQ(leases[2].node, 1u);
  engine.AddPending(MakeJob("j4"));
  engine.AddPending(MakeJob("j5"));
  engine.AddPending(MakeJob("j6"));
  const auto more = engine.Assign(kT0);
  ASSERT_EQ(more.size(), 3u);
  EXPECT_EQ(more[0].node, 0u);  // Those holding nothing still come first.
  EXPECT_EQ(more[1].node, 6u);
  EXPECT_EQ(more[2].node, 5u);
}

TEST(JobEngine, CapacityIsClampedToTheRegistrysLimit) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", nodes::kJobsPerNodeMax + 1, 1.0f);
  EXPECT_EQ(engine.free_slots(), nodes::kJobsPerNodeMax);
  engine.UpsertNode(0, "a", UINT32_MAX, 1.0f);
  EXPECT_EQ(engine.free_slots(), nodes::kJobsPerNodeMax);
}

TEST(JobEngine, AddLeasedStartsANewJobAtOnceOnlyWhenNothingWaitsAheadOfIt) {
  auto engine = MakeEngine();
  EXPECT_EQ(engine.AddLeased(MakeJob("j0"), kT0), std::nullopt);  // No node.
  EXPECT_EQ(engine.open_jobs(), 0u);  // And nothing added.
  engine.UpsertNode(0, "a", 1, 1.0f);
  engine.UpsertNode(1, "b", 2, 1.0f);
  auto lease = engine.AddLeased(MakeJob("j1", kT0, kT0 + 9'000), kT0);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->node, 0u);  // a and b hold nothing and are as fast: the lower index.
  EXPECT_EQ(lease->attempt, 1u);
  EXPECT_EQ(lease->deadline_ms, kT0 + kLeaseMs);
  EXPECT_EQ(engine.HeldBy("j1", "a"), std::optional<uint32_t>(1));
  // A job waiting in the queue goes first: the next new job waits too.
  engine.AddPending(MakeJob("queued"));
  EXPECT_EQ(engine.AddLeased(MakeJob("j2"), kT0), std::nullopt);
  const auto assigned = engine.Assign(kT0);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].node, 1u);  // a is full.
  // A targeted job starts at once only on its node, which is full now.
  store::JobRecord t = MakeJob("t");
  t.target_node = "a";
  EXPECT_EQ(engine.AddLeased(t, kT0), std::nullopt);
  EXPECT_EQ(engine.Find("t"), nullptr);
  // Its deadline timer is armed like AddPending's.
  engine.Finish("queued");
  const auto ended = engine.Expire(kT0 + 9'000);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, "j1");
}

TEST(JobEngine, AssignsPendingJobsInFifoOrder) {
  auto engine = MakeEngine();
  for (const char* id : {"j1", "j2", "j3", "j4"}) engine.AddPending(MakeJob(id));
  EXPECT_EQ(engine.pending_jobs(), 4u);
  engine.UpsertNode(0, "a", 1, 10);

  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    std::vector<Lease> leases = engine.Assign(kT0);
    ASSERT_EQ(leases.size(), 1u);
    order.push_back(leases[0].job_id);
    engine.Finish(leases[0].job_id);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"j1", "j2", "j3", "j4"}));
  EXPECT_EQ(engine.open_jobs(), 0u);
}

TEST(JobEngine, LeaseCarriesNodeAttemptAndDeadline) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  engine.UpsertNode(7, "a", 2, 10);
  std::vector<Lease> leases = engine.Assign(kT0 + 5);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "j1");
  EXPECT_EQ(leases[0].node, 7u);
  EXPECT_EQ(leases[0].attempt, 1u);
  EXPECT_EQ(leases[0].deadline_ms, kT0 + 5 + kLeaseMs);

  const store::JobRecord* job = engine.Find("j1");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->state, store::JobState::kOngoing);
  EXPECT_EQ(job->node_principal, "a");
  EXPECT_EQ(job->attempt, 1u);
  EXPECT_EQ(job->assigned_ms, kT0 + 5);
  EXPECT_EQ(job->lease_deadline_ms, kT0 + 5 + kLeaseMs);
  EXPECT_EQ(engine.ActiveJobs(7), 1u);
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_EQ(engine.open_jobs(), 1u);
}

TEST(JobEngine, EqualNodesTakeTurnsSoTheyEarnAlike) {
  // Before: every job went to the first of two equal idle nodes when each
  // was done before the next came. Now the one that waited longer goes next.
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 10, 50);
  engine.UpsertNode(1, "b", 10, 50);
  engine.UpsertNode(2, "slow", 10, 5);
  std::map<nodes::NodeIndex, int> jobs;
  for (int i = 0; i < 100; ++i) {
    const std::string id = "j" + std::to_string(i);
    const auto lease = engine.AddLeased(MakeJob(id), kT0 + i);
    ASSERT_TRUE(lease.has_value());
    ++jobs[lease->node];
    engine.BeginSettle(id);
    engine.Finish(id);
  }
  EXPECT_EQ(jobs[0], 50);
  EXPECT_EQ(jobs[1], 50);
  EXPECT_EQ(jobs[2], 0) << "the slower node gets work when the faster ones hold more";
}

TEST(JobEngine, RanksNodesByFewestJobsThenSpeed) {
  auto engine = MakeEngine();
  // The node holding fewer jobs comes first, whatever its free slots; at a
  // tie the faster one.
  engine.UpsertNode(0, "fast", 2, 1000);
  engine.UpsertNode(1, "slow", 4, 1);
  for (const char* id : {"j1", "j2", "j3", "j4", "j5", "j6"}) engine.AddPending(MakeJob(id));

  std::vector<Lease> leases = engine.Assign(kT0);
  ASSERT_EQ(leases.size(), 6u);
  // 0-0: fast; 1-0: slow; 1-1: fast; fast is full: slow, slow, slow.
  EXPECT_EQ(Nodes(leases), (std::vector<nodes::NodeIndex>{0, 1, 0, 1, 1, 1}));
  EXPECT_EQ(Ids(leases), (std::vector<std::string>{"j1", "j2", "j3", "j4", "j5", "j6"}));
  EXPECT_EQ(engine.ActiveJobs(0), 2u);
  EXPECT_EQ(engine.ActiveJobs(1), 4u);
}

TEST(JobEngine, RanksByFewestJobsThenMeasuredRoundTripThenReportedSpeed) {
  auto engine = MakeEngine();
  // Round trips in 25 ms steps: 30 and 40 ms are one step (then speed
  // decides), 60 ms the next; unmeasured comes last whatever it claims.
  engine.UpsertNode(0, "claims-much", 2, 1000);
  engine.UpsertNode(1, "far", 2, 500, 60);
  engine.UpsertNode(2, "near-slow", 2, 10, 30);
  engine.UpsertNode(3, "near-fast", 2, 20, 40);
  for (const char* id : {"j1", "j2", "j3", "j4", "j5", "j6"}) engine.AddPending(MakeJob(id));
  // One job each in rank order, then the second round in the same order.
  EXPECT_EQ(Nodes(engine.Assign(kT0)), (std::vector<nodes::NodeIndex>{3, 2, 1, 0, 3, 2}));
}

TEST(JobEngine, BreaksFreeSlotTiesBySpeedThenNodeIndex) {
  auto engine = MakeEngine();
  engine.UpsertNode(5, "e", 1, 50);
  engine.UpsertNode(2, "b", 1, 80);
  engine.UpsertNode(3, "c", 1, 50);
  engine.UpsertNode(9, "z", 1, 10);
  for (const char* id : {"j1", "j2", "j3", "j4"}) engine.AddPending(MakeJob(id));
  EXPECT_EQ(Nodes(engine.Assign(kT0)), (std::vector<nodes::NodeIndex>{2, 3, 5, 9}));
}

TEST(JobEngine, UpsertNodeUpdatesCapacityAndSpeedForRanking) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.UpsertNode(1, "b", 1, 20);
  engine.UpsertNode(0, "a", 1, 30);  // Now the faster one.
  engine.AddPending(MakeJob("j1"));
  EXPECT_EQ(Nodes(engine.Assign(kT0)), (std::vector<nodes::NodeIndex>{0}));

  engine.UpsertNode(1, "b", 3, 20);  // More slots.
  engine.AddPending(MakeJob("j2"));
  engine.AddPending(MakeJob("j3"));
  EXPECT_EQ(Nodes(engine.Assign(kT0)), (std::vector<nodes::NodeIndex>{1, 1}));
  EXPECT_EQ(engine.live_nodes(), 2u);
  EXPECT_EQ(engine.free_slots(), 1u);
}

TEST(JobEngine, NeverAssignsBeyondCapacity) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.UpsertNode(1, "b", 2, 10);
  EXPECT_EQ(engine.free_slots(), 3u);
  for (int i = 0; i < 10; ++i) engine.AddPending(MakeJob("j" + std::to_string(i)));

  EXPECT_EQ(engine.Assign(kT0).size(), 3u);
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
  EXPECT_EQ(engine.ActiveJobs(1), 2u);
  EXPECT_EQ(engine.free_slots(), 0u);
  EXPECT_EQ(engine.pending_jobs(), 7u);
  EXPECT_TRUE(engine.Assign(kT0).empty());
  EXPECT_FALSE(engine.LeaseTo(0, kT0).has_value());
  EXPECT_EQ(engine.pending_jobs(), 7u);
}

TEST(JobEngine, AssignsNothingWithoutNodes) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  EXPECT_TRUE(engine.Assign(kT0).empty());
  engine.UpsertNode(0, "a", 0, 10);  // No capacity at all.
  EXPECT_TRUE(engine.Assign(kT0).empty());
  EXPECT_EQ(engine.pending_jobs(), 1u);
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kPending);
}

TEST(JobEngine, AddPendingIgnoresAJobAlreadyOpen) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j1"));
  EXPECT_EQ(engine.open_jobs(), 1u);
  EXPECT_EQ(engine.pending_jobs(), 1u);
  engine.UpsertNode(0, "a", 5, 10);
  ASSERT_EQ(engine.Assign(kT0).size(), 1u);
  engine.AddPending(MakeJob("j1"));  // Ongoing now: still ignored.
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_EQ(engine.Find("j1")->state, store::JobState::kOngoing);
  EXPECT_TRUE(engine.Assign(kT0).empty());
}

// ---- the node that last failed a job -----------------------------------------

// Leases j1 to node 0 ("a") and lets the lease expire: "a" last failed j1.
void FailOnceOnA(testing::TestEngine& engine) {
  engine.AddPending(MakeJob("j1"));
  engine.UpsertNode(0, "a", 4, 100);
  ASSERT_EQ(Nodes(engine.Assign(kT0)), (std::vector<nodes::NodeIndex>{0}));
  std::vector<Ended> ended = engine.Expire(kT0 + kLeaseMs);
  ASSERT_EQ(ended.size(), 1u);
  ASSERT_EQ(ended[0].kind, Ended::Kind::kReleased);
  ASSERT_EQ(engine.Find("j1")->last_failed_node, "a");
}

TEST(JobEngine, PassesOverTheNodeThatLastFailedTheJob) {
  auto engine = MakeEngine();
  FailOnceOnA(engine);
  // "b" ranks below "a" (fewer slots, slower), yet gets the job.
  engine.UpsertNode(1, "b", 1, 1);
  std::vector<Lease> leases = engine.Assign(kT0 + kLeaseMs);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].node, 1u);
  EXPECT_EQ(leases[0].attempt, 2u);
  EXPECT_EQ(engine.Find("j1")->node_principal, "b");
}

TEST(JobEngine, GivesTheJobBackToTheNodeThatFailedItWhenNoOtherHasASlot) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 4, 1000);
  engine.UpsertNode(1, "b", 1, 100);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(Nodes(engine.Assign(kT0)), (std::vector<nodes::NodeIndex>{0}));
  // "b" fills up with another job, then "a" lets j1's lease expire.
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(engine.LeaseTo(1, kT0 + 1)->job_id, "j2");
  ASSERT_EQ(engine.Expire(kT0 + kLeaseMs).size(), 1u);
  ASSERT_EQ(engine.Find("j1")->last_failed_node, "a");

  std::vector<Lease> leases = engine.Assign(kT0 + kLeaseMs);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job_id, "j1");
  EXPECT_EQ(leases[0].node, 0u);
  EXPECT_EQ(leases[0].attempt, 2u);
}

TEST(JobEngine, OtherJobsStillPreferTheBestNode) {
  auto engine = MakeEngine();
  FailOnceOnA(engine);
  engine.UpsertNode(1, "b", 1, 1);
  engine.AddPending(MakeJob("j2"));
  std::vector<Lease> leases = engine.Assign(kT0 + kLeaseMs);
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].job_id, "j1");
  EXPECT_EQ(leases[0].node, 1u);
  EXPECT_EQ(leases[1].job_id, "j2");
  EXPECT_EQ(leases[1].node, 0u);
}

// ---- pull ----------------------------------------------------------------------

TEST(JobEngine, LeaseToGivesTheOldestPendingJob) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 2, 10);
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  std::optional<Lease> lease = engine.LeaseTo(0, kT0);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->job_id, "j1");
  EXPECT_EQ(lease->node, 0u);
  EXPECT_EQ(lease->attempt, 1u);
  EXPECT_EQ(lease->deadline_ms, kT0 + kLeaseMs);
  EXPECT_EQ(engine.pending_jobs(), 1u);
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
  lease = engine.LeaseTo(0, kT0);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->job_id, "j2");
  EXPECT_EQ(engine.pending_jobs(), 0u);
}

TEST(JobEngine, LeaseToGivesNothingWithoutAFreeSlotOrAJob) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  EXPECT_FALSE(engine.LeaseTo(0, kT0).has_value());  // No job.
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  EXPECT_FALSE(engine.LeaseTo(42, kT0).has_value());  // Unknown node.
  ASSERT_TRUE(engine.LeaseTo(0, kT0).has_value());
  EXPECT_FALSE(engine.LeaseTo(0, kT0).has_value());  // Full.
  EXPECT_EQ(engine.pending_jobs(), 1u);
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
}

TEST(JobEngine, LeaseToSkipsAJobTheNodeLastFailedWhileAnotherIsPending) {
  auto engine = MakeEngine();
  FailOnceOnA(engine);  // j1 back at the front, last failed by "a".
  engine.AddPending(MakeJob("j2"));
  std::optional<Lease> lease = engine.LeaseTo(0, kT0 + kLeaseMs);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->job_id, "j2");
  // Only j1 is left: "a" may take it after all.
  lease = engine.LeaseTo(0, kT0 + kLeaseMs);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->job_id, "j1");
  EXPECT_EQ(lease->attempt, 2u);
}

TEST(JobEngine, AJobLeasedByPullIsNotLeasedAgainFromItsQueueEntry) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(engine.LeaseTo(0, kT0)->job_id, "j1");
  engine.UpsertNode(1, "b", 5, 10);
  std::vector<Lease> leases = engine.Assign(kT0);
  EXPECT_EQ(Ids(leases), (std::vector<std::string>{"j2"}));
  EXPECT_TRUE(engine.Assign(kT0).empty());
  EXPECT_FALSE(engine.LeaseTo(1, kT0).has_value());
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
  EXPECT_EQ(engine.ActiveJobs(1), 1u);
}

TEST(JobEngine, AJobPulledThenReleasedIsLeasedOnlyOnce) {
  auto engine = MakeEngine();
  engine.UpsertNode(0, "a", 1, 10);
  engine.AddPending(MakeJob("j1"));
  ASSERT_EQ(engine.LeaseTo(0, kT0)->job_id, "j1");
  // Back to pending while its first queue entry is still there.
  ASSERT_EQ(engine.RemoveNode(0).size(), 1u);
  EXPECT_EQ(engine.pending_jobs(), 1u);
  engine.UpsertNode(1, "b", 5, 10);
  std::vector<Lease> leases = engine.Assign(kT0);
  EXPECT_EQ(Ids(leases), (std::vector<std::string>{"j1"}));
  EXPECT_TRUE(engine.Assign(kT0).empty());
  EXPECT_EQ(engine.ActiveJobs(1), 1u);
  EXPECT_EQ(engine.pending_jobs(), 0u);
}

TEST(JobEngine, AJobFinishedWhileQueuedIsNeverLeased) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  engine.AddPending(MakeJob("j2"));
  ASSERT_EQ(engine.BeginFail("j1"), std::optional<uint32_t>(0));
  engine.Finish("j1");
  EXPECT_EQ(engine.Find("j1"), nullptr);
  EXPECT_EQ(engine.pending_jobs(), 1u);
  engine.UpsertNode(0, "a", 5, 10);
  EXPECT_EQ(Ids(engine.Assign(kT0)), (std::vector<std::string>{"j2"}));
  EXPECT_FALSE(engine.LeaseTo(0, kT0).has_value());
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
}

TEST(JobEngine, AJobFinishedWhileQueuedThenAddedAgainIsLeasedOnce) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("j1"));
  ASSERT_TRUE(engine.BeginFail("j1").has_value());
  engine.Finish("j1");
  engine.AddPending(MakeJob("j1"));  // Its old queue entry is still there.
  EXPECT_EQ(engine.pending_jobs(), 1u);
  engine.UpsertNode(0, "a", 5, 10);
  EXPECT_EQ(Ids(engine.Assign(kT0)), (std::vector<std::string>{"j1"}));
  EXPECT_EQ(engine.ActiveJobs(0), 1u);
  EXPECT_EQ(engine.pending_jobs(), 0u);
  EXPECT_TRUE(engine.Assign(kT0).empty());
}

}  // namespace
}  // namespace sela::jobs

namespace sela::jobs::testing {
namespace {

TEST(JobEngine, ForgetPendingDropsOnlyAPendingJobNotBeingSettled) {
  auto engine = MakeEngine();
  engine.AddPending(MakeJob("p", kT0, kT0 + 1000));
  store::JobRecord t = MakeJob("t");
  t.target_node = "absent";
  engine.AddPending(t);
  engine.UpsertNode(0, "a", 1, 1.0f);
  ASSERT_EQ(Ids(engine.Assign(kT0)), std::vector<std::string>{"p"});  // t is parked.
  EXPECT_FALSE(engine.ForgetPending("p"));  // Ongoing.
  EXPECT_TRUE(engine.ForgetPending("t"));   // Parked is pending.
  EXPECT_FALSE(engine.ForgetPending("t"));  // Gone.
  EXPECT_EQ(engine.pending_jobs(), 0u);
  // Released: pending again; while it settles (failing), it stays.
  auto ended = engine.RemoveNode(0);
  ASSERT_EQ(ended.size(), 1u);
  engine.AddPending(MakeJob("s"));
  ASSERT_TRUE(engine.BeginFail("s").has_value());
  EXPECT_FALSE(engine.ForgetPending("s"));
  EXPECT_TRUE(engine.ForgetPending("p"));
  EXPECT_EQ(engine.open_jobs(), 1u);
  // Its deadline timer no longer ends anything.
  EXPECT_TRUE(engine.Expire(kT0 + 2000).empty());
}

}  // namespace
}  // namespace sela::jobs::testing
