// JobEngine against a small model over random histories (fixed seeds): jobs
// arrive (some with deadlines), nodes come, change and go, leases are pushed
// and pulled, undone, settled, aborted and expired. After every step the
// engine's counts must match the model and no node may be given a job
// beyond its capacity; every pushed lease goes to the node the ranking rule
// names, and a node that goes offline ends its leases in the order a vector
// of held jobs with swap-and-pop removal keeps (as the engine always did).
#include <gtest/gtest.h>

#include <algorithm>
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
  float speed = 0;
  std::vector<std::string> held;  // Swap-and-pop on removal.
  uint64_t last_grant = 0;        // The number of its latest lease; 0 before.
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
    switch (Pick(10)) {
      case 0: AddJob(); break;
      case 1: AddNode(); break;
      case 2: RemoveNode(); break;
      case 3: Complete(); break;
      case 4: Advance(); break;
      case 5: Pull(); break;
      case 6: Push(); break;
      case 7: UndoLease(); break;
      case 8: SettleAndAbort(); break;
      case 9: UpdateNode(); break;
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
      ASSERT_EQ(active, node.held.size()) << "node " << index;
      // A node whose capacity was lowered may hold more until jobs end.
      free += node.capacity > active ? node.capacity - active : 0;
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
    // Principals repeat; speeds tie often.
    ModelNode node{"p" + std::to_string(Pick(6)), Pick(4), static_cast<float>(Pick(5)), {}};
    engine_.UpsertNode(index, node.principal, node.capacity, node.speed);
    nodes_[index] = node;
  }

  // A speed test or an operator changes a live node: it may move either way
  // in the ranking, or end up holding more than its new capacity.
  void UpdateNode() {
    auto index = AnyKey(nodes_);
    if (!index) return;
    ModelNode& node = nodes_.at(*index);
    node.capacity = Pick(5);
    node.speed = static_cast<float>(Pick(5));
    engine_.UpsertNode(*index, node.principal, node.capacity, node.speed);
  }

  // The ended leases of a node going offline, in the engine's order.
  static std::vector<std::string> EndedIds(const std::vector<Ended>& ended) {
    std::vector<std::string> ids;
    for (const Ended& e : ended) ids.push_back(e.job_id);
    return ids;
  }

  void RemoveNode() {
    auto index = AnyKey(nodes_);
    if (!index) return;
    std::vector<Ended> ended = engine_.RemoveNode(*index);
    for (const Ended& e : ended) {
      ASSERT_EQ(jobs_.at(e.job_id).holder, *index) << e.job_id;
      ASSERT_EQ(e.error.ends_with("node disconnected"), true) << e.error;
    }
    ASSERT_EQ(EndedIds(ended), nodes_.at(*index).held);
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
    Unhold(*id);
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
    LeasesEnded(ended);
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

  // The node a pushed lease must go to (JobEngine's header): of those with a
  // free slot, the fewest held jobs, then fastest, then the longest since its
  // last lease, then the lower index; the second of that order when the
  // first's principal last failed the job.
  nodes::NodeIndex ExpectedPushNode(const std::string& last_failed) const {
    std::vector<std::pair<nodes::NodeIndex, uint32_t>> free;
    for (const auto& [index, node] : nodes_) {
      if (node.held.size() < node.capacity) free.push_back({index, static_cast<uint32_t>(node.held.size())});
    }
    std::sort(free.begin(), free.end(), [this](const auto& a, const auto& b) {
      if (a.second != b.second) return a.second < b.second;
      const ModelNode& x = nodes_.at(a.first);
      const ModelNode& y = nodes_.at(b.first);
      if (x.speed != y.speed) return x.speed > y.speed;
      if (x.last_grant != y.last_grant) return x.last_grant < y.last_grant;
      return a.first < b.first;
    });
    if (free.empty()) return nodes::kNoNode;
    if (free.size() > 1 && nodes_.at(free[0].first).principal == last_failed) return free[1].first;
    return free[0].first;
  }

  void Push() {
    for (const Lease& lease : engine_.Assign(now_)) {
      const std::string& last_failed = engine_.Find(lease.job_id)->last_failed_node;
      ASSERT_EQ(lease.node, ExpectedPushNode(last_failed)) << lease.job_id;
      Record(lease);
    }
    // Assign stops only when there is no work or no slot.
    ASSERT_TRUE(engine_.pending_jobs() == 0 || engine_.free_slots() == 0);
  }

  void UndoLease() {
    auto id = AnyHeldJob();
    if (!id) return;
    ModelJob& job = jobs_.at(*id);
    engine_.LeaseFailed(*id, job.attempt);
    Unhold(*id);
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
    LeasesEnded(pending_ended_);
    now_ = later;
    expired_at_ = 0;  // The settling job may be overdue until Expire runs again.
    std::vector<Ended> ended = std::move(pending_ended_);
    pending_ended_.clear();
    if (Pick(2) == 0) {
      const nodes::NodeIndex holder = jobs_.at(*id).holder;
      std::vector<Ended> gone = engine_.RemoveNode(holder);
      // Jobs being settled (this one, and those past their deadline that
      // Expire just failed) stay where they are and are not ended.
      std::vector<std::string> expected = nodes_.at(holder).held;
      std::erase(expected, *id);
      for (const Ended& e : ended) std::erase(expected, e.job_id);
      ASSERT_EQ(EndedIds(gone), expected);
      nodes_.erase(holder);
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
    ModelNode& node = nodes_.at(lease.node);
    ASSERT_LT(node.held.size(), node.capacity) << lease.job_id << " beyond capacity";
    node.held.push_back(lease.job_id);
    node.last_grant = ++grants_;
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
      Unhold(e.job_id);
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

  // Expire drops the jobs whose leases it ended from their nodes at once;
  // a job past its deadline stays with its node until it is finished.
  void LeasesEnded(const std::vector<Ended>& ended) {
    for (const Ended& e : ended) {
      if (e.reason != store::FailureReason::kDeadline) Unhold(e.job_id);
    }
  }

  // The job leaves its holder's held jobs, if the holder is still live.
  void Unhold(const std::string& id) {
    auto node = nodes_.find(jobs_.at(id).holder);
    if (node == nodes_.end()) return;
    std::vector<std::string>& held = node->second.held;
    auto it = std::find(held.begin(), held.end(), id);
    if (it == held.end()) return;
    *it = std::move(held.back());
    held.pop_back();
  }

  std::mt19937 rng_;
  testing::TestEngine engine_;
  int64_t now_ = 1'700'000'000'000;
  int64_t expired_at_ = 0;  // Time of the last Expire with nothing settling.
  uint64_t next_job_ = 0;
  nodes::NodeIndex next_node_ = 0;
  std::map<nodes::NodeIndex, ModelNode> nodes_;
  uint64_t grants_ = 0;  // Leases handed out, as the engine numbers them.
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
