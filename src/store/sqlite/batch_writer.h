// BatchWriter: the one thread that owns the SQLite connection, and the
// bounded queue in front of it (ARCHITECTURE.md §4, §8).
//
// Group commit: the thread takes every queued operation (up to
// batch_ops_max) and runs them in one transaction, each inside its own
// SAVEPOINT so that a failing operation rolls back only itself. After COMMIT
// returns, the completions of the batch are handed to `post` as one closure
// that runs them in queue order.
// If the transaction as a whole cannot commit, every operation of the batch
// reports that failure instead: nothing of it was applied. What the batch
// met (no space left, a corrupt page) goes to the StoreHealth.
//
// Thread-safety: Submit() and Flush() may be called from any thread. The
// destructor must not race with Submit().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/database.h"
#include "store/sqlite/health.h"
#include "store/sqlite/operations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace sela::store::sqlite {

// One queued operation: what to run on the writer thread and whom to tell.
class PendingOp {
 public:
  virtual ~PendingOp() = default;
  // Runs inside the batch transaction; an error means "roll me back".
  virtual Status Run(Operations& ops) = 0;
  // The batch did not commit (or the op was refused): report `status`.
  virtual void Fail(const Status& status) = 0;
  // The closure that hands the outcome to the caller's callback.
  virtual std::function<void()> TakeCompletion() = 0;
};

inline Status StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.has_value() ? Status::Ok() : result.error();
}

// A PendingOp whose outcome R is a Status or a Result<T>. Error messages are
// prefixed with the operation's name, so that a log line says which failed.
template <typename R>
class Operation final : public PendingOp {
 public:
  Operation(const char* name, std::function<R(Operations&)> body, std::function<void(R)> done)
      : name_(name), body_(std::move(body)), done_(std::move(done)) {}

  Status Run(Operations& ops) override {
    result_ = body_(ops);
    const Status status = StatusOf(result_);
    if (!status.ok()) Fail(status);
    return StatusOf(result_);
  }
  void Fail(const Status& status) override {
    result_ = R(Err(Status(status.code(), std::string(name_) + ": " + status.message())));
  }
  std::function<void()> TakeCompletion() override {
    return [done = std::move(done_), result = std::move(result_)]() mutable {
      if (done) done(std::move(result));
    };
  }

 private:
  const char* name_;
  std::function<R(Operations&)> body_;
  std::function<void(R)> done_;
  R result_ = R(Err(Internal("operation did not run")));
};

struct BatchWriterOptions {
  uint32_t batch_ops_max = 1024;
  uint32_t queue_ops_max = 65'536;
  // See SqliteOptions::wake_later. When set, Submit() must be called on the
  // thread that wake_later's closures run on.
  PostFn wake_later = {};
  // See SqliteOptions::wake_after, gather and gather_ops; wake_after's
  // closures run on the same thread as wake_later's.
  DelayFn wake_after = {};
  std::chrono::microseconds gather{0};
  uint32_t gather_ops = 64;
  // See SqliteOptions::on_batch.
  std::function<void(const SqliteStats&)> on_batch = {};
  // While out of space, with nothing queued, the writer tries a small write
  // of its own this often, so that the store is writable (and ready) again
  // soon after space is freed.
  std::chrono::milliseconds probe_interval{1000};
  // Free bytes on the file system before the store counts as writable again
  // (the WAL's largest size: SqliteOptions::wal_checkpoint_pages twice).
  uint64_t resume_free_bytes = 32ull << 20;
  const Clock* clock = nullptr;  // For probe_interval; null: the system clock.
};

class BatchWriter {
 public:
  // Takes over the open database and the checkpoint thread beside it; the
  // WAL is checkpointed as WalCheckpoints says (checkpointer.h). The writer
  // thread starts with Start().
  BatchWriter(BatchWriterOptions options, std::unique_ptr<Database> db,
              std::function<uint64_t()> random, OperationLimits limits, PostFn post,
              std::unique_ptr<BackgroundCheckpointer> background,
              CheckpointPolicy::Limits checkpoint_limits, StoreHealth& health);
  // Runs what is queued, posts its completions, then stops the thread.
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  Status Start();

  // Queues `op`. When queue_ops_max operations are already waiting, `op`
  // fails at once with Unavailable (posted now, not in queue order), so
  // that a stalled disk never blocks the caller's event loop.
  void Submit(std::unique_ptr<PendingOp> op);

  // Returns once every operation submitted before the call has run and its
  // completion has been posted. Must not be called on the writer thread.
  void Flush();

 private:
  void Loop();
  enum class Take { kBatch, kIdle, kStop };
  // Waits for work. kIdle: nothing came within the probe interval while
  // out of space; kStop: stopping with nothing left.
  Take TakeBatch(std::vector<std::unique_ptr<PendingOp>>& batch);
  void RunBatch(std::span<std::unique_ptr<PendingOp>> batch);
  // While out of space, at most once per probe_interval: whether the file
  // system has resume_free_bytes free and a write of its own (a counter set
  // to its value) commits.
  void MaybeProbe();
  void ProbeWrite();
  // Non-OK only when the transaction itself can no longer commit.
  Status RunInSavepoint(PendingOp& op);
  void ReportStats(size_t batch_ops);
  // Arranges the writer's wake-up after Submit() queued an operation,
  // `queued` being the queue's length then.
  void ScheduleWake(size_t queued);
  std::function<void()> WakeClosure();

  const BatchWriterOptions options_;
  std::unique_ptr<Database> db_;
  Operations ops_;
  WalCheckpoints checkpoints_;  // Destroyed before db_: its thread's connection closes first.
  PostFn post_;
  StoreHealth& health_;
  SqliteStats stats_;  // Writer thread only.
  MonoTime last_probe_{};  // Writer thread only.

  std::mutex mu_;
  std::condition_variable work_ready_;
  std::condition_variable batch_done_;
  std::deque<std::unique_ptr<PendingOp>> queue_;  // Guarded by mu_.
  uint64_t accepted_ = 0;                         // Guarded by mu_.
  uint64_t completed_ = 0;                        // Guarded by mu_.
  bool stopping_ = false;                         // Guarded by mu_.
  // Submitting thread only: a wake-up is on its way (at the end of the
  // caller's pass, or after `gather`); wake-ups of an older generation were
  // overtaken by a newer one and do nothing.
  bool wake_posted_ = false;
  bool wake_now_posted_ = false;
  uint64_t wake_generation_ = 0;
  // Lets a posted wake-up tell that the writer is gone.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  std::thread thread_;
};

}  // namespace sela::store::sqlite
