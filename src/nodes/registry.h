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
#pragma once

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

struct RegistryOptions {
  uint32_t principal_bytes_max = 256;
  uint32_t default_max_concurrent_jobs = 10;
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
  int64_t online_since_ms = 0;
  int64_t last_activity_ms = 0;
};

class NodeRegistry {
 public:
  explicit NodeRegistry(RegistryOptions options = {});
  ~NodeRegistry();

  // A connection of `principal` registered. Creates the node if it was not
  // live. Returns its index (stable while the node is live).
  NodeIndex Connect(std::string_view principal, int64_t client_id_ms, int64_t now_ms);
  // A connection of the node closed. When it was the last one, the node's
  // open uptime is closed into the pending deltas and the node is removed
  // (its index may be reused). Returns true when the node went offline.
  bool Disconnect(NodeIndex node, int64_t now_ms);

  NodeIndex Find(std::string_view principal) const;
  std::optional<NodeView> View(NodeIndex node) const;
  size_t size() const;

  // Any data message counts as activity.
  void Touch(NodeIndex node, int64_t now_ms);
  // Speed test results; each present value is also an uptime sample.
  void RecordSpeed(NodeIndex node, std::optional<double> download, std::optional<double> upload,
                   std::optional<double> ping_ms, int64_t now_ms);
  void SetCapacity(NodeIndex node, uint32_t max_concurrent_jobs);
  void SetActiveJobs(NodeIndex node, uint32_t active_jobs);

  // Everything accrued since the last checkpoint, for every principal, split
  // per UTC day; afterwards the accrued state is zero. Includes what nodes
  // that went offline since the last checkpoint accrued.
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

// "YYYY-MM-DD" of a UTC wall-clock time in ms.
std::string UtcDay(int64_t wall_ms);

}  // namespace sela::nodes
