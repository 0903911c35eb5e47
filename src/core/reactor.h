// Reactor: what a component that owns a few sockets of its own (the Redis
// store's connections) needs from the process's event loop, without
// depending on net/ (ARCHITECTURE.md §3: store sits below net). net's
// EventLoop implements it; main hands the loop to such components as a
// Reactor&.
//
// Threading: the reactor belongs to one thread (InLoopThread() is true
// there). Post() may be called from any thread; everything else only from
// the loop's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace sela {

class Reactor {
 public:
  // Readiness bits, with the values of Linux's EPOLL* flags (net/event_loop.cc
  // checks that they are).
  static constexpr uint32_t kReadable = 0x001;  // EPOLLIN
  static constexpr uint32_t kWritable = 0x004;  // EPOLLOUT
  static constexpr uint32_t kError = 0x008;     // EPOLLERR
  static constexpr uint32_t kHangup = 0x010;    // EPOLLHUP
  static constexpr uint32_t kPeerClosed = 0x2000;  // EPOLLRDHUP

  // Receives readiness of the descriptors it registered with Watch().
  class IoHandler {
   public:
    // Edge-triggered: an event says the state changed, so the handler reads
    // (or writes) until the socket would block, or remembers that it
    // stopped early.
    virtual void OnIo(uint64_t token, uint32_t events) = 0;

   protected:
    ~IoHandler() = default;
  };

  virtual ~Reactor() = default;

  // Whether the caller runs on the loop's thread.
  virtual bool InLoopThread() const = 0;
  // Thread-safe: runs fn on the loop thread (after the descriptors of the
  // current pass when called from the loop thread).
  virtual void Post(std::function<void()> fn) = 0;
  // Calls fn once on the loop after delay. Not cancellable: fn checks
  // whether it still applies.
  virtual void RunAfter(std::chrono::steady_clock::duration delay, std::function<void()> fn) = 0;
  // Registers fd, edge-triggered, for `events` (the bits above); readiness
  // goes to handler->OnIo(token, ...). Returns 0 or an errno. Tokens are
  // the handler's own below 2^56.
  virtual int Watch(int fd, uint32_t events, IoHandler* handler, uint64_t token) = 0;
  virtual void Unwatch(int fd) = 0;
};

}  // namespace sela
