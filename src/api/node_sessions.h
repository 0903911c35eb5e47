// NodeSessions: the node protocols on the server's WebSocket connections
// (ws-protocol.md §2-§4, §13; ARCHITECTURE.md §2, §5; docs/PROTOCOL-V1.md,
// docs/protocol-v2.md).
//
// A connection that offers `Sec-WebSocket-Protocol: sela.v2` speaks v2: it
// gets a challenge, proves its principal with a signature, and gets
// `welcome` (node_sessions_v2.cc). Any other connection speaks v1, the
// legacy protocol of today's apps (node_sessions_v1.cc), unless NODE_AUTH is
// `signed`, which closes it with 4403:
// - the principal comes from `Authorization`, `?authorization=`,
//   `?principal_id=` or the first frame's `principal_id`, in that order;
// - the first data frame registers: the store records the node, the live
//   registry counts the connection, and the reply carries `clientId` (a
//   string of decimal digits, unique per registration in this process) and
//   `sessionId` (a number from a persistent counter);
// - every later message must speak for the connection's own principal.
// Both:
// - a principal that signed in with v2 once can no longer register with v1
//   (the store refuses it atomically);
// - a principal has at most max_sessions_per_principal live sessions (1 by
//   default): a newer registration closes the oldest with 4409;
// - a lease belongs to the session it was sent to (its clientId), and ends
//   when that session ends, even if the node has other sessions;
// - registrations per source address, messages per connection (1008 past
//   the limit) and speed reports per node are rate-limited (docs/FAIR-USE.md);
// - messages of one socket are handled strictly in order: while a store
//   operation for one is in flight, the next ones wait in a bounded queue;
// - a connection that does not register within the registration timeout
//   (v2: the challenge's 30 s) is closed with 1008 (v2: 4408), a registered
//   one silent for the heartbeat timeout with 1001; either way its uptime
//   ends then;
// - one ping schedule serves uptime and the round trip: the server sends
//   every registered connection a WebSocket Ping at registration, with each
//   speed report it takes, and at every PingSweep (UPTIME_PING_INTERVAL_MS);
//   the payload is the send time and a keyed tag of (connection, time). A
//   Pong echoing one of its own recent pings measures the round trip (nodes
//   are ranked by it) and starts the node's uptime (NodeRegistry::Verify);
//   a connection that leaves a ping unanswered for a whole sweep interval is
//   closed with 1001 "Ping timeout": so a socket that only sends HEARTBEATs
//   earns nothing (ARCHITECTURE.md §7);
// - uptime measured by the registry is checkpointed to the store on a timer
//   and once more at shutdown.
//
// Threading: everything runs on the event loop's thread.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/job_service.h"
#include "api/uptime_writer.h"
#include "api/security_events.h"
#include "api/sessions_by_node.h"
#include "auth/rate_limit.h"
#include "core/block_array.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "net/server.h"
#include "net/ws_codec.h"
#include "nodes/registry.h"
#include "nodes/text_arena.h"
#include "protocol/v1_decode.h"
#include "protocol/v1_peek.h"
#include "api/job_service.h"
#include "protocol/v1_encode.h"
#include "protocol/v2_handshake.h"
#include "protocol/v2_sessions.h"
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
  // Uptime deltas per store call (UptimeWriter).
  size_t uptime_chunk_deltas = 1000;
  protocol::v1::DecodeOptions decode;
  protocol::v1::EncodeOptions encode;
  // WS_MAX_MESSAGE_BYTES, named in the answer to a message over it.
  uint64_t ws_message_bytes_max = 1 << 20;

  // Node identity and fair use (SecurityConfig).
  bool signed_only = false;                 // NODE_AUTH=signed
  uint32_t max_sessions_per_principal = 1;  // MAX_SESSIONS_PER_PRINCIPAL
  protocol::v2::HandshakeOptions v2;
  protocol::v2::SessionOptions v2_sessions;
  int64_t node_token_ttl_ms = 900'000;
  int64_t drain_reconnect_after_ms = 5'000;  // What v2's drain frame suggests.
  auth::BucketSpec registrations_per_source{.burst = 1000, .per_second = 10};
  auth::BucketSpec messages_per_connection{.burst = 120, .per_second = 20};
  auth::BucketSpec speed_reports{.burst = 3, .per_second = 1.0 / 60};
  std::size_t limiter_keys_max = 100'000;  // Sources and principals tracked at once.
  // CSPRNG bytes (challenges, session ids, probe keys); required. main
  // passes OpenSSL's RAND_bytes; tests a seeded source.
  protocol::v2::RandomBytes random;
  std::string node_token_secret;  // At least 32 bytes; drawn from `random` when empty.

  static NodeSessionOptions FromConfig(const Config& config);
};

class NodeSessions final : public net::WsHandler, public NodeSender {
 public:
  NodeSessions(NodeSessionOptions options, const Clock& clock, store::Store& store,
               nodes::NodeRegistry& registry, MetricsRegistry& metrics, SecurityEvents& events);
  ~NodeSessions() override;

  // The server to send through; set once, before it starts accepting.
  void Attach(net::Server* server) { server_ = server; }
  // The jobs service: told when nodes come, change and go, and handed
  // JOB_REQUEST and results. Optional (without it, no jobs are served).
  void AttachJobs(JobService* jobs) { jobs_ = jobs; }

  // NodeSender: the job goes to the node's newest registered session (v1:
  // a TWITTER_SCRAPE frame; v2: a `job` push with seq), whose clientId
  // LeaseClientId named.
  bool SendJob(nodes::NodeIndex node, const store::JobRecord& job) override;
  std::string LeaseClientId(nodes::NodeIndex node) const override;
  uint32_t MeasuredRttMs(nodes::NodeIndex node) const override;
  // A live node's capacity or speed changed.
  void NodeChanged(nodes::NodeIndex node);

  void OnWsOpen(net::ConnId id, const net::HttpRequest& request) override;
  void OnWsMessage(net::ConnId id, bool text, std::string_view payload) override;
  void OnWsClosed(net::ConnId id, uint16_t code) override;
  void OnWsDeadline(net::ConnId id) override;
  // A registered node's message over WS_MAX_MESSAGE_BYTES is skipped, not
  // fatal: a result fails its job at once (node_sessions_large.cc).
  bool OnWsTooBig(net::ConnId id, bool text, uint64_t bytes) override;
  void OnWsTooBigData(net::ConnId id, std::string_view piece, bool last) override;
  void OnWsPong(net::ConnId id, std::string_view payload) override;

  // Closes (1001 "Ping timeout") every registered connection that has not
  // answered a ping sent at least one sweep ago, then pings those that have
  // nothing outstanding. Call every UPTIME_PING_INTERVAL_MS.
  void PingSweep();

  // Writes the uptime accrued since the last checkpoint, in chunks
  // (UptimeWriter). Deltas the store could not take are kept and retried
  // with the next checkpoint.
  void CheckpointUptime();
  // For the exit, after the loop stopped: the last checkpoint and every
  // chunk still queued go to the store at once (the caller flushes it).
  void CheckpointUptimeForExit();
  // Housekeeping: detached v2 sessions past their resume window go.
  void Tick();
  // Shutting down: every v2 session gets `drain` (the server then closes
  // every connection with 1012).
  void Drain(std::string_view reason);

  size_t registered_sessions() const { return registered_; }
  // Sessions visited to find those of one node, so far (bench/ reads it).
  uint64_t node_index_steps() const { return by_node_.steps(); }
  const std::string& node_token_secret() const { return token_secret_; }

  // Admin messages (REST N12, N13): a notice to every registered session of
  // one live node, or of every live node (v1: the Notification frame;
  // v2: a `notice` push). Returns how many sessions took it; one that is
  // closing or whose outbound queue overflowed does not count. `data_json`
  // must be valid JSON.
  size_t SendToNode(nodes::NodeIndex node, std::string_view text, std::string_view data_json);
  size_t SendToAll(std::string_view text, std::string_view data_json);

  // Wall-clock ms of the last CheckpointUptime (0 before the first): online
  // time of live nodes after it is not in the store yet.
  int64_t last_uptime_checkpoint_ms() const { return last_checkpoint_ms_; }

 private:
  enum class State : uint8_t { kFree, kAwaiting, kChallenged, kRegistered, kEnded };
  struct Pending;  // Input waiting, the source, the handshake; only when needed.
  // Per connection that has one, so kept to 32 bytes; the rare Pending
  // block lives in pending_. A v1 connection that named no principal at
  // the upgrade gets its Session only with its first message (or its
  // registration deadline): until then the app keeps nothing for it but
  // its slot's entry in session_of_slot_ (issue 16: memory per idle
  // WebSocket).
  struct Session {
    uint32_t slot = 0;  // The connection's slot; the server knows its id (IdOf).
    nodes::NodeIndex node = nodes::kNoNode;
    protocol::v2::SessionHandle v2 = protocol::v2::kNoSession;  // v2: its session.
    State state = State::kFree;
    bool busy : 1 = false;  // A store operation for this session is in flight.
    // The session reported itself inactive (v1 CLIENT_STATUS, v2 status):
    // it is offered no jobs; v1 messages are refused until it registers again.
    bool inactive : 1 = false;
    bool is_v2 : 1 = false;
    // Not registered yet: `node` is instead the reference of the session's
    // source and upgrade principal in texts_ (SetTexts).
    bool has_texts : 1 = false;
    // A ping is outstanding; `ping_fresh`: it was sent since the last sweep
    // (at registration or with a speed report), so that sweep does not judge
    // it yet.
    bool awaiting_pong : 1 = false;
    bool ping_fresh : 1 = false;
    int64_t client_id_ms = 0;  // This session's clientId.
    auth::Gcra messages;
  };
  static_assert(sizeof(Session) <= 32, "per-connection memory budget (docs/BENCHMARKS.md)");

  // What a registration brings to Attach.
  struct Joining {
    std::string principal;  // text
    int64_t client_id_ms = 0;
    uint64_t v1_session_id = 0;
    protocol::v2::SessionHandle v2 = protocol::v2::kNoSession;
  };

  net::ConnId IdOf(const Session& s) const { return server_->IdAt(s.slot); }
  // The Session's index in sessions_ (by_node_ names sessions by it).
  uint32_t IndexOf(const Session& s) const { return session_of_slot_[s.slot] - 1; }
  // The node's newest registered session, or nullptr.
  const Session* NewestOf(nodes::NodeIndex node) const;
  // A fresh Session for the connection (kFree state; the caller sets it).
  Session& NewSession(net::ConnId id);
  // The Session of a v1 connection that named no principal and has none
  // yet, made now (kAwaiting); nullptr when the connection is gone.
  Session* AwaitingSession(net::ConnId id);
  // Back to the free list (after OnWsClosed).
  void FreeSession(Session& s);
  // The source (SourceKey) and the principal named at the upgrade of a
  // session that has not registered yet, kept in one arena (texts_) so that
  // a burst of upgrades allocates nothing per connection. A session without
  // texts has its source from the server (one getpeername) when needed.
  // kFrame: the first frame's principal, kept while its registration is in
  // flight, so that no store callback holds strings (a burst of
  // registrations then allocates nothing per node that outlives it).
  enum class Named : uint8_t { kNone, kConnection, kFrame };
  void SetTexts(Session& s, std::string_view source, std::optional<std::string_view> principal, Named named);
  std::string SourceOf(const Session& s) const;
  std::optional<std::string> ConnectionPrincipalOf(const Session& s) const;
  // The principal named at the upgrade or by the registration in flight.
  std::string PrincipalOf(const Session& s) const;
  // After a failed registration: a first frame's principal is forgotten.
  void ForgetFramePrincipal(Session& s);
  void DropTexts(Session& s);
  Pending* PendingOf(const Session& s);
  Pending& EnsurePending(const Session& s);
  void DropPending(const Session& s);
  Session* Find(net::ConnId id);
  const Session* Find(net::ConnId id) const;

  void Handle(Session& s, std::string_view payload);
  void Resume(net::ConnId id);
  void ReleasePendingIfIdle(Session& s);
  bool TakeMessage(Session& s, int64_t now_ms);
  // `source`: SourceOf(s), which the caller has already.
  bool TakeRegistration(Session& s, const std::string& source, std::string_view principal, int64_t now_ms);
  bool TakeSpeedReport(std::string_view principal, int64_t now_ms, int64_t* retry_after_ms);
  // Registers the connection in the registry and makes it the node's newest.
  // kNoNode when the registry refused (the caller answers and closes). The
  // caller then answers, and only after that calls ReplaceOldSessions, whose
  // lease endings may send the node a job.
  nodes::NodeIndex Attach(Session& s, const Joining& joining, uint32_t capacity, int64_t now_ms);
  void ReplaceOldSessions(nodes::NodeIndex node, net::ConnId keep, int64_t now_ms);
  void AfterRegistration(net::ConnId id);
  // Pings the connection (uptime and round trip, see the top). `fresh`: sent
  // between sweeps, so the next sweep does not judge it yet.
  void ProbeRtt(Session& s, bool fresh);
  void ForgetConnection(const Session& s);
  // Ends the session (logging the disconnect with the close code and why).
  // A v2 session is kept for resume unless keep_v2_session is false.
  void EndSession(Session& s, int64_t now_ms, uint16_t code, std::string_view reason, bool keep_v2_session = true);
  void CloseSession(Session& s, uint16_t code, std::string_view reason);
  void Send(net::ConnId id, std::string_view text);
  std::string NextClientId(int64_t now_ms);
  void WithSessionId(std::function<void(Result<uint64_t>)> then);
  void SetAvailable(Session& s, bool available);
  // Keeps a v2 push in the session's log and sends it; the frame is built
  // with its seq by `encode`.
  bool PushV2(const Session& s, std::string_view tag, const std::function<std::string(uint64_t)>& encode);

  // ---- v1 (node_sessions_v1.cc) ----
  void HandleRegistration(Session& s, std::string_view payload);
  void RegisterWithStore(net::ConnId id, Result<uint64_t> session_id);
  void CompleteRegistration(net::ConnId id, uint64_t session_id, Result<store::NodeRecord> record);
  void HandleMessage(Session& s, std::string_view payload);
  void HandleV1Result(Session& s, protocol::v1::ScrapeResult result, std::string_view principal);
  void ReplyAfterStore(net::ConnId id, std::string reply, Status status);

  // ---- v2 (node_sessions_v2.cc) ----
  void OpenV2(Session& s, net::ConnId id, int64_t now_ms);
  void HandleAuth(Session& s, std::string_view payload);
  void RefuseV2(Session& s, std::string_view code, std::string_view message, int64_t retry_after_ms = -1);
  void CompleteV2Registration(net::ConnId id, protocol::v2::Auth auth, int64_t client_id_ms,
                              Result<store::NodeRecord> record);
  void WelcomeV2(Session& s, const protocol::v2::Auth& auth, bool resumed, std::vector<std::string> frames);
  void HandleV2Request(Session& s, std::string_view payload);
  void HandleV2Result(Session& s, const std::string& id, protocol::v2::JobResult result);
  std::string IssueToken(std::string_view principal, int64_t now_ms, int64_t* expires_ms) const;
  // Frames a resumed session gets again: notices and drain, and job pushes
  // whose lease it still holds.
  std::vector<std::string> StillValid(const Session& s, std::vector<protocol::v2::ResumeOutcome::Kept> kept);

  NodeSessionOptions options_;
  const Clock& clock_;
  store::Store& store_;
  nodes::NodeRegistry& registry_;
  SecurityEvents& events_;
  net::Server* server_ = nullptr;
  JobService* jobs_ = nullptr;
  // Sessions in blocks that never move; free ones (kFree) are chained
  // through `node` from free_session_.
  BlockArray<Session> sessions_;
  static constexpr uint32_t kNoSessionIndex = 0xffffffffu;
  uint32_t free_session_ = kNoSessionIndex;
  // By slot: 1 + the index of the connection's Session in sessions_, or 0.
  BlockArray<uint32_t> session_of_slot_;
  // The registered sessions of each live node, its newest first (what a
  // disconnect, a registration or an admin message of one node touches).
  SessionsByNode by_node_;
  // The round trip the server last measured to each live node, in ms
  // (0xffff: not measured yet).
  BlockArray<uint16_t> rtt_ms_;
  std::unordered_map<uint32_t, std::unique_ptr<Pending>> pending_;  // By slot.
  // Messages too big to take, being skipped: what they say so far, by slot.
  struct TooBig {
    protocol::v1::TopLevelPeek peek;
    uint64_t bytes = 0;
  };
  std::unordered_map<uint32_t, std::unique_ptr<TooBig>> too_big_;
  // Each text: 2-byte length, source, 1 byte (principal named or not),
  // 2-byte length, principal. Compacted once mostly garbage (DropTexts).
  nodes::TextArena texts_;
  protocol::v2::SessionTable v2_sessions_;
  auth::KeyedLimiter registrations_;  // By source (IPv4 address, IPv6 /64).
  auth::KeyedLimiter speed_reports_;  // By principal.
  std::string token_secret_;
  std::array<uint64_t, 2> probe_key_{};  // Keys the tag of RTT probes.
  protocol::v2::KeyVerifier verifier_;
  size_t registered_ = 0;
  int64_t last_client_id_ms_ = 0;
  int64_t last_checkpoint_ms_ = 0;
  // Monotonic ns of the sweep before the latest one: a pong echoing a ping
  // sent before it is stale (that ping was already judged unanswered).
  int64_t prev_sweep_ns_ = 0;
  int64_t last_sweep_ns_ = 0;
  // Session ids reserved from the store: [next, end).
  uint64_t session_id_next_ = 0;
  uint64_t session_id_end_ = 0;
  bool session_ids_requested_ = false;
  std::deque<std::function<void(Result<uint64_t>)>> session_id_waiters_;
  UptimeWriter uptime_;

  struct Metrics {
    Gauge* registered;
    Gauge* v2_sessions;
    Counter* registrations;
    Counter* v2_registrations;
    Counter* v2_resumes;
    Counter* registration_failures;
    Counter* messages;
    Counter* rejected_messages;
    Counter* principal_mismatches;
    Counter* registration_timeouts;
    Counter* heartbeat_timeouts;
    Counter* overflow_closes;
    Counter* uptime_checkpoint_failures;
    Counter* pings;
    Counter* pongs;
    Counter* ping_timeouts;
  } m_;
};

// The frame an admin message (N12) or broadcast (N13) puts on a v1
// connection: {"function":"Notification","message":<text>,"data":<data>,
// "status":"OK"} (v2 sessions get a `notice`). `data_json` is JSON text.
std::string AdminNotificationFrame(std::string_view text, std::string_view data_json);

// An admin message or broadcast as it travels to the other processes
// sharing the store (store::Cluster): "<bytes of text>:<text><data_json>".
// The receiving process makes each session's frame (v1 or v2) itself.
std::string ClusterNotice(std::string_view text, std::string_view data_json);
// Splits a ClusterNotice; false when `payload` is not one.
bool ParseClusterNotice(std::string_view payload, std::string_view& text, std::string_view& data_json);

// The key per-source limits count under: an IPv4 address as it is, an IPv6
// address by its /64 (one subscriber's prefix), "" for an unknown peer.
std::string SourceKey(std::string_view peer);

}  // namespace sela::api
