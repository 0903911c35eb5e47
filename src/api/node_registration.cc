// NodeSessions, part 2: registration (ws-protocol.md §2.3). The principal a
// connection named at the upgrade, or the first frame's while its
// registration is in flight, waits in one arena (principals_), so that a
// burst of upgrades allocates nothing per connection; the store's reply
// carries the principal and clientId back, so no callback holds strings.
#include <spdlog/spdlog.h>

#include "api/events.h"
#include "api/node_sessions.h"
#include "core/logging.h"
#include "protocol/v1_session.h"

namespace sela::api {

namespace v1 = protocol::v1;

namespace {
// principals_ is compacted once its garbage passes this and its live bytes.
constexpr uint64_t kPrincipalGarbageBytesMax = 64 * 1024;

// A principal as principals_ keeps it: a 2-byte length, then the text.
std::string Stored(std::string_view principal) {
  std::string stored(2, '\0');
  stored[0] = static_cast<char>(principal.size() >> 8);
  stored[1] = static_cast<char>(principal.size() & 0xff);
  stored.append(principal);
  return stored;
}
}  // namespace

void NodeSessions::SetPrincipal(Session& s, std::string_view principal, bool from_connection) {
  DropPrincipal(s);
  // Longer than a principal may be, it is refused with the same message
  // whatever follows, so only one byte past the limit is kept.
  principal = principal.substr(0, options_.decode.principal_id_bytes_max + 1);
  const nodes::TextArena::Ref ref = principals_.Add(Stored(principal));
  if (ref == nodes::TextArena::kNoRef) return;  // Arena full: as if none was named.
  s.node = ref;
  s.has_principal = true;
  s.principal_from_connection = from_connection;
}

std::string_view NodeSessions::PrincipalOf(const Session& s) const {
  if (!s.has_principal) return {};
  const std::string_view head = principals_.Get(s.node, 2);
  const uint32_t bytes = (static_cast<uint8_t>(head[0]) << 8) | static_cast<uint8_t>(head[1]);
  return principals_.Get(s.node, 2 + bytes).substr(2);
}

void NodeSessions::DropPrincipal(Session& s) {
  if (!s.has_principal) return;
  principals_.Release(static_cast<uint32_t>(2 + PrincipalOf(s).size()));
  s.has_principal = false;
  s.principal_from_connection = false;
  s.node = nodes::kNoNode;
  if (principals_.garbage_bytes() < kPrincipalGarbageBytesMax ||
      principals_.garbage_bytes() < principals_.live_bytes()) {
    return;
  }
  // Copy the live principals into a fresh arena; the old chunks go.
  nodes::TextArena fresh;
  for (Session& other : sessions_) {
    if (!other.has_principal) continue;
    other.node = fresh.Add(Stored(PrincipalOf(other)));
  }
  principals_ = std::move(fresh);
}

NodeSessionOptions NodeSessionOptions::FromConfig(const NodeConfig& config) {
  NodeSessionOptions o;
  o.registration_timeout = Millis(config.registration_timeout_ms);
  o.heartbeat_timeout = Millis(config.heartbeat_timeout_ms);
  return o;
}

std::string NodeSessions::NextClientId(int64_t now_ms) {
  // The original used Date.now(), which repeats within a millisecond.
  last_client_id_ms_ = std::max(now_ms, last_client_id_ms_ + 1);
  return std::to_string(last_client_id_ms_);
}

void NodeSessions::HandleRegistration(Session& s, std::string_view payload) {
  const int64_t now_ms = clock_.WallMs();
  std::optional<std::string> connection_principal;
  if (s.principal_from_connection) connection_principal.emplace(PrincipalOf(s));
  auto registration = v1::DecodeRegistration(payload, connection_principal, options_.decode);
  if (!registration) {
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(IdOf(s), {}, registration.error().detail);
    const auto frame = v1::EncodeDecodeError(registration.error(), now_ms, options_.encode);
    server_->Send(IdOf(s), frame.payload, frame.kind == v1::OutboundFrame::Kind::kText);
    return;
  }
  if (!s.principal_from_connection) SetPrincipal(s, registration->principal_id, false);
  s.busy = true;
  // The callbacks carry the id only: the principal waits in principals_,
  // so a burst of registrations allocates nothing per node here.
  const net::ConnId id = IdOf(s);
  WithSessionId([this, id](Result<uint64_t> session_id) { RegisterWithStore(id, std::move(session_id)); });
}

void NodeSessions::RegisterWithStore(net::ConnId id, Result<uint64_t> session_id) {
  Session* s = Find(id);
  if (!s || s->state != State::kAwaiting) return;
  if (!session_id) {
    CompleteRegistration(id, 0, Err(session_id.error()));
    return;
  }
  store_.RegisterNode(std::string(PrincipalOf(*s)), NextClientId(clock_.WallMs()), clock_.WallMs(),
                      [this, id, sid = *session_id](Result<store::NodeRecord> r) {
                        CompleteRegistration(id, sid, std::move(r));
                      });
}

void NodeSessions::CompleteRegistration(net::ConnId id, uint64_t session_id,
                                        Result<store::NodeRecord> record) {
  const int64_t now_ms = clock_.WallMs();
  Session* s = Find(id);
  if (!s || s->state != State::kAwaiting) {
    // The connection went away while the store worked: it is not connected.
    if (record) store_.MarkNodeDisconnected(record->principal, now_ms, [](Status) {});
    return;
  }
  s->busy = false;
  if (!record) {
    m_.registration_failures->Inc();
    spdlog::warn("node registration failed{}",
                 LogFields({{"principal", std::string(PrincipalOf(*s))}, {"error", record.error().ToString()}}));
    if (!s->principal_from_connection) DropPrincipal(*s);
    Send(id, v1::EncodeFailureWithTimestamp("Login failed: " + StoreFailureText(record.error()), now_ms));
    Resume(id);
    return;
  }
  const std::string& principal = record->principal;
  const std::string& client_id = record->client_id;
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
  DropPrincipal(*s);
  s->node = node;
  s->state = State::kRegistered;
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
