#include "net/event_loop.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>

namespace sela::net {

namespace asio = boost::asio;

// Exposes execution_context::shutdown(), which destroys pending handlers
// and stops services while the io_context's services still exist.
class ShutdownableIo : public asio::io_context {
 public:
  // One thread runs the loop: tell Asio so it can skip internal locking
  // where it is allowed to.
  ShutdownableIo() : asio::io_context(1) {}
  using asio::io_context::shutdown;
};

struct EventLoop::Impl {
  ShutdownableIo io;
  std::list<asio::steady_timer> timers;
  std::list<asio::signal_set> signal_sets;
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}
EventLoop::~EventLoop() = default;

void EventLoop::Run() { impl_->io.run(); }
void EventLoop::RunUntilIdle() {
  impl_->io.run();
  impl_->io.restart();
}
void EventLoop::Stop() { impl_->io.stop(); }
void EventLoop::Shutdown() {
  impl_->timers.clear();
  impl_->signal_sets.clear();
  impl_->io.shutdown();
}
void EventLoop::Post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }
void* EventLoop::native() { return static_cast<asio::io_context*>(&impl_->io); }

namespace {
void Arm(asio::steady_timer& timer, std::chrono::milliseconds period, std::function<void()> fn) {
  timer.expires_after(period);
  timer.async_wait([&timer, period, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) return;
    fn();
    Arm(timer, period, fn);
  });
}
}  // namespace

void EventLoop::RunEvery(std::chrono::milliseconds period, std::function<void()> fn) {
  Arm(impl_->timers.emplace_back(impl_->io), period, std::move(fn));
}

void EventLoop::RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void EventLoop::OnSignals(std::initializer_list<int> signals, std::function<void(int)> fn) {
  auto& set = impl_->signal_sets.emplace_back(impl_->io);
  for (int s : signals) set.add(s);
  struct Rearm {
    asio::signal_set* set;
    std::function<void(int)> fn;
    void operator()(const boost::system::error_code& ec, int signal) {
      if (ec) return;
      fn(signal);
      set->async_wait(Rearm{set, fn});
    }
  };
  set.async_wait(Rearm{&set, std::move(fn)});
}

}  // namespace sela::net
