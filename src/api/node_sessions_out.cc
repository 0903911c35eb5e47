// NodeSessions: how sessions end, what the server pushes to them, and the
// housekeeping on timers (see node_sessions.h).
#include <spdlog/spdlog.h>

#include "api/events.h"
#include "api/node_sessions.h"
#include "api/node_sessions_internal.h"
#include "codec/js_json.h"
#include "core/logging.h"
#include "protocol/v2_codec.h"

namespace sela::api {

namespace v1 = protocol::v1;
namespace v2 = protocol::v2;

std::string AdminNotificationFrame(std::string_view text, std::string_view data_json) {
  return codec::JsonObjectWriter()
      .String("function", "Notification")
      .String("message", text)
      .Raw("data", data_json)
      .String("status", "OK")
      .Finish();
}

std::string ClusterNotice(std::string_view text, std::string_view data_json) {
  std::string out = std::to_string(text.size());
  out += ':';
  out += text;
  out += data_json;
  return out;
}

bool ParseClusterNotice(std::string_view payload, std::string_view& text, std::string_view& data_json) {
  const size_t colon = payload.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
  size_t n = 0;
  for (char c : payload.substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n > payload.size() - colon - 1) return false;
  text = payload.substr(colon + 1, n);
  data_json = payload.substr(colon + 1 + n);
  return !data_json.empty();
}

void NodeSessions::ForgetConnection(const Session& s) {
  // When it was the node's newest, another live session of the node takes
  // over, the newest (highest clientId) first.
  by_node_.Remove(s.node, IndexOf(s), [this](uint32_t i) { return sessions_[i].client_id_ms; });
}

const NodeSessions::Session* NodeSessions::NewestOf(nodes::NodeIndex node) const {
  const uint32_t i = by_node_.Newest(node);
  if (i == SessionsByNode::kNone || sessions_[i].state != State::kRegistered) return nullptr;
  return &sessions_[i];
}

void NodeSessions::EndSession(Session& s, int64_t now_ms, uint16_t code, std::string_view reason,
                              bool keep_v2_session) {
  if (s.state == State::kAwaiting || s.state == State::kChallenged) {
    events::NodeDisconnected(IdOf(s), false, {}, code, reason);
  }
  if (s.state == State::kRegistered) {
    const auto view = registry_.View(s.node);
    const std::string principal(view ? view->principal : std::string_view());
    events::NodeDisconnected(IdOf(s), true, principal, code, reason);
    ForgetConnection(s);
    if (jobs_ && view) {
      // Its last connection: the node's leases end (before the registry may
      // reuse its index). Otherwise only the leases sent to this session.
      if (view->connections == 1) {
        jobs_->NodeOffline(s.node);
      } else {
        jobs_->SessionEnded(s.node, std::to_string(s.client_id_ms));
      }
    }
    if (registry_.Disconnect(s.node, now_ms)) {
      store_.MarkNodeDisconnected(principal, now_ms, [](Status) {});
    }
    --registered_;
    m_.registered->Add(-1);
    if (s.v2 != v2::kNoSession) {
      if (keep_v2_session) {
        v2_sessions_.Detach(s.v2, now_ms);
      } else {
        v2_sessions_.Close(s.v2);
      }
      m_.v2_sessions->Set(static_cast<double>(v2_sessions_.size()));
    }
  }
  DropTexts(s);
  s.state = State::kEnded;
  s.node = nodes::kNoNode;
  s.v2 = v2::kNoSession;
  DropPending(s);
}

void NodeSessions::CloseSession(Session& s, uint16_t code, std::string_view reason) {
  const net::ConnId id = IdOf(s);
  EndSession(s, clock_.WallMs(), code, reason, /*keep_v2_session=*/false);
  server_->Close(id, code, reason);
}

void NodeSessions::OnWsClosed(net::ConnId id, uint16_t code) {
  too_big_.erase(net::ConnSlot(id));
  Session* s = Find(id);
  if (!s) {
    // A v1 connection that never spoke (it has no Session): as EndSession
    // logs an unregistered one.
    events::NodeDisconnected(id, false, {}, code, events::CloseCodeMeaning(code));
    return;
  }
  EndSession(*s, clock_.WallMs(), code, events::CloseCodeMeaning(code));
  // A store callback still in flight finds no Session for its id (or the
  // slot reused under a new id) and does nothing.
  FreeSession(*s);
}

void NodeSessions::OnWsDeadline(net::ConnId id) {
  Session* s = Find(id);
  if (!s) s = AwaitingSession(id);  // A v1 connection that never spoke.
  if (!s) return;
  if (s->state == State::kAwaiting) {
    m_.registration_timeouts->Inc();
    EndSession(*s, clock_.WallMs(), net::close_code::kPolicyViolation, "Registration timeout");
    server_->Close(id, net::close_code::kPolicyViolation, "Registration timeout");
  } else if (s->state == State::kChallenged) {
    m_.registration_timeouts->Inc();
    events_.Refused(Refusal::kV2ChallengeExpired, {{"source", SourceOf(*s)}});
    RefuseV2(*s, "challenge_expired", "no auth frame within the challenge's lifetime; reconnect for a new one");
  } else if (s->state == State::kRegistered) {
    // Uptime ends now, not when the close handshake finishes.
    m_.heartbeat_timeouts->Inc();
    EndSession(*s, clock_.WallMs(), net::close_code::kGoingAway, "Heartbeat timeout");
    server_->Close(id, net::close_code::kGoingAway, "Heartbeat timeout");
  }
}

bool NodeSessions::PushV2(const Session& s, std::string_view tag,
                          const std::function<std::string(uint64_t)>& encode) {
  const uint64_t seq = v2_sessions_.NextSeq(s.v2);
  std::string frame = encode(seq);
  const bool sent = server_->Send(IdOf(s), frame, true);
  v2_sessions_.Keep(s.v2, seq, std::move(frame), tag);
  return sent;
}

bool NodeSessions::SendJob(nodes::NodeIndex node, const store::JobRecord& job) {
  const Session* s = NewestOf(node);
  if (!s) return false;
  if (!s->is_v2) return server_->Send(IdOf(*s), EncodeJobFrame(job, job.node_client_id), true);
  return PushV2(*s, job.job_id, [&](uint64_t seq) {
    return v2::EncodeJob({.job_id = job.job_id,
                          .kind = job.job_type,
                          .url = job.target,
                          .post_count = job.post_count,
                          .replies_count = job.replies_count,
                          .scroll_pause_ms = job.scroll_pause_ms,
                          .lease_expires_ms = job.lease_deadline_ms},
                         seq);
  });
}

std::string NodeSessions::LeaseClientId(nodes::NodeIndex node) const {
  const Session* s = NewestOf(node);
  return s ? std::to_string(s->client_id_ms) : std::string();
}

void NodeSessions::NodeChanged(nodes::NodeIndex node) {
  if (jobs_) jobs_->NodeChanged(node);
}

// A session that says it is inactive is offered no jobs; the node is
// available while any of its sessions is.
void NodeSessions::SetAvailable(Session& s, bool available) {
  s.inactive = !available;
  if (!jobs_) return;
  bool any = available;
  by_node_.ForEach(s.node, [&](uint32_t i) { any = any || !sessions_[i].inactive; });
  jobs_->SetNodeAvailable(s.node, any);
}

size_t NodeSessions::SendToNode(nodes::NodeIndex node, std::string_view text, std::string_view data_json) {
  size_t sent = 0;
  // Sending may close a connection (outbound overflow), which changes the
  // node's chain: the node's sessions are taken first.
  std::vector<uint32_t> of_node;
  by_node_.ForEach(node, [&](uint32_t i) { of_node.push_back(i); });
  for (const uint32_t i : of_node) {
    const Session& s = sessions_[i];
    if (s.state != State::kRegistered || s.node != node) continue;
    if (s.is_v2 ? PushV2(s, {}, [&](uint64_t seq) { return v2::EncodeNotice(seq, text, data_json); })
                : server_->Send(IdOf(s), AdminNotificationFrame(text, data_json), true)) {
      ++sent;
    }
  }
  return sent;
}

size_t NodeSessions::SendToAll(std::string_view text, std::string_view data_json) {
  size_t sent = 0;
  const std::string v1_frame = AdminNotificationFrame(text, data_json);
  for (const Session& s : sessions_) {
    if (s.state != State::kRegistered) continue;
    if (s.is_v2 ? PushV2(s, {}, [&](uint64_t seq) { return v2::EncodeNotice(seq, text, data_json); })
                : server_->Send(IdOf(s), v1_frame, true)) {
      ++sent;
    }
  }
  return sent;
}

void NodeSessions::Drain(std::string_view reason) {
  for (const Session& s : sessions_) {
    if (s.state != State::kRegistered || !s.is_v2) continue;
    PushV2(s, {}, [&](uint64_t seq) { return v2::EncodeDrain(seq, reason, options_.drain_reconnect_after_ms); });
  }
}

void NodeSessions::Tick() {
  if (!v2_sessions_.Expire(clock_.WallMs()).empty()) {
    m_.v2_sessions->Set(static_cast<double>(v2_sessions_.size()));
  }
}

void NodeSessions::CheckpointUptime() {
  const int64_t now_ms = clock_.WallMs();
  last_checkpoint_ms_ = now_ms;
  uptime_.Add(registry_.Checkpoint(now_ms), now_ms);
}

void NodeSessions::CheckpointUptimeForExit() {
  CheckpointUptime();
  uptime_.Flush(last_checkpoint_ms_);
}

}  // namespace sela::api
