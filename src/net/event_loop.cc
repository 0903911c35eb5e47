#include "net/event_loop.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sela::net {

static_assert(Reactor::kReadable == EPOLLIN && Reactor::kWritable == EPOLLOUT &&
                  Reactor::kError == EPOLLERR && Reactor::kHangup == EPOLLHUP &&
                  Reactor::kPeerClosed == EPOLLRDHUP,
              "Reactor's readiness bits are epoll's");

namespace {

constexpr size_t kMaxEvents = 256;
// The loop's own descriptors: top byte 0.
constexpr uint64_t kWakeToken = 1;
constexpr uint64_t kSignalToken = 2;

// The write end of the signal pipe, for the async-signal-safe handler. One
// loop per process handles signals.
std::atomic<int> g_signal_fd{-1};

extern "C" void OnSignal(int signal) {
  const int saved = errno;
  const int fd = g_signal_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved;
}

[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "EventLoop: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

}  // namespace

EventLoop::EventLoop() : owner_(std::this_thread::get_id()), events_(kMaxEvents) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) Fatal("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) Fatal("eventfd");
  // Edge-triggered and never read: every write is an edge, and the counter
  // cannot reach its limit (2^64 - 2) in practice.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) Fatal("epoll_ctl(eventfd)");
}

EventLoop::~EventLoop() {
  Shutdown();
  if (signal_pipe_[0] >= 0) {
    g_signal_fd.store(-1);
    ::close(signal_pipe_[0]);
    ::close(signal_pipe_[1]);
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void EventLoop::Run() {
  while (!stopped_.load(std::memory_order_relaxed)) {
    ++pass_;
    RunLocal();
    TakeRemote();
    RunDueTimers(std::chrono::steady_clock::now());
    if (stopped_.load(std::memory_order_relaxed)) break;
    Duration timeout = local_.empty() ? Timeout(std::chrono::steady_clock::now()) : Duration::zero();
    if (timeout != Duration::zero()) {
      // Announce the sleep before the last look at the remote queue: a
      // poster either sees sleeping_ and wakes us, or we see its work.
      sleeping_.store(true);
      std::lock_guard lock(remote_mu_);
      if (!remote_.empty()) timeout = Duration::zero();
    }
    Poll(timeout);
    sleeping_.store(false, std::memory_order_relaxed);
  }
  stopped_.store(false);  // Run() may be called again.
}

void EventLoop::RunUntilIdle() {
  while (RunLocal() || TakeRemote()) {
  }
}

void EventLoop::Stop() {
  stopped_.store(true);
  if (!OnLoopThread()) {
    Wake();
  }
}

void EventLoop::Shutdown() {
  local_.clear();
  running_.clear();
  {
    std::lock_guard lock(remote_mu_);
    remote_.clear();
  }
  timers_.clear();
  for (const auto& [signal, fn] : signal_fns_) std::signal(signal, SIG_DFL);
  signal_fns_.clear();
}

void EventLoop::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::Post(std::function<void()> fn) {
  if (OnLoopThread()) {
    local_.push_back(std::move(fn));
    return;
  }
  bool was_empty;
  {
    std::lock_guard lock(remote_mu_);
    was_empty = remote_.empty();
    remote_.push_back(std::move(fn));
  }
  // The loop looks at the queue before it sleeps, so only a sleeping loop
  // needs the system call.
  if (was_empty && sleeping_.load()) {
    Wake();
  }
}

bool EventLoop::RunLocal() {
  if (local_.empty()) return false;
  running_.swap(local_);
  for (auto& fn : running_) fn();
  running_.clear();
  return true;
}

bool EventLoop::TakeRemote() {
  std::lock_guard lock(remote_mu_);
  if (remote_.empty()) return false;
  if (local_.empty()) {
    local_.swap(remote_);
  } else {
    for (auto& fn : remote_) local_.push_back(std::move(fn));
    remote_.clear();
  }
  return true;
}

void EventLoop::RunEvery(Duration period, std::function<void()> fn) {
  timers_.emplace(std::chrono::steady_clock::now() + period, Timer{period, std::move(fn)});
}

void EventLoop::RunAfter(Duration delay, std::function<void()> fn) {
  timers_.emplace(std::chrono::steady_clock::now() + delay, Timer{Duration::zero(), std::move(fn)});
}

void EventLoop::RunDueTimers(TimePoint now) {
  // Timers added by the ones that run now wait for the next pass.
  const TimePoint cutoff = now;
  while (!timers_.empty() && timers_.begin()->first <= cutoff) {
    auto node = timers_.extract(timers_.begin());
    Timer& t = node.mapped();
    if (t.period.count() > 0) {
      t.fn();
      node.key() = std::chrono::steady_clock::now() + t.period;
      timers_.insert(std::move(node));
    } else {
      t.fn();
    }
    if (stopped_.load(std::memory_order_relaxed)) return;
  }
}

EventLoop::Duration EventLoop::Timeout(TimePoint now) {
  if (timers_.empty()) return Duration(-1);
  const Duration wait = timers_.begin()->first - now;
  return wait <= Duration::zero() ? Duration::zero() : wait;
}

void EventLoop::Poll(Duration timeout) {
  const int max = static_cast<int>(events_.size());
  int n;
  if (timeout < Duration::zero()) {
    n = ::epoll_wait(epoll_fd_, events_.data(), max, -1);
  } else if (timeout == Duration::zero()) {
    n = ::epoll_wait(epoll_fd_, events_.data(), max, 0);
  } else {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    const timespec ts{.tv_sec = static_cast<time_t>(ns / 1'000'000'000),
                      .tv_nsec = static_cast<long>(ns % 1'000'000'000)};
    n = ::epoll_pwait2(epoll_fd_, events_.data(), max, &ts, nullptr);
    if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
      // Before Linux 5.11 (ENOSYS), or a container whose seccomp profile
      // predates the call (EPERM): milliseconds, rounded up so a timer never
      // fires early.
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
      n = ::epoll_wait(epoll_fd_, events_.data(), max, static_cast<int>(ms));
    }
  }
  if (n < 0) {
    if (errno == EINTR) return;
    Fatal("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    const uint64_t data = events_[static_cast<size_t>(i)].data.u64;
    const uint32_t events = events_[static_cast<size_t>(i)].events;
    const uint64_t handler = data >> 56;
    if (handler != 0) {
      handlers_[handler - 1]->OnIo(data & kTokenMax, events);
    } else if (data == kSignalToken) {
      OnSignalPipe();
    }
    // kWakeToken: nothing to do; the pass takes the remote queue.
  }
}

uint8_t EventLoop::HandlerId(IoHandler* handler) {
  for (size_t i = 0; i < handlers_.size(); ++i) {
    if (handlers_[i] == handler) return static_cast<uint8_t>(i + 1);
  }
  if (handlers_.size() >= 255) Fatal("too many I/O handlers");
  handlers_.push_back(handler);
  return static_cast<uint8_t>(handlers_.size());
}

int EventLoop::Watch(int fd, uint32_t events, IoHandler* handler, uint64_t token) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.u64 = (uint64_t{HandlerId(handler)} << 56) | (token & kTokenMax);
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

void EventLoop::Unwatch(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::OnSignals(std::initializer_list<int> signals, std::function<void(int)> fn) {
  if (signal_pipe_[0] < 0) {
    if (::pipe2(signal_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) Fatal("pipe2");
    g_signal_fd.store(signal_pipe_[1]);
    epoll_event ev{};
    ev.events = EPOLLIN;  // Level-triggered: read until empty, any time.
    ev.data.u64 = kSignalToken;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_pipe_[0], &ev) != 0) Fatal("epoll_ctl(signals)");
  }
  for (int s : signals) {
    signal_fns_[s] = fn;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(s, &sa, nullptr) != 0) Fatal("sigaction");
  }
}

void EventLoop::OnSignalPipe() {
  unsigned char buf[64];
  for (;;) {
    const ssize_t n = ::read(signal_pipe_[0], buf, sizeof buf);
    if (n <= 0) return;
    for (ssize_t i = 0; i < n; ++i) {
      auto it = signal_fns_.find(buf[i]);
      if (it != signal_fns_.end()) it->second(buf[i]);
    }
  }
}

}  // namespace sela::net
