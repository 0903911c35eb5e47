// JobService pays node rewards through Store::CompleteJob (docs/REWARDS.md
// "Jobs"): what JobComplete says is what the ledger credited, within the
// kind's typical time and the node's daily cap, with the referrer's share;
// equal nodes take turns and are paid alike (G8).
#include "api/job_service_test_fixture.h"

namespace sela::api {
namespace {

using namespace job_service_testing;  // NOLINT: the fixture and its constants.

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
  EXPECT_EQ(Balance("node-a"), reward);
}

// The reward is paid in the store operation that completes the job: the
// node's balance rises by exactly what JobComplete says, the per-node daily
// cap cuts the third job's reward (and JobComplete says so), and the node's
// referrer earns 5 % of each credit.
TEST_F(JobServiceTest, AResultPaysWhatJobCompleteSaysWithinTheDailyCapAndTheReferrersShare) {
  Refer("node-a", "referrer");
  Online("node-a");
  const int64_t full = kTypicalMs * JobServiceOptions().rewards.job_units_per_second / 1000;  // 0.24 SP
  const int64_t credits[] = {full, full, kDailyCapUnits - 2 * full};
  int64_t total = 0;
  for (const int64_t credit : credits) {
    const std::string id = Submit();
    clock_.Advance(Millis(kTypicalMs));
    EXPECT_EQ(ReplyTo("node-a", id, kResult), v1::EncodeJobComplete(id, Sp(credit), clock_.WallMs()));
    total += credit;
    EXPECT_EQ(Balance("node-a"), total);
    EXPECT_EQ(Stored(id).reward_units, credit);
  }
  EXPECT_EQ(outcomes_.back().job.reward_units, credits[2]) << "the waiter's copy shows the credit";
  EXPECT_EQ(Balance("referrer"), (full / 20) * 2 + credits[2] / 20);
}

// G8 (services.md §8) as payments: the original gave every job to the node
// with the most free slots, then the fastest, so one of two equal nodes
// took the work; here the fewest active jobs, then the longest wait, so two
// equal nodes take turns and are paid alike.
TEST_F(JobServiceTest, G8_EqualNodesTakeTurnsAndArePaidAlike) {
  const nodes::NodeIndex a = Online("node-a");
  const nodes::NodeIndex b = Online("node-b");
  for (int i = 0; i < 4; ++i) {
    const std::string id = Submit();
    const bool to_a = !sender_.JobsSentTo(a).empty() && sender_.JobsSentTo(a).back() == id;
    clock_.Advance(Millis(1000));
    EXPECT_NE(ReplyTo(to_a ? "node-a" : "node-b", id, kResult).find("JobComplete"), std::string::npos);
  }
  EXPECT_EQ(sender_.JobsSentTo(a).size(), 2u);
  EXPECT_EQ(sender_.JobsSentTo(b).size(), 2u);
  const int64_t per_job = 1000 * JobServiceOptions().rewards.job_units_per_second / 1000;
  EXPECT_EQ(Balance("node-a"), 2 * per_job);
  EXPECT_EQ(Balance("node-b"), 2 * per_job);
}

}  // namespace
}  // namespace sela::api
