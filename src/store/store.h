// Store: the persistent state of the coordinator, as domain operations that
// are each atomic on their own (ARCHITECTURE.md §8). Not a key-value API.
//
// Asynchronous: every operation returns at once and delivers its outcome to
// a callback, which runs on the thread that the store's `post` function
// sends it to (the event loop in the server; a queue in tests). Callbacks of
// one store are delivered in the order the operations were issued, with one
// exception: an operation refused because the store's queue is full
// (ResourceExhausted, nothing applied) is reported at once, so that an
// overloaded store never blocks or silently delays its caller. An
// operation whose callback reported OK is durable against a crash of the
// process (kill -9); power-loss durability comes from group commit.
//
// Callers pass `now` and ids in; the store reads no clock.
//
// Backends: sqlite (store/sqlite/, default, one process) and later redis. The
// contract test suite (store/store_contract_test.cc) runs against each.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace sela::store {

enum class NodeStatus : uint8_t { kInactive = 0, kActive = 1 };

// A node (the original's ClientStruct, minus money: balances live in the
// rewards ledger).
struct NodeRecord {
  std::string principal;
  int64_t numeric_id = 0;           // From a persistent counter, at creation.
  std::string client_id;            // Last registration's clientId ("<ms>").
  std::string referral_code;        // 8 chars [A-Z0-9], unique, at creation.
  NodeStatus status = NodeStatus::kInactive;
  uint32_t max_concurrent_jobs = 10;
  double download_speed = 0;
  double upload_speed = 0;
  double ping_ms = 0;
  int64_t created_ms = 0;
  int64_t ws_connect_ms = 0;        // Last registration.
  int64_t ws_disconnect_ms = 0;     // Last disconnect; 0 while connected.
  int64_t ping_timestamp_ms = 0;    // Last PING/HEARTBEAT/speed test/status.
  uint32_t total_referral = 0;

  friend bool operator==(const NodeRecord&, const NodeRecord&) = default;
};

// Uptime measured by the server for one principal within one UTC day, added
// by one checkpoint. Additive: applying two deltas adds their fields.
struct UptimeDelta {
  std::string principal;
  std::string day;            // "YYYY-MM-DD" (UTC).
  int64_t online_ms = 0;      // Time online added to this day.
  uint32_t sessions = 0;      // Connections that began (registered) this day.
  double speed_sum = 0;       // Download-speed samples (Mbps) taken this day.
  uint32_t speed_count = 0;
  double ping_sum = 0;        // Ping samples (ms) taken this day.
  uint32_t ping_count = 0;
};

// A principal's uptime for one day: the sum of every delta applied to it.
struct UptimeDay {
  std::string principal;
  std::string day;
  int64_t online_ms = 0;
  uint32_t sessions = 0;
  double speed_sum = 0;
  uint32_t speed_count = 0;
  double ping_sum = 0;
  uint32_t ping_count = 0;
  int64_t paid_minutes = 0;   // Minutes already rewarded (by the rewards module).
  int64_t updated_ms = 0;

  double avg_speed() const { return speed_count ? speed_sum / speed_count : 0; }
  double avg_ping() const { return ping_count ? ping_sum / ping_count : 0; }
  friend bool operator==(const UptimeDay&, const UptimeDay&) = default;
};

// Node metrics reported by the node itself; absent fields are left as they are.
struct NodeMetricsUpdate {
  std::optional<double> download_speed;
  std::optional<double> upload_speed;
  std::optional<double> ping_ms;
};

class Store {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  using Done = std::function<void(Status)>;

  virtual ~Store() = default;

  // Reserves `count` consecutive session ids from a persistent counter that
  // survives restarts; delivers the first. Ids are never handed out twice,
  // even across a crash (a crash may leave a gap).
  virtual void ReserveSessionIds(uint64_t count, Callback<uint64_t> done) = 0;

  // A node registered: creates its record if absent (numeric id from a
  // persistent counter, fresh unique referral code, created_ms = now), then
  // sets client_id, status Active, ws_connect_ms = now, ws_disconnect_ms = 0,
  // ping_timestamp_ms = now. Delivers the record as stored.
  virtual void RegisterNode(const std::string& principal, const std::string& client_id,
                            int64_t now_ms, Callback<NodeRecord> done) = 0;

  // The node's last connection closed: ws_disconnect_ms = now. NotFound if
  // there is no such node.
  virtual void MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) = 0;

  // Speed/ping reported by the node, and ping_timestamp_ms = now.
  virtual void UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                                 int64_t now_ms, Done done) = 0;

  // CLIENT_STATUS and admin changes.
  virtual void SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms,
                             Done done) = 0;
  virtual void SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs,
                               Done done) = 0;

  // Applies every delta in one transaction: all or nothing.
  virtual void AddUptime(std::vector<UptimeDelta> deltas, int64_t now_ms, Done done) = 0;

  virtual void GetNode(const std::string& principal,
                       Callback<std::optional<NodeRecord>> done) = 0;
  // All nodes, or only those with status Active; ordered by numeric_id.
  virtual void ListNodes(bool only_active, Callback<std::vector<NodeRecord>> done) = 0;
  // Days in [from_day, to_day] (inclusive, "YYYY-MM-DD") that have a record,
  // ascending.
  virtual void GetUptimeDays(const std::string& principal, const std::string& from_day,
                             const std::string& to_day, Callback<std::vector<UptimeDay>> done) = 0;
  // Sum of online_ms over all days of the principal.
  virtual void GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) = 0;

  // Succeeds when the store can serve (for /ready and /api/health).
  virtual void Ping(Done done) = 0;

  // Blocks until every issued operation has been applied and its callback
  // handed to `post`. For shutdown and tests.
  virtual void Flush() = 0;
};

// Where callbacks go: the server passes EventLoop::Post.
using PostFn = std::function<void(std::function<void()>)>;

}  // namespace sela::store
