// Internals of Server, shared by accept.cc (listening, accepting, slots),
// server.cc (I/O, timers, drain), http_conn.cc (HTTP/1.1) and ws_conn.cc
// (WebSocket). Not for use outside net/.
//
// Memory per idle connection is the budget this file is shaped by: an
// idle WebSocket holds only its 24-byte Connection slot (descriptor, a few
// flags, a null pointer), its 4-byte deadline and its 4-byte source key;
// codec state and unsent output live in maps by slot while they exist; the
// event loop keeps nothing per descriptor. Buffers exist only while a request, a partial
// frame or unsent output exists.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/block_array.h"
#include "core/slot_deadlines.h"
#include "net/event_loop.h"
#include "net/http_parser.h"
#include "net/http_stream.h"
#include "net/inbound_budget.h"
#include "net/source_table.h"
#include "net/server.h"
#include "net/tls.h"
#include "net/ws_codec.h"

namespace sela::net {

enum class ConnState : uint8_t {
  kFree,       // Slot unused.
  kHttp,       // Reading HTTP requests.
  kWebSocket,  // Upgraded.
  kLingering,  // Output flushed, write side shut; reading to EOF, then close.
  kDead,       // Socket closed; slot waits to be recycled.
};

namespace conn_flag {
// The socket may hold unread input: reading stopped before it would block
// (paused, or a full buffer). Edge-triggered readiness will not say so again.
inline constexpr uint16_t kMaybeReadable = 1 << 0;
// The peer shut its side (or the socket failed): read until recv says so,
// since a FIN that came with the last data is no edge of its own.
inline constexpr uint16_t kPeerDone = 1 << 1;
inline constexpr uint16_t kReadPaused = 1 << 2;   // Do not read now (HTTP response pending).
inline constexpr uint16_t kCloseSent = 1 << 3;    // WebSocket Close frame queued.
inline constexpr uint16_t kLingerAfterFlush = 1 << 4;  // Linger-close once output drains.
inline constexpr uint16_t kInFeed = 1 << 6;       // Input being processed (no re-entry).
inline constexpr uint16_t kWsOpen = 1 << 7;       // OnWsOpen was called; OnWsClosed is owed.
inline constexpr uint16_t kIsWs = 1 << 8;         // Upgraded (counted as a WebSocket).
inline constexpr uint16_t kTls = 1 << 9;          // Has a TlsSession in tls_by_slot_.
// Waiting in the inbound budget's queue: do not read until it has room.
inline constexpr uint16_t kBudgetPaused = 1 << 10;
// Has an entry in partial_deadlines_ (a WebSocket frame or message incomplete).
inline constexpr uint16_t kPartialTimed = 1 << 11;
// Took one of the reserved slots: HTTP only, no WebSocket upgrade.
inline constexpr uint16_t kReserveSlot = 1 << 12;
// Has unsent output in out_by_slot_ (the socket was out of space).
inline constexpr uint16_t kHasOut = 1 << 13;
// Its WebSocket reader holds a heap block (an incomplete frame or message,
// or it is closed) and lives in ws_held_.
inline constexpr uint16_t kWsHeld = 1 << 14;
}  // namespace conn_flag

struct HttpState {
  HttpRequestParser parser;
  std::string inbuf;         // Bytes not yet consumed by the parser.
  std::unique_ptr<BodySink> sink;  // Takes its body in pieces (http_stream.cc).
  bool sink_paused = false;        // The sink is full: reading waits for Resume.
  // A streamed body's bytes in the inbound budget (its Content-Length, at
  // most the route's limit): granted before it is read, held until the
  // response, as the sink holds them in transit (to disk) until then.
  uint64_t stream_charge = 0;
  bool response_pending = false;
  bool head = false;         // The pending request is HEAD: send no body.
  bool keep_alive = true;    // The pending request allows keep-alive.
  // The header is complete and the body waits for room in the inbound
  // budget (or for the 100 Continue that follows it).
  bool body_waiting = false;
  const std::string* route = nullptr;  // Matched route pattern, for metrics.
  MonoTime started{};        // When the pending request's first byte came.
};

// A response body pulled from a BodySource as the connection drains
// (http_stream.cc).
struct OutStream {
  std::shared_ptr<BodySource> source;
  uint64_t left = 0;         // Bytes still to send.
  bool pulling = false;      // A Pull is outstanding.
  bool keep_alive = true;    // What to do once the body is out.
};

struct OutQueue {
  std::string data;
  size_t offset = 0;
  size_t pending() const { return data.size() - offset; }
};

struct Connection {
  int fd = -1;
  // Bytes this connection holds in the inbound budget (unfinished input
  // held or granted); fills what would be padding after fd.
  uint32_t charge = 0;
  std::unique_ptr<HttpState> http;
  // Unsent output lives in ServerImpl::out_by_slot_ (conn_flag::kHasOut),
  // and a WebSocket reader that holds something in ServerImpl::ws_held_
  // (conn_flag::kWsHeld): few connections have either at a time, and a
  // pointer each here cost every idle connection 16 bytes.
  uint32_t generation : 24 = 0;  // Wraps; ids stay unique for a slot's lifetime.
  ConnState state : 8 = ConnState::kFree;
  uint16_t flags = 0;
  uint16_t close_code = 0;  // Code to report in OnWsClosed.
};
static_assert(sizeof(Connection) <= 24, "Connection is the per-connection memory budget");

// The peer address of a descriptor as text (http_conn.cc).
std::string PeerAddress(int fd);

class ServerImpl final : public EventLoop::IoHandler {
 public:
  ServerImpl(EventLoop& loop, const NetConfig& config, const Clock& clock,
             MetricsRegistry& metrics, const Router& router, WsHandler& ws_handler,
             HttpErrorBody error_body);
  ~ServerImpl();

  Status Listen();
  uint16_t port() const { return port_; }
  bool Send(ConnId id, std::string_view payload, bool text);
  bool Ping(ConnId id, std::string_view payload);
  void Close(ConnId id, uint16_t code, std::string_view reason);
  void SetDeadline(ConnId id, MonoTime deadline);
  void ClearDeadline(ConnId id);
  void Drain(uint16_t code, std::string_view reason, std::function<void()> done);
  bool draining() const { return draining_; }
  size_t open_connections() const { return open_; }
  ConnId IdAt(uint32_t idx) const;
  std::string PeerAddressOf(ConnId id);
  void SendHttpResponse(ConnId id, HttpResponse response);
  // BodyStream's (http_stream.cc).
  void ResumeBody(ConnId id);
  void RefuseBody(ConnId id, HttpResponse response);
  // An error answer in the envelope of the layer above (HttpErrorBody).
  HttpResponse ErrorResponse(unsigned status, std::string_view message,
                             std::string_view data_json = "null") const;

  // The connection in slot idx (ws_conn.cc's WsEventSink reaches it too).
  Connection& slot(uint32_t idx) { return chunks_[idx / kChunk][idx % kChunk]; }
  const Connection& slot(uint32_t idx) const { return chunks_[idx / kChunk][idx % kChunk]; }

  // Readiness from the event loop (server.cc).
  void OnIo(uint64_t token, uint32_t events) override;

 private:
  static constexpr uint32_t kChunk = 1024;
  static constexpr size_t kReadBufferBytes = 64 * 1024;
  // Reads of one connection before others get their turn (256 KiB): a peer
  // streaming megabytes cannot hold the loop for long, so requests of
  // others wait a few milliseconds at most.
  static constexpr int kReadsPerTurn = 4;
  // Bytes read and messages handled per pass of the loop before large
  // bodies and messages wait for the next pass: their decoding (a 1 MB node
  // result is milliseconds of JSON) is spread over passes, between which
  // everyone else's requests are served.
  static constexpr uint64_t kPassBytesMax = 1u << 20;
  // While the inbound budget is tight, a connection holding nothing reads
  // this much at a time: enough for small requests and node messages, and
  // little for each of many connections to hold if it starts a large one.
  static constexpr size_t kTightReadBytes = 2 * 1024;
  // Requests and messages up to this size (a 64 KiB body with its header
  // and buffers) may use the budget's reserve.
  static constexpr uint64_t kSmallRequestBytesMax = 128 * 1024;
  // A connection whose source holds this many connections gets no reserved
  // slot (a health checker or an operator holds few).
  static constexpr uint32_t kReserveSourceConnectionsMax = 4;
  // Freed memory goes back to the system (malloc_trim) once this much was
  // released from the inbound budget, at most once per kTrimInterval.
  static constexpr uint64_t kTrimAfterReleasedBytes = 16u << 20;
  static constexpr Millis kTrimInterval{1000};

  // accept.cc
  // Tokens: a connection's slot and generation, or an acceptor's index
  // with kAcceptorToken set.
  static constexpr uint64_t kAcceptorToken = uint64_t{1} << 55;
  Status ListenOn(const sockaddr_storage& address, socklen_t size, bool v6_only);
  void AcceptSome(size_t acceptor_index);
  // Takes an accepted descriptor into a slot and the event loop.
  void Adopt(int fd, SourceKey source, bool reserve_slot);
  // Why a new connection from `source` is refused, or nullptr to take it
  // (*reserve_slot: into the reserve).
  const char* RefusalOf(SourceKey source, bool* reserve_slot) const;
  // Accepted only to be told no: a 503 and close, at once.
  void Refuse(int fd, const char* reason);
  void ResumeAccepting();
  uint32_t AllocSlot();

  // server.cc
  Connection* Lookup(ConnId id);
  static ConnId MakeId(uint32_t idx, uint32_t gen) { return (uint64_t{gen} << 32) | idx; }
  void ReadLoop(uint32_t idx);
  // Runs ReadLoop(idx) on a later pass, if the connection is still the same.
  void PostRead(uint32_t idx);
  void Dispatch(uint32_t idx, uint8_t* data, size_t size);
  // Writes bytes (header then body) now or queues them, through TLS when
  // the connection has it; false if the connection died (write error or
  // outbound limit).
  bool Write(uint32_t idx, std::string_view head, std::string_view body);
  bool RawWrite(uint32_t idx, std::string_view head, std::string_view body);
  void TlsIn(uint32_t idx, const uint8_t* data, size_t size);
  bool FlushTls(uint32_t idx);
  void FlushOut(uint32_t idx);
  void AfterFlush(uint32_t idx);
  void BeginLinger(uint32_t idx);
  void Abort(uint32_t idx, uint16_t code);
  void Recycle(uint32_t idx, uint32_t gen);
  void Tick();
  void OnDeadline(uint32_t idx);
  void MaybeFinishDrain();

  // Inbound budget (server.cc). HeldBytes: memory the connection's
  // unfinished input holds; NeedBytes: what it will hold once the frame or
  // body under way is complete (as far as its header tells).
  uint64_t HeldBytes(uint32_t idx) const;
  uint64_t NeedBytes(uint32_t idx) const;
  // Brings the connection's charge to what it holds and needs; pauses its
  // reading when the budget has no room for what it needs.
  void SettleBudget(uint32_t idx);
  // Charges up to `total` bytes for the connection if the budget has room.
  bool Grant(uint32_t idx, uint64_t total);
  void PauseForBudget(uint32_t idx);
  void Unpause(Connection& c);
  // Sets the connection's charge, and the budget's use with it.
  void SetCharge(Connection& c, uint64_t bytes);
  void ReleaseCharge(Connection& c, uint64_t bytes);
  // Reads of a connection that holds nothing are small while the budget is
  // tight (half used or more, or someone waiting): bytes read before their
  // need is known cannot be refused, only kept small.
  bool BudgetTight() const {
    return budget_.used_bytes() >= budget_.limit_bytes() / 2 || budget_.waiters() > 0;
  }
  // Resumes waiting connections for which there is room now, oldest first.
  void WakeBudgetWaiters();
  void ResumeAfterBudget(uint32_t idx, uint32_t gen);
  void MaybeTrimMemory();
  // True once this pass of the loop has spent kPassBytesMax.
  bool PassBytesSpent() {
    SpendPass(0);
    return pass_bytes_ >= kPassBytesMax;
  }
  void SpendPass(uint64_t bytes) {
    if (loop_.pass() != pass_) {
      pass_ = loop_.pass();
      pass_bytes_ = 0;
    }
    pass_bytes_ += bytes;
  }
  bool ReadBlocked(const Connection& c) const {
    return (c.flags & (conn_flag::kReadPaused | conn_flag::kBudgetPaused)) != 0;
  }
  // WebSocket frames and messages must be complete within
  // WS_MESSAGE_TIMEOUT_MS of their start (ws_conn.cc).
  void WatchPartial(uint32_t idx);
  void CheckPartialDeadlines();

  // http_conn.cc
  void HttpFeed(uint32_t idx, const uint8_t* data, size_t size);
  // Parses what waits in the connection's buffer, or `fresh` (just read)
  // when the buffer is empty.
  void HttpParse(uint32_t idx, std::string_view fresh = {});
  // The header of a request with a body is complete: find budget room for
  // the body, answer 100 Continue if asked. False: paused for the budget.
  bool HttpAdmitBody(uint32_t idx);
  void HttpHandleRequest(uint32_t idx, HttpRequest& request);
  // The peer's address text, found once per HTTP connection (http_peers_).
  const std::string& PeerOf(uint32_t idx);
  void HttpUpgrade(uint32_t idx, HttpRequest& request);
  void HttpError(uint32_t idx, unsigned status, std::string_view message, std::string_view reason);
  void HttpTimeout(uint32_t idx);
  std::string SerializeResponse(const HttpResponse& r, bool keep_alive) const;
  void CountRequest(const std::string* route, unsigned status, MonoTime started);
  // The head of a request with a body arrived: route it, decide how its
  // body is read (whole, or streamed to the route's sink), then admit the
  // body (HttpAdmitBody). False when the request was answered (refused)
  // or waits for the budget.
  bool HttpOnHeader(uint32_t idx);
  // After a response is out: close, or go on with the next request.
  void HttpAfterResponse(uint32_t idx, bool keep_alive);

  // http_stream.cc
  // Hands streamed body bytes waiting in the input to the sink; true when
  // the body is complete and the sink has been given the reply.
  void FeedSink(uint32_t idx);
  // The same for bytes just read, before they are buffered: returns how
  // many the sink took (none when it is paused or answered).
  size_t FeedSinkDirect(uint32_t idx, const uint8_t* data, size_t size);
  void AfterSinkData(uint32_t idx, size_t n, bool more);
  void StartOutStream(uint32_t idx, std::shared_ptr<BodySource> source, uint64_t length, bool keep_alive);
  void PumpOutStream(uint32_t idx);
  void OnStreamPiece(uint32_t idx, uint32_t gen, Result<std::string> piece);
  const std::string& DateValue() const;

  // ws_conn.cc
  void WsFeed(uint32_t idx, uint8_t* data, size_t size);
  // Feeds the connection's WebSocket reader: the one in ws_held_, or, when
  // it holds nothing, ws_scratch_, which goes into ws_held_ only if the
  // input leaves something incomplete; a held reader that becomes idle
  // leaves ws_held_ (an idle connection holds no codec block).
  WsFeedResult FeedWs(uint32_t idx, std::span<uint8_t> data, WsEvents& events);
  // The connection's reader as it is now (an idle one when it holds nothing).
  const WsReader& WsView(uint32_t idx) const;
  // The reader to change, or nullptr when it holds nothing (idle).
  WsReader* WsMutable(uint32_t idx);
  void DropWs(uint32_t idx);
  bool WsSendFrame(uint32_t idx, WsOpcode opcode, std::string_view payload);
  void WsFail(uint32_t idx, uint16_t code, std::string_view reason);
  // Input after we sent a Close: wait for the peer's Close, then close TCP
  // at once (the handshake is complete); everything else is dropped.
  void LingerFeed(uint32_t idx, uint8_t* data, size_t size);

  friend class WsEventSink;

  EventLoop& loop_;
  const NetConfig& config_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  const Router& router_;
  WsHandler& ws_handler_;
  HttpErrorBody error_body_;

  InboundBudget budget_;
  uint64_t paused_charge_ = 0;  // Charges of connections waiting for the budget.
  uint64_t pass_ = 0;        // The loop pass pass_bytes_ counts for.
  uint64_t pass_bytes_ = 0;
  uint64_t released_since_trim_ = 0;
  MonoTime last_trim_{};
  MonoTime last_release_{};
  BodyLimitFn body_limit_fn_;  // From the router, for the request parser.
  struct PartialDeadline {
    MonoTime due;
    ConnId id;
    bool operator>(const PartialDeadline& o) const { return due > o.due; }
  };
  std::priority_queue<PartialDeadline, std::vector<PartialDeadline>, std::greater<>> partial_deadlines_;
  SourceTable sources_;
  BlockArray<SourceKey> slot_source_;  // By slot; 0 for a free slot.
  size_t reserve_start_ = 0;  // Connections beyond this take reserved slots.

  std::vector<int> acceptors_;  // Listening descriptors.
  uint16_t port_ = 0;
  std::vector<Connection*> chunks_;  // kChunk constructed Connections each.
  std::vector<uint32_t> free_slots_;
  uint32_t slot_count_ = 0;
  size_t open_ = 0;
  size_t lingering_ = 0;  // Connections in ConnState::kLingering.
  size_t max_connections_ = 0;
  bool accept_paused_ = false;
  std::unique_ptr<uint8_t[]> read_buffer_;
  std::unique_ptr<uint8_t[]> plain_buffer_;  // Decrypted TLS input.
  std::unique_ptr<TlsContext> tls_;
  // TLS state lives beside the slots, so plain connections do not pay for
  // a pointer to it.
  std::unordered_map<uint32_t, std::unique_ptr<TlsSession>> tls_by_slot_;
  // The peer address of each HTTP connection that made a request, by slot:
  // one getpeername per connection instead of one per request. Dropped at
  // the upgrade to WebSocket and when the slot is recycled, so idle
  // WebSockets hold nothing here.
  std::unordered_map<uint32_t, std::string> http_peers_;
  // Response bodies being streamed, by slot (few at a time).
  std::unordered_map<uint32_t, OutStream> out_streams_;
  // Output the socket did not take yet, by slot (conn_flag::kHasOut). Node
  // based: references stay valid while other slots come and go.
  std::unordered_map<uint32_t, OutQueue> out_by_slot_;
  // WebSocket readers that hold something, by slot (conn_flag::kWsHeld);
  // ws_scratch_ is the reader of the connection being fed when it had none
  // (ws_scratch_slot_), ws_idle_ what every other one reads as.
  static constexpr uint32_t kNoSlot = 0xffffffffu;
  std::unordered_map<uint32_t, WsReader> ws_held_;
  WsReader ws_scratch_;
  uint32_t ws_scratch_slot_ = kNoSlot;
  const WsReader ws_idle_;
  static bool HasOut(const Connection& c) { return (c.flags & conn_flag::kHasOut) != 0; }
  OutQueue& OutOf(uint32_t idx) { return out_by_slot_.find(idx)->second; }
  OutQueue& NewOut(uint32_t idx);
  void DropOut(uint32_t idx);
  TlsSession* TlsOf(uint32_t idx) { return tls_by_slot_.find(idx)->second.get(); }
  // Per slot: the connection's one deadline (handshake, HTTP, close,
  // or what the WebSocket handler set), 4 bytes each.
  SlotDeadlines deadlines_;
  bool draining_ = false;
  std::function<void()> drain_done_;
  mutable int64_t date_second_ = -1;  // Cache of the Date header value.
  mutable std::string date_value_;
  // sela_http_requests_total by (route pattern, status): found once, then
  // counted without building the label text per request. Routes are
  // pointers to patterns that outlive the server; statuses are few.
  std::map<std::pair<const std::string*, unsigned>, Counter*> request_counters_;

  struct Metrics {
    Counter* accepted;
    Counter* accept_paused;
    Counter* closed;
    Gauge* open_http;
    Gauge* open_ws;
    Counter* bytes_in;
    Counter* bytes_out;
    Counter* frames_in;
    Counter* frames_out;
    Counter* messages_in;
    Counter* slow_consumers;
    Counter* upgrades;
    Counter* tls_failures;
    Histogram* request_seconds;
    Gauge* inbound_bytes;
    Gauge* inbound_waiting;
    Counter* budget_pauses;
    Counter* memory_trims;
    Counter* message_timeouts;
  } m_;
  Counter& RefusedCounter(const char* reason);
  Counter& WsErrorCounter(uint16_t code);
  Counter& HttpErrorCounter(std::string_view reason);
};

}  // namespace sela::net
