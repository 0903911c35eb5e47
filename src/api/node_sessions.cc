#include "api/node_sessions.h"

#include <spdlog/spdlog.h>

#include <type_traits>
#include <variant>

#include "api/events.h"
#include "core/logging.h"
#include "protocol/v1_session.h"

namespace sela::api {

namespace v1 = protocol::v1;

struct NodeSessions::Pending {
  std::optional<std::string> connection_principal;
  std::deque<std::string> queue;
  uint64_t queued_bytes = 0;
};

NodeSessionOptions NodeSessionOptions::FromConfig(const NodeConfig& config) {
  NodeSessionOptions o;
  o.registration_timeout = Millis(config.registration_timeout_ms);
  o.heartbeat_timeout = Millis(config.heartbeat_timeout_ms);
  return o;
}

NodeSessions::NodeSessions(NodeSessionOptions options, const Clock& clock, store::Store& store,
                           nodes::NodeRegistry& registry, MetricsRegistry& metrics)
    : options_(std::move(options)), clock_(clock), store_(store), registry_(registry) {
  m_.registered = &metrics.GetGauge("sela_nodes_registered", "Registered node connections.");
  m_.registrations = &metrics.GetCounter("sela_node_registrations_total", "Successful node registrations.");
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
      &metrics.GetCounter("sela_uptime_checkpoint_failures_total", "Uptime checkpoints the store refused.");
}

NodeSessions::~NodeSessions() = default;

NodeSessions::Session* NodeSessions::Find(net::ConnId id) {
  const uint32_t slot = net::ConnSlot(id);
  if (slot >= sessions_.size()) return nullptr;
  Session& s = sessions_[slot];
  return (s.generation == static_cast<uint32_t>(id >> 32) && s.state != State::kFree) ? &s : nullptr;
}

net::ConnId NodeSessions::IdOf(const Session& s) const {
  return (uint64_t{s.generation} << 32) | static_cast<uint64_t>(&s - sessions_.data());
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
  const uint32_t slot = net::ConnSlot(id);
  if (slot >= sessions_.size()) {
    // Grow in the server's slot chunks, not one by one.
    sessions_.reserve((slot / 1024 + 1) * 1024);
    sessions_.resize(slot + 1);
  }
  Session& s = sessions_[slot];
  s = Session{};
  s.generation = static_cast<uint32_t>(id >> 32);
  s.state = State::kAwaiting;
  DropPending(s);
  const std::string auth_query = request.QueryParam("authorization");
  const std::string principal_query = request.QueryParam("principal_id");
  auto principal = v1::PrincipalFromConnection(
      {request.Header("Authorization"), auth_query, principal_query});
  events::NodeConnected(id, request.path, principal ? *principal : std::string_view());
  if (principal) {
    EnsurePending(s).connection_principal = std::move(principal);
  }
  server_->SetDeadline(id, clock_.Now() + options_.registration_timeout);
}

void NodeSessions::OnWsMessage(net::ConnId id, bool /*text*/, std::string_view payload) {
  // Text and binary frames are treated alike, as the original did.
  Session* s = Find(id);
  if (!s || s->state == State::kEnded) return;
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

void NodeSessions::Handle(Session& s, std::string_view payload) {
  if (s.state == State::kAwaiting) {
    HandleRegistration(s, payload);
  } else if (s.state == State::kRegistered) {
    HandleMessage(s, payload);
  }
}

// Runs queued input once the in-flight operation is done, in order, until
// another operation starts.
void NodeSessions::Resume(net::ConnId id) {
  Session* s = Find(id);
  Pending* p;
  while (s && !s->busy && (p = PendingOf(*s)) && !p->queue.empty() &&
         (s->state == State::kAwaiting || s->state == State::kRegistered)) {
    std::string next = std::move(p->queue.front());
    p->queue.pop_front();
    p->queued_bytes -= next.size();
    Handle(*s, next);
    s = Find(id);
  }
  if (s) ReleasePendingIfIdle(*s);
}

// An idle registered session holds no heap block: the queue and the
// connection's principal exist only while needed.
void NodeSessions::ReleasePendingIfIdle(Session& s) {
  Pending* p = PendingOf(s);
  if (p && p->queue.empty() && !p->connection_principal) DropPending(s);
}

std::string NodeSessions::NextClientId(int64_t now_ms) {
  // The original used Date.now(), which repeats within a millisecond.
  last_client_id_ms_ = std::max(now_ms, last_client_id_ms_ + 1);
  return std::to_string(last_client_id_ms_);
}

void NodeSessions::HandleRegistration(Session& s, std::string_view payload) {
  const int64_t now_ms = clock_.WallMs();
  const std::optional<std::string> none;
  Pending* pending = PendingOf(s);
  const auto& connection_principal = pending ? pending->connection_principal : none;
  auto registration = v1::DecodeRegistration(payload, connection_principal, options_.decode);
  if (!registration) {
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(IdOf(s), {}, registration.error().detail);
    const auto frame = v1::EncodeDecodeError(registration.error(), now_ms, options_.encode);
    server_->Send(IdOf(s), frame.payload, frame.kind == v1::OutboundFrame::Kind::kText);
    return;
  }
  s.busy = true;
  const net::ConnId id = IdOf(s);
  std::string principal = std::move(registration->principal_id);
  WithSessionId([this, id, principal = std::move(principal)](Result<uint64_t> session_id) mutable {
    Session* s = Find(id);
    if (!s) return;
    if (!session_id) {
      CompleteRegistration(id, principal, {}, 0, Err(session_id.error()));
      return;
    }
    const std::string client_id = NextClientId(clock_.WallMs());
    store_.RegisterNode(principal, client_id, clock_.WallMs(),
                        [this, id, principal, client_id, sid = *session_id](Result<store::NodeRecord> r) {
                          CompleteRegistration(id, principal, client_id, sid, std::move(r));
                        });
  });
}

void NodeSessions::CompleteRegistration(net::ConnId id, const std::string& principal,
                                        const std::string& client_id, uint64_t session_id,
                                        Result<store::NodeRecord> record) {
  const int64_t now_ms = clock_.WallMs();
  Session* s = Find(id);
  if (!s || s->state != State::kAwaiting) {
    // The connection went away while the store worked: it is not connected.
    if (record) store_.MarkNodeDisconnected(principal, now_ms, [](Status) {});
    return;
  }
  s->busy = false;
  if (!record) {
    m_.registration_failures->Inc();
    spdlog::warn("node registration failed{}",
                 LogFields({{"principal", principal}, {"error", record.error().ToString()}}));
    Send(id, v1::EncodeFailureWithTimestamp("Login failed: " + record.error().message(), now_ms));
    Resume(id);
    return;
  }
  const nodes::NodeIndex node = registry_.Connect(principal, std::stoll(client_id), now_ms);
  if (node == nodes::kNoNode) {
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(id, principal, "too many connections");
    store_.MarkNodeDisconnected(principal, now_ms, [](Status) {});
    Send(id, v1::EncodeFailure("Registration failed: too many connections for this node or server"));
    EndSession(*s, now_ms, net::close_code::kTryAgainLater, "Too many connections");
    server_->Close(id, net::close_code::kTryAgainLater, "Too many connections");
    return;
  }
  // The stored capacity (an operator may have changed it) outlives connections.
  registry_.SetCapacity(node, record->max_concurrent_jobs);
  newest_conn_.GrowTo(node + 1, kNoConn);
  newest_conn_[node] = id;
  s->node = node;
  s->state = State::kRegistered;
  if (Pending* p = PendingOf(*s)) p->connection_principal.reset();
  ReleasePendingIfIdle(*s);
  ++registered_;
  m_.registered->Add(1);
  m_.registrations->Inc();
  events::NodeRegistered(id, principal, client_id);
  Send(id, v1::EncodeRegistered(client_id, static_cast<int64_t>(session_id)));
  server_->SetDeadline(id, clock_.Now() + options_.heartbeat_timeout);
  // After the reply: a job offered now follows the registration reply.
  if (jobs_) jobs_->NodeOnline(node);
  Resume(id);
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

namespace sela::api {

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
}  // namespace

void NodeSessions::HandleMessage(Session& s, std::string_view payload) {
  const int64_t now_ms = clock_.WallMs();
  const net::ConnId id = IdOf(s);
  registry_.Touch(s.node, now_ms);
  server_->SetDeadline(id, clock_.Now() + options_.heartbeat_timeout);
  m_.messages->Inc();
  auto decoded = v1::DecodeNodeMessage(payload, options_.decode);
  if (!decoded) {
    m_.rejected_messages->Inc();
    const auto node = registry_.View(s.node);
    events::NodeMessageRefused(id, node ? node->principal : std::string_view(), decoded.error().detail);
    const auto frame = v1::EncodeDecodeError(decoded.error(), now_ms, options_.encode);
    server_->Send(id, frame.payload, frame.kind == v1::OutboundFrame::Kind::kText);
    return;
  }
  const auto view = registry_.View(s.node);
  // A view of the registry's text, valid while the node is live: a branch
  // that needs it after something that may end sessions (a send) copies it.
  const std::string_view principal = view ? view->principal : std::string_view();
  if (auto refusal = v1::CheckMessagePrincipal(*decoded, principal)) {
    m_.principal_mismatches->Inc();
    events::NodeMessageRefused(id, principal, "user_principal_id is not the connection's");
    Send(id, *refusal);
    return;
  }
  if (s.inactive) {
    Send(id, v1::EncodeAuthenticationFailed(principal));
    return;
  }
  std::visit(
      Overloaded{
          [&](const v1::Ping&) { Send(id, v1::EncodePingReply(principal)); },
          [&](const v1::Halo&) { Send(id, v1::EncodeHaloReply(principal)); },
          [&](const v1::Heartbeat&) { Send(id, v1::EncodeHeartbeatAck(now_ms)); },
          [&](const v1::JobRequest&) {
            if (!jobs_) {
              Send(id, v1::EncodeNoJobsAvailable(now_ms));
              return;
            }
            const std::string client_id = view ? std::to_string(view->client_id_ms) : std::string();
            jobs_->OnJobRequest(s.node, client_id, [this, id](std::string reply) { Send(id, reply); });
          },
          [&](v1::ScrapeResult& m) {
            if (!jobs_) {
              Send(id, m.content ? v1::EncodeResultRejected(v1::kJobNotFoundReason, v1::kErrorTypeInternal)
                                 : v1::EncodeJobFailedNoData(m.job_id, now_ms));
              return;
            }
            // The reply waits for the store; later messages of this socket
            // wait behind it, so replies keep their order.
            s.busy = true;
            jobs_->OnResult(principal, std::move(m), [this, id](std::string reply) {
              ReplyAfterStore(id, std::move(reply), Status());
            });
          },
          [&](const v1::SpeedTest& m) {
            const std::string owner(principal);
            registry_.RecordSpeed(s.node, m.download_mbps, m.upload_mbps, m.ping_ms, now_ms);
            if (jobs_ && m.download_mbps) jobs_->NodeChanged(s.node);
            store::NodeMetricsUpdate update;
            update.download_speed = m.download_mbps;
            update.upload_speed = m.upload_mbps;
            update.ping_ms = m.ping_ms;
            s.busy = true;
            store_.UpdateNodeMetrics(owner, update, now_ms, [this, id](Status st) {
              ReplyAfterStore(id, v1::EncodeSpeedTestComplete(), std::move(st));
            });
          },
          [&](const v1::ClientStatus& m) {
            if (!m.is_active) {
              Send(id, v1::EncodeClientStatusUpdate());
              return;
            }
            s.busy = true;
            const bool active = *m.is_active;
            const auto status = active ? store::NodeStatus::kActive : store::NodeStatus::kInactive;
            store_.SetNodeStatus(std::string(principal), status, now_ms, [this, id, active](Status st) {
              if (Session* done = Find(id); done && st.ok() && !active) done->inactive = true;
              ReplyAfterStore(id, v1::EncodeClientStatusUpdate(), std::move(st));
            });
          },
      },
      *decoded);
}

void NodeSessions::ReplyAfterStore(net::ConnId id, std::string reply, Status status) {
  Session* s = Find(id);
  if (!s) return;
  s->busy = false;
  if (s->state != State::kRegistered) return;
  if (status.ok()) {
    Send(id, reply);
  } else {
    Send(id, v1::EncodeHandlerFailed(status.message()));
  }
  Resume(id);
}

void NodeSessions::ForgetConnection(const Session& s) {
  if (s.node >= newest_conn_.size() || newest_conn_[s.node] != IdOf(s)) return;
  // Another live connection of the node takes over (ConnId 0 is a valid id,
  // so "none" is kNoConn).
  net::ConnId next = kNoConn;
  for (const Session& other : sessions_) {
    if (&other != &s && other.state == State::kRegistered && other.node == s.node) {
      next = IdOf(other);
      break;
    }
  }
  newest_conn_[s.node] = next;
}

bool NodeSessions::SendJob(nodes::NodeIndex node, const store::JobRecord& job) {
  if (node >= newest_conn_.size() || newest_conn_[node] == kNoConn) return false;
  return server_->Send(newest_conn_[node], EncodeJobFrame(job, job.node_client_id), true);
}

void NodeSessions::NodeChanged(nodes::NodeIndex node) {
  if (jobs_) jobs_->NodeChanged(node);
}

void NodeSessions::EndSession(Session& s, int64_t now_ms, uint16_t code, std::string_view reason) {
  if (s.state == State::kAwaiting) events::NodeDisconnected(IdOf(s), false, {}, code, reason);
  if (s.state == State::kRegistered) {
    const auto view = registry_.View(s.node);
    const std::string principal(view ? view->principal : std::string_view());
    events::NodeDisconnected(IdOf(s), true, principal, code, reason);
    ForgetConnection(s);
    // Its last connection: the node's leases end (before the registry may
    // reuse its index).
    if (jobs_ && view && view->connections == 1) jobs_->NodeOffline(s.node);
    if (registry_.Disconnect(s.node, now_ms)) {
      store_.MarkNodeDisconnected(principal, now_ms, [](Status) {});
    }
    --registered_;
    m_.registered->Add(-1);
  }
  s.state = State::kEnded;
  s.node = nodes::kNoNode;
  DropPending(s);
}

void NodeSessions::OnWsClosed(net::ConnId id, uint16_t code) {
  Session* s = Find(id);
  if (!s) return;
  EndSession(*s, clock_.WallMs(), code, events::CloseCodeMeaning(code));
  // A store callback still in flight finds the slot free (or reused under a
  // new id) and does nothing.
  *s = Session{};
}

void NodeSessions::OnWsDeadline(net::ConnId id) {
  Session* s = Find(id);
  if (!s) return;
  if (s->state == State::kAwaiting) {
    m_.registration_timeouts->Inc();
    EndSession(*s, clock_.WallMs(), net::close_code::kPolicyViolation, "Registration timeout");
    server_->Close(id, net::close_code::kPolicyViolation, "Registration timeout");
  } else if (s->state == State::kRegistered) {
    // Uptime ends now, not when the close handshake finishes.
    m_.heartbeat_timeouts->Inc();
    EndSession(*s, clock_.WallMs(), net::close_code::kGoingAway, "Heartbeat timeout");
    server_->Close(id, net::close_code::kGoingAway, "Heartbeat timeout");
  }
}

void NodeSessions::CheckpointUptime() {
  const int64_t now_ms = clock_.WallMs();
  std::vector<store::UptimeDelta> deltas = registry_.Checkpoint(now_ms);
  last_checkpoint_ms_ = now_ms;
  if (!unsaved_uptime_.empty()) {
    deltas.insert(deltas.end(), std::make_move_iterator(unsaved_uptime_.begin()),
                  std::make_move_iterator(unsaved_uptime_.end()));
    unsaved_uptime_.clear();
  }
  if (deltas.empty()) return;
  auto copy = std::make_shared<std::vector<store::UptimeDelta>>(deltas);
  store_.AddUptime(std::move(deltas), now_ms, [this, copy](Status st) {
    if (st.ok()) return;
    // Nothing was applied (the batch is atomic): keep it for the next try.
    m_.uptime_checkpoint_failures->Inc();
    spdlog::error("uptime checkpoint failed, will retry{}", LogFields({{"error", st.ToString()}}));
    unsaved_uptime_.insert(unsaved_uptime_.end(), copy->begin(), copy->end());
  });
}

size_t NodeSessions::SendToNode(nodes::NodeIndex node, std::string_view text) {
  size_t sent = 0;
  for (const Session& s : sessions_) {
    if (s.state == State::kRegistered && s.node == node && server_->Send(IdOf(s), text, true)) ++sent;
  }
  return sent;
}

size_t NodeSessions::SendToAll(std::string_view text) {
  size_t sent = 0;
  for (const Session& s : sessions_) {
    if (s.state == State::kRegistered && server_->Send(IdOf(s), text, true)) ++sent;
  }
  return sent;
}

}  // namespace sela::api
