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

const WsReader& ServerImpl::WsView(uint32_t idx) const {
  if (slot(idx).flags & conn_flag::kWsHeld) return ws_held_.find(idx)->second;
  return idx == ws_scratch_slot_ ? ws_scratch_ : ws_idle_;
}

WsReader* ServerImpl::WsMutable(uint32_t idx) {
  if (slot(idx).flags & conn_flag::kWsHeld) return &ws_held_.find(idx)->second;
  return idx == ws_scratch_slot_ ? &ws_scratch_ : nullptr;
}

void ServerImpl::DropWs(uint32_t idx) {
  Connection& c = slot(idx);
  if (!(c.flags & conn_flag::kWsHeld)) return;
  c.flags &= ~conn_flag::kWsHeld;
  ws_held_.erase(idx);
}

WsFeedResult ServerImpl::FeedWs(uint32_t idx, std::span<uint8_t> data, WsEvents& events) {
  const WsLimits limits{config_.ws_max_message_bytes, true};
  Connection& c = slot(idx);
  if (!(c.flags & conn_flag::kWsHeld) && ws_scratch_slot_ != kNoSlot) {
    // Fed from inside another connection's feed (the scratch is taken):
    // this one gets its own entry at once.
    ws_held_.try_emplace(idx);
    c.flags |= conn_flag::kWsHeld;
  }
  if (c.flags & conn_flag::kWsHeld) {
    // Node based: the reference stays valid while others come and go, and
    // this entry goes only in DropWs (here, or in Recycle, a later pass).
    WsReader& reader = ws_held_.find(idx)->second;
    const WsFeedResult r = reader.Feed(data, limits, events);
    if (reader.idle()) DropWs(idx);
    return r;
  }
  ws_scratch_slot_ = idx;
  const WsFeedResult r = ws_scratch_.Feed(data, limits, events);
  ws_scratch_slot_ = kNoSlot;
  if (!ws_scratch_.idle()) {
    ws_held_.insert_or_assign(idx, std::move(ws_scratch_));
    slot(idx).flags |= conn_flag::kWsHeld;
    ws_scratch_ = WsReader();
  }
  return r;
}

void ServerImpl::WsFeed(uint32_t idx, uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  WsEventSink sink(*this, idx);
  const WsFeedResult r = FeedWs(idx, std::span<uint8_t>(data, size), sink);
  m_.frames_in->Inc(r.frames);
  if (!r.ok() && c.state == ConnState::kWebSocket && !(c.flags & conn_flag::kCloseSent)) {
    WsFail(idx, r.error_code, r.reason);
    return;
  }
  const WsReader& ws = WsView(idx);
  if (c.state == ConnState::kWebSocket && !ws.idle() && !ws.closed()) WatchPartial(idx);
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
  if (WsReader* ws = WsMutable(idx); ws && ws->partial_since() == 0) ws->set_partial_since(MonoMs(now));
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
    const WsReader& ws = WsView(idx);
    const int64_t since = ws.partial_since();
    if (c->state != ConnState::kWebSocket || ws.idle() || ws.closed() || since == 0) {
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
    WsMutable(idx)->Abandon();
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
  if (!(c.flags & conn_flag::kIsWs) || WsView(idx).closed()) return;
  CloseWatcher watcher;
  if (c.flags & conn_flag::kTls) {
    if (!TlsOf(idx)->Ingest(data, size)) return;
    ptrdiff_t n;
    while (!watcher.got_close && !WsView(idx).closed() &&
           (n = TlsOf(idx)->ReadPlain(plain_buffer_.get(), kReadBufferBytes)) > 0) {
      FeedWs(idx, std::span<uint8_t>(plain_buffer_.get(), static_cast<size_t>(n)), watcher);
    }
  } else {
    FeedWs(idx, std::span<uint8_t>(data, size), watcher);
  }
  if (watcher.got_close) Abort(idx, c.close_code ? c.close_code : close_code::kNormal);
}

void ServerImpl::WsFail(uint32_t idx, uint16_t code, std::string_view reason) {
  WsErrorCounter(code).Inc();
  Close(MakeId(idx, slot(idx).generation), code, reason);
}

}  // namespace sela::net
