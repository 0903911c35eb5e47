// EventLoop: the one thread that owns every connection and all coordinator
// state (ARCHITECTURE.md §4). Wraps an Asio io_context so that Asio stays
// inside net/. Other threads hand work to the loop with Post().
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>

namespace sela::net {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until Stop() or until there is no work left.
  void Run();
  // Runs what is queued now (and what that queues) until nothing is left,
  // then returns; Run() may be called afterwards. For start-up steps.
  void RunUntilIdle();
  void Stop();
  // Destroys every pending handler (without running it) while the objects
  // they point into still exist. Call after Run() returns and before
  // destroying a Server; the loop cannot run again afterwards.
  void Shutdown();
  // Thread-safe: runs fn on the loop thread.
  void Post(std::function<void()> fn);
  // Calls fn on the loop every period until the loop stops.
  void RunEvery(std::chrono::milliseconds period, std::function<void()> fn);
  // Calls fn once after delay.
  void RunAfter(std::chrono::milliseconds delay, std::function<void()> fn);
  // Calls fn(signal) on the loop for each of the signals.
  void OnSignals(std::initializer_list<int> signals, std::function<void(int)> fn);

  // For net/ internals: the io_context.
  void* native();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sela::net
