// JobEngine against a small model over random histories (fixed seeds): jobs
// arrive (some with deadlines), nodes come and go, leases are pushed and
// pulled, undone, settled, aborted and expired. After every step the
// engine's counts must match the model and no node may exceed its capacity.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "jobs/engine.h"
#include "jobs/engine_test_util.h"

namespace sela::jobs {
namespace {

constexpr int64_t kLeaseMs = 10'000;
constexpr uint32_t kMaxAttempts = 3;

struct ModelNode {
  std::string principal;
  uint32_t capacity = 0;
};

struct ModelJob {
  int64_t deadline_ms = 0;             // 0: none.
  nodes::NodeIndex holder = nodes::kNoNode;
  uint32_t attempt = 0;
  int64_t lease_deadline_ms = 0;       // While held.
};

class Simulation {
 public:
  explicit Simulation(uint32_t seed)
      : rng_(seed), engine_(EngineOptions{.lease_ms = kLeaseMs, .max_attempts = kMaxAttempts, .principal_of = {}, .index_of = {}}) {}

  void Step() {
    switch (Pick(9)) {
      case 0: AddJob(); break;
      case 1: AddNode(); break;
      case 2: RemoveNode(); break;
      case 3: Complete(); break;
      case 4: Advance(); break;
      case 5: Pull(); break;
      case 6: Push(); break;
      case 7: UndoLease(); break;
      case 8: SettleAndAbort(); break;
    }
  }

  void CheckInvariants() {
    ASSERT_EQ(engine_.open_jobs(), jobs_.size());
    ASSERT_EQ(engine_.live_nodes(), nodes_.size());
    size_t pending = 0;
    std::map<nodes::NodeIndex, uint32_t> held;
    for (const auto& [id, job] : jobs_) {
      const store::JobRecord* rec = engine_.Find(id);
      ASSERT_NE(rec, nullptr) << id;
      ASSERT_EQ(rec->attempt, job.attempt) << id;
      ASSERT_LE(rec->attempt, kMaxAttempts) << id;
      const bool is_pending = rec->state == store::JobState::kPending;
      const bool is_ongoing = rec->state == store::JobState::kOngoing;
      ASSERT_NE(is_pending, is_ongoing) << id;  // Exactly one of them.
      ASSERT_EQ(is_ongoing, job.holder != nodes::kNoNode) << id;
      if (is_pending) ++pending;
      if (is_ongoing) {
        ++held[job.holder];
        ASSERT_EQ(rec->node_principal, nodes_.at(job.holder).principal) << id;
        ASSERT_EQ(rec->lease_deadline_ms, job.lease_deadline_ms) << id;
        ASSERT_EQ(engine_.HeldBy(id, rec->node_principal), std::optional<uint32_t>(job.attempt)) << id;
        // Expire has run since; nothing overdue may survive it.
        if (expired_at_ >= job.lease_deadline_ms) FAIL() << id << " outlived its lease";
      }
      if (job.deadline_ms > 0 && expired_at_ >= job.deadline_ms) FAIL() << id << " outlived its deadline";
    }
    ASSERT_EQ(engine_.pending_jobs(), pending);
    uint64_t free = 0;
    for (const auto& [index, node] : nodes_) {
      const uint32_t active = engine_.ActiveJobs(index);
      ASSERT_EQ(active, held[index]) << "node " << index;
      ASSERT_LE(active, node.capacity) << "node " << index;
      free += node.capacity - active;
    }
    ASSERT_EQ(engine_.free_slots(), free);
  }

  uint64_t leases() const { return leases_; }
  uint64_t completions() const { return completions_; }
  uint64_t endings() const { return endings_; }

 private:
  uint32_t Pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }

  template <typename Map>
  std::optional<typename Map::key_type> AnyKey(const Map& map) {
    if (map.empty()) return std::nullopt;
    auto it = map.begin();
    std::advance(it, Pick(static_cast<uint32_t>(map.size())));
    return it->first;
  }

  std::optional<std::string> AnyHeldJob() {
    std::vector<std::string> ids;
    for (const auto& [id, job] : jobs_) {
      if (job.holder != nodes::kNoNode) ids.push_back(id);
    }
    if (ids.empty()) return std::nullopt;
    return ids[Pick(static_cast<uint32_t>(ids.size()))];
  }

  void AddJob() {
    store::JobRecord rec;
    rec.job_id = "job_" + std::to_string(next_job_++);
    rec.job_type = "HTML";
    rec.created_ms = now_;
    rec.assigned_ms = now_;
    rec.deadline_ms = Pick(3) == 0 ? now_ + 1 + Pick(4 * kLeaseMs) : 0;
    jobs_[rec.job_id] = ModelJob{.deadline_ms = rec.deadline_ms};
    engine_.AddPending(std::move(rec));
  }

  void AddNode() {
    const nodes::NodeIndex index = next_node_++;
    ModelNode node{"p" + std::to_string(Pick(6)), Pick(4)};  // Principals repeat.
    engine_.UpsertNode(index, node.principal, node.capacity, static_cast<float>(Pick(5)));
    nodes_[index] = node;
  }

  void RemoveNode() {
    auto index = AnyKey(nodes_);
    if (!index) return;
    std::vector<Ended> ended = engine_.RemoveNode(*index);
    for (const Ended& e : ended) {
      ASSERT_EQ(jobs_.at(e.job_id).holder, *index) << e.job_id;
      ASSERT_EQ(e.error.ends_with("node disconnected"), true) << e.error;
    }
    nodes_.erase(*index);
    Apply(ended);
    for (const auto& [id, job] : jobs_) ASSERT_NE(job.holder, *index) << id;
  }

  void Complete() {
    auto id = AnyHeldJob();
    if (!id) return;
    const ModelJob& job = jobs_.at(*id);
    ASSERT_EQ(engine_.HeldBy(*id, nodes_.at(job.holder).principal), std::optional<uint32_t>(job.attempt));
    engine_.BeginSettle(*id);
    engine_.Finish(*id);
    jobs_.erase(*id);
    ++completions_;
  }

  void Advance() {
    now_ += Pick(kLeaseMs);
    std::vector<Ended> ended = engine_.Expire(now_);
    for (const Ended& e : ended) {
      const ModelJob& job = jobs_.at(e.job_id);
      if (e.error.starts_with("Job " + e.job_id + " timed out")) {
        ASSERT_GT(job.deadline_ms, 0) << e.job_id;
        ASSERT_LE(job.deadline_ms, now_) << e.job_id;
        ASSERT_EQ(e.kind, Ended::Kind::kFailed);
      } else {
        ASSERT_NE(job.holder, nodes::kNoNode) << e.job_id;
        ASSERT_EQ(e.attempt, job.attempt) << e.job_id;
        ASSERT_LE(job.lease_deadline_ms, now_) << e.job_id << " expired early";
      }
    }
    expired_at_ = now_;
    Apply(ended);
  }

  void Pull() {
    auto index = AnyKey(nodes_);
    if (!index) return;
    const bool had_slot = engine_.ActiveJobs(*index) < nodes_.at(*index).capacity;
    const size_t pending = engine_.pending_jobs();
    std::optional<Lease> lease = engine_.LeaseTo(*index, now_);
    if (!lease) {
      ASSERT_TRUE(!had_slot || pending == 0) << "node " << *index << " refused with a slot and work";
      return;
    }
    ASSERT_TRUE(had_slot);
    ASSERT_EQ(lease->node, *index);
    Record(*lease);
  }

  void Push() {
    for (const Lease& lease : engine_.Assign(now_)) Record(lease);
    // Assign stops only when there is no work or no slot.
    ASSERT_TRUE(engine_.pending_jobs() == 0 || engine_.free_slots() == 0);
  }

  void UndoLease() {
    auto id = AnyHeldJob();
    if (!id) return;
    ModelJob& job = jobs_.at(*id);
    engine_.LeaseFailed(*id, job.attempt);
    job.holder = nodes::kNoNode;
    job.attempt -= 1;
    job.lease_deadline_ms = 0;
  }

  // A result on its way to the store while time passes, then refused.
  void SettleAndAbort() {
    auto id = AnyHeldJob();
    if (!id) return;
    engine_.BeginSettle(*id);
    const int64_t later = now_ + Pick(2 * kLeaseMs);
    for (const Ended& e : engine_.Expire(later)) {
      ASSERT_NE(e.job_id, *id) << "a settling job expired";
      // Apply below, after the clock moved.
      pending_ended_.push_back(e);
    }
    now_ = later;
    expired_at_ = 0;  // The settling job may be overdue until Expire runs again.
    std::vector<Ended> ended = std::move(pending_ended_);
    pending_ended_.clear();
    if (Pick(2) == 0) {
      std::vector<Ended> gone = engine_.RemoveNode(jobs_.at(*id).holder);
      nodes_.erase(jobs_.at(*id).holder);
      for (const Ended& e : gone) ASSERT_NE(e.job_id, *id);
      // The settling job keeps its (gone) holder in the model until aborted.
      Apply(gone);
    }
    Apply(ended);
    std::optional<Ended> reopened = engine_.AbortSettle(*id);
    ModelJob& job = jobs_.at(*id);
    if (!nodes_.contains(job.holder)) {
      ASSERT_TRUE(reopened.has_value()) << *id;
      Apply({*reopened});
    } else {
      ASSERT_FALSE(reopened.has_value()) << *id;
    }
  }

  void Record(const Lease& lease) {
    ModelJob& job = jobs_.at(lease.job_id);
    ASSERT_EQ(job.holder, nodes::kNoNode) << lease.job_id << " leased twice";
    ASSERT_TRUE(nodes_.contains(lease.node));
    ASSERT_EQ(lease.attempt, job.attempt + 1) << lease.job_id;
    ASSERT_LE(lease.attempt, kMaxAttempts) << lease.job_id;
    ASSERT_EQ(lease.deadline_ms, now_ + kLeaseMs);
    job.holder = lease.node;
    job.attempt = lease.attempt;
    job.lease_deadline_ms = lease.deadline_ms;
    ++leases_;
  }

  // What the caller does with ended leases: a release needs nothing more
  // here; a failure is written to the store and then finished.
  void Apply(const std::vector<Ended>& ended) {
    for (const Ended& e : ended) {
      ModelJob& job = jobs_.at(e.job_id);
      ASSERT_EQ(e.attempt, job.attempt) << e.job_id;
      job.holder = nodes::kNoNode;
      job.lease_deadline_ms = 0;
      ++endings_;
      if (e.kind == Ended::Kind::kFailed) {
        const bool timed_out = e.error.starts_with("Job " + e.job_id + " timed out");
        ASSERT_TRUE(timed_out || e.attempt == kMaxAttempts) << e.job_id << ": " << e.error;
        engine_.Finish(e.job_id);
        jobs_.erase(e.job_id);
      } else {
        ASSERT_LT(e.attempt, kMaxAttempts) << e.job_id;
      }
    }
  }

  std::mt19937 rng_;
  testing::TestEngine engine_;
  int64_t now_ = 1'700'000'000'000;
  int64_t expired_at_ = 0;  // Time of the last Expire with nothing settling.
  uint64_t next_job_ = 0;
  nodes::NodeIndex next_node_ = 0;
  std::map<nodes::NodeIndex, ModelNode> nodes_;
  std::map<std::string, ModelJob> jobs_;
  std::vector<Ended> pending_ended_;
  uint64_t leases_ = 0;
  uint64_t completions_ = 0;
  uint64_t endings_ = 0;
};

TEST(JobEngineProperty, CountsAndCapacityHoldOverRandomHistories) {
  for (uint32_t seed : {1u, 2u, 3u, 42u, 2024u}) {
    SCOPED_TRACE(seed);
    Simulation sim(seed);
    for (int step = 0; step < 3000; ++step) {
      ASSERT_NO_FATAL_FAILURE(sim.Step()) << "step " << step;
      ASSERT_NO_FATAL_FAILURE(sim.CheckInvariants()) << "step " << step;
    }
    // The histories did exercise the engine.
    EXPECT_GT(sim.leases(), 100u);
    EXPECT_GT(sim.completions(), 50u);
    EXPECT_GT(sim.endings(), 50u);
  }
}

}  // namespace
}  // namespace sela::jobs
