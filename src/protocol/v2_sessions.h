// Protocol v2 sessions that outlive their connection, and the frames the
// server pushed in them (ARCHITECTURE.md §5: "a node that reconnects within
// 120 s with {session_id, last_seq} gets what it missed").
//
// A session belongs to one principal. Each push (job, notice, drain) gets
// the next seq, 1, 2, 3, ..., and is kept in the session's log, bounded by
// log_frames_max and log_bytes_max (oldest out first); frames tagged with a
// job id are dropped once that job is settled (Forget), since a replay of
// them would be wrong. When the connection goes the session is detached and
// kept for resume_window_ms; a node that authenticates again as the same
// principal with {session_id, last_seq} takes it up (on a new connection, or
// from a connection the server still believes live) and gets the kept frames
// after last_seq, in order. Another principal's session id is refused.
//
// The session id is 12 bytes, base64url (16 characters): the table slot and
// 8 random bytes, so a lookup needs no hash table and ids cannot be guessed
// (and taking a session up needs the principal's signature anyway). An idle
// session costs one 56-byte Record (no log allocated until something is
// pushed): the principal is kept as its first 8 bytes, which for a
// self-authenticating principal are SHA-224 output (2^64 keys to match).
//
// Pure: callers pass the time and the random source.
// Thread-safety: none; owned by the event loop.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/v2_handshake.h"

namespace sela::protocol::v2 {

struct SessionOptions {
  int64_t resume_window_ms = 120'000;
  uint32_t log_frames_max = 32;
  std::size_t log_bytes_max = 256 * 1024;
  uint32_t sessions_max = 1u << 24;  // Live and detached together.
};

using SessionHandle = uint32_t;
inline constexpr SessionHandle kNoSession = 0xffffffffu;

struct ResumeOutcome {
  enum class Kind : uint8_t {
    kResumed,         // handle is the session; frames are to be sent again.
    kUnknown,         // No such session (never, expired, closed): start a new one.
    kOtherPrincipal,  // The session exists but is someone else's.
  };
  Kind kind = Kind::kUnknown;
  SessionHandle handle = kNoSession;
  // The session was still attached to a connection the server believed
  // live (the caller closes that one).
  bool was_attached = false;
  // Kept frames with seq > last_seq, in order; `gap` when some were dropped
  // from the log (the node has missed frames that cannot be sent again).
  struct Kept {
    uint64_t seq = 0;
    std::string text;
    std::string tag;
  };
  std::vector<Kept> frames;
  bool gap = false;
};

class SessionTable {
 public:
  explicit SessionTable(SessionOptions options = {}) : options_(options) {}

  // A new, attached session of `principal` (raw bytes); kNoSession when
  // sessions_max sessions exist.
  SessionHandle Open(std::string_view principal, int64_t client_id, const RandomBytes& random);
  std::string SessionId(SessionHandle h) const;
  int64_t client_id(SessionHandle h) const { return records_[h].client_id; }
  bool attached(SessionHandle h) const { return records_[h].live && records_[h].detached_until_ms == 0; }
  uint64_t last_seq(SessionHandle h) const { return records_[h].next_seq - 1; }
  std::size_t size() const { return live_; }

  // The next push: its seq. Keep() stores the frame encoded with it.
  uint64_t NextSeq(SessionHandle h) { return records_[h].next_seq++; }
  void Keep(SessionHandle h, uint64_t seq, std::string frame, std::string_view tag);
  // Drops kept frames tagged `tag` (a settled job's).
  void Forget(SessionHandle h, std::string_view tag);

  // The connection went: kept until now_ms + resume_window_ms.
  void Detach(SessionHandle h, int64_t now_ms);
  // What Resume would find now, without changing anything: kResumed with
  // the session's clientId, kUnknown or kOtherPrincipal.
  ResumeOutcome::Kind Peek(std::string_view session_id, std::string_view principal, int64_t now_ms,
                           int64_t* client_id) const;
  // Authenticated as `principal`, the node asks for session_id after
  // last_seq. On kResumed the session is attached (to the caller's new
  // connection).
  ResumeOutcome Resume(std::string_view session_id, std::string_view principal, uint64_t last_seq,
                       int64_t now_ms);
  // Ends a session now (its frames go).
  void Close(SessionHandle h);
  // Detached sessions whose window passed by now_ms are closed; returns them.
  std::vector<SessionHandle> Expire(int64_t now_ms);

 private:
  struct Frame {
    uint64_t seq;
    std::string text;
    std::string tag;
  };
  struct Log {
    std::deque<Frame> frames;
    std::size_t bytes = 0;
    bool dropped_any = false;  // Frames left the log before being acked by a resume.
    uint64_t dropped_upto = 0;  // Highest seq dropped for space.
  };
  struct Record {
    uint64_t tag = 0;               // The random part of the session id.
    uint64_t principal_prefix = 0;  // See PrefixOf.
    int64_t client_id = 0;
    int64_t detached_until_ms = 0;  // 0 while attached.
    std::unique_ptr<Log> log;
    uint32_t next_seq = 1;
    SessionHandle next_free = kNoSession;
    bool live = false;
    bool listed = false;  // In detached_.
  };
  static_assert(sizeof(Record) <= 56, "an idle v2 session's share of the memory target (docs/BENCHMARKS.md)");
  // The principal's first 8 bytes (zero-padded), with its length folded in.
  static uint64_t PrefixOf(std::string_view principal);
  std::optional<SessionHandle> Lookup(std::string_view session_id) const;

  SessionOptions options_;
  std::deque<Record> records_;  // Grows in blocks; records never move.
  SessionHandle free_ = kNoSession;
  std::size_t live_ = 0;
  std::vector<SessionHandle> detached_;  // Candidates for Expire (may hold resumed or closed ones).
};

}  // namespace sela::protocol::v2
