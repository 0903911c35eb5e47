// NodeRegistry: the live nodes of this process, and the uptime the server
// measures for them (ARCHITECTURE.md §3, §7; reference services.md §3 minus
// its defects).
//
// A node is a principal with one or more registered WebSocket connections.
// The registry is pure domain code: no I/O, no clock reads (callers pass
// `now_ms`, wall-clock milliseconds), synchronous, owned by the event loop.
//
// Uptime: a principal is online from the registration of its first live
// connection until its last one closes (or times out); overlapping
// connections of one principal count once. Online time is split at UTC
// midnight. Checkpoint() hands out what accrued since the previous
// checkpoint as store::UptimeDelta values, so a crash loses at most one
// checkpoint interval and nothing is ever counted twice.
//
// Memory: this state is per live node, so it is kept compact (the target is
// a few hundred bytes per idle node for the whole server, see
// docs/BENCHMARKS.md): a node index is a uint32, principals are stored once.
// Measured by registry_memory_test: about 120 bytes per live node with a
// 63-character principal (48 for the node, the text itself, the rest for the
// hash index and partly filled blocks), before a checkpoint as after it: the
// registration that brings a node online waits for the checkpoint as one bit
// in the node. Counters that are per node are 16-bit (kConnectionsPerNodeLimit,
// kJobsPerNodeMax) to keep the node at 48 bytes.
//
// Time: every `now_ms` is first made monotonic (the registry keeps the latest
// time it has seen and uses that when a call passes an earlier one), so a
// wall clock that steps back never yields negative or twice-counted time;
// online time simply does not accrue until the clock has caught up. Times
// outside the years 0000-9999 are clamped into them. A clock that jumps
// forward cannot be told from real time and is credited as measured.
//
// Thread-safety: none; one event loop owns the registry.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace sela::nodes {

using NodeIndex = uint32_t;
inline constexpr NodeIndex kNoNode = 0xffffffffu;

// Structural limits: node indices have 24 bits in the hash index, and the
// per-node counters have 16.
inline constexpr uint32_t kNodesLimit = 0xffffff;
inline constexpr uint32_t kConnectionsPerNodeLimit = 0xffff;
inline constexpr uint32_t kJobsPerNodeMax = 0xffff;
inline constexpr uint32_t kPrincipalBytesLimit = 4096;

// The constructor crashes when an option is outside its stated range: that is
// a programming error, not input.
struct RegistryOptions {
  uint32_t principal_bytes_max = 256;          // 1 .. kPrincipalBytesLimit.
  uint32_t default_max_concurrent_jobs = 10;   // 0 .. kJobsPerNodeMax.
  uint32_t nodes_max = kNodesLimit;            // Live nodes; 1 .. kNodesLimit.
  uint32_t connections_per_node_max = kConnectionsPerNodeLimit;  // 1 .. that limit.
  // Key of the principal hash. Principals are chosen by peers, so main should
  // fill this from a random source; with a known key a peer could choose
  // principals that collide and make lookups slow. Zero is fine in tests.
  std::array<uint64_t, 2> principal_hash_key{};
  // The server sets this: a node's online time accrues only from the first
  // time one of its connections answers a ping of the server (Verify()), so
  // a connection that never answers earns no uptime (ARCHITECTURE.md §7).
  // When false, online time accrues from registration.
  bool uptime_needs_pong = false;
};

// A read-only view of one live node.
struct NodeView {
  std::string_view principal;
  int64_t client_id_ms = 0;      // clientId of its newest registration.
  uint32_t connections = 0;
  uint32_t max_concurrent_jobs = 0;
  uint32_t active_jobs = 0;
  float download_speed = 0;
  float upload_speed = 0;
  float ping_ms = 0;
  // Since when its online time accrues: registration, or with
  // uptime_needs_pong its first answered ping (until then, registration).
  int64_t online_since_ms = 0;
  int64_t last_activity_ms = 0;
  // False while uptime_needs_pong and no ping has been answered yet: no
  // online time accrues.
  bool uptime_verified = true;
};

class NodeRegistry {
 public:
  explicit NodeRegistry(RegistryOptions options = {});
  ~NodeRegistry();

  // A connection of `principal` registered. Creates the node if it was not
  // live. Returns its index (stable while the node is live).
  // Returns kNoNode, and changes nothing, when the principal is empty or
  // longer than principal_bytes_max (the caller should have rejected it),
  // when nodes_max nodes are live and this would be a new one, or when the
  // node already has connections_per_node_max connections. The caller then
  // closes the connection.
  NodeIndex Connect(std::string_view principal, int64_t client_id_ms, int64_t now_ms);
  // A connection of the node closed. When it was the last one, the node's
  // open uptime is closed into the pending deltas and the node is removed
  // (its index may be reused). Returns true when the node went offline.
  // Every call below that takes a NodeIndex ignores an index that is not
  // live (Disconnect then returns false, View nullopt).
  bool Disconnect(NodeIndex node, int64_t now_ms);

  NodeIndex Find(std::string_view principal) const;
  // The view's principal stays valid while the node is live and until the
  // next Checkpoint(), which may move principals to reclaim memory.
  std::optional<NodeView> View(NodeIndex node) const;
  size_t size() const;

  // Any data message counts as activity.
  void Touch(NodeIndex node, int64_t now_ms);
  // A connection of the node answered a ping of the server. The first time,
  // with uptime_needs_pong, the node's online time starts to accrue now.
  void Verify(NodeIndex node, int64_t now_ms);
  // Speed test results; each present value is also an uptime sample (upload
  // only updates the node: a day record has no upload figure). A value that
  // is NaN, infinite, negative or beyond float range is ignored. Counts as
  // activity.
  void RecordSpeed(NodeIndex node, std::optional<double> download, std::optional<double> upload,
                   std::optional<double> ping_ms, int64_t now_ms);
  // Both clamp to kJobsPerNodeMax.
  void SetCapacity(NodeIndex node, uint32_t max_concurrent_jobs);
  void SetActiveJobs(NodeIndex node, uint32_t active_jobs);

  // Everything accrued since the last checkpoint, for every principal, split
  // per UTC day; afterwards the accrued state is zero. A live node whose
  // online time crosses UTC midnight carries its latest speed and ping into
  // the new day as one sample each, when it has them and the new day has no
  // sample of its own yet, so that a session across midnight keeps its tier
  // on both days (services.md §8 G10). Includes what nodes
  // that went offline since the last checkpoint accrued.
  // One delta per (principal, day) that has anything to report, ordered by
  // principal then day. Online time of live nodes is counted up to now_ms, so
  // a second call with the same now_ms returns nothing. Memory between two
  // checkpoints grows with the speed tests, the disconnects and the
  // registrations of principals already live in between (the registration
  // that brings a node online costs nothing until it disconnects); call it
  // regularly (every minute or so).
  std::vector<store::UptimeDelta> Checkpoint(int64_t now_ms);

  // Calls fn(NodeIndex) for each live node.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (NodeIndex i = 0; i < static_cast<NodeIndex>(SlotCount()); ++i) {
      if (IsLive(i)) fn(i);
    }
  }

 private:
  struct Impl;
  size_t SlotCount() const;
  bool IsLive(NodeIndex i) const;
  std::unique_ptr<Impl> impl_;
};

// "YYYY-MM-DD" of a UTC wall-clock time in ms (proleptic Gregorian calendar,
// so it is also right before 1970). Years outside 0000-9999 are written with
// the digits they need and a leading '-' when negative (see utc_day.h).
std::string UtcDay(int64_t wall_ms);

}  // namespace sela::nodes
