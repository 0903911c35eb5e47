#include "store/redis/connection.h"

#include <fcntl.h>
#include <hiredis/read.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sela::store::redis {
namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr int kIovMax = 64;
constexpr std::chrono::milliseconds kTimeoutCheckMin{50};
constexpr std::chrono::milliseconds kTimeoutCheckMax{500};
// TCP keep-alive, so that a connection whose peer vanished without a word
// (a blocking command waits without a reply timeout) is noticed.
constexpr int kKeepAliveIdleS = 10;
constexpr int kKeepAliveIntervalS = 5;
constexpr int kKeepAliveProbes = 3;

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

void SetTcpOptions(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepAliveIdleS, sizeof kKeepAliveIdleS);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepAliveIntervalS, sizeof kKeepAliveIntervalS);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepAliveProbes, sizeof kKeepAliveProbes);
}

// A non-blocking socket with its connect started (or done). Host names are
// resolved here, which blocks for as long as the resolver takes; numeric
// addresses do not.
Result<int> StartSocket(const RedisEndpoint& e) {
  if (!e.unix_path.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (e.unix_path.size() >= sizeof addr.sun_path) return Err(InvalidArgument("socket path too long"));
    std::memcpy(addr.sun_path, e.unix_path.c_str(), e.unix_path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Err(Unavailable(Errno("socket")));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS &&
        errno != EAGAIN) {
      const Status st = Unavailable(Errno("connect"));
      ::close(fd);
      return Err(st);
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(e.port);
  if (const int rc = ::getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Err(Unavailable(std::string("cannot resolve host: ") + ::gai_strerror(rc)));
  }
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return Err(Unavailable(Errno("socket")));
  }
  SetTcpOptions(fd);
  const int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  const int saved = errno;
  ::freeaddrinfo(found);
  if (rc != 0 && saved != EINPROGRESS) {
    ::close(fd);
    errno = saved;
    return Err(Unavailable(Errno("connect")));
  }
  return fd;
}

}  // namespace

Connection::Connection(Reactor& reactor, Options options, Hooks hooks)
    : reactor_(reactor),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      alive_(std::make_shared<Connection*>(this)) {}

Connection::~Connection() {
  state_ = State::kClosed;
  Fail(Unavailable("the Redis store is closing"));
}

Status Connection::Open() {
  Status st = StartConnect();
  if (!st.ok()) {
    Fail(st);
    return Unavailable("cannot connect to Redis at " + options_.endpoint.Describe() + ": " + st.message());
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
  while (state_ == State::kConnecting || state_ == State::kHandshake) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      Fail(Unavailable("timed out"));
      return Unavailable("cannot connect to Redis at " + options_.endpoint.Describe() + ": no answer within " +
                         std::to_string(options_.connect_timeout_ms) + " ms");
    }
    pollfd pfd{fd_, static_cast<short>(POLLIN | (WantsWrite() ? POLLOUT : 0)), 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR) {
      Fail(Unavailable(Errno("poll")));
      break;
    }
    uint32_t events = 0;
    if (pfd.revents & POLLIN) events |= Reactor::kReadable;
    if (pfd.revents & POLLOUT) events |= Reactor::kWritable;
    if (pfd.revents & (POLLERR | POLLHUP)) events |= Reactor::kError;
    if (events != 0) HandleEvents(events);
  }
  if (state_ == State::kReady) return Status::Ok();
  const Status& why = last_failure_.ok() ? Unavailable("no answer") : last_failure_;
  return Status(why.code(), "cannot connect to Redis at " + options_.endpoint.Describe() + ": " + why.message());
}

void Connection::Attach() {
  attached_ = true;
  if (fd_ >= 0) reactor_.Watch(fd_, Reactor::kReadable | Reactor::kWritable | Reactor::kPeerClosed, this, generation_);
  if (state_ != State::kReady) ScheduleReconnect();
  ScheduleTimeoutCheck();
  if (WantsWrite()) ScheduleWrite();
}

Status Connection::StartConnect() {
  ASSIGN_OR_RETURN(const int fd, StartSocket(options_.endpoint));
  fd_ = fd;
  ++generation_;
  reader_ = redisReaderCreate();
  state_ = State::kConnecting;
  connect_started_ = Clock::now();
  if (attached_) {
    if (const int err = reactor_.Watch(fd_, Reactor::kReadable | Reactor::kWritable | Reactor::kPeerClosed, this,
                                       generation_);
        err != 0) {
      return Unavailable(std::string("cannot watch the socket: ") + std::strerror(err));
    }
  }
  return Status::Ok();
}

Status Connection::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) return Status::Ok();  // Not yet.
  if (err != 0) return Unavailable(std::string("connect: ") + std::strerror(err));
  state_ = State::kHandshake;
  QueueHandshake();
  return Status::Ok();
}

void Connection::QueueHandshake() {
  const RedisEndpoint& e = options_.endpoint;
  if (e.password.empty()) {
    QueueHandshakeAfterAuth();
    return;
  }
  // AUTH alone first: Redis closes an unauthenticated connection that sends
  // a bulk over 16 KiB (a SCRIPT LOAD), so a wrong password pipelined with
  // the rest would read as "connection reset" instead of Redis's refusal.
  Command auth("AUTH");
  if (!e.user.empty()) auth.Arg(e.user);
  auth.Arg(e.password);
  unsent_.push_back({auth.Finish(), Kind::kWrite, true, [this](Result<Reply> r) {
                       if (!r || state_ != State::kHandshake) return;
                       if (IsError(r->get())) {
                         Fail(FailedPrecondition("Redis refused AUTH (check REDIS_PASSWORD): " +
                                                 std::string(Text(r->get()))));
                         return;
                       }
                       QueueHandshakeAfterAuth();
                     }});
  ScheduleWrite();
}

void Connection::QueueHandshakeAfterAuth() {
  const RedisEndpoint& e = options_.endpoint;
  auto expect_ok = [this](std::string what) {
    return [this, what = std::move(what)](Result<Reply> r) {
      if (r && IsError(r->get()) && state_ == State::kHandshake) {
        Fail(FailedPrecondition("Redis refused " + what + ": " + std::string(Text(r->get()))));
      }
    };
  };
  if (e.db != 0) {
    unsent_.push_back({Command("SELECT").Uint(e.db).Finish(), Kind::kWrite, true,
                       expect_ok("SELECT " + std::to_string(e.db) + " (check REDIS_DB)")});
  }
  if (!options_.client_name.empty()) {
    unsent_.push_back({Command("CLIENT").Arg("SETNAME").Arg(options_.client_name).Finish(), Kind::kWrite, true,
                       expect_ok("CLIENT SETNAME")});
  }
  QueueScriptLoads(unsent_);
  // The handshake is complete when the last of it answers.
  unsent_.push_back({Command("PING").Finish(), Kind::kRead, true, [this](Result<Reply> r) {
                       if (!r || state_ != State::kHandshake) return;
                       if (IsError(r->get())) {
                         Fail(FailedPrecondition("Redis refused PING: " + std::string(Text(r->get()))));
                         return;
                       }
                       state_ = State::kReady;
                       failures_ = 0;
                       last_failure_ = Status::Ok();
                       if (hooks_.on_ready) hooks_.on_ready();
                     }});
  ScheduleWrite();
}

void Connection::QueueScriptLoads(std::deque<Request>& into) {
  if (options_.scripts.empty()) return;
  shas_.assign(options_.scripts.size(), std::string());
  for (size_t i = 0; i < options_.scripts.size(); ++i) {
    const bool last = i + 1 == options_.scripts.size();
    into.push_back({Command("SCRIPT").Arg("LOAD").Arg(options_.scripts[i]).Finish(), Kind::kWrite, true,
                    [this, i, last](Result<Reply> r) {
                      if (!r) return;
                      if (IsError(r->get()) || Text(r->get()).size() != 40) {
                        Fail(FailedPrecondition("Redis refused SCRIPT LOAD: " + std::string(Text(r->get()))));
                        return;
                      }
                      shas_[i] = std::string(Text(r->get()));
                      if (last && hooks_.on_scripts) hooks_.on_scripts(shas_);
                    }});
  }
}

bool Connection::Send(std::string bytes, Kind kind, ReplyFn fn) {
  if (state_ != State::kReady) return false;
  unsent_.push_back({std::move(bytes), kind, false, std::move(fn)});
  ScheduleWrite();
  return true;
}

bool Connection::WantsWrite() const {
  if (state_ == State::kConnecting) return true;
  if (unsent_.empty()) return false;
  return !reloading_ || unsent_offset_ > 0;
}

void Connection::ScheduleWrite() {
  if (!attached_ || write_scheduled_) return;
  write_scheduled_ = true;
  reactor_.Post([alive = std::weak_ptr<Connection*>(alive_)] {
    auto self = alive.lock();
    if (!self) return;
    (*self)->write_scheduled_ = false;
    (*self)->WriteSome();
  });
}

void Connection::WriteSome() {
  if (fd_ < 0 || state_ == State::kConnecting) return;
  while (WantsWrite()) {
    iovec iov[kIovMax];
    int n = 0;
    for (auto it = unsent_.begin(); it != unsent_.end() && n < kIovMax; ++it, ++n) {
      const size_t skip = n == 0 ? unsent_offset_ : 0;
      iov[n].iov_base = it->bytes.data() + skip;
      iov[n].iov_len = it->bytes.size() - skip;
      if (reloading_) {  // Only finish the request begun.
        ++n;
        break;
      }
    }
    const ssize_t written = ::writev(fd_, iov, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // The next EPOLLOUT edge resumes.
      Fail(Unavailable(Errno("write")));
      return;
    }
    size_t left = static_cast<size_t>(written);
    while (left > 0) {
      Request& front = unsent_.front();
      const size_t rest = front.bytes.size() - unsent_offset_;
      if (left < rest) {
        unsent_offset_ += left;
        break;
      }
      left -= rest;
      unsent_offset_ = 0;
      if (front.kind == Kind::kNoReply) {
        unsent_.pop_front();
        continue;
      }
      // Plain writes are never written twice: their bytes can go now.
      if (front.kind == Kind::kWrite) std::string().swap(front.bytes);
      if (inflight_.empty()) inflight_front_since_ = Clock::now();
      inflight_.push_back(std::move(front));
      unsent_.pop_front();
    }
  }
}

void Connection::ReadAll() {
  static thread_local char buf[kReadChunkBytes];
  const uint64_t generation = generation_;
  bool eof = false;
  // Whatever happens below, the batch ends with on_read_done, so that the
  // owner hands out what the replies (or a failure) completed.
  reading_ = true;
  struct BatchEnd {
    Connection& c;
    ~BatchEnd() {
      c.reading_ = false;
      if (c.hooks_.on_read_done) c.hooks_.on_read_done();
    }
  } batch_end{*this};
  while (fd_ >= 0 && generation == generation_) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n == 0) {
      eof = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Fail(Unavailable(Errno("read")));
      return;
    }
    if (redisReaderFeed(reader_, buf, static_cast<size_t>(n)) != REDIS_OK) {
      Fail(Internal("the Redis reply reader failed"));
      return;
    }
    void* reply = nullptr;
    while (generation == generation_ && reader_ != nullptr) {
      if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
        Fail(Internal(std::string("malformed reply from Redis: ") + reader_->errstr));
        return;
      }
      if (reply == nullptr) break;
      Dispatch(Reply(static_cast<redisReply*>(reply)));
    }
    if (static_cast<size_t>(n) < sizeof buf) break;  // Drained: the next edge brings more.
  }
  if (generation != generation_ || fd_ < 0) return;  // Lost meanwhile.
  if (eof) {
    Fail(Unavailable("the connection was closed by Redis"));
    return;
  }
  if (reloading_ && inflight_.empty()) ResumeAfterReload();
}

void Connection::Dispatch(Reply reply) {
  if (inflight_.empty()) {
    if (options_.subscriber && state_ == State::kReady && hooks_.on_push) {
      hooks_.on_push(std::move(reply));
      return;
    }
    Fail(Internal("Redis sent a reply nobody asked for"));
    return;
  }
  Request request = std::move(inflight_.front());
  inflight_.pop_front();
  if (!inflight_.empty()) inflight_front_since_ = Clock::now();
  if (HandleNoScript(request, reply)) return;
  if (request.fn) request.fn(std::move(reply));
}

bool Connection::HandleNoScript(Request& request, const Reply& reply) {
  const bool noscript = request.kind == Kind::kScript && IsError(reply.get()) &&
                        Text(reply.get()).starts_with("NOSCRIPT");
  if (noscript) {
    if (!reloading_) {
      spdlog::warn("Redis {} lost our scripts (NOSCRIPT): loading them again and repeating the refused requests",
                   options_.endpoint.Describe());
      reloading_ = true;
    }
    retry_.push_back(std::move(request));
    return true;
  }
  if (reloading_ && request.kind == Kind::kRead) {
    retry_.push_back(std::move(request));
    return true;
  }
  return false;
}

void Connection::ResumeAfterReload() {
  std::deque<Request> next;
  QueueScriptLoads(next);
  for (Request& r : retry_) next.push_back(std::move(r));
  for (Request& r : unsent_) next.push_back(std::move(r));
  retry_.clear();
  unsent_ = std::move(next);
  reloading_ = false;
  ScheduleWrite();
  if (!attached_) WriteSome();
}

void Connection::Fail(const Status& why) {
  const bool was_ready = state_ == State::kReady;
  const bool was_up = was_ready || state_ == State::kHandshake;
  if (fd_ >= 0) {
    if (attached_) reactor_.Unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  ++generation_;
  if (reader_ != nullptr) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
  reloading_ = false;
  unsent_offset_ = 0;
  std::deque<Request> written = std::move(inflight_);
  std::deque<Request> retry = std::move(retry_);
  std::deque<Request> unsent = std::move(unsent_);
  inflight_.clear();
  retry_.clear();
  unsent_.clear();
  if (state_ != State::kClosed) state_ = State::kDown;
  last_failure_ = why;
  const std::string where = "Redis at " + options_.endpoint.Describe() + ": " + why.message();
  for (std::deque<Request>* queue : {&written, &retry, &unsent}) {
    const char* outcome = queue == &unsent ? " (not sent)" : " (sent; its outcome is unknown)";
    for (Request& r : *queue) {
      if (r.kind != Kind::kNoReply && r.fn) r.fn(Err(Unavailable(where + outcome)));
    }
  }
  if (was_up) {
    // A refused handshake is reported with the reconnect attempts.
    if (state_ != State::kClosed && was_ready) spdlog::warn("lost the connection to {}", where);
    if (hooks_.on_down) hooks_.on_down(Unavailable(where));
  }
  if (attached_ && state_ == State::kDown) ScheduleReconnect();
}

void Connection::ScheduleReconnect() {
  const uint32_t shift = std::min<uint32_t>(failures_, 16);
  const uint64_t delay_ms =
      std::min<uint64_t>(uint64_t{options_.backoff_min_ms} << shift, options_.backoff_max_ms);
  ++failures_;
  if ((failures_ & (failures_ - 1)) == 0 && failures_ >= 4) {  // 4, 8, 16, ...: not every attempt.
    spdlog::warn("Redis at {} still unreachable after {} attempts: {}", options_.endpoint.Describe(), failures_ - 1,
                 last_failure_.message());
  }
  state_ = State::kBackoff;
  reactor_.RunAfter(std::chrono::milliseconds(delay_ms), [alive = std::weak_ptr<Connection*>(alive_)] {
    auto self = alive.lock();
    if (!self || (*self)->state_ != State::kBackoff) return;
    Connection& c = **self;
    if (Status st = c.StartConnect(); !st.ok()) c.Fail(st);
  });
}

void Connection::ScheduleTimeoutCheck() {
  if (timeout_check_scheduled_) return;
  timeout_check_scheduled_ = true;
  const uint32_t base_ms = options_.reply_timeout_ms > 0 ? options_.reply_timeout_ms : options_.connect_timeout_ms;
  const auto period = std::clamp(std::chrono::milliseconds(base_ms / 4), kTimeoutCheckMin, kTimeoutCheckMax);
  reactor_.RunAfter(period, [alive = std::weak_ptr<Connection*>(alive_)] {
    auto self = alive.lock();
    if (!self) return;
    (*self)->timeout_check_scheduled_ = false;
    (*self)->CheckTimeouts();
  });
}

void Connection::CheckTimeouts() {
  if (state_ == State::kClosed) return;
  const auto now = Clock::now();
  const auto connect_limit = std::chrono::milliseconds(options_.connect_timeout_ms);
  if ((state_ == State::kConnecting || state_ == State::kHandshake) && now - connect_started_ > connect_limit) {
    Fail(Unavailable("no answer within " + std::to_string(options_.connect_timeout_ms) + " ms of connecting"));
  } else if (state_ == State::kReady && options_.reply_timeout_ms > 0 && !inflight_.empty() &&
             now - inflight_front_since_ > std::chrono::milliseconds(options_.reply_timeout_ms)) {
    Fail(Unavailable("no reply within " + std::to_string(options_.reply_timeout_ms) + " ms"));
  }
  ScheduleTimeoutCheck();
}

void Connection::DriveUntilIdle(std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (fd_ >= 0 && outstanding() > 0) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      Fail(Unavailable("no reply within " + std::to_string(limit.count()) + " ms while flushing"));
      return;
    }
    pollfd pfd{fd_, static_cast<short>(POLLIN | (WantsWrite() ? POLLOUT : 0)), 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR) {
      Fail(Unavailable(Errno("poll")));
      return;
    }
    uint32_t events = 0;
    if (pfd.revents & POLLIN) events |= Reactor::kReadable;
    if (pfd.revents & POLLOUT) events |= Reactor::kWritable;
    if (pfd.revents & (POLLERR | POLLHUP)) events |= Reactor::kError;
    if (events != 0) HandleEvents(events);
  }
}

void Connection::OnIo(uint64_t token, uint32_t events) {
  if (token != generation_) return;  // An old socket's event.
  HandleEvents(events);
}

void Connection::HandleEvents(uint32_t events) {
  if (state_ == State::kConnecting) {
    if ((events & (Reactor::kWritable | Reactor::kError | Reactor::kHangup)) == 0) return;
    if (Status st = FinishConnect(); !st.ok()) {
      Fail(st);
      return;
    }
    if (state_ == State::kConnecting) return;
    WriteSome();
  }
  if (events & (Reactor::kReadable | Reactor::kError | Reactor::kHangup | Reactor::kPeerClosed)) ReadAll();
  if (fd_ >= 0 && WantsWrite()) WriteSome();
}

}  // namespace sela::store::redis
