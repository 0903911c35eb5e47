// Customers: the API side of the jobs scenario. One epoll event loop over
// keep-alive HTTP/1.1 connections of one API client, submitting
// POST /api/rpc/scrapeUrl and timing each response.
//
// Connect phase: one extra connection registers the API client
// (POST /api/rpc/registerClient with a fresh uuid) and closes; meanwhile the
// --customers connections open. Submission window, two disciplines:
//   - open loop (rate > 0): submission k is due at start + k / rate. It goes
//     to a connection with fewer than `pipeline` requests outstanding; when
//     every connection is full it is "late" and waits in a FIFO backlog for
//     the next free connection. What is still queued at the end is "unsent".
//   - closed loop (rate 0): every connection keeps `pipeline` requests
//     outstanding, sending the next as each response arrives.
// Latency is measured from writing a request to reading its whole response
// (200s only; other statuses are counted). Open loop also measures from the
// due time, which includes any wait in the backlog.
//
// A connection the server closes (EOF, reset, "Connection: close") or that
// stays silent past timeout + kResponseGraceNs is reopened; its outstanding
// requests count as lost. Timeouts, backoff and connect deadlines are checked
// by a sweep every kSweepIntervalNs rather than a timer per request.
//
// Efficiency: requests are built into one reused buffer, responses parsed in
// place in the shared read buffer, and replies that arrive together lead to
// one send() per connection. Waits use epoll_pwait2 so an open-loop schedule
// of thousands per second keeps its spacing instead of bunching per ms, and
// do not wake for due times while every connection is full (those
// submissions are counted late on the next wakeup, before its events).
//
// Thread-safety: none; everything runs on the caller's thread.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_response.h"
#include "options.h"
#include "poller.h"
#include "rest_messages.h"
#include "worker_report.h"

namespace loadgen {

struct CustomersConfig {
  Endpoints endpoints;
  std::string uuid;            // For registerClient; unique per run.
  int64_t connections = 32;
  double rate_per_s = 0;       // 0 means closed loop.
  int pipeline = 1;            // Requests outstanding per connection, at most.
  int64_t timeout_ms = 30000;  // Sent as timeoutMs; responses are awaited this + grace.
  int64_t connect_timeout_ns = 10'000'000'000;
};

// A response later than timeout_ms + this counts the connection as stuck.
inline constexpr int64_t kResponseGraceNs = 5'000'000'000;
inline constexpr int64_t kSweepIntervalNs = 100'000'000;
// Open loop: submissions waiting for a free connection, at most.
inline constexpr size_t kBacklogMax = 1 << 20;
// A response body above this is a protocol error (results are < 1 MiB).
inline constexpr size_t kResponseBytesMax = 4 << 20;

class Customers {
 public:
  // `report` receives the jobs figures and error counts.
  Customers(CustomersConfig config, WorkerReport& report);
  ~Customers();
  Customers(const Customers&) = delete;
  Customers& operator=(const Customers&) = delete;

  std::expected<void, std::string> Init();
  void WatchAuxFd(int fd);
  // Like Engine::Poll: true when the aux fd is readable.
  bool Poll(int timeout_ms);
  int64_t now_ns() const { return now_ns_; }

  // Registers the API client and opens every connection.
  void BeginConnect();
  // Registration finished (either way) and every connection open or given up.
  bool ConnectSettled() const { return unsettled_ == 0; }
  // Why registration failed; empty when it succeeded.
  const std::string& registration_error() const { return registration_error_; }

  void StartSubmitting();
  void StopSubmitting();
  int64_t outstanding() const { return outstanding_; }
  int64_t open_connections() const;
  // Counts what is still outstanding as unanswered, writes the per-status
  // counts into the report and closes every connection.
  void CloseAll();

  std::string ProgressText() const;

 private:
  enum class State : uint8_t { kIdle, kConnecting, kOpen, kBackoff, kFailed };

  struct Conn {
    int fd = -1;
    State state = State::kIdle;
    uint8_t attempts = 0;
    bool ever_open = false;
    bool want_write = false;
    bool in_ready = false;     // On ready_ (may be stale; checked when popped).
    uint16_t outstanding = 0;
    uint16_t head = 0;         // Oldest slot of this connection's ring.
    int64_t since_ns = 0;      // kConnecting: attempt start; kBackoff: retry time.
    std::string in;            // Bytes not yet forming a whole response.
    std::string out;           // Bytes the socket did not take yet.
  };

  static constexpr uint32_t kNoConn = UINT32_MAX;

  void StartConnect(uint32_t id);
  void OnConnectDone(uint32_t id);
  void HandleEvent(uint32_t id, uint32_t events);
  void ReadAvailable(uint32_t id);
  bool Consume(uint32_t id, std::string_view data);
  bool ParseResponses(uint32_t id, std::string_view data, size_t& used);
  bool OnResponse(uint32_t id, const HttpResponseHead& head, std::string_view body);
  void OnRegisterResponse(int status, std::string_view body);
  void RecordResponse(int status, int64_t sent_ns, int64_t due_ns);
  void OnCapacity(uint32_t id);
  bool PopReady(uint32_t& id);
  void Submit(uint32_t id, int64_t due_ns);
  void RunSchedule();
  void Sweep();
  void Send(uint32_t id, std::string_view bytes);
  void Flush(uint32_t id);
  void UpdateEvents(uint32_t id, bool want_write);
  void CloseSocket(uint32_t id);
  void Fail(uint32_t id, std::string_view reason);
  void CountError(std::string_view name);
  bool open_loop() const { return config_.rate_per_s > 0; }

  CustomersConfig config_;
  WorkerReport& report_;
  JobStats& stats_;
  Poller poller_;
  int64_t now_ns_ = 0;
  // conns_[0 .. connections-1] submit jobs; conns_[register_id_] registers.
  std::vector<Conn> conns_;
  uint32_t register_id_ = 0;
  std::string registration_error_;
  bool registered_ = false;
  std::optional<ScrapeRequestBuilder> builder_;
  int64_t unsettled_ = 0;
  size_t next_source_ = 0;
  // Send time and due time per request slot, `pipeline` slots per connection.
  std::vector<int64_t> sent_ns_;
  std::vector<int64_t> due_ns_;
  std::vector<uint32_t> ready_;   // Connections with room for another request.
  std::deque<int64_t> backlog_;   // Open loop: due times waiting for a connection.
  bool submitting_ = false;
  int64_t start_ns_ = 0;
  int64_t scheduled_ = 0;         // Open loop: submissions due so far.
  int64_t next_due_ns_ = 0;
  int64_t next_sweep_ns_ = 0;
  int64_t outstanding_ = 0;
  uint64_t next_url_ = 0;
  std::array<int64_t, 600> status_counts_{};
  std::vector<char> read_buffer_;
  std::string request_;           // Reused for every request.
  uint32_t corked_ = kNoConn;     // See Engine::corked_.
};

}  // namespace loadgen
