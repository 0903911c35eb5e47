// NodeSessions: node protocol v1 on the server's WebSocket connections
// (ws-protocol.md §2-§4, §13; ARCHITECTURE.md §2, §5).
//
// Turns WebSocket events into protocol decoding, registry and store calls
// and replies:
// - the principal comes from `Authorization`, `?authorization=`,
//   `?principal_id=` or the first frame's `principal_id`, in that order;
// - the first data frame registers: the store records the node, the live
//   registry counts the connection, and the reply carries `clientId` (a
//   string of decimal digits, unique per registration in this process) and
//   `sessionId` (a number from a persistent counter);
// - every later message must speak for the connection's own principal;
// - messages of one socket are handled strictly in order: while a store
//   operation for one is in flight, the next ones wait in a bounded queue;
// - a connection that does not register within the registration timeout is
//   closed with 1008, a registered one silent for the heartbeat timeout with
//   1001; either way its uptime ends then;
// - uptime measured by the registry is checkpointed to the store on a timer
//   and once more at shutdown.
//
// Threading: everything runs on the event loop's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/block_array.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "net/server.h"
#include "net/ws_codec.h"
#include "nodes/registry.h"
#include "protocol/v1_decode.h"
#include "api/job_service.h"
#include "protocol/v1_encode.h"
#include "store/store.h"

namespace sela::api {

struct NodeSessionOptions {
  Millis registration_timeout{300'000};
  Millis heartbeat_timeout{120'000};
  // Messages (and their bytes) waiting behind an in-flight store operation;
  // beyond either, the connection is closed with 1008.
  uint32_t queued_messages_max = 256;
  uint64_t queued_bytes_max = 4u << 20;
  // Session ids are reserved from the store in blocks of this size.
  uint64_t session_id_block = 1000;
  protocol::v1::DecodeOptions decode;
  protocol::v1::EncodeOptions encode;

  static NodeSessionOptions FromConfig(const NodeConfig& config);
};

class NodeSessions final : public net::WsHandler, public NodeSender {
 public:
  NodeSessions(NodeSessionOptions options, const Clock& clock, store::Store& store,
               nodes::NodeRegistry& registry, MetricsRegistry& metrics);
  ~NodeSessions() override;

  // The server to send through; set once, before it starts accepting.
  void Attach(net::Server* server) { server_ = server; }
  // The jobs service: told when nodes come, change and go, and handed
  // JOB_REQUEST and results. Optional (without it, no jobs are served).
  void AttachJobs(JobService* jobs) { jobs_ = jobs; }

  // NodeSender: the job goes to the node's newest registered connection,
  // with the clientId recorded on its lease.
  bool SendJob(nodes::NodeIndex node, const store::JobRecord& job) override;
  // A live node's capacity or speed changed.
  void NodeChanged(nodes::NodeIndex node);

  void OnWsOpen(net::ConnId id, const net::HttpRequest& request) override;
  void OnWsMessage(net::ConnId id, bool text, std::string_view payload) override;
  void OnWsClosed(net::ConnId id, uint16_t code) override;
  void OnWsDeadline(net::ConnId id) override;

  // Writes the uptime accrued since the last checkpoint. Deltas the store
  // could not take are kept and retried with the next checkpoint.
  void CheckpointUptime();

  size_t registered_sessions() const { return registered_; }

  // Admin messages (REST N12, N13): queues a text frame on every registered
  // connection of one live node, or of every live node. Returns how many
  // connections took it; one that is closing or whose outbound queue
  // overflowed does not count. Never sends to a connection that has not
  // registered.
  size_t SendToNode(nodes::NodeIndex node, std::string_view text);
  size_t SendToAll(std::string_view text);

  // Wall-clock ms of the last CheckpointUptime (0 before the first): online
  // time of live nodes after it is not in the store yet.
  int64_t last_uptime_checkpoint_ms() const { return last_checkpoint_ms_; }

 private:
  enum class State : uint8_t { kFree, kAwaiting, kRegistered, kEnded };
  struct Pending;  // Connection principal and queued input; only when needed.
  // Per connection, so kept to 12 bytes: the slot is the index in
  // sessions_, and the rare Pending block lives in pending_.
  struct Session {
    uint32_t generation = 0;  // The ConnId's upper half; with the slot, the id.
    nodes::NodeIndex node = nodes::kNoNode;
    State state = State::kFree;
    bool busy = false;  // A store operation for this session is in flight.
    // The node reported itself inactive (CLIENT_STATUS): its messages are
    // refused until it registers again, as the original did.
    bool inactive = false;
  };
  net::ConnId IdOf(const Session& s) const;
  Pending* PendingOf(const Session& s);
  Pending& EnsurePending(const Session& s);
  void DropPending(const Session& s);

  Session* Find(net::ConnId id);
  void Handle(Session& s, std::string_view payload);
  void Resume(net::ConnId id);
  void ReleasePendingIfIdle(Session& s);
  void HandleRegistration(Session& s, std::string_view payload);
  void CompleteRegistration(net::ConnId id, const std::string& principal, const std::string& client_id,
                            uint64_t session_id, Result<store::NodeRecord> record);
  void HandleMessage(Session& s, std::string_view payload);
  void ReplyAfterStore(net::ConnId id, std::string reply, Status status);
  void ForgetConnection(const Session& s);
  // Ends the session (logging the disconnect with the close code and why).
  void EndSession(Session& s, int64_t now_ms, uint16_t code, std::string_view reason);
  void WithSessionId(std::function<void(Result<uint64_t>)> then);
  void Send(net::ConnId id, std::string_view text);
  std::string NextClientId(int64_t now_ms);

  NodeSessionOptions options_;
  const Clock& clock_;
  store::Store& store_;
  nodes::NodeRegistry& registry_;
  net::Server* server_ = nullptr;
  JobService* jobs_ = nullptr;
  std::vector<Session> sessions_;
  // The newest registered connection of each live node, by NodeIndex (in
  // blocks: a doubling vector would hold up to twice the nodes).
  static constexpr net::ConnId kNoConn = ~net::ConnId{0};
  BlockArray<net::ConnId> newest_conn_;
  std::unordered_map<uint32_t, std::unique_ptr<Pending>> pending_;  // By slot.
  size_t registered_ = 0;
  int64_t last_client_id_ms_ = 0;
  int64_t last_checkpoint_ms_ = 0;
  // Session ids reserved from the store: [next, end).
  uint64_t session_id_next_ = 0;
  uint64_t session_id_end_ = 0;
  bool session_ids_requested_ = false;
  std::deque<std::function<void(Result<uint64_t>)>> session_id_waiters_;
  std::vector<store::UptimeDelta> unsaved_uptime_;

  struct Metrics {
    Gauge* registered;
    Counter* registrations;
    Counter* registration_failures;
    Counter* messages;
    Counter* rejected_messages;
    Counter* principal_mismatches;
    Counter* registration_timeouts;
    Counter* heartbeat_timeouts;
    Counter* overflow_closes;
    Counter* uptime_checkpoint_failures;
  } m_;
};

}  // namespace sela::api
