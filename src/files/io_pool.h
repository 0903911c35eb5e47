// IoPool: threads that do the files module's disk work (reads, writes,
// hashing, fsync), so that a slow or stalled disk never blocks the event
// loop (ARCHITECTURE.md §4). Work comes in as closures and reports back by
// posting to the loop itself.
//
// The queue is bounded: Submit refuses (returns false) rather than grow it,
// and the caller answers "busy". Work runs on any of the threads; a caller
// that needs order (the pieces of one upload) keeps at most one piece in
// flight.
//
// Thread-safety: Submit from any thread. The destructor finishes the work
// already queued, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sela::files {

class IoPool {
 public:
  IoPool(size_t threads, size_t queue_max);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // False (and `work` dropped) when queue_max tasks are waiting.
  [[nodiscard]] bool Submit(std::function<void()> work);
  size_t queued() const;
  // Blocks until no task is queued or running (tests, and before shutdown).
  void WaitIdle();

 private:
  void Run();

  const size_t queue_max_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  size_t running_ = 0;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sela::files
