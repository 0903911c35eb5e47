// NodeSessions: protocol v1, today's apps (ws-protocol.md §2-§4, §13;
// docs/PROTOCOL-V1.md).
#include <spdlog/spdlog.h>

#include <type_traits>
#include <variant>

#include "api/events.h"
#include "api/node_sessions.h"
#include "api/node_sessions_internal.h"
#include "core/logging.h"
#include "protocol/v1_session.h"
#include "protocol/v2_messages.h"

namespace sela::api {

namespace v1 = protocol::v1;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

void NodeSessions::HandleRegistration(Session& s, std::string_view payload) {
  const int64_t now_ms = clock_.WallMs();
  const std::optional<std::string> connection_principal = ConnectionPrincipalOf(s);
  auto registration = v1::DecodeRegistration(payload, connection_principal, options_.decode);
  if (!registration) {
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(IdOf(s), {}, registration.error().detail);
    const auto frame = v1::EncodeDecodeError(registration.error(), now_ms, options_.encode);
    server_->Send(IdOf(s), frame.payload, frame.kind == v1::OutboundFrame::Kind::kText);
    return;
  }
  const std::string& principal = registration->principal_id;
  const std::string source = SourceOf(s);
  if (!TakeRegistration(s, source, principal, now_ms)) return;
  if (!connection_principal) SetTexts(s, source, principal, Named::kFrame);
  s.busy = true;
  // The callbacks carry the id only: the principal waits in texts_.
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
  store_.RegisterNode(PrincipalOf(*s), NextClientId(clock_.WallMs()), clock_.WallMs(),
                      [this, id, sid = *session_id](Result<store::NodeRecord> r) {
                        CompleteRegistration(id, sid, std::move(r));
                      });
}

void NodeSessions::CompleteRegistration(net::ConnId id, uint64_t session_id, Result<store::NodeRecord> record) {
  const int64_t now_ms = clock_.WallMs();
  Session* s = Find(id);
  if (!s || s->state != State::kAwaiting) {
    // The connection went away while the store worked: it is not connected.
    if (record) store_.MarkNodeDisconnected(record->principal, now_ms, [](Status) {});
    return;
  }
  s->busy = false;
  if (!record) {
    const std::string principal = PrincipalOf(*s);
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(id, principal, record.error().ToString());
    if (record.error().code() == Code::kFailedPrecondition) {
      // The principal proved its key with v2 once: the legacy door is shut.
      events_.Refused(Refusal::kV1Refused, {{"principal", principal}, {"source", SourceOf(*s)}});
      Send(id, v1::EncodeFailure(std::string(v1::kRegistrationFailedPrefix) +
                                 "this node signs in with protocol v2; v1 registrations of it are refused"));
      CloseSession(*s, protocol::v2::close_code::kForbidden, "Principal signs in with protocol v2");
      return;
    }
    spdlog::warn("node registration failed{}",
                 LogFields({{"principal", principal}, {"error", record.error().ToString()}}));
    Send(id, v1::EncodeFailureWithTimestamp("Login failed: " + StoreFailureText(record.error()), now_ms));
    ForgetFramePrincipal(*s);
    Resume(id);
    return;
  }
  const std::string& principal = record->principal;
  const std::string& client_id = record->client_id;
  Joining joining{.principal = principal, .client_id_ms = std::stoll(client_id), .v1_session_id = session_id};
  const nodes::NodeIndex node = Attach(*s, joining, record->max_concurrent_jobs, now_ms);
  if (node == nodes::kNoNode) {
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(id, principal, "too many connections");
    store_.MarkNodeDisconnected(principal, now_ms, [](Status) {});
    Send(id, v1::EncodeFailure("Registration failed: too many connections for this node or server"));
    EndSession(*s, now_ms, net::close_code::kTryAgainLater, "Too many connections");
    server_->Close(id, net::close_code::kTryAgainLater, "Too many connections");
    return;
  }
  Send(id, v1::EncodeRegistered(client_id, static_cast<int64_t>(session_id)));
  // After the reply, so that anything this sends the node follows it.
  ReplaceOldSessions(node, id, now_ms);
  AfterRegistration(id);
}

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
    events_.Refused(Refusal::kPrincipalMismatch,
                    {{"principal", principal}, {"named", v1::PrincipalOf(*decoded).substr(0, 128)}});
    Send(id, *refusal);
    return;
  }
  // An inactive session may still say it is active again.
  if (s.inactive && !std::holds_alternative<v1::ClientStatus>(*decoded)) {
    Send(id, v1::EncodeAuthenticationFailed(principal));
    return;
  }
  const std::string client_id = std::to_string(s.client_id_ms);
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
            jobs_->OnJobRequest(s.node, client_id, [this, id, client_id](const store::JobRecord* job) {
              Send(id, job ? EncodeJobFrame(*job, client_id) : v1::EncodeNoJobsAvailable(clock_.WallMs()));
            });
          },
          [&](v1::ScrapeResult& m) { HandleV1Result(s, std::move(m), principal); },
          [&](const v1::SpeedTest& m) {
            int64_t retry_ms = 0;
            if (!TakeSpeedReport(principal, now_ms, &retry_ms)) {
              Send(id, v1::EncodeHandlerFailed("Too many speed tests; retry in " +
                                               std::to_string((retry_ms + 999) / 1000) + " s"));
              return;
            }
            const std::string owner(principal);
            registry_.RecordSpeed(s.node, m.download_mbps, m.upload_mbps, m.ping_ms, now_ms);
            if (jobs_ && m.download_mbps) jobs_->NodeChanged(s.node);
            ProbeRtt(s, /*fresh=*/true);
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
            // This session's availability changes. The node's record (what
            // /api/node/auth/check reads) follows only when this is the
            // principal's one session: a second session naming the same
            // principal cannot switch the first one off.
            SetAvailable(s, *m.is_active);
            if (!view || view->connections != 1) {
              Send(id, v1::EncodeClientStatusUpdate());
              return;
            }
            s.busy = true;
            const auto status = *m.is_active ? store::NodeStatus::kActive : store::NodeStatus::kInactive;
            store_.SetNodeStatus(std::string(principal), status, now_ms, [this, id](Status st) {
              ReplyAfterStore(id, v1::EncodeClientStatusUpdate(), std::move(st));
            });
          },
      },
      *decoded);
}

void NodeSessions::HandleV1Result(Session& s, v1::ScrapeResult result, std::string_view principal) {
  const net::ConnId id = IdOf(s);
  const bool has_content = result.content.has_value() || result.file_id.has_value();
  if (!jobs_) {
    Send(id, has_content ? v1::EncodeResultRejected(v1::kJobNotFoundReason, v1::kErrorTypeInternal)
                         : v1::EncodeJobFailedNoData(result.job_id, clock_.WallMs()));
    return;
  }
  // The reply waits for the store; later messages of this socket wait
  // behind it, so replies keep their order.
  s.busy = true;
  std::string job_id = result.job_id;
  jobs_->OnResult(principal, std::to_string(s.client_id_ms), std::move(result.job_id), std::move(result.content),
                  [this, id, job_id, has_content, principal = std::string(principal)](ResultOutcome o) {
                    if (o.kind == ResultOutcome::Kind::kNotLeased) {
                      events_.Refused(Refusal::kResultNotLeased, {{"principal", principal}, {"job_id", job_id}});
                    } else if (o.kind == ResultOutcome::Kind::kConflict) {
                      events_.Refused(Refusal::kResultConflict, {{"principal", principal}, {"job_id", job_id}});
                    }
                    ReplyAfterStore(id, EncodeV1ResultReply(o, job_id, has_content, clock_.WallMs()), Status());
                  },
                  std::move(result.file_id));
}

void NodeSessions::ReplyAfterStore(net::ConnId id, std::string reply, Status status) {
  Session* s = Find(id);
  if (!s) return;
  s->busy = false;
  if (s->state != State::kRegistered) return;
  if (status.ok()) {
    Send(id, reply);
  } else {
    Send(id, EncodeStoreFailure(status));
  }
  Resume(id);
}

}  // namespace sela::api
