// JobEngine: the open jobs of this process and who holds them
// (ARCHITECTURE.md §6).
//
// Pure domain code: no I/O, no clock reads (callers pass `now_ms`), owned by
// the event loop. The store is the record; the engine mirrors the jobs that
// are still open (pending or ongoing) so that assignment, leases and
// deadlines cost no store round trip. The caller (api/job_service) applies
// every decision to the store, in the order the engine made them.
//
// - Pending jobs wait per customer (client_uuid) in FIFO order (a job
//   released by a node goes back to the front of its customer's queue: it
//   is the oldest), and customers take turns: one job of each customer with
//   pending jobs, round and round. A customer who queues thousands of jobs
//   delays each other customer by at most one of its jobs per turn, not by
//   all of them (issue 11: a flood must not crowd out other customers).
// - Assignment (push): the next job goes to the live node with a free slot
//   that holds the fewest jobs, then the lowest round-trip time the server
//   measured (in 25 ms steps; unmeasured last), then the best download speed
//   the node reported, then the one that has waited longest since its last
//   lease, so that equal nodes get (and earn) alike (issue 12); the node
//   that last failed the job is passed over while any other node has a free
//   slot.
// - A job with a target_node (scrapeUrl's principalId) goes to that node
//   only: while it is offline or full, the job is parked and goes back to
//   the front of the queue when the node has a free slot again.
// - Pull: a node asking for work gets the oldest pending job it may take.
// - A lease lasts lease_ms. When it expires, or its node goes offline, the
//   job goes back to pending, or fails once max_attempts leases have ended
//   without a result.
// - A job with a deadline (scrapeUrl's timeoutMs) fails when it passes.
// - A job being settled (its result or failure is on its way to the store)
//   is left alone by expiries and disconnects.
//
// Memory: per node slot (one per NodeIndex the registry has handed out) 24
// bytes in fixed blocks, plus 4 in the ranking while the node has a free
// slot; the jobs a node holds are linked through the jobs themselves, so a
// lease allocates nothing for its node (docs/BENCHMARKS.md, idle node
// memory; jobs/engine_memory_test.cc).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/block_array.h"
#include "nodes/registry.h"
#include "store/store.h"

namespace sela::jobs {

struct EngineOptions {
  int64_t lease_ms = 300'000;   // JOB_LEASE_MS
  uint32_t max_attempts = 3;    // JOB_MAX_ATTEMPTS
  // The principal of a live node (the registry's). The engine keeps no copy:
  // per-node state stays a few dozen bytes (docs/BENCHMARKS.md, idle node
  // memory). Required.
  std::function<std::string_view(nodes::NodeIndex)> principal_of;
  // The live node of a principal, or kNoNode (for jobs with a target_node).
  // Required.
  std::function<nodes::NodeIndex(std::string_view)> index_of;
};

// A lease the engine just handed out; the caller records it in the store and
// sends the job to the node.
struct Lease {
  std::string job_id;
  nodes::NodeIndex node = nodes::kNoNode;
  uint32_t attempt = 0;
  int64_t deadline_ms = 0;
};

// A job whose lease ended without a result, or whose deadline passed.
struct Ended {
  enum class Kind : uint8_t {
    kReleased,   // Back to pending: store ReleaseJob(job_id, attempt).
    kFailed,     // Out of attempts or past its deadline: store FailJob.
  };
  std::string job_id;
  uint32_t attempt = 0;  // The store's attempt number to guard the transition with.
  Kind kind = Kind::kReleased;
  std::string error;     // kFailed: why, in words.
  // kFailed: kDeadline (the job's deadline passed) or kAttemptsExhausted
  // (its last lease ended); kNone when released.
  store::FailureReason reason = store::FailureReason::kNone;
};

class JobEngine {
 public:
  explicit JobEngine(EngineOptions options) : options_(std::move(options)) {}

  // ---- nodes ----
  // Adds a live node or updates it (capacity, speed). Its principal is
  // read through EngineOptions::principal_of while it is live. Capacity is
  // clamped to nodes::kJobsPerNodeMax, the registry's limit.
  // rtt_ms: the round trip the server measured to the node, kRttUnknown if
  // none yet. download_speed: what the node reported (the caller caps it).
  static constexpr uint32_t kRttUnknown = 0xffffffffu;
  void UpsertNode(nodes::NodeIndex node, uint32_t capacity, float download_speed, uint32_t rtt_ms = kRttUnknown);
  // The node went offline: every job it held ends (not those being settled).
  std::vector<Ended> RemoveNode(nodes::NodeIndex node);
  // One session of a node ended while others stay: the leases sent to that
  // session (node_client_id) end; the node's other leases stay.
  std::vector<Ended> EndLeasesOf(nodes::NodeIndex node, std::string_view client_id);
  uint32_t ActiveJobs(nodes::NodeIndex node) const;

  // ---- jobs ----
  // A pending job (new, or taken over at start-up). Ignored if already open.
  void AddPending(store::JobRecord job);
  // A new job that can start at once (nothing is waiting ahead of it and a
  // node has a free slot): added already leased, so that the caller records
  // job and lease in one store operation. nullopt (and nothing added) when it
  // must wait; the caller then creates it pending and calls AddPending.
  std::optional<Lease> AddLeased(store::JobRecord job, int64_t now_ms);
  // Push assignment: as many leases as there are pending jobs and free slots.
  std::vector<Lease> Assign(int64_t now_ms);
  // Pull: the oldest pending job this node may take, if it has a free slot.
  std::optional<Lease> LeaseTo(nodes::NodeIndex node, int64_t now_ms);
  // The clientId of the connection the lease was sent to, kept on the job.
  void SetNodeClientId(const std::string& job_id, std::string client_id);
  // The store refused a lease the engine handed out: undo it.
  // Returns the node whose slot it freed (kNoNode if none).
  nodes::NodeIndex LeaseFailed(const std::string& job_id, uint32_t attempt);

  // The attempt of the lease `principal` holds on the job, when it holds one.
  std::optional<uint32_t> HeldBy(const std::string& job_id, std::string_view principal) const;
  // A result or failure for the job is on its way to the store.
  void BeginSettle(const std::string& job_id);
  // ...and the store refused it: the job is open again as before. When its
  // node went offline meanwhile, its lease ends now (returned, to apply).
  std::optional<Ended> AbortSettle(const std::string& job_id);
  // The job is completed or failed in the store: forget it, free its slot.
  // Returns the node whose slot it freed (kNoNode if none).
  nodes::NodeIndex Finish(const std::string& job_id);
  // A pending job leaves this engine without ending (several processes
  // share the store: it went back to the shared queue, or another process
  // holds it now). False, changing nothing, when it is not pending here or
  // is being settled.
  bool ForgetPending(const std::string& job_id);
  // A pending or ongoing job fails now (the caller will FailJob it): marks
  // it settling and returns the attempt, or nullopt when it is not open or
  // already settling.
  std::optional<uint32_t> BeginFail(const std::string& job_id);

  // Leases and deadlines that passed by now_ms.
  std::vector<Ended> Expire(int64_t now_ms);
  // Timers held (live and not yet dropped); for tests of memory bounds.
  size_t timer_count() const { return timers_.size(); }

  const store::JobRecord* Find(const std::string& job_id) const;
  size_t open_jobs() const { return jobs_.size(); }
  // Open jobs of one customer, and how many customers have any.
  uint32_t OpenJobsOf(std::string_view client_uuid) const;
  size_t clients_with_open_jobs() const { return open_by_client_.size(); }
  // The customer's open jobs, oldest first (for cancelling them all, tests).
  std::vector<std::string> OpenJobIdsOf(std::string_view client_uuid) const;
  size_t pending_jobs() const { return pending_count_ + parked_count_; }
  size_t live_nodes() const { return live_nodes_; }
  // Sum of free slots over live nodes (a walk over them).
  uint64_t free_slots() const;
  // Live nodes with at least one free slot (O(1); a lower bound of
  // free_slots()).
  size_t nodes_with_free_slot() const { return ranks_.size(); }

 private:
  struct Open {
    store::JobRecord rec;
    nodes::NodeIndex holder = nodes::kNoNode;
    bool settling = false;
    bool queued = false;  // In its customer's queue (may be a stale entry once leased).
    bool parked = false;  // Pending, waiting in parked_ for its target node.
    // The holder's list of the jobs it holds (see Node::held). Entries of
    // jobs_ never move, so the list can point at them.
    Open* held_prev = nullptr;  // The first job's is the last job.
    Open* held_next = nullptr;  // Null at the end.
  };
  static constexpr uint32_t kNotRanked = 0xffffffffu;
  static constexpr uint32_t kRttStepMs = 25;
  static constexpr uint8_t kRttStepUnknown = 255;
  // A node slot. Its held jobs are kept in the order a vector with
  // swap-and-pop removal would keep them (the order RemoveNode ends them in,
  // which decides the order they are queued again).
  struct Node {
    Open* held = nullptr;  // First job it holds.
    float speed = 0;
    uint32_t rank_pos = kNotRanked;  // Index in ranks_, while it has a free slot.
    uint16_t capacity = 0;
    uint16_t active = 0;
    // The grant number of its latest lease (grants_), 0 before the first:
    // lower has waited longer.
    uint32_t last_grant : 23 = 0;
    uint32_t rtt_step : 8 = kRttStepUnknown;  // Measured round trip / kRttStepMs.
    uint32_t live : 1 = 0;
  };
  static_assert(sizeof(Node) == 24, "the engine's share of an idle node's memory");
  Node* LiveNode(nodes::NodeIndex node);
  const Node* LiveNode(nodes::NodeIndex node) const;
  void LinkHeld(Node& n, Open& job);
  void UnlinkHeld(Node& n, Open& job);

  // Ranking: ranks_ is a binary max-heap of the live nodes with a free slot,
  // each node in it once (Node::rank_pos says where), updated in place when
  // the node changes. `a` ranks above `b`: fewer active jobs, then a
  // lower measured round trip, then faster reported download, then an older
  // last grant (waited longer), then the lower index.
  bool Above(nodes::NodeIndex a, nodes::NodeIndex b) const;
  // After any change to the node: into, within or out of the heap.
  void Rank(nodes::NodeIndex node);
  void Unrank(uint32_t pos);
  void Place(uint32_t pos, nodes::NodeIndex node);
  uint32_t SiftUp(uint32_t pos);
  void SiftDown(uint32_t pos);
  // The best node with a free slot; kNoNode if none.
  nodes::NodeIndex BestNode() const { return ranks_.empty() ? nodes::kNoNode : ranks_[0]; }

  struct Timer {
    int64_t at;
    std::string job_id;
    uint32_t attempt;  // Lease timers: the attempt; deadline timers: UINT32_MAX.
    bool operator>(const Timer& o) const { return at > o.at; }
  };

  nodes::NodeIndex PickNode(const store::JobRecord& job) const;
  // Stamps the node with the next grant number; when the 31-bit numbers run
  // out, every live node starts again from 0 (fairness forgets its past once
  // every two billion leases) and the heap is rebuilt.
  void StampGrant(nodes::NodeIndex node);
  Lease Grant(Open& job, nodes::NodeIndex node, int64_t now_ms);
  // Ends the lease of an ongoing job (not settling): back to pending or out
  // of attempts.
  Ended EndLease(Open& job, std::string_view why);
  // The job's holder no longer holds it (precondition: it has one).
  void DropHeld(Open& job);
  void Requeue(Open& job, bool front);
  // The next queued job in turn (stale entries dropped), or nullptr.
  Open* PopNextPending();
  void CountOpen(const store::JobRecord& rec, int delta);
  void Park(Open& job);
  // The node has a free slot: its parked jobs go to the front of the queue.
  void Unpark(nodes::NodeIndex node);
  // Whether a timer still applies to an open job (the others are skipped when
  // due, or dropped by CompactTimers).
  bool TimerLive(const Timer& t) const;
  void CompactTimers();

  EngineOptions options_;
  std::unordered_map<std::string, Open> jobs_;
  // Pending jobs by customer, and the customers in turn (each once, while
  // its queue has entries; entries of jobs no longer queued are stale and
  // skipped).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::deque<std::string>, Hash, std::equal_to<>> queues_;
  std::deque<std::string> turns_;
  size_t pending_count_ = 0;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> open_by_client_;
  // Jobs waiting for their target node, by its principal, oldest first.
  std::unordered_map<std::string, std::vector<std::string>> parked_;
  size_t parked_count_ = 0;
  BlockArray<Node> nodes_;  // By NodeIndex (dense: the registry reuses indices).
  size_t live_nodes_ = 0;
  uint32_t grants_ = 0;  // Leases granted, as stamped on nodes (< 2^23; renumbered past it).
  BlockArray<nodes::NodeIndex> ranks_;  // The ranking heap (see Above).
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
};

}  // namespace sela::jobs
