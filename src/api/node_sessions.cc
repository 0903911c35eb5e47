// NodeSessions: connections, registration bookkeeping, limits, pushes and
// housekeeping shared by both protocols (node_sessions_v1.cc and
// node_sessions_v2.cc hold each protocol's messages).
#include "api/node_sessions.h"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "api/events.h"
#include "api/node_identity.h"
#include "api/node_sessions_internal.h"
#include "core/logging.h"
#include "net/ws_handshake.h"
#include "nodes/siphash.h"
#include "protocol/v1_session.h"

namespace sela::api {

namespace v1 = protocol::v1;
namespace v2 = protocol::v2;

namespace {

auth::BucketSpec BucketOf(const RateSpec& r) {
  return auth::BucketSpec{.burst = static_cast<double>(std::max<uint32_t>(r.burst, 1)),
                          .per_second = r.per_minute / 60.0,
                          .enabled = r.enabled};
}

constexpr uint16_t kRttUnknown = 0xffff;
constexpr size_t kProbeBytes = 16;

}  // namespace

std::string SourceKey(std::string_view peer) {
  if (peer.find(':') == std::string_view::npos) return std::string(peer);
  std::string text(peer);
  uint8_t addr[16];
  if (inet_pton(AF_INET6, text.c_str(), addr) != 1) return text;
  std::memset(addr + 8, 0, 8);
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, addr, out, sizeof(out));
  return std::string(out) + "/64";
}

NodeSessionOptions NodeSessionOptions::FromConfig(const Config& config) {
  NodeSessionOptions o;
  o.registration_timeout = Millis(config.node.registration_timeout_ms);
  o.heartbeat_timeout = Millis(config.node.heartbeat_timeout_ms);
  o.uptime_chunk_deltas = config.node.uptime_checkpoint_chunk;
  const SecurityConfig& sec = config.security;
  o.signed_only = sec.node_auth == SecurityConfig::NodeAuth::kSigned;
  o.max_sessions_per_principal = sec.max_sessions_per_principal;
  o.v2_sessions.resume_window_ms = sec.resume_window_ms;
  o.v2.challenge_ttl_ms = sec.challenge_ttl_ms;
  o.node_token_ttl_ms = sec.node_token_ttl_ms;
  o.registrations_per_source = BucketOf(sec.registrations_per_source);
  o.messages_per_connection = BucketOf(sec.messages_per_connection);
  o.speed_reports = auth::BucketSpec{.burst = 3,
                                     .per_second = sec.speed_report_interval_ms ? 1000.0 / sec.speed_report_interval_ms : 0,
                                     .enabled = sec.speed_report_interval_ms > 0};
  return o;
}

NodeSessions::NodeSessions(NodeSessionOptions options, const Clock& clock, store::Store& store,
                           nodes::NodeRegistry& registry, MetricsRegistry& metrics, SecurityEvents& events)
    : options_(std::move(options)),
      clock_(clock),
      store_(store),
      registry_(registry),
      events_(events),
      v2_sessions_(options_.v2_sessions),
      registrations_(options_.registrations_per_source, options_.limiter_keys_max),
      speed_reports_(options_.speed_reports, options_.limiter_keys_max),
      token_secret_(options_.node_token_secret),
      verifier_(MakeKeyVerifier()),
      uptime_({.chunk_deltas = options_.uptime_chunk_deltas}, store, [this](const Status& st) {
        m_.uptime_checkpoint_failures->Inc();
        spdlog::error("uptime checkpoint failed, will retry{}", LogFields({{"error", st.ToString()}}));
      }) {
  if (token_secret_.size() < 32) {
    token_secret_.assign(32, '\0');
    options_.random(std::span<uint8_t>(reinterpret_cast<uint8_t*>(token_secret_.data()), token_secret_.size()));
  }
  options_.random(std::span<uint8_t>(reinterpret_cast<uint8_t*>(probe_key_.data()), sizeof(probe_key_)));
  m_.registered = &metrics.GetGauge("sela_nodes_registered", "Registered node connections.");
  m_.v2_sessions = &metrics.GetGauge("sela_node_v2_sessions", "Protocol v2 sessions, live or waiting for resume.");
  m_.registrations = &metrics.GetCounter("sela_node_registrations_total", "Successful node registrations.");
  m_.v2_registrations =
      &metrics.GetCounter("sela_node_v2_registrations_total", "Successful protocol v2 registrations (signed).");
  m_.v2_resumes = &metrics.GetCounter("sela_node_v2_resumes_total", "Protocol v2 sessions taken up again.");
  m_.registration_failures =
      &metrics.GetCounter("sela_node_registration_failures_total", "Registrations refused or failed.");
  m_.messages = &metrics.GetCounter("sela_node_messages_total", "Node messages handled after registration.");
  m_.rejected_messages = &metrics.GetCounter("sela_node_messages_rejected_total",
                                             "Node messages that failed decoding or validation.");
  m_.principal_mismatches = &metrics.GetCounter(
      "sela_node_principal_mismatches_total", "Messages whose user_principal_id was not the connection's.");
  m_.registration_timeouts =
      &metrics.GetCounter("sela_node_registration_timeouts_total", "Connections closed unregistered.");
  m_.heartbeat_timeouts =
      &metrics.GetCounter("sela_node_heartbeat_timeouts_total", "Registered nodes closed for silence.");
  m_.overflow_closes = &metrics.GetCounter("sela_node_queue_overflow_closes_total",
                                           "Connections closed for queueing too much input.");
  m_.uptime_checkpoint_failures =
      &metrics.GetCounter("sela_uptime_checkpoint_failures_total", "Uptime checkpoint chunks the store refused (kept and sent again).");
  m_.pings = &metrics.GetCounter("sela_node_pings_total", "Pings sent to registered node connections.");
  m_.pongs = &metrics.GetCounter("sela_node_pongs_total", "Pongs that answered a ping of the server.");
  m_.ping_timeouts = &metrics.GetCounter("sela_node_ping_timeouts_total",
                                         "Node connections closed for leaving a ping unanswered.");
}

NodeSessions::~NodeSessions() = default;

NodeSessions::Session* NodeSessions::Find(net::ConnId id) {
  const uint32_t slot = net::ConnSlot(id);
  if (slot >= session_of_slot_.size() || session_of_slot_[slot] == 0) return nullptr;
  Session& s = sessions_[session_of_slot_[slot] - 1];
  // A Session lives from its connection's open to its close, so the slot's
  // current id says whether `id` is still that connection.
  return (s.state != State::kFree && server_->IdAt(slot) == id) ? &s : nullptr;
}

const NodeSessions::Session* NodeSessions::Find(net::ConnId id) const {
  return const_cast<NodeSessions*>(this)->Find(id);
}

NodeSessions::Session& NodeSessions::NewSession(net::ConnId id) {
  const uint32_t slot = net::ConnSlot(id);
  session_of_slot_.GrowTo(slot + 1, 0);
  uint32_t index = free_session_;
  if (index != kNoSessionIndex) {
    free_session_ = sessions_[index].node;
  } else {
    index = sessions_.size();
    sessions_.push_back(Session{});
  }
  Session& s = sessions_[index];
  s = Session{};
  s.slot = slot;
  session_of_slot_[slot] = index + 1;
  DropPending(s);  // Of an earlier connection in this slot, if any was left.
  return s;
}

NodeSessions::Session* NodeSessions::AwaitingSession(net::ConnId id) {
  if (server_->IdAt(net::ConnSlot(id)) != id) return nullptr;
  Session& s = NewSession(id);
  s.state = State::kAwaiting;
  return &s;
}

void NodeSessions::FreeSession(Session& s) {
  const uint32_t index = session_of_slot_[s.slot] - 1;
  session_of_slot_[s.slot] = 0;
  s = Session{};
  s.node = free_session_;
  free_session_ = index;
}

NodeSessions::Pending* NodeSessions::PendingOf(const Session& s) {
  auto it = pending_.find(net::ConnSlot(IdOf(s)));
  return it == pending_.end() ? nullptr : it->second.get();
}

NodeSessions::Pending& NodeSessions::EnsurePending(const Session& s) {
  auto& p = pending_[net::ConnSlot(IdOf(s))];
  if (!p) p = std::make_unique<Pending>();
  return *p;
}

void NodeSessions::DropPending(const Session& s) { pending_.erase(net::ConnSlot(IdOf(s))); }

void NodeSessions::Send(net::ConnId id, std::string_view text) { server_->Send(id, text, true); }

void NodeSessions::OnWsOpen(net::ConnId id, const net::HttpRequest& request) {
  const int64_t now_ms = clock_.WallMs();
  if (net::HeaderHasToken(request.Header("Sec-WebSocket-Protocol"), v2::kSubprotocol)) {
    Session& s = NewSession(id);
    events::NodeConnected(id, request.path, {});
    SetTexts(s, SourceKey(request.peer), std::nullopt, Named::kNone);
    OpenV2(s, id, now_ms);
    return;
  }
  if (options_.signed_only) {
    Session& s = NewSession(id);
    s.state = State::kAwaiting;
    events_.Refused(Refusal::kV1Refused, {{"source", SourceKey(request.peer)}, {"why", "NODE_AUTH=signed"}});
    m_.registration_failures->Inc();
    CloseSession(s, v2::close_code::kForbidden, "Protocol v2 required (Sec-WebSocket-Protocol: sela.v2)");
    return;
  }
  const std::string auth_query = request.QueryParam("authorization");
  const std::string principal_query = request.QueryParam("principal_id");
  const std::optional<std::string> principal =
      v1::PrincipalFromConnection({request.Header("Authorization"), auth_query, principal_query});
  events::NodeConnected(id, request.path, principal ? *principal : std::string_view());
  // One that named nobody gets its Session with its first message
  // (AwaitingSession): an idle one costs nothing here.
  if (principal) {
    Session& s = NewSession(id);
    s.state = State::kAwaiting;
    SetTexts(s, SourceKey(request.peer), *principal, Named::kConnection);
  }
  server_->SetDeadline(id, clock_.Now() + options_.registration_timeout);
}

void NodeSessions::OnWsMessage(net::ConnId id, bool /*text*/, std::string_view payload) {
  // Text and binary frames are treated alike, as the original did.
  Session* s = Find(id);
  if (!s) s = AwaitingSession(id);
  if (!s || s->state == State::kEnded) return;
  if (s->state == State::kRegistered && !TakeMessage(*s, clock_.WallMs())) return;
  if (!s->busy) {
    Handle(*s, payload);
    return;
  }
  Pending& p = EnsurePending(*s);
  if (p.queue.size() >= options_.queued_messages_max ||
      p.queued_bytes + payload.size() > options_.queued_bytes_max) {
    m_.overflow_closes->Inc();
    EndSession(*s, clock_.WallMs(), net::close_code::kPolicyViolation, "Too many messages in flight");
    server_->Close(id, net::close_code::kPolicyViolation, "Too many messages in flight");
    return;
  }
  p.queued_bytes += payload.size();
  p.queue.emplace_back(payload);
}

// Messages per connection: past the limit the connection is abusing the
// server, and is closed rather than answered (1008).
bool NodeSessions::TakeMessage(Session& s, int64_t now_ms) {
  if (s.messages.Take(options_.messages_per_connection, now_ms).allowed) return true;
  const auto view = registry_.View(s.node);
  events_.Refused(Refusal::kMessageFlood,
                  {{"principal", view ? view->principal : std::string_view()}, {"conn", std::to_string(IdOf(s))}});
  EndSession(s, now_ms, net::close_code::kPolicyViolation, "Too many messages", /*keep_v2_session=*/false);
  server_->Close(IdOf(s), net::close_code::kPolicyViolation, "Too many messages");
  return false;
}

bool NodeSessions::TakeRegistration(Session& s, const std::string& source, std::string_view principal,
                                    int64_t now_ms) {
  const auth::RateDecision d = registrations_.Take(source, now_ms);
  if (d.allowed) return true;
  m_.registration_failures->Inc();
  events_.Refused(Refusal::kRegistrationLimited, {{"source", source}, {"principal", principal}});
  const std::string retry = std::to_string(d.RetryAfterSeconds());
  if (s.is_v2) {
    RefuseV2(s, "registration_limited", "too many registrations from this address; retry in " + retry + " s",
             d.retry_after_ms);
  } else {
    Send(IdOf(s), v1::EncodeFailure(std::string(v1::kRegistrationFailedPrefix) +
                                    "too many registrations from this address; retry in " + retry + " s"));
    CloseSession(s, v2::close_code::kRateLimited, "Too many registrations from this address");
  }
  return false;
}

bool NodeSessions::TakeSpeedReport(std::string_view principal, int64_t now_ms, int64_t* retry_after_ms) {
  const auth::RateDecision d = speed_reports_.Take(principal, now_ms);
  if (d.allowed) return true;
  *retry_after_ms = d.retry_after_ms;
  events_.Refused(Refusal::kSpeedReportThrottled, {{"principal", principal}});
  return false;
}

void NodeSessions::Handle(Session& s, std::string_view payload) {
  switch (s.state) {
    case State::kAwaiting:
      HandleRegistration(s, payload);
      break;
    case State::kChallenged:
      HandleAuth(s, payload);
      break;
    case State::kRegistered:
      if (s.is_v2) {
        HandleV2Request(s, payload);
      } else {
        HandleMessage(s, payload);
      }
      break;
    case State::kFree:
    case State::kEnded:
      break;
  }
}

// Runs queued input once the in-flight operation is done, in order, until
// another operation starts.
void NodeSessions::Resume(net::ConnId id) {
  Session* s = Find(id);
  Pending* p;
  while (s && !s->busy && (p = PendingOf(*s)) && !p->queue.empty() &&
         (s->state == State::kAwaiting || s->state == State::kChallenged || s->state == State::kRegistered)) {
    std::string next = std::move(p->queue.front());
    p->queue.pop_front();
    p->queued_bytes -= next.size();
    Handle(*s, next);
    s = Find(id);
  }
  if (s) ReleasePendingIfIdle(*s);
}

// An idle registered session holds no heap block: the queue, the source and
// the handshake exist only while needed.
void NodeSessions::ReleasePendingIfIdle(Session& s) {
  Pending* p = PendingOf(s);
  if (p && s.state == State::kRegistered && p->queue.empty()) DropPending(s);
}

std::string NodeSessions::NextClientId(int64_t now_ms) {
  // The original used Date.now(), which repeats within a millisecond.
  last_client_id_ms_ = std::max(now_ms, last_client_id_ms_ + 1);
  return std::to_string(last_client_id_ms_);
}

nodes::NodeIndex NodeSessions::Attach(Session& s, const Joining& joining, uint32_t capacity, int64_t now_ms) {
  const nodes::NodeIndex node = registry_.Connect(joining.principal, joining.client_id_ms, now_ms);
  if (node == nodes::kNoNode) return node;
  DropTexts(s);
  // The stored capacity (an operator may have changed it) outlives connections.
  registry_.SetCapacity(node, capacity);
  rtt_ms_.GrowTo(node + 1, kRttUnknown);
  // A node that just came online.
  if (by_node_.Newest(node) == SessionsByNode::kNone) rtt_ms_[node] = kRttUnknown;
  by_node_.AddNewest(node, IndexOf(s));
  s.node = node;
  s.client_id_ms = joining.client_id_ms;
  s.v2 = joining.v2;
  s.state = State::kRegistered;
  ++registered_;
  m_.registered->Add(1);
  m_.registrations->Inc();
  events::NodeRegistered(IdOf(s), joining.principal, std::to_string(joining.client_id_ms));
  return node;
}

// A principal keeps at most max_sessions_per_principal live sessions: the
// oldest (lowest clientId) give way to the newest.
void NodeSessions::ReplaceOldSessions(nodes::NodeIndex node, net::ConnId keep, int64_t now_ms) {
  auto view = registry_.View(node);
  while (view && view->connections > options_.max_sessions_per_principal) {
    Session* oldest = nullptr;
    by_node_.ForEach(node, [&](uint32_t i) {
      Session& other = sessions_[i];
      if (IdOf(other) != keep && (!oldest || other.client_id_ms < oldest->client_id_ms)) oldest = &other;
    });
    if (!oldest) return;
    events_.Refused(Refusal::kSessionReplaced,
                    {{"principal", view->principal}, {"client_id", std::to_string(oldest->client_id_ms)}});
    spdlog::info("node session replaced by a newer one{}",
                 LogFields({{"principal", view->principal}, {"client_id", std::to_string(oldest->client_id_ms)}}));
    EndSession(*oldest, now_ms, v2::close_code::kReplaced, "Replaced by a newer connection of this node",
               /*keep_v2_session=*/false);
    server_->Close(IdOf(*oldest), v2::close_code::kReplaced, "Replaced by a newer connection of this node");
    view = registry_.View(node);
  }
}

void NodeSessions::AfterRegistration(net::ConnId id) {
  Session* s = Find(id);
  if (!s) return;
  server_->SetDeadline(id, clock_.Now() + options_.heartbeat_timeout);
  // Its uptime counts from its first answer.
  ProbeRtt(*s, /*fresh=*/true);
  ReleasePendingIfIdle(*s);
  // After the reply: a job offered now follows the registration reply.
  if (jobs_) jobs_->NodeOnline(s->node);
  Resume(id);
}

namespace {
int64_t MonoNs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Now().time_since_epoch()).count();
}
}  // namespace

void NodeSessions::ProbeRtt(Session& s, bool fresh) {
  // Payload: the send time and a keyed tag of (connection, time), so that a
  // node can neither make up an answer that looks faster than it is nor
  // answer a ping it has not read.
  const net::ConnId id = IdOf(s);
  const int64_t sent_ns = MonoNs(clock_);
  char payload[kProbeBytes];
  char tagged[16];
  std::memcpy(tagged, &id, 8);
  std::memcpy(tagged + 8, &sent_ns, 8);
  const uint64_t tag = nodes::SipHash24({probe_key_[0], probe_key_[1]}, std::string_view(tagged, 16));
  std::memcpy(payload, &sent_ns, 8);
  std::memcpy(payload + 8, &tag, 8);
  if (!server_->Ping(id, std::string_view(payload, kProbeBytes))) return;
  m_.pings->Inc();
  // One already outstanding keeps its age: a later ping must not put off
  // the judgement of an earlier one.
  if (s.awaiting_pong) return;
  s.awaiting_pong = true;
  s.ping_fresh = fresh;
}

void NodeSessions::OnWsPong(net::ConnId id, std::string_view payload) {
  Session* s = Find(id);
  if (!s || s->state != State::kRegistered || payload.size() != kProbeBytes) return;
  int64_t sent_ns = 0;
  uint64_t tag = 0;
  std::memcpy(&sent_ns, payload.data(), 8);
  std::memcpy(&tag, payload.data() + 8, 8);
  char tagged[16];
  std::memcpy(tagged, &id, 8);
  std::memcpy(tagged + 8, &sent_ns, 8);
  if (tag != nodes::SipHash24({probe_key_[0], probe_key_[1]}, std::string_view(tagged, 16))) return;
  const int64_t now_ns = MonoNs(clock_);
  // A ping sent before the previous sweep was judged already: its echo,
  // kept and replayed, proves nothing about now.
  if (now_ns < sent_ns || sent_ns < prev_sweep_ns_) return;
  m_.pongs->Inc();
  s->awaiting_pong = false;
  s->ping_fresh = false;
  registry_.Verify(s->node, clock_.WallMs());
  const int64_t rtt = (now_ns - sent_ns) / 1'000'000;
  rtt_ms_[s->node] = static_cast<uint16_t>(std::min<int64_t>(rtt, kRttUnknown - 1));
  if (jobs_) jobs_->NodeChanged(s->node);
}

void NodeSessions::PingSweep() {
  prev_sweep_ns_ = last_sweep_ns_;
  last_sweep_ns_ = MonoNs(clock_);
  const int64_t now_ms = clock_.WallMs();
  for (Session& s : sessions_) {
    if (s.state != State::kRegistered) continue;
    if (s.awaiting_pong && !s.ping_fresh) {
      // Unanswered for a whole interval: the peer does not read, or is gone.
      // As for a heartbeat timeout, a v2 session stays resumable.
      m_.ping_timeouts->Inc();
      const net::ConnId id = IdOf(s);
      EndSession(s, now_ms, net::close_code::kGoingAway, "Ping timeout");
      server_->Close(id, net::close_code::kGoingAway, "Ping timeout");
      continue;
    }
    if (s.awaiting_pong) {
      s.ping_fresh = false;  // Sent since the last sweep: judged at the next one.
      continue;
    }
    ProbeRtt(s, /*fresh=*/false);
  }
}

uint32_t NodeSessions::MeasuredRttMs(nodes::NodeIndex node) const {
  if (node >= rtt_ms_.size() || rtt_ms_[node] == kRttUnknown) return jobs::JobEngine::kRttUnknown;
  return rtt_ms_[node];
}

void NodeSessions::WithSessionId(std::function<void(Result<uint64_t>)> then) {
  if (session_id_next_ < session_id_end_ && session_id_waiters_.empty()) {
    then(session_id_next_++);
    return;
  }
  session_id_waiters_.push_back(std::move(then));
  if (session_ids_requested_) return;
  session_ids_requested_ = true;
  store_.ReserveSessionIds(options_.session_id_block, [this](Result<uint64_t> first) {
    session_ids_requested_ = false;
    if (first) {
      session_id_next_ = *first;
      session_id_end_ = *first + options_.session_id_block;
    }
    while (!session_id_waiters_.empty()) {
      if (first && session_id_next_ >= session_id_end_) {
        // More waiters than the block held: ask for another block.
        auto rest = std::move(session_id_waiters_);
        for (auto& w : rest) WithSessionId(std::move(w));
        return;
      }
      auto waiter = std::move(session_id_waiters_.front());
      session_id_waiters_.pop_front();
      if (first) {
        waiter(session_id_next_++);
      } else {
        waiter(Err(first.error()));
      }
    }
  });
}

}  // namespace sela::api
