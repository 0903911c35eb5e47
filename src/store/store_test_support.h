// Test support shared by the store's tests: a temporary directory and the
// queue that a store under test posts its callbacks to.
#pragma once

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>

#include <stdlib.h>

#include "store/store.h"

namespace sela::store::testing {

// A fresh directory under the system's temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sela_store_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Where a store's callbacks go in tests. HoldNextPost() makes the next post
// block (after queueing its callback) until Release(): a backend that posts
// from its worker is thereby held, so operations issued meanwhile pile up
// and run together, as they would under load.
class PostQueue {
 public:
  PostFn AsPostFn() {
    return [this](std::function<void()> fn) { Post(std::move(fn)); };
  }
  // Runs the callbacks posted so far, in order; returns how many ran.
  size_t RunAll() {
    size_t ran = 0;
    while (true) {
      std::function<void()> fn;
      {
        std::lock_guard lock(mu_);
        if (queue_.empty()) return ran;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
      ++ran;
    }
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  void HoldNextPost() {
    std::lock_guard lock(mu_);
    hold_next_ = true;
    held_ = false;
  }
  // Returns once a post is being held.
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_next_ = false;
    held_ = false;
    changed_.notify_all();
  }

 private:
  void Post(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    queue_.push_back(std::move(fn));
    if (!hold_next_) return;
    hold_next_ = false;
    held_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !held_; });
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool hold_next_ = false;
  bool held_ = false;
};

}  // namespace sela::store::testing
