#include "files/io_pool.h"

#include <pthread.h>

#include <utility>

namespace sela::files {

IoPool::IoPool(size_t threads, size_t queue_max) : queue_max_(queue_max) {
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "sela-file-io");
      Run();
    });
  }
}

IoPool::~IoPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool IoPool::Submit(std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= queue_max_ || stopping_) return false;
    queue_.push_back(std::move(work));
  }
  ready_.notify_one();
  return true;
}

size_t IoPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void IoPool::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void IoPool::Run() {
  while (true) {
    std::function<void()> work;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping, and everything queued has run.
      work = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    work();
    work = nullptr;  // Its captures go before the pool says it is idle.
    std::lock_guard lock(mu_);
    if (--running_ == 0 && queue_.empty()) idle_.notify_all();
  }
}

}  // namespace sela::files
