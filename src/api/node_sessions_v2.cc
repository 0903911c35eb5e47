// NodeSessions: protocol v2, signed sessions (ARCHITECTURE.md §5;
// docs/protocol-v2.md).
#include <spdlog/spdlog.h>

#include <variant>

#include "api/events.h"
#include "api/node_sessions.h"
#include "api/node_sessions_internal.h"
#include "auth/node_token.h"
#include "codec/principal.h"
#include "core/logging.h"
#include "protocol/v2_codec.h"

namespace sela::api {

namespace v2 = protocol::v2;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

Refusal RefusalOfHandshake(std::string_view code) {
  if (code == "unsupported_key") return Refusal::kV2UnsupportedKey;
  if (code == "key_mismatch") return Refusal::kV2KeyMismatch;
  if (code == "bad_signature") return Refusal::kV2BadSignature;
  if (code == "challenge_mismatch") return Refusal::kV2ChallengeMismatch;
  if (code == "challenge_expired") return Refusal::kV2ChallengeExpired;
  if (code == "already_authenticated") return Refusal::kV2AlreadyAuthenticated;
  return Refusal::kV2AuthMalformed;
}

std::string V2ResultReply(const ResultOutcome& o, const v2::RequestId& id, const std::string& job_id) {
  switch (o.kind) {
    case ResultOutcome::Kind::kCompleted:
      return v2::EncodeResultOk(id, job_id, static_cast<double>(o.reward_units) / 1e8);
    case ResultOutcome::Kind::kEmpty:
      return v2::EncodeResultEmpty(id, job_id);
    case ResultOutcome::Kind::kUnknownJob:
      return v2::EncodeError("job_unknown", "no job " + job_id, id);
    case ResultOutcome::Kind::kNotLeased:
      return v2::EncodeError("job_not_leased", "job " + job_id + " is not leased to this session", id);
    case ResultOutcome::Kind::kConflict:
      return v2::EncodeError("result_conflict", "a different result for job " + job_id + " was accepted", id);
    case ResultOutcome::Kind::kRefused:
      return v2::EncodeError("invalid_result", o.detail, id);
    case ResultOutcome::Kind::kFailed:
      break;
  }
  return v2::EncodeError("unavailable", o.detail, id);
}

}  // namespace

void NodeSessions::OpenV2(Session& s, net::ConnId id, int64_t now_ms) {
  s.is_v2 = true;
  s.state = State::kChallenged;
  Pending& p = EnsurePending(s);
  p.handshake.emplace(options_.random, now_ms);
  Send(id, p.handshake->ChallengeFrame());
  server_->SetDeadline(id, clock_.Now() + Millis(options_.v2.challenge_ttl_ms));
}

void NodeSessions::RefuseV2(Session& s, std::string_view code, std::string_view message, int64_t retry_after_ms) {
  const v2::ErrorSpec* spec = v2::FindError(code);
  const uint16_t close = spec && spec->close_code ? spec->close_code : net::close_code::kTryAgainLater;
  Send(IdOf(s), v2::EncodeError(code, message, {}, retry_after_ms));
  CloseSession(s, close, code);
}

void NodeSessions::HandleAuth(Session& s, std::string_view payload) {
  const int64_t now_ms = clock_.WallMs();
  Pending* p = PendingOf(s);
  if (!p || !p->handshake) return;
  auto auth = p->handshake->OnAuth(payload, now_ms, verifier_, options_.v2);
  if (!auth) {
    m_.registration_failures->Inc();
    events::NodeRegistrationRefused(IdOf(s), {}, auth.error().message);
    events_.Refused(RefusalOfHandshake(auth.error().code), {{"source", SourceOf(s)}, {"error", auth.error().message}});
    RefuseV2(s, auth.error().code, auth.error().message);
    return;
  }
  if (!TakeRegistration(s, SourceOf(s), auth->principal_text, now_ms)) return;
  int64_t client_id_ms = 0;
  if (auth->resume) {
    const auto kind = v2_sessions_.Peek(auth->resume->session_id, auth->principal, now_ms, &client_id_ms);
    if (kind == v2::ResumeOutcome::Kind::kOtherPrincipal) {
      m_.registration_failures->Inc();
      events_.Refused(Refusal::kV2ResumeDenied, {{"principal", auth->principal_text}, {"source", SourceOf(s)}});
      RefuseV2(s, "resume_denied", "that session belongs to another principal");
      return;
    }
  }
  if (client_id_ms == 0) client_id_ms = std::stoll(NextClientId(now_ms));
  s.busy = true;
  const net::ConnId id = IdOf(s);
  const std::string principal_text = auth->principal_text;
  store_.RegisterSignedNode(principal_text, std::to_string(client_id_ms), now_ms,
                            [this, id, auth = std::move(*auth), client_id_ms](Result<store::NodeRecord> r) mutable {
                              CompleteV2Registration(id, std::move(auth), client_id_ms, std::move(r));
                            });
}

void NodeSessions::CompleteV2Registration(net::ConnId id, v2::Auth auth, int64_t client_id_ms,
                                          Result<store::NodeRecord> record) {
  const int64_t now_ms = clock_.WallMs();
  Session* s = Find(id);
  if (!s || s->state != State::kChallenged) {
    if (record) store_.MarkNodeDisconnected(auth.principal_text, now_ms, [](Status) {});
    return;
  }
  s->busy = false;
  if (!record) {
    m_.registration_failures->Inc();
    spdlog::warn("v2 registration failed{}",
                 LogFields({{"principal", auth.principal_text}, {"error", record.error().ToString()}}));
    RefuseV2(*s, "unavailable", "the server cannot register nodes now; retry later");
    return;
  }
  v2::ResumeOutcome resumed;
  if (auth.resume) {
    resumed = v2_sessions_.Resume(auth.resume->session_id, auth.principal, auth.resume->last_seq, now_ms);
  }
  if (resumed.kind == v2::ResumeOutcome::Kind::kOtherPrincipal) {
    events_.Refused(Refusal::kV2ResumeDenied, {{"principal", auth.principal_text}});
    RefuseV2(*s, "resume_denied", "that session belongs to another principal");
    return;
  }
  const bool is_resumed = resumed.kind == v2::ResumeOutcome::Kind::kResumed;
  Session* old = nullptr;
  if (is_resumed && resumed.was_attached) {
    // Attached: its connection is one of the principal's live node's.
    by_node_.ForEach(registry_.Find(auth.principal_text), [&](uint32_t i) {
      if (&sessions_[i] != s && sessions_[i].v2 == resumed.handle) old = &sessions_[i];
    });
  }
  if (old) {
    // The node came back on a new connection before the server noticed the
    // old one was gone: the session, its node slot and its leases move over.
    const net::ConnId old_id = IdOf(*old);
    DropTexts(*s);
    s->node = old->node;
    s->client_id_ms = old->client_id_ms;
    s->v2 = resumed.handle;
    s->inactive = old->inactive;
    s->state = State::kRegistered;
    by_node_.Replace(s->node, IndexOf(*old), IndexOf(*s));
    old->state = State::kEnded;
    old->node = nodes::kNoNode;
    old->v2 = v2::kNoSession;
    DropPending(*old);
    server_->Close(old_id, v2::close_code::kReplaced, "Session resumed on another connection");
    m_.v2_resumes->Inc();
    WelcomeV2(*s, auth, true, StillValid(*s, std::move(resumed.frames)));
    AfterRegistration(id);
    return;
  }
  v2::SessionHandle handle = resumed.handle;
  if (!is_resumed) {
    handle = v2_sessions_.Open(auth.principal, client_id_ms, options_.random);
    if (handle == v2::kNoSession) {
      RefuseV2(*s, "unavailable", "too many sessions on this server; retry later");
      return;
    }
  }
  Joining joining{.principal = auth.principal_text, .client_id_ms = v2_sessions_.client_id(handle), .v2 = handle};
  const nodes::NodeIndex node = Attach(*s, joining, record->max_concurrent_jobs, now_ms);
  if (node == nodes::kNoNode) {
    v2_sessions_.Close(handle);
    store_.MarkNodeDisconnected(auth.principal_text, now_ms, [](Status) {});
    RefuseV2(*s, "unavailable", "too many connections for this node or server");
    return;
  }
  m_.v2_registrations->Inc();
  if (is_resumed) m_.v2_resumes->Inc();
  m_.v2_sessions->Set(static_cast<double>(v2_sessions_.size()));
  WelcomeV2(*s, auth, is_resumed, is_resumed ? StillValid(*s, std::move(resumed.frames)) : std::vector<std::string>{});
  ReplaceOldSessions(node, id, now_ms);
  AfterRegistration(id);
}

std::vector<std::string> NodeSessions::StillValid(const Session& s, std::vector<v2::ResumeOutcome::Kept> kept) {
  std::vector<std::string> frames;
  const std::string client_id = std::to_string(s.client_id_ms);
  for (auto& k : kept) {
    // A job push is worth sending again only while this session holds the
    // lease; otherwise the job went back to the queue and elsewhere.
    if (!k.tag.empty() && !(jobs_ && jobs_->LeaseHeldBy(k.tag, client_id))) {
      v2_sessions_.Forget(s.v2, k.tag);
      continue;
    }
    frames.push_back(std::move(k.text));
  }
  return frames;
}

std::string NodeSessions::IssueToken(std::string_view principal, int64_t now_ms, int64_t* expires_ms) const {
  *expires_ms = now_ms + options_.node_token_ttl_ms;
  return auth::IssueNodeToken(token_secret_, principal, *expires_ms);
}

void NodeSessions::WelcomeV2(Session& s, const v2::Auth& auth, bool resumed, std::vector<std::string> frames) {
  const int64_t now_ms = clock_.WallMs();
  int64_t expires_ms = 0;
  const std::string token = IssueToken(auth.principal, now_ms, &expires_ms);
  const std::string session_id = v2_sessions_.SessionId(s.v2);
  const std::string client_id = std::to_string(s.client_id_ms);
  Send(IdOf(s), v2::EncodeWelcome({.session_id = session_id,
                                   .principal = auth.principal_text,
                                   .client_id = client_id,
                                   .resumed = resumed,
                                   .last_seq = v2_sessions_.last_seq(s.v2),
                                   .resume_window_ms = options_.v2_sessions.resume_window_ms,
                                   .heartbeat_ms = options_.heartbeat_timeout.count(),
                                   .token = token,
                                   .token_expires_ms = expires_ms}));
  for (const std::string& f : frames) Send(IdOf(s), f);
}

void NodeSessions::HandleV2Request(Session& s, std::string_view payload) {
  const int64_t now_ms = clock_.WallMs();
  const net::ConnId id = IdOf(s);
  registry_.Touch(s.node, now_ms);
  server_->SetDeadline(id, clock_.Now() + options_.heartbeat_timeout);
  m_.messages->Inc();
  auto decoded = v2::DecodeRequest(payload, options_.v2.decode);
  if (!decoded) {
    m_.rejected_messages->Inc();
    if (decoded.error().code == "already_authenticated") {
      events_.Refused(Refusal::kV2AlreadyAuthenticated, {{"conn", std::to_string(id)}});
    }
    Send(id, v2::EncodeError(decoded.error().code, decoded.error().message, decoded.error().id));
    return;
  }
  const auto view = registry_.View(s.node);
  const std::string principal(view ? view->principal : std::string_view());
  const v2::RequestId& rid = decoded->id;
  std::visit(
      Overloaded{
          [&](const v2::Ping&) { Send(id, v2::EncodePong(rid, now_ms)); },
          [&](const v2::Token&) {
            int64_t expires_ms = 0;
            const auto parsed = codec::Principal::FromText(principal);
            const std::string bytes = parsed ? std::string(parsed->bytes()) : std::string();
            // The token first: it sets expires_ms (argument order is unspecified).
            const std::string token = IssueToken(bytes, now_ms, &expires_ms);
            Send(id, v2::EncodeToken(rid, token, expires_ms));
          },
          [&](const v2::StatusUpdate& m) {
            if (m.active) SetAvailable(s, *m.active);
            Send(id, v2::EncodeStatusOk(rid, !s.inactive));
          },
          [&](const v2::JobRequest&) {
            if (!jobs_ || s.inactive) {
              Send(id, v2::EncodeNoJob(rid));
              return;
            }
            jobs_->OnJobRequest(s.node, std::to_string(s.client_id_ms), [this, id, rid](const store::JobRecord* job) {
              const Session* now = Find(id);
              if (!now || now->state != State::kRegistered) return;
              if (!job) {
                Send(id, v2::EncodeNoJob(rid));
                return;
              }
              PushV2(*now, job->job_id, [&](uint64_t seq) {
                return v2::EncodeJob({.job_id = job->job_id,
                                      .kind = job->job_type,
                                      .url = job->target,
                                      .post_count = job->post_count,
                                      .replies_count = job->replies_count,
                                      .scroll_pause_ms = job->scroll_pause_ms,
                                      .lease_expires_ms = job->lease_deadline_ms},
                                     seq, rid);
              });
            });
          },
          [&](const v2::SpeedTest& m) {
            int64_t retry_ms = 0;
            if (!TakeSpeedReport(principal, now_ms, &retry_ms)) {
              Send(id, v2::EncodeError("rate_limited", "too many speed tests", rid, retry_ms));
              return;
            }
            registry_.RecordSpeed(s.node, m.download_mbps, m.upload_mbps, m.ping_ms, now_ms);
            if (jobs_) jobs_->NodeChanged(s.node);
            ProbeRtt(s, /*fresh=*/true);
            store::NodeMetricsUpdate update{m.download_mbps, m.upload_mbps, m.ping_ms};
            s.busy = true;
            store_.UpdateNodeMetrics(principal, update, now_ms, [this, id, rid](Status st) {
              ReplyAfterStore(id, st.ok() ? v2::EncodeSpeedTestOk(rid) : v2::EncodeError("unavailable", ReportStoreFailure(st), rid),
                              Status());
            });
          },
          [&](v2::JobResult& m) { HandleV2Result(s, rid, std::move(m)); },
      },
      decoded->request);
}

void NodeSessions::HandleV2Result(Session& s, const std::string& rid, v2::JobResult result) {
  const net::ConnId id = IdOf(s);
  if (!jobs_) {
    Send(id, v2::EncodeError("job_unknown", "no job " + result.job_id, rid));
    return;
  }
  const auto view = registry_.View(s.node);
  const std::string principal(view ? view->principal : std::string_view());
  s.busy = true;
  std::string job_id = result.job_id;
  // result_file: the content is the node's uploaded file (job_results.cc).
  jobs_->OnResult(principal, std::to_string(s.client_id_ms), std::move(result.job_id), std::move(result.content),
                  [this, id, rid, job_id, principal](ResultOutcome o) {
                    if (o.kind == ResultOutcome::Kind::kNotLeased) {
                      events_.Refused(Refusal::kResultNotLeased, {{"principal", principal}, {"job_id", job_id}});
                    } else if (o.kind == ResultOutcome::Kind::kConflict) {
                      events_.Refused(Refusal::kResultConflict, {{"principal", principal}, {"job_id", job_id}});
                    }
                    if (const Session* now = Find(id); now && now->v2 != v2::kNoSession) {
                      v2_sessions_.Forget(now->v2, job_id);
                    }
                    ReplyAfterStore(id, V2ResultReply(o, rid, job_id), Status());
                  },
                  std::move(result.file_id));
}

}  // namespace sela::api
