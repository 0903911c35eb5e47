#include "chain/executor.h"

namespace sela::chain {

Executor::Executor(size_t threads, size_t queue_max, Poster poster)
    : queue_max_(queue_max), poster_(std::move(poster)) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

Executor::~Executor() {
  std::deque<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  for (Task& t : dropped) t.drop(Unavailable("chain executor stopped"));
}

size_t Executor::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void Executor::Enqueue(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && queue_.size() < queue_max_) {
      queue_.push_back(std::move(task));
      cv_.notify_one();
      return;
    }
  }
  task.drop(ResourceExhausted("chain executor queue full or stopped"));
}

void Executor::Work() {
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task.run();
  }
}

}  // namespace sela::chain
