// Executor: the agent's worker threads (docs/CHAIN.md, "Threads").
//
// The event loop must never block (ARCHITECTURE.md §4), and an IC call blocks
// for seconds (HTTP, polling with back-off, BLS verification at about a
// millisecond per certificate). So blocking chain work runs here, on a
// bounded pool, and its result is handed back to the caller's thread through
// the injected poster (the loop's Post in the server, a direct call in
// tests).
//
// Run() never blocks: past queue_max waiting tasks, the completion is posted
// at once with ResourceExhausted and the work never runs. The destructor
// stops taking work, lets the running tasks finish, drops queued ones with
// Unavailable, and joins the threads.
//
// Thread-safety: Run may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/status.h"

namespace sela::chain {

class Executor {
 public:
  using Poster = std::function<void(std::function<void()>)>;

  Executor(size_t threads, size_t queue_max, Poster poster);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs work() on a worker; then done(result) through the poster.
  template <typename T>
  void Run(std::function<Result<T>()> work, std::function<void(Result<T>)> done) {
    auto shared_done = std::make_shared<std::function<void(Result<T>)>>(std::move(done));
    Task task;
    task.run = [this, work = std::move(work), shared_done]() mutable {
      Result<T> r = work();
      poster_([shared_done, r = std::move(r)]() mutable { (*shared_done)(std::move(r)); });
    };
    task.drop = [this, shared_done](Status why) {
      poster_([shared_done, why]() mutable { (*shared_done)(Err(why)); });
    };
    Enqueue(std::move(task));
  }

  size_t queued() const;

 private:
  struct Task {
    std::function<void()> run;
    std::function<void(Status)> drop;
  };
  void Enqueue(Task task);
  void Work();

  const size_t queue_max_;
  Poster poster_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;  // Guarded by mu_.
  bool stopping_ = false;   // Guarded by mu_.
  std::vector<std::thread> threads_;
};

}  // namespace sela::chain
