// Messages over WS_MAX_MESSAGE_BYTES from registered nodes (see
// node_sessions.h): skipped as they arrive instead of closing the
// connection with 1009, which only made the job run again elsewhere until
// it failed with "node disconnected". The message's top-level `text` and
// `job_id` are read on the way (TopLevelPeek, a few bytes of state); a
// result fails its job at once with an error that names the limit.
#include <algorithm>

#include "api/node_sessions.h"
#include "protocol/v1_messages.h"

namespace sela::api {

namespace v1 = protocol::v1;

bool NodeSessions::OnWsTooBig(net::ConnId id, bool /*text*/, uint64_t /*bytes*/) {
  Session* s = Find(id);
  // Before registration there is nobody to answer: close with 1009.
  // v2 sessions keep 1009 (their frames have their own too_large error).
  if (!s || s->state != State::kRegistered || s->is_v2) return false;
  too_big_[net::ConnSlot(id)] = std::make_unique<TooBig>(TooBig{v1::TopLevelPeek(options_.decode.job_id_bytes_max), 0});
  return true;
}

void NodeSessions::OnWsTooBigData(net::ConnId id, std::string_view piece, bool last) {
  auto it = too_big_.find(net::ConnSlot(id));
  if (it == too_big_.end()) return;
  TooBig& t = *it->second;
  t.peek.Feed(piece);
  t.bytes += piece.size();
  if (!last) return;
  const std::string text = t.peek.text();
  const std::string job_id = t.peek.job_id();
  const uint64_t bytes = t.bytes;
  too_big_.erase(it);
  Session* s = Find(id);
  if (!s || s->state != State::kRegistered) return;
  m_.rejected_messages->Inc();
  const bool result = std::find(std::begin(v1::kScrapeResultNames), std::end(v1::kScrapeResultNames), text) !=
                      std::end(v1::kScrapeResultNames);
  const auto view = registry_.View(s->node);
  if (!result || job_id.empty() || !jobs_ || !view) {
    Send(id, v1::EncodeMessageTooLarge(bytes, options_.ws_message_bytes_max));
    return;
  }
  jobs_->OnResultTooLarge(view->principal, std::to_string(s->client_id_ms), job_id, bytes,
                          options_.ws_message_bytes_max,
                          [this, id, job_id](ResultOutcome o) {
                            Send(id, EncodeV1ResultReply(o, job_id, true, clock_.WallMs()));
                          });
}

}  // namespace sela::api
