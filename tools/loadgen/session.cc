// Engine, part 2: what travels over a connection once TCP is up: the
// upgrade handshake, frames, protocol v1 registration, heartbeats and pings.
#include <cstring>

#include "engine.h"
#include "v1_messages.h"
#include "ws_handshake.h"

namespace loadgen {

bool Engine::Consume(uint32_t id, std::string_view data) {
  size_t used = 0;
  Conn& c = conns_[id];
  if (c.in.empty()) {
    if (!ProcessBytes(id, data, used)) return false;
    if (used < data.size()) c.in.assign(data.substr(used));
    return true;
  }
  std::string pending = std::move(c.in);
  c.in.clear();
  pending.append(data);
  if (!ProcessBytes(id, pending, used)) return false;
  if (used < pending.size()) {
    pending.erase(0, used);
    c.in = std::move(pending);
  }
  return true;
}

// Returns false once the connection is closed; `used` is how many bytes
// were handled (the rest waits for more data).
bool Engine::ProcessBytes(uint32_t id, std::string_view data, size_t& used) {
  size_t pos = 0;
  if (conns_[id].state == State::kHandshaking) {
    if (!OnUpgradeResponse(id, data, pos)) return false;
    if (conns_[id].state == State::kHandshaking) return true;
  }
  while (pos < data.size()) {
    const DecodeResult r = DecodeServerFrame(data.substr(pos), kMessageBytesMax);
    if (r.status == DecodeStatus::kNeedMore) break;
    if (r.status == DecodeStatus::kError) {
      Fail(id, r.error, Retry::kNever);
      return false;
    }
    const std::string_view payload = data.substr(pos + r.frame.header_bytes, r.frame.payload_bytes);
    pos += r.frame.total_bytes();
    if (!OnFrame(id, r.frame, payload)) return false;
  }
  used = pos;
  return true;
}

bool Engine::OnUpgradeResponse(uint32_t id, std::string_view data, size_t& used) {
  const UpgradeResponse r = ParseUpgradeResponse(data, WebSocketAccept(HandshakeKey(id)));
  if (r.status == UpgradeStatus::kNeedMore) return true;
  if (r.status == UpgradeStatus::kRejected) {
    Fail(id, r.reason, Retry::kNever);
    return false;
  }
  used = r.header_bytes;
  ++wave_->opened;
  if (config_.raw) {
    MarkReady(id);
    return true;
  }
  --awaiting_upgrade_;
  if (config_.v2) {
    // v2: the server speaks first (a challenge).
    SetState(id, State::kRegistering);
    conns_[id].registration_start_ns = now_ns_;
    return true;
  }
  if (config_.register_after_upgrades) {
    SetState(id, State::kUpgraded);
    MaybeRegisterAll();
  } else {
    SendRegistration(id);
  }
  return true;
}

void Engine::SendRegistration(uint32_t id) {
  SetState(id, State::kRegistering);
  conns_[id].registration_start_ns = now_ns_;
  SendFrame(id, Opcode::kText, RegistrationMessage(principals_[id]));
}

void Engine::MaybeRegisterAll() {
  if (!config_.register_after_upgrades || config_.raw || awaiting_upgrade_ > 0) return;
  for (uint32_t id = 0; id < conns_.size(); ++id) {
    if (conns_[id].state != State::kUpgraded) continue;
    SendRegistration(id);
    AddTimer(id, config_.connect_timeout_ns, TimerKind::kAttemptDeadline);
  }
}

bool Engine::OnFrame(uint32_t id, const DecodedFrame& frame, std::string_view payload) {
  switch (frame.opcode) {
    case Opcode::kPing:
      if (conns_[id].state != State::kClosing) SendFrame(id, Opcode::kPong, payload);
      return true;
    case Opcode::kPong:
      OnPong(id, payload);
      return true;
    case Opcode::kClose:
      OnServerClose(id, payload);
      return false;
    default:
      return OnDataFrame(id, frame, payload);
  }
}

bool Engine::OnDataFrame(uint32_t id, const DecodedFrame& frame, std::string_view payload) {
  Conn& c = conns_[id];
  const bool continuation = frame.opcode == Opcode::kContinuation;
  if (continuation != c.fragmented) {
    Fail(id, "frame_bad_continuation", Retry::kNever);
    return false;
  }
  if (!continuation && frame.fin) {
    OnMessage(id, frame.opcode, payload);
    return c.fd >= 0;
  }
  if (c.message.size() + payload.size() > kMessageBytesMax) {
    Fail(id, "message_too_large", Retry::kNever);
    return false;
  }
  if (!continuation) {
    c.fragmented = true;
    c.message_opcode = frame.opcode;
  }
  c.message.append(payload);
  if (!frame.fin) return true;
  const std::string message = std::move(c.message);
  std::string().swap(c.message);
  c.fragmented = false;
  OnMessage(id, c.message_opcode, message);
  return c.fd >= 0;
}

void Engine::OnMessage(uint32_t id, Opcode opcode, std::string_view payload) {
  const State state = conns_[id].state;
  if (config_.raw) {
    if (state != State::kClosing) CountError("unexpected_message");
    return;
  }
  if (config_.v2) return OnV2Message(id, payload);
  // Binary frames from a v1 server are CBOR error envelopes (ws-protocol.md §10, E5).
  const ReplyKind kind = opcode == Opcode::kBinary ? ReplyKind::kHandlerError : ClassifyReply(payload);
  if (state == State::kClosing) {
    // Answers to HEARTBEATs sent just before the close still count.
    if (kind == ReplyKind::kHeartbeatAck) ++report_.heartbeat_acks;
    return;
  }
  if (state == State::kRegistering) {
    if (kind == ReplyKind::kRegistered) return MarkReady(id);
    if (kind == ReplyKind::kRejected || kind == ReplyKind::kHandlerError) {
      std::string frame;
      AppendCloseFrame(kCloseNormal, "", rng_.Next32(), frame);
      Send(id, frame);
      return Fail(id, "registration_rejected", Retry::kNever);
    }
    return CountError("unexpected_before_registration");
  }
  if (config_.answer_jobs) return OnJobMessage(id, kind, payload);
  switch (kind) {
    case ReplyKind::kHeartbeatAck:
      ++report_.heartbeat_acks;
      return;
    case ReplyKind::kPingReply:
      return OnPingReply(id, true);
    case ReplyKind::kRejected:
    case ReplyKind::kHandlerError:
      if (conns_[id].inflight > 0) return OnPingReply(id, false);
      return CountError("error_reply");
    case ReplyKind::kJobDispatch:
      return CountError("unsolicited_job");
    case ReplyKind::kRegistered:
      return CountError("repeated_registration_reply");
    case ReplyKind::kJobComplete:
    case ReplyKind::kJobFailed:
    case ReplyKind::kOther:
      return CountError("unexpected_message");
  }
}

void Engine::OnV2Message(uint32_t id, std::string_view payload) {
  const State state = conns_[id].state;
  const V2Kind kind = ClassifyV2(payload);
  if (state == State::kClosing) {
    if (kind == V2Kind::kPong) ++report_.heartbeat_acks;
    return;
  }
  if (state == State::kRegistering) {
    if (kind == V2Kind::kChallenge) {
      const auto nonce = RawStringMember(payload, "nonce");
      const auto auth = nonce && id < v2_ids_.size() ? V2AuthMessage(v2_ids_[id], *nonce) : std::nullopt;
      if (!auth) return Fail(id, "bad_challenge", Retry::kNever);
      return SendFrame(id, Opcode::kText, *auth);
    }
    if (kind == V2Kind::kWelcome) return MarkReady(id);
    if (kind == V2Kind::kError) return Fail(id, "registration_rejected", Retry::kNever);
    return CountError("unexpected_before_registration");
  }
  switch (kind) {
    case V2Kind::kPong:
      if (conns_[id].inflight > 0) return OnPingReply(id, true);
      ++report_.heartbeat_acks;
      return;
    case V2Kind::kError:
      if (conns_[id].inflight > 0) return OnPingReply(id, false);
      return CountError("error_reply");
    default:
      return CountError("unexpected_message");
  }
}

void Engine::OnServerClose(uint32_t id, std::string_view payload) {
  if (conns_[id].state == State::kClosing) return FinishClose(id, CloseOutcome::kClean);
  // RFC 6455 §5.5.1: answer a close with a close, echoing the code. 1005
  // ("no code") may not be sent, so it is answered with 1000.
  const uint16_t code = CloseCode(payload);
  std::string frame;
  AppendCloseFrame(code == 1005 ? kCloseNormal : code, "", rng_.Next32(), frame);
  Send(id, frame);
  Fail(id, "server_close_" + std::to_string(code), Retry::kNever);
}

void Engine::OnPong(uint32_t id, std::string_view payload) {
  Conn& c = conns_[id];
  // Only raw mode pings at the WebSocket level. Unsolicited pongs are legal
  // (RFC 6455 §5.5.3); the TypeScript server sends an extra empty one.
  if (!config_.raw || c.state != State::kReady) return;
  int64_t sent_ns = 0;
  if (payload.size() != sizeof(sent_ns) || c.inflight == 0) return CountError("extra_pong");
  std::memcpy(&sent_ns, payload.data(), sizeof(sent_ns));
  --c.inflight;
  --pings_outstanding_;
  RecordRoundTrip(id, sent_ns, true);
}

void Engine::OnPingReply(uint32_t id, bool ok) {
  Conn& c = conns_[id];
  if (c.inflight == 0) return CountError("unmatched_reply");
  // v1 replies carry no request id (ws-protocol.md §1.6); with one socket
  // served in order, the oldest outstanding PING is the one answered.
  const int64_t sent_ns = ping_sent_ns_[size_t{id} * config_.inflight + c.ping_head];
  c.ping_head = static_cast<uint16_t>((c.ping_head + 1) % config_.inflight);
  --c.inflight;
  --pings_outstanding_;
  RecordRoundTrip(id, sent_ns, ok);
}

void Engine::RecordRoundTrip(uint32_t id, int64_t sent_ns, bool ok) {
  if (ok) {
    ++ping_->round_trips;
    if (pinging_) ++ping_->round_trips_in_window;
    ping_->latency.Record((now_ns_ - sent_ns) / 1000);
  } else {
    ++ping_->error_replies;
  }
  if (pinging_ && conns_[id].state == State::kReady) SendPing(id);
}

void Engine::MarkReady(uint32_t id) {
  SetState(id, State::kReady);
  --unsettled_;
  ++wave_->ready;
  wave_->latency.Record((now_ns_ - conns_[id].attempt_start_ns) / 1000);
  wave_->last_ready_ns = now_ns_;
  if (!config_.raw && config_.heartbeat_interval_ns > 0) {
    AddTimer(id, config_.heartbeat_interval_ns, TimerKind::kHeartbeat);
  }
  if (pinging_) {
    for (int k = 0; k < config_.inflight; ++k) SendPing(id);
  }
}

std::string Engine::HandshakeKey(uint32_t id) const {
  // Derived rather than stored: the key is needed twice per connection and
  // a per-connection copy would cost 24 bytes for the whole run.
  const uint64_t base = MixSeed(config_.seed ^ (uint64_t{id} << 32) ^ conns_[id].generation);
  return MakeWebSocketKey(base, MixSeed(base));
}

void Engine::SendHandshake(uint32_t id) {
  const std::string key = HandshakeKey(id);
  // Raw mode is "WebSocket only", so it does not name a principal either.
  // v1 names its principal by header or URL; v2 signs in with a key instead.
  const bool named = !config_.raw && !config_.v2;
  const bool bearer = named && config_.principal_in == PrincipalIn::kHeader;
  std::string path = config_.path;
  if (named && config_.principal_in == PrincipalIn::kUrl) {
    path += path.find('?') == std::string::npos ? "?principal_id=" : "&principal_id=";
    path += principals_[id];  // Prefix and format keep it to URL-safe characters.
  }
  UpgradeRequest request{config_.endpoints.host_header, path, key,
                         bearer ? std::string_view(principals_[id]) : std::string_view(),
                         config_.v2 && !config_.raw ? kV2Subprotocol : std::string_view()};
  Send(id, BuildUpgradeRequest(request));
}

void Engine::SendFrame(uint32_t id, Opcode opcode, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 14);
  AppendClientFrame(opcode, payload, rng_.Next32(), frame);
  Send(id, frame);
}

void Engine::SendPing(uint32_t id) {
  Conn& c = conns_[id];
  ++c.inflight;
  ++pings_outstanding_;
  if (config_.raw) {
    // The send time travels in the payload and comes back in the pong.
    char payload[sizeof(now_ns_)];
    std::memcpy(payload, &now_ns_, sizeof(payload));
    return SendFrame(id, Opcode::kPing, std::string_view(payload, sizeof(payload)));
  }
  const size_t tail = (c.ping_head + c.inflight - 1) % config_.inflight;
  ping_sent_ns_[size_t{id} * config_.inflight + tail] = now_ns_;
  SendFrame(id, Opcode::kText, config_.v2 ? std::string(kV2PingMessage) : PingMessage(principals_[id]));
}

void Engine::SendHeartbeat(uint32_t id) {
  SendFrame(id, Opcode::kText, config_.v2 ? std::string(kV2PingMessage) : HeartbeatMessage(principals_[id]));
  ++report_.heartbeats_sent;
  AddTimer(id, config_.heartbeat_interval_ns, TimerKind::kHeartbeat);
}

void Engine::StartPinging(PingStats* stats) {
  now_ns_ = MonotonicNs();
  ping_ = stats;
  pinging_ = true;
  stats->start_ns = now_ns_;
  if (!config_.raw && ping_sent_ns_.empty()) {
    ping_sent_ns_.assign(conns_.size() * static_cast<size_t>(config_.inflight), 0);
  }
  for (uint32_t id = 0; id < conns_.size(); ++id) {
    if (conns_[id].state != State::kReady) continue;
    for (int k = 0; k < config_.inflight; ++k) SendPing(id);
  }
}

void Engine::StopPinging() {
  pinging_ = false;
  ping_->stop_ns = MonotonicNs();
}

}  // namespace loadgen
