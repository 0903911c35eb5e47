#include "jobs/engine.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <tuple>
#include <utility>

namespace sela::jobs {

namespace {
constexpr uint32_t kDeadlineTimer = std::numeric_limits<uint32_t>::max();
}  // namespace

// ---- jobs --------------------------------------------------------------------

void JobEngine::Requeue(Open& job, bool front) {
  job.rec.state = store::JobState::kPending;
  job.rec.lease_deadline_ms = 0;
  if (job.queued || job.parked) return;
  job.queued = true;
  ++pending_count_;
  auto [queue, fresh] = queues_.try_emplace(job.rec.client_uuid);
  if (fresh) {
    // The customer takes its turn now: first when the job is an old one
    // coming back, last when it is new.
    if (front) {
      turns_.push_front(job.rec.client_uuid);
    } else {
      turns_.push_back(job.rec.client_uuid);
    }
  }
  if (front) {
    queue->second.push_front(job.rec.job_id);
  } else {
    queue->second.push_back(job.rec.job_id);
  }
}

JobEngine::Open* JobEngine::PopNextPending() {
  while (!turns_.empty()) {
    std::string client = std::move(turns_.front());
    turns_.pop_front();
    auto queue = queues_.find(client);
    if (queue == queues_.end()) continue;
    Open* found = nullptr;
    std::deque<std::string>& ids = queue->second;
    while (!ids.empty() && found == nullptr) {
      auto it = jobs_.find(ids.front());
      ids.pop_front();
      if (it != jobs_.end() && it->second.queued) found = &it->second;
    }
    if (ids.empty()) {
      queues_.erase(queue);
    } else {
      turns_.push_back(std::move(client));
    }
    if (found != nullptr) {
      found->queued = false;
      --pending_count_;
      return found;
    }
  }
  return nullptr;
}

void JobEngine::CountOpen(const store::JobRecord& rec, int delta) {
  if (delta > 0) {
    ++open_by_client_[rec.client_uuid];
    return;
  }
  auto it = open_by_client_.find(rec.client_uuid);
  if (it != open_by_client_.end() && --it->second == 0) open_by_client_.erase(it);
}

uint32_t JobEngine::OpenJobsOf(std::string_view client_uuid) const {
  auto it = open_by_client_.find(client_uuid);
  return it == open_by_client_.end() ? 0 : it->second;
}

std::vector<std::string> JobEngine::OpenJobIdsOf(std::string_view client_uuid) const {
  std::vector<const Open*> mine;
  for (const auto& [id, job] : jobs_) {
    if (job.rec.client_uuid == client_uuid) mine.push_back(&job);
  }
  std::sort(mine.begin(), mine.end(), [](const Open* a, const Open* b) {
    return std::tie(a->rec.created_ms, a->rec.job_id) < std::tie(b->rec.created_ms, b->rec.job_id);
  });
  std::vector<std::string> ids;
  for (const Open* job : mine) ids.push_back(job->rec.job_id);
  return ids;
}

void JobEngine::AddPending(store::JobRecord rec) {
  if (jobs_.contains(rec.job_id)) return;
  const std::string id = rec.job_id;
  const int64_t deadline = rec.deadline_ms;
  Open& job = jobs_[id];
  job.rec = std::move(rec);
  CountOpen(job.rec, +1);
  Requeue(job, false);
  if (deadline > 0) timers_.push(Timer{deadline, id, kDeadlineTimer});
}

std::optional<Lease> JobEngine::AddLeased(store::JobRecord rec, int64_t now_ms) {
  if (jobs_.contains(rec.job_id) || pending_count_ > 0 || parked_count_ > 0) return std::nullopt;
  nodes::NodeIndex node = nodes::kNoNode;
  if (rec.target_node.empty()) {
    node = BestNode();
  } else {
    node = options_.index_of(rec.target_node);
    const Node* n = LiveNode(node);
    if (!n || n->active >= n->capacity) node = nodes::kNoNode;
  }
  if (node == nodes::kNoNode) return std::nullopt;
  const std::string id = rec.job_id;
  const int64_t deadline = rec.deadline_ms;
  Open& job = jobs_[id];
  job.rec = std::move(rec);
  job.rec.state = store::JobState::kPending;
  job.rec.attempt = 0;
  CountOpen(job.rec, +1);
  if (deadline > 0) timers_.push(Timer{deadline, id, kDeadlineTimer});
  return Grant(job, node, now_ms);
}

nodes::NodeIndex JobEngine::PickNode(const store::JobRecord& job) const {
  const nodes::NodeIndex best = BestNode();
  if (best == nodes::kNoNode || job.last_failed_node.empty() ||
      options_.principal_of(best) != job.last_failed_node) {
    return best;
  }
  // The best is the node that failed the job: take the next one if any (one
  // principal is one node, so the second is another). In the heap it is one
  // of the top's children.
  nodes::NodeIndex second = nodes::kNoNode;
  if (ranks_.size() > 1) second = ranks_[1];
  if (ranks_.size() > 2 && Above(ranks_[2], second)) second = ranks_[2];
  // Only the node that failed the job has a free slot: it may try again
  // rather than leave the job waiting for a node that may never come.
  return second == nodes::kNoNode ? best : second;
}

Lease JobEngine::Grant(Open& job, nodes::NodeIndex node, int64_t now_ms) {
  Node& n = nodes_[node];
  ++n.active;
  LinkHeld(n, job);
  StampGrant(node);
  job.holder = node;
  job.rec.state = store::JobState::kOngoing;
  job.rec.attempt += 1;
  job.rec.node_principal.assign(options_.principal_of(node));
  job.rec.assigned_ms = now_ms;
  job.rec.lease_deadline_ms = now_ms + options_.lease_ms;
  timers_.push(Timer{job.rec.lease_deadline_ms, job.rec.job_id, job.rec.attempt});
  return Lease{job.rec.job_id, node, job.rec.attempt, job.rec.lease_deadline_ms};
}

std::vector<Lease> JobEngine::Assign(int64_t now_ms) {
  std::vector<Lease> leases;
  while (pending_count_ > 0 && BestNode() != nodes::kNoNode) {
    Open* next = PopNextPending();
    if (next == nullptr) break;
    Open& job = *next;
    if (job.settling) continue;  // Failing (deadline); AbortSettle requeues it.
    if (!job.rec.target_node.empty()) {
      const nodes::NodeIndex target = options_.index_of(job.rec.target_node);
      const Node* n = LiveNode(target);
      if (!n || n->active >= n->capacity) {
        Park(job);
        continue;
      }
      leases.push_back(Grant(job, target, now_ms));
      continue;
    }
    const nodes::NodeIndex node = PickNode(job.rec);
    leases.push_back(Grant(job, node, now_ms));
  }
  return leases;
}

void JobEngine::Park(Open& job) {
  job.parked = true;
  ++parked_count_;
  parked_[job.rec.target_node].push_back(job.rec.job_id);
}

void JobEngine::Unpark(nodes::NodeIndex node) {
  if (parked_.empty()) return;
  const Node* n = LiveNode(node);
  if (!n || n->active >= n->capacity) return;
  auto it = parked_.find(std::string(options_.principal_of(node)));
  if (it == parked_.end()) return;
  std::vector<std::string> ids = std::move(it->second);
  parked_.erase(it);
  // Oldest first at the front of the queue.
  for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
    auto j = jobs_.find(*id);
    if (j == jobs_.end() || !j->second.parked) continue;
    j->second.parked = false;
    --parked_count_;
    Requeue(j->second, true);
  }
}

std::optional<Lease> JobEngine::LeaseTo(nodes::NodeIndex node, int64_t now_ms) {
  const Node* n = LiveNode(node);
  if (!n || n->active >= n->capacity) return std::nullopt;
  Unpark(node);
  const std::string_view principal = options_.principal_of(node);
  // In turn order, the first job this node did not just fail; else the first
  // it may take at all.
  Open* choice = nullptr;
  size_t choice_turn = 0;
  size_t choice_pos = 0;
  for (size_t turn = 0; turn < turns_.size(); ++turn) {
    std::deque<std::string>& ids = queues_[turns_[turn]];
    // Only Assign pops entries; without push, stale ones would pile up here.
    while (!ids.empty()) {
      auto front = jobs_.find(ids.front());
      if (front != jobs_.end() && front->second.queued) break;
      ids.pop_front();
    }
    bool preferred = false;
    for (size_t i = 0; i < ids.size() && !preferred; ++i) {
      auto it = jobs_.find(ids[i]);
      if (it == jobs_.end() || !it->second.queued || it->second.settling) continue;
      const std::string& target = it->second.rec.target_node;
      if (!target.empty() && target != principal) continue;
      preferred = it->second.rec.last_failed_node != principal;
      if (preferred || !choice) {
        choice = &it->second;
        choice_turn = turn;
        choice_pos = i;
      }
    }
    if (preferred) break;
  }
  if (!choice) return std::nullopt;
  std::string client = turns_[choice_turn];
  turns_.erase(turns_.begin() + static_cast<std::ptrdiff_t>(choice_turn));
  std::deque<std::string>& ids = queues_[client];
  ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(choice_pos));
  if (ids.empty()) {
    queues_.erase(client);
  } else {
    turns_.push_back(std::move(client));  // It had its turn.
  }
  choice->queued = false;
  --pending_count_;
  return Grant(*choice, node, now_ms);
}

void JobEngine::SetNodeClientId(const std::string& job_id, std::string client_id) {
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) it->second.rec.node_client_id = std::move(client_id);
}

nodes::NodeIndex JobEngine::LeaseFailed(const std::string& job_id, uint32_t attempt) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return nodes::kNoNode;
  Open& job = it->second;
  if (job.rec.state != store::JobState::kOngoing || job.rec.attempt != attempt || job.settling) {
    return nodes::kNoNode;
  }
  const nodes::NodeIndex holder = job.holder;
  if (holder != nodes::kNoNode) DropHeld(job);
  job.holder = nodes::kNoNode;
  job.rec.attempt -= 1;
  Requeue(job, true);
  return holder;
}

std::optional<uint32_t> JobEngine::HeldBy(const std::string& job_id, std::string_view principal) const {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return std::nullopt;
  const Open& job = it->second;
  // An ongoing job without a holder is one whose lease ended while it
  // fails (out of attempts) or settles: its node no longer holds it.
  if (job.rec.state != store::JobState::kOngoing || job.holder == nodes::kNoNode ||
      job.rec.node_principal != principal) {
    return std::nullopt;
  }
  return job.rec.attempt;
}

void JobEngine::BeginSettle(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) it->second.settling = true;
}

std::optional<Ended> JobEngine::AbortSettle(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return std::nullopt;
  Open& job = it->second;
  job.settling = false;
  // Expire dropped the timers that passed while the job settled: arm them
  // again (one that no longer applies is skipped when it fires).
  if (job.rec.deadline_ms > 0) timers_.push(Timer{job.rec.deadline_ms, job_id, kDeadlineTimer});
  if (job.rec.state == store::JobState::kPending) {
    Requeue(job, true);
    return std::nullopt;
  }
  // Its node left meanwhile: the lease has ended after all.
  if (job.holder == nodes::kNoNode) return EndLease(job, "node disconnected");
  timers_.push(Timer{job.rec.lease_deadline_ms, job_id, job.rec.attempt});
  return std::nullopt;
}

nodes::NodeIndex JobEngine::Finish(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return nodes::kNoNode;
  Open& job = it->second;
  const nodes::NodeIndex holder = job.holder;
  if (holder != nodes::kNoNode) DropHeld(job);
  CountOpen(job.rec, -1);
  if (job.queued) --pending_count_;
  if (job.parked) {
    --parked_count_;
    auto p = parked_.find(job.rec.target_node);
    if (p != parked_.end()) {
      std::erase(p->second, job_id);
      if (p->second.empty()) parked_.erase(p);
    }
  }
  // Its entry in its customer's queue (if any) is skipped as stale.
  jobs_.erase(it);
  // Its timers stay in the heap until they are due; with leases of minutes
  // and thousands of jobs a second they would pile up, so drop the dead ones
  // once they outnumber the live (amortised O(log n) per job).
  if (timers_.size() > 2 * jobs_.size() + 1024) CompactTimers();
  return holder;
}

bool JobEngine::ForgetPending(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return false;
  const Open& job = it->second;
  if (job.settling || job.rec.state != store::JobState::kPending || job.holder != nodes::kNoNode) return false;
  Finish(job_id);
  return true;
}

bool JobEngine::TimerLive(const Timer& t) const {
  auto it = jobs_.find(t.job_id);
  if (it == jobs_.end()) return false;
  const store::JobRecord& rec = it->second.rec;
  if (t.attempt == kDeadlineTimer) return rec.deadline_ms == t.at;
  return rec.state == store::JobState::kOngoing && rec.attempt == t.attempt && rec.lease_deadline_ms == t.at;
}

void JobEngine::CompactTimers() {
  std::vector<Timer> live;
  live.reserve(jobs_.size() * 2);
  while (!timers_.empty()) {
    // A job being settled keeps its timers: AbortSettle may need them.
    if (TimerLive(timers_.top())) live.push_back(timers_.top());
    timers_.pop();
  }
  timers_ = decltype(timers_)(std::greater<>(), std::move(live));
}

std::optional<uint32_t> JobEngine::BeginFail(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.settling) return std::nullopt;
  it->second.settling = true;
  return it->second.rec.attempt;
}

Ended JobEngine::EndLease(Open& job, std::string_view why) {
  const uint32_t attempt = job.rec.attempt;
  if (job.holder != nodes::kNoNode) DropHeld(job);
  job.holder = nodes::kNoNode;
  job.rec.last_failed_node = job.rec.node_principal;
  if (attempt >= options_.max_attempts) {
    job.settling = true;
    return Ended{job.rec.job_id, attempt, Ended::Kind::kFailed,
                 "Job failed after " + std::to_string(attempt) + " attempts: " + std::string(why),
                 store::FailureReason::kAttemptsExhausted};
  }
  Requeue(job, true);
  return Ended{job.rec.job_id, attempt, Ended::Kind::kReleased, std::string(why)};
}

std::vector<Ended> JobEngine::Expire(int64_t now_ms) {
  std::vector<Ended> ended;
  while (!timers_.empty() && timers_.top().at <= now_ms) {
    Timer t = timers_.top();
    timers_.pop();
    auto it = jobs_.find(t.job_id);
    if (it == jobs_.end()) continue;
    Open& job = it->second;
    if (job.settling) continue;
    if (t.attempt == kDeadlineTimer) {
      // Past its deadline, pending or ongoing: it fails.
      const uint32_t attempt = job.rec.attempt;
      job.settling = true;
      const int64_t waited = job.rec.deadline_ms - job.rec.created_ms;
      ended.push_back(Ended{job.rec.job_id, attempt, Ended::Kind::kFailed,
                            "Job " + job.rec.job_id + " timed out after " + std::to_string(waited) + "ms",
                            store::FailureReason::kDeadline});
      continue;
    }
    // LeaseFailed hands the same attempt number out again, so the timer must
    // also match the lease's deadline to be that lease's.
    if (job.rec.state != store::JobState::kOngoing || job.rec.attempt != t.attempt ||
        job.rec.lease_deadline_ms != t.at) {
      continue;
    }
    ended.push_back(EndLease(job, "lease expired"));
  }
  return ended;
}

const store::JobRecord* JobEngine::Find(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second.rec;
}

}  // namespace sela::jobs
