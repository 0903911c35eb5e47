// Connection: one connection to Redis, driven by the process's event loop
// (core/reactor.h) or, when nothing runs the loop, by poll() on its socket.
//
// - Pipelined: requests are written as they come, gathered into one writev
//   per loop pass; replies (parsed by hiredis's reader) complete them in
//   order.
// - Handshake at every connect: AUTH, SELECT, CLIENT SETNAME and SCRIPT
//   LOAD of every script; the connection is ready only when all succeeded.
// - A lost connection fails every outstanding request with Unavailable
//   (for a request already written, its outcome is unknown), refuses new
//   ones until it is back, and reconnects with exponential back-off. A
//   request unanswered for reply_timeout_ms counts as a lost connection.
// - NOSCRIPT (the scripts were flushed, or a fresh server took over):
//   writing pauses; once everything written before has answered, the
//   scripts are loaded again and the refused requests are written again, in
//   their order, ahead of whatever was queued meanwhile. Reads answered
//   after the first NOSCRIPT are written again too (they may not have seen
//   the refused writes); writes that succeeded stand.
// - Subscriber connections hand every reply after the handshake to
//   on_push (pub/sub messages).
//
// Threading: all methods on the reactor's thread, except that Open() may
// run on another thread before the loop serves this connection (Attach()).
// Callbacks run on the calling thread of whatever drives the socket.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/status.h"
#include "store/redis/redis_url.h"
#include "store/redis/resp.h"

struct redisReader;

namespace sela::store::redis {

class Connection final : public Reactor::IoHandler {
 public:
  // What a request does, for NOSCRIPT recovery: reads may be written again,
  // scripts are written again when refused, other writes never twice.
  enum class Kind : uint8_t { kRead, kWrite, kScript, kNoReply };
  // A reply (an error reply too: the caller interprets it), or Unavailable
  // when the connection was lost first.
  using ReplyFn = std::function<void(Result<Reply>)>;

  struct Options {
    RedisEndpoint endpoint;
    std::string client_name;           // CLIENT SETNAME, shown by CLIENT LIST.
    std::vector<std::string> scripts;  // Loaded at every connect.
    uint32_t connect_timeout_ms = 2'000;
    uint32_t reply_timeout_ms = 5'000;  // 0: none (a connection for blocking commands).
    uint32_t backoff_min_ms = 50;
    uint32_t backoff_max_ms = 2'000;
    bool subscriber = false;
  };
  struct Hooks {
    std::function<void()> on_ready;                     // Every time the handshake completes.
    std::function<void(const Status&)> on_down;         // Every time it is lost.
    std::function<void(Reply)> on_push;                 // Subscriber connections.
    std::function<void()> on_read_done;                 // After each batch of replies.
    std::function<void(const std::vector<std::string>&)> on_scripts;  // SHA-1s, in Options order.
  };

  Connection(Reactor& reactor, Options options, Hooks hooks);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and completes the handshake, waiting up to connect_timeout_ms.
  // Errors name the endpoint. Call once, before Attach().
  Status Open();
  // From now on the reactor serves the socket, and a lost connection is
  // re-opened in the background. Loop thread.
  void Attach();

  bool ready() const { return state_ == State::kReady; }
  // True while replies are being handed out (inside ReadAll); on_read_done
  // follows.
  bool reading() const { return reading_; }
  // Why the last connect or connection failed (OK when none did).
  const Status& last_failure() const { return last_failure_; }
  // Queues a request (the bytes of one command, see Command). False, with
  // nothing queued and fn not called, when the connection is not ready.
  // kNoReply: a command that has no reply of its own (SUBSCRIBE on a
  // subscriber connection).
  bool Send(std::string bytes, Kind kind, ReplyFn fn);
  // Requests written or waiting to be, not yet answered.
  size_t outstanding() const { return unsent_.size() + inflight_.size() + retry_.size(); }
  // Drives the socket itself with poll() until nothing is outstanding, or
  // `limit` passes (then the connection counts as lost). For a Flush on the
  // loop thread while the loop does not run.
  void DriveUntilIdle(std::chrono::milliseconds limit);

  void OnIo(uint64_t token, uint32_t events) override;

 private:
  enum class State : uint8_t { kDown, kConnecting, kHandshake, kReady, kBackoff, kClosed };
  using Clock = std::chrono::steady_clock;
  struct Request {
    std::string bytes;
    Kind kind = Kind::kRead;
    bool init = false;  // Part of the handshake.
    ReplyFn fn;
  };

  Status StartConnect();
  Status FinishConnect();
  void QueueHandshake();
  void QueueHandshakeAfterAuth();
  void QueueScriptLoads(std::deque<Request>& into);
  void ScheduleWrite();
  void WriteSome();
  void ReadAll();
  void Dispatch(Reply reply);
  bool HandleNoScript(Request& request, const Reply& reply);
  void ResumeAfterReload();
  void Fail(const Status& why);
  void ScheduleReconnect();
  void ScheduleTimeoutCheck();
  void CheckTimeouts();
  void HandleEvents(uint32_t events);
  bool WantsWrite() const;

  Reactor& reactor_;
  const Options options_;
  const Hooks hooks_;
  std::shared_ptr<Connection*> alive_;  // Timers hold a weak_ptr to it.
  State state_ = State::kDown;
  int fd_ = -1;
  uint64_t generation_ = 0;  // The watch token: stale events of an old socket are ignored.
  bool attached_ = false;
  bool write_scheduled_ = false;
  bool timeout_check_scheduled_ = false;
  redisReader* reader_ = nullptr;
  std::deque<Request> unsent_;
  size_t unsent_offset_ = 0;  // Bytes of unsent_.front() already written.
  std::deque<Request> inflight_;
  Clock::time_point inflight_front_since_{};  // When the oldest reply became due.
  Clock::time_point connect_started_{};
  // NOSCRIPT recovery: writing is paused while reloading_, and the
  // requests to write again wait in retry_.
  bool reloading_ = false;
  std::deque<Request> retry_;
  uint32_t failures_ = 0;  // Consecutive failed connects, for the back-off.
  Status last_failure_;
  bool reading_ = false;
  std::vector<std::string> shas_;
};

}  // namespace sela::store::redis
