// Engine, part 1: sockets, epoll, timers and connect pacing. The WebSocket
// and protocol side of a connection is in session.cc.
#include "engine.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace loadgen {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
// Reads per readiness event before moving on, so one chatty connection
// cannot starve the others.
constexpr int kReadsPerEventMax = 4;
// Connect tokens may accumulate for this long, so a rate of 5000/s starts
// connections in small bursts rather than one per wakeup.
constexpr double kConnectBurstS = 0.005;

}  // namespace

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string ErrnoReason(std::string_view what, int err) {
  const char* name = strerrorname_np(err);
  std::string out(what);
  out += '_';
  out += name != nullptr ? std::string(name) : std::to_string(err);
  return out;
}

Engine::Engine(EngineConfig config, std::vector<std::string> principals, WorkerReport& report)
    : config_(std::move(config)),
      principals_(std::move(principals)),
      report_(report),
      rng_(config_.seed),
      conns_(principals_.size()),
      read_buffer_(kReadBufferBytes) {}

Engine::~Engine() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
}

std::expected<void, std::string> Engine::Init() {
  if (auto ok = poller_.Init(); !ok) return ok;
  now_ns_ = MonotonicNs();
  tokens_refilled_ns_ = now_ns_;
  return {};
}

void Engine::WatchAuxFd(int fd) { poller_.WatchAux(fd); }

bool Engine::Poll(int timeout_ms) {
  poller_.Wait(int64_t{NextWakeupMs(timeout_ms)} * 1'000'000);
  now_ns_ = MonotonicNs();
  const bool aux_readable =
      poller_.Dispatch([this](uint32_t id, uint32_t events) { HandleEvent(id, events); });
  RunTimers();
  StartQueuedConnects();
  return aux_readable;
}

int Engine::NextWakeupMs(int timeout_ms) const {
  int64_t wait_ns = int64_t{timeout_ms} * 1'000'000;
  if (!timers_.empty()) wait_ns = std::min(wait_ns, timers_.top().due_ns - now_ns_);
  if (!connect_queue_.empty() && connects_in_flight_ < kConnectsInFlightMax) {
    const double rate = config_.connect_rate_per_s;
    if (rate <= 0 || connect_tokens_ >= 1) return 0;
    wait_ns = std::min(wait_ns, static_cast<int64_t>((1 - connect_tokens_) / rate * 1e9));
  }
  if (wait_ns <= 0) return 0;
  return static_cast<int>((wait_ns + 999'999) / 1'000'000);
}

void Engine::SetState(uint32_t id, State state) {
  Conn& c = conns_[id];
  auto attempting = [](State s) { return s == State::kConnecting || s == State::kHandshaking; };
  connects_in_flight_ += int{attempting(state)} - int{attempting(c.state)};
  ready_now_ += int{state == State::kReady} - int{c.state == State::kReady};
  c.state = state;
}

void Engine::StartQueuedConnects() {
  const double rate = config_.connect_rate_per_s;
  if (rate > 0) {
    const double burst = std::max(1.0, rate * kConnectBurstS);
    const double elapsed_s = static_cast<double>(now_ns_ - tokens_refilled_ns_) / 1e9;
    connect_tokens_ = std::min(burst, connect_tokens_ + rate * elapsed_s);
  }
  tokens_refilled_ns_ = now_ns_;
  while (!connect_queue_.empty() && connects_in_flight_ < kConnectsInFlightMax &&
         (rate <= 0 || connect_tokens_ >= 1)) {
    const uint32_t id = connect_queue_.front();
    connect_queue_.pop_front();
    if (conns_[id].state != State::kQueued) continue;
    if (rate > 0) connect_tokens_ -= 1;
    StartConnect(id);
  }
}

void Engine::StartConnect(uint32_t id) {
  Conn& c = conns_[id];
  ++c.attempts;
  c.attempt_start_ns = now_ns_;
  if (wave_->first_connect_ns == 0) wave_->first_connect_ns = now_ns_;
  const Endpoints& ep = config_.endpoints;
  const int fd = socket(ep.target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(id, ErrnoReason("socket", errno), Retry::kNever);
  c.fd = fd;
  SetState(id, State::kConnecting);
  AddTimer(id, config_.connect_timeout_ns, TimerKind::kAttemptDeadline);
  const int one = 1;
  // Without this, bind() picks the ephemeral port before the destination is
  // known, so ports would be unique per source address instead of per
  // (source, destination) pair and run out near 28k connections.
  if (ep.target.ss_family == AF_INET) {
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const sockaddr_storage& source = ep.sources[next_source_++ % ep.sources.size()];
  if (bind(fd, reinterpret_cast<const sockaddr*>(&source), ep.source_bytes) != 0) {
    return Fail(id, ErrnoReason("bind", errno), Retry::kAllowed);
  }
  c.want_write = true;
  if (!poller_.Add(fd, id)) return Fail(id, ErrnoReason("epoll_ctl", errno), Retry::kNever);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&ep.target), ep.target_bytes) != 0 &&
      errno != EINPROGRESS) {
    return Fail(id, ErrnoReason("connect", errno), Retry::kAllowed);
  }
}

void Engine::OnConnectDone(uint32_t id) {
  Conn& c = conns_[id];
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Fail(id, ErrnoReason("connect", err), Retry::kAllowed);
  SetState(id, State::kHandshaking);
  SendHandshake(id);
  UpdateEvents(id, !conns_[id].out.empty());
}

void Engine::HandleEvent(uint32_t id, uint32_t events) {
  const Conn& c = conns_[id];
  // Closed earlier in this batch; the event belongs to the old socket.
  if (c.fd < 0) return;
  now_ns_ = MonotonicNs();
  if (c.state == State::kConnecting) return OnConnectDone(id);
  if ((events & EPOLLOUT) && !c.out.empty()) Flush(id);
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) OnReadable(id);
}

void Engine::OnReadable(uint32_t id) {
  corked_ = id;
  ReadAvailable(id);
  corked_ = kNoConn;
  const Conn& c = conns_[id];
  if (c.fd >= 0 && !c.out.empty() && !c.want_write) Flush(id);
}

void Engine::ReadAvailable(uint32_t id) {
  for (int i = 0; i < kReadsPerEventMax; ++i) {
    const ssize_t n = read(conns_[id].fd, read_buffer_.data(), read_buffer_.size());
    if (n > 0) {
      if (!Consume(id, std::string_view(read_buffer_.data(), static_cast<size_t>(n)))) return;
      if (static_cast<size_t>(n) < read_buffer_.size()) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    const bool closing = conns_[id].state == State::kClosing;
    if (n == 0 && closing) return FinishClose(id, CloseOutcome::kClean);
    const std::string reason = n == 0 ? std::string("server_eof") : ErrnoReason("read", errno);
    return Fail(id, reason, Retry::kAllowed);
  }
}

void Engine::Flush(uint32_t id) {
  Conn& c = conns_[id];
  const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
  if (n > 0) {
    c.out.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    c.out.clear();  // The read side sees the failure.
  }
  if (c.out.empty()) std::string().swap(c.out);
  UpdateEvents(id, !c.out.empty());
}

void Engine::Send(uint32_t id, std::string_view bytes) {
  Conn& c = conns_[id];
  if (c.fd < 0) return;
  if (!c.out.empty() || id == corked_) {
    if (c.out.size() + bytes.size() > kSendBacklogBytesMax) return CountError("send_backlog_full");
    c.out.append(bytes);
    return;
  }
  ssize_t n = send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) return;  // The read side sees the failure.
    n = 0;
  }
  if (static_cast<size_t>(n) == bytes.size()) return;
  c.out.assign(bytes.substr(static_cast<size_t>(n)));
  UpdateEvents(id, true);
}

void Engine::UpdateEvents(uint32_t id, bool want_write) {
  Conn& c = conns_[id];
  if (c.want_write == want_write || c.fd < 0) return;
  c.want_write = want_write;
  poller_.WantWrite(c.fd, id, want_write);
}

void Engine::CloseSocket(uint32_t id) {
  Conn& c = conns_[id];
  if (c.fd >= 0) close(c.fd);  // Also removes it from the epoll set.
  c.fd = -1;
  ++c.generation;
  pings_outstanding_ -= c.inflight;
  c.inflight = 0;
  c.ping_head = 0;
  c.want_write = false;
  c.fragmented = false;
  std::string().swap(c.in);
  std::string().swap(c.out);
  std::string().swap(c.message);
}

void Engine::Fail(uint32_t id, std::string_view reason, Retry retry) {
  CountError(reason);
  Conn& c = conns_[id];
  const State was = c.state;
  CloseSocket(id);
  switch (was) {
    case State::kConnecting:
    case State::kHandshaking:
      if (retry == Retry::kAllowed && c.attempts < kConnectAttemptsMax) {
        ++wave_->retries;
        SetState(id, State::kBackoff);
        AddTimer(id, kRetryBackoffBaseNs << (c.attempts - 1), TimerKind::kRetry);
        return;
      }
      [[fallthrough]];
    case State::kQueued:
    case State::kBackoff:
      SetState(id, State::kDone);
      --unsettled_;
      ++wave_->failed;
      --awaiting_upgrade_;
      MaybeRegisterAll();
      return;
    case State::kUpgraded:
    case State::kRegistering:
      SetState(id, State::kDone);
      --unsettled_;
      ++wave_->failed;
      return;
    case State::kReady:
      SetState(id, State::kDone);
      ++report_.dropped;
      return;
    case State::kClosing:
      return FinishClose(id, CloseOutcome::kReset);
    case State::kIdle:
    case State::kDone:
      return;
  }
}

void Engine::FinishClose(uint32_t id, CloseOutcome outcome) {
  CloseSocket(id);
  SetState(id, State::kDone);
  --closing_;
  if (outcome == CloseOutcome::kClean) ++report_.closed_clean;
  if (outcome == CloseOutcome::kTimeout) ++report_.close_timeouts;
}

void Engine::Requeue(uint32_t id) {
  CloseSocket(id);
  conns_[id].attempts = 0;
  SetState(id, State::kQueued);
  connect_queue_.push_back(id);
}

void Engine::BeginWave(PhaseStats* stats) {
  now_ns_ = MonotonicNs();
  wave_ = stats;
  stats->start_ns = now_ns_;
  stats->attempted += static_cast<int64_t>(conns_.size());
  connect_queue_.clear();
  for (uint32_t id = 0; id < conns_.size(); ++id) Requeue(id);
  unsettled_ = static_cast<int64_t>(conns_.size());
  awaiting_upgrade_ = unsettled_;
}

void Engine::BeginStormWave(PhaseStats* stats) {
  std::string frame;
  for (uint32_t id = 0; id < conns_.size(); ++id) {
    if (conns_[id].state != State::kReady) continue;
    frame.clear();
    AppendCloseFrame(kCloseGoingAway, "storm", rng_.Next32(), frame);
    // Best effort: the socket is closed right after, like a mass disconnect.
    (void)send(conns_[id].fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  BeginWave(stats);  // Closes every socket before queueing it again.
}

void Engine::BeginClose() {
  now_ns_ = MonotonicNs();
  pinging_ = false;
  connect_queue_.clear();
  std::string frame;
  for (uint32_t id = 0; id < conns_.size(); ++id) {
    const State s = conns_[id].state;
    if (s == State::kReady) {
      frame.clear();
      AppendCloseFrame(kCloseNormal, "", rng_.Next32(), frame);
      Send(id, frame);
      SetState(id, State::kClosing);
      ++closing_;
      AddTimer(id, kCloseTimeoutNs, TimerKind::kCloseDeadline);
    } else if (s != State::kDone && s != State::kIdle) {
      CloseSocket(id);
      SetState(id, State::kDone);
    }
  }
  unsettled_ = 0;
}

void Engine::AddTimer(uint32_t id, int64_t delay_ns, TimerKind kind, uint32_t slot) {
  timers_.push(Timer{now_ns_ + delay_ns, id, conns_[id].generation, slot, kind});
}

void Engine::RunTimers() {
  while (!timers_.empty() && timers_.top().due_ns <= now_ns_) {
    const Timer t = timers_.top();
    timers_.pop();
    // A delayed result owns a slot, which must be freed even when its
    // connection is gone.
    if (t.kind == TimerKind::kJobResult) {
      OnDelayedResult(t);
    } else if (conns_[t.conn].generation == t.generation) {
      OnTimer(t);
    }
  }
}

void Engine::OnTimer(const Timer& t) {
  const uint32_t id = t.conn;
  const State s = conns_[id].state;
  switch (t.kind) {
    case TimerKind::kAttemptDeadline:
      if (s == State::kConnecting) return Fail(id, "connect_timeout", Retry::kAllowed);
      if (s == State::kHandshaking) return Fail(id, "handshake_timeout", Retry::kAllowed);
      if (s == State::kRegistering) {
        // A deferred registration gets its own full time (a new timer).
        if (now_ns_ - conns_[id].registration_start_ns < config_.connect_timeout_ns) return;
        return Fail(id, "registration_timeout", Retry::kNever);
      }
      return;
    case TimerKind::kRetry:
      if (s != State::kBackoff) return;
      SetState(id, State::kQueued);
      connect_queue_.push_back(id);
      return;
    case TimerKind::kHeartbeat:
      if (s == State::kReady) SendHeartbeat(id);
      return;
    case TimerKind::kCloseDeadline:
      if (s == State::kClosing) FinishClose(id, CloseOutcome::kTimeout);
      return;
    case TimerKind::kJobResult:
      return;  // RunTimers hands these to OnDelayedResult.
  }
}

void Engine::CountError(std::string_view name) {
  auto it = report_.errors.find(name);
  if (it == report_.errors.end()) it = report_.errors.emplace(std::string(name), 0).first;
  ++it->second;
}

std::string Engine::ProgressText() const {
  char text[160];
  std::snprintf(text, sizeof(text),
                "ready %lld/%zu connecting %lld queued %zu failed %lld retries %lld closing %lld",
                static_cast<long long>(ready_now_), conns_.size(),
                static_cast<long long>(connects_in_flight_), connect_queue_.size(),
                static_cast<long long>(wave_ ? wave_->failed : 0),
                static_cast<long long>(wave_ ? wave_->retries : 0),
                static_cast<long long>(closing_));
  return text;
}

}  // namespace loadgen
