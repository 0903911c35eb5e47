// Engine: one epoll event loop driving many client WebSocket connections.
//
// The engine owns the sockets of one worker process. It knows how to bring a
// wave of connections up (rate-limited non-blocking connects from several
// loopback source addresses, RFC 6455 handshake, v1 registration), keep them
// alive (answer pings, send HEARTBEATs), drive PING round trips, answer the
// jobs the server pushes (jobs scenario), drop them all at once (storm) and
// close them cleanly. What to do when is decided by
// the caller (worker.h), which calls Poll() in a loop and the Begin*/Start*
// methods between polls.
//
// Level-triggered epoll: a connection is watched for EPOLLIN always and for
// EPOLLOUT only while connecting or while unsent bytes are queued. Reads land
// in one shared buffer; a connection only keeps bytes that do not yet form a
// whole handshake response or frame. Timers (connect deadlines, retry
// back-off, heartbeats, close deadlines) live in one min-heap; each entry
// carries the connection's generation so entries of a closed socket expire
// without being searched for.
//
// Measurements go into the PhaseStats / PingStats / WorkerReport objects the
// caller passes in; they must outlive the phase that uses them.
//
// Thread-safety: none; everything runs on the caller's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"
#include "poller.h"
#include "v1_messages.h"
#include "worker_report.h"
#include "v2_messages.h"
#include "ws_frame.h"
#include "xorshift.h"

namespace loadgen {

// CLOCK_MONOTONIC in nanoseconds: shared by all processes on the host, so
// worker timestamps can be compared after a merge.
int64_t MonotonicNs();

// "connect_ECONNREFUSED": an error-counter name for a failed system call.
std::string ErrnoReason(std::string_view what, int err);

struct EngineConfig {
  Endpoints endpoints;
  std::string path = "/";
  bool raw = false;
  PrincipalIn principal_in = PrincipalIn::kHeader;
  // Registrations wait until every connection of the wave is upgraded (or
  // given up on), then all go at once.
  bool register_after_upgrades = false;
  bool v2 = false;  // Node protocol v2 (v2_messages.h); SetV2Identities first.
  double connect_rate_per_s = 5000;  // 0 means unlimited (see kConnectsInFlightMax).
  int64_t connect_timeout_ns = 10'000'000'000;
  int64_t heartbeat_interval_ns = 0;  // 0 disables HEARTBEATs.
  int inflight = 1;                   // Outstanding pings per connection.
  uint64_t seed = 1;
  // jobs: answer every TWITTER_SCRAPE with a TWITTER_SCRAPE_RESULT carrying
  // `result_data_literal` (see ResultDataLiteral), after `result_delay_ns`.
  bool answer_jobs = false;
  int64_t result_delay_ns = 0;
  std::string result_data_literal;
};

// A failed TCP connect or handshake is tried this many times in total
// (the first attempt and three retries), with back-off doubling from
// kRetryBackoffBaseNs.
inline constexpr int kConnectAttemptsMax = 4;
inline constexpr int64_t kRetryBackoffBaseNs = 100'000'000;
// How long a clean close waits for the server's close frame or EOF.
inline constexpr int64_t kCloseTimeoutNs = 5'000'000'000;
// Connections in TCP connect or handshake at once, whatever the rate: keeps
// an unlimited rate from overflowing the server's accept backlog.
inline constexpr int64_t kConnectsInFlightMax = 1024;
// A server message above this closes the connection as a protocol error.
inline constexpr size_t kMessageBytesMax = 1 << 20;
// Unsent bytes one connection may queue before further sends are dropped.
inline constexpr size_t kSendBacklogBytesMax = 1 << 20;
// Job results waiting out --result-delay-ms, over all connections.
inline constexpr size_t kDelayedResultsMax = 1 << 20;

class Engine {
 public:
  // `principals[i]` names connection i. `report` receives counters that are
  // not per phase (errors, heartbeats, drops, closes).
  Engine(EngineConfig config, std::vector<std::string> principals, WorkerReport& report);
  // v2: the key of each connection (same order as the principals).
  void SetV2Identities(std::vector<V2Identity> identities) { v2_ids_ = std::move(identities); }
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Creates the epoll instance; the error names the failed call.
  std::expected<void, std::string> Init();

  // Adds a readable-only fd (the control pipe) to the poll set.
  void WatchAuxFd(int fd);

  // Waits for I/O for at most `timeout_ms` (less when a timer or a connect
  // slot is due) and handles it. Returns true when the aux fd is readable.
  bool Poll(int timeout_ms);
  int64_t now_ns() const { return now_ns_; }

  // Queues every connection for connecting; `stats` receives the wave.
  void BeginWave(PhaseStats* stats);
  // Storm: drops every connection at once (close frame 1001, then close()),
  // then queues them all like BeginWave.
  void BeginStormWave(PhaseStats* stats);
  // True when every connection of the current wave is ready or given up on.
  bool WaveSettled() const { return unsettled_ == 0; }

  // Every ready connection keeps `inflight` PINGs (or, in raw mode,
  // WebSocket pings) outstanding until StopPinging.
  void StartPinging(PingStats* stats);
  void StopPinging();
  int64_t pings_outstanding() const { return pings_outstanding_; }

  // Clean close of everything: close frame 1000 to ready connections, abort
  // the rest. AllClosed() once every close is answered or timed out.
  void BeginClose();
  bool AllClosed() const { return closing_ == 0; }

  // "ready 1200/19000 connecting 800 failed 0" for progress lines.
  std::string ProgressText() const;

 private:
  enum class State : uint8_t {
    kIdle,         // No socket, not queued.
    kQueued,       // Waiting for a connect slot.
    kBackoff,      // Waiting to retry after a failed attempt.
    kConnecting,   // TCP connect in progress.
    kHandshaking,  // Upgrade request sent.
    kUpgraded,     // Upgraded; registration waits for the rest of the wave.
    kRegistering,  // v1 registration sent.
    kReady,        // Open (raw) or registered (v1).
    kClosing,      // Close frame sent; waiting for the server.
    kDone,         // Closed; stays so until the next wave.
  };
  enum class Retry : uint8_t { kAllowed, kNever };
  enum class CloseOutcome : uint8_t { kClean, kTimeout, kReset };
  enum class TimerKind : uint8_t {
    kAttemptDeadline,
    kRetry,
    kHeartbeat,
    kCloseDeadline,
    kJobResult,  // `slot` indexes delayed_job_ids_.
  };

  struct Conn {
    int fd = -1;
    uint32_t generation = 0;  // Bumped whenever the socket closes.
    State state = State::kIdle;
    uint8_t attempts = 0;
    bool want_write = false;
    bool fragmented = false;  // A fragmented message is being assembled.
    Opcode message_opcode = Opcode::kText;
    uint16_t inflight = 0;
    uint16_t ping_head = 0;  // Oldest slot in this connection's send-time ring.
    int64_t attempt_start_ns = 0;
    int64_t registration_start_ns = 0;
    std::string in;       // Bytes not yet forming a response or frame.
    std::string out;      // Bytes the socket did not take yet.
    std::string message;  // Fragments of an unfinished message.
  };

  static constexpr uint32_t kNoConn = UINT32_MAX;

  struct Timer {
    int64_t due_ns;
    uint32_t conn;
    uint32_t generation;
    uint32_t slot;
    TimerKind kind;
    bool operator>(const Timer& other) const { return due_ns > other.due_ns; }
  };

  // engine.cc: sockets, epoll, timers, connect pacing.
  void SetState(uint32_t id, State state);
  void StartQueuedConnects();
  void StartConnect(uint32_t id);
  void OnConnectDone(uint32_t id);
  void HandleEvent(uint32_t id, uint32_t events);
  void OnReadable(uint32_t id);
  void ReadAvailable(uint32_t id);
  void Flush(uint32_t id);
  void Send(uint32_t id, std::string_view bytes);
  void UpdateEvents(uint32_t id, bool want_write);
  void CloseSocket(uint32_t id);
  void Fail(uint32_t id, std::string_view reason, Retry retry);
  void FinishClose(uint32_t id, CloseOutcome outcome);
  void Requeue(uint32_t id);
  void AddTimer(uint32_t id, int64_t delay_ns, TimerKind kind, uint32_t slot = 0);
  void RunTimers();
  void OnTimer(const Timer& timer);
  int NextWakeupMs(int timeout_ms) const;
  void CountError(std::string_view name);

  // session.cc: handshake, frames, protocol v1 and pings.
  bool Consume(uint32_t id, std::string_view data);
  bool ProcessBytes(uint32_t id, std::string_view data, size_t& used);
  bool OnUpgradeResponse(uint32_t id, std::string_view data, size_t& used);
  bool OnFrame(uint32_t id, const DecodedFrame& frame, std::string_view payload);
  bool OnDataFrame(uint32_t id, const DecodedFrame& frame, std::string_view payload);
  void OnMessage(uint32_t id, Opcode opcode, std::string_view payload);
  void OnServerClose(uint32_t id, std::string_view payload);
  void OnV2Message(uint32_t id, std::string_view payload);
  void OnPong(uint32_t id, std::string_view payload);
  void OnPingReply(uint32_t id, bool ok);
  void RecordRoundTrip(uint32_t id, int64_t sent_ns, bool ok);
  void MarkReady(uint32_t id);
  void SendHandshake(uint32_t id);
  void SendRegistration(uint32_t id);
  // With register_after_upgrades: once no connection awaits its upgrade,
  // every upgraded one registers.
  void MaybeRegisterAll();
  void SendFrame(uint32_t id, Opcode opcode, std::string_view payload);
  void SendPing(uint32_t id);
  void SendHeartbeat(uint32_t id);
  std::string HandshakeKey(uint32_t id) const;
  void OnJobMessage(uint32_t id, ReplyKind kind, std::string_view payload);
  void OnJobDispatch(uint32_t id, std::string_view payload);
  void OnDelayedResult(const Timer& timer);
  void SendJobResult(uint32_t id, std::string_view job_id_raw);

  EngineConfig config_;
  std::vector<std::string> principals_;
  std::vector<V2Identity> v2_ids_;
  WorkerReport& report_;
  Xorshift64 rng_;
  Poller poller_;
  int64_t now_ns_ = 0;
  std::vector<Conn> conns_;
  std::deque<uint32_t> connect_queue_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::vector<char> read_buffer_;
  // PING send times, `inflight` slots per connection; allocated by StartPinging.
  std::vector<int64_t> ping_sent_ns_;
  // Job ids of results waiting for their delay, and the free slots.
  std::vector<std::string> delayed_job_ids_;
  std::vector<uint32_t> free_job_slots_;
  // Reused for every job result, so answering a job allocates nothing.
  std::string job_message_;
  std::string job_frame_;
  double connect_tokens_ = 1;
  int64_t tokens_refilled_ns_ = 0;
  size_t next_source_ = 0;
  int64_t connects_in_flight_ = 0;
  int64_t ready_now_ = 0;
  int64_t unsettled_ = 0;
  // Connections of the wave not upgraded yet nor given up on.
  int64_t awaiting_upgrade_ = 0;
  int64_t closing_ = 0;
  int64_t pings_outstanding_ = 0;
  bool pinging_ = false;
  // While a read is being handled, sends to that connection are queued and
  // written with one send() at the end: replies to several frames that
  // arrived together cost one syscall instead of one each.
  uint32_t corked_ = kNoConn;
  PhaseStats* wave_ = nullptr;
  PingStats* ping_ = nullptr;
};

}  // namespace loadgen
