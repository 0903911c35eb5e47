// JobEngine's node slots, the jobs each holds and the node ranking (see
// engine.h); the jobs' side is in engine.cc.
#include "jobs/engine.h"

#include <algorithm>
#include <cassert>

namespace sela::jobs {

JobEngine::Node* JobEngine::LiveNode(nodes::NodeIndex node) {
  return node < nodes_.size() && nodes_[node].live ? &nodes_[node] : nullptr;
}

const JobEngine::Node* JobEngine::LiveNode(nodes::NodeIndex node) const {
  return node < nodes_.size() && nodes_[node].live ? &nodes_[node] : nullptr;
}

void JobEngine::LinkHeld(Node& n, Open& job) {
  job.held_next = nullptr;
  if (!n.held) {
    job.held_prev = &job;
    n.held = &job;
    return;
  }
  Open* last = n.held->held_prev;
  last->held_next = &job;
  job.held_prev = last;
  n.held->held_prev = &job;
}

// As a vector's swap and pop: the last job takes the place of this one.
void JobEngine::UnlinkHeld(Node& n, Open& job) {
  Open* last = n.held->held_prev;
  if (last == n.held) {
    n.held = nullptr;
  } else {
    last->held_prev->held_next = nullptr;
    n.held->held_prev = last->held_prev;
  }
  if (last != &job) {
    last->held_next = job.held_next;
    last->held_prev = job.held_prev;
    if (n.held == &job) {
      n.held = last;
    } else {
      job.held_prev->held_next = last;
    }
    if (last->held_next) {
      last->held_next->held_prev = last;
    } else {
      n.held->held_prev = last;
    }
  }
  job.held_prev = nullptr;
  job.held_next = nullptr;
}

bool JobEngine::Above(nodes::NodeIndex a, nodes::NodeIndex b) const {
  const Node& x = nodes_[a];
  const Node& y = nodes_[b];
  if (x.active != y.active) return x.active < y.active;
  if (x.rtt_step != y.rtt_step) return x.rtt_step < y.rtt_step;
  if (x.speed != y.speed) return x.speed > y.speed;
  if (x.last_grant != y.last_grant) return x.last_grant < y.last_grant;
  return a < b;
}

void JobEngine::StampGrant(nodes::NodeIndex node) {
  constexpr uint32_t kGrantMax = (uint32_t{1} << 23) - 1;  // Node::last_grant's width.
  if (grants_ == kGrantMax) {
    grants_ = 0;
    std::vector<nodes::NodeIndex> ranked;
    for (uint32_t pos = 0; pos < ranks_.size(); ++pos) ranked.push_back(ranks_[pos]);
    for (nodes::NodeIndex i = 0; i < nodes_.size(); ++i) nodes_[i].last_grant = 0;
    while (ranks_.size() > 0) Unrank(ranks_.size() - 1);
    for (nodes::NodeIndex i : ranked) Rank(i);
  }
  nodes_[node].last_grant = ++grants_;
  Rank(node);
}

void JobEngine::Place(uint32_t pos, nodes::NodeIndex node) {
  ranks_[pos] = node;
  nodes_[node].rank_pos = pos;
}

uint32_t JobEngine::SiftUp(uint32_t pos) {
  const nodes::NodeIndex node = ranks_[pos];
  while (pos > 0) {
    const uint32_t parent = (pos - 1) / 2;
    if (!Above(node, ranks_[parent])) break;
    Place(pos, ranks_[parent]);
    pos = parent;
  }
  Place(pos, node);
  return pos;
}

void JobEngine::SiftDown(uint32_t pos) {
  const nodes::NodeIndex node = ranks_[pos];
  const uint32_t size = ranks_.size();
  for (uint32_t child = 2 * pos + 1; child < size; child = 2 * pos + 1) {
    if (child + 1 < size && Above(ranks_[child + 1], ranks_[child])) ++child;
    if (!Above(ranks_[child], node)) break;
    Place(pos, ranks_[child]);
    pos = child;
  }
  Place(pos, node);
}

void JobEngine::Unrank(uint32_t pos) {
  nodes_[ranks_[pos]].rank_pos = kNotRanked;
  const nodes::NodeIndex last = ranks_.back();
  ranks_.pop_back();
  if (pos == ranks_.size()) return;
  Place(pos, last);
  SiftDown(SiftUp(pos));
}

void JobEngine::Rank(nodes::NodeIndex node) {
  Node& n = nodes_[node];
  const bool has_slot = n.live && n.active < n.capacity;
  if (n.rank_pos == kNotRanked) {
    if (!has_slot) return;
    ranks_.push_back(node);
    n.rank_pos = ranks_.size() - 1;
    SiftUp(n.rank_pos);
  } else if (!has_slot) {
    Unrank(n.rank_pos);
  } else {
    SiftDown(SiftUp(n.rank_pos));
  }
}

void JobEngine::UpsertNode(nodes::NodeIndex node, uint32_t capacity, float download_speed, uint32_t rtt_ms) {
  if (node == nodes::kNoNode) return;
  if (node >= nodes_.size()) nodes_.GrowTo(node + 1);
  Node& n = nodes_[node];
  if (!n.live) {
    n.live = 1;
    ++live_nodes_;
  }
  n.capacity = static_cast<uint16_t>(std::min(capacity, nodes::kJobsPerNodeMax));
  n.speed = download_speed;
  n.rtt_step = rtt_ms == kRttUnknown ? kRttStepUnknown : std::min<uint32_t>(rtt_ms / kRttStepMs, kRttStepUnknown - 1);
  Rank(node);
  Unpark(node);
}

std::vector<Ended> JobEngine::RemoveNode(nodes::NodeIndex node) {
  std::vector<Ended> ended;
  Node* n = LiveNode(node);
  if (!n) return ended;
  Open* held = n->held;
  n->live = 0;
  Rank(node);
  *n = Node{};
  --live_nodes_;
  while (held) {
    Open& job = *held;
    held = job.held_next;
    job.held_prev = nullptr;
    job.held_next = nullptr;
    job.holder = nodes::kNoNode;
    // A job being settled keeps its state: the store decides its fate.
    if (job.settling) continue;
    ended.push_back(EndLease(job, "node disconnected"));
  }
  return ended;
}

std::vector<Ended> JobEngine::EndLeasesOf(nodes::NodeIndex node, std::string_view client_id) {
  std::vector<Ended> ended;
  Node* n = LiveNode(node);
  if (!n) return ended;
  std::vector<Open*> theirs;
  for (Open* job = n->held; job; job = job->held_next) {
    if (!job->settling && job->rec.node_client_id == client_id) theirs.push_back(job);
  }
  for (Open* job : theirs) ended.push_back(EndLease(*job, "session ended"));
  return ended;
}

uint32_t JobEngine::ActiveJobs(nodes::NodeIndex node) const {
  const Node* n = LiveNode(node);
  return n ? n->active : 0;
}

uint64_t JobEngine::free_slots() const {
  // The ranking holds exactly the live nodes with a free slot.
  uint64_t free = 0;
  for (uint32_t pos = 0; pos < ranks_.size(); ++pos) {
    const Node& n = nodes_[ranks_[pos]];
    free += n.capacity - n.active;
  }
  return free;
}

void JobEngine::DropHeld(Open& job) {
  const nodes::NodeIndex node = job.holder;
  Node* n = LiveNode(node);
  // A holder is live: RemoveNode clears the holder of every job it held.
  assert(n != nullptr);
  UnlinkHeld(*n, job);
  --n->active;
  Rank(node);
  Unpark(node);
}

}  // namespace sela::jobs
