// How the engine shares work (issue 11): customers take turns in the queue,
// each customer's open jobs are counted, and nodes are ranked by the round
// trip the server measured before what they report.
#include <gtest/gtest.h>

#include "jobs/engine_test_util.h"

namespace sela::jobs::testing {
namespace {

store::JobRecord JobOf(std::string client, std::string id) {
  store::JobRecord job = MakeJob(std::move(id));
  job.client_uuid = std::move(client);
  return job;
}

TEST(JobEngineFairness, CustomersTakeTurnsWhateverTheirQueues) {
  TestEngine e = MakeEngine();
  for (int i = 0; i < 100; ++i) e.AddPending(JobOf("flood", "f" + std::to_string(i)));
  e.AddPending(JobOf("calm", "c0"));
  e.AddPending(JobOf("calm", "c1"));
  e.UpsertNode(0, "n0", 4, 10);
  // One of each in turn: the calm customer's jobs do not wait for 100.
  EXPECT_EQ(Ids(e.Assign(kT0)), (std::vector<std::string>{"f0", "c0", "f1", "c1"}));
}

TEST(JobEngineFairness, ANewCustomerJoinsTheTurnsAtTheEnd) {
  TestEngine e = MakeEngine();
  e.AddPending(JobOf("a", "a0"));
  e.AddPending(JobOf("a", "a1"));
  e.AddPending(JobOf("b", "b0"));
  e.UpsertNode(0, "n0", 1, 10);
  EXPECT_EQ(Ids(e.Assign(kT0)), std::vector<std::string>{"a0"});
  e.AddPending(JobOf("c", "c0"));
  e.Finish("a0");
  EXPECT_EQ(Ids(e.Assign(kT0)), std::vector<std::string>{"b0"});
  e.Finish("b0");
  EXPECT_EQ(Ids(e.Assign(kT0)), std::vector<std::string>{"a1"});
  e.Finish("a1");
  EXPECT_EQ(Ids(e.Assign(kT0)), std::vector<std::string>{"c0"});
}

// The customer whose job came back has had its turn: the other goes first,
// then the released job before its customer's newer one.
TEST(JobEngineFairness, AReleasedJobComesBackFirstInItsCustomersQueue) {
  TestEngine e = MakeEngine();
  e.AddPending(JobOf("a", "a0"));
  e.AddPending(JobOf("a", "a1"));
  e.AddPending(JobOf("b", "b0"));
  e.UpsertNode(0, "n0", 1, 10);
  ASSERT_EQ(Ids(e.Assign(kT0)), std::vector<std::string>{"a0"});
  const auto ended = e.RemoveNode(0);
  ASSERT_EQ(ended.size(), 1u);
  e.UpsertNode(1, "n1", 3, 10);
  EXPECT_EQ(Ids(e.Assign(kT0)), (std::vector<std::string>{"b0", "a0", "a1"}));
}

TEST(JobEngineFairness, PullAlsoTakesTurns) {
  TestEngine e = MakeEngine();
  for (int i = 0; i < 5; ++i) e.AddPending(JobOf("flood", "f" + std::to_string(i)));
  e.AddPending(JobOf("calm", "c0"));
  e.UpsertNode(0, "n0", 3, 10);
  EXPECT_EQ(e.LeaseTo(0, kT0)->job_id, "f0");
  EXPECT_EQ(e.LeaseTo(0, kT0)->job_id, "c0");
  EXPECT_EQ(e.LeaseTo(0, kT0)->job_id, "f1");
  EXPECT_EQ(e.pending_jobs(), 3u);
}

TEST(JobEngineFairness, CountsOpenJobsPerCustomer) {
  TestEngine e = MakeEngine();
  e.AddPending(JobOf("a", "a0"));
  e.AddPending(JobOf("a", "a1"));
  e.AddPending(JobOf("b", "b0"));
  EXPECT_EQ(e.OpenJobsOf("a"), 2u);
  EXPECT_EQ(e.OpenJobsOf("b"), 1u);
  EXPECT_EQ(e.OpenJobsOf("nobody"), 0u);
  EXPECT_EQ(e.clients_with_open_jobs(), 2u);
  EXPECT_EQ(e.OpenJobIdsOf("a"), (std::vector<std::string>{"a0", "a1"}));
  e.UpsertNode(0, "n0", 1, 10);
  ASSERT_EQ(e.Assign(kT0).size(), 1u);
  EXPECT_EQ(e.OpenJobsOf("a"), 2u);  // Leased is still open.
  e.Finish("a0");
  e.Finish("b0");
  EXPECT_EQ(e.OpenJobsOf("a"), 1u);
  EXPECT_EQ(e.clients_with_open_jobs(), 1u);
  e.Finish("a1");
  EXPECT_EQ(e.clients_with_open_jobs(), 0u);
  // AddLeased counts too.
  ASSERT_TRUE(e.AddLeased(JobOf("c", "c0"), kT0));
  EXPECT_EQ(e.OpenJobsOf("c"), 1u);
}

TEST(JobEngineFairness, RanksMeasuredRoundTripBeforeClaimedSpeed) {
  TestEngine e = MakeEngine();
  // A node that claims 100,000 Mbps but answers the server in 400 ms, and
  // an honest one measured at 30 ms.
  e.UpsertNode(0, "fast-liar", 1, 100'000.0f);
  e.JobEngine::UpsertNode(0, 1, 100'000.0f, 400);
  e.UpsertNode(1, "honest", 1, 40.0f);
  e.JobEngine::UpsertNode(1, 1, 40.0f, 30);
  e.AddPending(JobOf("a", "j0"));
  EXPECT_EQ(Nodes(e.Assign(kT0)), std::vector<nodes::NodeIndex>{1});
}

TEST(JobEngineFairness, UnmeasuredNodesRankLastAndNearRoundTripsTieOnSpeed) {
  TestEngine e = MakeEngine();
  e.UpsertNode(0, "unmeasured", 1, 1000.0f);
  e.UpsertNode(1, "a", 1, 10.0f);
  e.JobEngine::UpsertNode(1, 1, 10.0f, 30);
  e.UpsertNode(2, "b", 1, 20.0f);
  e.JobEngine::UpsertNode(2, 1, 20.0f, 40);  // Same 25 ms step as 30.
  for (int i = 0; i < 3; ++i) e.AddPending(JobOf("a", "j" + std::to_string(i)));
  EXPECT_EQ(Nodes(e.Assign(kT0)), (std::vector<nodes::NodeIndex>{2, 1, 0}));
}

TEST(JobEngineFairness, AnEndedSessionReleasesOnlyTheLeasesSentToIt) {
  TestEngine e = MakeEngine();
  e.UpsertNode(0, "n0", 4, 10);
  for (int i = 0; i < 3; ++i) e.AddPending(JobOf("a", "j" + std::to_string(i)));
  const auto leases = e.Assign(kT0);
  ASSERT_EQ(leases.size(), 3u);
  e.SetNodeClientId("j0", "old");
  e.SetNodeClientId("j1", "new");
  e.SetNodeClientId("j2", "old");
  const auto ended = e.EndLeasesOf(0, "old");
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(e.ActiveJobs(0), 1u);
  EXPECT_TRUE(e.HeldBy("j1", "n0"));
  EXPECT_FALSE(e.HeldBy("j0", "n0"));
  EXPECT_EQ(e.pending_jobs(), 2u);
  EXPECT_TRUE(e.EndLeasesOf(7, "old").empty());  // not a live node
}

}  // namespace
}  // namespace sela::jobs::testing
