// EventLoop: the one thread that owns every connection and all coordinator
// state (ARCHITECTURE.md §4). Our own epoll loop: descriptors are registered
// once, edge-triggered, so an idle connection costs the loop nothing but its
// kernel entry, and a read or a write needs no re-arming system call (see
// docs/NET.md, "Event loop", for why this replaced Asio's reactor).
//
// Threading: the loop belongs to the thread that constructed it, which is
// the thread that calls Run(). Post() and Stop() may be called from any
// thread; everything else only from the loop's thread.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/reactor.h"

namespace sela::net {

// Implements core's Reactor, so that components below net (the Redis
// store) can have their sockets served by this loop.
class EventLoop final : public Reactor {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // Receives readiness of the descriptors it registered with Watch():
  // EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR as epoll reported
  // them (Reactor's kReadable... bits have the same values).
  using IoHandler = Reactor::IoHandler;
  // Tokens are the handler's own; the loop keeps the top byte.
  static constexpr uint64_t kTokenMax = (uint64_t{1} << 56) - 1;

  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until Stop() (at once if Stop() came before); may be called again.
  void Run();
  // Counts the passes of Run() (posted work, timers, one epoll_wait and its
  // events), so a handler can budget its work per pass. Loop thread only.
  uint64_t pass() const { return pass_; }
  // Runs what is queued now (and what that queues), including work other
  // threads have posted so far, until nothing is left, then returns. Does
  // not wait for descriptors or timers. For start-up steps.
  void RunUntilIdle();
  // Thread-safe: Run() returns after the current pass.
  void Stop();
  // Destroys every pending handler and timer (without running it) while the
  // objects they point into still exist, and restores default signal
  // dispositions. Call after Run() returns and before destroying a Server;
  // the loop cannot run again afterwards.
  void Shutdown();
  // Thread-safe: runs fn on the loop thread. From the loop thread, fn runs
  // after the descriptors of the current pass have been handled.
  void Post(std::function<void()> fn) override;
  bool InLoopThread() const override { return OnLoopThread(); }
  // Calls fn on the loop every period until the loop stops.
  void RunEvery(Duration period, std::function<void()> fn);
  // Calls fn once after delay. Timers keep sub-millisecond delays: the loop
  // sleeps with epoll_pwait2's nanosecond timeout.
  void RunAfter(Duration delay, std::function<void()> fn) override;
  // Calls fn(signal) on the loop for each of the signals.
  void OnSignals(std::initializer_list<int> signals, std::function<void(int)> fn);

  // For net/ internals. Registers fd (edge-triggered) for events; readiness
  // goes to handler->OnIo(token, ...). Returns 0 or an errno. A closed
  // descriptor leaves the set by itself; events already collected for it in
  // the current pass may still arrive, so tokens must tell stale ones apart.
  int Watch(int fd, uint32_t events, IoHandler* handler, uint64_t token) override;
  void Unwatch(int fd) override;

 private:
  struct Timer {
    Duration period;  // Zero: once.
    std::function<void()> fn;
  };
  using TimerMap = std::multimap<TimePoint, Timer>;

  bool OnLoopThread() const { return std::this_thread::get_id() == owner_; }
  // Makes a sleeping (or about to sleep) epoll_wait return.
  void Wake();
  // Runs the local queue as it is now; returns whether anything ran.
  bool RunLocal();
  // Moves what other threads posted to the local queue; returns whether
  // there was any.
  bool TakeRemote();
  void RunDueTimers(TimePoint now);
  // How long the loop may sleep: negative for no limit.
  Duration Timeout(TimePoint now);
  void Poll(Duration timeout);
  void OnSignalPipe();
  uint8_t HandlerId(IoHandler* handler);

  const std::thread::id owner_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;                    // eventfd; edge-triggered, never read.
  int signal_pipe_[2] = {-1, -1};
  uint64_t pass_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> sleeping_{false};   // In (or about to enter) a blocking epoll_wait.
  std::vector<std::function<void()>> local_;
  std::vector<std::function<void()>> running_;
  std::mutex remote_mu_;
  std::vector<std::function<void()>> remote_;  // Guarded by remote_mu_.
  TimerMap timers_;
  std::vector<IoHandler*> handlers_;  // Index + 1 is the token's top byte.
  std::map<int, std::function<void(int)>> signal_fns_;
  std::vector<epoll_event> events_;
};

}  // namespace sela::net
