// WebSocket on a connection: feed input to the codec, hand messages to the
// WsHandler, answer pings, run the close handshake, send frames.
#include "net/server_impl.h"

namespace sela::net {

class WsEventSink final : public WsEvents {
 public:
  WsEventSink(ServerImpl& server, uint32_t idx) : s_(server), idx_(idx) {}

  bool OnMessage(bool text, std::string_view payload) override {
    if (!Alive()) return false;
    s_.m_.messages_in->Inc();
    // Handling a message costs about its size again (decoding): counted in
    // this pass's share, so large ones are spread over passes.
    s_.SpendPass(payload.size());
    s_.ws_handler_.OnWsMessage(ServerImpl::MakeId(idx_, conn().generation), text, payload);
    return Alive();
  }

  bool OnPing(std::string_view payload) override {
    if (!Alive()) return false;
    s_.WsSendFrame(idx_, WsOpcode::kPong, payload);
    return Alive();
  }

  bool OnPong(std::string_view payload) override {
    if (!Alive()) return false;
    s_.ws_handler_.OnWsPong(ServerImpl::MakeId(idx_, conn().generation), payload);
    return Alive();
  }

  bool OnTooBig(bool text, uint64_t bytes) override {
    if (!Alive()) return false;
    return s_.ws_handler_.OnWsTooBig(ServerImpl::MakeId(idx_, conn().generation), text, bytes);
  }

  bool OnTooBigData(std::string_view piece, bool last) override {
    if (!Alive()) return false;
    s_.ws_handler_.OnWsTooBigData(ServerImpl::MakeId(idx_, conn().generation), piece, last);
    return Alive();
  }

  bool OnClose(uint16_t code, std::string_view) override {
    Connection& c = conn();
    if (!Alive()) return false;
    // Echo the peer's code (an empty Close gets an empty Close), then close
    // the TCP connection once the reply is out.
    c.close_code = code;
    std::string frame;
    AppendWsClose(frame, code == close_code::kNoStatus ? 0 : code, {});
    c.flags |= conn_flag::kCloseSent | conn_flag::kLingerAfterFlush;
    if (s_.Write(idx_, frame, {}) && !ServerImpl::HasOut(c) && c.state == ConnState::kWebSocket) {
      s_.m_.frames_out->Inc();
      s_.BeginLinger(idx_);
    }
    return false;
  }

 private:
  Connection& conn() { return s_.slot(idx_); }
  bool Alive() {
    Connection& c = conn();
    return c.state == ConnState::kWebSocket && !(c.flags & conn_flag::kCloseSent);
  }

  ServerImpl& s_;
  uint32_t idx_;
};

void ServerImpl::WsFeed(uint32_t idx, uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  WsEventSink sink(*this, idx);
  const WsLimits limits{config_.ws_max_message_bytes, true};
  const WsFeedResult r = c.ws.Feed(std::span<uint8_t>(data, size), limits, sink);
  m_.frames_in->Inc(r.frames);
  if (!r.ok() && c.state == ConnState::kWebSocket && !(c.flags & conn_flag::kCloseSent)) {
    WsFail(idx, r.error_code, r.reason);
    return;
  }
  if (c.state == ConnState::kWebSocket && !c.ws.idle() && !c.ws.closed()) WatchPartial(idx);
}

namespace {
int64_t MonoMs(MonoTime t) {
  // +1: 0 means "not set" to the reader.
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count() + 1;
}
}  // namespace

void ServerImpl::WatchPartial(uint32_t idx) {
  Connection& c = slot(idx);
  const MonoTime now = clock_.Now();
  if (c.ws.partial_since() == 0) c.ws.set_partial_since(MonoMs(now));
  if (c.flags & conn_flag::kPartialTimed) return;
  c.flags |= conn_flag::kPartialTimed;
  partial_deadlines_.push({now + Millis(config_.ws_message_timeout_ms), MakeId(idx, c.generation)});
}

void ServerImpl::CheckPartialDeadlines() {
  const MonoTime now = clock_.Now();
  const int64_t now_ms = MonoMs(now);
  while (!partial_deadlines_.empty() && partial_deadlines_.top().due <= now) {
    const ConnId id = partial_deadlines_.top().id;
    partial_deadlines_.pop();
    Connection* c = Lookup(id);
    if (!c || !(c->flags & conn_flag::kPartialTimed)) continue;
    const uint32_t idx = ConnSlot(id);
    const int64_t since = c->ws.partial_since();
    if (c->state != ConnState::kWebSocket || c->ws.idle() || c->ws.closed() || since == 0) {
      c->flags &= ~conn_flag::kPartialTimed;
      continue;
    }
    const int64_t due_ms = since + config_.ws_message_timeout_ms;
    if (due_ms > now_ms) {
      // A newer frame or message: it gets its own full time.
      partial_deadlines_.push({now + Millis(due_ms - now_ms), id});
      continue;
    }
    c->flags &= ~conn_flag::kPartialTimed;
    m_.message_timeouts->Inc();
    // Its buffers go now, not after the close handshake.
    c->ws.Abandon();
    WsFail(idx, close_code::kPolicyViolation, "Message not completed in time");
    SettleBudget(idx);
  }
}

bool ServerImpl::WsSendFrame(uint32_t idx, WsOpcode opcode, std::string_view payload) {
  uint8_t header[14];
  const size_t n = WriteWsFrameHeader(header, opcode, payload.size());
  if (!Write(idx, std::string_view(reinterpret_cast<char*>(header), n), payload)) return false;
  m_.frames_out->Inc();
  return true;
}

bool ServerImpl::Send(ConnId id, std::string_view payload, bool text) {
  Connection* c = Lookup(id);
  if (!c || c->state != ConnState::kWebSocket || (c->flags & conn_flag::kCloseSent)) return false;
  return WsSendFrame(static_cast<uint32_t>(id), text ? WsOpcode::kText : WsOpcode::kBinary, payload);
}

bool ServerImpl::Ping(ConnId id, std::string_view payload) {
  Connection* c = Lookup(id);
  if (!c || c->state != ConnState::kWebSocket || (c->flags & conn_flag::kCloseSent) || payload.size() > 125) {
    return false;
  }
  return WsSendFrame(static_cast<uint32_t>(id), WsOpcode::kPing, payload);
}

void ServerImpl::Close(ConnId id, uint16_t code, std::string_view reason) {
  Connection* c = Lookup(id);
  if (!c || c->state != ConnState::kWebSocket || (c->flags & conn_flag::kCloseSent)) return;
  const uint32_t idx = static_cast<uint32_t>(id);
  c->close_code = code;
  std::string frame;
  AppendWsClose(frame, code, reason);
  c->flags |= conn_flag::kCloseSent | conn_flag::kLingerAfterFlush;
  if (!Write(idx, frame, {})) return;
  m_.frames_out->Inc();
  if (!HasOut(*c) && c->state == ConnState::kWebSocket) BeginLinger(idx);
}

namespace {

class CloseWatcher final : public WsEvents {
 public:
  bool OnMessage(bool, std::string_view) override { return true; }
  bool OnPing(std::string_view) override { return true; }
  bool OnPong(std::string_view) override { return true; }
  bool OnClose(uint16_t, std::string_view) override {
    got_close = true;
    return false;
  }
  bool got_close = false;
};

}  // namespace

void ServerImpl::LingerFeed(uint32_t idx, uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  if (!(c.flags & conn_flag::kIsWs) || c.ws.closed()) return;
  const WsLimits limits{config_.ws_max_message_bytes, true};
  CloseWatcher watcher;
  if (c.flags & conn_flag::kTls) {
    if (!TlsOf(idx)->Ingest(data, size)) return;
    ptrdiff_t n;
    while (!watcher.got_close && !c.ws.closed() &&
           (n = TlsOf(idx)->ReadPlain(plain_buffer_.get(), kReadBufferBytes)) > 0) {
      c.ws.Feed(std::span<uint8_t>(plain_buffer_.get(), static_cast<size_t>(n)), limits, watcher);
    }
  } else {
    c.ws.Feed(std::span<uint8_t>(data, size), limits, watcher);
  }
  if (watcher.got_close) Abort(idx, c.close_code ? c.close_code : close_code::kNormal);
}

void ServerImpl::WsFail(uint32_t idx, uint16_t code, std::string_view reason) {
  WsErrorCounter(code).Inc();
  Close(MakeId(idx, slot(idx).generation), code, reason);
}

}  // namespace sela::net
