#include "net/server_impl.h"
#include "net/ws_handshake.h"

#include <sys/socket.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <spdlog/spdlog.h>

namespace sela::net {

ServerImpl::ServerImpl(EventLoop& loop, const NetConfig& config, const Clock& clock,
                       MetricsRegistry& metrics, const Router& router, WsHandler& ws_handler,
                       HttpErrorBody error_body)
    : loop_(loop),
      config_(config),
      clock_(clock),
      metrics_(metrics),
      router_(router),
      ws_handler_(ws_handler),
      error_body_(error_body),
      budget_(InboundBudget::Options{config.inbound_budget_bytes, kSmallRequestBytesMax,
                                     config.inbound_budget_bytes / 8}),
      body_limit_fn_([this](std::string_view method, std::string_view path) {
        const uint64_t route_limit = router_.BodyLimit(method, path);
        return route_limit ? route_limit : config_.http_body_bytes_max;
      }),
      read_buffer_(new uint8_t[kReadBufferBytes]),
      deadlines_(Millis(50), clock.Now()) {
  // Load OpenSSL's digest code now rather than on the first client's
  // handshake, so start-up pays its one-time cost (~2 MB of library pages).
  (void)ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==");
  m_.accepted = &metrics.GetCounter("sela_connections_accepted_total", "TCP connections accepted.");
  m_.accept_paused = &metrics.GetCounter(
      "sela_accept_paused_total", "Times accepting paused at the descriptor or connection limit.");
  m_.closed = &metrics.GetCounter("sela_connections_closed_total", "Connections closed.");
  m_.open_http = &metrics.GetGauge("sela_connections_open", "Open connections.", "kind=\"http\"");
  m_.open_ws = &metrics.GetGauge("sela_connections_open", "Open connections.", "kind=\"websocket\"");
  m_.bytes_in = &metrics.GetCounter("sela_net_received_bytes_total", "Bytes received.");
  m_.bytes_out = &metrics.GetCounter("sela_net_sent_bytes_total", "Bytes sent.");
  m_.frames_in = &metrics.GetCounter("sela_ws_frames_received_total", "WebSocket frames received.");
  m_.frames_out = &metrics.GetCounter("sela_ws_frames_sent_total", "WebSocket frames sent.");
  m_.messages_in =
      &metrics.GetCounter("sela_ws_messages_received_total", "WebSocket messages received.");
  m_.slow_consumers = &metrics.GetCounter(
      "sela_ws_slow_consumer_closes_total", "WebSockets closed because output queued past its limit.");
  m_.upgrades = &metrics.GetCounter("sela_ws_upgrades_total", "WebSocket upgrades accepted.");
  m_.tls_failures = &metrics.GetCounter("sela_tls_failures_total",
                                        "TLS connections dropped for a bad handshake or record.");
  m_.request_seconds = &metrics.GetHistogram("sela_http_request_duration_seconds",
                                             "HTTP request latency, first byte to response.");
  m_.inbound_bytes = &metrics.GetGauge("sela_inbound_buffered_bytes",
                                       "Memory held for unfinished request bodies and WebSocket messages.");
  metrics.GetGauge("sela_inbound_budget_bytes", "The limit on sela_inbound_buffered_bytes (INBOUND_BUDGET_BYTES).")
      .Set(static_cast<int64_t>(config.inbound_budget_bytes));
  m_.inbound_waiting = &metrics.GetGauge("sela_inbound_budget_waiting_connections",
                                         "Connections not read until the inbound budget has room.");
  m_.budget_pauses = &metrics.GetCounter("sela_inbound_budget_pauses_total",
                                         "Times a connection's reading paused for the inbound budget.");
  m_.memory_trims = &metrics.GetCounter("sela_memory_trims_total",
                                        "Times freed memory was given back to the system.");
  m_.message_timeouts = &metrics.GetCounter(
      "sela_ws_message_timeouts_total", "WebSockets closed for a frame or message not finished in time.");
}

ServerImpl::~ServerImpl() {
  for (int fd : acceptors_) {
    if (fd >= 0) ::close(fd);
  }
  for (Connection* chunk : chunks_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      if (chunk[i].fd >= 0) ::close(chunk[i].fd);
      chunk[i].~Connection();
    }
    std::allocator<Connection>().deallocate(chunk, kChunk);
  }
}

Counter& ServerImpl::WsErrorCounter(uint16_t code) {
  return metrics_.GetCounter("sela_ws_protocol_errors_total",
                             "WebSocket connections failed for bad input, by close code.",
                             "code=\"" + std::to_string(code) + "\"");
}

Counter& ServerImpl::RefusedCounter(const char* reason) {
  return metrics_.GetCounter("sela_connections_refused_total",
                             "Connections refused at once (503 and close), by reason.",
                             std::string("reason=\"") + reason + "\"");
}

Counter& ServerImpl::HttpErrorCounter(std::string_view reason) {
  return metrics_.GetCounter("sela_http_errors_total", "Bad or timed-out HTTP requests, by reason.",
                             "reason=\"" + MetricsRegistry::EscapeLabel(reason) + "\"");
}

ConnId ServerImpl::IdAt(uint32_t idx) const {
  if (idx >= slot_count_) return kNoConnId;
  const Connection& c = chunks_[idx / kChunk][idx % kChunk];
  return c.state == ConnState::kFree ? kNoConnId : MakeId(idx, c.generation);
}

std::string ServerImpl::PeerAddressOf(ConnId id) {
  const Connection* c = Lookup(id);
  return c ? PeerAddress(c->fd) : std::string();
}

Connection* ServerImpl::Lookup(ConnId id) {
  const uint32_t idx = static_cast<uint32_t>(id);
  if (idx >= slot_count_) return nullptr;
  Connection& c = slot(idx);
  if (c.generation != static_cast<uint32_t>(id >> 32)) return nullptr;
  if (c.state == ConnState::kFree || c.state == ConnState::kDead) return nullptr;
  return &c;
}

void ServerImpl::OnIo(uint64_t token, uint32_t events) {
  if (token & kAcceptorToken) {
    AcceptSome(static_cast<size_t>(token & ~kAcceptorToken));
    return;
  }
  const uint32_t idx = static_cast<uint32_t>(token);
  const uint32_t gen = static_cast<uint32_t>(token >> 32);
  if (idx >= slot_count_) return;
  Connection& c = slot(idx);
  // A descriptor closed earlier in this pass may still report events.
  if (c.generation != gen || c.state == ConnState::kFree || c.state == ConnState::kDead) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    c.flags |= conn_flag::kMaybeReadable;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.flags |= conn_flag::kPeerDone;
    ReadLoop(idx);
    if (c.generation != gen || c.state == ConnState::kFree || c.state == ConnState::kDead) return;
  }
  if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && HasOut(c)) FlushOut(idx);
}

void ServerImpl::PostRead(uint32_t idx) {
  const uint32_t gen = slot(idx).generation;
  slot(idx).flags |= conn_flag::kMaybeReadable;
  loop_.Post([this, idx, gen] {
    if (slot(idx).generation == gen) ReadLoop(idx);
  });
}

void ServerImpl::ReadLoop(uint32_t idx) {
  Connection& c = slot(idx);
  // Plaintext may wait inside TLS from before a pause.
  if ((c.flags & conn_flag::kTls) && TlsOf(idx)->handshake_done() && !ReadBlocked(c)) TlsIn(idx, nullptr, 0);
  for (int round = 0; round < kReadsPerTurn; ++round) {
    if (c.state == ConnState::kFree || c.state == ConnState::kDead) return;
    // Paused: kMaybeReadable stays set, and whoever resumes reads again.
    if (ReadBlocked(c)) return;
    if (!(c.flags & conn_flag::kMaybeReadable)) return;
    if (c.charge > 0 && PassBytesSpent()) {
      // A large body or message under way waits for the next pass once this
      // one has read its share; small requests are never held back by it.
      PostRead(idx);
      return;
    }
    const size_t want = c.charge == 0 && BudgetTight() ? kTightReadBytes : kReadBufferBytes;
    const ssize_t n = ::recv(c.fd, read_buffer_.get(), want, 0);
    if (n > 0) {
      // A short read drained the socket: the next byte or FIN to arrive is a
      // new edge, so no recv that would only say EAGAIN.
      if (static_cast<size_t>(n) < want && !(c.flags & conn_flag::kPeerDone)) {
        c.flags &= ~conn_flag::kMaybeReadable;
      }
      m_.bytes_in->Inc(static_cast<uint64_t>(n));
      SpendPass(static_cast<uint64_t>(n));
      if (c.state == ConnState::kLingering) {
        LingerFeed(idx, read_buffer_.get(), static_cast<size_t>(n));
      } else if (c.flags & conn_flag::kTls) {
        TlsIn(idx, read_buffer_.get(), static_cast<size_t>(n));
      } else {
        Dispatch(idx, read_buffer_.get(), static_cast<size_t>(n));
      }
      if (c.state != ConnState::kFree && c.state != ConnState::kDead) SettleBudget(idx);
      continue;
    }
    if (n == 0) {
      Abort(idx, c.state == ConnState::kLingering && c.close_code ? c.close_code : close_code::kAbnormal);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c.flags &= ~conn_flag::kMaybeReadable;
      return;
    }
    Abort(idx, close_code::kAbnormal);
    return;
  }
  // Still readable: continue on a later pass so other connections are served.
  if (c.state != ConnState::kFree && c.state != ConnState::kDead && (c.flags & conn_flag::kMaybeReadable)) {
    PostRead(idx);
  }
}

void ServerImpl::Dispatch(uint32_t idx, uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  if (c.state == ConnState::kHttp) {
    HttpFeed(idx, data, size);
  } else if (c.state == ConnState::kWebSocket) {
    WsFeed(idx, data, size);
  }
}

void ServerImpl::TlsIn(uint32_t idx, const uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  if (!TlsOf(idx)->Ingest(data, size)) {
    m_.tls_failures->Inc();
    FlushTls(idx);  // The alert, if any.
    Abort(idx, close_code::kAbnormal);
    return;
  }
  while (c.state == ConnState::kHttp || c.state == ConnState::kWebSocket) {
    if (ReadBlocked(c)) break;
    const ptrdiff_t n = TlsOf(idx)->ReadPlain(plain_buffer_.get(), kReadBufferBytes);
    if (n == 0) break;
    if (n < 0) {
      Abort(idx, c.close_code ? c.close_code : close_code::kAbnormal);
      return;
    }
    Dispatch(idx, plain_buffer_.get(), static_cast<size_t>(n));
  }
  if (c.state != ConnState::kDead && c.state != ConnState::kFree) FlushTls(idx);
}

bool ServerImpl::FlushTls(uint32_t idx) {
  std::string cipher;
  TlsOf(idx)->TakeCiphertext(cipher);
  return cipher.empty() || RawWrite(idx, cipher, {});
}

bool ServerImpl::Write(uint32_t idx, std::string_view head, std::string_view body) {
  Connection& c = slot(idx);
  if (!(c.flags & conn_flag::kTls)) return RawWrite(idx, head, body);
  if (!TlsOf(idx)->Encrypt(head) || !TlsOf(idx)->Encrypt(body)) {
    m_.tls_failures->Inc();
    Abort(idx, close_code::kAbnormal);
    return false;
  }
  return FlushTls(idx);
}

bool ServerImpl::RawWrite(uint32_t idx, std::string_view head, std::string_view body) {
  Connection& c = slot(idx);
  const size_t total = head.size() + body.size();
  if (HasOut(c)) {
    OutQueue& q = OutOf(idx);
    if (c.state == ConnState::kWebSocket && q.pending() + total > config_.ws_outbound_bytes_max) {
      m_.slow_consumers->Inc();
      Abort(idx, close_code::kPolicyViolation);
      return false;
    }
    q.data.append(head);
    q.data.append(body);
    return true;
  }
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body.empty() ? 1 : 2;
  ssize_t n = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Abort(idx, close_code::kAbnormal);
      return false;
    }
    n = 0;
  }
  m_.bytes_out->Inc(static_cast<uint64_t>(n));
  const size_t sent = static_cast<size_t>(n);
  if (sent == total) return true;
  OutQueue& q = NewOut(idx);
  if (sent < head.size()) {
    q.data.append(head.substr(sent));
    q.data.append(body);
  } else {
    q.data.append(body.substr(sent - head.size()));
  }
  // A short or refused write leaves the socket marked out of space, so its
  // next writable edge comes and FlushOut continues from there.
  return true;
}

OutQueue& ServerImpl::NewOut(uint32_t idx) {
  slot(idx).flags |= conn_flag::kHasOut;
  OutQueue& q = out_by_slot_[idx];
  q = OutQueue{};
  return q;
}

void ServerImpl::DropOut(uint32_t idx) {
  Connection& c = slot(idx);
  if (!HasOut(c)) return;
  c.flags &= ~conn_flag::kHasOut;
  out_by_slot_.erase(idx);
}

void ServerImpl::FlushOut(uint32_t idx) {
  Connection& c = slot(idx);
  OutQueue& q = OutOf(idx);
  while (q.pending() > 0) {
    const ssize_t n = ::send(c.fd, q.data.data() + q.offset, q.pending(), MSG_NOSIGNAL);
    if (n > 0) {
      q.offset += static_cast<size_t>(n);
      m_.bytes_out->Inc(static_cast<uint64_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (q.offset > (1u << 20)) {
        q.data.erase(0, q.offset);
        q.offset = 0;
      }
      return;  // The next writable edge continues.
    }
    Abort(idx, close_code::kAbnormal);
    return;
  }
  DropOut(idx);
  AfterFlush(idx);
}

void ServerImpl::AfterFlush(uint32_t idx) {
  Connection& c = slot(idx);
  if (c.flags & conn_flag::kLingerAfterFlush) {
    BeginLinger(idx);
    return;
  }
  if (out_streams_.contains(idx)) {
    PumpOutStream(idx);
    return;
  }
  if (c.state == ConnState::kHttp && (c.flags & conn_flag::kReadPaused) &&
      !(c.http && c.http->response_pending)) {
    c.flags &= ~conn_flag::kReadPaused;
    HttpParse(idx);
    // Input that came while paused waits in the socket or in TLS.
    if (c.state == ConnState::kHttp && !(c.flags & conn_flag::kReadPaused) &&
        (c.flags & (conn_flag::kMaybeReadable | conn_flag::kTls))) {
      PostRead(idx);
    }
  }
}

void ServerImpl::BeginLinger(uint32_t idx) {
  Connection& c = slot(idx);
  c.flags &= ~(conn_flag::kLingerAfterFlush | conn_flag::kReadPaused);
  if (c.flags & conn_flag::kTls) {
    // Best effort close_notify before the FIN; the peer may be gone.
    TlsOf(idx)->Shutdown();
    std::string cipher;
    TlsOf(idx)->TakeCiphertext(cipher);
    if (!cipher.empty()) ::send(c.fd, cipher.data(), cipher.size(), MSG_NOSIGNAL);
  }
  ::shutdown(c.fd, SHUT_WR);
  if (c.state == ConnState::kHttp && (c.flags & conn_flag::kIsWs) == 0) c.http.reset();
  c.state = ConnState::kLingering;
  ++lingering_;
  MaybeFinishDrain();
  deadlines_.Schedule(idx, clock_.Now() + Millis(config_.ws_close_timeout_ms));
  // Data may already wait in the socket (edge-triggered): read now.
  PostRead(idx);
}

void ServerImpl::Abort(uint32_t idx, uint16_t code) {
  Connection& c = slot(idx);
  if (c.state == ConnState::kFree || c.state == ConnState::kDead) return;
  ::close(c.fd);
  c.fd = -1;
  deadlines_.Cancel(idx);
  if (c.state == ConnState::kLingering) --lingering_;
  c.state = ConnState::kDead;
  out_streams_.erase(idx);
  --open_;
  m_.closed->Inc();
  if (c.flags & conn_flag::kIsWs) {
    m_.open_ws->Add(-1);
  } else {
    m_.open_http->Add(-1);
  }
  if (c.charge) ReleaseCharge(c, c.charge);
  Unpause(c);
  if (SourceKey& source = slot_source_[idx]; source != 0) {
    sources_.Remove(source);
    source = 0;
  }
  const uint32_t gen = c.generation;
  if (c.flags & conn_flag::kWsOpen) {
    c.flags &= ~conn_flag::kWsOpen;
    ws_handler_.OnWsClosed(MakeId(idx, gen), code);
  }
  loop_.Post([this, idx, gen] { Recycle(idx, gen); });
  if (accept_paused_ && open_ < max_connections_) ResumeAccepting();
  WakeBudgetWaiters();
  MaybeFinishDrain();
}

void ServerImpl::Recycle(uint32_t idx, uint32_t gen) {
  Connection& c = slot(idx);
  if (c.generation != gen || c.state != ConnState::kDead) return;
  DropWs(idx);
  c.http.reset();
  DropOut(idx);
  tls_by_slot_.erase(idx);
  http_peers_.erase(idx);
  ++c.generation;
  c.state = ConnState::kFree;
  c.flags = 0;
  c.close_code = 0;
  free_slots_.push_back(idx);
}

void ServerImpl::Tick() {
  deadlines_.Advance(clock_.Now(), [this](uint32_t idx) { OnDeadline(idx); });
  CheckPartialDeadlines();
  MaybeTrimMemory();
}

void ServerImpl::OnDeadline(uint32_t idx) {
  Connection& c = slot(idx);
  switch (c.state) {
    case ConnState::kHttp:
      HttpTimeout(idx);
      break;
    case ConnState::kWebSocket:
      ws_handler_.OnWsDeadline(MakeId(idx, c.generation));
      break;
    case ConnState::kLingering:
      Abort(idx, c.close_code ? c.close_code : close_code::kAbnormal);
      break;
    case ConnState::kFree:
    case ConnState::kDead:
      break;
  }
}

void ServerImpl::SetDeadline(ConnId id, MonoTime deadline) {
  if (Connection* c = Lookup(id); c && c->state == ConnState::kWebSocket) {
    deadlines_.Schedule(static_cast<uint32_t>(id), deadline);
  }
}

void ServerImpl::ClearDeadline(ConnId id) {
  if (Connection* c = Lookup(id); c && c->state == ConnState::kWebSocket) {
    deadlines_.Cancel(static_cast<uint32_t>(id));
  }
}

void ServerImpl::Drain(uint16_t code, std::string_view reason, std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  drain_done_ = std::move(done);
  for (int& fd : acceptors_) {
    ::close(fd);
    fd = -1;
  }
  for (uint32_t idx = 0; idx < slot_count_; ++idx) {
    Connection& c = slot(idx);
    if (c.state == ConnState::kWebSocket) {
      Close(MakeId(idx, c.generation), code, reason);
    } else if (c.state == ConnState::kHttp && !c.http) {
      // Idle keep-alive: nothing in flight. A connection part-way through a
      // request is left to finish it; its response carries
      // `Connection: close` and its timeouts still apply.
      Abort(idx, close_code::kGoingAway);
    }
  }
  loop_.RunAfter(Millis(config_.drain_timeout_ms), [this] {
    for (uint32_t idx = 0; idx < slot_count_; ++idx) Abort(idx, close_code::kGoingAway);
    MaybeFinishDrain();
  });
  MaybeFinishDrain();
}

void ServerImpl::MaybeFinishDrain() {
  // A lingering connection has written everything it owes; the kernel
  // delivers the rest after exit, so it does not hold the drain up.
  if (!draining_ || open_ != lingering_ || !drain_done_) return;
  auto done = std::move(drain_done_);
  drain_done_ = nullptr;
  loop_.Post(std::move(done));
}

// Server: the public face.

Server::Server(EventLoop& loop, const NetConfig& config, const Clock& clock,
               MetricsRegistry& metrics, const Router& router, WsHandler& ws_handler,
               HttpErrorBody error_body)
    : impl_(std::make_unique<ServerImpl>(loop, config, clock, metrics, router, ws_handler, error_body)) {}
Server::~Server() = default;
Status Server::Listen() { return impl_->Listen(); }
uint16_t Server::port() const { return impl_->port(); }
bool Server::Send(ConnId id, std::string_view payload, bool text) { return impl_->Send(id, payload, text); }
bool Server::Ping(ConnId id, std::string_view payload) { return impl_->Ping(id, payload); }
void Server::Close(ConnId id, uint16_t code, std::string_view reason) { impl_->Close(id, code, reason); }
void Server::SetDeadline(ConnId id, MonoTime deadline) { impl_->SetDeadline(id, deadline); }
void Server::ClearDeadline(ConnId id) { impl_->ClearDeadline(id); }
void Server::Drain(uint16_t code, std::string_view reason, std::function<void()> done) {
  impl_->Drain(code, reason, std::move(done));
}
bool Server::draining() const { return impl_->draining(); }
size_t Server::open_connections() const { return impl_->open_connections(); }
ConnId Server::IdAt(uint32_t slot) const { return impl_->IdAt(slot); }
std::string Server::PeerAddress(ConnId id) const { return impl_->PeerAddressOf(id); }

HttpReply::HttpReply(HttpReply&& other) noexcept : server_(other.server_), conn_(other.conn_) {
  other.server_ = nullptr;
}

HttpReply::~HttpReply() {
  if (server_) server_->SendHttpResponse(conn_, server_->ErrorResponse(500, "Internal server error"));
}

void HttpReply::Send(HttpResponse response) {
  if (!server_) return;
  ServerImpl* s = server_;
  server_ = nullptr;
  s->SendHttpResponse(conn_, std::move(response));
}

}  // namespace sela::net
