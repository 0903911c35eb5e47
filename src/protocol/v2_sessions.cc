#include "protocol/v2_sessions.h"

#include <algorithm>
#include <cstring>

#include "codec/base64.h"

namespace sela::protocol::v2 {

uint64_t SessionTable::PrefixOf(std::string_view principal) {
  uint64_t v = 0;
  std::memcpy(&v, principal.data(), std::min<std::size_t>(sizeof(v), principal.size()));
  return v ^ (uint64_t{principal.size()} << 56);
}

SessionHandle SessionTable::Open(std::string_view principal, int64_t client_id, const RandomBytes& random) {
  if (live_ >= options_.sessions_max) return kNoSession;
  SessionHandle h;
  if (free_ != kNoSession) {
    h = free_;
    free_ = records_[h].next_free;
  } else {
    h = static_cast<SessionHandle>(records_.size());
    records_.emplace_back();
  }
  Record& r = records_[h];
  r = Record{};
  random(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&r.tag), sizeof(r.tag)));
  r.live = true;
  r.principal_prefix = PrefixOf(principal);
  r.client_id = client_id;
  ++live_;
  return h;
}

std::string SessionTable::SessionId(SessionHandle h) const {
  const Record& r = records_[h];
  std::string raw(4 + sizeof(r.tag), '\0');
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>((h >> (24 - 8 * i)) & 0xFF);
  std::memcpy(raw.data() + 4, &r.tag, sizeof(r.tag));
  return codec::Base64UrlEncode(raw);
}

std::optional<SessionHandle> SessionTable::Lookup(std::string_view session_id) const {
  auto raw = codec::Base64UrlDecode(session_id);
  if (!raw || raw->size() != 4 + sizeof(uint64_t)) return std::nullopt;
  SessionHandle h = 0;
  for (int i = 0; i < 4; ++i) h = (h << 8) | static_cast<uint8_t>((*raw)[i]);
  if (h >= records_.size() || !records_[h].live) return std::nullopt;
  uint64_t tag = 0;
  std::memcpy(&tag, raw->data() + 4, sizeof(tag));
  if ((tag ^ records_[h].tag) != 0) return std::nullopt;
  return h;
}

void SessionTable::Keep(SessionHandle h, uint64_t seq, std::string frame, std::string_view tag) {
  Record& r = records_[h];
  if (!r.log) r.log = std::make_unique<Log>();
  Log& log = *r.log;
  log.bytes += frame.size();
  log.frames.push_back(Frame{seq, std::move(frame), std::string(tag)});
  while (!log.frames.empty() &&
         (log.frames.size() > options_.log_frames_max || log.bytes > options_.log_bytes_max)) {
    log.bytes -= log.frames.front().text.size();
    log.dropped_upto = std::max(log.dropped_upto, log.frames.front().seq);
    log.dropped_any = true;
    log.frames.pop_front();
  }
}

void SessionTable::Forget(SessionHandle h, std::string_view tag) {
  Record& r = records_[h];
  if (!r.log) return;
  std::erase_if(r.log->frames, [&](const Frame& f) {
    if (f.tag != tag) return false;
    r.log->bytes -= f.text.size();
    return true;
  });
  // An empty log costs nothing while the session idles.
  if (r.log->frames.empty() && !r.log->dropped_any) r.log.reset();
}

void SessionTable::Detach(SessionHandle h, int64_t now_ms) {
  Record& r = records_[h];
  r.detached_until_ms = now_ms + options_.resume_window_ms;
  if (!r.listed) detached_.push_back(h);
  r.listed = true;
}

ResumeOutcome::Kind SessionTable::Peek(std::string_view session_id, std::string_view principal, int64_t now_ms,
                                      int64_t* client_id) const {
  const auto h = Lookup(session_id);
  if (!h) return ResumeOutcome::Kind::kUnknown;
  const Record& r = records_[*h];
  if (r.detached_until_ms != 0 && now_ms > r.detached_until_ms) return ResumeOutcome::Kind::kUnknown;
  if (r.principal_prefix != PrefixOf(principal)) return ResumeOutcome::Kind::kOtherPrincipal;
  *client_id = r.client_id;
  return ResumeOutcome::Kind::kResumed;
}

ResumeOutcome SessionTable::Resume(std::string_view session_id, std::string_view principal, uint64_t last_seq,
                                   int64_t now_ms) {
  ResumeOutcome out;
  const auto h = Lookup(session_id);
  if (!h) return out;
  Record& r = records_[*h];
  if (r.detached_until_ms != 0 && now_ms > r.detached_until_ms) {
    Close(*h);
    return out;
  }
  if (r.principal_prefix != PrefixOf(principal)) {
    out.kind = ResumeOutcome::Kind::kOtherPrincipal;
    return out;
  }
  out.kind = ResumeOutcome::Kind::kResumed;
  out.handle = *h;
  out.was_attached = r.detached_until_ms == 0;
  r.detached_until_ms = 0;
  if (r.log) {
    out.gap = r.log->dropped_any && last_seq < r.log->dropped_upto;
    for (const Frame& f : r.log->frames) {
      if (f.seq > last_seq) out.frames.push_back({f.seq, f.text, f.tag});
    }
  }
  // A last_seq past what was sent is the node's mistake; nothing to replay.
  return out;
}

void SessionTable::Close(SessionHandle h) {
  Record& r = records_[h];
  if (!r.live) return;
  r = Record{};
  r.next_free = free_;
  free_ = h;
  --live_;
}

std::vector<SessionHandle> SessionTable::Expire(int64_t now_ms) {
  std::vector<SessionHandle> expired;
  std::vector<SessionHandle> keep;
  for (SessionHandle h : detached_) {
    Record& r = records_[h];
    if (!r.live || r.detached_until_ms == 0) {  // Closed or resumed since.
      r.listed = false;
      continue;
    }
    if (now_ms > r.detached_until_ms) {
      Close(h);
      expired.push_back(h);
    } else {
      keep.push_back(h);
    }
  }
  detached_ = std::move(keep);
  return expired;
}

}  // namespace sela::protocol::v2
